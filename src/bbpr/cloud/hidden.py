"""Pull requests a server leaves out of its lists though they match: the check after a rung.

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
  state, whose IDs prove it (`walk.PlainWalk`), lists what was left out. Once a server
  has listed a draft, it is known to show them, and the check is not made again; once it
  was seen to leave some out, every listing that includes OPEN (filters too) is proved by
  the plain walk. A filtered listing is not checked otherwise: its count would cost a
  request per repository and listing (`sync`'s incremental pass is one request).

A `--query` of the user's only the server can apply: there the IDs prove nothing, and no
check is made (the README says so).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from ..matching import asks_every_state
from ..models import PullRequest
from . import errors
from .query import bbql
from .scan import Scan
from .walk import EVERY_STATE, PlainWalk


async def left_out(scan: Scan) -> AsyncIterator[list[PullRequest]]:
    """What the listing's rung did not bring and should have; see the module docstring."""
    if scan.query.text or scan.limit is not None or scan.ids_proved:
        return
    if asks_every_state(scan.query) and not scan.filters:
        async for page in _by_id(scan):
            yield page
    elif "OPEN" in scan.query.states and not scan.traits.drafts_shown:
        if not scan.traits.leaves_out and (scan.filters or await _counted_in_full(scan)):
            return
        async for page in PlainWalk(scan).run():
            yield page


async def _counted_in_full(scan: Scan) -> bool:
    """Whether the count of every state reaches the highest ID: nothing left out."""
    count = await scan.fetch(bbql(EVERY_STATE, []), pagelen=1, every_state=True)
    highest = max((item.id for item in count.values), default=0)
    if count.size is not None and count.size < highest:
        scan.traits.leaves_out = True
    return count.size is not None and count.size >= highest


async def _by_id(scan: Scan) -> AsyncIterator[list[PullRequest]]:
    """Every ID up to the highest seen that did not come, then those above it."""
    highest = scan.highest
    absent = highest - len(scan.seen)
    if absent <= 0:
        return
    if absent > scan.budget.allowed - scan.budget.spent:
        raise errors.unproved(scan.repository.full_name,
                              f"{absent} of the IDs up to {highest} did not come back, more "
                              "than can be asked for one by one")
    missing = [number for number in range(1, highest + 1) if number not in scan.seen]
    found = await asyncio.gather(*(scan.fetch_one(number) for number in missing))
    yield scan.take([item for item in found if item is not None])
    number = highest + 1
    while (item := await scan.fetch_one(number)) is not None:
        yield scan.take([item])
        number += 1
