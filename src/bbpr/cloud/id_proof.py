"""Every pull request ID from the count: a repository's IDs in two or three requests.

Bitbucket Cloud cannot delete a pull request (its API has no DELETE; they can only be
declined) and numbers them per repository 1, 2, 3... So one request for every state,
`id > 0`, `sort=-id`, gives the count `S` and the highest ID `M`, and `S == M` proves the
IDs are exactly `1..M`: `S` distinct positive integers, none above `M`. The proof is taken
only when its cross-checks hold: the first page is `M, M-1, ...` without a hole, and one
request from the bottom (`id <= 50`) is `1..min(50, M)` (which also shows the `id` filter
applied). Everything else falls back to the ladder (`ladder`), never to a guess:

- `S < M` (numbers skipped, drafts or states the server leaves out, a count that lies):
  `hole_search.find_holes` counts ranges of IDs (`pagelen=1`, reading `size`) to find where the
  holes are and reads only the ranges that have some; each ID missing from every answer is
  asked for by itself (404: it does not exist; anything else is listed with the state the
  server gives). Taken only where that costs fewer requests than reading every page.
- A state subset takes its smaller side: `--state merged` when most are merged reads the
  other states (one keyset listing of them all, so that a pull request moving between them
  is read once) and lists the proved IDs minus those. With `state` among the fields, the
  records of every state but the largest are read, and the largest is inferred.
- A `size` that cannot be true (above `M`, below the records seen, counts that do not add
  up), a missing `size`, an `id` filter refused or ignored, `sort` ignored: the ladder.

Only for fields that need nothing but `id` (and `state`), no filter but states. A listing is
a snapshot at its first answer: pull requests created later (IDs above `M`) are not listed.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable

from ..asked.matching import failed_conditions
from ..models import PullRequest, Query, State, placed_state
from . import errors
from .hidden import requests_after
from .hole_search import find_holes, search_cost, size_of
from .id_ranges import range_cost
from .listing_state import ListingState, Unsuitable
from .query import EVERY_STATE, PAGELEN, filter_conditions
from .wire import PullRequestItem, PullRequestPage, to_pull_request

Ladder = Callable[[ListingState], AsyncIterator[list[PullRequest]]]
"""How the ladder lists (`ladder.run`): the proof has it read the states it does not infer."""

PROVABLE_FIELDS = frozenset({"id", "repository", "state"})
"""Fields a proved ID carries without its record: `repository` is the listing's own."""
HAND_OUT = 1000
"""Proved IDs are handed out in pages of this many."""


def applies(listing: ListingState) -> bool:
    """Whether the proof may list this query: only IDs (and states) asked for, no filter but
    states, a server not yet seen to refuse what the proof needs, and a `--limit` the ladder
    could not meet in two requests."""
    return (listing.provable and listing.query.fields <= PROVABLE_FIELDS
            and not filter_conditions(listing.query)
            and listing.traits.id_ranges_work is not False
            and listing.traits.sort_works is not False
            and (listing.limit is None or math.ceil(listing.limit / PAGELEN) > 2))


async def proved(listing: ListingState, ladder: Ladder) -> AsyncIterator[list[PullRequest]]:
    """The proved list, newest first; raises `Unsuitable` before handing out anything.
    `ladder` reads the other states where the proof infers the wanted ones from them."""
    found = await IdProof(listing, ladder).run()
    for start in range(0, len(found), HAND_OUT):
        page = listing.hand_out(found[start:start + HAND_OUT])
        if page:
            yield page
        if listing.limit_reached():
            return


def proof_wins(highest: int, count: int, reading: int, instead: int, concurrency: int,
               after: int, spending: int = 0) -> bool:
    """Whether the proof (`highest` and `count` from the newest page of every state), reading
    the other states (`reading` pull requests, their newest page included) and `spending`
    more requests on the way cost fewer requests than the ladder reading the `instead`
    wanted ones from their newest page (asked already) and checking `after` (`hidden`):
    each side as its strategy spends it (`id_ranges.range_cost`, `hole_search.search_cost`).
    The run decides by it, and `--plan` counts by it."""
    proof = proof_cost(highest, count)
    rest = range_cost(reading, highest, concurrency)[1] if reading > 0 else 0
    ladder = range_cost(instead, highest, concurrency, probed=True)[1] + after
    return proof + rest + spending < ladder


