"""The local copy's file, through the real command line: a read never writes, a file that is
not a bbpr copy is refused untouched, and every way a `--db` can be wrong is exit 2 (or 5
for a file that another program keeps locked), never the exit 1 of a bug; the file and the
directories bbpr makes are its owner's only, and a mode its owner gave is kept."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bbpr.copy import schema
from bbpr.emulator import Emulator

from ..conftest import base_environment, bbpr, cloud_environment


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def copy(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("copy") / "copy.sqlite"
    run = bbpr("sync", "acme/widgets", "--db", str(path), env=cloud_environment(emulator))
    assert run.code == 0, run.err
    return path


@pytest.fixture
def read_only() -> Iterator[list[Path]]:
    """Paths to make unwritable: by mode, or, for root (whom modes do not stop), with the
    immutable attribute. Restored afterwards."""
    made: list[Path] = []
    yield made
    for path in reversed(made):
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=False)
        path.chmod(0o755 if path.is_dir() else 0o644)


def make_read_only(path: Path, made: list[Path]) -> None:
    made.append(path)
    path.chmod(0o555 if path.is_dir() else 0o444)
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip("root, on a file system without the immutable attribute")


def test_cached_on_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE parts (name TEXT)")
        db.execute("INSERT INTO parts VALUES ('bolt')")
    before = digest(path)
    for args in (["list", "acme/widgets", "--cached", "--db", str(path)],
                 ["sync", "acme/widgets", "--db", str(path)],
                 ["sync", "--status", "--db", str(path)]):
        run = bbpr(*args, env=base_environment() | {"BITBUCKET_API_URL": "http://127.0.0.1:9/2.0"})
        assert run.code == 2, (args, run.err)
        assert f"{path} is not a bbpr database" in run.err
        assert "Traceback" not in run.err
    assert digest(path) == before
    with sqlite3.connect(path) as db:
        assert [row[0] for row in db.execute("SELECT name FROM sqlite_master")] == ["parts"]


def test_cached_never_writes_the_copy(emulator: Emulator, copy: Path,
                                     read_only: list[Path]) -> None:
    make_read_only(copy, read_only)
    make_read_only(copy.parent, read_only)
    before = digest(copy)
    env = base_environment() | {"BITBUCKET_API_URL": emulator.cloud_api_url}
    run = bbpr("list", "acme/widgets", "--state", "all", "--cached", "--db", str(copy), env=env)
    assert run.code == 0, run.err
    assert len(run.out.splitlines()) > 10
    status = bbpr("sync", "--status", "--db", str(copy), env=base_environment())
    assert status.code == 0 and "acme/widgets" in status.out
    assert digest(copy) == before


def test_a_copy_from_a_newer_bbpr_says_which_schema_made_it(copy: Path, tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite"
    newer.write_bytes(copy.read_bytes())
    with sqlite3.connect(newer) as db:
        db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 4}")
    run = bbpr("list", "acme/widgets", "--cached", "--db", str(newer), env=base_environment())
    assert run.code == 2
    assert f"written by a newer bbpr (schema version {schema.SCHEMA_VERSION + 4}" in run.err


def test_a_copy_that_another_program_keeps_locked_is_exit_5(emulator: Emulator,
                                                              copy: Path, tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite"
    path.write_bytes(copy.read_bytes())
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         f"db = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
         "db.execute('PRAGMA locking_mode = EXCLUSIVE'); db.execute('BEGIN EXCLUSIVE')\n"
         "print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        run = bbpr("sync", "acme/widgets", "--db", str(path), env=cloud_environment(emulator))
    finally:
        holder.kill()
        holder.wait()
    assert run.code == 5, run.err
    assert "stayed locked by another program" in run.err


@pytest.mark.parametrize("where", ["under a file", "a directory", "in a read-only directory",
                                   "a read-only file"])
def test_every_wrong_db_is_exit_2_with_a_sentence(emulator: Emulator, copy: Path,
                                                  tmp_path: Path, read_only: list[Path],
                                                  where: str) -> None:
    (tmp_path / "file").write_text("x")
    if where == "under a file":
        path = tmp_path / "file" / "copy.sqlite"
    elif where == "a directory":
        path = tmp_path
    elif where == "in a read-only directory":
        (tmp_path / "locked").mkdir()
        make_read_only(tmp_path / "locked", read_only)
        path = tmp_path / "locked" / "copy.sqlite"
    else:
        path = tmp_path / "copy.sqlite"
        path.write_bytes(copy.read_bytes())
        make_read_only(path, read_only)
    env = cloud_environment(emulator)
    for args in (["sync", "acme/widgets", "--db", str(path)],
                 ["list", "acme/widgets", "--cached", "--db", str(path)]):
        run = bbpr(*args, env=env)
        if where == "a read-only file" and args[0] == "list":
            assert run.code == 0, run.err  # reading needs no write access
            continue
        if where == "in a read-only directory" and args[0] == "list":
            assert run.code == 4  # nothing there to read
            continue
        assert run.code == 2, (args, run.err)
        assert "Traceback" not in run.err and "unexpectedly" not in run.err
        assert str(path) in run.err and "--db" in run.err


def test_db_without_cached_is_refused(emulator: Emulator, tmp_path: Path) -> None:
    run = bbpr("list", "acme/widgets", "--db", str(tmp_path / "x.sqlite"),
               env=cloud_environment(emulator))
    assert run.code == 2
    assert "add --cached" in run.err


def test_the_copy_and_the_directories_bbpr_makes_are_owner_only(
        emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "copy.sqlite"
    run = bbpr("sync", "acme/widgets", "--db", str(path), env=cloud_environment(emulator),
               umask=0o022)
    assert run.code == 0, run.err
    made = [path, path.with_name("copy.sqlite.lock"), path.with_name("copy.sqlite-wal")]
    for file in made:
        if file.exists():  # the WAL may be checkpointed away at close
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for directory in (path.parent, path.parent.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory


def test_an_existing_copy_keeps_the_mode_its_owner_gave_it(
        emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    first = bbpr("sync", "acme/widgets", "--db", str(path), env=cloud_environment(emulator))
    assert first.code == 0, first.err
    path.chmod(0o640)  # shared with a group, on purpose
    again = bbpr("sync", "acme/widgets", "--db", str(path), env=cloud_environment(emulator))
    assert again.code == 0, again.err
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
