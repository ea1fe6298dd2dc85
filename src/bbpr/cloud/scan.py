"""How bbpr lists one repository's pull requests on Bitbucket Cloud, exactly, on any server.

Requests are the scarce resource (1,000 an hour), the list must be exact while pull
requests change, and what Cloud honours is partly undocumented (see the facts file). So
nothing is assumed: every record is checked against the query (`matching`), every page's
order against the sort that was asked for, and each failed check moves the listing one
rung down a ladder of strategies, each exact on the servers it is chosen for:

1. ID ranges (here), when `id` filters and `sort=-id` are honoured. One probe, the newest
   page (`sort=-id`, 50, with `id > 0` so that a server refusing `id` says so at once);
   then the IDs below it are cut into ranges (`id >= a AND id < b`) that run side by side,
   each followed by keyset (`id < smallest seen`), never by page number, so a pull request
   that changes cannot shift another out of a page. Dense IDs (every state) get ranges of
   50: one request each, `ceil(N / 50)` in all, the minimum. Sparse IDs get one range per
   worker. Complete by construction (the ranges cover every ID, each was followed to its
   end, the filters and order were checked on every page); where `size` is given and every
   record met the query, the count is checked too.
2. A filtered walk (`walk.FilteredWalk`), when `id` filters are refused or ignored.
3. A plain walk with client-side filtering (`walk.PlainWalk`), when `sort` or bbpr's own
   filters are not honoured.

A 400 or a 500 on the probe means "not supported here" for the server, not an error: one
request without the `id` condition tells which condition it was, and a bad `--query` of
the user's is reported as such and changes nothing learnt. Every `q` carries the states
(Cloud drops `state` parameters next to `q`), and no listing sends more requests than
`progress.RequestBudget` allows. After the rung, `hidden` checks by IDs that the server
left nothing out (drafts, BCLOUD-23659), at no cost on an honest server for `--state all`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..id_set import IdSet
from ..in_order import ordered
from ..matching import failed_conditions
from ..models import STATES, PullRequest, Query, Repository
from ..request_budget import RequestBudget
from . import errors
from .query import PAGELEN, as_sent, bbql, filter_conditions
from .wire import PullRequestItem, PullRequestPage, to_pull_request

if TYPE_CHECKING:
    from .api import CloudAPI


class Unsuitable(Exception):
    """This rung cannot list exactly on this server; the next one down takes over."""


class Scan:
    """One listing of one repository's pull requests; see the module docstring."""

    def __init__(self, api: CloudAPI, repository: Repository, query: Query,
                 limit: int | None) -> None:
        self.api = api
        self.traits = api.traits
        """What is learnt about the server, kept beyond this listing."""
        self.repository = repository
        self.query = as_sent(query)
        self.limit = limit
        self.filters = filter_conditions(query)
        self.listed = 0
        self.seen = IdSet()
        """IDs handed out, so that a rung taking over repeats none."""
        self.ignored: set[str] = set()
        """Conditions the server was seen to ignore (records that failed them came back)."""
        self.budget = RequestBudget(repository.full_name, PAGELEN)
        self.id_refused = False
        self.highest = 0
        """The highest ID the server returned."""
        self.ids_proved = False
        """Whether the rung proved by IDs that the server left nothing out (`hidden`)."""
        self.probed: PullRequestPage | None = None
        """The probe's answer when `id_proof` asked it already: the ladder starts from it."""

    async def run(self) -> AsyncIterator[list[PullRequest]]:
        from .hidden import left_out

        async for page in self._rungs():
            yield page
        async for page in left_out(self):
            yield page

    async def _rungs(self) -> AsyncIterator[list[PullRequest]]:
        from . import id_proof
        from .walk import walk

        # Issue 16: the IDs proved from the count (`id_proof`), where it applies and holds.
        if id_proof.applies(self):
            try:
                async for page in id_proof.listing(self):
                    yield page
                self.ids_proved = True
                return
            except Unsuitable:
                pass
        if self.traits.id_ranges_work is not False:
            try:
                async for page in self._ranges():
                    yield page
                return
            except Unsuitable:
                pass
        if not self.limit_reached():
            async for page in walk(self):
                yield page

    # --- rung 1: ID ranges -------------------------------------------------------------

    async def _ranges(self) -> AsyncIterator[list[PullRequest]]:
        probe = await self._probe()
        ids = [item.id for item in probe.values]
        self.budget.expect(max([probe.size or 0, *ids]))
        # Checked before any of it is handed out: the rung that takes over reads it again.
        if ids != sorted(set(ids), reverse=True):
            self.traits.sort_works = False
            raise Unsuitable("sort ignored")
        if any(number < 1 for number in ids):  # `id > 0` was asked for
            self.traits.id_ranges_work = False
            raise Unsuitable("id ignored")
        yield self.take(probe.values)
        if not probe.values or self.limit_reached():
            return
        if not probe.next and not await self._more_below(probe, min(ids)):
            return
        async for page in self._range_pages(min(ids), probe.size):
            yield page
        if (self.limit is None and probe.size is not None and not self.ignored
                and self.listed < probe.size):
            await self._check_shortfall(ids[0])
        self.traits.id_ranges_work = self.traits.sort_works = True

    async def _more_below(self, probe: PullRequestPage, lowest: int) -> bool:
        """Whether pull requests lie below a probe that has no `next` link. A short page, or
        one holding all that `size` counts, is the last; a full one without `size`, or one
        short of its `size` (a server that ended too early), is asked about with one record."""
        if lowest <= 1 or (probe.size is not None and probe.size <= len(probe.values)):
            return False
        if probe.size is None and len(probe.values) < PAGELEN:
            return False
        below = await self.fetch(bbql(self.query.states, self.filters, f"id < {lowest}"),
                                 pagelen=1)
        return bool(below.values)

    async def _probe(self) -> PullRequestPage:
        # A whole page even under a small --limit: its order is the evidence that `sort` is
        # honoured, and a page of one is in order on any server.
        if self.probed is not None:
            page, self.probed = self.probed, None
            return page
        try:
            return await self.fetch(bbql(self.query.states, self.filters, "id > 0"),
                                    probe=True)
        except (errors.BadRequest, errors.Refused):
            # The `id` condition, or another one? The walk's first request, without it, tells.
            self.traits.id_ranges_work = False
            self.id_refused = True
            raise Unsuitable("id refused") from None

    async def _range_pages(self, below: int, size: int | None
                           ) -> AsyncIterator[list[PullRequest]]:
        span = below - 1
        remaining = span if size is None else max(0, size - self.listed)
        density = min(1.0, remaining / span) if span else 1.0
        concurrency = self.api.concurrency
        if density >= 0.95:
            width = PAGELEN
        else:
            ranges = max(1, min(concurrency, math.ceil(remaining / PAGELEN)))
            width = math.ceil(span / ranges)
        self.budget.expect(ranges=math.ceil(span / width))
        expected = max(1.0, width * density)

        def window() -> int:
            if self.limit is None:
                return 4 * concurrency
            return math.ceil((self.limit - self.listed) / expected)

        async for pages in ordered(self._range_jobs(below, width), window):
            for page in pages:
                yield self.take(page)
                if self.limit_reached():
                    return

    def _range_jobs(self, below: int, width: int) -> Iterator[Callable[[], Any]]:
        high = below
        while high > 1:
            low = max(1, high - width)
            yield functools.partial(self._range, low, high)
            high = low

    async def _range(self, low: int, high: int) -> list[list[PullRequestItem]]:
        """Every pull request with `low <= id < high`, by keyset: each page's bound falls
        strictly, because every ID on it is checked to lie below the last bound."""
        pages: list[list[PullRequestItem]] = []
        while True:
            page = await self.fetch(bbql(self.query.states, self.filters,
                                         f"id >= {low} AND id < {high}"))
            ids = [item.id for item in page.values]
            if any(not low <= number < high for number in ids):
                self.traits.id_ranges_work = False
                raise Unsuitable("id ignored")
            if ids != sorted(set(ids), reverse=True):
                self.traits.sort_works = False
                raise Unsuitable("sort ignored")
            if not page.values and page.next:
                # Neither the end of the range nor a step along it: the keyset cannot go on.
                self.traits.id_ranges_work = False
                raise Unsuitable("an empty page that says more follow")
            pages.append(page.values)
            if not page.next or not page.values:
                return pages
            high = min(ids)

    async def _check_shortfall(self, highest: int) -> None:
        """Tell changes on the server from pull requests lost on the way: count again those
        that existed when the listing began (IDs up to `highest`)."""
        recount = await self.fetch(bbql(self.query.states, self.filters, f"id <= {highest}"),
                                   pagelen=1)
        if recount.size is not None and self.listed < recount.size:
            raise errors.incomplete(self.repository.full_name, self.listed, recount.size)

    # --- shared by every rung ----------------------------------------------------------

    async def fetch(self, q: str | None, *, pagelen: int = PAGELEN, url: str | None = None,
                    sort: str | None = "-id", probe: bool = False,
                    every_state: bool = False) -> PullRequestPage:
        """One page, counted against the budget; `every_state` asks for all four states."""
        self.budget.spend()
        states = frozenset(STATES) if every_state else None
        return await self.api.fetch_page(self.repository, self.query, q=q, sort=sort,
                                         pagelen=pagelen, url=url, states=states, probe=probe)

    async def fetch_one(self, number: int) -> PullRequestItem | None:
        """One pull request by ID, counted against the budget; None if there is none."""
        self.budget.spend()
        return await self.api.fetch_pull_request(self.repository, self.query, number)

    def take(self, items: list[PullRequestItem]) -> list[PullRequest]:
        """The records of `items` that are new and meet the query, up to the limit. Those
        that fail it are dropped, and what they failed is remembered as ignored."""
        taken: list[PullRequest] = []
        for item in items:
            self.highest = max(self.highest, item.id)
            if item.id in self.seen:
                continue
            record = to_pull_request(item, self.repository.full_name)
            failed = failed_conditions(record, self.query)
            if failed:
                self.ignored |= failed
                continue
            if self.limit is not None and self.listed >= self.limit:
                break
            self.seen.add(item.id)
            self.listed += 1
            self.traits.drafts_shown |= bool(record.draft) or record.state == "DRAFT"
            taken.append(record)
        return taken

    def limit_reached(self) -> bool:
        return self.limit is not None and self.listed >= self.limit
