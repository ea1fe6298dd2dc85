"""`bbpr sync`, `bbpr sync --status` and `bbpr list --cached` through the real command line:
the cached listing prints the same bytes as the live one, and the errors keep the contract."""

from __future__ import annotations

import os
import pty
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bbpr.copy import schema
from bbpr.emulator import Emulator
from bbpr.emulator.messages import Request

from ..cli.test_terminal import ESCAPE
from ..conftest import Run, base_environment, bbpr, cloud_environment
from ..terminal import run as on_terminal


def dc_environment(emu: Emulator) -> dict[str, str]:
    return base_environment() | {"BITBUCKET_SERVER": emu.datacenter_url,
                                 "BITBUCKET_TOKEN": emu.dc_demo.token,
                                 "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}


@pytest.fixture(scope="module")
def synced(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Emulator, Path]]:
    path = tmp_path_factory.mktemp("cli") / "copy.sqlite"
    for target, env in (("acme", cloud_environment(emulator)), ("ACME", dc_environment(emulator))):
        run = bbpr("sync", target, "--db", str(path), "--close-times", env=env)
        assert run.code == 0, run.err
        assert run.out == "" and f"Copy: {path}" in run.err
    yield emulator, path


def both(env: dict[str, str], path: Path, *args: str) -> tuple[Run, Run]:
    return bbpr("list", *args, env=env), bbpr("list", *args, "--cached", "--db", str(path),
                                              env=env)


@pytest.mark.parametrize("args", [
    ("acme", "--state", "all"),  # piped: tsv
    ("acme", "--state", "merged,declined", "--destination", "main", "--format", "json"),
    ("acme/widgets", "--state", "all", "--author", "Priya Raman", "--format", "ids"),
    ("acme", "--state", "open", "--limit", "30", "--format", "table"),
    ("acme/widgets", "--state", "all", "--reviewer", "priya", "--fields",
     "id,reviewers,reviewer_logins,participants,approved_by,changes_requested_by,closed_on"),
    ("acme", "--state", "merged", "--format", "csv", "--fields", "id,closed_on,approved_by"),
])
def test_cloud_cached_output_is_byte_for_byte_the_live_output(
        synced: tuple[Emulator, Path], args: tuple[str, ...]) -> None:
    emu, path = synced
    live, cached = both(cloud_environment(emu, COLUMNS="160"), path, *args)
    assert live.code == cached.code == 0, (live.err, cached.err)
    assert len(live.out.splitlines()) > 5
    assert cached.out == live.out
    assert cached.err == ""  # the copy's age is told on a terminal only


@pytest.mark.parametrize("args", [
    ("ACME", "--state", "all", "--format", "ndjson", "--fields",
     ",".join(schema.STORED_FIELDS)),
    ("ACME/widgets", "--state", "declined,open", "--author", "alex", "--format", "csv"),
    # A display name, in any case, stands for its user's, as the live user search finds it.
    ("ACME/widgets", "--state", "all", "--author", "lucía fernández", "--format", "ids"),
    ("ACME", "--state", "all", "--author", "Alex Moreau", "--reviewer", "MEI LIN"),
    ("ACME/widgets", "--state", "all", "--reviewer", "mei", "--no-draft", "--fields",
     "id,reviewers,approved_by,changes_requested_by,closed_on"),
])
def test_data_center_cached_output_is_byte_for_byte_the_live_output(
        synced: tuple[Emulator, Path], args: tuple[str, ...]) -> None:
    emu, path = synced
    live, cached = both(dc_environment(emu), path, *args)
    assert live.code == cached.code == 0, (live.err, cached.err)
    assert len(live.out.splitlines()) > 5
    assert cached.out == live.out


def test_cached_errors_keep_the_exit_codes(synced: tuple[Emulator, Path],
                                           tmp_path: Path) -> None:
    _, path = synced
    env = base_environment()  # no credentials at all: the copy needs none
    never = bbpr("list", "jobsearchdemo", "--cached", "--db", str(path), env=env)
    assert never.code == 4 and f"run `bbpr sync jobsearchdemo --db {path}` first" in never.err
    bbql = bbpr("list", "acme", "--query", 'title ~ "x"', "--cached", "--db", str(path), env=env)
    assert bbql.code == 2 and "BBQL" in bbql.err
    newer = tmp_path / "newer.sqlite"
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version = 99")
    future = bbpr("list", "acme", "--cached", "--db", str(newer), env=env)
    assert future.code == 2 and "newer bbpr" in future.err
    nothing = bbpr("sync", env=env, cwd=tmp_path)
    assert nothing.code == 2 and "workspace/repo-slug" in nothing.err


