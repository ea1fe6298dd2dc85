"""The filtered walk, rung 2 of the ladder (`ladder`): `sort=-id` honoured, `id` filters not.

The server filters (states, and bbpr's BBQL for the rest), newest first, and the walk
follows `next`. Page-numbered pages shift while pull requests change, so the walk keeps
what joins them (`walk_pass`): a new pull request joins at the front and shifts the rest
down a place (a repeat, dropped); one that leaves the filter (merged during an OPEN
listing) shifts them up, which shows as a smaller `size`: the previous page is read again
to pick up what moved into it, and the count is checked at the end. Without `size`, a
leave cannot be seen, and a page out of order shows `sort` ignored: `Unsuitable`, checked
before a page is handed out, and the plain walk (`plain_walk`) takes over.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from ..models import PullRequest
from . import errors
from .listing_state import ListingState, Unsuitable
from .query import PAGELEN, listing_q
from .walk_pass import WalkPass
from .wire import PullRequestPage


class FilteredWalk:
    """The filtered walk of one listing; see the module docstring."""

    def __init__(self, listing: ListingState) -> None:
        self.listing = listing
        self.q = listing_q(listing.query.states, listing.filters)

    async def run(self) -> AsyncIterator[list[PullRequest]]:
        listing = self.listing
        first = await self._first()
        walk = WalkPass(listing, lambda: listing.fetch(self.q))
        walk.note(first.values)
        walk.sizes.append(first.size)
        # Each page is checked before it is handed out: the plain walk reads it again.
        if first.size is None or not self._ordered(walk):
            raise Unsuitable("no size" if first.size is None else "sort ignored")
        yield listing.take(first.values)
        dropped = False
        last = first
        if first.next:
            walk.first = lambda: listing.fetch(None, url=first.next)
            previous: Callable[[], Awaitable[PullRequestPage]] = lambda: listing.fetch(self.q)  # noqa: E731
            async for page, again in walk.pages():
                if not self._ordered(walk):
                    raise Unsuitable("sort ignored")
                if page.size is None:
                    raise Unsuitable("no size")
                yield listing.take(page.values)
                earlier = [size for size in walk.sizes[:-1] if size is not None]
                if earlier and page.size < earlier[-1]:
                    dropped = True  # pull requests left the filter: the pages moved up
                    reread = await previous()
                    walk.note(reread.values, reread=True)
                    yield listing.take(reread.values)
                previous, last = again, page
        if listing.limit_reached():
            return
        # The last page holds the last places of the count it gives: pages that end short
        # of it were skipped (a `next` link past one) or the last came too early.
        places = (len(walk.sizes) - 1) * PAGELEN + len(last.values)
        if places < (last.size or 0):
            raise errors.unproved(listing.repository.full_name,
                                  f"its pages ended after {places} of the {last.size} pull "
                                  "requests it counted")
        if dropped:
            await self._check_count(walk)

    async def _first(self) -> PullRequestPage:
        listing = self.listing
        try:
            page = await listing.fetch(self.q, probe=bool(listing.filters))
        except (errors.BadRequest, errors.Refused) as error:
            if listing.query.text:
                if listing.id_refused:
                    listing.traits.id_ranges_work = None  # it was the user's query, not `id`
                if isinstance(error, errors.BadRequest):
                    raise
            listing.traits.filters_work = False
            raise Unsuitable("filters refused") from None
        if listing.filters:
            listing.traits.filters_work = True
        return page

    def _ordered(self, walk: WalkPass) -> bool:
        if not walk.in_order:
            self.listing.traits.sort_works = False
        return walk.in_order

    async def _check_count(self, walk: WalkPass) -> None:
        """After pages moved: as many came back as existed at the start and still match."""
        recount = await self.listing.fetch(self.q)
        if recount.size is None or walk.highest_at_start is None:
            raise errors.unproved(self.listing.repository.full_name,
                                  "pull requests left the filter while it was read")
        newer = [item.id for item in recount.values if item.id > walk.highest_at_start]
        if len(newer) == len(recount.values) and recount.next:
            raise errors.unproved(self.listing.repository.full_name,
                                  "too many pull requests changed while it was read")
        if len(walk.returned) < recount.size - len(newer):
            raise errors.incomplete(self.listing.repository.full_name, len(walk.returned),
                                    recount.size - len(newer))
