"""The plain walk, the ladder's last rung (3): when `sort` or bbpr's filters are not honoured.

Every state is asked for (so nothing leaves the list: Cloud cannot delete pull requests),
`next` is followed (`walk_pass`), and the records are filtered here. Cloud's IDs run 1..N
without gaps, so completeness is proved by the IDs: any that did not come back (moved
while the pages were read, in an order bbpr could not choose) are fetched one by one, and
so are those above the highest seen, until one is not there. With a `--query` of the
user's, which only the server can apply, the IDs prove nothing: a listing during which
pull requests moved ends with exit 5. With `--limit N`, every page is read, then the N
newest are handed out. `hidden` also runs it to list what a server left out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from ..models import PullRequest
from . import errors
from .listing_state import ListingState
from .query import EVERY_STATE, bbql
from .walk_pass import WalkPass
from .wire import PullRequestPage


class PlainWalk:
    """The plain walk of one listing; see the module docstring."""

    def __init__(self, listing: ListingState) -> None:
        self.listing = listing
        text = listing.query.text
        # Every state includes OPEN, whose drafts need a `q` (see `query`).
        self.q: str | None = bbql(EVERY_STATE, [f"({text})"] if text else [])

    async def run(self) -> AsyncIterator[list[PullRequest]]:
        listing = self.listing
        if listing.limit is None:
            async for page in self._walk():
                yield page
            return
        # The first N in the server's own order are not the N newest: read them all, then
        # hand out the newest.
        wanted, listing.limit = listing.limit - listing.listed, None
        found = [record async for page in self._walk() for record in page]
        found.sort(key=lambda record: record.id, reverse=True)
        yield found[:wanted]

    async def _walk(self) -> AsyncIterator[list[PullRequest]]:
        listing = self.listing
        walk = WalkPass(listing, self._first)
        previous: Callable[[], Awaitable[PullRequestPage]] | None = None
        moved = False
        async for page, again in walk.pages():
            yield listing.take(page.values)
            sizes = [size for size in walk.sizes if size is not None]
            if len(sizes) > 1 and sizes[-1] < sizes[-2]:
                moved = True
                if previous is not None:
                    reread = await previous()
                    walk.note(reread.values, reread=True)
                    yield listing.take(reread.values)
            previous = again
        if not walk.in_order:
            listing.traits.sort_works = False
        if listing.limit_reached():
            return
        if listing.query.text:
            if (moved or walk.repeats) and not walk.in_order:
                raise errors.unproved(listing.repository.full_name,
                                      "the server ignores sort= and pull requests moved "
                                      "while the pages were read")
            return
        async for records in self._fill(walk):
            yield records
        listing.ids_proved = True

    async def _first(self) -> PullRequestPage:
        """The first page; a server that refuses the drafts' condition is read without
        `q`: the IDs prove the list complete all the same (drafts it hides included)."""
        try:
            return await self.listing.fetch(self.q, every_state=True, probe=self.q is not None)
        except (errors.BadRequest, errors.Refused):
            if self.listing.query.text or self.q is None:
                raise
            self.q = None
            return await self.listing.fetch(None, every_state=True)

    async def _fill(self, walk: WalkPass) -> AsyncIterator[list[PullRequest]]:
        """Fetch each ID that did not come back, and (order unknown) those above them."""
        highest = walk.highest if walk.highest is not None else 0
        count = sum(1 for number in walk.returned if number >= 1)
        async for page in self.listing.look_up(walk.returned, count, highest):
            yield page