@pytest.mark.parametrize(("flavour", "target"), [("cloud", "acme"), ("datacenter", "ACME")])
def test_cached_says_a_name_no_one_in_the_copy_has(synced: tuple[Emulator, Path], flavour: str,
                                                   target: str) -> None:
    emu, path = synced
    env = cloud_environment(emu) if flavour == "cloud" else dc_environment(emu)
    cached = ("--cached", "--db", str(path))
    typo = bbpr("list", target, "--author", "alex morau", "--format", "json", *cached, env=env)
    assert typo.code == 2 and typo.out == ""  # said before a line is written
    assert (f"--author 'alex morau' is the name of no author of a pull request of {target} in "
            "the local copy, in any state, so none matched. Did you mean 'Alex Moreau'?"
            ) in typo.err
    live = bbpr("list", target + "/widgets", "--author", "alex morau", env=env)
    assert live.code == 2  # as the live listing says it
    nobody = bbpr("list", target, "--reviewer", "Nobody At All", *cached, env=env)
    assert nobody.code == 2
    assert "--reviewer 'Nobody At All' is the name of no reviewer" in nobody.err
    email = bbpr("list", target, "--author", "alex@example.com", *cached, env=env)
    assert email.code == 2 and "The local copy keeps no email addresses" in email.err
    # A name someone has, with nothing in the states asked for: an empty answer, not an error.
    declined = bbpr("list", target + "/widgets", "--author", "Alex Moreau", "--state", "declined",
                    "--updated-since", "2999-01-01", *cached, env=env)
    assert declined.code == 0 and declined.out == "", declined.err


def test_status_is_tsv_when_piped(synced: tuple[Emulator, Path]) -> None:
    emu, path = synced
    run = bbpr("sync", "--status", "--db", str(path), env=base_environment())
    assert run.code == 0, run.err
    header, *lines = run.out.splitlines()
    assert header.split("\t") == ["host", "repository", "pull_requests", "last_complete_pass",
                                  "last_run_requests", "last_run_completed", "close_times",
                                  "review_events"]
    rows = {row[1]: row for row in (line.split("\t") for line in lines)}
    widgets = rows["acme/widgets"]
    assert widgets[0] == emu.cloud_api_url
    assert int(widgets[2]) == len(emu.pull_requests("acme", "widgets"))
    assert widgets[3].endswith("Z") and int(widgets[4]) >= 1
    assert widgets[5:] == ["true", "true", "false"]
    assert rows["ACME/widgets"][0] == emu.datacenter_url
    only = bbpr("sync", "--status", "acme", "--db", str(path), env=base_environment())
    assert {line.split("\t")[1].split("/")[0] for line in only.out.splitlines()[1:]} == {"acme"}


