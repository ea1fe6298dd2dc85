"""`--plan`, `--wait`, `--allowance` and `--yes` of `list` and `sync`, and the terminal's part
of the allowance: the room's decision (`allowance.decision`) printed, and asked about.

Before a job that needs more than what is left of the allowance, one line on stderr says
so; on a terminal (stdin and stderr both) bbpr then asks whether to go on, unless `--yes`.
Without a terminal it never asks (a cron job must not hang on a question): the line goes
to the log, and the run goes on under the same rules as any other, stopping at the
allowance with exit 5 or, with `--wait`, waiting for the window to free (counted down on
the progress line where there is one).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from ..allowance.choice import AllowanceChoice
from ..errors import GaveUpError, InputError
from .common import note

if TYPE_CHECKING:
    from ..allowance.decision import Decision, Job
    from ..connect import Connection
    from .progress import Progress

F = TypeVar("F", bound=Callable[..., Any])


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


async def decided(connection: Connection, environ: Mapping[str, str], choice: AllowanceChoice,
                  job: Job, stream: IO[str], progress: Progress) -> Decision:
    """The allowance room's decision for this run, on the terminal: with --plan, the plan on
    `stream` (the run is then over); a job that needs more than is left said on stderr, and
    asked about where someone can answer. While the run goes, what the allowance says is
    written with the progress line off the screen, and a wait is counted down on it."""
    from ..allowance.decision import decide

    decision = await decide(connection, environ, choice, job, terminal=sys.stderr.isatty(),
                            tell=progress.say, counting_down=lambda: progress.drawing)
    if decision.plan is not None:
        stream.write(decision.plan)
    elif decision.warning is not None:
        note(decision.warning)
        someone = sys.stdin.isatty() and sys.stderr.isatty()
        if decision.ask and someone and not click.confirm("Go on?", default=False, err=True):
            raise GaveUpError(f"Nothing was done, as you answered. `{job.command} --plan` "
                              "shows the cost; --yes goes ahead without asking.")
    return decision
