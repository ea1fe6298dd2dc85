"""The ledger of requests (`bbpr.http.ledger`) on a real SQLite file: clocks that jump either
way (it errs high, never low, and never for longer than a window), a server's `Date` as a
check, a file it cannot use (the run keeps its allowance in memory), a file edited by hand,
and its mode. The clocks are the test's own: the time of day, and the machine's boot."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from bbpr.http import Ledger

HOUR = 3600.0
DAY = 86_400.0
NOW = 1_800_000_000.0


class Clocks:
    """The time of day and the seconds since boot, each moved by the test."""

    def __init__(self, boot: str | None = "boot-1") -> None:
        self.now = NOW
        self.up = 10_000.0
        self.boot = boot

    def wall(self) -> float:
        return self.now

    def since_boot(self) -> tuple[str, float] | None:
        return None if self.boot is None else (self.boot, self.up)

    def ledger(self, path: Path, window: float = HOUR) -> Ledger:
        return Ledger(path, "k", window, clock=self.wall, boot=self.since_boot)

    def wait(self, seconds: float) -> None:
        """Time passes: both clocks move."""
        self.now += seconds
        self.up += seconds


def spend(ledger: Ledger, requests: int, allowance: int) -> int:
    """Take up to `requests`; how many were counted."""
    return sum(ledger.take(allowance) == 0 for _ in range(requests))


def test_a_clock_set_back_counts_more_never_less(tmp_path: Path) -> None:
    clocks = Clocks(boot=None)  # no boot clock: the time of day alone
    ledger = clocks.ledger(tmp_path / "ledger.sqlite")
    assert spend(ledger, 5, 10) == 5
    clocks.now -= 2 * HOUR  # the clock went back two hours: the five are still counted
    assert ledger.spent() == 5
    clocks.now += 2 * HOUR + HOUR + 3  # an hour after they were sent, they are gone
    assert ledger.spent() == 0


def test_a_clock_behind_then_corrected_still_counts_what_it_sent(tmp_path: Path) -> None:
    """Issue 24: a run with the clock two hours behind, then one with the clock right, let
    11 requests through under an allowance of 6. The boot's clock dates them truly."""
    path = tmp_path / "ledger.sqlite"
    clocks = Clocks()
    clocks.now -= 2 * HOUR
    assert spend(clocks.ledger(path), 10, 6) == 6
    clocks.now += 2 * HOUR  # corrected
    clocks.wait(60)
    later = clocks.ledger(path)
    assert spend(later, 10, 6) == 0
    assert later.spent() == 6
    # They free an hour after they were sent, not three hours after.
    assert HOUR - 120 < later.free_at(1, 6) - clocks.now <= HOUR


@pytest.mark.parametrize("ahead", [DAY, 365 * DAY], ids=["a day", "a year"])
def test_a_run_with_the_clock_ahead_holds_the_next_for_a_window_at_most(
        tmp_path: Path, ahead: float) -> None:
    """Issue 24: one run a day ahead made the next wait 25 h; a year ahead refused every run
    for a year. Rows from the future are counted as sent now, for one window, no longer."""
    path = tmp_path / "ledger.sqlite"
    clocks = Clocks(boot=None)  # rows from another boot: aged by the time of day
    clocks.now += ahead
    assert spend(clocks.ledger(path), 6, 6) == 6
    clocks.now -= ahead  # the clock is right again
    later = clocks.ledger(path)
    assert later.spent() == 6  # counted: the safe side
    assert later.take(6) <= HOUR + 2  # and free within the window, not in a day or a year
    assert later.free_at(1, 6) - clocks.now <= HOUR + 2
    clocks.wait(HOUR + 3)
    assert spend(later, 6, 6) == 6


