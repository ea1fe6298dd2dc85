"""The requests each credential spent in the last window (an hour on Bitbucket Cloud), kept
on disk so that every bbpr process knows, before it starts, what is left of the allowance.

Why SQLite (the stdlib's), and not an append-only file under a lock: a request is counted by
one small transaction that reads the window's total and adds one in the same breath, under
SQLite's own lock (`BEGIN IMMEDIATE`), so that two processes can never both take the last
request of the hour; WAL with `synchronous = NORMAL` makes each commit survive a killed
process, and a kill at any instant leaves either the old count or the new one, never a torn
file. An append-only file would need its own lock, parsing, and pruning by rewriting. The
file is its owner's alone (0600), as the copy and the salt are.

What it keeps, per credential: one row per millisecond in which requests were sent (the
key, the moment, how many), and the allowance the server last announced. The key is a hash of the
credential's identity (see `bbpr.allowance.figure.ledger_key`), never its secret. Rows older than
two windows are pruned as new ones are written, so the file stays small (a few thousand rows).
A row or an allowance of the wrong type (a file edited by hand) is not counted, never a crash.

Clocks: the count errs high, never low, whichever way the time of day jumps. Each row
carries, beside the local time, the machine's boot and the seconds since it (Linux names its
boot and keeps that clock through suspend, and no change of the time of day moves it), so a
row of this boot is aged by that clock: exact. Other rows (another boot, another system) are
aged by the time of day: a clock set back makes them look recent (counted: the safe side);
a row dated ahead of the clock cannot be trusted to mean anything, so it is counted as sent
now and re-dated now by the next request counted, and so leaves the window one window later
at most, however far ahead it was; and the window is widened by how far the server's `Date`
was seen from the local clock (`check_clock`: a check, not the truth; a `Date` more than a
day off is no clock). The server's 429 stays the last word whatever the ledger thinks.

A ledger whose file cannot be used (locked, read-only, not a database) goes on in memory,
counting this process's own requests, so that an allowance is kept all the same; `lost`
says why, and `on_lost` is told once.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, TypeVar

BUSY_TIMEOUT = 10.0
"""Seconds to wait for another bbpr process's transaction: each holds it for a moment."""
MAX_SLACK = 2.0
"""Seconds added to a window (a hundredth of it, at least 0.5 s): the time a request takes
to reach the server, which counts it from then."""
MAX_SKEW = 86_400.0
"""A server's `Date` further than this from the local clock is not taken as a clock."""
MOST_ANNOUNCED = 10_000_000
"""The largest allowance a server may announce and be believed (Cloud's largest: 10,000)."""

