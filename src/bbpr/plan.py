"""`--plan`: what a `list` or `sync` would cost, and how long it takes within the allowance,
spending nothing beyond listing the repositories (and, for one repository the local copy
does not hold, the one request its listing starts with anyway).

Also what a run says before it starts (`estimate`): the same figures from the local copy
alone, without a request.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import costs, listing
from .backend import Backend
from .costs import Cost, Counts
from .http import Ledger, LedgerError
from .models import METRIC_FIELDS, STATES, Flavour, Query, Repository
from .targets import Target

CostOf = Callable[[Counts | None], tuple[int, bool]]


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

    @property
    def left(self) -> int | None:
        if self.allowance is None or self.spent is None:
            return None
        return max(0, self.allowance - self.spent)

    @property
    def fits(self) -> bool:
        return self.left is None or self.cost.requests <= self.left

    @property
    def windows_to_wait(self) -> int:
        """Whole windows a `--wait` run waits, beyond what is left of this one."""
        if self.fits or not self.allowance or self.left is None:
            return 0
        return math.ceil((self.cost.requests - self.left) / self.allowance)


IDS_AND_STATES = frozenset({"id", "repository", "state"})


def list_cost(flavour: Flavour, query: Query, limit: int | None) -> CostOf:
    def cost(counts: Counts | None) -> tuple[int, bool]:
        return costs.listing_cost(flavour, counts, states=query.states,
                                  closed_on="closed_on" in query.fields, limit=limit,
                                  ids_only=ids_only,
                                  review_events=bool(query.fields & METRIC_FIELDS))

    # Nothing asked for but IDs and states, and no filter: the query of every state's IDs.
    ids_only = (query.fields <= IDS_AND_STATES
                and query == Query(states=query.states, fields=query.fields))

    return cost


def sync_cost(flavour: Flavour, *, full: bool, close_times: bool,
              review_events: bool = False) -> CostOf:
    def cost(counts: Counts | None) -> tuple[int, bool]:
        return costs.sync_cost(flavour, counts, full=full, close_times=close_times,
                               review_events=review_events)

    return cost


async def plan(backend: Backend, host: str, target: Target, copy: Path, cost_of: CostOf, *,
               repos: str | None = None, ledger: Ledger | None = None,
               probe: Query | None = None) -> Plan:
    """The plan for a job on `target`: its repositories are listed (the one thing spent),
    then each is costed from the copy's counts; `probe`, for one repository missing from
    the copy, is the query whose first page tells its count (one request)."""
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
        counts = await _probed(backend, repositories[0], probe)
    cost = _total(backend.flavour, repositories, counts, cost_of)
    cost.requests += listed
    return _with_ledger(target.full_name, len(repositories), cost,
                        backend.stats.requests - before, backend.stats.allowance, ledger)


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
    cost = _total(flavour, repositories, counts, cost_of)
    if target.repo_slug is None:
        cost.requests += costs.repository_listing(flavour, len(repositories))
    return _with_ledger(target.full_name, len(repositories), cost, 0, allowance, ledger)


def _total(flavour: Flavour, repositories: list[Repository], counts: dict[str, Counts],
           cost_of: CostOf) -> Cost:
    cost = Cost()
    for repository in repositories:
        requests, guessed = cost_of(counts.get(repository.full_name))
        cost.add(requests, guessed=guessed)
    return cost


async def _probed(backend: Backend, repository: Repository, query: Query) -> dict[str, Counts]:
    """The count the first page of a listing gives (Cloud's `size`), as copy counts: every
    listed one taken for closed, the most close times can cost."""
    pages = backend.pull_request_pages(
        repository, Query(states=query.states, fields=frozenset({"id"})), 1)
    try:
        await anext(pages, None)
    finally:
        close = getattr(pages, "aclose", None)
        if close is not None:
            await close()
    size = backend.reported_matches.get(repository.full_name)
    if size is None:
        return {}
    closed = 0 if query.states == frozenset({"OPEN"}) else size
    everything = query.states == frozenset(STATES)
    return {repository.full_name: Counts(size if everything or "OPEN" in query.states else 0,
                                         closed, synced=False, close_times=False)}


def _with_ledger(what: str, repositories: int, cost: Cost, spent_planning: int,
                 allowance: int | None, ledger: Ledger | None) -> Plan:
    result = Plan(what, repositories, cost, spent_planning, allowance,
                  ledger.window if ledger else 3600.0, None)
    if ledger is None:
        return result
    try:
        result.spent = ledger.spent()
        if allowance is not None and result.left == 0:
            result.free_at = ledger.free_at(1, allowance)
    except LedgerError:
        result.spent = None
    return result
