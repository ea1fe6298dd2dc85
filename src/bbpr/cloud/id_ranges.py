"""The ID ranges, rung 1 of the ladder (`ladder`): when `id` filters and `sort=-id` hold.

One probe, the newest page (`sort=-id`, 50, with `id > 0` so that a server refusing `id`
says so at once); then the IDs below it are cut into ranges (`id >= a AND id < b`) that run
side by side, each followed by keyset (`id < smallest seen`), never by page number, so a
pull request that changes cannot shift another out of a page. Dense IDs (every state) get
ranges of 50: one request each, `ceil(N / 50)` in all, the minimum; where holes would make
them cost more than the pages, one range, by keyset (`range_plan`). Sparse IDs get one
range per worker. Complete by construction (the ranges cover every ID, each was followed to
its end, the filters and order were checked on every page); where `size` is given and every
record met the query, the count is checked too. A page that shows `id` or `sort` ignored
is `Unsuitable` before any of it is handed out, and the server's traits learn it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from ..in_order import ordered
from ..models import PullRequest
from . import errors
from .listing_state import ListingState, Unsuitable
from .query import PAGELEN, bbql
from .wire import PullRequestItem, PullRequestPage


def range_plan(span: int, remaining: int, concurrency: int) -> tuple[int, int, int]:
    """How the `span` IDs below the newest page, holding `remaining` pull requests, are read:
    the width of a range, how many ranges, and the most requests they take.

    IDs that run almost without holes are read in ranges of 50, a request each, side by
    side: as many requests as pages, unless holes make the ranges more than the pages
    (`ceil(remaining / 50)`); then one range, by keyset, costs just the pages (never more
    than a walk, one page after another). Sparse IDs (a state among others) are read in at
    most `concurrency` ranges side by side, each by keyset, each of which may end on a
    partial page: at most one request a range beyond the pages, for a listing that many
    times faster (`--concurrency 1`: the pages alone)."""
    pages = math.ceil(remaining / PAGELEN)
    if span <= 0:
        return PAGELEN, 0, 0
    if remaining >= 0.95 * span:
        ranges = math.ceil(span / PAGELEN)
        if ranges <= pages:
            return PAGELEN, ranges, ranges
        return span, 1, max(1, pages)
    ranges = max(1, min(concurrency, pages))
    width = math.ceil(span / ranges)
    ranges = math.ceil(span / width)
    return width, ranges, max(ranges, pages + ranges - 1)


def range_cost(matching: int, highest: int, concurrency: int, *,
               probed: bool = False) -> tuple[int, int]:
    """The least and most requests the ID ranges take to list `matching` pull requests
    whose IDs are spread evenly over `1..highest`, their newest page included unless
    `probed` (asked already): what the proof weighs itself against, and `--plan` counts."""
    probe = 0 if probed else 1
    first = min(PAGELEN, matching)
    remaining = matching - first
    if remaining <= 0 or highest <= 0:
        return probe, probe
    span = highest - math.ceil(first * highest / matching)
    _, ranges, most = range_plan(span, remaining, concurrency)
    least = min(most, max(ranges, math.ceil(remaining / PAGELEN)))
    return probe + least, probe + most


class IdRanges:
    """The ID ranges of one listing; see the module docstring."""

    def __init__(self, listing: ListingState) -> None:
        self.listing = listing
        self.traits = listing.traits

    async def run(self) -> AsyncIterator[list[PullRequest]]:
        listing = self.listing
        probe = await self._probe()
        ids = [item.id for item in probe.values]
        listing.budget.expect(max([probe.size or 0, *ids]))
        # Checked before any of it is handed out: the strategy that takes over reads it again.
        if ids != sorted(set(ids), reverse=True):
            self.traits.sort_works = False
            raise Unsuitable("sort ignored")
        if any(number < 1 for number in ids):  # `id > 0` was asked for
            self.traits.id_ranges_work = False
            raise Unsuitable("id ignored")
        yield listing.take(probe.values)
        if not probe.values or listing.limit_reached():
            return
        if not probe.next and not await self._more_below(probe, min(ids)):
            return
        async for page in self._range_pages(min(ids), probe.size):
            yield page
        if (listing.limit is None and probe.size is not None and not listing.ignored
                and listing.listed < probe.size):
            await self._check_shortfall(ids[0])
        self.traits.id_ranges_work = self.traits.sort_works = True

    async def _more_below(self, probe: PullRequestPage, lowest: int) -> bool:
        """Whether pull requests lie below a probe that has no `next` link. A short page, or
        one holding all that `size` counts, is the last; a full one without `size`, or one
        short of its `size` (a server that ended too early), is asked about with one record."""
        if lowest <= 1 or (probe.size is not None and probe.size <= len(probe.values)):
            return False
        if probe.size is None and len(probe.values) < PAGELEN:
            return False
        listing = self.listing
        below = await listing.fetch(bbql(listing.query.states, listing.filters,
                                         f"id < {lowest}"), pagelen=1)
        return bool(below.values)

    async def _probe(self) -> PullRequestPage:
        # A whole page even under a small --limit: its order is the evidence that `sort` is
        # honoured, and a page of one is in order on any server.
        listing = self.listing
        if listing.probed is not None:
            page, listing.probed = listing.probed, None
            return page
        try:
            return await listing.fetch(bbql(listing.query.states, listing.filters, "id > 0"),
                                       probe=True)
        except (errors.BadRequest, errors.Refused):
            # The `id` condition, or another one? The walk's first request, without it, tells.
            self.traits.id_ranges_work = False
            listing.id_refused = True
            raise Unsuitable("id refused") from None

    async def _range_pages(self, below: int, size: int | None
                           ) -> AsyncIterator[list[PullRequest]]:
        listing = self.listing
        span = below - 1
        remaining = span if size is None else max(0, size - listing.listed)
        density = min(1.0, remaining / span) if span else 1.0
        concurrency = listing.api.concurrency
        width, ranges, _ = range_plan(span, remaining, concurrency)
        listing.budget.expect(ranges=ranges)
        expected = max(1.0, width * density)

        def window() -> int:
            if listing.limit is None:
                return 4 * concurrency
            return math.ceil((listing.limit - listing.listed) / expected)

        async for pages in ordered(self._range_jobs(below, width), window):
            for page in pages:
                yield listing.take(page)
                if listing.limit_reached():
                    return

    def _range_jobs(self, below: int, width: int) -> Iterator[Callable[[], Any]]:
        high = below
        while high > 1:
            low = max(1, high - width)
            yield functools.partial(self._range, low, high)
            high = low

    async def _range(self, low: int, high: int) -> list[list[PullRequestItem]]:
        """Every pull request with `low <= id < high`, by keyset: each page's bound falls
        strictly, because every ID on it is checked to lie below the last bound."""
        listing = self.listing
        pages: list[list[PullRequestItem]] = []
        while True:
            page = await listing.fetch(bbql(listing.query.states, listing.filters,
                                            f"id >= {low} AND id < {high}"))
            ids = [item.id for item in page.values]
            if any(not low <= number < high for number in ids):
                self.traits.id_ranges_work = False
                raise Unsuitable("id ignored")
            if ids != sorted(set(ids), reverse=True):
                self.traits.sort_works = False
                raise Unsuitable("sort ignored")
            if not page.values and page.next:
                # Neither the end of the range nor a step along it: the keyset cannot go on.
                self.traits.id_ranges_work = False
                raise Unsuitable("an empty page that says more follow")
            pages.append(page.values)
            if not page.next or not page.values:
                return pages
            high = min(ids)

    async def _check_shortfall(self, highest: int) -> None:
        """Tell changes on the server from pull requests lost on the way: count again those
        that existed when the listing began (IDs up to `highest`)."""
        listing = self.listing
        recount = await listing.fetch(bbql(listing.query.states, listing.filters,
                                           f"id <= {highest}"), pagelen=1)
        if recount.size is not None and listing.listed < recount.size:
            raise errors.incomplete(listing.repository.full_name, listing.listed,
                                    recount.size)
