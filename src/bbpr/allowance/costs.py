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
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from ..copy.file import NotCachedError, open_read_only
from ..errors import BbprError
from ..models import STATES, Flavour, Repository, State, placed_state

CLOUD_PAGE = 50
"""Pull requests a Cloud list page holds at most."""
DATACENTER_PAGE = 1000
"""Pull requests a Data Center page holds (the server's default cap); pages overlap by one."""
ACTIVITY_PER_REQUEST = 5
"""Cloud's activity feed, per request: 50 entries, about ten a pull request (docs/list.md,
"Review data, and what it costs")."""
QUIET_FEED, BUSY_FEED = 7, 4
"""Pull requests a feed page dates in a quiet repository (seven entries each) and a busy one
(twelve): the range a plan states for the feed walk."""
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
    states: Mapping[str, int] = field(default_factory=dict)
    """Pull requests per state: the four (drafts and merge-queued ones as OPEN), and any
    other under its own name."""
    highest: int = 0
    """The highest ID: above the count where IDs are missing from the lists."""
    drafts: int = 0
    """Open drafts: listing one tells the run that the server shows them (`hidden`)."""


@dataclass
class Cost:
    """Requests, about (`requests`) and from `least` to `most`, and how many repositories
    had to be guessed at (no count known: counted at the least they cost)."""

    requests: int = 0
    guessed: int = 0
    least: int = 0
    most: int = 0

    def add(self, requests: int, *, guessed: bool = False, least: int | None = None,
            most: int | None = None) -> None:
        self.requests += requests
        self.least += requests if least is None else least
        self.most += requests if most is None else most
        self.guessed += int(guessed)

    def said(self) -> str:
        """`about 31 requests`, `40 to 52 requests`, or `at least 51 requests` where some
        repositories were guessed at."""
        if self.guessed:
            return f"at least {_requests(self.least)}"
        if self.most - self.least <= max(1, self.requests // 10):
            return f"about {_requests(self.requests)}"
        return f"{self.least:,} to {_requests(self.most)}"


def _requests(number: int) -> str:
    return f"{number:,} {'request' if number == 1 else 'requests'}"


def pages(flavour: Flavour, pull_requests: int) -> int:
    """Requests to list `pull_requests` of one repository, the first page included."""
    if flavour == "cloud":
        return max(1, math.ceil(pull_requests / CLOUD_PAGE))
    # One page after another, overlapping by one, and one more from the front at the end.
    return max(1, math.ceil(pull_requests / (DATACENTER_PAGE - 1))) + 1


def close_time_requests(flavour: Flavour, listed: int, closed: int) -> int:
    """Cloud's close times: the activity feed as far back as the listed pull requests go,
    or each closed one's own feed when that is cheaper. Data Center's records carry them."""
    return close_time_range(flavour, listed, closed)[1]


def close_time_range(flavour: Flavour, listed: int, closed: int) -> tuple[int, int, int]:
    """`close_time_requests` as the least, about and most: how many entries a pull request
    has in the feed is the team's habit, not a number the copy knows (a quiet repository's
    feed dates seven pull requests a page, a busy one's four)."""
    if flavour != "cloud":
        return 0, 0, 0
    return feed_range(listed, closed)


def feed_range(listed: int, cap: int) -> tuple[int, int, int]:
    """Cloud's repository feed walked back over `listed` pull requests, at most `cap`
    requests (each one's own feed instead): the least, about and most."""
    least, about, most = (min(math.ceil(listed / per_page), cap)
                          for per_page in (QUIET_FEED, ACTIVITY_PER_REQUEST, BUSY_FEED))
    return least, about, most


def event_requests(flavour: Flavour, pull_requests: int) -> int:
    """Review events of `pull_requests` read whole: on Cloud the repository's activity feed
    (which dates the closes too), on Data Center each one's activities."""
    if flavour == "cloud":
        return math.ceil(pull_requests / ACTIVITY_PER_REQUEST)
    return pull_requests


def repository_listing(flavour: Flavour, repositories: int) -> int:
    return max(1, math.ceil(repositories / REPOSITORY_PAGE[flavour]))


@dataclass(frozen=True)
class Listing:
    """What of a `bbpr list` decides its cost (see `plan.ListCost`)."""

    states: frozenset[State]
    ids_only: bool
    """No field but `id`, `repository` and `state`."""
    with_state: bool
    plain: bool
    """No filter but states."""
    closed_on: bool
    limit: int | None = None
    concurrency: int = 8
    review_events: bool = False
    """A review metric is asked for: the listed pull requests' events are read."""


def listing_costs(flavour: Flavour, listing: Listing,
                  repositories: Sequence[Counts | None]) -> Cost:
    """`bbpr list` of these repositories, in the order they are listed, each with the copy's
    counts (None: not in the copy, counted at the one request it costs at least).

    On Cloud the ladder's own choices (`cloud.listing_cost`), and the count that checks a
    listing with OPEN for what the server left out, made until a draft is listed
    (`cloud.hidden`): repositories are listed side by side, twice `concurrency` at a time, so
    the ones listed beside the first that holds a draft may check or not (the least and the
    most say so). A server that does not honour what bbpr asks costs more."""
    cost = Cost()
    if flavour != "cloud":
        for counts in repositories:
            if counts is None:
                cost.add(1, guessed=True)
                continue
            # Data Center reads every state, and filters here (docs/how-bbpr-lists.md).
            listed = counts.pull_requests
            events = (_listed(counts, listing.states, listing.limit) if listing.review_events
                      else 0)  # each one's activities
            cost.add(pages(flavour, listed if listing.limit is None
                           else min(listed, listing.limit)) + events)
        return cost
    from ..cloud.listing_cost import Shape, listing_cost

    shape = Shape(listing.states, listing.ids_only, listing.with_state, listing.plain,
                  listing.limit, listing.concurrency)
    window = 2 * listing.concurrency
    drafted = next((index for index, counts in enumerate(repositories)
                    if counts is not None and counts.drafts and "OPEN" in listing.states),
                   None)
    leaves_out = False
    for index, counts in enumerate(repositories):
        if counts is None:
            cost.add(1, guessed=True)
            continue
        found = listing_cost(shape, counts.states, counts.highest)
        least, most, about = found.least, found.most, (found.least + found.most) // 2
        if found.check and not (counts.drafts and "OPEN" in listing.states):
            walk = counts.highest > counts.pull_requests
            check = found.check if not leaves_out else _walk(counts)
            always = drafted is None or index < drafted - window
            least += check if always else 0
            about += check if drafted is None or index < drafted else 0
            most += check if drafted is None or index < drafted + window else 0
            leaves_out = leaves_out or walk
        listed = _listed(counts, listing.states, listing.limit)
        if listing.review_events:  # the feed back to the listed ones' creation
            fewest, closing, utmost = feed_range(listed, listed)
        elif listing.closed_on:
            fewest, closing, utmost = close_time_range(flavour, listed,
                                                       min(counts.closed, listed))
        else:
            fewest = closing = utmost = 0
        least, about, most = least + fewest, about + closing, most + utmost
        cost.add(about, least=least, most=most)
    return cost


def _walk(counts: Counts) -> int:
    """The plain walk `hidden` proves a listing by once the server was seen to leave some
    out: every state, a page at a time, and each missing ID asked for."""
    missing = counts.highest - counts.pull_requests
    return pages("cloud", counts.pull_requests) + (missing + 1 if missing > 0 else 0)


def _listed(counts: Counts, states: frozenset[State], limit: int | None) -> int:
    """How many pull requests a listing of `states` hands out."""
    listed = (counts.pull_requests if states >= frozenset(STATES)
              else sum(counts.states.get(state, 0) for state in states))
    return listed if limit is None else min(listed, limit)


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
                "SELECT r.owner, r.slug, p.state, coalesce(p.draft, 0), count(p.id), "
                "max(p.id), r.watermark IS NOT NULL, r.close_times, r.review_events "
                "FROM repositories r "
                "LEFT JOIN pull_requests p ON p.repository_id = r.id WHERE r.host = ? "
                "GROUP BY r.id, p.state, coalesce(p.draft, 0)", (host,)).fetchall()
        except sqlite3.Error:
            return {}
    gathered: dict[str, tuple[dict[str, int], list[int], bool, bool, bool]] = {}
    for owner, slug, state, draft, count, highest, synced, close_times, events in rows:
        name = names.get((owner, slug))
        if name is None:
            continue
        states, numbers, *_ = gathered.setdefault(
            name, ({}, [0, 0], bool(synced), bool(close_times), bool(events)))
        if count:
            placed = placed_state(state) or str(state)
            states[placed] = states.get(placed, 0) + int(count)
            numbers[0] = max(numbers[0], int(highest or 0))
            numbers[1] += int(count) if draft and placed == "OPEN" else 0
    for name, (states, (highest, drafts), synced, close_times, events) in gathered.items():
        total = sum(states.values())
        found[name] = Counts(total, total - states.get("OPEN", 0), synced, close_times,
                             events, states, highest, drafts)
    return found


def copy_resumed(path: Path, host: str, target: str, repositories: Sequence[Repository], *,
                 full: bool) -> set[str]:
    """Those of `repositories` a stopped sync of `target` did already, which the next sync of
    it, resuming, leaves alone (`copy.sync`); nothing when it would start afresh."""
    from ..copy.writer import resumed_job, synced_since

    try:
        connection = open_read_only(path)
    except (NotCachedError, BbprError, sqlite3.Error):
        return set()
    with closing(connection):
        try:
            began = resumed_job(connection, host, target, full=full)
            return set() if began is None else synced_since(connection, host, repositories,
                                                            began)
        except (sqlite3.Error, ValueError):
            return set()


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
