"""One pass over a walk's `next` links: what came back, and whether the pages joined.

Both walks (`filtered_walk`, `plain_walk`) follow Cloud's page-numbered `next` links, whose
pages shift while pull requests change. A pass keeps what tells whether they joined: the
IDs returned, whether new ones kept falling (the order asked for), repeats, each page's
`size`, and a way to read each page again. It stops a walk that makes no progress (a page
bringing nothing new, a `next` link seen before) with exit 5 rather than go round for ever.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from ..request_budget import stalled
from .listing_state import ListingState
from .wire import PullRequestItem, PullRequestPage


class WalkPass:
    """One pass over `next` links: what came back, and whether the pages joined."""

    def __init__(self, listing: ListingState,
                 first: Callable[[], Awaitable[PullRequestPage]]) -> None:
        self.listing = listing
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
            if not page.next or self.listing.limit_reached():
                return
            if not fresh:  # a page holds 50: so many changes between two requests is no walk
                raise stalled(self.listing.repository.full_name, "a page brought nothing new")
            if page.next in seen_urls:
                raise stalled(self.listing.repository.full_name, "a next link repeated")
            seen_urls.add(page.next)
            url = page.next

            async def fetch_again(url: str = url) -> PullRequestPage:
                return await self.listing.fetch(None, url=url)

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
        self.listing.budget.expect(self.highest or 0)
        return fresh
