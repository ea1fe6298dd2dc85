"""The allowance room's door: one decision for a run about to start, and what a sync costs.

`bbpr list` and `bbpr sync` describe their job (`list_job`, `sync_job`) and ask `decide`
once, before their first request, and get one `Decision`: the run is paced by the
allowance (the ledger counts every request; a spent allowance stops it, or with `--wait`
waits), and then either `--plan`'s plan to print (the run is then over), or, where the job
needs more than is left, the sentence to say and whether to ask before going on. `bbpr
report` and `bbpr sync --review-events` ask what a sync costs (`sync_cost_said`,
`review_events_cost`), from the local copy alone, without a request.

Everything the allowance says is worded here, from the cost model (`costs`, `plan`) and the
figure (`figure`); the command line prints it, asks the question where someone can answer,
and counts a wait down on its progress line.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AllowanceSpent
from ..models import METRIC_FIELDS, STATES, Flavour, Query
from ..time_words import clock, duration, per
from . import figure, plan
from .choice import AllowanceChoice
from .costs import Cost

if TYPE_CHECKING:
    from ..asked.targets import Target
    from ..connect import Connection
    from ..http import Ledger


@dataclass(frozen=True)
class Job:
    """A list or sync about to run, as the allowance sees it (`list_job`, `sync_job`)."""

    command: str
    """`bbpr list acme` or `bbpr sync acme/widgets`, as the sentences name it."""
    target: Target
    cost_of: plan.CostOf
    copy: Path
    """The local copy whose counts the cost is estimated from."""
    repos: str | None = None
    probe: Query | None = None
    """The query whose first page tells a repository's count, where a run should know it
    before it starts (Cloud's close times)."""
    plan_probe: Query | None = None
    """The same, for --plan (which probes a repository the copy lacks whatever it asks)."""

    @property
    def kind(self) -> str:
        """`list` or `sync`."""
        return self.command.split()[1]


def list_job(target: Target, query: Query, copy: Path, *, flavour: Flavour,
             limit: int | None, concurrency: int, repos: str | None) -> Job:
    """`bbpr list` of `target`, as the allowance sees it."""
    # Cloud's close times and review metrics cost the activity feed: probing the count
    # first is worth a request.
    costly = "closed_on" in query.fields or bool(query.fields & METRIC_FIELDS)
    return Job(f"bbpr list {target.full_name}", target,
               plan.list_cost(flavour, query, limit, concurrency), copy, repos,
               probe=query if flavour == "cloud" and costly else None, plan_probe=query)


def sync_job(target: Target, copy: Path, *, flavour: Flavour, full: bool, close_times: bool,
             review_events: bool, repos: str | None) -> Job:
    """`bbpr sync` of `target` into `copy`, as the allowance sees it."""
    return Job(f"bbpr sync {target.full_name}", target,
               plan.sync_cost(flavour, full=full, close_times=close_times,
                              review_events=review_events),
               copy, repos, plan_probe=Query(states=frozenset(STATES)))


@dataclass(frozen=True)
class Decision:
    """The allowance's one answer to a run about to start."""

    plan: str | None = None
    """With --plan: the plan, in lines for stdout; the run is then over."""
    warning: str | None = None
    """The job needs more than is left of the allowance: said before it starts."""
    ask: bool = False
    """Ask before going on, where someone can answer: not with --yes, nor with --wait
    (which is the answer: wait for the window)."""
    stopped: str | None = None
    """What to add when the allowance stops the run: a list starts over on every run, so
    what finishes it."""


async def decide(connection: Connection, environ: Mapping[str, str], choice: AllowanceChoice,
                 job: Job, *, terminal: bool, tell: Callable[[str], None],
                 counting_down: Callable[[], bool]) -> Decision:
    """Pace the run on `connection` by the allowance, then decide: the plan (--plan), or the
    warning where the job needs more than is left. `terminal`: someone reads stderr as the run
    goes, so the cost is said before it starts, where a probe is worth its request (a log
    gets the sentence the stop ends with). What the pacing says goes to `tell`, and a wait for
    the window too, unless the run's progress line is `counting_down` to it."""
    _pace(connection, environ, choice, tell, counting_down)
    stopped = list_stopped(job.target) if job.kind == "list" else None
    if choice.plan:
        return Decision(plan=await _planned(connection, job, choice), stopped=stopped)
    found = await _estimated(connection, job, probe=job.probe if terminal else None)
    warning = _warning(found, choice, job)
    return Decision(warning=warning, ask=warning is not None and not (choice.yes or choice.wait),
                    stopped=stopped)


def _pace(connection: Connection, environ: Mapping[str, str], choice: AllowanceChoice,
          tell: Callable[[str], None], counting_down: Callable[[], bool]) -> None:
    """Count this run's requests in the ledger and keep within the allowance (when the
    ledger's file cannot be used, the run keeps it by itself, and says so once)."""

    def waiting(free_at: float) -> None:
        if not counting_down():
            tell(f"The allowance is spent; waiting {duration(free_at - time.time())} for it "
                 f"to free, until {clock(free_at)} (--wait).")

    connection.options.pacing = figure.pacing(
        connection.credentials, connection.host, environ, given=choice.allowance,
        wait=choice.wait, on_wait=waiting, on_note=tell)


@contextlib.contextmanager
def _ledger_of(connection: Connection) -> Iterator[Ledger | None]:
    pacing = connection.options.pacing
    if pacing is None:
        yield None
        return
    ledger = pacing.ledger()
    try:
        yield ledger
    finally:
        ledger.close()


async def _planned(connection: Connection, job: Job, choice: AllowanceChoice) -> str:
    """`--plan`: list the repositories (and probe one the copy lacks), then say the cost."""
    with _ledger_of(connection) as ledger:
        async with connection:
            try:
                found = await plan.plan(connection, connection.target(job.target), job.copy,
                                        job.cost_of, repos=job.repos, ledger=ledger,
                                        probe=job.plan_probe)
            except AllowanceSpent:
                # No request left even to list the repositories: the copy's list will do.
                estimate = plan.estimate(connection.flavour, connection.host, job.target,
                                         job.copy, job.cost_of,
                                         allowance=connection.stats.allowance, ledger=ledger,
                                         guess=True)
                if estimate is None:
                    raise
                found = estimate
            return _plan_said(found, _source(connection, choice), job)


async def _estimated(connection: Connection, job: Job, *, probe: Query | None
                     ) -> plan.Plan | None:
    """What the job costs, from the local copy (no request), or for one repository the copy
    lacks, from the `probe` query's first page (one request); None when unknown."""
    with _ledger_of(connection) as ledger:
        pacing = connection.options.pacing
        allowance = None if pacing is None else pacing.allowance
        found = plan.estimate(connection.flavour, connection.host, job.target, job.copy,
                              job.cost_of, allowance=allowance, ledger=ledger)
        if found is None and probe is not None and job.target.repo_slug is not None:
            found = await plan.plan(connection, connection.target(job.target), job.copy,
                                    job.cost_of, ledger=ledger, probe=probe)
        return found


def _warning(found: plan.Plan | None, choice: AllowanceChoice, job: Job) -> str | None:
    """The sentence before a job that needs more than is left; None where it fits."""
    if found is None or found.fits or found.allowance is None or found.left is None:
        return None
    then = (f"it will wait for the window to free when they are spent (--wait), about "
            f"{duration(found.windows_to_wait * found.window)} in all" if choice.wait else
            f"it will stop when they are spent (exit 5), and {_after_stop(job, found)}")
    return (f"This {job.command} needs {found.cost.said()}, and {found.left:,} of this "
            f"credential's {found.allowance:,} {per(found.window)} are left: {then}.")


def _after_stop(job: Job, found: plan.Plan) -> str:
    """What a run stopped at the allowance leaves to the next: a workspace's sync goes on
    with the repositories left; a list, or one repository's sync, starts over, so a job
    bigger than the whole allowance finishes only with --wait (or, for a list of a
    workspace, through the copy, whose sync goes on where it stopped)."""
    typed = job.target.as_typed
    if job.kind == "sync" and job.target.repo_slug is None:
        return f"the next `bbpr sync {typed}` goes on with the repositories left"
    again = ("a list starts over on every run" if job.kind == "list" else
             "a sync of one repository starts over on every run")
    if found.allowance is not None and found.cost.most <= found.allowance:
        finish = ": run it again once enough are free, or add --wait"
    else:
        finish = ", so only --wait finishes it"
    if job.kind == "list" and job.target.repo_slug is None:
        finish += (f" (or `bbpr sync {typed}`, which goes on where it stopped, then "
                   f"`bbpr list {typed} --cached`)")
    return again + finish


def list_stopped(target: Target) -> str:
    """A list stopped at the allowance: what finishes it, since the next run starts over."""
    typed = target.as_typed
    workspace = (f", or run `bbpr sync {typed}`, which goes on where it stopped, then "
                 f"`bbpr list {typed} --cached`" if target.repo_slug is None else "")
    return f"A list starts over on every run: add --wait to finish it in one{workspace}."


def _plan_said(found: plan.Plan, source: str, job: Job) -> str:
    """`--plan`'s few lines."""
    cost = found.cost
    resuming = ("" if found.repositories_left is None else
                f" (resuming a sync that stopped early: {found.repositories_left:,} left)")
    lines = [f"Plan for {job.command}: {found.repositories:,} "
             f"{'repository' if found.repositories == 1 else 'repositories'}{resuming}."]
    detail = (f" ({cost.guessed:,} not in the local copy, counted at the least they cost; "
              f"`bbpr sync {job.target.as_typed}` first makes the plan exact)"
              if cost.guessed else "")
    lines.append(f"Cost: {cost.said()}{detail}.")
    if found.allowance is None:
        lines.append(f"Allowance: {source}.")
    else:
        spent = ("" if found.spent is None else
                 f"; {found.spent:,} spent in the last {duration(found.window)} by bbpr, "
                 f"{found.left:,} left")
        if found.ledger_lost is not None:
            spent = (f"; the request ledger cannot be used ({found.ledger_lost}), so what "
                     "other bbpr runs spent is not known: this run keeps to it by itself")
        lines.append(f"Allowance: {found.allowance:,} requests {per(found.window)} ({source})"
                     f"{spent}.")
        if found.fits:
            lines.append("Time: it fits in what is left, so it runs at full speed.")
        else:
            lines.append(
                f"Time: more than is left. Without --wait it stops after {found.left:,} "
                f"{'request' if found.left == 1 else 'requests'} (exit 5), and "
                f"{_after_stop(job, found)}; with --wait it takes about "
                f"{duration(found.windows_to_wait * found.window)} more."
                + (f" The first request frees at {clock(found.free_at)}."
                   if found.free_at else ""))
    lines.append(f"Planning spent {found.spent_planning:,} "
                 f"{'request' if found.spent_planning == 1 else 'requests'}.")
    return "\n".join(lines) + "\n"


def _source(connection: Connection, choice: AllowanceChoice) -> str:
    """Where the allowance figure came from, in words."""
    if choice.allowance is not None:
        return "given with --allowance"
    documented = figure.documented(connection.credentials, connection.host)
    current = connection.stats.allowance
    if current is None and connection.flavour == "cloud":
        return (f"unknown: {connection.host} is not Bitbucket Cloud's own API address, and "
                "documents no allowance, so bbpr does not pace; --allowance N sets one")
    if current is None:
        return ("unknown: Data Center's limits are its administrator's, and only Bitbucket "
                "Cloud's are documented, so bbpr does not pace; --allowance N sets one")
    if current != documented:
        return "announced by Bitbucket in X-RateLimit-Limit"
    return f"documented by Bitbucket for {connection.credentials.describe()}"


def sync_cost_said(target: Target, host: str, copy: Path, *, review_events: bool = False
                   ) -> str | None:
    """What a `bbpr sync` of `target` costs, in words ("about 52 requests"): the figure its
    `--plan` gives, from the same cost model and the copy's counts (no request is sent to
    say it); None where the copy cannot tell."""
    cost = _sync_cost(target, host, copy, full=False, close_times=False,
                      review_events=review_events, guess=True)
    return None if cost is None else cost.said()


def review_events_cost(target: Target, host: str, copy: Path, *, full: bool,
                       close_times: bool) -> str:
    """What review events add to this sync, in a sentence (from the copy's counts)."""

    def requests(events: bool) -> int | None:
        cost = _sync_cost(target, host, copy, full=full, close_times=close_times,
                          review_events=events)
        return None if cost is None or cost.guessed else cost.requests

    rate = ("about one more request per five pull requests (the activity feed, with close "
            "times)" if target.flavour == "cloud" else "one more request per pull request "
            "read (its activities)")
    with_events, without = requests(True), requests(False)
    if with_events is None or without is None or with_events <= without:
        return f"Review events cost {rate}."  # the copy cannot tell how many more
    return (f"Review events cost {rate}: about {with_events - without:,} more here, "
            f"{with_events:,} in all.")


def _sync_cost(target: Target, host: str, copy: Path, *, full: bool, close_times: bool,
               review_events: bool, guess: bool = False) -> Cost | None:
    """A sync's cost from the copy alone; None where the copy knows nothing of it (with
    `guess`, for one repository, the request it costs at least)."""
    cost_of = plan.sync_cost(target.flavour, full=full, close_times=close_times,
                             review_events=review_events)
    found = plan.estimate(target.flavour, host, target, copy, cost_of, allowance=None,
                          ledger=None, guess=guess)
    return None if found is None else found.cost
