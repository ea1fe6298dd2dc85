"""Pull request records and their review events, loaded into an in-memory database with the
copy's own tables, so that records that never went through the copy (a live `bbpr list`)
get their metrics from the same SQL as the copy's."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping, Sequence

from ..copy import schema
from ..copy.writer import columns_of
from ..models import PullRequest, ReviewEvent

_PULL_REQUEST = (
    f"INSERT OR REPLACE INTO pull_requests (repository_id, {', '.join(schema.COLUMNS)}, "  # noqa: S608
    f"seen_in_run) VALUES ({', '.join('?' * (len(schema.COLUMNS) + 2))})")
_EVENT = ("INSERT OR IGNORE INTO review_events (repository_id, pull_request_id, event_key, "
          "kind, happened_on, user_id, login, name, inline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


@contextlib.contextmanager
def load(pull_requests: Sequence[PullRequest],
         events: Mapping[str, Sequence[ReviewEvent]]) -> Iterator[sqlite3.Connection]:
    """An in-memory copy holding `pull_requests` and, by repository full name, `events` (an
    event of a pull request not among them is left out, as a copy cannot hold it)."""
    connection = sqlite3.connect(":memory:", isolation_level=None)
    try:
        schema.upgrade(connection)
        names = sorted({pr.repository for pr in pull_requests} | set(events))
        numbers = {name: number for number, name in enumerate(names, start=1)}
        connection.executemany(
            "INSERT INTO repositories (id, host, flavour, owner, slug, review_events) "
            "VALUES (?, '', 'cloud', ?, ?, 1)",
            [(number, *_owner_and_slug(name)) for name, number in numbers.items()])
        connection.executemany(_PULL_REQUEST, [
            (numbers[pr.repository], *columns_of(pr), 0) for pr in pull_requests])
        held = {(numbers[pr.repository], pr.id) for pr in pull_requests}
        connection.executemany(_EVENT, [
            (numbers[name], event.pull_request, event.key, event.kind,
             schema.to_text(event.on), event.user_id, event.login, event.name,
             None if event.inline is None else int(event.inline))
            for name, those in events.items() for event in those
            if (numbers[name], event.pull_request) in held])
        yield connection
    finally:
        connection.close()


def _owner_and_slug(full_name: str) -> tuple[str, str]:
    owner, _, slug = full_name.partition("/")
    return owner, slug
