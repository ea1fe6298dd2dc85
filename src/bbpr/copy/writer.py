"""What `bbpr sync` writes to the local copy with: the `Writer`, each of its methods one
transaction.

How the copy is written, and why:

- WAL mode, so `bbpr list --cached` (or any reader) works while a sync writes; every page of
  pull requests is one transaction, and so is each step that moves a watermark. `synchronous
  = NORMAL` keeps every commit through a killed process; a power cut may undo the last few,
  which leaves an older but consistent copy, because the data and its watermark always move
  together.
- The schema is versioned and migrates by itself when a sync opens the file; a file from a
  newer bbpr is refused, and so is another program's SQLite file (`schema`, `file`).
- Readers open the file read-only (`file.open_read_only`): `list --cached` (`reader`) and
  `sync --status` (`status`) never write, create or migrate anything.
- One writer at a time: a sync holds the file's lock (`file.exclusive`) for its whole run.
- Rows only move forward: an upsert never replaces a pull request with an older version of
  itself (by `updated_on`), so two syncs running at once cannot leave a stale row behind.
- A sync never makes a damaged copy worse (`schema.DamagedCopyError`: a value bbpr never
  writes, put there by hand or by another program). What it reads to decide (a watermark, a
  run's start, a stored update time, a close time) and cannot read counts as unknown, so
  the pass reads more from the server, never less; a row whose stored `updated_on` is not a
  time is replaced by the server's. So `sync --full` mends every value it reads again.

`description` is not stored: it is the one field without a size limit, the bulk of a
response and of the file, and neither filters nor the default outputs use it. Reviewers and
participants are rows of their own table (see `review`), one per person; review events
too (see `events`), written in the same transaction as the page they belong to.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..models import Flavour, PullRequest, Repository, ReviewEvent
from . import events, review
from .file import connect, exclusive, make_directory, transaction
from .schema import COLUMNS, TIME_GLOB, now, time_or_none, to_text

# Column names are constants and values are parameters: no injection (S608).
_UPSERT = (
    f"INSERT INTO pull_requests (repository_id, {', '.join(COLUMNS)}, seen_in_run) "  # noqa: S608
    f"VALUES ({', '.join('?' * (len(COLUMNS) + 2))}) "
    "ON CONFLICT (repository_id, id) DO UPDATE SET seen_in_run = excluded.seen_in_run, "
    + ", ".join(f"{name} = CASE WHEN excluded.updated_on >= pull_requests.updated_on "
                f"OR pull_requests.updated_on IS NULL OR NOT pull_requests.updated_on GLOB "
                f"'{TIME_GLOB}' THEN excluded.{name} ELSE {name} END"
                for name in COLUMNS if name != "id")
)
"""Insert a pull request, or update it unless the stored version is newer (a stored
`updated_on` that is not a time bbpr wrote is no version: the row is replaced)."""


@dataclass(frozen=True)
class StoredRepository:
    """A repository's row: what a sync needs to continue where the last one ended."""

    id: int
    repository: Repository
    watermark: datetime | None
    """Every change made on the server before this moment (server clock) is stored."""
    close_times: bool = False
    """The copy holds the close time of every closed pull request, and syncs keep it so."""
    review_events: bool = False
    """The copy holds every pull request's review events, and syncs keep them so."""


