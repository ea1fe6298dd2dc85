"""Where the holes are, for the proof from the count (`id_proof`): counting ranges of IDs.

When a repository's count `S` falls short of its highest ID `M`, `M - S` IDs up to `M` are
missing from the lists. One request with `pagelen=1` counts a range (`id >= a AND id < b`,
every state, `size`): a range whose count equals its width is full, an empty one has every
ID missing, and only the ranges that hold both are halved again, down to a page of 50,
which is read. The halves of a range are counted with one request: the other half's count
is what is left. Every count is checked (between 0 and the width, no more than its
parent's), and so is every page read (its IDs in their range, newest first, as many as
its count), so a `size` that cannot be true ends the search (`Unsuitable`: the ladder
takes over) rather than make an ID up. The cost for `g` holes is about `g log2(M / 50g)`
counts, a page for each range of 50 that has holes, and the `g` look-ups.
"""

from __future__ import annotations

import asyncio
import math

from .listing_state import ListingState, Unsuitable
from .query import EVERY_STATE, PAGELEN
from .wire import PullRequestPage


def search_cost(highest: int, count: int) -> int:
    """About how many requests finding and looking up `highest - count` holes takes."""
    holes = highest - count
    pages = math.ceil(highest / PAGELEN)
    depth = max(1, math.ceil(math.log2(max(2.0, pages / max(1, holes)))))
    return holes * (depth + 1) + min(holes, pages)


async def find_holes(listing: ListingState, top: PullRequestPage, highest: int, count: int
                     ) -> set[int]:
    """The IDs up to `highest` missing from the lists of every state, `highest - count` of
    them; the newest page `top` is one range already read."""
    ids = [item.id for item in top.values]
    lowest = ids[-1] if ids else highest + 1
    missing = set(range(lowest, highest + 1)) - set(ids)
    below = count - len(ids)
    if top.next is None and len(ids) < PAGELEN:
        lowest, below = 1, 0  # the newest page was the whole list
        missing = set(range(1, highest + 1)) - set(ids)
    missing |= await _search(listing, 1, lowest, below)
    if len(missing) != highest - count:
        raise Unsuitable(f"{len(missing)} IDs are missing where the count leaves "
                         f"{highest - count}")
    return missing


async def _search(listing: ListingState, low: int, high: int, count: int) -> set[int]:
    """The missing IDs of `low <= id < high`, which holds `count` pull requests."""
    width = high - low
    if not 0 <= count <= width:
        raise Unsuitable(f"a count of {count} for {width} IDs")
    if count == width:
        return set()
    if count == 0:
        return set(range(low, high))
    if width <= PAGELEN:
        return await _read(listing, low, high, count)
    middle = low + max(PAGELEN, (width // 2) // PAGELEN * PAGELEN)
    left = await _count(listing, low, middle)
    if left > count:
        raise Unsuitable(f"a count of {left} inside a range of {count}")
    halves = await asyncio.gather(_search(listing, low, middle, left),
                                  _search(listing, middle, high, count - left))
    return halves[0] | halves[1]


def _range(low: int, high: int) -> str:
    return f"id >= {low} AND id < {high}"


async def _count(listing: ListingState, low: int, high: int) -> int:
    page = await listing.fetch_ids(EVERY_STATE, _range(low, high), pagelen=1)
    if any(not low <= item.id < high for item in page.values):
        listing.traits.id_ranges_work = False
        raise Unsuitable("id ignored")
    size = size_of(page)
    if (size > 0) != bool(page.values):
        raise Unsuitable(f"a count of {size} beside {len(page.values)} pull requests")
    return size


async def _read(listing: ListingState, low: int, high: int, count: int) -> set[int]:
    page = await listing.fetch_ids(EVERY_STATE, _range(low, high))
    ids = [item.id for item in page.values]
    if any(not low <= number < high for number in ids):
        listing.traits.id_ranges_work = False
        raise Unsuitable("id ignored")
    if ids != sorted(set(ids), reverse=True) or len(ids) != count or page.size != count:
        raise Unsuitable(f"{len(ids)} pull requests where the counts leave {count}")
    return set(range(low, high)) - set(ids)


def size_of(page: PullRequestPage) -> int:
    """The count a page gives; without one, the proof has nothing to stand on."""
    if page.size is None:
        raise Unsuitable("no size")
    return page.size
