"""Two syncs that meet on one file, and a server whose data is dated ahead of its clock: the
copy stays exact, and `sync --status` stays true."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bbpr.emulator import Emulator
from bbpr.emulator.messages import Request, Response

from ..conftest import bbpr, cloud_environment


@pytest.fixture
def held() -> Iterator[tuple[Emulator, threading.Event, threading.Event]]:
    """An emulator whose pull request lists wait until `release` is set; `arrived` tells
    that the first one came in."""
    arrived, release = threading.Event(), threading.Event()
    with Emulator(prs=60, seed=3) as emu:
        emu.add_repository("acme", "big", prs=400)

        def hold(request: Request) -> Response | None:
            if request.path.endswith("/pullrequests"):
                arrived.set()
                release.wait(60)
            return None

        emu.hooks.append(hold)
        yield emu, arrived, release
        release.set()


def stored_ids(path: Path, slug: str) -> list[int]:
    with sqlite3.connect(path) as db:
        return sorted(row[0] for row in db.execute(
            "SELECT p.id FROM pull_requests p JOIN repositories r ON r.id = p.repository_id "
            "WHERE r.slug = ?", (slug,)))


def server_ids(emu: Emulator, slug: str) -> list[int]:
    return sorted(pr["id"] for pr in emu.pull_requests("acme", slug))


def start_sync(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bbpr", "sync", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("full", [False, True], ids=["first syncs", "two --full passes"])
def test_a_second_sync_of_the_same_file_refuses_at_once_and_the_copy_stays_exact(
        held: tuple[Emulator, threading.Event, threading.Event], tmp_path: Path,
        full: bool) -> None:
    emu, arrived, release = held
    env = cloud_environment(emu)
    path = tmp_path / "copy.sqlite"
    extra = ("--full",) if full else ()
    if full:  # a complete copy first, then two full passes meet
        release.set()
        assert bbpr("sync", "acme/big", "--db", str(path), env=env).code == 0
        release.clear()
        arrived.clear()
    first = start_sync(env, "acme/big", "--db", str(path), *extra)
    try:
        assert arrived.wait(30), "the first sync never asked for pull requests"
        started = time.monotonic()
        second = bbpr("sync", "acme/big", "--db", str(path), *extra, env=env)
        assert time.monotonic() - started < 20  # at once, not after the first one
    finally:
        release.set()
        _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert second.code == 5, second.err
    # The holder as it was typed: a --full pass is named as one.
    command = "bbpr sync acme/big --full" if full else "bbpr sync acme/big"
    assert f"Another bbpr sync (process {first.pid}, `{command}`, started" in second.err
    assert "stopped without changing it" in second.err
    assert "Traceback" not in second.err
    assert stored_ids(path, "big") == server_ids(emu, "big")
    status = bbpr("sync", "--status", "acme/big", "--db", str(path), env=env)
    assert status.code == 0
    _, name, count, _, _, completed, close_times, events = (
        status.out.splitlines()[1].split("\t"))
    assert (name, int(count), completed, close_times, events) == (
        "acme/big", 400, "true", "false", "false")


def test_the_lock_of_a_killed_sync_does_not_block_the_next(
        held: tuple[Emulator, threading.Event, threading.Event], tmp_path: Path) -> None:
    emu, arrived, release = held
    env = cloud_environment(emu)
    path = tmp_path / "copy.sqlite"
    first = start_sync(env, "acme/big", "--db", str(path))
    assert arrived.wait(30)
    first.kill()
    first.communicate(timeout=30)
    release.set()
    assert (tmp_path / "copy.sqlite.lock").exists()  # left behind, and harmless
    again = bbpr("sync", "acme/big", "--db", str(path), env=env)
    assert again.code == 0, again.err
    assert stored_ids(path, "big") == server_ids(emu, "big")


def test_a_record_dated_ahead_of_the_server_clock_does_not_freeze_incremental_sync(
        fresh_emulator: Emulator, tmp_path: Path) -> None:
    emu = fresh_emulator
    env = cloud_environment(emu)
    path = tmp_path / "copy.sqlite"
    assert bbpr("sync", "acme/widgets", "--db", str(path), env=env).code == 0
    ahead = datetime.now(UTC) + timedelta(days=3)  # clock skew, or imported data
    emu.create_pull_request("acme", "widgets", title="from the future", updated_on=ahead)
    assert bbpr("sync", "acme/widgets", "--db", str(path), env=env).code == 0
    later = emu.create_pull_request("acme", "widgets", title="made after the skewed one")
    emu.set_state("acme", "widgets", 3, "DECLINED")
    run = bbpr("sync", "acme/widgets", "--db", str(path), env=env)
    assert run.code == 0, run.err
    with sqlite3.connect(path) as db:
        titles = {row[0] for row in db.execute("SELECT title FROM pull_requests")}
        state = db.execute("SELECT state FROM pull_requests WHERE id = 3").fetchone()[0]
    assert "made after the skewed one" in titles, later
    assert state == "DECLINED"
    status = bbpr("sync", "--status", "--db", str(path), env=env)
    assert status.code == 0
    assert "after its last complete pass" in status.err
    assert "the server's clock and its data disagree" in status.err