_T = TypeVar("_T")
BootClock = Callable[[], tuple[str, float] | None]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spent (
    key TEXT NOT NULL,
    at REAL NOT NULL,
    requests INTEGER NOT NULL,
    boot TEXT,
    since_boot REAL,
    PRIMARY KEY (key, at)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS allowances (
    key TEXT PRIMARY KEY,
    allowance INTEGER NOT NULL,
    window REAL NOT NULL,
    seen_at REAL NOT NULL
) WITHOUT ROWID;
"""
_AGE = ("CASE WHEN boot = :boot AND typeof(since_boot) = 'real' THEN :up - since_boot "
        "ELSE :now - at END")
"""A row's age in seconds: by the boot's clock where it is this boot's, else by the time of
day (negative for a row dated ahead)."""
_VALID = "typeof(at) IN ('real', 'integer') AND typeof(requests) = 'integer' AND requests > 0"


def boot_clock() -> tuple[str, float] | None:
    """This boot's identity and the seconds since it began, suspend included, where the
    system tells them (Linux); None elsewhere."""
    boot = _boot_id()
    if boot is None or not hasattr(time, "CLOCK_BOOTTIME"):
        return None
    return boot, time.clock_gettime(time.CLOCK_BOOTTIME)


@functools.cache
def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


class _Moment(NamedTuple):
    """Now, by the time of day and by the boot's clock (where there is one)."""

    now: float
    boot: str | None
    up: float | None


class Ledger:
    """One credential's requests in the file at `path` (None: in memory from the start)."""

    def __init__(self, path: Path | None, key: str, window: float,
                 clock: Callable[[], float] = time.time, *, boot: BootClock = boot_clock,
                 on_lost: Callable[[str], None] | None = None) -> None:
        self.path = path
        self.key = key
        self.window = window
        self.skew = 0.0
        """How far the server's clock was seen from the local one, in seconds, beyond the
        second its whole-second `Date` may be off by."""
        self.lost: str | None = None if path is not None else "no file"
        """Why the file is not used, once it failed: the ledger then counts in memory."""
        self._clock = clock
        self._boot = boot
        self._on_lost = on_lost
        self._connection: sqlite3.Connection | None = None
        self._mine: list[tuple[float, str | None, float | None]] = []
        """This ledger's own requests, to go on with in memory if the file fails."""

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def spent(self) -> int:
        """Requests counted in the window that ends now."""
        moment = self._moment()
        return self._run(lambda db: self._spent(db, moment), write=False)

    def take(self, allowance: int | None) -> float:
        """Count one request, unless the window holds `allowance` already: then count
        nothing and return the seconds until one frees (0.0 when counted)."""
        moment = self._moment()
        at = round(moment.now, 3)

        def step(db: sqlite3.Connection) -> float:
            self._redate_future(db, moment)
            if allowance is not None:
                spent = self._spent(db, moment)
                if spent >= allowance:
                    return max(1.0, self._free_at(db, moment, spent - allowance + 1)
                               - moment.now)
            self._add(db, at, 1, moment)
            if math.floor(at) % 60 == 0:  # now and then: the old rows of every key go
                db.execute(f"DELETE FROM spent WHERE NOT ({_VALID}) OR {_AGE} > :old",  # noqa: S608
                           self._params(moment, old=2 * self._span()))
            return 0.0

        delay = self._run(step, write=True)
        if not delay:
            self._mine.append((at, moment.boot, moment.up))
        return delay

    def free_at(self, needed: int, allowance: int) -> float:
        """The local time (epoch seconds) when `needed` requests will be free, if no other
        request is spent before then: within one window of now, whatever the rows say."""
        moment = self._moment()

        def step(db: sqlite3.Connection) -> float:
            over = self._spent(db, moment) + needed - allowance
            return moment.now if over <= 0 else self._free_at(db, moment, over)

        return self._run(step, write=False)

    def announced(self) -> tuple[int, float] | None:
        """The allowance and window the server last announced for this credential (one of
        the wrong type or beyond belief, as a file edited by hand holds, is none)."""
        row = self._run(lambda db: db.execute(
            "SELECT allowance, window FROM allowances WHERE key = ? AND "
            "typeof(allowance) = 'integer' AND allowance BETWEEN 1 AND ? AND "
            "typeof(window) IN ('real', 'integer') AND window BETWEEN 1 AND ?",
            (self.key, MOST_ANNOUNCED, MAX_SKEW)).fetchone(), write=False)
        return None if row is None else (int(row[0]), float(row[1]))

    def announce(self, allowance: int) -> None:
        """Remember the allowance the server announced (`X-RateLimit-Limit`)."""
        if not 1 <= allowance <= MOST_ANNOUNCED:
            return
        self._run(lambda db: db.execute(
            "INSERT INTO allowances (key, allowance, window, seen_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET allowance = excluded.allowance, window = "
            "excluded.window, seen_at = excluded.seen_at",
            (self.key, allowance, self.window, self._clock())), write=True)

    def check_clock(self, server_time: float) -> None:
        """Widen the window by how far the server's `Date` (whole seconds) is from the local
        clock; a `Date` further off than `MAX_SKEW` is no clock, and changes nothing."""
        off = abs(server_time - self._clock()) - 1
        if off <= MAX_SKEW:
            self.skew = max(self.skew, off)

    def _moment(self) -> _Moment:
        boot = self._boot()
        return _Moment(self._clock(), boot[0] if boot else None, boot[1] if boot else None)

    def _params(self, moment: _Moment, **more: float) -> dict[str, object]:
        """The named parameters of `_AGE` and the window's queries."""
        return {**moment._asdict(), "key": self.key, "span": self._span(), **more}

    def _span(self) -> float:
        return self.window + min(MAX_SLACK, max(0.5, self.window / 100)) + self.skew

    def _spent(self, db: sqlite3.Connection, moment: _Moment) -> int:
        row = db.execute(f"SELECT coalesce(sum(requests), 0) FROM spent WHERE key = :key AND "  # noqa: S608
                         f"{_VALID} AND {_AGE} < :span", self._params(moment)).fetchone()
        return int(row[0])

    def _free_at(self, db: sqlite3.Connection, moment: _Moment, over: int) -> float:
        """When the oldest `over` requests of the window leave it (a row dated ahead is
        taken as sent now)."""
        freed = 0
        for age, requests in db.execute(
                f"SELECT max(0, {_AGE}) AS age, requests FROM spent WHERE key = :key AND "  # noqa: S608
                f"{_VALID} AND {_AGE} < :span ORDER BY age DESC", self._params(moment)):
            freed += requests
            if freed >= over:
                return moment.now + max(0.0, self._span() - float(age))
        return moment.now

    def _redate_future(self, db: sqlite3.Connection, moment: _Moment) -> None:
        """Rows dated ahead of the clock (by more than a second: not this boot's, whose age
        its clock tells) are re-dated now: counted for one window from now, no longer."""
        ahead = db.execute(f"SELECT at, requests FROM spent WHERE key = :key AND {_VALID} "  # noqa: S608
                           f"AND {_AGE} < -1", self._params(moment)).fetchall()
        for at, requests in ahead:
            db.execute("DELETE FROM spent WHERE key = ? AND at = ?", (self.key, at))
            self._add(db, round(moment.now, 3), int(requests), moment)

    def _add(self, db: sqlite3.Connection, at: float, requests: int, moment: _Moment) -> None:
        db.execute("INSERT INTO spent (key, at, requests, boot, since_boot) VALUES "
                   "(?, ?, ?, ?, ?) ON CONFLICT (key, at) DO UPDATE SET requests = "
                   "requests + excluded.requests", (self.key, at, requests, moment.boot,
                                                     moment.up))

    def _run(self, step: Callable[[sqlite3.Connection], _T], *, write: bool) -> _T:
        """One transaction on the file, or, once the file failed, in memory."""
        if self.lost is None:
            try:
                return _transaction(self._connect(), step, write=write)
            except (sqlite3.Error, OSError) as error:
                self._give_up_the_file(error)
        return _transaction(self._memory(), step, write=write)

    def _give_up_the_file(self, error: Exception) -> None:
        self.lost = f"{self.path}: {error}" if self.path is not None else str(error)
        self.close()
        if self._on_lost is not None:
            self._on_lost(self.lost)

    def _memory(self) -> sqlite3.Connection:
        """The ledger in memory, holding this ledger's own requests so far."""
        if self._connection is None:
            connection = sqlite3.connect(":memory:", isolation_level=None,
                                         check_same_thread=False)
            connection.executescript(_SCHEMA)
            for at, boot, up in self._mine:
                connection.execute("INSERT INTO spent VALUES (?, ?, 1, ?, ?) ON CONFLICT "
                                   "(key, at) DO UPDATE SET requests = requests + 1",
                                   (self.key, at, boot, up))
            self._connection = connection
        return self._connection

    def _connect(self) -> sqlite3.Connection:
        if self._connection is not None:
            return self._connection
        path = self.path
        if path is None:  # `lost` from the start: never here
            raise OSError("no file")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Created owner-only before SQLite opens it (its WAL and shared-memory files take the
        # database file's mode): the ledger tells when, and for whom, bbpr ran.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None,
                                     check_same_thread=False)
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.executescript(_SCHEMA)
            _add_boot_columns(connection)
        except sqlite3.Error:
            connection.close()
            raise
        self._connection = connection
        return connection


def _transaction(db: sqlite3.Connection, step: Callable[[sqlite3.Connection], _T], *,
                 write: bool) -> _T:
    db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        result = step(db)
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.rollback()
        raise
    db.commit()
    return result


def _add_boot_columns(connection: sqlite3.Connection) -> None:
    """A ledger written before rows carried their boot gains the columns (NULL in old rows,
    which are aged by the time of day)."""
    columns = {row[1] for row in connection.execute("PRAGMA table_info(spent)")}
    for name, kind in (("boot", "TEXT"), ("since_boot", "REAL")):
        if name not in columns:
            with contextlib.suppress(sqlite3.OperationalError):  # another process added it
                connection.execute(f"ALTER TABLE spent ADD COLUMN {name} {kind}")
