"""Keep it so: whatever a server, the local copy or the terminal's settings hold, no run ends
in exit 1 (a bug of bbpr's) or prints a traceback (issue 25).

Three property tests, beside `test_fuzz_inputs` (every option, argument and variable, bytes
that are not UTF-8, bbpr's own state files):

- servers that deviate and lie: the emulator's quirks (`id` filters refused or ignored,
  `sort` ignored, `size` missing or off, drafts hidden, merge queues, gaps in the IDs) and
  its hostile switches (`--hostile` text, `--hostile-slug`, `--lone-surrogates`,
  `--hostile-dates`), several at once, under list, `--count`, view, sync, `--cached` and
  doctor, on Cloud and Data Center;
- a damaged copy: values of any type in any column of any table the schema has (read from
  its migrations), tables and columns dropped, under `--cached`, `sync --status` and syncs;
  where only values were damaged, `sync --full` mends them: the copy then lists what the
  server does;
- the terminal's settings (`COLUMNS`, `LINES`, `BBPR_PAGER`, `PAGER`, `NO_COLOR`, `TERM`) on
  a real pseudo-terminal, where the table and the pager read them.

Fixed examples in CI (`derandomize`, a few seconds each); `FUZZ_N=500` explores afresh, at
random, with that many examples for each (as `test_fuzz_inputs` does).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bbpr.copy import schema
from bbpr.emulator import Emulator
from bbpr.emulator.hostile import DATE_EDGES, SAMPLE, SLUG_SAMPLE
from bbpr.emulator.settings import (
    DRAFTS_HIDDEN,
    ID_FILTERS,
    MERGE_QUEUE,
    MIXED_FIELDS,
    STATE_WITH_Q,
    Settings,
)

from ..conftest import base_environment, bbpr, cloud_environment, run_in_process
from ..terminal import run as on_terminal

EXPLORE = os.environ.get("FUZZ_N")


def budget(examples: int) -> Any:
    """`examples` fixed ones in CI; `FUZZ_N` new ones, at random."""
    return settings(max_examples=int(EXPLORE or examples), deadline=None,
                    derandomize=not EXPLORE,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def never_exit_1(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    code, out, err = run_in_process(args, env, "")
    assert code != 1, f"exit 1 for {args}: {out}{err}"
    assert "Traceback" not in out + err, (args, out, err)
    return code, out, err


@pytest.fixture(scope="module")
def world() -> Iterator[Emulator]:
    """Small repositories in both flavours, the demo ones and three more each."""
    with Emulator(prs=40, seed=17) as emu:
        yield emu


def flavours(emu: Emulator) -> dict[str, tuple[dict[str, str], str]]:
    datacenter = {**base_environment(), "BITBUCKET_SERVER": emu.datacenter_url,
                  "BITBUCKET_TOKEN": emu.dc_demo.token}
    return {"cloud": (cloud_environment(emu), "acme"), "datacenter": (datacenter, "ACME")}


# --- servers that deviate and lie -------------------------------------------------------

hostile_texts = st.one_of(st.just(SAMPLE), st.text(min_size=1, max_size=8).filter(
    lambda text: not any("\ud800" <= c <= "\udfff" for c in text)))
quirks = st.fixed_dictionaries({}, optional={
    "id_filters": st.sampled_from(ID_FILTERS), "sort_ignored": st.booleans(),
    "omit_size": st.booleans(), "size_off_by": st.integers(-4, 4),
    "drafts_hidden": st.sampled_from(DRAFTS_HIDDEN), "merge_queue": st.sampled_from(MERGE_QUEUE),
    "mixed_fields": st.sampled_from(MIXED_FIELDS), "state_with_q": st.sampled_from(STATE_WITH_Q),
    "missing_ids": st.frozensets(st.integers(1, 45), max_size=6),
    "hostile_text": hostile_texts,
    "hostile_slug": st.one_of(st.just(SLUG_SAMPLE), st.sampled_from(["/", "\x00", "%", " "])),
    "lone_surrogates": st.booleans(), "hostile_dates": st.sampled_from(DATE_EDGES)})
listings = st.sampled_from([
    ["-s", "all", "--format", "json"], ["--format", "ids"], ["--count"],
    ["-s", "merged", "--fields", "id,state,closed_on"], ["--draft"], ["--no-draft", "-L", "3"],
    ["-s", "all", "--fields", "id,title,reviewers,approved_by", "--format", "csv"],
    ["--updated-since", "30d", "-s", "all", "--format", "ndjson"], ["--author", "Dana Demo"]])


@contextlib.contextmanager
def serving(emu: Emulator, chosen: dict[str, Any]) -> Iterator[None]:
    before = dataclasses.replace(emu.settings)
    try:
        for name, value in chosen.items():
            setattr(emu.settings, name, value)
        yield
    finally:
        for item in dataclasses.fields(Settings):
            setattr(emu.settings, item.name, getattr(before, item.name))


@budget(8)
@given(chosen=quirks, flavour=st.sampled_from(["cloud", "datacenter"]), listing=listings,
       whole=st.booleans())
def test_a_server_that_deviates_or_lies_never_ends_in_exit_1(
        world: Emulator, chosen: dict[str, Any], flavour: str, listing: list[str],
        whole: bool) -> None:
    env, owner = flavours(world)[flavour]
    repo = f"{owner}/widgets"
    target = owner if whole and "--count" not in listing else repo
    with serving(world, chosen), tempfile.TemporaryDirectory() as directory:
        db = ["--db", f"{directory}/copy.sqlite"]
        never_exit_1(["list", target, *listing, "--max-wait", "5"], env)
        never_exit_1(["view", repo, "3", "--max-wait", "5"], env)
        never_exit_1(["sync", target, *db, "--max-wait", "5"], env)
        never_exit_1(["sync", target, *db, "--max-wait", "5"], env)
        never_exit_1(["list", target, "--cached", *db, "-s", "all", "--format", "json"], env)
        never_exit_1(["sync", "--status", *db], env)
        never_exit_1(["doctor", repo], env)


# --- a damaged copy --------------------------------------------------------------------

TABLES = schema.tables(schema.SCHEMA_VERSION)
NAMES = {("repositories", "host"), ("repositories", "owner"), ("repositories", "slug")}
"""What names a repository's row: damaged, it is a row no sync reaches (a new one is made)."""
WHAT_LIST_READS = "id,title,state,author,updated_on,created_on,draft,reviewers,participants"
stored_values = st.one_of(
    st.none(), st.integers(-(2 ** 63), 2 ** 63 - 1), st.floats(allow_nan=False),
    st.binary(max_size=8), st.text(max_size=12).filter(
        lambda text: not any("\ud800" <= c <= "\udfff" for c in text)),
    st.sampled_from(["not a time", "2026-13-45T99:99:99.000000Z", "0001-01-01T00:00:00.000000Z",
                     "9999-12-31T23:59:59.999999Z", "2026-01-01", "OPEN", "\x1b[2J", "{}", "",
                     "1e999", "true"]))
