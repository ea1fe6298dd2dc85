"""What a job will cost in requests: the cost model, and the counts it is fed from the
local copy, read without writing and without a request.

The cost model (`listing_cost`, `sync_cost`) is kept apart from where the counts come from,
so that a cheaper way of listing (Cloud's ID proof, for one) changes these functions alone.
Every figure is for a server that honours what bbpr asks (the fast rung of the ladder in
docs/how-bbpr-lists.md); a server that does not costs more, within the request bound.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from .copy.file import NotCachedError, open_read_only
from .errors import BbprError
from .models import OPEN_LIKE, STATES, Flavour, Repository

CLOUD_PAGE = 50
"""Pull requests a Cloud list page holds at most."""
DATACENTER_PAGE = 1000
"""Pull requests a Data Center page holds (the server's default cap); pages overlap by one."""
ACTIVITY_PER_REQUEST = 5
"""Cloud's activity feed, per request: 50 entries, about ten a pull request (docs/list.md,
"Review data, and what it costs")."""
REPOSITORY_PAGE = {"cloud": 100, "datacenter": 1000}


@dataclass(frozen=True)
class Counts:
    """What the local copy knows of one repository."""

    pull_requests: int
    closed: int
    synced: bool
    """A complete pass is stored: the next sync reads only what changed."""
    close_times: bool
    review_events: bool = False


@dataclass
class Cost:
    """Requests, and how many repositories had to be guessed at (no count known: one
    request each is the least they can cost)."""

    requests: int = 0
    guessed: int = 0

    def add(self, requests: int, *, guessed: bool = False) -> None:
        self.requests += requests
        self.guessed += int(guessed)


def pages(flavour: Flavour, pull_requests: int) -> int:
    """Requests to list `pull_requests` of one repository, the first page included."""
    if flavour == "cloud":
        return max(1, math.ceil(pull_requests / CLOUD_PAGE))
    # One page after another, overlapping by one, and one more from the front at the end.
    return max(1, math.ceil(pull_requests / (DATACENTER_PAGE - 1))) + 1


def close_time_requests(flavour: Flavour, listed: int, closed: int) -> int:
    """Cloud's close times: the activity feed as far back as the listed pull requests go,
    or each closed one's own feed when that is cheaper. Data Center's records carry them."""
    if flavour != "cloud":
        return 0
    return min(math.ceil(listed / ACTIVITY_PER_REQUEST), closed)


def event_requests(flavour: Flavour, pull_requests: int) -> int:
    """Review events of `pull_requests` read whole: on Cloud the repository's activity feed
    (which dates the closes too), on Data Center each one's activities."""
    if flavour == "cloud":
        return math.ceil(pull_requests / ACTIVITY_PER_REQUEST)
    return pull_requests


def repository_listing(flavour: Flavour, repositories: int) -> int:
    return max(1, math.ceil(repositories / REPOSITORY_PAGE[flavour]))


def listing_cost(flavour: Flavour, counts: Counts | None, *, states: Iterable[str],
                 closed_on: bool, limit: int | None = None,
                 ids_only: bool = False, review_events: bool = False) -> tuple[int, bool]:
    """`bbpr list` of one repository: (requests, guessed). From the copy's counts of the
    states asked for; with no count, the one request every listing makes at least. Every
    state's IDs alone (`ids_only`: no field but ID and state, no filter) on Cloud are
    proved from the count: the newest page and one from the bottom (docs/how-bbpr-lists.md).
    The review metrics (`review_events`) cost the listed pull requests' events, as for a
    sync: on Cloud the walk that dates the closes too."""
    if counts is None:
        return 1, True
    wanted = set(states)
    listed = counts.pull_requests if "OPEN" in wanted else counts.closed
    if flavour == "cloud" and ids_only and wanted >= set(STATES) and limit is None:
        return min(2, pages(flavour, listed)), False
    if limit is not None:
        listed = min(listed, limit)
    closed = min(counts.closed, listed)
    if review_events:
        return pages(flavour, listed) + event_requests(flavour, listed), False
    return pages(flavour, listed) + (close_time_requests(flavour, listed, closed)
                                     if closed_on else 0), False


def sync_cost(flavour: Flavour, counts: Counts | None, *, full: bool,
              close_times: bool, review_events: bool = False) -> tuple[int, bool]:
    """`bbpr sync` of one repository: (requests, guessed). A synced copy that keeps what
    it kept costs one request (nothing changed: one page of changes, empty); one read
    whole costs every page, and on Cloud with close times the activity feed as well;
    with review events, the activity (on Cloud the same walk as the close times)."""
    if counts is None:
        return 1, True
    events = review_events or counts.review_events
    keeps = close_times or counts.close_times
    if (counts.synced and not full and (counts.close_times or not close_times)
            and (counts.review_events or not review_events)):
        return 1, False
    requests = pages(flavour, counts.pull_requests)
    if events:
        requests += event_requests(flavour, counts.pull_requests)
    elif keeps:
        requests += close_time_requests(flavour, counts.pull_requests, counts.closed)
    return requests, False


def copy_counts(path: Path, host: str, repositories: Iterable[Repository]
                ) -> dict[str, Counts]:
    """The copy's counts for those of `repositories` it holds, by full name; nothing when
    there is no copy (or it cannot be read: a plan is an estimate, and says what it guessed)."""
    names = {(repository.owner, repository.slug): repository.full_name
             for repository in repositories}
    try:
        connection = open_read_only(path)
    except (NotCachedError, BbprError, sqlite3.Error):
        return {}
    found: dict[str, Counts] = {}
    with closing(connection):
        try:
            rows = connection.execute(
                "SELECT r.owner, r.slug, count(p.id), "  # noqa: S608 (placeholders only)
                "coalesce(sum(p.state IS NOT NULL AND p.state NOT IN "
                f"({', '.join('?' * len(OPEN_LIKE))})), 0), "
                "r.watermark IS NOT NULL, r.close_times, r.review_events FROM repositories r "
                "LEFT JOIN pull_requests p ON p.repository_id = r.id WHERE r.host = ? "
                "GROUP BY r.id", (*sorted(OPEN_LIKE), host)).fetchall()
        except sqlite3.Error:
            return {}
    for owner, slug, count, closed, synced, close_times, events in rows:
        name = names.get((owner, slug))
        if name is not None:
            found[name] = Counts(int(count), int(closed), bool(synced), bool(close_times),
                                 bool(events))
    return found


def copy_repositories(path: Path, host: str, owner: str) -> list[Repository]:
    """The repositories of a workspace or project as the copy last listed them."""
    try:
        connection = open_read_only(path)
    except (NotCachedError, BbprError, sqlite3.Error):
        return []
    with closing(connection):
        try:
            rows = connection.execute(
                "SELECT owner, slug FROM repositories WHERE host = ? AND owner = ? AND "
                "position IS NOT NULL ORDER BY position", (host, owner)).fetchall()
        except sqlite3.Error:
            return []
    return [Repository(owner=row[0], slug=row[1]) for row in rows]
