"""`bbpr sync --status`: what the local copy holds, per repository, read without writing."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .file import MEND_BY_HAND, default_path, in_words, open_read_only
from .schema import flag, from_text, unreadable


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
    """The copy holds close times (`closed_on`): see `writer.StoredRepository.close_times`."""
    review_events: bool = False
    """The copy holds every pull request's review events, as of its last complete pass."""


def status(path: Path) -> list[Status]:
    """Every repository in the file, by host and name; a value bbpr never writes is named
    as damage, with the sync that mends it."""
    with in_words(path, MEND_BY_HAND), closing(open_read_only(path)) as connection:
        rows = connection.execute(
            "SELECT r.host, r.owner, r.slug, r.flavour, "
            "(SELECT count(*) FROM pull_requests p WHERE p.repository_id = r.id), "
            "r.completed_at, runs.requests, r.last_pass_completed, "
            "(SELECT max(updated_on) FROM pull_requests p WHERE p.repository_id = r.id), "
            "r.close_times, r.review_events FROM repositories r "
            "LEFT JOIN runs ON runs.id = r.last_run "
            "ORDER BY r.host, r.owner, r.slug").fetchall()
    found = []
    for (host, owner, slug, flavour, count, completed, requests, done, newest, close_times,
         events) in rows:
        with in_words(path, MEND_BY_HAND):  # not a repository's name: no sync reaches it
            for column, value in (("host", host), ("owner", owner), ("slug", slug)):
                if not isinstance(value, str):
                    raise unreadable(f"repositories.{column}", value, "text")
        name = f"{owner}/{slug}"
        server = f" --server {host}" if flavour == "datacenter" else ""
        db = "" if path == default_path() else f" --db {path}"
        mend = (f"Run `bbpr sync {name}{server}{db} --full` to read it again from the server, "
                "or give another --db.")
        with in_words(path, mend):
            found.append(Status(host, name, count, from_text(completed, "repositories."
                                                             "completed_at"),
                                _count(requests, "runs.requests"), flag(done) is True,
                                from_text(newest, "pull_requests.updated_on"),
                                flag(close_times) is True, flag(events) is True))
    return found


def _count(value: object, column: str) -> int | None:
    if value is None or (isinstance(value, int) and value >= 0):
        return value
    raise unreadable(column, value, "a count")