damages = st.lists(st.tuples(st.sampled_from(sorted(TABLES)), st.data()), min_size=1,
                   max_size=3)
dropped = st.one_of(st.none(), st.sampled_from(sorted(TABLES)), st.sampled_from(sorted(
    (table, column) for table, columns in TABLES.items() for column in columns)))


@pytest.fixture(scope="module")
def synced(world: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A copy of each flavour's workspace or project, to copy for each example."""
    copies = {}
    for flavour, (env, owner) in flavours(world).items():
        path = tmp_path_factory.mktemp("synced") / f"{flavour}.sqlite"
        code, _, err = run_in_process(["sync", owner, "--db", str(path)], env, "")
        assert code == 0, err
        copies[flavour] = path
    return copies


def damage(path: Path, table: str, column: str, value: object) -> None:
    """`value` into `column` of the first row of `table`, if SQLite takes it there."""
    with contextlib.closing(sqlite3.connect(path)) as db, contextlib.suppress(sqlite3.Error):
        db.execute("PRAGMA foreign_keys = OFF")
        key = ", ".join(name for _, name in sorted(
            (row[5], row[1]) for row in db.execute("SELECT * FROM pragma_table_info(?)",
                                                   (table,)) if row[5])) or "rowid"
        first = db.execute(f"SELECT {key} FROM {table} LIMIT 1").fetchone()
        if first is not None:
            db.execute(f"UPDATE {table} SET {column} = ? WHERE ({key}) = "
                       f"({', '.join('?' * len(first))})", (value, *first))
            db.commit()


def drop(path: Path, what: str | tuple[str, str]) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db, contextlib.suppress(sqlite3.Error):
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute(f"DROP TABLE {what}" if isinstance(what, str)
                   else f"ALTER TABLE {what[0]} DROP COLUMN {what[1]}")
        db.commit()


@budget(25)
@given(flavour=st.sampled_from(["cloud", "datacenter"]), chosen=damages, removed=dropped)
def test_a_damaged_copy_never_ends_in_exit_1_and_a_full_sync_mends_its_values(
        world: Emulator, synced: dict[str, Path], flavour: str,
        chosen: list[tuple[str, Any]], removed: str | tuple[str, str] | None) -> None:
    env, owner = flavours(world)[flavour]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "copy.sqlite"
        path.write_bytes(synced[flavour].read_bytes())
        columns = set()
        for table, data in chosen:
            column = data.draw(st.sampled_from(sorted(TABLES[table])))
            damage(path, table, column, data.draw(stored_values))
            columns.add((table, column))
        if removed is not None:
            drop(path, removed)
        db = ["--db", str(path)]
        for args in (["list", owner, "--cached", "-s", "all", "--fields", WHAT_LIST_READS],
                     ["list", f"{owner}/widgets", "--cached", "--reviewer", "dana"],
                     ["sync", "--status"], ["sync", owner], ["sync", f"{owner}/widgets"],
                     ["list", owner, "--cached"], ["sync", owner, "--full"]):
            never_exit_1([*args, *db], env)
        listed = never_exit_1(["list", owner, "--cached", "-s", "all", "--fields",
                               WHAT_LIST_READS, "--format", "json", *db], env)
    if removed is None and not columns & NAMES:
        live = never_exit_1(["list", owner, "-s", "all", "--fields", WHAT_LIST_READS,
                             "--format", "json"], env)
        assert listed[0] == 0, listed[2]
        assert json.loads(listed[1]) == json.loads(live[1])


# --- the terminal's settings ---------------------------------------------------------------

terminal_values = st.one_of(
    st.sampled_from(["", "0", "-3", "abc", "1.5", "99999999999999999999", "\t80", "٣", "cat",
                     '"x', "less 'unclosed", "trailing\\", "/nonexistent/pager", "sh -c 'exit 3'",
                     "dumb", "1"]),
    st.text(st.sampled_from("0123456789 -'\"\\abc"), max_size=6))
terminal_settings = st.fixed_dictionaries({}, optional={
    name: terminal_values for name in ("COLUMNS", "LINES", "BBPR_PAGER", "PAGER", "NO_COLOR",
                                       "TERM")})


@budget(6)
@given(chosen=terminal_settings)
def test_the_terminal_settings_never_end_in_exit_1(emulator: Emulator,
                                                   chosen: dict[str, str]) -> None:
    env = {**cloud_environment(emulator), **chosen}
    if "PAGER" in chosen and "BBPR_PAGER" not in chosen:
        del env["BBPR_PAGER"]  # else PAGER is never read (and `less` would wait for a key)
    screen = on_terminal("bbpr list acme/widgets -s all", env, rows=24, columns=100)
    assert screen.code in (0, 141), screen.output  # a pager that quits early closes the pipe
    assert "Traceback" not in screen.output and "unexpectedly" not in screen.output
    status = bbpr("sync", "--status", "--db", "/nonexistent/copy.sqlite", env=env)
    assert status.code != 1 and "Traceback" not in status.err
