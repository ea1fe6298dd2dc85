"""One listing of one repository on Cloud: what every strategy of the ladder shares.

The ladder (`ladder`) may start a listing on one strategy and finish it on another, after
pull requests were handed out already. So what was handed out (the IDs, a bit each), the
request bound, the conditions the server was seen to ignore and the first page asked for
belong to the listing, not to a strategy: the one that takes over repeats nothing and
spends from the same budget. Every record goes through `take`, which checks it against the
query (`matching`) and notes a draft (the server shows them). The strategies reach the API
only through `fetch`, `fetch_one` and `fetch_ids`, which count each request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Container
from typing import Protocol

from ..asked.matching import failed_conditions
from ..id_set import IdSet
from ..models import PullRequest, Query, Repository, State
from ..request_budget import RequestBudget
from . import errors
from .query import EVERY_STATE, PAGELEN, as_sent, bbql, filter_conditions
from .server_traits import ServerTraits
from .wire import PullRequestItem, PullRequestPage, to_pull_request


class Unsuitable(Exception):
    """This strategy cannot list exactly on this server; the next one down takes over."""


class PullRequestSource(Protocol):
    """What the ladder needs of the API (`api.CloudAPI`): pages and single pull requests,
    and what the server was seen to honour."""

    traits: ServerTraits

    @property
    def concurrency(self) -> int: ...

    @property
    def reported_matches(self) -> dict[str, int]: ...

    async def fetch_page(self, repository: Repository, query: Query, *, q: str | None,
                         sort: str | None, pagelen: int = PAGELEN, url: str | None = None,
                         states: frozenset[State] | None = None,
                         probe: bool = False) -> PullRequestPage: ...

    async def fetch_pull_request(self, repository: Repository, query: Query,
                                 number: int) -> PullRequestItem | None: ...


class ListingState:
    """One listing of one repository's pull requests; see the module docstring."""

    def __init__(self, api: PullRequestSource, repository: Repository, query: Query,
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
        """IDs handed out, so that a strategy taking over repeats none."""
        self.ignored: set[str] = set()
        """Conditions the server was seen to ignore (records that failed them came back)."""
        self.budget = RequestBudget(repository.full_name, PAGELEN)
        self.id_refused = False
        self.highest = 0
        """The highest ID the server returned."""
        self.ids_proved = False
        """Whether the strategy proved by IDs that the server left nothing out (`hidden`)."""
        self.probed: PullRequestPage | None = None
        """The probe's answer when `id_proof` asked it already: `id_ranges` starts from it."""
        self.provable = True
        """Whether the proof from the count (`id_proof`) may list it: not the listing it
        starts itself, of the states it does not infer."""

    async def fetch(self, q: str | None, *, pagelen: int = PAGELEN, url: str | None = None,
                    sort: str | None = "-id", probe: bool = False,
                    every_state: bool = False) -> PullRequestPage:
        """One page, counted against the budget; `every_state` asks for all four states."""
        self.budget.spend()
        states = EVERY_STATE if every_state else None
        return await self.api.fetch_page(self.repository, self.query, q=q, sort=sort,
                                         pagelen=pagelen, url=url, states=states, probe=probe)

    async def fetch_ids(self, states: frozenset[State], condition: str, *,
                        pagelen: int = PAGELEN, first: bool = False) -> PullRequestPage:
        """One page of `states` (in `q` and the `state` parameters) meeting the `id`
        `condition`, newest first; a refused condition is `Unsuitable` (and learnt)."""
        self.budget.spend()
        try:
            return await self.api.fetch_page(self.repository, self.query,
                                             q=bbql(states, [], condition), sort="-id",
                                             pagelen=pagelen, states=states, probe=first)
        except (errors.BadRequest, errors.Refused):
            # As the ID ranges' own probe would: `id` (no other filter was sent) is refused.
            self.traits.id_ranges_work = False
            self.id_refused = True
            raise Unsuitable("id refused") from None

    async def fetch_one(self, number: int) -> PullRequestItem | None:
        """One pull request by ID, counted against the budget; None if there is none."""
        self.budget.spend()
        return await self.api.fetch_pull_request(self.repository, self.query, number)

    async def look_up(self, returned: Container[int], count: int, highest: int
                      ) -> AsyncIterator[list[PullRequest]]:
        """Each ID up to `highest` that did not come back (`count` did, those in `returned`)
        asked for by itself, then those above it until one is not there: Cloud numbers pull
        requests 1, 2, 3... and cannot delete them, so only IDs prove that a server left
        nothing out (drafts it hides are hidden from `size` too). The budget makes room for
        them while they are no more than the records that came: a highest ID that lies must
        not send thousands of requests."""
        absent = highest - count
        if absent > max(count, self.budget.allowed - self.budget.spent):
            raise errors.unproved(self.repository.full_name,
                                  f"{absent} of the IDs up to {highest} did not come back, more "
                                  "than can be asked for one by one")
        self.budget.allow_lookups(absent + 1)  # and the one above the highest
        missing = [number for number in range(1, highest + 1) if number not in returned]
        if missing:
            found = await asyncio.gather(*(self.fetch_one(number) for number in missing))
            yield self.take([item for item in found if item is not None])
        # Even newest first, the highest ID listed need not be the highest there is: a
        # server that hides drafts hides them from every list, the newest one included.
        number = highest + 1
        while not self.limit_reached():
            item = await self.fetch_one(number)
            if item is None:
                return
            self.budget.allow_lookups(1)
            yield self.take([item])
            number += 1

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

    def hand_out(self, records: list[PullRequest]) -> list[PullRequest]:
        """The records not handed out yet, up to the limit, each already proved to match
        (records made from proved IDs, which `take` has no item for)."""
        taken: list[PullRequest] = []
        for record in records:
            if record.id in self.seen:
                continue
            if self.limit_reached():
                break
            self.seen.add(record.id)
            self.listed += 1
            taken.append(record)
        return taken

    def limit_reached(self) -> bool:
        return self.limit is not None and self.listed >= self.limit
