"""The lower rungs of the Cloud ladder (see `scan`): following `next`, checking every page.

Page-numbered pages shift while pull requests change, so a walk keeps what joins them:

- `FilteredWalk` (rung 2), when `sort=-id` is honoured but `id` filters are not: the
  server filters (states, and bbpr's BBQL for the rest), newest first. A new pull request
  joins at the front and shifts the rest down a place (a repeat, dropped); one that leaves
  the filter (merged during an OPEN listing) shifts them up, which shows as a smaller
  `size`: the previous page is read again to pick up what moved into it. Without `size`,
  a leave cannot be seen, so the plain walk takes over.
- `PlainWalk` (rung 3), when `sort` or bbpr's filters are not honoured: every state is
  asked for (so nothing leaves the list, Cloud cannot delete pull requests) and filtered
  here. Cloud's IDs run 1..N without gaps, so completeness is proved by the IDs: any that
  did not come back (moved while the pages were read, in an order bbpr could not choose)
  are fetched one by one, and so are those above the highest seen, until one is not
  there. With a `--query` of the user's, which only the server can apply, the IDs prove
  nothing: a listing during which pull requests moved ends with exit 5.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from ..models import STATES, PullRequest, State
from ..request_budget import stalled
from . import errors
from .query import PAGELEN, bbql, listing_q
from .scan import Scan, Unsuitable
from .wire import PullRequestItem, PullRequestPage

EVERY_STATE: frozenset[State] = frozenset(STATES)


async def walk(scan: Scan) -> AsyncIterator[list[PullRequest]]:
    """Rung 2 where the server allows it, else (or when it turns out not to) rung 3."""
    traits = scan.traits
    if traits.sort_works is not False and (not scan.filters or traits.filters_work is not False):
        try:
            async for page in FilteredWalk(scan).run():
                yield page
            return
        except Unsuitable:
            pass
    async for page in PlainWalk(scan).run():
        yield page


class _Pass:
    """One pass over `next` links: what came back, and whether the pages joined."""

    def __init__(self, scan: Scan, first: Callable[[], Awaitable[PullRequestPage]]) -> None:
        self.scan = scan
        self.first = first
        self.returned: set[int] = set()
        self.lowest: int | None = None
        self.highest: int | None = None
        """The highest ID returned so far, kept as IDs arrive rather than found again."""
        self.in_order = True
        self.repeats = False
        self.sizes: list[int | None] = []
        self.highest_at_start: int | None = None

    async def pages(self) -> AsyncIterator[tuple[PullRequestPage, Callable[[], Awaitable[
            PullRequestPage]]]]:
        """Each page, with a way to read it again; stops with exit 5 on no progress."""
        fetch_again = self.first
        seen_urls: set[str] = set()
        while True:
            page = await fetch_again()
            fresh = self.note(page.values)
            self.sizes.append(page.size)
            yield page, fetch_again
            if not page.next or self.scan.limit_reached():
                return
            if not fresh:  # a page holds 50: so many changes between two requests is no walk
                raise stalled(self.scan.repository.full_name, "a page brought nothing new")
            if page.next in seen_urls:
                raise stalled(self.scan.repository.full_name, "a next link repeated")
            seen_urls.add(page.next)
            url = page.next

            async def fetch_again(url: str = url) -> PullRequestPage:
                return await self.scan.fetch(None, url=url)

    def note(self, items: list[PullRequestItem], *, reread: bool = False) -> int:
        """Record a page's IDs; how many were new. New IDs must fall, newest first, but on
        a page read again: what moved up into it lies above what was read since."""
        fresh = 0
        for item in items:
            if item.id in self.returned:
                self.repeats = self.repeats or not reread
                continue
            if self.lowest is not None and item.id > self.lowest and not reread:
                self.in_order = False
            self.lowest = item.id if self.lowest is None else min(self.lowest, item.id)
            if self.highest_at_start is None:
                self.highest_at_start = item.id
            self.returned.add(item.id)
            self.highest = item.id if self.highest is None else max(self.highest, item.id)
            fresh += 1
        self.scan.budget.expect(self.highest or 0)
        return fresh


class FilteredWalk:
    """Rung 2; see the module docstring."""

    def __init__(self, scan: Scan) -> None:
        self.scan = scan
        self.q = listing_q(scan.query.states, scan.filters)

    async def run(self) -> AsyncIterator[list[PullRequest]]:
        scan = self.scan
        first = await self._first()
        walk = _Pass(scan, lambda: scan.fetch(self.q))
        walk.note(first.values)
        walk.sizes.append(first.size)
        # Each page is checked before it is handed out: the plain walk reads it again.
        if first.size is None or not self._ordered(walk):
            raise Unsuitable("no size" if first.size is None else "sort ignored")
        yield scan.take(first.values)
        dropped = False
        last = first
        if first.next:
            walk.first = lambda: scan.fetch(None, url=first.next)
            previous: Callable[[], Awaitable[PullRequestPage]] = lambda: scan.fetch(self.q)  # noqa: E731
            async for page, again in walk.pages():
                if not self._ordered(walk):
                    raise Unsuitable("sort ignored")
                if page.size is None:
                    raise Unsuitable("no size")
                yield scan.take(page.values)
                earlier = [size for size in walk.sizes[:-1] if size is not None]
                if earlier and page.size < earlier[-1]:
                    dropped = True  # pull requests left the filter: the pages moved up
                    reread = await previous()
                    walk.note(reread.values, reread=True)
                    yield scan.take(reread.values)
                previous, last = again, page
        if scan.limit_reached():
            return
        # The last page holds the last places of the count it gives: pages that end short
        # of it were skipped (a `next` link past one) or the last came too early.
        places = (len(walk.sizes) - 1) * PAGELEN + len(last.values)
        if places < (last.size or 0):
            raise errors.unproved(scan.repository.full_name,
                                  f"its pages ended after {places} of the {last.size} pull "
                                  "requests it counted")
        if dropped:
            await self._check_count(walk)

    async def _first(self) -> PullRequestPage:
        scan = self.scan
        try:
            page = await scan.fetch(self.q, probe=bool(scan.filters))
        except (errors.BadRequest, errors.Refused) as error:
            if scan.query.text:
                if scan.id_refused:
                    scan.traits.id_ranges_work = None  # it was the user's query, not `id`
                if isinstance(error, errors.BadRequest):
                    raise
            scan.traits.filters_work = False
            raise Unsuitable("filters refused") from None
        if scan.filters:
            scan.traits.filters_work = True
        return page

    def _ordered(self, walk: _Pass) -> bool:
        if not walk.in_order:
            self.scan.traits.sort_works = False
        return walk.in_order

    async def _check_count(self, walk: _Pass) -> None:
        """After pages moved: as many came back as existed at the start and still match."""
        recount = await self.scan.fetch(self.q)
        if recount.size is None or walk.highest_at_start is None:
            raise errors.unproved(self.scan.repository.full_name,
                                  "pull requests left the filter while it was read")
        newer = [item.id for item in recount.values if item.id > walk.highest_at_start]
        if len(newer) == len(recount.values) and recount.next:
            raise errors.unproved(self.scan.repository.full_name,
                                  "too many pull requests changed while it was read")
        if len(walk.returned) < recount.size - len(newer):
            raise errors.incomplete(self.scan.repository.full_name, len(walk.returned),
                                    recount.size - len(newer))


class PlainWalk:
    """Rung 3; see the module docstring."""

    def __init__(self, scan: Scan) -> None:
        self.scan = scan
        text = scan.query.text
        # Every state includes OPEN, whose drafts need a `q` (see `query`).
        self.q: str | None = bbql(EVERY_STATE, [f"({text})"] if text else [])

    async def run(self) -> AsyncIterator[list[PullRequest]]:
        scan = self.scan
        if scan.limit is None:
            async for page in self._walk():
                yield page
            return
        # The first N in the server's own order are not the N newest: read them all, then
        # hand out the newest.
        wanted, scan.limit = scan.limit - scan.listed, None
        found = [record async for page in self._walk() for record in page]
        found.sort(key=lambda record: record.id, reverse=True)
        yield found[:wanted]

    async def _walk(self) -> AsyncIterator[list[PullRequest]]:
        scan = self.scan
        walk = _Pass(scan, self._first)
        previous: Callable[[], Awaitable[PullRequestPage]] | None = None
        moved = False
        async for page, again in walk.pages():
            yield scan.take(page.values)
            sizes = [size for size in walk.sizes if size is not None]
            if len(sizes) > 1 and sizes[-1] < sizes[-2]:
                moved = True
                if previous is not None:
                    reread = await previous()
                    walk.note(reread.values, reread=True)
                    yield scan.take(reread.values)
            previous = again
        if not walk.in_order:
            scan.traits.sort_works = False
        if scan.limit_reached():
            return
        if scan.query.text:
            if (moved or walk.repeats) and not walk.in_order:
                raise errors.unproved(scan.repository.full_name,
                                      "the server ignores sort= and pull requests moved "
                                      "while the pages were read")
            return
        async for records in self._fill(walk):
            yield records
        scan.ids_proved = True

    async def _first(self) -> PullRequestPage:
        """The first page; a server that refuses the drafts' condition is read without
        `q`: the IDs prove the list complete all the same (drafts it hides included)."""
        try:
            return await self.scan.fetch(self.q, every_state=True, probe=self.q is not None)
        except (errors.BadRequest, errors.Refused):
            if self.scan.query.text or self.q is None:
                raise
            self.q = None
            return await self.scan.fetch(None, every_state=True)

    async def _fill(self, walk: _Pass) -> AsyncIterator[list[PullRequest]]:
        """Fetch each ID that did not come back, and (order unknown) those above them."""
        scan = self.scan
        highest = walk.highest if walk.highest is not None else 0
        absent = highest - sum(1 for number in walk.returned if number >= 1)
        if absent > scan.budget.allowed - scan.budget.spent:
            raise errors.unproved(scan.repository.full_name,
                                  f"{absent} of the IDs up to {highest} did not come back, more "
                                  "than can be asked for one by one")
        missing = [number for number in range(1, highest + 1) if number not in walk.returned]
        if missing:
            found = await asyncio.gather(*(scan.fetch_one(number) for number in missing))
            yield scan.take([item for item in found if item is not None])
        # Even newest first, the highest ID listed need not be the highest there is: a
        # server that hides drafts hides them from every list, the newest one included.
        number = highest + 1
        while not scan.limit_reached():
            item = await scan.fetch_one(number)
            if item is None:
                return
            yield scan.take([item])
            number += 1
