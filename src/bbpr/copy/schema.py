"""The local copy's format: its tables, their migrations, and how values are written.

The schema is versioned with `PRAGMA user_version`: `MIGRATIONS[n]` takes version `n` to
`n + 1`, and `file.connect` runs them by itself when a sync opens the file (a reader
never migrates). `PRAGMA application_id` marks the file as bbpr's, so that bbpr never adds
its tables to somebody else's database. Plain columns and ISO-8601 UTC times that sort as
text, so that reports and dashboards may query the file themselves.

What is read back is checked, since another program (or a hand, or a disk) may have written
the file: a table or column of the copy's version missing (`missing_part`, from the
migrations themselves, so it never falls behind them) or a value bbpr never writes
(`from_text`, `checked`) is a `DamagedCopyError`, which says what is damaged; `time_or_none`
is the lenient reading a sync uses, where what cannot be read counts as unknown.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from datetime import UTC, datetime
from typing import TypeVar

import msgspec

from ..errors import InputError
from ..models import FIELDS, METRIC_FIELDS, REVIEW_FIELDS

STORED_FIELDS: tuple[str, ...] = tuple(name for name in FIELDS
                                       if name not in ("description", "author_account_id")
                                       and name not in METRIC_FIELDS)
"""The record fields a sync fetches and keeps (the account ID only serves `--author`; the
review metrics are made from the events kept, as they are read)."""
COLUMNS: tuple[str, ...] = tuple(name for name in STORED_FIELDS
                                 if name != "repository" and name not in REVIEW_FIELDS)
"""The columns of `pull_requests`; the review fields live in `participants`."""

MIGRATIONS: tuple[str, ...] = (
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
    # 3 -> 4: a run that stopped early with repositories left (the allowance spent, the
    # network gone, Ctrl-C) is resumed by the next sync of its target, which syncs first
    # the repositories it left (`writer.Writer.resumed_job`). A killed run, which never
    # finished, counts as stopped too; runs before this version are taken as they ended.
    """
    ALTER TABLE runs ADD COLUMN stopped INTEGER NOT NULL DEFAULT 0;
    """,
    # 4 -> 5: review events (`sync --review-events`), the facts review metrics are made of:
    # one row an event, kept by choice per repository (`repositories.review_events`, 1 once
    # a complete pass holds every pull request's events, and kept current from then on).
    # `event_key` makes a row one event whichever walk read it (a comment's ID; else kind,
    # time and who), so that reading an event twice stores it once. `kind` is one of
    # `models.EVENT_KINDS`, or `other:` and the server's own word for one bbpr does not know.
    # `pull_requests.events_through` is the `updated_on` up to which a pull request's events
    # are all stored (written in the transaction that stores them), so that a sync stopped
    # half-way does not ask again for those it had.
    """
    CREATE TABLE review_events (
        repository_id INTEGER NOT NULL,
        pull_request_id INTEGER NOT NULL,
        event_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        happened_on TEXT NOT NULL,
        user_id TEXT,
        login TEXT,
        name TEXT,
        inline INTEGER,
        PRIMARY KEY (repository_id, pull_request_id, event_key),
        FOREIGN KEY (repository_id, pull_request_id)
            REFERENCES pull_requests (repository_id, id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX review_events_by_time ON review_events (repository_id, happened_on);
    ALTER TABLE repositories ADD COLUMN review_events INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE pull_requests ADD COLUMN events_through TEXT;
    """,
    # 5 -> 6: the merge queue flag (`queued`), beside `draft`. Rows kept before have none
    # (NULL, shown empty) until their pull request changes and a sync reads it again.
    """
    ALTER TABLE pull_requests ADD COLUMN queued INTEGER;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

APPLICATION_ID = 0x62627072
"""`PRAGMA application_id` of a bbpr copy ("bbpr"): how a file says whose it is."""
OWN_TABLES = frozenset({"runs", "owners", "repositories", "pull_requests"})
"""The tables that tell a copy made before `APPLICATION_ID` marked bbpr's files."""


def version(connection: sqlite3.Connection) -> int:
    """The schema version of the open file (0 for a new one)."""
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def upgrade(connection: sqlite3.Connection) -> None:
    """Take the file from its version to `SCHEMA_VERSION`, and mark it as bbpr's.

    The caller holds the write transaction and has checked that the file is a bbpr copy.
    """
    for number in range(version(connection), SCHEMA_VERSION):
        for statement in _statements(MIGRATIONS[number]):
            connection.execute(statement)
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _statements(script: str) -> list[str]:
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def missing_part(connection: sqlite3.Connection, version: int) -> str | None:
    """What the open file lacks of the tables and columns its schema version has (a table
    dropped, a column gone), in words; None when nothing is missing. Tables and columns of
    the user's own are no concern of bbpr's."""
    found: dict[str, set[str]] = {}
    for table, columns in tables(version).items():
        found[table] = {str(row[1]) for row in connection.execute(
            "SELECT * FROM pragma_table_info(?)", (table,))}
        if not found[table]:
            return f"its table {table} is missing"
        lacking = sorted(columns - found[table])
        if lacking:
            return f"its table {table} has no column {lacking[0]}"
    return None


@functools.cache
def tables(version: int) -> dict[str, frozenset[str]]:
    """The tables, and their columns, of a copy at `version`: made by its migrations in
    memory, so that this never falls behind them."""
    memory = sqlite3.connect(":memory:")
    try:
        for number in range(version):
            for statement in _statements(MIGRATIONS[number]):
                memory.execute(statement)
        tables = [row[0] for row in memory.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")]
        return {table: frozenset(str(row[1]) for row in memory.execute(
            "SELECT * FROM pragma_table_info(?)", (table,))) for table in tables}
    finally:
        memory.close()


class DamagedCopyError(InputError):
    """The copy holds what bbpr never writes there (a value of the wrong type, a table
    dropped): edited by hand or by another program, or a disk's fault. Exit 2, with what is
    wrong and what mends it; readers say it, a sync never makes it worse (see `writer`)."""

    def __init__(self, damage: str, *, path: object = None, remedy: str = (
            "Run `bbpr sync` with --full for what it holds to read it again from the server, "
            "or give another --db.")) -> None:
        self.damage = damage
        where = "The local copy" if path is None else str(path)
        super().__init__(f"{where} is damaged: {damage}. {remedy}")

    def of(self, path: object, remedy: str) -> DamagedCopyError:
        """The same damage, said of the file at `path`, with the remedy that fits it."""
        return DamagedCopyError(self.damage, path=path, remedy=remedy)


T = TypeVar("T")
_EXPECTED = re.compile(r"Expected `(\w+)")
_WHERE = re.compile(r"`\$\.(\w+)`")
_KINDS = {"int": "a whole number", "str": "text", "bool": "true or false",
          "datetime": "a time"}


def checked(kind: type[T], table: str, values: dict[str, object]) -> T:
    """A record made of a stored row, every value of the type its field has: else the
    column is named as damaged. Times are read by `from_text`, flags by `flag`, first."""
    try:
        return msgspec.convert(values, kind)
    except msgspec.ValidationError as error:
        where, expected = _WHERE.search(str(error)), _EXPECTED.search(str(error))
        column = where.group(1) if where else "a column"
        wanted = _KINDS.get(expected.group(1), expected.group(1)) if expected else "its type"
        raise unreadable(f"{table}.{column}", values.get(column), wanted) from None


def flag(value: object) -> object:
    """A stored 0 or 1 as False or True; anything else as it is, for `checked` to refuse."""
    return bool(value) if value in (0, 1) and not isinstance(value, float | str) else value


def unreadable(column: str, value: object, kind: str) -> DamagedCopyError:
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return DamagedCopyError(f"{column} holds {shown}, which is not {kind}")


def now() -> str:
    return to_text(datetime.now(UTC))


TIME_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]." \
            "[0-9][0-9][0-9][0-9][0-9][0-9]Z"
"""What `to_text` writes, as an SQL `GLOB`: a stored time that does not match it is damage
a sync overwrites (`writer`)."""
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def to_text(moment: datetime) -> str:
    """Fixed width, so that text order is time order in SQL (the year too: strftime's %Y
    writes year 1 as "1")."""
    moment = moment.astimezone(UTC)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S.%f}Z"


def from_text(text: object, column: str = "a time column") -> datetime | None:
    """A stored time (None for NULL); `DamagedCopyError` for anything else."""
    if text is None:
        return None
    moment = time_or_none(text)
    if moment is None:
        raise unreadable(column, text, "a time")
    return moment


def time_or_none(text: object) -> datetime | None:
    """A stored time, or None for NULL and for what bbpr never writes: a sync reads what
    it cannot trust again, and so mends it."""
    if not isinstance(text, str) or not _TIME.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:  # the shape of a time, but the 31st of February
        return None
