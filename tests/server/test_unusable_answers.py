"""Answers whose syntax is right and whose meaning no client may take on trust, from the
emulator's switches (`--hostile-slug`, `--lone-surrogates`, `--hostile-dates`), Cloud and
Data Center, through the real command line: a repository whose slug no URL holds as it is
fails alone, named and escaped, and the others are listed; a title holding an unpaired
surrogate is kept with U+FFFD, said once, and JSON stays valid; times at the edges of the
calendar never end a run in exit 1. And the names bbpr puts in a path are each one segment,
whatever they hold."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bbpr.emulator import Emulator
from bbpr.emulator.hostile import DATE_EDGES, SLUG_SAMPLE
from bbpr.http.surrogates import NOTE, replaced

from ..conftest import base_environment, cloud_environment, run_in_process

ODD = ["a\tb", "a/b", "nul\x00", "esc\x1b[2J", "del\x7f", "a b", "é%2F"]
"""Slugs a server may list: each one segment of a path, percent-encoded whole."""


@pytest.fixture(scope="module")
def odd() -> Iterator[Emulator]:
    with Emulator(prs=30, seed=9) as emu:
        for slug in ODD:
            emu.add_repository("acme", "odd", prs=3, slug=slug)
            emu.add_dc_repository("ACME", "odd", prs=3, slug=slug)
        yield emu


def flavours(emu: Emulator) -> dict[str, tuple[dict[str, str], str]]:
    datacenter = {**base_environment(), "BITBUCKET_SERVER": emu.datacenter_url,
                  "BITBUCKET_TOKEN": emu.dc_demo.token}
    return {"cloud": (cloud_environment(emu), "acme"), "datacenter": (datacenter, "ACME")}


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    code, out, err = run_in_process(list(args), env, "")
    assert code != 1 and "Traceback" not in out + err, (args, out, err)
    return code, out, err


def truth(emu: Emulator, flavour: str, owner: str, slug: str) -> set[int]:
    if flavour == "cloud":
        return {pr["id"] for pr in emu.pull_requests(owner, slug)}
    return {pr["id"] for pr in emu.dc_pull_requests(owner, slug)}


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_a_slug_of_any_characters_is_one_segment_of_the_address(odd: Emulator,
                                                                 flavour: str) -> None:
    env, owner = flavours(odd)[flavour]
    code, out, err = run(env, "list", owner, "-s", "all", "--format", "json", "--fields",
                         "id,repository")
    assert code == 0, err
    listed = json.loads(out)
    for slug in ODD:
        ids = {record["id"] for record in listed if record["repository"] == f"{owner}/{slug}"}
        assert ids == truth(odd, flavour, owner, slug), slug


@pytest.fixture
def hostile_slugs() -> Iterator[Emulator]:
    with Emulator(prs=30, seed=9) as emu:
        emu.settings.hostile_slug = SLUG_SAMPLE
        yield emu


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_a_repository_whose_slug_leads_nowhere_fails_alone_named_and_escaped(
        hostile_slugs: Emulator, flavour: str, tmp_path: Path) -> None:
    env, owner = flavours(hostile_slugs)[flavour]
    code, out, err = run(env, "list", owner, "-s", "all", "--format", "ndjson", "--fields",
                         "id,repository")
    assert code in (4, 5), err
    records = [json.loads(line) for line in out.splitlines()]
    assert {record["repository"] for record in records} == {f"{owner}/widgets"}
    assert {record["id"] for record in records} == truth(hostile_slugs, flavour, owner,
                                                         "widgets")
    assert "could not be listed; the others were listed in full" in err
    assert f"{owner}/api-gateway" in err and "\\x1b[2J\\x7f x" in err
    assert "\x1b" not in err and "\x7f" not in err
    db = str(tmp_path / "copy.sqlite")
    code, _, err = run(env, "sync", owner, "--db", db)
    assert code in (4, 5) and "could not be synced; the others were synced in full" in err
    code, out, _ = run(env, "list", f"{owner}/widgets", "--cached", "--db", db, "-s", "all",
                       "--format", "ids")
    assert code == 0
    assert {int(n) for n in out.split()} == truth(hostile_slugs, flavour, owner, "widgets")


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_a_slug_that_would_name_another_resource_is_never_asked_for(flavour: str) -> None:
    with Emulator(prs=20, seed=5) as emu:
        for slug in (".", ".."):
            emu.add_repository("acme", "dots", prs=2, slug=slug)
            emu.add_dc_repository("ACME", "dots", prs=2, slug=slug)
        env, owner = flavours(emu)[flavour]
        code, out, err = run(env, "list", owner, "-s", "all", "--format", "ndjson", "--fields",
                             "id,repository")
        asked = {request.path for request in emu.requests}
    assert code == 5, err
    for slug in (".", ".."):
        assert (f"{owner}/{slug}: The name '{slug}' the server gave cannot be put in an "
                "address") in err
    assert not [path for path in asked if "/./" in path or "/../" in path or path.endswith(
        ("/.", "/.."))]
    listed = {json.loads(line)["repository"] for line in out.splitlines()}
    assert f"{owner}/widgets" in listed and f"{owner}/." not in listed


@pytest.fixture
def surrogates() -> Iterator[Emulator]:
    with Emulator(prs=40, seed=2) as emu:
        emu.settings.lone_surrogates = True
        yield emu


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_a_lone_surrogate_keeps_the_record_with_u_fffd_said_once(
        surrogates: Emulator, flavour: str, tmp_path: Path) -> None:
    env, owner = flavours(surrogates)[flavour]
    repo = f"{owner}/widgets"
    code, out, err = run(env, "list", owner, "-s", "all", "--format", "json", "--fields",
                         "id,repository,title")
    assert code == 0, err
    records = json.loads(out)
    widgets = [record for record in records if record["repository"] == repo]
    assert {record["id"] for record in widgets} == truth(surrogates, flavour, owner, "widgets")
    assert all(record["title"][3] == "\ufffd" for record in records)
    assert err.count(NOTE) == 1
    db = str(tmp_path / "copy.sqlite")
    code, _, err = run(env, "sync", repo, "--db", db)
    assert code == 0 and err.count(NOTE) == 1
    code, out, err = run(env, "list", repo, "--cached", "--db", db, "-s", "all", "--format",
                         "ndjson", "--fields", "id,title")
    assert code == 0 and all(json.loads(line)["title"][3] == "\ufffd"
                             for line in out.splitlines())
    code, out, err = run(env, "view", repo, str(min(record["id"] for record in widgets)))
    assert code == 0 and "\ufffd" in out and err.count(NOTE) == 1
    quiet = run(env, "list", repo, "-q")
    assert quiet[0] == 0 and NOTE not in quiet[2]


@pytest.mark.parametrize("edge", DATE_EDGES)
@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_times_at_the_edges_of_the_calendar_never_end_in_exit_1(
        flavour: str, edge: str, tmp_path: Path) -> None:
    with Emulator(prs=40, seed=3) as emu:
        emu.settings.hostile_dates = edge
        env, owner = flavours(emu)[flavour]
        db = str(tmp_path / "copy.sqlite")
        codes = [run(env, *args)[0] for args in (
            ["list", owner, "-s", "all"], ["list", f"{owner}/widgets", "--count"],
            ["list", f"{owner}/widgets", "--updated-since", "7d", "-s", "all"],
            ["view", f"{owner}/widgets", "3"], ["sync", owner, "--db", db],
            ["sync", owner, "--db", db], ["list", owner, "--cached", "--db", db, "-s", "all"],
            ["sync", "--status", "--db", db], ["doctor", f"{owner}/widgets"])]
    assert set(codes) == {0}, codes  # a time that is none is unknown, not a broken page


def test_only_unpaired_surrogates_are_replaced() -> None:
    assert replaced(rb'{"t": "a\ud800b"}') == rb'{"t": "a\ufffdb"}'
    assert replaced(rb'{"t": "\udc00\ud83d\ude00\ud83d"}') == (
        rb'{"t": "\ufffd\ud83d\ude00\ufffd"}')
    assert replaced(rb'{"t": "\\ud800"}') is None  # an escaped backslash, then text
    assert replaced(rb'{"t": "\\\ud800"}') == rb'{"t": "\\\ufffd"}'
    assert replaced(rb'{"t": "\ud83d\ude00", "u": "\u00e9"}') is None
    assert replaced(b'{"t": "plain"}') is None
