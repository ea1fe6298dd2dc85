"""`--plan`: what a `list` or `sync` would cost, and how long it takes within the allowance,
spending nothing beyond listing the repositories (and, for one repository the local copy
does not hold, the one request its listing starts with anyway).

Also what a run says before it starts (`estimate`): the same figures from the local copy
alone, without a request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .. import listing
from ..asked.targets import Target
from ..connect import Connection
from ..http import Ledger
from ..models import METRIC_FIELDS, STATES, Flavour, Query, Repository, State
from . import costs
from .costs import Cost, Counts


@dataclass
class Plan:
    what: str
    repositories: int
    cost: Cost
    """The job's requests, the repository listing included."""
    spent_planning: int
    allowance: int | None
    window: float
    spent: int | None
    """Requests this credential spent in the window so far (by every bbpr run)."""
    free_at: float | None = None
    """When the first request frees, if the window is full (epoch seconds)."""
    ledger_lost: str | None = None
    """Why the ledger's file cannot be used: `spent` is then this run's alone."""
    repositories_left: int | None = None
    """The repositories left where the job resumes a stopped sync (None: it starts afresh)."""

    @property
    def left(self) -> int | None:
        if self.allowance is None or self.spent is None:
            return None
        return max(0, self.allowance - self.spent)

    @property
    def fits(self) -> bool:
        """Whether the most the job may cost fits in what is left."""
        return self.left is None or self.cost.most <= self.left

    @property
    def windows_to_wait(self) -> int:
        """Whole windows a `--wait` run waits, beyond what is left of this one."""
        if self.fits or not self.allowance or self.left is None:
            return 0
        return math.ceil((self.cost.most - self.left) / self.allowance)


IDS_AND_STATES = frozenset({"id", "repository", "state"})


class CostOf(Protocol):
    """What a job costs, repository by repository, from the copy's counts."""

    def total(self, repositories: Sequence[Repository], counts: Mapping[str, Counts]
              ) -> Cost: ...

    def done(self, copy: Path, host: str, target: Target,
             repositories: Sequence[Repository]) -> set[str]:
        """The repositories the job will not touch: those a stopped sync it resumes did."""
        ...


@dataclass(frozen=True)
class ListCost:
    """`bbpr list`: the listing of each repository, in the order they are listed."""

    flavour: Flavour
    query: Query
    limit: int | None
    concurrency: int = 8

    def total(self, repositories: Sequence[Repository], counts: Mapping[str, Counts]
              ) -> Cost:
        query = self.query
        shape = costs.Listing(
            states=query.states, ids_only=query.fields <= IDS_AND_STATES,
            with_state="state" in query.fields,
            plain=query == Query(states=query.states, fields=query.fields),
            closed_on="closed_on" in query.fields, limit=self.limit,
            concurrency=self.concurrency, review_events=bool(query.fields & METRIC_FIELDS))
        ordered = sorted(repositories, key=lambda repository: repository.slug)
        return costs.listing_costs(self.flavour, shape,
                                   [counts.get(repository.full_name) for repository in ordered])

    def done(self, copy: Path, host: str, target: Target,
             repositories: Sequence[Repository]) -> set[str]:
        return set()


@dataclass(frozen=True)
class SyncCost:
    """`bbpr sync`: a pass over each repository, but those a stopped sync did already."""

    flavour: Flavour
    full: bool
    close_times: bool
    review_events: bool = False

    def total(self, repositories: Sequence[Repository], counts: Mapping[str, Counts]
              ) -> Cost:
        cost = Cost()
        for repository in repositories:
            requests, guessed = costs.sync_cost(self.flavour, counts.get(repository.full_name),
                                                full=self.full, close_times=self.close_times,
                                                review_events=self.review_events)
            cost.add(requests, guessed=guessed)
        return cost

    def done(self, copy: Path, host: str, target: Target,
             repositories: Sequence[Repository]) -> set[str]:
        if target.repo_slug is not None:
            return set()
        return costs.copy_resumed(copy, host, target.full_name, repositories, full=self.full)


def list_cost(flavour: Flavour, query: Query, limit: int | None,
              concurrency: int = 8) -> ListCost:
    return ListCost(flavour, query, limit, concurrency)


def sync_cost(flavour: Flavour, *, full: bool, close_times: bool,
              review_events: bool = False) -> SyncCost:
    return SyncCost(flavour, full, close_times, review_events)


