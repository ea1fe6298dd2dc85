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

    async def run(self) -> AsyncIterator[list[PullRequest]]:
        async for page in self._pages():
            yield self._take(page.values)
            if self._full():
                return
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
            if self.keep(item):
                fresh.append(item)
        if self.limit is not None:
            fresh = fresh[: self.limit - self.listed]
        self.listed += len(fresh)
        return [to_pull_request(item, self.repository.full_name) for item in fresh]

    def _full(self) -> bool:
        return self.limit is not None and self.listed >= self.limit


def local_filter(query: Query) -> Callable[[PullRequestItem], bool]:
    """What the server cannot filter (states, a second branch, update time), done here."""
    states = set(query.states)
    source = query.source if query.destination else None
    since_ms = (int(query.updated_since.timestamp() * 1000)
                if query.updated_since is not None else None)

    def keep(item: PullRequestItem) -> bool:
        if item.state not in states:
            return False
        if source is not None and (item.fromRef is None or item.fromRef.displayId != source):
            return False
        return since_ms is None or (item.updatedDate or 0) >= since_ms

    return keep
