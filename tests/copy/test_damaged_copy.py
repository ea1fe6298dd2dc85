"""A damaged copy (a value bbpr never writes, a table or column dropped, a corrupt file) and a
disk that fills up: named, with what mends it, exit 2 or 5, never the exit 1 of a bug; a sync
never makes it worse, and `sync --full` mends every value it reads again. The tables come from
the schema's own migrations (`schema.tables`), so a table added later is covered too."""

from __future__ import annotations

import contextlib
import resource
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bbpr.copy import schema
from bbpr.emulator import Emulator

from ..conftest import bbpr, cloud_environment, run_in_process

TABLES = schema.tables(schema.SCHEMA_VERSION)
KEYS = {"id", "repository_id", "pull_request_id", "position", "event_key"}
"""Columns whose damage a row cannot take (keys, references): damaged in the values test
only where SQLite lets them be."""
NAMES = {("repositories", "host"), ("repositories", "owner"), ("repositories", "slug")}
"""What names a repository's row: damaged, the row is no repository a sync reaches."""
WHAT_LIST_READS = "id,title,state,author,updated_on,created_on,draft,reviewers,participants"


@pytest.fixture(scope="module")
def synced(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the acme workspace, review data included, to copy for each test."""
    path = tmp_path_factory.mktemp("damaged") / "template.sqlite"
    run = bbpr("sync", "acme", "--db", str(path), env=cloud_environment(emulator))
    assert run.code == 0, run.err
    return path


@pytest.fixture
def copy(synced: Path, tmp_path: Path) -> Path:
    path = tmp_path / "copy.sqlite"
    path.write_bytes(synced.read_bytes())
    return path


def run(emu: Emulator, *args: str) -> tuple[int, str, str]:
    code, out, err = run_in_process(list(args), cloud_environment(emu), "")
    assert code != 1 and "Traceback" not in out + err, (args, out, err)
    return code, out, err


def listing(emu: Emulator, path: Path) -> tuple[int, str, str]:
    return run(emu, "list", "acme", "--cached", "--db", str(path), "-s", "all", "--fields",
               WHAT_LIST_READS, "--format", "json")


def live(emu: Emulator) -> str:
    code, out, err = run(emu, "list", "acme", "-s", "all", "--fields", WHAT_LIST_READS,
                         "--format", "json")
    assert code == 0, err
    return out


def damage(path: Path, table: str, values: dict[str, object]) -> None:
    """Put `values` (column: value) into the first row of `table`, each column that takes it
    (a key that must stay unique or not null is no value to damage)."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys = OFF")
        key = ", ".join(name for _, name in sorted(
            (row[5], row[1]) for row in db.execute("SELECT * FROM pragma_table_info(?)",
                                                   (table,)) if row[5])) or "rowid"
        first = db.execute(f"SELECT {key} FROM {table} LIMIT 1").fetchone()
        if first is None:
            return
        for column, value in values.items():
            with contextlib.suppress(sqlite3.IntegrityError):
                db.execute(f"UPDATE {table} SET {column} = ? WHERE ({key}) = "
                           f"({', '.join('?' * len(first))})", (value, *first))
            if column in key.split(", "):
                first = db.execute(f"SELECT {key} FROM {table} WHERE {column} IS ? LIMIT 1",
                                   (value,)).fetchone() or first


@pytest.mark.parametrize("value", [b"\xff\x00", "not a time", -7, 2.5, "\x1b[2J"],
                         ids=["blob", "text", "negative", "real", "escape"])
@pytest.mark.parametrize("table", sorted(TABLES))
def test_a_value_bbpr_never_writes_is_named_and_a_full_sync_mends_it(
        emulator: Emulator, copy: Path, table: str, value: object) -> None:
    truth = live(emulator)
    damage(copy, table, {column: value for column in TABLES[table] - KEYS
                         if (table, column) not in NAMES})
    before = copy.read_bytes()
    db = ["--db", str(copy)]
    for args in (["list", "acme", "--cached", "-s", "all", "--fields", WHAT_LIST_READS],
                 ["list", "acme/widgets", "--cached", "--author", "Dana Demo"],
                 ["sync", "--status"]):
        code, _, err = run(emulator, *args, *db)
        assert copy.read_bytes() == before  # a read never writes
        if code == 2 and "damaged" in err:
            assert f"{copy} is damaged: {table}." in err or "is damaged: " in err, err
            assert "--full" in err or "another --db" in err
    code, _, err = run(emulator, "sync", "acme", *db)
    assert code == 0, err
    code, _, err = run(emulator, "sync", "acme", "--full", *db)
    assert code == 0, err
    code, out, err = listing(emulator, copy)
    assert code == 0 and out == truth, err
    code, _, err = run(emulator, "sync", "--status", *db)
    assert code == 0, err


def test_what_is_damaged_is_named_with_the_sync_that_mends_it(emulator: Emulator,
                                                                copy: Path) -> None:
    damage(copy, "pull_requests", {"updated_on": "not a time"})
    code, _, err = listing(emulator, copy)
    assert code == 2
    assert err.startswith(f"{copy} is damaged: pull_requests.updated_on holds 'not a time', "
                          "which is not a time. Run `bbpr sync acme --db ")
    assert "--full` to read it again from the server, or give another --db." in err
    code, _, err = run(emulator, "sync", "--status", "--db", str(copy))
    assert code == 2 and "pull_requests.updated_on holds 'not a time'" in err
    assert "Run `bbpr sync acme/" in err  # the repository that holds it
    damage(copy, "repositories", {"watermark": "garbage"})
    code, _, err = run(emulator, "sync", "acme", "--db", str(copy))
    assert code == 0, err  # a watermark it cannot read: the repository is read whole