def test_the_same_boot_ages_rows_by_its_own_clock_whatever_the_time_of_day(
        tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    clocks = Clocks()
    clocks.now += DAY  # a day ahead while they were sent
    assert spend(clocks.ledger(path), 6, 6) == 6
    clocks.now -= DAY
    clocks.wait(HOUR / 2)
    later = clocks.ledger(path)
    assert later.spent() == 6
    assert HOUR / 2 - 5 < later.free_at(1, 6) - clocks.now < HOUR / 2 + 5
    clocks.wait(HOUR / 2 + 3)
    assert later.spent() == 0


def test_a_servers_date_is_a_check_not_the_truth(tmp_path: Path) -> None:
    clocks = Clocks(boot=None)
    ledger = clocks.ledger(tmp_path / "ledger.sqlite")
    assert spend(ledger, 3, 10) == 3
    clocks.now += 2 * HOUR  # the local clock jumped ahead; the server's says two hours less
    assert ledger.spent() == 0
    ledger.check_clock(clocks.now - 2 * HOUR)
    assert ledger.spent() == 3  # the window widened by the difference: counted
    far = clocks.ledger(tmp_path / "other.sqlite")
    far.check_clock(253_402_300_799.0)  # Fri, 31 Dec 9999 23:59:59 GMT: no clock
    assert far.skew == 0.0


def test_a_ledger_it_cannot_use_goes_on_in_memory_and_says_so_once(tmp_path: Path) -> None:
    told: list[str] = []
    path = tmp_path / "ledger.sqlite"
    path.mkdir()  # a directory where the file should be: SQLite cannot open it
    ledger = Ledger(path, "k", HOUR, on_lost=told.append)
    assert spend(ledger, 10, 4) == 4  # the allowance is kept all the same
    assert ledger.spent() == 4
    assert len(told) == 1 and str(path) in told[0]
    assert ledger.lost == told[0]


def test_a_file_that_fails_midway_keeps_what_this_ledger_counted(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path, "k", HOUR)
    assert spend(ledger, 3, 5) == 3
    ledger.close()
    path.unlink()
    path.mkdir()  # the file is gone, and cannot be made again
    (tmp_path / "ledger.sqlite-wal").unlink(missing_ok=True)
    assert spend(ledger, 5, 5) == 2  # three counted before, two more, then the allowance
    assert ledger.lost is not None


@pytest.mark.parametrize("value", ["'abc'", "9e999", "-5", "0", "1e300"])
def test_an_allowance_edited_by_hand_is_none(tmp_path: Path, value: str) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path, "k", HOUR)
    ledger.announce(5000)
    assert ledger.announced() == (5000, HOUR)
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE allowances SET allowance = {value}")
    assert Ledger(path, "k", HOUR).announced() is None


def test_rows_edited_by_hand_are_not_counted(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    clocks = Clocks()
    ledger = clocks.ledger(path)
    assert spend(ledger, 2, 10) == 2
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO spent VALUES ('k', 'soon', 5, NULL, NULL)")
        db.execute("INSERT INTO spent VALUES ('k', ?, 'many', NULL, NULL)", (NOW + 1,))
        db.execute("INSERT INTO spent VALUES ('k', ?, 9e999, NULL, NULL)", (NOW + 2,))
    assert ledger.spent() == 2
    assert ledger.take(3) == 0
    assert ledger.take(3) > 0


def test_a_ledger_written_before_rows_carried_their_boot_is_read(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE spent (key TEXT NOT NULL, at REAL NOT NULL, requests "
                   "INTEGER NOT NULL, PRIMARY KEY (key, at)) WITHOUT ROWID")
        db.execute("INSERT INTO spent VALUES ('k', ?, 4)", (NOW - 60,))
    clocks = Clocks()
    ledger = clocks.ledger(path)
    assert ledger.spent() == 4
    assert spend(ledger, 3, 6) == 2


def test_the_ledger_is_its_owners_alone(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ledger.sqlite"
    ledger = Ledger(path, "k", HOUR)
    assert spend(ledger, 1, 10) == 1
    for name in ("ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"):
        mode = stat.S_IMODE((path.parent / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_ledger_locked_by_another_process_goes_on_in_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 24: a ledger locked by another process let `--allowance 20` send 52 requests."""
    import bbpr.http.ledger

    monkeypatch.setattr(bbpr.http.ledger, "BUSY_TIMEOUT", 0.2)  # instead of 10 s
    path = tmp_path / "ledger.sqlite"
    Ledger(path, "k", HOUR).spent()  # the file exists
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another bbpr (or anything) holds it
    try:
        told: list[str] = []
        ledger = Ledger(path, "k", HOUR, on_lost=told.append)
        assert spend(ledger, 5, 3) == 3
        assert len(told) == 1 and "locked" in told[0]
    finally:
        holder.rollback()
        holder.close()
