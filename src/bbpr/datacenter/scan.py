"""How bbpr lists one repository's pull requests on Data Center, exactly.

Data Center pages by offset, and offsets shift when the list changes while it is read.
The listing is made exact by these choices:

- Always `state=ALL`, filtering states here (with `matching`, like every other condition):
  a pull request merged during a `state=OPEN` listing would leave the list and shift every
  later one up a place, silently. In `state=ALL` nothing leaves but by deletion.
- Consecutive pages overlap by one record (each page starts one before `nextPageStart`),
  and must JOIN: some record of the previous page must reappear on the next. A deletion
  before the reading position shifts the list up, and the join fails: bbpr steps back a
  page and reads on from there, so the records that moved up are picked up, not skipped
  (authors may delete their pull requests, by default). A shift down (a pull request new or
  updated at the front) joins further along the page; the repeats are dropped.
- `order=NEWEST` puts the most recently updated first (servers differ: the emulator takes
  the harder, update time), so a pull request updated while the pages are read jumps to
  the front, behind the reader. So after the first pass, another reads from the front until
  pull requests older than the previous pass's start, and so on until a pass finds none
  updated during the one before: what moved during a pass is caught by the next.
- With `updated_since` (what `bbpr sync` asks after its first run), the first pass stops at
  the first page that ends before that moment, once the pages show that NEWEST means update
  time here (see `UpdateOrder`): were it creation time, an old pull request updated lately
  would sit on a later page.
- No request without progress: each page must start further on than the one before it
  did (or step back once to rejoin), and `progress.RequestBudget` bounds the whole listing.

Without changes this takes `ceil((N - 1) / (cap - 1))` requests for the first pass and one
to prove that nothing moved; each change costs a request or two more.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from ..asked.matching import failed_conditions
from ..id_set import IdSet
from ..models import PullRequest, Query, Repository
from ..request_budget import RequestBudget, stalled
from .wire import PullRequestItem, PullRequestPage, to_pull_request

if TYPE_CHECKING:
    from .api import DataCenterAPI

PAGE_LIMIT = 1000
"""Asked for on every page; the server caps it and says so in the response's `limit`."""

MAX_PASSES = 8


class Scan:
    """One listing of one repository; see the module docstring."""

    def __init__(self, api: DataCenterAPI, repository: Repository, query: Query,
                 limit: int | None) -> None:
        self.api = api
        self.repository = repository
        self.query = query
        self.limit = limit
        self.seen = IdSet()
        self.listed = 0
        self.since_ms = (None if query.updated_since is None
                         else int(query.updated_since.timestamp() * 1000))
        self.order = UpdateOrder()
        self.budget = RequestBudget(repository.full_name, 25)  # until a page tells the cap

    async def run(self) -> AsyncIterator[list[PullRequest]]:
        after: int | None = None
        for _ in range(MAX_PASSES):
            front = _Front()
            async for records in self._pass(after, front):
                yield records
                if self.limit_reached():
                    return
            if front.pages <= 1 or (after is not None and not front.moved):
                return  # read in one request, or nothing moved: nothing was missed
            after = front.newest
        raise stalled(self.repository.full_name,
                      f"pull requests kept moving through {MAX_PASSES} passes")

    async def _pass(self, after: int | None, front: _Front) -> AsyncIterator[list[PullRequest]]:
        """One pass from the front, page by page. The first (`after` None) reads to the end,
        or to `updated_since`; a later one reads while pull requests were updated after
        `after` (the newest update the pass before saw at its start)."""
        offset, following = 0, 0
        previous: list[int] = []  # the IDs of the page before, to join on
        while True:
            page = await self._fetch(offset)
            values = page.values
            front.see(values)
            if after is not None and front.pages == 1:
                front.moved = bool(values) and (values[0].updatedDate or 0) > after
                if not front.moved:
                    return
            if previous and offset > 0 and not _joins(previous, values):
                offset = max(0, offset - _page_size(page, values))
                following = 0  # stepping back is progress too; the budget bounds it
                continue  # the list moved up: read the page before again, and on from there
            yield self._take(values, first_pass=after is None)
            if self.limit_reached() or not values:
                return
            if page.isLastPage and len(values) < (_limit(page) or PAGE_LIMIT):
                return
            if after is not None and (values[-1].updatedDate or 0) <= after:
                return
            if after is None and self._before_since(values):
                return
            # A full page that says it is the last may end too early: one page more tells.
            start = offset + len(values) if page.isLastPage else page.nextPageStart
            if start is None or start <= following:
                raise stalled(self.repository.full_name, "the next page did not move on")
            following = start
            offset, previous = following - 1, [item.id for item in values]

    async def _fetch(self, start: int) -> PullRequestPage:
        self.budget.expect(len(self.seen) + self.budget.page)
        self.budget.spend()
        page = await self.api.fetch_page(self.repository, self.query, start)
        self.budget.page = _limit(page) or self.budget.page
        return page

    def _take(self, items: list[PullRequestItem], *, first_pass: bool) -> list[PullRequest]:
        fresh: list[PullRequest] = []
        for item in items:
            if item.id in self.seen:
                continue
            self.seen.add(item.id)
            if first_pass:
                self.order.see(item)
            record = to_pull_request(item, self.repository.full_name)
            if failed_conditions(record, self.query):
                continue
            if self.limit is not None and self.listed >= self.limit:
                break
            fresh.append(record)
            self.listed += 1
        return fresh

    def limit_reached(self) -> bool:
        return self.limit is not None and self.listed >= self.limit

    def _before_since(self, items: list[PullRequestItem]) -> bool:
        """Whether this page ends before `updated_since`, so later pages hold nothing wanted."""
        return (self.since_ms is not None and bool(items) and self.order.by_update_time
                and (items[-1].updatedDate or 0) < self.since_ms)


class _Front:
    """What one pass saw: how many pages, and the newest update on its first page."""

    def __init__(self) -> None:
        self.pages = 0
        self.newest: int | None = None
        self.moved = True

    def see(self, values: list[PullRequestItem]) -> None:
        self.pages += 1
        if self.pages == 1:
            self.newest = max((item.updatedDate or 0 for item in values), default=0)


def _joins(previous: list[int], values: list[PullRequestItem]) -> bool:
    """Whether a page read one record early meets the page before it: some record of that
    page is on this one. If none is, the list moved up in between (a deletion)."""
    earlier = set(previous)
    return any(item.id in earlier for item in values)


def _page_size(page: PullRequestPage, values: list[PullRequestItem]) -> int:
    return _limit(page) or len(values) or 1


def _limit(page: PullRequestPage) -> int | None:
    """The page size the server says it used, if it is one (a `limit` below 1 is not)."""
    return page.limit if page.limit is not None and page.limit > 0 else None


class UpdateOrder:
    """Whether the pull requests listed so far show that `order=NEWEST` sorts by update time.

    Atlassian documents NEWEST only as "newer pull requests first", without naming the date.
    The pages tell: by update time, update times never rise down the list; by creation time,
    IDs (given out in creation order) never do. So it is update time once update times
    have not risen and an ID has (a pull request listed before a newer one). First-pass
    records only.
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
