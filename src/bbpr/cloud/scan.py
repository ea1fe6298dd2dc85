"""How bbpr lists one repository's pull requests on Bitbucket Cloud.

The strategy was chosen because requests are the scarce resource (1,000 an hour) and the
result must be exact while pull requests change under us:

1. One probe: the newest page (`sort=-id`, 50 per page, the endpoint's maximum), with `size`.
   It is useful data, and it tells the highest ID and how many pull requests match.
2. The IDs below the probe are cut into ranges filtered in BBQL (`id >= a AND id < b`), which
   run side by side. Within a range, each further page is asked for with `id < smallest seen`
   (keyset paging), never by page number, so a pull request that changes state or appears
   elsewhere cannot shift one into a page already read. Ranges are disjoint, so nothing is
   listed twice and no ID set is kept.
   - When the matching IDs are dense (every state: IDs run 1..N), ranges are 50 IDs wide:
     one request each, `ceil(N / 50)` requests in all, the minimum.
   - When they are sparse (one state), one range per worker, each followed to its end.
3. If the server rejects comparisons on `id` (undocumented in BBQL), fall back to one
   sequential scan that follows `next`, dropping any ID at or above the last one listed.
4. The count listed is checked against `size`; a shortfall that changes on the server cannot
   explain is an error, never a short list passed off as complete.
"""

from __future__ import annotations

import functools
import math
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..models import PullRequest, Query, Repository
from ..paging import ordered
from . import errors
from .query import PAGELEN, and_, bbql_conditions
from .wire import PullRequestItem, PullRequestPage, to_pull_request

if TYPE_CHECKING:
    from .api import CloudAPI


class Scan:
    """One listing of one repository's pull requests; see the module docstring."""

    def __init__(self, api: CloudAPI, repository: Repository, query: Query,
                 limit: int | None) -> None:
        self.api = api
        self.repository = repository
        self.query = query
        self.limit = limit
        self.listed = 0
        self.conditions = bbql_conditions(query)

    async def run(self) -> AsyncIterator[list[PullRequest]]:
        probe = await self._probe()
        yield self._take(probe.values)
        if not probe.next or not probe.values or self._full():
            return
        lowest = min(item.id for item in probe.values)
        if self.api.id_ranges_work:
            async for page in self._ranges(lowest, probe.size):
                yield page
        else:
            async for page in self._sequential(probe.next, lowest):
                yield page
        if self.limit is None and probe.size is not None and self.listed < probe.size:
            await self._check_shortfall(probe.values[0].id)

    async def _probe(self) -> PullRequestPage:
        pagelen = min(PAGELEN, self.limit) if self.limit else PAGELEN
        if self.api.id_ranges_work is not False:
            try:
                page = await self._page(and_(self.conditions, "id > 0"), pagelen=pagelen)
            except errors.BadRequest:
                self.api.id_ranges_work = False
            else:
                self.api.id_ranges_work = True
                return page
        return await self._page(self.conditions, pagelen=pagelen)

    async def _ranges(self, below: int, size: int | None) -> AsyncIterator[list[PullRequest]]:
        span = below - 1
        remaining = span if size is None else max(0, size - self.listed)
        density = min(1.0, remaining / span) if span else 1.0
        concurrency = self.api.concurrency
        if density >= 0.95:
            width = PAGELEN
        else:
            ranges = max(1, min(concurrency, math.ceil(remaining / PAGELEN)))
            width = math.ceil(span / ranges)
        expected = max(1.0, width * density)

        def window() -> int:
            if self.limit is None:
                return 4 * concurrency
            return math.ceil((self.limit - self.listed) / expected)

        async for pages in ordered(self._range_jobs(below, width), window):
            for page in pages:
                yield self._take(page)
                if self._full():
                    return

    def _range_jobs(self, below: int, width: int) -> Iterator[Callable[[], Any]]:
        high = below
        while high > 1:
            low = max(1, high - width)
            yield functools.partial(self._range, low, high)
            high = low

    async def _range(self, low: int, high: int) -> list[list[PullRequestItem]]:
        pages: list[list[PullRequestItem]] = []
        while True:
            page = await self._page(and_(self.conditions, f"id >= {low} AND id < {high}"))
            pages.append(page.values)
            if not page.next or not page.values:
                return pages
            high = min(item.id for item in page.values)

    async def _sequential(self, url: str, below: int) -> AsyncIterator[list[PullRequest]]:
        next_url: str | None = url
        while next_url and not self._full():
            page = await self.api.fetch_page(self.repository, self.query, q=None, sort=None,
                                             url=next_url)
            fresh = [item for item in page.values if item.id < below]
            if fresh:
                below = min(item.id for item in fresh)
                yield self._take(fresh)
            next_url = page.next

    async def _check_shortfall(self, highest: int) -> None:
        """Tell changes on the server from pull requests lost on the way: count again those
        that existed when the listing began (IDs up to `highest`). Without ID filters, the
        newest page tells how many of today's count came after."""
        if self.api.id_ranges_work:
            recount = await self._page(and_(self.conditions, f"id <= {highest}"), pagelen=1)
            existing = recount.size
        else:
            recount = await self._page(self.conditions)
            newer = sum(item.id > highest for item in recount.values)
            existing = None if recount.size is None else recount.size - newer
        if existing is not None and self.listed < existing:
            raise errors.incomplete(self.repository.full_name, self.listed, existing)

    async def _page(self, q: str | None, *, pagelen: int = PAGELEN) -> PullRequestPage:
        return await self.api.fetch_page(self.repository, self.query, q=q, sort="-id",
                                         pagelen=pagelen)

    def _take(self, items: list[PullRequestItem]) -> list[PullRequest]:
        if self.limit is not None:
            items = items[: max(0, self.limit - self.listed)]
        self.listed += len(items)
        return [to_pull_request(item, self.repository.full_name) for item in items]

    def _full(self) -> bool:
        return self.limit is not None and self.listed >= self.limit
