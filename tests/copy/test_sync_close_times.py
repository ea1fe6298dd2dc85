"""Close times in `bbpr sync` and `bbpr list --cached`: on Cloud they cost activity-feed
requests, so a sync keeps them only once `--close-times` asked (then for good); Data Center
copies always have them. Real command line, real emulator, real SQLite files."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from bbpr.emulator import Emulator

from ..conftest import Run, base_environment, bbpr, cloud_environment

PRS = 237


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(prs=PRS, seed=23) as emulator:
        yield emulator


def sync(emu: Emulator, path: Path, *args: str) -> tuple[Run, list[str]]:
    """Run `bbpr sync`; return it and the paths of the requests it sent."""
    before = len(emu.requests)
    run = bbpr("sync", *args, "--db", str(path),
               env=cloud_environment(emu, BBPR_CONFIG_DIR="/nonexistent/bbpr"))
    assert run.code == 0, run.err
    return run, [request.path for request in emu.requests[before:]]


def stored_close_times(path: Path, repository: str) -> dict[int, datetime | None]:
    owner, slug = repository.split("/")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT p.id, p.closed_on FROM pull_requests p JOIN repositories r "
                          "ON r.id = p.repository_id WHERE r.owner = ? AND r.slug = ?",
                          (owner, slug)).fetchall()
    return {number: closed and datetime.fromisoformat(closed) for number, closed in rows}


def truth(emu: Emulator, repository: str) -> dict[int, datetime | None]:
    closes = emu.cloud_closed_on(*repository.split("/"))
    return {pr["id"]: closes.get(pr["id"]) for pr in emu.pull_requests(*repository.split("/"))}


def status(path: Path) -> dict[str, str]:
    """`close_times` of each repository, as `sync --status` prints it when piped."""
    run = bbpr("sync", "--status", "--db", str(path), env=base_environment())
    assert run.code == 0, run.err
    return {cells[1]: cells[6]
            for cells in (line.split("\t") for line in run.out.splitlines()[1:])}


def offline(emu: Emulator) -> dict[str, str]:
    """What `--cached` needs: which Cloud the copy is of, and no credentials."""
    return base_environment() | {"BITBUCKET_API_URL": emu.cloud_api_url}


def cached(emu: Emulator, path: Path, target: str, *args: str) -> Run:
    return bbpr("list", target, "--state", "all", "--fields", "id,state,closed_on", "--format",
                "json", *args, "--cached", "--db", str(path), env=offline(emu))


def live(emu: Emulator, target: str) -> Run:
    return bbpr("list", target, "--state", "all", "--fields", "id,state,closed_on", "--format",
                "json", env=cloud_environment(emu, BBPR_CONFIG_DIR="/nonexistent/bbpr"))


def test_a_first_sync_costs_the_plain_listing_and_asks_no_activity_feed(
        emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    before = len(emu.requests)
    listed = bbpr("list", "acme/widgets", "--state", "all", "--format", "tsv", "--fields",
                  "id,title",
                  env=cloud_environment(emu, BBPR_CONFIG_DIR="/nonexistent/bbpr"))
    assert listed.code == 0, listed.err
    plain = len(emu.requests) - before

    run, paths = sync(emu, path, "acme/widgets")
    assert paths == ["/2.0/repositories/acme/widgets/pullrequests"] * math.ceil(PRS / 50)
    assert len(paths) == plain and f"in {plain} requests" in run.err
    assert status(path) == {"acme/widgets": "false"}
    assert set(stored_close_times(path, "acme/widgets").values()) == {None}
    # Nor does a later one, even when a pull request closed since.
    opened = next(pr["id"] for pr in emu.pull_requests("acme", "widgets")
                  if pr["state"] == "OPEN")
    emu.set_state("acme", "widgets", opened, "MERGED")
    _, paths = sync(emu, path, "acme/widgets")
    assert paths == ["/2.0/repositories/acme/widgets/pullrequests"]
    assert stored_close_times(path, "acme/widgets")[opened] is None


def test_with_the_flag_they_are_stored_and_kept_by_later_syncs_without_it(
        emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    run, paths = sync(emu, path, "acme/widgets", "--close-times")
    assert any(p.endswith("/pullrequests/activity") for p in paths)
    assert "Adding close times" not in run.err  # a first sync reads everything anyway
    assert stored_close_times(path, "acme/widgets") == truth(emu, "acme/widgets")
    assert status(path) == {"acme/widgets": "true"}

    opened = [pr["id"] for pr in emu.pull_requests("acme", "widgets") if pr["state"] == "OPEN"]
    emu.set_state("acme", "widgets", opened[0], "MERGED")
    emu.set_state("acme", "widgets", opened[1], "DECLINED")
    _, paths = sync(emu, path, "acme/widgets")  # no flag: the copy's choice stands
    # One page of changes and one of the activity feed, for the two that closed since.
    assert paths == ["/2.0/repositories/acme/widgets/pullrequests",
                     "/2.0/repositories/acme/widgets/pullrequests/activity"]
    copy = stored_close_times(path, "acme/widgets")
    assert copy == truth(emu, "acme/widgets") and copy[opened[0]] and copy[opened[1]]
    assert status(path) == {"acme/widgets": "true"}
    answered = cached(emu, path, "acme/widgets")
    assert answered.code == 0, answered.err
    assert answered.out == live(emu, "acme/widgets").out


def test_turning_them_on_later_reads_the_repository_whole_and_says_so(
        emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    sync(emu, path, "acme/widgets")
    emu.touch("acme", "widgets", 3)
    _, paths = sync(emu, path, "acme/widgets")
    assert paths.count("/2.0/repositories/acme/widgets/pullrequests") == 1  # incremental

    run, paths = sync(emu, path, "acme/widgets", "--close-times")
    assert paths.count("/2.0/repositories/acme/widgets/pullrequests") == math.ceil(PRS / 50)
    said = [line for line in run.err.splitlines() if "close times" in line]
    assert said == ["Adding close times to the copy of acme/widgets: reading every pull "
                    "request again, since those closed long ago need theirs too."]
    assert stored_close_times(path, "acme/widgets") == truth(emu, "acme/widgets")
    assert status(path) == {"acme/widgets": "true"}

    run, paths = sync(emu, path, "acme/widgets", "--close-times")  # on already: as usual
    assert paths == ["/2.0/repositories/acme/widgets/pullrequests"]
    assert "Adding close times" not in run.err


def test_cached_closed_on_is_refused_where_the_copy_has_no_close_times(
        emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    sync(emu, path, "acme")
    refused = cached(emu, path, "acme/widgets")
    assert refused.code == 2 and refused.out == ""
    assert refused.err == (
        "The local copy of acme/widgets has no close times (on Cloud they cost requests, so "
        "`bbpr sync` keeps them only when asked): run "
        f"`bbpr sync acme/widgets --db {path} --close-times` once, or leave closed_on out.\n")
    other = bbpr("list", "acme/widgets", "--state", "all", "--format", "ids", "--cached",
                 "--db", str(path), env=offline(emu))
    assert other.code == 0 and len(other.out.split()) == PRS  # only closed_on is refused

    sync(emu, path, "acme/widgets", "--close-times")
    answered = cached(emu, path, "acme/widgets")
    assert answered.code == 0, answered.err
    records = json.loads(answered.out)
    assert any(record["closed_on"] for record in records)
    assert answered.out == live(emu, "acme/widgets").out

    workspace = cached(emu, path, "acme")
    lacking = sorted(name for name, kept in status(path).items() if kept == "false")
    assert workspace.code == 2 and len(lacking) >= 2
    assert f"{len(lacking)} of the {len(lacking) + 1} repositories ({lacking[0]}" in workspace.err
    assert f"run `bbpr sync acme --db {path} --close-times` once" in workspace.err
    chosen = cached(emu, path, "acme", "--repos", "w*")  # widgets alone: it has them
    assert chosen.code == 0, chosen.err


def test_data_center_copies_always_have_them(emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    env = base_environment() | {"BITBUCKET_SERVER": emu.datacenter_url,
                                "BITBUCKET_TOKEN": emu.dc_demo.token,
                                "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}
    run = bbpr("sync", "ACME/widgets", "--db", str(path), env=env)
    assert run.code == 0, run.err
    assert status(path) == {"ACME/widgets": "true"}
    args = ("list", "ACME/widgets", "--state", "all", "--fields", "id,closed_on", "--format",
            "json")
    copy = bbpr(*args, "--cached", "--db", str(path), env=env)
    assert copy.code == 0, copy.err
    assert any(record["closed_on"] for record in json.loads(copy.out))
    assert copy.out == bbpr(*args, env=env).out
