"""The local copy's file: where it lives, opening it to write or to read, its errors, and
the lock that lets one writer at a time in.

- One file, in the platform's data directory unless `--db` says otherwise.
- WAL mode, so that `bbpr list --cached` (or any reader) works while a sync writes, and
  `synchronous = NORMAL`: every commit survives a killed process; a power cut may undo the
  last few, which leaves an older but consistent copy (see `writer`).
- Writers migrate the file to the current schema when they open it (`connect`); readers open
  it read-only (`open_read_only`) and never write, create or migrate anything.
- A file from a newer bbpr is refused, and so is another program's SQLite file.
- Every `sqlite3.Error` becomes a sentence for the user (`file_error`): the file, its
  directory, its disk or another program is at fault, never bbpr. A disk that fills up, or
  a file size limit met, during a sync is said as such: each page is its own transaction,
  so the copy is as the last page stored left it, and the next sync goes on from there.
- A copy that lacks a table or column of its schema version, or holds a value bbpr never
  writes (`schema.DamagedCopyError`), is named as damaged, with what mends it (`in_words`).

One writer at a time (`exclusive`), with a lock file beside the SQLite file. Two syncs
writing one file at once cannot both be right: a full pass deletes the rows it did not mark,
while the other pass re-marks them with its own run, and the copy ends up short with both
runs reporting success (cron jobs that overlap do exactly this). So a sync holds an
exclusive lock on `FILE.lock` for its whole run, and a second sync refuses at once, naming
the process that holds it. Readers (`bbpr list --cached`, any SQLite client) take no part:
WAL lets them read while the one writer writes.

The lock is the operating system's (`flock` on POSIX, `msvcrt.locking` on Windows), held by
an open file, so a writer killed with `kill -9` releases it with its last breath: a stale
lock file on disk means nothing by itself. What the file says (process, target, start) is
only for the message.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from .._version import __version__
from ..errors import BbprError, GaveUpError, InputError
from . import schema
from .schema import APPLICATION_ID, OWN_TABLES, SCHEMA_VERSION, DamagedCopyError

BUSY_TIMEOUT = 10.0
"""Seconds to wait for another process's write lock on the file (bbpr's own syncs never
meet here: `exclusive` lets one at a time in), before giving up with exit 5."""


class NotCachedError(BbprError):
    """Nothing usable is stored for what was asked: run `bbpr sync` first."""

    exit_code = 4


class CopyLockedError(GaveUpError):
    """Another program held the SQLite file's lock for longer than bbpr waits."""


def default_path() -> Path:
    """`pull-requests.sqlite` in the platform's per-user data directory."""
    import platformdirs

    return Path(platformdirs.user_data_dir("bbpr")) / "pull-requests.sqlite"


OWNER_ONLY_FILE = 0o600
OWNER_ONLY_DIRECTORY = 0o700
"""The copy holds titles, names and branches of private repositories: what bbpr creates for
it (the file, its lock, the directories it makes) only its owner may read, as the
credentials file. Existing files and directories keep the mode their owner gave them."""


def make_directory(path: Path) -> None:
    """Create the directory the copy goes in (owner-only, each level bbpr makes), or say in
    a sentence why it cannot be."""
    try:
        missing = [parent for parent in path.parents if not parent.exists()]
        for directory in reversed(missing):
            directory.mkdir(mode=OWNER_ONLY_DIRECTORY, exist_ok=True)
    except OSError as error:
        raise InputError(f"Could not create the directory for {path} "
                         f"({error.strerror or error}); give another --db.") from None
    if path.is_dir():
        raise InputError(f"{path} is a directory; give --db the path of a file.")


def connect(path: Path) -> sqlite3.Connection:
    """Open (or create) the file for writing, in WAL mode, migrated to the current schema.

    The connection is in autocommit mode: every write happens inside `transaction`. A file
    that is another program's database is refused untouched. Its directory exists: the
    `writer.Writer` makes it (`make_directory`) before it takes the lock kept beside it.
    """
    try:
        create_owner_only(path)
        # SQLite gives its -wal and -shm files the mode of the main file.
        connection = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT)
        connection.text_factory = _text
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


