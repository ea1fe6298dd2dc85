"""What one listing of one repository spends on Cloud, from what the local copy knows of it:
the ladder's own choices, made by the same functions the ladder decides by, so that
`--plan` and the sentence before a run say what the run then spends.

On a server that honours what bbpr asks and a repository that did not change since the
copy was synced, the figures are those of the run, but for two things only the run can
know: how the ID ranges of a sparse listing end (each on a partial page or not: the least
and the most are given), and, for a listing with OPEN, whether a draft was already listed
when its count is checked (`hidden`: `check` is that count's cost, and the caller, which
sees the repositories in their order, adds it or not).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..models import State
from .hidden import after_cost
from .id_proof import proof_cost, proof_wins
from .id_ranges import range_cost
from .query import EVERY_STATE, PAGELEN


@dataclass(frozen=True)
class ListingCost:
    least: int
    most: int
    check: int = 0
    """The count that checks a listing with OPEN for what the server left out (`hidden`),
    made unless a draft was listed before it, and what follows it on a repository with gaps."""


@dataclass(frozen=True)
class Shape:
    """What of a query decides how it is listed."""

    states: frozenset[State]
    ids_only: bool
    """Nothing asked for but `id` and `state`: the proof from the count may list it."""
    with_state: bool
    """`state` is among the fields."""
    plain: bool
    """No filter but states: what the server left out is checked (`hidden`)."""
    limit: int | None
    concurrency: int

    @property
    def checked(self) -> bool:
        """Whether `hidden` checks the listing (a `--limit` ends it first)."""
        return self.plain and self.limit is None

    @property
    def provable(self) -> bool:
        """Whether the proof is tried (`id_proof.applies`)."""
        return (self.ids_only and self.plain
                and (self.limit is None or math.ceil(self.limit / PAGELEN) > 2))


def listing_cost(shape: Shape, counts: Mapping[str, int], highest: int) -> ListingCost:
    """The requests of one listing of a repository holding `counts` pull requests per state
    (the four, and any other under its own name) with IDs up to `highest`."""
    count = sum(counts.values())
    matching = count if shape.states == EVERY_STATE else sum(
        counts.get(state, 0) for state in shape.states)
    after = check = 0
    if shape.checked:
        after = after_cost(shape.states, highest, count, drafts_shown=True, leaves_out=False)
        check = after_cost(shape.states, highest, count, drafts_shown=False,
                           leaves_out=False) - after
    asked = 0
    if shape.provable:
        proof = _proof(shape, counts, count, matching, highest, after)
        if isinstance(proof, ListingCost):
            return proof
        asked = proof
    if shape.limit is not None and shape.limit < matching:
        # The newest `limit` only: about as far down the IDs as they reach.
        highest = math.ceil(highest * shape.limit / matching)
        matching = shape.limit
    least, most = range_cost(matching, highest, shape.concurrency)
    return ListingCost(asked + least + after, asked + most + after, check)


def _proof(shape: Shape, counts: Mapping[str, int], count: int, matching: int, highest: int,
           after: int) -> ListingCost | int:
    """What the proof from the count spends where it takes the listing (`id_proof.run`), or
    the requests it asked before leaving it to the ID ranges (which start from the first)."""
    wanted = shape.states
    asked = 0
    if wanted != EVERY_STATE:
        if highest - matching >= matching:  # its newest page shows the others hold more
            return asked
        asked += 1  # the newest page of every state
    reading = count - matching
    with_state = shape.with_state or 1 < len(wanted) < len(EVERY_STATE)
    if with_state and len(wanted) > 1:
        spending = len(wanted) - 1
        if not proof_wins(highest, count, reading, matching, shape.concurrency, after,
                          spending):
            return asked
        asked += spending
        reading = count - max(counts.get(state, 0) for state in wanted)
    if not proof_wins(highest, count, reading, matching, shape.concurrency, after):
        return asked
    least, most = range_cost(reading, highest, shape.concurrency) if reading > 0 else (0, 0)
    spent = 1 + asked + proof_cost(highest, count)
    return ListingCost(spent + least, spent + most)
