"""Review events in the local copy: the `review_events` table, one row an event, written by
`bbpr sync --review-events` with the page of pull requests they belong to.

A row is keyed by its pull request and `event_key` (a comment's ID; else kind, time and
who: see `models.ReviewEvent`), so an event read twice, by two walks or two syncs, is one
row. A pass that read a pull request's whole activity (a first pass, `--full`, a copy
gaining events) puts its events in place of those stored, so that what the server no
longer shows (a comment deleted, on Data Center) goes too; a later pass, which reads only
what happened since, adds to them. Times are `schema.to_text`; `user_id` is what
`pull_requests.author_id` holds for the same person, so "by anyone but the author" is
`user_id != author_id`. The table is made by the migration to schema version 5.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ..models import PullRequest, ReviewEvent
from .review import chunks
from .schema import to_text

_COLUMNS = ("event_key", "kind", "happened_on", "user_id", "login", "name", "inline")
_UPSERT = (
    f"INSERT INTO review_events (repository_id, pull_request_id, {', '.join(_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' * (len(_COLUMNS) + 2))}) "
    "ON CONFLICT (repository_id, pull_request_id, event_key) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _COLUMNS[1:])
)


def save(db: sqlite3.Connection, repository_id: int, read: Sequence[PullRequest],
         events: Sequence[ReviewEvent], *, whole: bool) -> None:
    """Store the events of the pull requests whose activity was `read` (after their rows
    are), and that each one's are all stored up to its update time (`events_through`,
    where its row is the version read: a newer one stored meanwhile may have more);
    `whole`: the events are all each one has, in place of those stored."""
    if whole:
        db.executemany(
            "DELETE FROM review_events WHERE repository_id = ? AND pull_request_id = ?",
            [(repository_id, pr.id) for pr in read])
    db.executemany(_UPSERT, [
        (repository_id, event.pull_request, event.key, event.kind, to_text(event.on),
         event.user_id, event.login, event.name,
         None if event.inline is None else int(event.inline))
        for event in events])
    db.executemany(
        "UPDATE pull_requests SET events_through = updated_on WHERE repository_id = ? "
        "AND id = ? AND updated_on = ?",
        [(repository_id, pr.id, to_text(pr.updated_on)) for pr in read
         if pr.updated_on is not None])


def current(db: sqlite3.Connection, repository_id: int,
            page: Sequence[PullRequest]) -> set[int]:
    """Those of the page's pull requests whose events are all stored up to the update time
    they have now: their activity need not be asked again. A later pass re-reads the few
    updated just before its watermark; a pass after one that stopped, all those it did."""
    listed = {pr.id: to_text(pr.updated_on) for pr in page if pr.updated_on is not None}
    found: set[int] = set()
    for chunk in chunks(list(listed)):
        rows = db.execute(
            "SELECT id, events_through FROM pull_requests WHERE "  # noqa: S608
            f"repository_id = ? AND id IN ({', '.join('?' * len(chunk))})",
            (repository_id, *chunk))
        found.update(number for number, through in rows if through == listed[number])
    return found
