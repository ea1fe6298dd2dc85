"""`bbpr sync --status`: what the local copy holds, per repository, read without writing."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .file import open_read_only
from .schema import from_text


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
    """Every repository in the file, by host and name."""
    with closing(open_read_only(path)) as connection:
        rows = connection.execute(
            "SELECT r.host, r.owner || '/' || r.slug, "
            "(SELECT count(*) FROM pull_requests p WHERE p.repository_id = r.id), "
            "r.completed_at, runs.requests, r.last_pass_completed, "
            "(SELECT max(updated_on) FROM pull_requests p WHERE p.repository_id = r.id), "
            "r.close_times, r.review_events FROM repositories r "
            "LEFT JOIN runs ON runs.id = r.last_run ORDER BY r.host, r.owner, r.slug").fetchall()
    return [Status(host, name, count, from_text(completed), requests, bool(done),
                   from_text(newest), bool(close_times), bool(events))
            for host, name, count, completed, requests, done, newest, close_times, events
            in rows]
