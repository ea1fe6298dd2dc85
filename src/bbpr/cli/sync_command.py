"""`bbpr sync`: keep a local SQLite copy of pull requests up to date; `--status` shows it."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from ..allowance.choice import AllowanceChoice
from ..asked.targets import Target, parse_target
from ..errors import BbprError, InputError
from .allowance_options import allowance_options, decided
from .common import (
    connection_for,
    credential_options,
    global_options,
    network_options,
    note,
    overlay,
    read_secret,
    settings,
    target_for,
)
from .progress import Progress, plural
from .sanitize import one_line

if TYPE_CHECKING:
    from ..copy.status import Status
    from ..credentials.store import GivenSecret

STATUS_FIELDS = ("host", "repository", "pull_requests", "last_complete_pass",
                 "last_run_requests", "last_run_completed", "close_times", "review_events")


@click.command("sync", short_help="Keep a local SQLite copy of pull requests.")
@click.argument("repo", metavar="[REPO|WORKSPACE|PROJECT]", required=False)
@click.option("--server", metavar="URL", envvar="BITBUCKET_SERVER",
              help="Bitbucket Data Center base URL (default: $BITBUCKET_SERVER; none = Cloud).")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              metavar="PATH", help="The SQLite file (default: pull-requests.sqlite in the "
              "user data directory).")
@click.option("--full", is_flag=True,
              help="Read everything again, and remove pull requests that no longer exist.")
@click.option("--close-times", is_flag=True,
              help="Keep close times (closed_on) from now on. Cloud keeps them in activity "
                   "feeds: about one more request per five pull requests, and a copy that "
                   "lacks them is read whole once. Data Center copies always have them.")
@click.option("--review-events", is_flag=True,
              help="Keep review events from now on: comments, approvals, change requests and "
                   "state changes, with who and when (close times too). Cloud reads them "
                   "from the activity feed (about one more request per five pull requests), "
                   "Data Center from each pull request's activities (one request each); a "
                   "copy that lacks them is read whole once.")
@click.option("--status", is_flag=True,
              help="Show what is synced, when, and the requests the last run used.")
@click.option("--repos", metavar="GLOB",
              help="With a workspace or project: only repositories whose slug or name matches.")
@network_options
@allowance_options
@credential_options
@global_options
def sync_command(repo: str | None, server: str | None, db_path: Path | None, full: bool,
                 close_times: bool, review_events: bool, status: bool, repos: str | None,
                 concurrency: int,
                 max_wait: float,
                 ca_bundle: str | None,
                 email: str | None, username: str | None, with_token: bool,
                 allowance_choice: AllowanceChoice) -> int:
    """Copy pull requests into a local SQLite file, then keep the copy up to date.

    \b
    The first run reads every pull request of REPO (or of every repository of a
    WORKSPACE or PROJECT; with none, the current git clone's Bitbucket remote); later
    runs read only what changed since, usually in one request per repository.
    `bbpr list REPO --cached` then answers from the copy. Close times (closed_on)
    cost requests on Cloud: they are kept once --close-times asks for them; review
    events (for metrics) once --review-events does.
    """
    from ..copy.file import default_path

    path = db_path or default_path()
    target = parse_target(repo, server=server or None) if repo else None
    if target is not None and target.states:
        raise InputError(f"The URL lists state={','.join(target.states)}, but a sync keeps "
                         "every state; paste the URL without it, then filter with bbpr list "
                         f"{target.as_typed} --cached --state ...")
    if status:
        return show_status(path, target, sys.stdout)
    if target is None:
        target = target_for(None, None, server)
    import asyncio

    from ..credentials.store import GivenSecret

    given = GivenSecret(read_secret(), email=email, username=username) if with_token else None
    environ = overlay(os.environ, email=email, username=username)
    return asyncio.run(run_sync(target, path, full=full, concurrency=concurrency,
                                max_wait=max_wait, ca_bundle=ca_bundle, given=given,
                                environ=environ, repos=repos, close_times=close_times,
                                review_events=review_events, choice=allowance_choice))


async def run_sync(target: Target, path: Path, *, full: bool, concurrency: int,
                   max_wait: float = 600.0, ca_bundle: str | None = None,
                   given: GivenSecret | None = None,
                   environ: Mapping[str, str] | None = None, repos: str | None = None,
                   close_times: bool = False, review_events: bool = False,
                   choice: AllowanceChoice | None = None) -> int:
    """Sync and say what it did; credentials are found as `bbpr list` finds them."""
    import asyncio

    from ..allowance.decision import review_events_cost, sync_job
    from ..copy.sync import sync

    environ = os.environ if environ is None else environ
    connection = connection_for(target, environ, given, concurrency=concurrency,
                                max_wait=max_wait, ca_bundle=ca_bundle)
    job = sync_job(target, path, flavour=connection.flavour, full=full,
                   close_times=close_times, review_events=review_events, repos=repos)
    progress = Progress.for_terminal(target.full_name, quiet=settings().quiet, debug=False)
    allowance = await decided(connection, environ, choice or AllowanceChoice(), job,
                              sys.stdout, progress)
    if allowance.plan is not None:
        return 0
    if review_events:
        note(review_events_cost(target, connection.host, path, full=full,
                                close_times=close_times))
    connection.options.notice = progress.say
    try:
        async with connection:
            progress.stats = connection.stats
            with progress:
                result = await sync(connection.backend, connection.host,
                                    connection.target(target), path, full=full,
                                    on_page=progress.page, repos=repos,
                                    close_times=close_times, review_events=review_events,
                                    on_note=progress.say)
    except (asyncio.CancelledError, KeyboardInterrupt):  # Ctrl-C: "Interrupted." follows
        click.echo("What was read is kept, and the same `bbpr sync` run again resumes where "
                   "this one stopped.", err=True)
        raise
    except BbprError as error:
        if progress.listed:
            error.add(f"The {progress.listed} pull requests read before this are kept; run the "
                      "same `bbpr sync` again to complete the copy.")
        raise
    stored = sum(repository.stored for repository in result.repositories)
    fetched = sum(repository.fetched for repository in result.repositories)
    removed = sum(repository.removed for repository in result.repositories)
    what = (target.full_name if target.repo_slug else
            f"{len(result.repositories)} repositories of {target.full_name}")
    note(f"Synced {what}: {stored} pull requests stored, {fetched} read"
         + (f", {removed} removed" if removed else "")
         + f", in {result.requests} {plural(result.requests, 'request')} "
           f"({result.seconds:.1f} s). Copy: {path}")
    undated = sum(repository.undated for repository in result.repositories)
    if undated:
        note(f"{undated} activity {'entry' if undated == 1 else 'entries'} had no date, so "
             f"{'it is' if undated == 1 else 'they are'} not among the review events kept; "
             "every other event is.")
    return 0


def show_status(path: Path, target: Target | None, stream: IO[str]) -> int:
    """What the file holds, per repository: a table on a terminal, TSV when piped."""
    from ..copy import status as copy_status

    if not path.exists():
        note(f"Nothing is synced yet: there is no {path}. Run `bbpr sync REPO` first.")
        return 0
    rows = [row for row in copy_status.status(path) if target is None or _concerns(row, target)]
    if target is not None and not rows:
        from ..copy.file import NotCachedError
        from ..copy.reader import sync_command

        raise NotCachedError(f"Nothing of {target.full_name} is synced in {path}; run "
                             f"`{sync_command(target, path)}` first.")
    if stream.isatty():
        from . import status_table

        status_table.show(rows, stream)
    else:  # a header row, so that a script (or a person reading a file) knows the columns
        lines = [STATUS_FIELDS, *(_cells(row) for row in rows)]
        stream.write("".join("\t".join(row) + "\n" for row in lines))
    for row in rows:
        if _dated_ahead(row):
            note(f"{row.repository} holds pull requests updated at {_iso(row.newest_update)}, "
                 f"after its last complete pass ({_iso(row.completed_at)}): the server's clock "
                 "and its data disagree. Syncs read changes from the server's own time, so "
                 "none are missed.")
    return 0


CLOCK_TOLERANCE = timedelta(minutes=5)
"""How far a record may be dated after the pass that read it before `--status` says so:
more than the clocks of one machine and a server drift apart."""


def _dated_ahead(row: Status) -> bool:
    return (row.newest_update is not None and row.completed_at is not None
            and row.newest_update > row.completed_at + CLOCK_TOLERANCE)


def _concerns(row: Status, target: Target) -> bool:
    owner, _, slug = row.repository.partition("/")
    if target.flavour == "datacenter":  # Data Center takes names in any case: so do we
        return owner.lower() == target.owner.lower() and (
            target.repo_slug is None or target.repo_slug.lower() == slug.lower())
    return owner == target.owner and target.repo_slug in (None, slug)


def _cells(row: Status) -> list[str]:
    return [one_line(row.host), one_line(row.repository), str(row.pull_requests),
            _iso(row.completed_at) if row.completed_at else "",
            "" if row.last_run_requests is None else str(row.last_run_requests),
            "true" if row.last_pass_completed else "false",
            "true" if row.close_times else "false",
            "true" if row.review_events else "false"]


def age_note(synced_at: datetime, now: datetime | None = None) -> str:
    """The line `bbpr list --cached` prints on a terminal: how old the copy is."""
    seconds = max(0, int(((now or datetime.now(UTC)) - synced_at).total_seconds()))
    if seconds < 120:
        age = f"{seconds} s"
    elif seconds < 7200:
        age = f"{seconds // 60} min"
    elif seconds < 172800:
        age = f"{seconds // 3600} h"
    else:
        age = f"{seconds // 86400} days"
    return (f"From the local copy, synced {age} ago ({synced_at:%Y-%m-%d %H:%M} UTC); "
            "`bbpr sync` brings it up to date.")


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