def create_owner_only(path: Path) -> None:
    """Create `path` empty and owner-only unless it exists (then it is left as it is)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE))
    except FileExistsError:
        pass
    except OSError as error:
        raise InputError(f"{path} could not be created ({error.strerror or error}); give "
                         "another --db, or make its directory writable.") from None


def open_read_only(path: Path) -> sqlite3.Connection:
    """Open an existing copy for reading only: a read never writes, creates or migrates.

    A missing file is a `NotCachedError`; a file bbpr did not write is an `InputError`.
    """
    return _open_reader(path, shared=False)[0]


def open_snapshots(path: Path, count: int) -> list[sqlite3.Connection]:
    """Up to `count` connections to the copy, opened as `open_read_only` opens one, each in
    a read transaction on one and the same snapshot, for work shared among threads (each
    may be used from any thread, one at a time) while a sync may write.

    A commit between the first's two reads of `PRAGMA data_version` (its last read before
    the others begin, and its first after) moves it; then they all begin again. After three
    tries, or when `count` is 1, the first is returned alone, in its read transaction.
    """
    first, immutable = _open_reader(path, shared=True)
    others: list[sqlite3.Connection] = []
    try:
        for _ in range(3 if count > 1 else 0):
            (before,) = first.execute("PRAGMA data_version").fetchall()
            while len(others) < count - 1:
                others.append(_checked_reader(path, immutable=immutable, shared=True))
            for other in others:
                other.execute("BEGIN")
                other.execute("PRAGMA data_version").fetchall()  # its snapshot, from now
            first.execute("BEGIN")
            if first.execute("PRAGMA data_version").fetchall() == [before]:
                return [first, *others]
            for connection in (first, *others):
                connection.execute("ROLLBACK")
        for other in others:
            other.close()
        first.execute("BEGIN")
        return [first]
    except BaseException as error:
        for connection in (first, *others):
            connection.close()
        if isinstance(error, sqlite3.Error):
            raise file_error(path, error) from None
        raise


def _open_reader(path: Path, *, shared: bool) -> tuple[sqlite3.Connection, bool]:
    """A read-only connection to the copy, and whether it had to be opened immutable."""
    if not path.exists():
        if path.parent.exists() and not path.parent.is_dir():
            raise InputError(f"{path.parent} is a file, so there can be no copy at {path}; "
                             "give another --db.")
        raise NotCachedError(f"There is no local copy at {path}.")
    if path.is_dir():
        raise InputError(f"{path} is a directory; give --db the path of a file.")
    try:
        return _checked_reader(path, immutable=False, shared=shared), False
    except sqlite3.OperationalError as error:
        # WAL readers need the `-shm` file, which a read-only directory cannot get. With no
        # `-wal` either, the main file is the whole copy and no writer can be at work there.
        wal = path.with_name(path.name + "-wal")
        if "unable to open" not in str(error) or (wal.exists() and wal.stat().st_size):
            raise file_error(path, error) from None
    except sqlite3.Error as error:
        raise file_error(path, error) from None
    try:
        return _checked_reader(path, immutable=True, shared=shared), True
    except sqlite3.Error as error:
        raise file_error(path, error) from None


def _text(stored: bytes) -> str:
    """A text value as stored: bbpr writes UTF-8, and bytes that are not (another program's,
    a disk's fault) show as U+FFFD rather than make the whole copy unreadable."""
    return stored.decode("utf-8", "replace")


def _checked_reader(path: Path, *, immutable: bool, shared: bool) -> sqlite3.Connection:
    """`shared`: the connection may be used from other threads than this one."""
    mode = "mode=ro&immutable=1" if immutable else "mode=ro"
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True,
                                 isolation_level=None, timeout=BUSY_TIMEOUT,
                                 check_same_thread=not shared)
    connection.text_factory = _text
    try:
        _check_owner(connection, path, writing=False)
    except BaseException:
        connection.close()
        raise
    return connection


class DiskFullError(GaveUpError):
    """The disk (or the file size limit) ran out while the copy was written: nothing of it
    is lost, and the next sync goes on from where this one stopped."""


MEND_BY_HAND = ("A sync cannot mend that: move the file aside and run `bbpr sync` to make a "
                "new copy, or give another --db.")


@contextlib.contextmanager
def in_words(path: Path, remedy: str, *, writing: bool = False) -> Iterator[None]:
    """Every failure of the file at `path` inside the block, said of it: damage with
    `remedy` (what mends it where the caller stands), SQLite's errors by `file_error`."""
    try:
        yield
    except DamagedCopyError as error:
        raise error.of(path, remedy) from None
    except sqlite3.Error as error:
        raise file_error(path, error, writing=writing) from None