async def plan(connection: Connection, target: Target, copy: Path, cost_of: CostOf, *,
               repos: str | None = None, ledger: Ledger | None = None,
               probe: Query | None = None) -> Plan:
    """The plan for a job on `target`: its repositories are listed (the one thing spent),
    then each is costed from the copy's counts; `probe`, for one repository missing from
    the copy, is the query whose count is asked (a request, two for some states)."""
    backend, host = connection.backend, connection.host
    target = listing.as_spelled_by_server(backend, target)
    before = backend.stats.requests
    if target.repo_slug is not None:
        repositories = [Repository(owner=target.owner, slug=target.repo_slug)]
        listed = 0
    else:
        repositories = [repository async for repository in
                        listing.repositories(backend, target.owner, repos)
                        if target.project is None
                        or (repository.project or "").lower() == target.project.lower()]
        listed = backend.stats.requests - before
    counts = costs.copy_counts(copy, host, repositories)
    if probe is not None and target.repo_slug is not None and not counts:
        counts = await _probed(connection, repositories[0], probe)
    cost, left = _total(copy, host, target, repositories, counts, cost_of)
    cost.add(listed)
    return _with_ledger(target.full_name, len(repositories), cost,
                        backend.stats.requests - before, backend.stats.allowance, ledger,
                        repositories_left=left)


def estimate(flavour: Flavour, host: str, target: Target, copy: Path, cost_of: CostOf, *,
             allowance: int | None, ledger: Ledger | None, guess: bool = False) -> Plan | None:
    """The plan from the copy alone, no request: None when the copy knows nothing of it
    (with `guess`, for one repository, the request it costs at least)."""
    if target.repo_slug is not None:
        repositories = [Repository(owner=target.owner, slug=target.repo_slug)]
    else:
        repositories = costs.copy_repositories(copy, host, target.owner)
    counts = costs.copy_counts(copy, host, repositories)
    if not counts and not (guess and target.repo_slug is not None):
        return None
    cost, left = _total(copy, host, target, repositories, counts, cost_of)
    if target.repo_slug is None:
        cost.add(costs.repository_listing(flavour, len(repositories)))
    return _with_ledger(target.full_name, len(repositories), cost, 0, allowance, ledger,
                        repositories_left=left)


def _total(copy: Path, host: str, target: Target, repositories: list[Repository],
           counts: Mapping[str, Counts], cost_of: CostOf) -> tuple[Cost, int | None]:
    """The job's cost, and how many repositories it has left where it resumes a stopped one
    (None where it starts afresh)."""
    done = cost_of.done(copy, host, target, repositories)
    left = [repository for repository in repositories if repository.full_name not in done]
    return cost_of.total(left, counts), len(left) if done else None


async def _probed(connection: Connection, repository: Repository, query: Query
                  ) -> dict[str, Counts]:
    """The counts the first page of a listing gives (Cloud's `size`): of every state (and
    the highest ID), and of the states asked for where they are not all, as copy counts:
    every listed one taken for closed, the most close times can cost."""
    every = await _size(connection, repository, frozenset(STATES))
    if every is None:
        return {}
    total, highest = every
    matching = total
    if query.states != frozenset(STATES):
        wanted = await _size(connection, repository, query.states)
        if wanted is None:
            return {}
        matching = wanted[0]
    # Split as the proof would like it best: every wanted one in one state.
    states: dict[str, int] = {sorted(query.states)[0]: matching}
    others = [state for state in STATES if state not in query.states]
    if others:
        states[others[0]] = total - matching
    closed = 0 if query.states == frozenset({"OPEN"}) else matching
    return {repository.full_name: Counts(total, closed, synced=False, close_times=False,
                                         states=states, highest=highest)}


async def _size(connection: Connection, repository: Repository, states: frozenset[State]
                ) -> tuple[int, int] | None:
    """The count of `states` the first page of their listing gives, and the newest ID."""
    # A field beyond the ID: the listing starts with its newest page, one request. The
    # backend keeps the first count it saw of a repository: this one's is wanted.
    backend = connection.backend
    backend.reported_matches.pop(repository.full_name, None)
    pages = backend.pull_request_pages(
        repository, Query(states=states, fields=frozenset({"id", "updated_on"})), 1)
    try:
        first = await anext(pages, None)
    finally:
        close = getattr(pages, "aclose", None)
        if close is not None:
            await close()
    size = backend.reported_matches.get(repository.full_name)
    if size is None:
        return None
    return size, max((record.id for record in first or []), default=0)


def _with_ledger(what: str, repositories: int, cost: Cost, spent_planning: int,
                 allowance: int | None, ledger: Ledger | None, *,
                 repositories_left: int | None = None) -> Plan:
    result = Plan(what, repositories, cost, spent_planning, allowance,
                  ledger.window if ledger else 3600.0, None,
                  repositories_left=repositories_left)
    if ledger is None:
        return result
    result.spent = ledger.spent()
    if allowance is not None and result.left == 0:
        result.free_at = ledger.free_at(1, allowance)
    result.ledger_lost = ledger.lost
    return result
