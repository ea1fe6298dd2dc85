"""The local copy of pull requests: one SQLite file, its schema, and reading and writing it.

Why SQLite, and how it is used:

- One file, in the platform's data directory unless `--db` says otherwise, that reports and
  dashboards may query themselves: plain columns, ISO-8601 UTC times that sort as text.
- WAL mode, so `bbpr list --cached` (or any reader) works while a sync writes; every page of
  pull requests is one transaction, and so is each step that moves a watermark. `synchronous
  = NORMAL` keeps every commit through a killed process; a power cut may undo the last few,
  which leaves an older but consistent copy, because the data and its watermark always move
  together.
- The schema is versioned with `PRAGMA user_version`; `_MIGRATIONS[n]` takes version `n` to
  `n + 1`, and runs by itself when a sync opens the file. A file from a newer bbpr is refused,
  and so is another program's SQLite file (`PRAGMA application_id` marks bbpr's): bbpr never
  adds its tables to somebody else's database.
- Readers open the file read-only (`open_read_only`): `list --cached` and `sync --status`
  never write, create or migrate anything.
- One writer at a time: `sync` holds `writer_lock` for its whole run.
- Rows only move forward: an upsert never replaces a pull request with an older version of
  itself (by `updated_on`), so two syncs running at once cannot leave a stale row behind.

`description` is not stored: it is the one field without a size limit, the bulk of a
response and of the file, and neither filters nor the default outputs use it. Reviewers and
participants are rows of their own table (see `review_copy`), one per person.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import review_copy
from ._version import __version__
from .errors import BbprError, GaveUpError, InputError
from .models import FIELDS, REVIEW_FIELDS, Flavour, PullRequest, Repository
from .targets import Target

STORED_FIELDS: tuple[str, ...] = tuple(name for name in FIELDS
                                       if name not in ("description", "author_account_id"))
"""The record fields a sync fetches and keeps (the account ID only serves `--author`)."""
COLUMNS: tuple[str, ...] = tuple(name for name in STORED_FIELDS
                                 if name != "repository" and name not in REVIEW_FIELDS)
"""The columns of `pull_requests`; the review fields live in `participants`."""

_MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        host TEXT NOT NULL,
        target TEXT NOT NULL,
        full INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        requests INTEGER NOT NULL DEFAULT 0,
        completed INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE owners (
        host TEXT NOT NULL,
        owner TEXT NOT NULL,
        listed_at TEXT NOT NULL,
        PRIMARY KEY (host, owner)
    );
    CREATE TABLE repositories (
        id INTEGER PRIMARY KEY,
        host TEXT NOT NULL,
        flavour TEXT NOT NULL,
        owner TEXT NOT NULL,
        slug TEXT NOT NULL,
        name TEXT,
        position INTEGER,
        watermark TEXT,
        completed_at TEXT,
        last_run INTEGER REFERENCES runs (id),
        last_pass_completed INTEGER NOT NULL DEFAULT 0,
        UNIQUE (host, owner, slug)
    );
    CREATE TABLE pull_requests (
        repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
        id INTEGER NOT NULL,
        title TEXT,
        state TEXT,
        author TEXT,
        author_login TEXT,
        author_id TEXT,
        source_branch TEXT,
        destination_branch TEXT,
        created_on TEXT,
        updated_on TEXT,
        url TEXT,
        draft INTEGER,
        comment_count INTEGER,
        task_count INTEGER,
        source_commit TEXT,
        destination_commit TEXT,
        merge_commit TEXT,
        closed_by TEXT,
        seen_in_run INTEGER NOT NULL,
        PRIMARY KEY (repository_id, id)
    ) WITHOUT ROWID;
    CREATE INDEX pull_requests_by_update ON pull_requests (repository_id, updated_on);
    """,
    # 1 -> 2: review data. Rows stored before it have none, so every repository is read
    # whole again by its next sync, and is not a complete copy until then.
    """
    ALTER TABLE pull_requests ADD COLUMN closed_on TEXT;
    CREATE TABLE participants (
        repository_id INTEGER NOT NULL,
        pull_request_id INTEGER NOT NULL,
        position INTEGER NOT NULL,
        role TEXT NOT NULL,
        name TEXT,
        login TEXT,
        user_id TEXT,
        account_id TEXT,
        approved INTEGER NOT NULL,
        changes_requested INTEGER NOT NULL,
        PRIMARY KEY (repository_id, pull_request_id, position),
        FOREIGN KEY (repository_id, pull_request_id)
            REFERENCES pull_requests (repository_id, id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX participants_by_login ON participants (login, role);
    UPDATE repositories SET watermark = NULL, completed_at = NULL, last_pass_completed = 0;
    """,
    # 2 -> 3: close times become a choice on Cloud (`sync --close-times`), remembered per
    # repository. Every sync at version 2 kept them, so a repository with a complete pass
    # holds them; one that never completed one is read whole by its next sync anyway.
    """
    ALTER TABLE repositories ADD COLUMN close_times INTEGER NOT NULL DEFAULT 0;
    UPDATE repositories SET close_times = 1 WHERE completed_at IS NOT NULL;
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)

# Column names are constants and values are parameters: no injection (S608).
_UPSERT = (
    f"INSERT INTO pull_requests (repository_id, {', '.join(COLUMNS)}, seen_in_run) "  # noqa: S608
    f"VALUES ({', '.join('?' * (len(COLUMNS) + 2))}) "
    "ON CONFLICT (repository_id, id) DO UPDATE SET seen_in_run = excluded.seen_in_run, "
    + ", ".join(f"{name} = CASE WHEN excluded.updated_on >= pull_requests.updated_on "
                f"OR pull_requests.updated_on IS NULL THEN excluded.{name} ELSE {name} END"
                for name in COLUMNS if name != "id")
)
"""Insert a pull request, or update it unless the stored version is newer."""


CLOUD_API_URL = "https://api.bitbucket.org/2.0"
"""`cloud.API_URL`, without importing the HTTP stack: `list --cached` starts faster."""


def host_for(target: Target, api_url: str | None = None) -> str:
    """What the copy files a target under: its Data Center server, or the Cloud API URL
    (`BITBUCKET_API_URL`), so that an emulator's pull requests never mix with real ones."""
    if target.server:
        return target.server
    return (api_url or CLOUD_API_URL).strip().rstrip("/")


