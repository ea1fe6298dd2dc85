"""How bbpr lists one repository's pull requests on Data Center, exactly.

Data Center pages by offset, and offsets shift when the list changes while it is read. The
listing is made robust by three choices:

- Always `state=ALL`, filtering states here. A pull request that is merged while an
  `state=OPEN` listing runs would leave that list and shift every later one up a place, so
  one unchanged pull request would slip between two pages, silently. In `state=ALL` nothing
  leaves the list (short of a deletion); the cost is reading closed pull requests too, and
  Data Center pages hold up to 1000.
- `order=NEWEST` puts the most recently created or updated first (servers differ in which;
  the emulator takes the harder, update time), so a change during the listing moves a pull
  request to the front: every later one shifts down a place, which shows as a repeated ID at
  the next page. Repeats are dropped.
- When a repeat was seen, something moved to the front after the listing started: one more
  pass from the front, until pull requests older than the start, picks it up.
- With `updated_since` (what `bbpr sync` asks after its first run), the listing stops at the
  first page that ends before that moment: every later page is older still. Only when the
  pages show that NEWEST means update time on this server (see `UpdateOrder`): were it
  creation time, an old pull request updated lately would sit on a later page, and be lost.

Without changes this takes `ceil(N / cap)` requests, the minimum; each change costs one more.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from ..models import PullRequest, Query, Repository
from .wire import PullRequestItem, PullRequestPage, to_pull_request

if TYPE_CHECKING:
    from .api import DataCenterAPI


class Scan:
    """One listing of one repository; see the module docstring."""

    def __init__(self, api: DataCenterAPI, repository: Repository, query: Query,
                 limit: int | None) -> None:
        self.api = api
        self.repository = repository
        self.query = query
        self.limit = limit
        self.keep = local_filter(query)
        self.seen: set[int] = set()
        self.listed = 0
        self.repeats = False
        self.started_ms: int | None = None
        """The server's clock when the listing began, from its `Date` header."""
        self.since_ms = (None if query.updated_since is None
                         else int(query.updated_since.timestamp() * 1000))
        self.order = UpdateOrder()

    async def run(self) -> AsyncIterator[list[PullRequest]]:
        async for page in self._pages():
            yield self._take(page.values)
            if self._full():
                return
            if self._before_since(page.values):
                break
        if self.repeats and self.started_ms is not None:
            async for page in self._pages():
                yield self._take(page.values)
                if self._full() or all((item.updatedDate or 0) < self.started_ms
                                       for item in page.values):
                    return

    async def _pages(self) -> AsyncIterator[PullRequestPage]:
        start: int | None = 0
        while start is not None:
            page, date = await self.api.fetch_page(self.repository, self.query, start)
            if self.started_ms is None and date:
                from email.utils import parsedate_to_datetime

                self.started_ms = int(parsedate_to_datetime(date).timestamp() * 1000) - 1000
            yield page
            start = None if page.isLastPage else page.nextPageStart

    def _take(self, items: list[PullRequestItem]) -> list[PullRequest]:
        fresh: list[PullRequestItem] = []
        for item in items:
            if item.id in self.seen:
                self.repeats = True
                continue
            self.seen.add(item.id)
            self.order.see(item)
            if self.keep(item):
                fresh.append(item)
        if self.limit is not None:
            fresh = fresh[: self.limit - self.listed]
        self.listed += len(fresh)
        return [to_pull_request(item, self.repository.full_name) for item in fresh]

    def _full(self) -> bool:
        return self.limit is not None and self.listed >= self.limit

    def _before_since(self, items: list[PullRequestItem]) -> bool:
        """Whether this page ends before `updated_since`, so later pages hold nothing wanted."""
        return (self.since_ms is not None and bool(items) and self.order.by_update_time
                and (items[-1].updatedDate or 0) < self.since_ms)


class UpdateOrder:
    """Whether the pull requests listed so far show that `order=NEWEST` sorts by update time.

    Atlassian documents NEWEST only as "newer pull requests first", without naming the date.
    The pages tell: by update time, update times never rise down the list; by creation time,
    IDs (given out in creation order) never do. So it is update time once update times
    have not risen and an ID has (a pull request listed before a newer one). First-time
    listings only: a repeat (see `Scan`) is not fed here.
    """

    def __init__(self) -> None:
        self.previous_update = 0
        self.lowest_id: int | None = None
        self.updates_fall = True
        self.ids_rose = False

    def see(self, item: PullRequestItem) -> None:
        updated = item.updatedDate or 0
        if self.lowest_id is not None:
            self.updates_fall = self.updates_fall and updated <= self.previous_update
            self.ids_rose = self.ids_rose or item.id > self.lowest_id
        self.previous_update = updated
        self.lowest_id = item.id if self.lowest_id is None else min(self.lowest_id, item.id)

    @property
    def by_update_time(self) -> bool:
        return self.updates_fall and self.ids_rose


def local_filter(query: Query) -> Callable[[PullRequestItem], bool]:
    """What the server cannot filter (states, a second branch, update time), done here."""
    states = set(query.states)
    source = query.source if query.destination else None
    since_ms = (int(query.updated_since.timestamp() * 1000)
                if query.updated_since is not None else None)
    created_ms = (query.created_since.timestamp() * 1000
                  if query.created_since is not None else None)

    def keep(item: PullRequestItem) -> bool:
        if item.state not in states:
            return False
        if source is not None and (item.fromRef is None or item.fromRef.displayId != source):
            return False
        if created_ms is not None and (item.createdDate or 0) < created_ms:
            return False
        return since_ms is None or (item.updatedDate or 0) >= since_ms

    return keep
