"""`--plan`, `--wait`, `--allowance` and `--yes` of `list` and `sync`: the hourly allowance,
said before a run spends it, paced while it runs.

Before a job that needs more than what is left of the allowance, one line on stderr says
so; on a terminal (stdin and stderr both) bbpr then asks whether to go on, unless `--yes`.
Without a terminal it never asks (a cron job must not hang on a question): the line goes
to the log, and the run goes on under the same rules as any other, stopping at the
allowance with exit 5 or, with `--wait`, waiting for the window to free.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from ..errors import AllowanceSpent, GaveUpError, InputError
from .common import note

if TYPE_CHECKING:
    from pathlib import Path

    from ..allowance.plan import CostOf, Plan
    from ..asked.targets import Target
    from ..connect import Connection
    from ..http import Ledger
    from ..models import Query
    from .progress import Progress

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class AllowanceChoice:
    plan: bool = False
    wait: bool = False
    allowance: str | None = None
    yes: bool = False


def allowance_options(function: F) -> F:
    """The four options, handed to the command as one `allowance_choice`."""

    @functools.wraps(function)
    def command(*args: Any, plan: bool, wait: bool, allowance: str | None, yes: bool,
                **kwargs: Any) -> Any:
        return function(*args, allowance_choice=AllowanceChoice(plan, wait, allowance, yes),
                        **kwargs)

    for option in reversed(_OPTIONS):
        command = option(command)
    return command  # type: ignore[return-value]


def _check_allowance(ctx: click.Context, param: click.Parameter, value: str | None
                     ) -> str | None:
    if value is not None:
        from ..allowance.figure import parse_allowance

        try:
            parse_allowance(value)
        except InputError as error:
            raise click.BadParameter(error.message) from None
    return value


_OPTIONS = [
    click.option("--plan", is_flag=True,
                 help="Say what the job would cost in requests and how long it takes within "
                      "the allowance; spend nothing beyond listing the repositories."),
    click.option("--wait", is_flag=True,
                 help="When the allowance is spent, wait for it to free (a countdown on a "
                      "terminal) instead of stopping with exit 5."),
    click.option("--allowance", metavar="N[/WINDOW]", callback=_check_allowance,
                 help="Requests this credential may spend an hour (or per window: 100/10s). "
                      "Default: what the server announces, else Bitbucket Cloud's documented "
                      "figure (1,000; anonymous 60); none on Data Center."),
    click.option("--yes", "-y", is_flag=True,
                 help="Go ahead without asking when the job needs more than is left of the "
                      "allowance."),
]


def pace(connection: Connection, environ: Mapping[str, str], choice: AllowanceChoice,
         on_wait: Callable[[float], None]) -> None:
    """Count this run's requests in the ledger and keep within the allowance (when the
    ledger's file cannot be used, the run keeps it by itself, and says so once)."""
    from ..allowance import figure as allowance

    connection.options.pacing = allowance.pacing(
        connection.credentials, connection.host, environ, given=choice.allowance,
        wait=choice.wait, on_wait=on_wait, on_note=note)


@contextlib.contextmanager
def ledger_of(connection: Connection) -> Iterator[Ledger | None]:
    pacing = connection.options.pacing
    if pacing is None:
        yield None
        return
    ledger = pacing.ledger()
    try:
        yield ledger
    finally:
        ledger.close()


async def planned(connection: Connection, job: Job, choice: AllowanceChoice,
                  stream: IO[str]) -> int:
    """`--plan`: list the repositories (and probe one the copy lacks), then say the cost."""
    from ..allowance import plan

    target = job.target
    with ledger_of(connection) as ledger:
        async with connection:
            try:
                found = await plan.plan(connection, connection.target(target), job.copy,
                                        job.cost_of,
                                        repos=job.repos, ledger=ledger, probe=job.plan_probe)
            except AllowanceSpent:
                # No request left even to list the repositories: the copy's list will do.
                allowance = connection.stats.allowance
                estimate = plan.estimate(connection.flavour, connection.host, target, job.copy,
                                         job.cost_of, allowance=allowance, ledger=ledger,
                                         guess=True)
                if estimate is None:
                    raise
                found = estimate
            return show_plan(found, source_of(connection, choice), job, stream)


async def estimated(connection: Connection, target: Target, cost_of: CostOf, copy: Path, *,
                    probe: Query | None = None) -> Plan | None:
    """What the job costs, from the local copy (no request), or for one repository the copy
    lacks, from the `probe` query's first page (one request); None when unknown."""
    from ..allowance import plan

    with ledger_of(connection) as ledger:
        pacing = connection.options.pacing
        allowance = None if pacing is None else pacing.allowance
        found = plan.estimate(connection.flavour, connection.host, target, copy, cost_of,
                              allowance=allowance, ledger=ledger)
        if found is None and probe is not None and target.repo_slug is not None:
            found = await plan.plan(connection, connection.target(target), copy, cost_of,
                                    ledger=ledger, probe=probe)
        return found


async def before_run(connection: Connection, environ: Mapping[str, str], choice: AllowanceChoice,
                     job: Job, stream: IO[str]) -> bool:
    """Pace the run by the allowance; with --plan, say the plan instead (True: done, the run
    is over); otherwise, when the job needs more than is left, say so (and ask)."""
    pace(connection, environ, choice, waiting(lambda: False))
    if choice.plan:
        await planned(connection, job, choice, stream)
        return True
    # The cost is said up front on a terminal, where a probe is worth its request; a log
    # gets the sentence the stop ends with.
    probe = job.probe if sys.stderr.isatty() else None
    warn(await estimated(connection, job.target, job.cost_of, job.copy, probe=probe), choice,
         job)
    return False