def file_error(path: Path, error: sqlite3.Error, *, writing: bool = False) -> BbprError:
    """What went wrong with the file, in the user's words (an `sqlite3.Error` is never a bug
    of bbpr's: the file, its directory, its disk or another program is at fault).
    `writing`: the file was open and being written (a sync), not being opened."""
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return CopyLockedError(
            f"{path} stayed locked by another program for {BUSY_TIMEOUT:.0f} s; nothing was "
            "changed. Run again once it has finished with the file."
        )
    if "readonly" in text or "read-only" in text:
        return InputError(f"{path} cannot be written to (it or its directory is read-only); "
                          "give another --db, or make it writable.")
    intact = "The copy is intact, and the next `bbpr sync` goes on from there"
    if "full" in text:  # ENOSPC (a file size limit met is EFBIG: an I/O error, below)
        return DiskFullError(f"The disk holding {path} is full. {intact} once there is room.")
    if writing and "disk i/o" in text:
        limit = _size_limit()
        met = f" (ulimit -f: {limit:,} bytes)" if limit is not None else ""
        return DiskFullError(f"Writing {path} failed ({error}): its disk is full or failing, or "
                             f"its file size limit was met{met}. {intact}.")
    if "malformed" in text or "corrupt" in text:
        return DamagedCopyError(f"its file is corrupt ({error})", path=path,
                                remedy=MEND_BY_HAND)
    if "unable to open" in text or "disk i/o" in text:
        return InputError(f"{path} could not be opened ({error}); check that its directory "
                          "exists and that you may read and write there, or give another --db.")
    if writing:
        return InputError(f"Writing {path} failed ({error}); if another program changed it, "
                          "move it aside and sync again, or give another --db.")
    return InputError(f"{path} is not a bbpr database ({error}); give another --db.")


def _size_limit() -> int | None:
    """The file size limit this process runs under (`ulimit -f`), in bytes, if it has one."""
    try:
        import resource
    except ImportError:  # pragma: no cover (Windows has none)
        return None
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if limit == resource.RLIM_INFINITY else limit


def _check_owner(connection: sqlite3.Connection, path: Path, *, writing: bool) -> None:
    """Refuse a file that is not a bbpr copy, or that a newer bbpr wrote.

    A new, empty file becomes a copy when writing. Copies made before bbpr marked its files
    with `APPLICATION_ID` are known by their version and tables.
    """
    application_id = int(connection.execute("PRAGMA application_id").fetchone()[0])
    version = schema.version(connection)
    tables = {row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    empty = application_id == 0 and version == 0 and not tables
    ours = application_id == APPLICATION_ID or (
        application_id == 0 and version >= 1 and tables >= OWN_TABLES)
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
    damage = schema.missing_part(connection, version)
    if damage is not None:
        raise DamagedCopyError(damage, path=path, remedy=MEND_BY_HAND)
    if version < SCHEMA_VERSION and not writing:
        raise InputError(f"{path} was written by an older bbpr (schema version {version}); "
                         "run `bbpr sync` once to bring it up to date.")


def _migrate(connection: sqlite3.Connection, path: Path) -> None:
    if schema.version(connection) == SCHEMA_VERSION:
        return
    with transaction(connection):  # IMMEDIATE: two first runs must not both migrate
        _check_owner(connection, path, writing=True)  # as it is now, inside the transaction
        schema.upgrade(connection)


@contextlib.contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: committed whole or not at all."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")

class CopyBusyError(GaveUpError):
    """Another sync is writing to the same file; this one did nothing."""


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def exclusive(path: Path, command: str) -> Iterator[None]:
    """Hold the writer's lock of the copy at `path` for the duration of the block; `command`
    (the sync as typed) is what another sync is told is writing."""
    where = lock_path(path)
    try:
        # Owner-only, as the copy: it names the command and its target.
        descriptor = os.open(where, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        file = open(descriptor, "a+", encoding="utf-8")  # noqa: SIM115 (held for the whole block)
    except OSError as error:
        raise InputError(f"Could not create the lock file {where} ({error.strerror or error}); "
                         "give a --db in a directory you can write to.") from None
    with file:
        if not _try_lock(file):
            raise CopyBusyError(
                f"Another bbpr sync ({_holder(file)}) is writing to {path}; this one stopped "
                "without changing it, so that the two cannot mix. Run it again once the other "
                "has finished."
            )
        try:
            with contextlib.suppress(OSError):  # only for the message: a full disk may refuse
                file.seek(0)
                file.truncate()
                file.write(f"process {os.getpid()}, `{command}`, started "
                           f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n")
                file.flush()
            yield
        finally:
            with contextlib.suppress(OSError):
                file.seek(0)
                file.truncate()
            _unlock(file)


def _holder(file: IO[str]) -> str:
    file.seek(0)
    text = file.read(300).strip()
    return text or "a process that is starting"


if sys.platform == "win32":  # pragma: no cover (the tests run on POSIX)
    import msvcrt

    def _try_lock(file: IO[str]) -> bool:
        file.seek(0)
        try:
            msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(file: IO[str]) -> None:
        file.seek(0)
        with contextlib.suppress(OSError):
            msvcrt.locking(file.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(file: IO[str]) -> bool:
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(file: IO[str]) -> None:
        fcntl.flock(file.fileno(), fcntl.LOCK_UN)
