"""`bbpr list REPO --count` on Cloud: one request a state, and one for every state at once.

Each asks for one record (`pagelen=1`) and reads `size`; the one for every state asks for a
whole page of IDs, newest first, and so gives the highest ID and shows whether `sort` was
applied. The answer carries the proof's numbers (`id_proof`): a total equal to the highest
ID means the IDs are 1..M without a gap. Where a `size` is missing, that state is counted
by listing it, and the answer says so.

The counts are the server's, so they are checked as `list` checks them: the states must add
up to the count of every state, the count must not pass the highest ID (Cloud cannot delete
a pull request), no size is below zero, and the page of IDs must fall. A server that fails
a check (a `size` that lies, `sort` ignored), or refuses a request, is counted the way `list`
lists it, by the ladder (`ladder`), which checks its own way down: never a negative number,
never a count that the answers contradict, and never the user blamed for the server.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from ..models import STATES, PullRequest, Query, Repository, State, StateCounts, placed_state
from . import errors
from .ladder import pull_request_pages
from .listing_state import PullRequestSource
from .query import EVERY_STATE, PAGELEN, bbql


class _Untrusted(Exception):
    """The server's counts cannot be used; the message says why, for `rests_on`."""


async def state_counts(api: PullRequestSource, repository: Repository) -> StateCounts:
    try:
        return await _from_sizes(api, repository)
    except _Untrusted as why:
        return await _by_listing(api, repository, str(why))


async def _from_sizes(api: PullRequestSource, repository: Repository) -> StateCounts:
    async def one(states: frozenset[State], pagelen: int) -> tuple[int | None, list[int]]:
        query = Query(states=states, fields=frozenset({"id"}))
        try:
            page = await api.fetch_page(repository, query, q=bbql(states, []), sort="-id",
                                        pagelen=pagelen, states=states, probe=True)
        except (errors.BadRequest, errors.Refused) as refused:
            raise _Untrusted(f"it refused a count ({refused.message})") from None
        return page.size, [item.id for item in page.values]

    answers = await asyncio.gather(one(EVERY_STATE, PAGELEN),
                                   *(one(frozenset({state}), 1) for state in STATES))
    (total, newest), sizes = answers[0], [size for size, _ in answers[1:]]
    highest = max((ids[0] for _, ids in answers if ids), default=0)
    _check(total, newest, highest, sizes)
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
    if total is not None and not listed and sum(counts.values()) != total:
        raise _Untrusted(f"its counts of each state add up to {sum(counts.values())}, its "
                         f"count of every state at once is {total}")
    return StateCounts(repository=repository.full_name, counts=counts, total=total,
                       highest_id=highest, rests_on=_rests_on(counts, total, highest, listed))


def _check(total: int | None, newest: list[int], highest: int,
           sizes: list[int | None]) -> None:
    """Refuse counts the answers themselves contradict."""
    if any(size is not None and size < 0 for size in (total, *sizes)):
        raise _Untrusted("it gave a count below zero")
    if newest != sorted(set(newest), reverse=True) or (newest and newest[0] != highest):
        raise _Untrusted("it did not sort by ID")
    if total is not None and total > highest:
        raise _Untrusted(f"it counted {total} pull requests, more than the highest ID, "
                         f"{highest}")


async def _by_listing(api: PullRequestSource, repository: Repository,
                      why: str) -> StateCounts:
    """Every pull request listed as `list --state all` lists them, and counted."""
    query = Query(states=EVERY_STATE, fields=frozenset({"id", "state"}))
    records: list[PullRequest] = [record async for page in
                                  pull_request_pages(api, repository, query, None)
                                  for record in page]
    states = Counter(placed_state(record.state) or record.state or "" for record in records)
    counts = {state: states.pop(state, 0) for state in STATES} | dict(states)
    total = len(records)
    highest = max((record.id for record in records), default=0)
    proof = _proof(total, highest)
    return StateCounts(repository=repository.full_name, counts=counts, total=total,
                       highest_id=highest,
                       rests_on=f"a listing of every pull request, since the server's own "
                                f"counts could not be used ({why}); {proof}")


def _rests_on(counts: dict[str, int], total: int | None, highest: int,
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
    parts.append(_proof(total, highest))
    return "; ".join(parts)


def _proof(total: int, highest: int) -> str:
    """What the count and the highest ID prove of the IDs."""
    if total == highest:
        return (f"{total} pull requests, the highest ID {highest}: IDs 1..{highest}, none "
                "missing (Cloud cannot delete pull requests)")
    if total > highest:
        return f"{total} pull requests, the highest ID {highest}: no proof of the IDs"
    return (f"the highest ID is {highest}: {highest - total} of the IDs up to it are not in "
            "the lists (numbers skipped, or pull requests a list leaves out)")
