"""Pull requests a server leaves out of its lists though they match: the ladder's last check.

Atlassian's bug BCLOUD-23659 saw Cloud's list leave every draft out; every `q` bbpr sends
for OPEN names `draft` (the workaround, see `query.state_condition`), but a server that
still hides some must not pass for complete. Hidden records are hidden from `size` too, so
only IDs can tell: Cloud cannot delete pull requests and numbers them 1, 2, 3, ... per
repository, so the count of every state falls short of the highest ID exactly when some
are missing (or the numbers have gaps, which fetching them tells apart).

- `--state all` with no other filter: every record came back, so the IDs seen must run
  1..highest. On an honest server they do, and the check costs nothing; otherwise the
  missing ones (and those above the highest, until one is not there) are fetched by ID.
- A listing that includes OPEN, with no filter but states: one request counts every state
  (`size`) against the highest ID. Short, or without a count: the plain walk over every
  state, whose IDs prove it (`plain_walk`), lists what was left out. Once a server
  has listed a draft, it is known to show them, and the check is not made again; once it
  was seen to leave some out, every listing that includes OPEN (filters too) is proved by
  the plain walk. A filtered listing is not checked otherwise: its count would cost a
  request per repository and listing (`sync`'s incremental pass is one request). But for
  `--draft`, which asks for nothing but what such a server hides: it is checked as the
  listing without filters is, and the plain walk (which filters every record itself) finds
  the drafts the lists left out.

A `--query` of the user's only the server can apply: there the IDs prove nothing, and no
check is made (docs/server-assumptions.md says so).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

from ..asked.matching import asks_every_state
from ..models import PullRequest, State
from .listing_state import ListingState
from .plain_walk import PlainWalk
from .query import EVERY_STATE, PAGELEN, bbql


async def left_out(listing: ListingState) -> AsyncIterator[list[PullRequest]]:
    """What the listing's strategy did not bring and should have; see the module docstring."""
    if listing.query.text or listing.limit is not None or listing.ids_proved:
        return
    if asks_every_state(listing.query) and not listing.filters:
        async for page in _by_id(listing):
            yield page
    elif "OPEN" in listing.query.states and not listing.traits.drafts_shown:
        # `--draft` asks for exactly what such a server hides: checked as if unfiltered.
        counted = listing.filters and listing.query.draft is not True
        if not listing.traits.leaves_out and (counted or await _counted_in_full(listing)):
            return
        async for page in PlainWalk(listing).run():
            yield page


def requests_after(listing: ListingState, states: frozenset[State], highest: int,
                   count: int) -> int:
    """What `left_out` would spend after a strategy that listed `states` (no other filter)
    of a repository with `count` pull requests of every state and `highest` the highest
    ID (`after_cost`, with what the listing's server is known to do)."""
    traits = listing.traits
    return after_cost(states, highest, count, drafts_shown=traits.drafts_shown,
                      leaves_out=traits.leaves_out)


def after_cost(states: frozenset[State], highest: int, count: int, *, drafts_shown: bool,
               leaves_out: bool) -> int:
    """What `left_out` spends after a listing of `states` (no other filter): each ID up to
    the highest that the lists left out asked for by itself, and one above; with OPEN
    (drafts not seen yet, `drafts_shown`), a count of every state and, where it falls short
    or the server was seen to leave some out (`leaves_out`), the plain walk and its
    look-ups. Beside `left_out`, so that whoever weighs a cost follows its rules."""
    missing = highest - count
    lookups = missing + 1 if missing > 0 else 0
    if states == EVERY_STATE:
        return lookups
    if "OPEN" not in states or drafts_shown:
        return 0
    walk = math.ceil(count / PAGELEN) + lookups  # every state, a page at a time
    return walk if leaves_out else 1 + (walk if missing else 0)


async def _counted_in_full(listing: ListingState) -> bool:
    """Whether the count of every state reaches the highest ID: nothing left out."""
    count = await listing.fetch(bbql(EVERY_STATE, []), pagelen=1, every_state=True)
    highest = max((item.id for item in count.values), default=0)
    if count.size is not None and count.size < highest:
        listing.traits.leaves_out = True
    return count.size is not None and count.size >= highest


async def _by_id(listing: ListingState) -> AsyncIterator[list[PullRequest]]:
    """Every ID up to the highest seen that did not come, then those above it."""
    highest = listing.highest
    if highest - len(listing.seen) <= 0:
        return
    async for page in listing.look_up(listing.seen, len(listing.seen), highest):
        yield page
