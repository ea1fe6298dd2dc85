"""The requests each credential spent in the last window (an hour on Bitbucket Cloud), kept
on disk so that every bbpr process knows, before it starts, what is left of the allowance.

Why SQLite (the stdlib's), and not an append-only file under a lock: a request is counted by
one small transaction that reads the window's total and adds one in the same breath, under
SQLite's own lock (`BEGIN IMMEDIATE`), so that two processes can never both take the last
request of the hour; WAL with `synchronous = NORMAL` makes each commit survive a killed
process, and a kill at any instant leaves either the old count or the new one, never a torn
file. An append-only file would need its own lock, parsing, and pruning by rewriting.

What it keeps, per credential: one row per millisecond in which requests were sent (the
key, the moment, how many), and the allowance the server last announced. The key is a hash of the
credential's identity (see `bbpr.allowance.ledger_key`), never its secret. Rows older than two
windows are pruned as new ones are written, so the file stays small (a few thousand rows).

Clocks: the moments are the local clock's. A clock set back makes old rows look recent,
which counts more than was spent (the safe side). A clock set forward would age them early,
so a row dated in the future is always counted, and the window is widened by how far the
server's `Date` was seen to differ from the local clock (`skew`): the count errs high, never
low. The server's 429 stays the last word whatever the ledger thinks.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

BUSY_TIMEOUT = 10.0
"""Seconds to wait for another bbpr process's transaction: each holds it for a moment."""
MAX_SLACK = 2.0
"""Seconds added to a window (a hundredth of it, at least 0.5 s): the time a request takes
to reach the server, which counts it from then."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spent (
    key TEXT NOT NULL,
    at REAL NOT NULL,
    requests INTEGER NOT NULL,
    PRIMARY KEY (key, at)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS allowances (
    key TEXT PRIMARY KEY,
    allowance INTEGER NOT NULL,
    window REAL NOT NULL,
    seen_at REAL NOT NULL
) WITHOUT ROWID;
"""


class LedgerError(Exception):
    """The ledger's file cannot be used; the caller says so and goes on without it."""


class Ledger:
    """One credential's requests in the file at `path`."""

    def __init__(self, path: Path, key: str, window: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.key = key
        self.window = window
        self.skew = 0.0
        """How far the server's clock was seen from the local one, in seconds, beyond the
        second its whole-second `Date` may be off by."""
        self._clock = clock
        self._connection: sqlite3.Connection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def spent(self) -> int:
        """Requests counted in the window that ends now."""
        with self._transaction(write=False) as db:
            return self._spent(db, self._clock())

    def take(self, allowance: int | None) -> float:
        """Count one request, unless the window holds `allowance` already: then count
        nothing and return the seconds until one frees (0.0 when counted)."""
        now = self._clock()
        with self._transaction(write=True) as db:
            if allowance is not None:
                spent = self._spent(db, now)
                if spent >= allowance:
                    return max(1.0, self._free_at(db, now, spent - allowance + 1) - now)
            db.execute("INSERT INTO spent (key, at, requests) VALUES (?, ?, 1) ON CONFLICT "
                       "(key, at) DO UPDATE SET requests = requests + 1",
                       (self.key, round(now, 3)))
            if math.floor(now) % 60 == 0:  # now and then: the old rows of every credential go
                db.execute("DELETE FROM spent WHERE at < ?", (now - 2 * self._span(),))
        return 0.0

    def free_at(self, needed: int, allowance: int) -> float:
        """The local time (epoch seconds) when `needed` requests will be free, if no other
        request is spent before then."""
        now = self._clock()
        with self._transaction(write=False) as db:
            over = self._spent(db, now) + needed - allowance
            return now if over <= 0 else self._free_at(db, now, over)

    def announced(self) -> tuple[int, float] | None:
        """The allowance and window the server last announced for this credential."""
        with self._transaction(write=False) as db:
            row = db.execute("SELECT allowance, window FROM allowances WHERE key = ?",
                             (self.key,)).fetchone()
        return None if row is None else (int(row[0]), float(row[1]))

    def announce(self, allowance: int) -> None:
        """Remember the allowance the server announced (`X-RateLimit-Limit`)."""
        with self._transaction(write=True) as db:
            db.execute("INSERT INTO allowances (key, allowance, window, seen_at) VALUES "
                       "(?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET allowance = "
                       "excluded.allowance, window = excluded.window, seen_at = excluded.seen_at",
                       (self.key, allowance, self.window, self._clock()))

    def _span(self) -> float:
        return self.window + min(MAX_SLACK, max(0.5, self.window / 100)) + self.skew

    def _spent(self, db: sqlite3.Connection, now: float) -> int:
        # A row dated after `now` (a clock set back since) is counted too: the safe side.
        row = db.execute("SELECT coalesce(sum(requests), 0) FROM spent WHERE key = ? AND "
                         "at > ?", (self.key, now - self._span())).fetchone()
        return int(row[0])

    def _free_at(self, db: sqlite3.Connection, now: float, over: int) -> float:
        """When the oldest `over` requests of the window leave it."""
        freed = 0
        for moment, requests in db.execute(
                "SELECT at, requests FROM spent WHERE key = ? AND at > ? ORDER BY at",
                (self.key, now - self._span())):
            freed += requests
            if freed >= over:
                return max(now, float(moment) + self._span())
        return now

    @contextlib.contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        try:
            db = self._connect()
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield db
            except BaseException:
                db.rollback()
                raise
            db.commit()
        except (sqlite3.Error, OSError) as error:
            raise LedgerError(f"{self.path}: {error}") from None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None,
                                         check_same_thread=False)
            try:
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")
                connection.executescript(_SCHEMA)
            except sqlite3.Error:
                connection.close()
                raise
            self._connection = connection
        return self._connection
