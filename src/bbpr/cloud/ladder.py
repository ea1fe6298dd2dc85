"""How bbpr lists one repository's pull requests on Bitbucket Cloud, exactly, on any server.

Requests are the scarce resource (1,000 an hour), the list must be exact while pull
requests change, and what Cloud honours is partly undocumented (see the facts file). So
nothing is assumed: every record is checked against the query (`matching`), every page's
order against the sort that was asked for, and each failed check moves the listing one
rung down a ladder of strategies, each exact on the servers it is chosen for:

0. The IDs proved from the count (`id_proof`, with `hole_search`), for IDs (and states)
   with no filter but states, where the proof holds and costs fewer requests.
1. ID ranges (`id_ranges`), when `id` filters and `sort=-id` are honoured: the newest page,
   then the IDs below it in ranges side by side, each followed by keyset.
2. A filtered walk (`filtered_walk`), when `id` filters are refused or ignored.
3. A plain walk with client-side filtering (`plain_walk`), when `sort` or bbpr's own
   filters are not honoured.

A strategy that finds it cannot list exactly raises `Unsuitable` before handing out what
it cannot vouch for, and the next one down takes over the same listing (`listing_state`:
what was handed out is not repeated, the request bound is shared). What each learns about
the server (`server_traits`) is kept for the life of the client, so the next listing starts
on the right rung. A 400 or a 500 on the probe means "not supported here" for the server,
not an error: one request without the `id` condition tells which condition it was, and a
bad `--query` of the user's is reported as such and changes nothing learnt. Every `q`
carries the states (Cloud drops `state` parameters next to `q`), and no listing sends more
requests than `request_budget.RequestBudget` allows. After the rung, `hidden` checks by IDs
that the server left nothing out (drafts, BCLOUD-23659), at no cost on an honest server for
`--state all`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from ..models import PullRequest, Query, Repository
from . import id_proof
from .filtered_walk import FilteredWalk
from .hidden import left_out
from .id_ranges import IdRanges
from .listing_state import ListingState, PullRequestSource, Unsuitable
from .plain_walk import PlainWalk


def pull_request_pages(api: PullRequestSource, repository: Repository, query: Query,
                       limit: int | None) -> AsyncIterator[list[PullRequest]]:
    """One listing of `repository`, page by page; see the module docstring."""
    return run(ListingState(api, repository, query, limit))


async def run(listing: ListingState) -> AsyncIterator[list[PullRequest]]:
    """The first strategy that holds, then the check for what the server left out."""
    async for page in _rungs(listing):
        yield page
    async for page in left_out(listing):
        yield page


async def _rungs(listing: ListingState) -> AsyncIterator[list[PullRequest]]:
    # Issue 16: the IDs proved from the count (`id_proof`), where it applies and holds.
    if id_proof.applies(listing):
        try:
            async for page in id_proof.proved(listing, run):
                yield page
            listing.ids_proved = True
            return
        except Unsuitable:
            pass
    if listing.traits.id_ranges_work is not False:
        try:
            async for page in IdRanges(listing).run():
                yield page
            return
        except Unsuitable:
            pass
    if not listing.limit_reached():
        async for page in _walk(listing):
            yield page


async def _walk(listing: ListingState) -> AsyncIterator[list[PullRequest]]:
    """Rung 2 where the server allows it, else (or when it turns out not to) rung 3."""
    traits = listing.traits
    if traits.sort_works is not False and (not listing.filters
                                           or traits.filters_work is not False):
        try:
            async for page in FilteredWalk(listing).run():
                yield page
            return
        except Unsuitable:
            pass
    async for page in PlainWalk(listing).run():
        yield page