def run_on_terminal(*args: str, env: dict[str, str]) -> str:
    """Run bbpr with stdout and stderr on a pseudo-terminal; return what it printed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "bbpr", *args], env=env,
                               stdout=follower, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=60) == 0
    return b"".join(chunks).decode()


def test_on_a_terminal_status_is_a_table_and_cached_says_its_age(
        synced: tuple[Emulator, Path]) -> None:
    emu, path = synced
    env = base_environment() | {"COLUMNS": "200"}
    table = run_on_terminal("sync", "--status", "--db", str(path), env=env)
    assert "REPOSITORY" in table and "LAST PASS (UTC)" in table and "acme/widgets" in table
    assert "CLOSE TIMES" in table and "EVENTS" in table
    assert "true" not in table  # yes and no, for people
    listed = run_on_terminal("list", "acme/infra", "--cached", "--db", str(path),
                             env=cloud_environment(emu) | {"COLUMNS": "200"})
    assert "From the local copy, synced" in listed and "ago" in listed
    quiet = run_on_terminal("list", "acme/infra", "--cached", "--quiet", "--db", str(path),
                            env=cloud_environment(emu) | {"COLUMNS": "200"})
    assert "From the local copy" not in quiet and "STATE" in quiet


def test_a_sync_that_gives_up_keeps_what_it_read_and_the_next_completes_it(
        tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    with Emulator(prs=400, seed=31) as emu:
        env = cloud_environment(emu) | {"BBPR_CONFIG_DIR": "/nonexistent/bbpr"}
        seen = [0]

        def break_after_three(request: Request) -> None:
            # The third page of pull requests: two are stored (with their close times,
            # read from the activity feed in between) when the server starts failing.
            seen[0] += request.path.endswith("/pullrequests")
            if seen[0] == 3:
                emu.faults.server_error_probability = 1.0

        stop = emu.on_request(break_after_three)
        failed = bbpr("sync", "acme/widgets", "--db", str(path), "--close-times",
                      "--max-wait", "0.5", "--concurrency", "1", env=env)
        stop()
        assert failed.code == 5, failed.err
        assert "are kept; run the same `bbpr sync` again" in failed.err
        status = bbpr("sync", "--status", "--db", str(path), env=env)
        [row] = [line.split("\t") for line in status.out.splitlines()[1:]]
        # Not complete, so neither are its close times.
        assert row[1] == "acme/widgets" and int(row[2]) >= 50
        assert row[3:] == ["", row[4], "false", "false", "false"]

        emu.faults.server_error_probability = 0.0
        again = bbpr("sync", "acme/widgets", "--db", str(path), "--close-times", env=env)
        assert again.code == 0, again.err
        cached = bbpr("list", "acme/widgets", "--state", "all", "--format", "ids", "--cached",
                      "--db", str(path), env=env)
        assert sorted(map(int, cached.out.split())) == list(range(1, 401))
        status = bbpr("sync", "--status", "--db", str(path), env=env)
        assert status.out.rstrip("\n").endswith("\ttrue\ttrue\tfalse")


def test_cached_names_the_host_it_looked_for_and_the_hosts_the_file_has(
        emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    synced = bbpr("sync", "acme/widgets", "--db", str(path), env=cloud_environment(emulator))
    assert synced.code == 0, synced.err
    # The same shell without BITBUCKET_API_URL: bbpr looks for the copy from bitbucket.org.
    run = bbpr("list", "acme/widgets", "--cached", "--db", str(path), env=base_environment())
    assert run.code == 4
    assert "no local copy from https://api.bitbucket.org/2.0" in run.err
    assert f"the copy has it from {emulator.cloud_api_url}" in run.err
    assert "BITBUCKET_API_URL" in run.err
    assert run.err.count("https://api.bitbucket.org/2.0") == 1  # the host is named once
    never = bbpr("list", "acme/nope", "--cached", "--db", str(path), env=base_environment())
    assert never.code == 4
    assert f"the file holds copies from {emulator.cloud_api_url}" in never.err
    assert f"run `bbpr sync acme/nope --db {path}` first" in never.err


def test_sync_status_fits_80_and_120_columns_with_a_header_when_piped(
        emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    synced = bbpr("sync", "acme", "--db", str(path), env=cloud_environment(emulator))
    assert synced.code == 0, synced.err
    env = base_environment() | {"BBPR_PAGER": "cat"}
    for columns in (80, 120):
        screen = on_terminal(f"bbpr sync --status --db {path}", env, columns=columns)
        assert screen.code == 0, screen.output
        lines = [ESCAPE.sub("", line) for line in screen.lines if line.strip()]
        assert lines[0].split("  ")[0] == "REPOSITORY"  # the header is one line
        assert "LAST PASS (UTC)" in lines[0] and lines[0].endswith("CLOSE TIMES  EVENTS")
        assert lines[1] == f"{emulator.cloud_api_url}:"  # the host once, above its rows
        rows = lines[2:]
        assert len(rows) == 4 and all(len(line) <= columns for line in rows)
        widgets = next(line for line in rows if line.startswith("acme/widgets "))
        count = len(emulator.pull_requests("acme", "widgets"))
        assert re.search(rf"acme/widgets +{count}  \d{{4}}-\d\d-\d\d \d\d:\d\d +\d+ requests? +no "
                         r"+no$", widgets), widgets
    piped = bbpr("sync", "--status", "--db", str(path), env=env)
    header, *rows = piped.out.splitlines()
    assert header.startswith("host\trepository\tpull_requests\t") and len(rows) == 4


def test_cached_without_a_copy_names_the_sync_to_run(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "none.sqlite"
    run = bbpr("list", "acme/widgets", "--cached", "--db", str(path),
               env=cloud_environment(emulator))
    assert run.code == 4
    assert f"bbpr sync acme/widgets --db {path}" in run.err


def test_sync_status_of_something_never_synced(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    env = cloud_environment(emulator)
    assert bbpr("sync", "acme/widgets", "--db", str(path), env=env).code == 0
    run = bbpr("sync", "--status", "acme/nope", "--db", str(path), env=env)
    assert run.code == 4 and "Nothing of acme/nope is synced" in run.err
    assert f"bbpr sync acme/nope --db {path}" in run.err


def test_sync_repos(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    env = cloud_environment(emulator)
    run = bbpr("sync", "acme", "--repos", "wid*", "--db", str(path), env=env)
    assert run.code == 0, run.err
    assert "Synced 1 repositories of acme" in run.err
    status = bbpr("sync", "--status", "--db", str(path), env=env)
    synced = [line.split("\t")[1] for line in status.out.splitlines()[1:]
              if line.split("\t")[5] == "true"]
    assert synced == ["acme/widgets"]
    cached = bbpr("list", "acme", "--repos", "wid*", "-s", "all", "--cached", "--db", str(path),
                  "--format", "ids", env=env)
    live = bbpr("list", "acme", "--repos", "wid*", "-s", "all", "--format", "ids", env=env)
    assert cached.code == 0 and cached.out == live.out
    none = bbpr("sync", "acme", "--repos", "zzz*", "--db", str(path), env=env)
    assert none.code == 4 and "No repository of acme matches --repos 'zzz*'" in none.err


@pytest.mark.parametrize("queue", ["flag", "state"])
def test_the_merge_queue_flag_is_kept_as_draft_is(fresh_emulator: Emulator, tmp_path: Path,
                                                  queue: str) -> None:
    fresh_emulator.settings.merge_queue = queue
    env, path = cloud_environment(fresh_emulator), tmp_path / "queue.sqlite"
    assert bbpr("sync", "acme/widgets", "--db", str(path), env=env).code == 0
    args = ("acme/widgets", "--state", "all", "--format", "csv", "--fields", "id,draft,queued")
    live, cached = both(env, path, *args)
    assert live.code == cached.code == 0, (live.err, cached.err)
    assert cached.out == live.out
    queued = {line.split(",")[0] for line in live.out.splitlines()[1:]
              if line.endswith(",true")}
    assert queued and queued == {str(pr["id"]) for pr in fresh_emulator.pull_requests(
        "acme", "widgets") if pr["state"] in ("OPEN", "QUEUED") and not pr.get("draft")
        and pr["id"] % 4 == 0}
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM pull_requests WHERE queued = 1").fetchone()[0] \
            == len(queued)


def test_ctrl_c_during_a_sync_says_the_next_one_resumes(fresh_emulator: Emulator,
                                                        tmp_path: Path) -> None:
    import signal
    import time

    fresh_emulator.settings.latency_ms = 150
    process = subprocess.Popen([sys.executable, "-m", "bbpr", "sync", "acme", "--db",
                                str(tmp_path / "copy.sqlite")],
                               env=cloud_environment(fresh_emulator), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    while len(fresh_emulator.requests) < 4 and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    said = [line for line in err.splitlines() if line]
    assert said[-2:] == ["What was read is kept, and the same `bbpr sync` run again resumes "
                         "where this one stopped.", "Interrupted."], err


def test_an_incomplete_copy_says_how_many_repositories_in_all(emulator: Emulator,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    env = cloud_environment(emulator)
    assert bbpr("sync", "acme", "--db", str(path), env=env).code == 0
    with sqlite3.connect(path) as db:
        total = db.execute("SELECT count(*) FROM repositories WHERE position IS NOT NULL"
                           ).fetchone()[0]
        db.execute("UPDATE repositories SET completed_at = NULL")
    assert total > 3
    run = bbpr("list", "acme", "--cached", "--db", str(path), env=env)
    assert run.code == 4
    assert re.search(rf"The local copy of {total} of the {total} repositories \(acme/[\w.-]+, "
                     rf"acme/[\w.-]+, acme/[\w.-]+, and {total - 3} more\) is incomplete",
                     run.err), run.err
    one = bbpr("list", "acme/widgets", "--cached", "--db", str(path), env=env)
    assert "The local copy of acme/widgets is incomplete" in one.err
