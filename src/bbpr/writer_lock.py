"""One writer at a time on a local copy: a lock file beside the SQLite file.

Two syncs writing one file at once cannot both be right: a full pass deletes the rows it did
not mark, while the other pass re-marks them with its own run, and the copy ends up short with
both runs reporting success (cron jobs that overlap do exactly this). So a sync holds an
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
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from .errors import GaveUpError, InputError


class CopyBusyError(GaveUpError):
    """Another sync is writing to the same file; this one did nothing."""


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def exclusive(path: Path, target: str) -> Iterator[None]:
    """Hold the writer's lock of the copy at `path` for the duration of the block."""
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
            file.seek(0)
            file.truncate()
            file.write(f"process {os.getpid()}, `bbpr sync {target}`, started "
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