class Writer:
    """What a sync of `target` (a repository, workspace or project on `host`) writes, each
    method one transaction.

    A context manager: opening it makes the file's directory, takes the writer's lock (one
    writer at a time, see `file.exclusive`), then opens the file, migrated; the end of the
    `with` block closes the file and lets the lock go.
    """

    def __init__(self, path: Path, host: str, flavour: Flavour, target: str,
                 command: str | None = None) -> None:
        """`command` is the sync as typed, for the message another sync gets while this one
        holds the lock (default: `bbpr sync TARGET`)."""
        self.path = path
        self.host = host
        self.flavour = flavour
        self.target = target
        make_directory(path)
        with contextlib.ExitStack() as opening:  # a failure lets go of what was taken
            opening.enter_context(exclusive(path, command or f"bbpr sync {target}"))
            self._connection = opening.enter_context(contextlib.closing(connect(path)))
            self._held = opening.pop_all()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file, then let go of the lock; closing again does nothing."""
        self._held.close()

    def start_run(self, *, full: bool) -> int:
        with transaction(self._connection) as db:
            cursor = db.execute(
                "INSERT INTO runs (host, target, full, started_at) VALUES (?, ?, ?, ?)",
                (self.host, self.target, int(full), now()))
        return int(cursor.lastrowid or 0)

    def finish_run(self, run: int, requests: int, *, completed: bool,
                   stopped: bool = False) -> None:
        """A run that ended, well or with an error (a killed one never gets here);
        `stopped`: it ended early with repositories left, for the next run to resume."""
        with transaction(self._connection) as db:
            db.execute("UPDATE runs SET finished_at = ?, requests = ?, completed = ?, "
                       "stopped = ? WHERE id = ?",
                       (now(), requests, int(completed), int(stopped), run))

    def resumed_job(self, run: int, *, full: bool) -> datetime | None:
        """When the job this run resumes began (`resumed_job`)."""
        return resumed_job(self._connection, self.host, self.target, full=full, before=run)

    def synced_since(self, repositories: Sequence[Repository], moment: datetime) -> set[str]:
        """The full names of those `repositories` whose last pass completed at or after
        `moment`."""
        return synced_since(self._connection, self.host, repositories, moment)

    def save_listing(self, owner: str, repositories: Sequence[Repository]) -> None:
        """A workspace's or project's whole repository list, in the server's order."""
        with transaction(self._connection) as db:
            db.execute("UPDATE repositories SET position = NULL WHERE host = ? AND owner = ?",
                       (self.host, owner))
            for position, repository in enumerate(repositories):
                self._upsert_repository(db, repository, position)
            db.execute("INSERT INTO owners (host, owner, listed_at) VALUES (?, ?, ?) "
                       "ON CONFLICT (host, owner) DO UPDATE SET listed_at = excluded.listed_at",
                       (self.host, owner, now()))

    def start_pass(self, repository: Repository, run: int) -> StoredRepository:
        with transaction(self._connection) as db:
            self._upsert_repository(db, repository, None)
            row = db.execute(
                "UPDATE repositories SET last_run = ?, last_pass_completed = 0 WHERE host = ? "
                "AND owner = ? AND slug = ? RETURNING id, watermark, close_times, review_events",
                (run, self.host, repository.owner, repository.slug)).fetchone()
        # A watermark that is not a time is none: the pass reads the repository whole.
        return StoredRepository(row[0], repository, time_or_none(row[1]), row[2] == 1,
                                row[3] == 1)

    def save_page(self, stored: StoredRepository, run: int, page: Sequence[PullRequest],
                  requests: int, *, review_events: Sequence[ReviewEvent] | None = None,
                  events_of: Sequence[PullRequest] = (), whole_events: bool = False) -> None:
        """A page of pull requests, with the review events of those whose activity was read
        (`events_of`; `whole_events`: all each one has, see `events.save`)."""
        rows = [(stored.id, *columns_of(pull_request), run) for pull_request in page]
        with transaction(self._connection) as db:
            replaced = review.to_replace(db, stored.id, page)  # before the rows move
            db.executemany(_UPSERT, rows)
            review.replace(db, stored.id, replaced)
            if review_events is not None:
                events.save(db, stored.id, events_of, review_events, whole=whole_events)
            db.execute("UPDATE runs SET requests = ? WHERE id = ?", (requests, run))

    def finish_pass(self, stored: StoredRepository, run: int, *, watermark: datetime | None,
                    remove_unseen: bool, close_times: bool, review_events: bool = False) -> int:
        """Record a complete pass; with `remove_unseen`, drop what it did not see;
        `close_times` and `review_events` say that the copy now holds them all (never
        taken back).

        Returns how many pull requests were removed.
        """
        with transaction(self._connection) as db:
            removed = 0
            if remove_unseen:
                removed = db.execute(
                    "DELETE FROM pull_requests WHERE repository_id = ? AND seen_in_run != ?",
                    (stored.id, run)).rowcount
            db.execute(
                "UPDATE repositories SET watermark = ?, completed_at = ?, "
                "last_pass_completed = 1, close_times = max(close_times, ?), "
                "review_events = max(review_events, ?) WHERE id = ?",
                (None if watermark is None else to_text(watermark), now(), int(close_times),
                 int(review_events), stored.id))
        return removed

    def close_times(self, stored: StoredRepository,
                    page: Sequence[PullRequest]) -> dict[int, datetime | None]:
        """See `review.close_times`."""
        return review.close_times(self._connection, stored.id, page)

    def current_events(self, stored: StoredRepository, page: Sequence[PullRequest]) -> set[int]:
        """See `events.current`."""
        return events.current(self._connection, stored.id, page)

    def synced_without(self, kept: str, repositories: Sequence[Repository]) -> list[str]:
        """The full names of those `repositories` whose copy has been brought up to date
        without `kept` ("close_times" or "review_events"): a pass to add them must read
        them whole."""
        if kept not in ("close_times", "review_events"):
            raise ValueError(f"no such choice kept per repository: {kept}")
        lacking = {(owner, slug) for owner, slug in self._connection.execute(
            "SELECT owner, slug FROM repositories WHERE host = ? "  # noqa: S608 (checked)
            f"AND watermark IS NOT NULL AND {kept} = 0", (self.host,))}
        return [repository.full_name for repository in repositories
                if (repository.owner, repository.slug) in lacking]

    def latest_update(self, stored: StoredRepository) -> datetime | None:
        row = self._connection.execute(
            "SELECT max(updated_on) FROM pull_requests WHERE repository_id = ? AND "
            "updated_on GLOB ?", (stored.id, TIME_GLOB)).fetchone()
        return time_or_none(row[0])

    def count(self, stored: StoredRepository) -> int:
        return int(self._connection.execute(
            "SELECT count(*) FROM pull_requests WHERE repository_id = ?",
            (stored.id,)).fetchone()[0])

    def _upsert_repository(self, db: sqlite3.Connection, repository: Repository,
                           position: int | None) -> None:
        if self.flavour == "datacenter":
            _merge_spellings(db, self.host, repository)
        db.execute(
            "INSERT INTO repositories (host, flavour, owner, slug, name, position) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (host, owner, slug) DO UPDATE SET "
            "name = coalesce(excluded.name, name), "
            "position = coalesce(excluded.position, position)",
            (self.host, self.flavour, repository.owner, repository.slug, repository.name,
             position))