@pytest.mark.parametrize("column", sorted(column for _, column in NAMES))
def test_a_repository_whose_name_is_damaged_is_one_no_sync_reaches(
        emulator: Emulator, copy: Path, column: str) -> None:
    damage(copy, "repositories", {column: b"\xff\x00"})
    code, _, err = run(emulator, "sync", "--status", "--db", str(copy))
    assert code == 2
    assert f"is damaged: repositories.{column} holds b'\\xff\\x00', which is not text. A sync " \
           "cannot mend that: move the file aside" in err, err
    code, _, err = run(emulator, "sync", "acme", "--full", "--db", str(copy))
    assert code == 0, err  # the repository is synced again, in a row of its own
    code, out, err = listing(emulator, copy)
    assert code == 0 and out == live(emulator)


@pytest.mark.parametrize("table", sorted(TABLES))
def test_a_dropped_table_is_named_and_no_sync_writes_to_the_copy(emulator: Emulator,
                                                                copy: Path, table: str) -> None:
    with sqlite3.connect(copy) as db:
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute(f"DROP TABLE {table}")
    before = copy.read_bytes()
    for args in (["list", "acme", "--cached"], ["sync", "--status"], ["sync", "acme"],
                 ["sync", "acme", "--full"]):
        code, _, err = run(emulator, *args, "--db", str(copy))
        assert code == 2, (args, err)
        assert (f"{copy} is damaged: its table {table} is missing. A sync cannot mend that: "
                "move the file aside") in err
    assert copy.read_bytes() == before


def test_a_dropped_column_is_named(emulator: Emulator, copy: Path) -> None:
    with sqlite3.connect(copy) as db:
        db.execute("ALTER TABLE repositories DROP COLUMN watermark")
    code, _, err = run(emulator, "sync", "acme", "--db", str(copy))
    assert code == 2 and "its table repositories has no column watermark" in err


def test_a_corrupt_file_is_named(emulator: Emulator, copy: Path) -> None:
    size = copy.stat().st_size
    with copy.open("r+b") as file:
        file.seek(size // 2)
        file.write(b"\xff" * (size // 3))
    for args in (["list", "acme", "--cached", "-s", "all"], ["sync", "--status"],
                 ["sync", "acme", "--full"]):
        code, _, err = run(emulator, *args, "--db", str(copy))
        assert code in (0, 2), err
        if code == 2:
            assert "damaged" in err or "not a bbpr database" in err, err


@pytest.fixture
def big() -> Iterator[Emulator]:
    with Emulator(prs=1500, seed=4) as emu:
        yield emu


def sync_limited(emu: Emulator, db: Path, limit: int | None) -> subprocess.CompletedProcess[str]:
    def limited() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "bbpr", "sync", "acme/widgets", "--db", str(db)],
                          env=cloud_environment(emu), capture_output=True, text=True,
                          preexec_fn=limited, timeout=120, check=False)


def test_a_file_size_limit_met_mid_sync_is_said_and_the_next_sync_goes_on(
        big: Emulator, tmp_path: Path) -> None:
    db = tmp_path / "copy.sqlite"
    stopped = sync_limited(big, db, 200_000)
    assert stopped.returncode == 5, stopped.stderr
    assert (f"Writing {db} failed (disk I/O error): its disk is full or failing, or its file "
            "size limit was met (ulimit -f: 200,000 bytes). The copy is intact, and the next "
            "`bbpr sync` goes on from there.") in stopped.stderr
    assert "read before this are kept" in stopped.stderr
    with sqlite3.connect(db) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kept = copy.execute("SELECT count(*) FROM pull_requests").fetchone()[0]
    assert kept > 0
    done = sync_limited(big, db, None)
    assert done.returncode == 0, done.stderr
    listed = bbpr("list", "acme/widgets", "--cached", "--db", str(db), "-s", "all", "--format",
                  "ids", env=cloud_environment(big))
    assert len(listed.out.split()) == len(big.pull_requests("acme", "widgets"))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 300 KiB tmpfs, where this machine lets the tests mount one (root in a container that
    may mount): a disk that really fills up."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(where)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("no tmpfs can be mounted here")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


def test_a_disk_that_fills_up_mid_sync_is_said_and_the_next_sync_goes_on(
        big: Emulator, small_disk: Path, tmp_path: Path) -> None:
    db = small_disk / "copy.sqlite"
    stopped = sync_limited(big, db, None)
    assert stopped.returncode == 5, stopped.stderr
    assert (f"The disk holding {db} is full. The copy is intact, and the next `bbpr sync` goes "
            "on from there once there is room.") in stopped.stderr
    moved = tmp_path / "copy.sqlite"  # room again: the same file, on a bigger disk
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{db}{suffix}").exists():
            shutil.move(f"{db}{suffix}", f"{moved}{suffix}")
    done = sync_limited(big, moved, None)
    assert done.returncode == 0, done.stderr
    listed = bbpr("list", "acme/widgets", "--cached", "--db", str(moved), "-s", "all",
                  "--format", "ids", env=cloud_environment(big))
    assert len(listed.out.split()) == len(big.pull_requests("acme", "widgets"))