@dataclass(frozen=True)
class Job:
    """What `before_run` needs to know of a list or sync."""

    command: str
    target: Target
    cost_of: CostOf
    copy: Path
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


def during_run(connection: Connection, progress: Progress) -> None:
    """While the run shows progress: a wait counts down on its line, and what the pacing
    says (a ledger that cannot be used) is written with the line off the screen."""
    pacing = connection.options.pacing
    if pacing is None:
        return
    pacing.on_wait = waiting(lambda: progress.show)

    def told(message: str) -> None:
        with progress.paused():
            note(message)

    pacing.on_note = told


def waiting(show_countdown: Callable[[], bool]) -> Callable[[float], None]:
    """What a run says when it starts waiting for the allowance: the progress line counts
    down on a terminal; elsewhere (logs) one line."""

    def told(free_at: float) -> None:
        if show_countdown():
            return
        from ..time_words import clock, duration

        note(f"The allowance is spent; waiting {duration(free_at - time.time())} for it to "
             f"free, until {clock(free_at)} (--wait).")

    return told


def warn(plan: Plan | None, choice: AllowanceChoice, job: Job) -> None:
    """Before a job that needs more than is left: say so, and on a terminal ask (never with
    --wait, which is the answer: wait for the window)."""
    if plan is None or plan.fits or plan.allowance is None or plan.left is None:
        return
    from ..time_words import duration, per

    then = (f"it will wait for the window to free when they are spent (--wait), about "
            f"{duration(plan.windows_to_wait * plan.window)} in all" if choice.wait else
            f"it will stop when they are spent (exit 5), and {after_stop(job, plan)}")
    note(f"This {job.command} needs {plan.cost.said()}, and {plan.left:,} of this "
         f"credential's {plan.allowance:,} {per(plan.window)} are left: {then}.")
    if choice.yes or choice.wait or not (sys.stdin.isatty() and sys.stderr.isatty()):
        return
    if not click.confirm("Go on?", default=False, err=True):
        raise GaveUpError(f"Nothing was done, as you answered. `{job.command} --plan` shows "
                          "the cost; --yes goes ahead without asking.")


def after_stop(job: Job, plan: Plan) -> str:
    """What a run stopped at the allowance leaves to the next: a workspace's sync goes on
    with the repositories left; a list, or one repository's sync, starts over, so a job
    bigger than the whole allowance finishes only with --wait (or, for a list of a
    workspace, through the copy, whose sync goes on where it stopped)."""
    typed = job.target.as_typed
    if job.kind == "sync" and job.target.repo_slug is None:
        return f"the next `bbpr sync {typed}` goes on with the repositories left"
    again = ("a list starts over on every run" if job.kind == "list" else
             "a sync of one repository starts over on every run")
    if plan.allowance is not None and plan.cost.most <= plan.allowance:
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


def show_plan(plan: Plan, source: str, job: Job, stream: IO[str]) -> int:
    """`--plan`'s few lines, on stdout."""
    from ..time_words import clock, duration, per

    cost = plan.cost
    resuming = ("" if plan.repositories_left is None else
                f" (resuming a sync that stopped early: {plan.repositories_left:,} left)")
    lines = [f"Plan for {job.command}: {plan.repositories:,} "
             f"{'repository' if plan.repositories == 1 else 'repositories'}{resuming}."]
    detail = (f" ({cost.guessed:,} not in the local copy, counted at the least they cost; "
              f"`bbpr sync {job.target.as_typed}` first makes the plan exact)"
              if cost.guessed else "")
    lines.append(f"Cost: {cost.said()}{detail}.")
    if plan.allowance is None:
        lines.append(f"Allowance: {source}.")
    else:
        spent = ("" if plan.spent is None else
                 f"; {plan.spent:,} spent in the last {duration(plan.window)} by bbpr, "
                 f"{plan.left:,} left")
        if plan.ledger_lost is not None:
            spent = (f"; the request ledger cannot be used ({plan.ledger_lost}), so what other "
                     "bbpr runs spent is not known: this run keeps to it by itself")
        lines.append(f"Allowance: {plan.allowance:,} requests {per(plan.window)} ({source})"
                     f"{spent}.")
        if plan.fits:
            lines.append("Time: it fits in what is left, so it runs at full speed.")
        else:
            lines.append(
                f"Time: more than is left. Without --wait it stops after {plan.left:,} "
                f"{'request' if plan.left == 1 else 'requests'} (exit 5), and "
                f"{after_stop(job, plan)}; with --wait it takes about "
                f"{duration(plan.windows_to_wait * plan.window)} more."
                + (f" The first request frees at {clock(plan.free_at)}."
                   if plan.free_at else ""))
    lines.append(f"Planning spent {plan.spent_planning:,} "
                 f"{'request' if plan.spent_planning == 1 else 'requests'}.")
    stream.write("\n".join(lines) + "\n")
    return 0


def source_of(connection: Connection, choice: AllowanceChoice) -> str:
    """Where the allowance figure came from, in words."""
    from ..allowance import figure as allowance

    if choice.allowance is not None:
        return "given with --allowance"
    documented = allowance.documented(connection.credentials, connection.host)
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


def _requests(count: int) -> str:
    return f"{count:,} {'request' if count == 1 else 'requests'}"