def _merge_spellings(db: sqlite3.Connection, host: str, repository: Repository) -> None:
    """Data Center takes any case: a copy made under another spelling (`acme/widgets` for
    `ACME/widgets`) is renamed to the server's. Where both exist already, the other one goes
    (the next pass fills this one)."""
    owner, slug = repository.owner, repository.slug
    db.execute("UPDATE OR IGNORE repositories SET owner = ?, slug = ? WHERE host = ? AND "
               "owner = ? COLLATE NOCASE AND slug = ? COLLATE NOCASE",
               (owner, slug, host, owner, slug))
    db.execute("DELETE FROM repositories WHERE host = ? AND owner = ? COLLATE NOCASE AND "
               "slug = ? COLLATE NOCASE AND NOT (owner = ? AND slug = ?)",
               (host, owner, slug, owner, slug))
    db.execute("UPDATE OR IGNORE owners SET owner = ? WHERE host = ? AND owner = ? COLLATE "
               "NOCASE", (owner, host, owner))
    db.execute("DELETE FROM owners WHERE host = ? AND owner = ? COLLATE NOCASE AND owner != ?",
               (host, owner, owner))


def columns_of(pull_request: PullRequest) -> tuple[object, ...]:
    """The values of `schema.COLUMNS` for a record, times as the copy writes them."""
    values: list[object] = []
    for name in COLUMNS:
        value = getattr(pull_request, name)
        if isinstance(value, datetime):
            value = to_text(value)
        values.append(value)
    return tuple(values)


def resumed_job(connection: sqlite3.Connection, host: str, target: str, *, full: bool,
                before: int | None = None) -> datetime | None:
    """When the job a sync of `target` resumes began: the runs of the target (before run
    `before`) that stopped early (or were killed), back to the first of them; None when the
    last run ended complete, or with failures of its own repositories (nothing to resume),
    or read another way (`full`). Read by the sync, and by `--plan` (which counts only the
    repositories left)."""
    began = None
    for started, stopped, finished, was_full in connection.execute(
            "SELECT started_at, stopped, finished_at, full FROM runs WHERE host = ? AND "
            "target = ? AND id < ? ORDER BY id DESC",
            (host, target, before if before is not None else 2 ** 62)):
        began_then = time_or_none(started)
        if not (stopped or finished is None) or bool(was_full) != full or not began_then:
            break  # a start that is not a time resumes nothing: the run reads it all
        began = began_then
    return began


def synced_since(connection: sqlite3.Connection, host: str,
                 repositories: Sequence[Repository], moment: datetime) -> set[str]:
    """The full names of those `repositories` whose last pass completed at or after
    `moment`."""
    done = {(owner, slug) for owner, slug in connection.execute(
        "SELECT owner, slug FROM repositories WHERE host = ? AND last_pass_completed = 1 "
        "AND completed_at >= ?", (host, to_text(moment)))}
    return {repository.full_name for repository in repositories
            if (repository.owner, repository.slug) in done}