def default_path() -> Path:
    """`pull-requests.sqlite` in the platform's per-user data directory."""
    import platformdirs

    return Path(platformdirs.user_data_dir("bbpr")) / "pull-requests.sqlite"


class NotCachedError(BbprError):
    """Nothing usable is stored for what was asked: run `bbpr sync` first."""

    exit_code = 4


BUSY_TIMEOUT = 10.0
"""Seconds to wait for another process's write lock on the file (bbpr's own syncs never
meet here: `writer_lock` lets one at a time in), before giving up with exit 5."""
APPLICATION_ID = 0x62627072
"""`PRAGMA application_id` of a bbpr copy ("bbpr"): how a file says whose it is."""
_OWN_TABLES = frozenset({"runs", "owners", "repositories", "pull_requests"})


class CopyLockedError(GaveUpError):
    """Another program held the SQLite file's lock for longer than bbpr waits."""


def make_directory(path: Path) -> None:
    """Create the directory the copy goes in, or say in a sentence why it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"Could not create the directory for {path} "
                         f"({error.strerror or error}); give another --db.") from None
    if path.is_dir():
        raise InputError(f"{path} is a directory; give --db the path of a file.")


def connect(path: Path) -> sqlite3.Connection:
    """Open (or create) the file for writing, in WAL mode, migrated to the current schema.

    The connection is in autocommit mode: every write happens inside `transaction`. A file
    that is another program's database is refused untouched.
    """
    make_directory(path)
    try:
        connection = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT)
    except sqlite3.Error as error:
        raise file_error(path, error) from None
    try:
        _check_owner(connection, path, writing=True)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        _migrate(connection, path)
    except sqlite3.Error as error:
        connection.close()
        raise file_error(path, error) from None
    except BaseException:
        connection.close()
        raise
    return connection


def open_read_only(path: Path) -> sqlite3.Connection:
    """Open an existing copy for reading only: a read never writes, creates or migrates.

    A missing file is a `NotCachedError`; a file bbpr did not write is an `InputError`.
    """
    if not path.exists():
        if path.parent.exists() and not path.parent.is_dir():
            raise InputError(f"{path.parent} is a file, so there can be no copy at {path}; "
                             "give another --db.")
        raise NotCachedError(f"There is no local copy at {path}.")
    if path.is_dir():
        raise InputError(f"{path} is a directory; give --db the path of a file.")
    try:
        return _checked_reader(path, immutable=False)
    except sqlite3.OperationalError as error:
        # WAL readers need the `-shm` file, which a read-only directory cannot get. With no
        # `-wal` either, the main file is the whole copy and no writer can be at work there.
        wal = path.with_name(path.name + "-wal")
        if "unable to open" not in str(error) or (wal.exists() and wal.stat().st_size):
            raise file_error(path, error) from None
    except sqlite3.Error as error:
        raise file_error(path, error) from None
    try:
        return _checked_reader(path, immutable=True)
    except sqlite3.Error as error:
        raise file_error(path, error) from None


def _checked_reader(path: Path, *, immutable: bool) -> sqlite3.Connection:
    mode = "mode=ro&immutable=1" if immutable else "mode=ro"
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True,
                                 isolation_level=None, timeout=BUSY_TIMEOUT)
    try:
        _check_owner(connection, path, writing=False)
    except BaseException:
        connection.close()
        raise
    return connection


def file_error(path: Path, error: sqlite3.Error) -> BbprError:
    """What went wrong with the file, in the user's words (an `sqlite3.Error` is never a bug
    of bbpr's: the file, its directory or another program is at fault)."""
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return CopyLockedError(
            f"{path} stayed locked by another program for {BUSY_TIMEOUT:.0f} s; nothing was "
            "changed. Run again once it has finished with the file."
        )
    if "readonly" in text or "read-only" in text:
        return InputError(f"{path} cannot be written to (it or its directory is read-only); "
                          "give another --db, or make it writable.")
    if "unable to open" in text or "disk i/o" in text:
        return InputError(f"{path} could not be opened ({error}); check that its directory "
                          "exists and that you may read and write there, or give another --db.")
    return InputError(f"{path} is not a bbpr database ({error}); give another --db.")