def proof_cost(highest: int, count: int) -> int:
    """Requests the proof takes beyond the newest page: the page from the bottom where the
    count equals the highest ID (none where that page was the whole list), else the holes'
    search and look-ups."""
    if count == highest:
        return 0 if highest <= PAGELEN else 1
    return search_cost(highest, count)


class IdProof:
    """One proof for one listing; see the module docstring."""

    def __init__(self, listing: ListingState, ladder: Ladder) -> None:
        self.listing = listing
        self.ladder = ladder
        self.fetch = listing.fetch_ids
        self.wanted = listing.query.states
        # Several states but not all: each record needs its own, or `assemble` cannot place it.
        self.with_state = ("state" in listing.query.fields
                           or 1 < len(self.wanted) < len(EVERY_STATE))

    async def run(self) -> list[PullRequest]:
        listing, wanted = self.listing, self.wanted
        # The newest page of the wanted states, from which the ID ranges start if the proof
        # is not worth it, and of every state (the count and the highest ID), asked only
        # where the wanted ones are at least half of the IDs up to their newest: else the
        # other states, which the proof would read, hold more.
        own = await self.fetch(wanted, "id > 0", first=True)
        listing.probed = own
        matching = size_of(own)
        if wanted == EVERY_STATE:
            top = own
        else:
            listing.api.reported_matches[listing.repository.full_name] = matching
            newest = own.values[0].id if own.values else 0
            if newest - matching >= matching:
                raise Unsuitable("the other states hold more")
            top = await self.fetch(EVERY_STATE, "id > 0", first=True)
        highest, count = self.check_top(top)
        inferred, reading = wanted, count - matching
        if self.with_state and len(wanted) > 1:
            # The records of every state but the largest wanted one are read, so its count
            # must be known: a request a state, but one (what the others leave of the total).
            # Not worth it even if one state held every wanted one: not worth counting.
            counts = len(wanted) - 1
            self.worth_it(highest, count, count - matching, matching, spending=counts)
            inferred, largest = await self.largest(matching)
            reading = count - largest
        self.worth_it(highest, count, reading, matching)
        rest = self.listing_of(EVERY_STATE - inferred)
        (holes, hidden), read = await asyncio.gather(self.existing(top, highest, count),
                                                     self.read(rest))
        return self.assemble(highest, holes, hidden, inferred, read)

    async def largest(self, matching: int) -> tuple[frozenset[State], int]:
        """The wanted state that holds the most, and its count: each wanted state counted
        (`pagelen=1`) but the last, which holds what the others leave of `matching`."""
        counted = sorted(self.wanted)
        pages = await asyncio.gather(*(self.fetch(frozenset({state}), "id > 0", pagelen=1)
                                       for state in counted[:-1]))
        counts = [size_of(page) for page in pages]
        counts.append(matching - sum(counts))
        largest, state = max(zip(counts, counted, strict=True))
        return frozenset({state}), largest

    def worth_it(self, highest: int, count: int, reading: int, instead: int, *,
                 spending: int = 0) -> None:
        """Go on only where the proof costs fewer requests than the ladder (`proof_wins`)."""
        listing = self.listing
        if not proof_wins(highest, count, reading, instead, listing.api.concurrency,
                          requests_after(listing, self.wanted, highest, count), spending):
            raise Unsuitable("reading the pages costs no more")

    def check_top(self, top: PullRequestPage) -> tuple[int, int]:
        """`M` and `S` from the newest page of every state, or `Unsuitable` when the page
        shows the server ignores `sort` or `id`, gives no count, or a count that cannot be."""
        ids = [item.id for item in top.values]
        if ids != sorted(set(ids), reverse=True):
            self.listing.traits.sort_works = False
            raise Unsuitable("sort ignored")
        if any(number < 1 for number in ids):
            self.listing.traits.id_ranges_work = False
            raise Unsuitable("id ignored")
        count = top.size
        if count is None:
            raise Unsuitable("no size")
        highest = ids[0] if ids else 0
        if count > highest or count < len(ids) or (count and not ids):
            raise Unsuitable(f"a count of {count} cannot be true with {len(ids)} pull "
                             f"requests up to {highest}")
        self.listing.budget.expect(highest)
        return highest, count

    async def check_bottom(self, top: PullRequestPage, highest: int) -> None:
        """`S == M`: the first page must be `M, M-1, ...` and the bottom `1..min(50, M)`."""
        ids = [item.id for item in top.values]
        if ids != list(range(highest, highest - min(PAGELEN, highest), -1)):
            raise Unsuitable("the newest page has a hole the count does not allow")
        if highest <= PAGELEN:
            return  # the newest page was the whole list
        bottom = await self.fetch(EVERY_STATE, f"id <= {PAGELEN}")
        if ([item.id for item in bottom.values] != list(range(PAGELEN, 0, -1))
                or bottom.size not in (None, PAGELEN)):
            raise Unsuitable("the oldest page is not 1..50")

    async def existing(self, top: PullRequestPage, highest: int, count: int
                       ) -> tuple[set[int], list[PullRequestItem]]:
        """The IDs up to `M` that do not exist, and the pull requests that exist among those
        missing from every list (left out of the lists, as hidden drafts are: listed)."""
        if count == highest:
            await self.check_bottom(top, highest)
            return set(), []
        missing = await find_holes(self.listing, top, highest, count)
        found = await asyncio.gather(*(self.one(number) for number in sorted(missing)))
        hidden = [item for item in found if item is not None]
        return missing - {item.id for item in hidden}, hidden

    async def one(self, number: int) -> PullRequestItem | None:
        listing = self.listing
        item = await listing.fetch_one(number)
        if item is not None and item.id != number:
            raise errors.unproved(listing.repository.full_name,
                                  f"asked for pull request {number}, it sent {item.id}")
        return item

    def listing_of(self, states: frozenset[State]) -> ListingState | None:
        """A listing of the states to read, for the ladder: by ID ranges, never by the
        proof again (whose probes this one asked already)."""
        if not states:
            return None
        listing = self.listing
        query = Query(states=states, fields=frozenset({"id", "state"}))
        rest = ListingState(listing.api, listing.repository, query, None)
        rest.provable = False
        rest.ids_proved = True  # what a server leaves out, the proof's count finds (`hidden`)
        return rest

    async def read(self, rest: ListingState | None) -> list[PullRequest]:
        if rest is None:
            return []
        return [record async for page in self.ladder(rest) for record in page]

    def assemble(self, highest: int, holes: set[int], hidden: list[PullRequestItem],
                 inferred: frozenset[State], read: list[PullRequest]) -> list[PullRequest]:
        """Newest first: the IDs up to `M` that exist, each with the state of its record
        where one was read, else the inferred state (when it is one), if it is wanted."""
        listing, name = self.listing, self.listing.repository.full_name
        if any(placed_state(one.state) is None for one in read):
            # The inference rests on the server's state filters: a state bbpr cannot place
            # on the side it read shows them wider than bbpr knows. The ladder checks each.
            raise Unsuitable("a state the inference cannot rest on")
        known: dict[int, PullRequest] = {}
        for one in read:  # read twice (it moved between states): wanted wins
            if one.id <= highest and (one.id not in known
                                      or placed_state(one.state) in self.wanted):
                known[one.id] = one
        for item in hidden:
            known[item.id] = to_pull_request(item, name)
        state = next(iter(inferred)) if len(inferred) == 1 else None
        found: list[PullRequest] = []
        for number in range(highest, 0, -1):
            if number in holes:
                continue
            record = known.get(number)
            if record is None:
                found.append(PullRequest(id=number, repository=name, state=state))
            elif not failed_conditions(record, listing.query):
                found.append(record)
        return found
