"""`bbpr list REPO --count` on Cloud: one request a state, and one for every state at once.

Each asks for one record (`pagelen=1`) and reads `size`; the one for every state, newest
first, also gives the highest ID, so the answer carries the proof's numbers (`id_proof`):
a total equal to the highest ID means the IDs are 1..M without a gap. Where a `size` is
missing, that state is counted by listing it, and the answer says so.
"""

from __future__ import annotations

import asyncio

from ..models import STATES, Query, Repository, State, StateCounts
from .ladder import pull_request_pages
from .listing_state import PullRequestSource
from .query import EVERY_STATE, bbql


async def state_counts(api: PullRequestSource, repository: Repository) -> StateCounts:
    async def one(states: frozenset[State]) -> tuple[int | None, int | None]:
        query = Query(states=states, fields=frozenset({"id"}))
        page = await api.fetch_page(repository, query, q=bbql(states, [], "id > 0"),
                                    sort="-id", pagelen=1, states=states)
        return page.size, (page.values[0].id if page.values else None)

    answers = await asyncio.gather(one(EVERY_STATE),
                                   *(one(frozenset({state})) for state in STATES))
    (total, highest), sizes = answers[0], [size for size, _ in answers[1:]]
    counts: dict[str, int] = {}
    listed: list[str] = []
    for state, size in zip(STATES, sizes, strict=True):
        if size is not None:
            counts[state] = size
            continue
        query = Query(states=frozenset({state}), fields=frozenset({"id"}))
        counts[state] = sum([len(page) async for page in pull_request_pages(api, repository,
                                                                             query, None)])
        listed.append(state)
    return StateCounts(repository=repository.full_name, counts=counts, total=total,
                       highest_id=highest or 0, rests_on=_rests_on(counts, total, highest,
                                                                    listed))


def _rests_on(counts: dict[str, int], total: int | None, highest: int | None,
              listed: list[str]) -> str:
    said = ("Bitbucket's count (size) of each state" if not listed else
            f"Bitbucket's count of each state, {', '.join(listed)} by listing (no count given)")
    if total is None:
        return said + "; no count of every state at once, so no proof of the IDs"
    parts = [said]
    if sum(counts.values()) != total:
        parts.append(f"the states add up to {sum(counts.values())}, the count of every state "
                     f"at once is {total}: pull requests in a state outside these four, or "
                     "left out of a list")
    highest = highest or 0
    if total == highest:
        parts.append(f"{total} pull requests, the highest ID {highest}: IDs 1..{highest}, "
                     "none missing (Cloud cannot delete pull requests)")
    else:
        parts.append(f"the highest ID is {highest}: {highest - total} of the IDs up to it are "
                     "not in the lists (numbers skipped, or pull requests a list leaves out)")
    return "; ".join(parts)