def _check_owner(connection: sqlite3.Connection, path: Path, *, writing: bool) -> None:
    """Refuse a file that is not a bbpr copy, or that a newer bbpr wrote.

    A new, empty file becomes a copy when writing. Copies made before bbpr marked its files
    with `APPLICATION_ID` are known by their version and tables.
    """
    application_id = int(connection.execute("PRAGMA application_id").fetchone()[0])
    version = _version(connection)
    tables = {row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    empty = application_id == 0 and version == 0 and not tables
    ours = application_id == APPLICATION_ID or (
        application_id == 0 and version >= 1 and tables >= _OWN_TABLES)
    if empty and writing:
        return
    if version > SCHEMA_VERSION and application_id in (0, APPLICATION_ID):
        raise InputError(
            f"{path} was written by a newer bbpr (schema version {version}; this bbpr "
            f"{__version__} reads up to {SCHEMA_VERSION}). Upgrade bbpr, or give another --db."
        )
    if not ours:
        what = "an empty SQLite file" if empty else "another program's SQLite file"
        raise InputError(f"{path} is not a bbpr database (it is {what}); give another --db, "
                         "or the path of a new file to `bbpr sync`.")
    if version < SCHEMA_VERSION and not writing:
        raise InputError(f"{path} was written by an older bbpr (schema version {version}); "
                         "run `bbpr sync` once to bring it up to date.")


def _migrate(connection: sqlite3.Connection, path: Path) -> None:
    if _version(connection) == SCHEMA_VERSION:
        return
    with transaction(connection):  # IMMEDIATE: two first runs must not both migrate
        _check_owner(connection, path, writing=True)  # as it is now, inside the transaction
        version = _version(connection)
        for number in range(version, SCHEMA_VERSION):
            for statement in _statements(_MIGRATIONS[number]):
                connection.execute(statement)
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def _statements(script: str) -> list[str]:
    return [statement.strip() for statement in script.split(";") if statement.strip()]


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: committed whole or not at all."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def now() -> str:
    return to_text(datetime.now(UTC))


def to_text(moment: datetime) -> str:
    """Fixed width, so that text order is time order in SQL."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_text(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@dataclass(frozen=True)
class StoredRepository:
    """A repository's row: what a sync needs to continue where the last one ended."""

    id: int
    repository: Repository
    watermark: datetime | None
    """Every change made on the server before this moment (server clock) is stored."""
    close_times: bool = False
    """The copy holds the close time of every closed pull request, and syncs keep it so."""


class Writer:
    """What a sync writes, each method one transaction."""

    def __init__(self, connection: sqlite3.Connection, host: str, flavour: Flavour) -> None:
        self.connection = connection
        self.host = host
        self.flavour = flavour

    def start_run(self, target: str, *, full: bool) -> int:
        with transaction(self.connection) as db:
            cursor = db.execute(
                "INSERT INTO runs (host, target, full, started_at) VALUES (?, ?, ?, ?)",
                (self.host, target, int(full), now()))
        return int(cursor.lastrowid or 0)

    def finish_run(self, run: int, requests: int, *, completed: bool) -> None:
        """A run that ended, well or with an error (a killed one never gets here)."""
        with transaction(self.connection) as db:
            db.execute("UPDATE runs SET finished_at = ?, requests = ?, completed = ? "
                       "WHERE id = ?", (now(), requests, int(completed), run))

    def save_listing(self, owner: str, repositories: Sequence[Repository]) -> None:
        """A workspace's or project's whole repository list, in the server's order."""
        with transaction(self.connection) as db:
            db.execute("UPDATE repositories SET position = NULL WHERE host = ? AND owner = ?",
                       (self.host, owner))
            for position, repository in enumerate(repositories):
                self._upsert_repository(db, repository, position)
            db.execute("INSERT INTO owners (host, owner, listed_at) VALUES (?, ?, ?) "
                       "ON CONFLICT (host, owner) DO UPDATE SET listed_at = excluded.listed_at",
                       (self.host, owner, now()))

    def start_pass(self, repository: Repository, run: int) -> StoredRepository:
        with transaction(self.connection) as db:
            self._upsert_repository(db, repository, None)
            row = db.execute(
                "UPDATE repositories SET last_run = ?, last_pass_completed = 0 WHERE host = ? "
                "AND owner = ? AND slug = ? RETURNING id, watermark, close_times",
                (run, self.host, repository.owner, repository.slug)).fetchone()
        return StoredRepository(row[0], repository, from_text(row[1]), bool(row[2]))

    def save_page(self, stored: StoredRepository, run: int, page: Sequence[PullRequest],
                  requests: int) -> None:
        rows = [(stored.id, *_row(pull_request), run) for pull_request in page]
        with transaction(self.connection) as db:
            replaced = review_copy.to_replace(db, stored.id, page)  # before the rows move
            db.executemany(_UPSERT, rows)
            review_copy.replace(db, stored.id, replaced)
            db.execute("UPDATE runs SET requests = ? WHERE id = ?", (requests, run))

    def finish_pass(self, stored: StoredRepository, run: int, *, watermark: datetime | None,
                    remove_unseen: bool, close_times: bool) -> int:
        """Record a complete pass; with `remove_unseen`, drop what it did not see;
        `close_times` says that the copy now holds them all (never taken back).

        Returns how many pull requests were removed.
        """
        with transaction(self.connection) as db:
            removed = 0
            if remove_unseen:
                removed = db.execute(
                    "DELETE FROM pull_requests WHERE repository_id = ? AND seen_in_run != ?",
                    (stored.id, run)).rowcount
            db.execute(
                "UPDATE repositories SET watermark = ?, completed_at = ?, "
                "last_pass_completed = 1, close_times = max(close_times, ?) WHERE id = ?",
                (None if watermark is None else to_text(watermark), now(), int(close_times),
                 stored.id))
        return removed

    def close_times(self, stored: StoredRepository,
                    page: Sequence[PullRequest]) -> dict[int, datetime | None]:
        """See `review_copy.close_times`."""
        return review_copy.close_times(self.connection, stored.id, page)

    def synced_without_close_times(self, repositories: Sequence[Repository]) -> list[str]:
        """The full names of those `repositories` whose copy has been brought up to date
        without close times (a pass to add them must read them whole)."""
        lacking = {(owner, slug) for owner, slug in self.connection.execute(
            "SELECT owner, slug FROM repositories WHERE host = ? AND watermark IS NOT NULL "
            "AND close_times = 0", (self.host,))}
        return [repository.full_name for repository in repositories
                if (repository.owner, repository.slug) in lacking]

    def latest_update(self, stored: StoredRepository) -> datetime | None:
        row = self.connection.execute(
            "SELECT max(updated_on) FROM pull_requests WHERE repository_id = ?",
            (stored.id,)).fetchone()
        return from_text(row[0])

    def count(self, stored: StoredRepository) -> int:
        return int(self.connection.execute(
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


def _row(pull_request: PullRequest) -> tuple[object, ...]:
    values: list[object] = []
    for name in COLUMNS:
        value = getattr(pull_request, name)
        if isinstance(value, datetime):
            value = to_text(value)
        values.append(value)
    return tuple(values)


@dataclass(frozen=True)
class Status:
    """One synced repository, as `bbpr sync --status` shows it."""

    host: str
    repository: str
    pull_requests: int
    completed_at: datetime | None
    last_run_requests: int | None
    last_pass_completed: bool
    newest_update: datetime | None = None
    """The latest `updated_on` stored: later than the last pass when the server's clock and
    its data disagree."""
    close_times: bool = False
    """The copy holds close times (`closed_on`): see `StoredRepository.close_times`."""


def status(path: Path) -> list[Status]:
    """Every repository in the file, by host and name."""
    with closing(open_read_only(path)) as connection:
        rows = connection.execute(
            "SELECT r.host, r.owner || '/' || r.slug, "
            "(SELECT count(*) FROM pull_requests p WHERE p.repository_id = r.id), "
            "r.completed_at, runs.requests, r.last_pass_completed, "
            "(SELECT max(updated_on) FROM pull_requests p WHERE p.repository_id = r.id), "
            "r.close_times FROM repositories r LEFT JOIN runs ON runs.id = r.last_run "
            "ORDER BY r.host, r.owner, r.slug").fetchall()
    return [Status(host, name, count, from_text(completed), requests, bool(done),
                   from_text(newest), bool(close_times))
            for host, name, count, completed, requests, done, newest, close_times in rows]
