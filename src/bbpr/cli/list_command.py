"""`bbpr list`: pull requests of a repository, a Cloud workspace or a Data Center project."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, cast

import click

from ..allowance.choice import AllowanceChoice
from ..asked.filters import FILTERS, make_query, parse_fields, with_url_states
from ..errors import AllowanceSpent, BbprError, GaveUpError, InputError, PartialError
from ..models import DEFAULT_FIELDS, FIELDS, Query
from .allowance_options import allowance_options, decided
from .common import (
    F,
    HintedChoice,
    complete_list,
    connection_for,
    credential_options,
    gh_json,
    global_options,
    json_option,
    network_options,
    note,
    overlay,
    read_secret,
    repo_option,
    settings,
    target_for,
)
from .list_notes import QUERY_STATE_NOTE, doctor_hint, query_names_other_states
from .output import FORMATS, TABLE_FIELDS, make_writer

if TYPE_CHECKING:
    from pathlib import Path

    from ..asked.targets import Target
    from ..credentials.store import GivenSecret
    from ..metric_fields import ExcludedNames
    from .progress import Progress


@dataclass(frozen=True)
class ListOptions:
    """Everything `bbpr list` was asked, parsed and checked."""

    target: Target
    filters: Mapping[str, object]
    """The filters as given, by library keyword (`asked.filters.FILTERS`); None where not
    given."""
    limit: int | None
    format: str
    fields: tuple[str, ...]
    repos: str | None
    concurrency: int
    ca_bundle: str | None = None
    max_wait: float = 600.0
    cached: bool = False
    """Answer from the local copy (`bbpr sync`), without the network."""
    db: Path | None = None
    given: GivenSecret | None = None
    """A secret read from stdin or a prompt for this run (--with-token)."""
    allowance: AllowanceChoice = field(default_factory=AllowanceChoice)
    """`--plan`, `--wait`, `--allowance`, `--yes`."""
    exclude_users: tuple[str, ...] = ()
    """Accounts the review metric fields leave out (`--exclude-user`)."""


def filter_options(function: F) -> F:
    """`bbpr list`'s filter options, one for each filter `asked.filters.FILTERS` declares, in
    its order; each reaches the command by its library keyword."""
    for declared in reversed(FILTERS):
        function = click.option(
            *declared.flags, declared.keyword, multiple=declared.repeatable,
            metavar=declared.metavar, help=declared.help, default=None,
            shell_complete=complete_list(declared.choices) if declared.choices else None,
        )(function)
    return function


@click.command("list", short_help="Pull requests of a repository, workspace or project.")
@click.argument("repo", metavar="[REPO|WORKSPACE|PROJECT]", required=False)
@repo_option
@click.option("--server", metavar="URL", envvar="BITBUCKET_SERVER",
              help="Bitbucket Data Center base URL (default: $BITBUCKET_SERVER; none = Cloud).")
@filter_options
@click.option("-L", "--limit", type=click.IntRange(min=1), metavar="N",
              help="Stop after N pull requests.")
@click.option("--format", "output_format", type=HintedChoice(FORMATS), default=None,
              help="Output format. Default: table on a terminal, tsv when piped.")
@click.option("--fields", metavar="LIST", shell_complete=complete_list(FIELDS),
              help=f"Comma-separated record fields. Available: {', '.join(FIELDS)}.")
@json_option(FIELDS)
@click.option("--exclude-user", "exclude_users", multiple=True, metavar="NAME",
              help="Leave this account (login, display name or user ID; a bot) out of the "
                   "review metric fields (pickup_time, approvals, ...). Repeatable.")
@click.option("--repos", metavar="GLOB",
              help="With a workspace or project: only repositories whose slug or name matches.")
@click.option("--count", is_flag=True,
              help="Print how many pull requests each state holds (one repository), and what "
                   "the numbers rest on.")
@click.option("-w", "--web", is_flag=True,
              help="Open the pull request list in the browser instead.")
@network_options
@allowance_options
@click.option("--cached", is_flag=True,
              help="Answer from the local copy that `bbpr sync` keeps, without the network.")
@click.option("--db", type=click.Path(dir_okay=False), metavar="PATH",
              help="With --cached: the SQLite file (default: the one `bbpr sync` uses).")
@credential_options
@global_options
def list_command(repo: str | None, repo_flag: str | None, server: str | None,
                 limit: int | None, output_format: str | None,
                 fields: str | None, json_fields: str | None,
                 exclude_users: tuple[str, ...], repos: str | None, count: bool,
                 web: bool,
                 concurrency: int,
                 max_wait: float,
                 ca_bundle: str | None, cached: bool, db: str | None, email: str | None,
                 username: str | None, with_token: bool,
                 allowance_choice: AllowanceChoice,
                 **typed: str | tuple[str, ...] | bool | None) -> int:
    """List pull requests of a repository, workspace or project.

    \b
    REPO is workspace/repo-slug (Cloud), PROJECT/repo-slug with --server (Data Center),
    or any URL pasted from the browser. A workspace (Cloud) or project key
    (Data Center) alone lists every repository in it. With no REPO, the current
    git clone's Bitbucket remote (origin first) says which repository.
    """
    # The filters, by library keyword (`filter_options`). A repeatable one not given is `()`
    # here, None in the library (which takes an empty list of states for a mistake).
    filters = {keyword: None if value == () else value for keyword, value in typed.items()}
    if db is not None and not cached:
        raise click.UsageError("--db names the local copy that --cached reads; add --cached, "
                               "or drop --db to list from Bitbucket.")
    if json_fields is not None:
        output_format, fields = _as_gh_json(json_fields, output_format, fields)
    target = target_for(repo, repo_flag, server)
    if target.pull_request is not None:
        raise InputError(
            f"That is the URL of pull request {target.pull_request} of {target.full_name}: "
            f"`bbpr view URL` shows it. To list the repository: bbpr list {target.as_typed}"
        )
    states = cast("tuple[str, ...] | None", filters["state"])  # `--state` is repeatable
    filters["state"] = cast("tuple[str, ...] | None", with_url_states(states, target.states))
    if web:
        from ..asked.filters import parse_states
        from .web import list_page, not_shown, open_page

        chosen = parse_states(cast("tuple[str, ...] | None", filters["state"]))
        given = [declared.option for declared in FILTERS if declared.keyword != "state"
                 and declared.given(typed[declared.keyword])] + (["--repos"] if repos else [])
        unseen = not_shown(target, chosen, given)
        if unseen:
            note(unseen)
        return open_page(list_page(target, chosen), sys.stdout)
    chosen_format = output_format or ("table" if sys.stdout.isatty() else "tsv")
    if count:
        others = {"--limit": limit, "--fields": fields, "--exclude-user": exclude_users,
                  "--repos": repos, "--web": web, "--cached": cached}
        refused = [declared.option for declared in FILTERS
                   if declared.given(typed[declared.keyword])]
        refused += [name for name, value in others.items() if value]
        if target.states:
            refused.append(f"state={','.join(target.states)} in the URL")
        if refused:
            raise InputError(f"--count counts every state of one repository; it takes no "
                             f"{', '.join(refused)}.")
        import asyncio

        return asyncio.run(run_count(target, chosen_format, sys.stdout,
                                     overlay(os.environ, email=email, username=username),
                                     _given(with_token, email, username), concurrency,
                                     max_wait, ca_bundle))
    if filters["state"] is None and query_names_other_states(filters["query"]):
        note(QUERY_STATE_NOTE)
    options = ListOptions(
        target=target,
        filters=filters,
        limit=limit,
        format=chosen_format,
        fields=parse_fields(fields, TABLE_FIELDS if chosen_format == "table" else DEFAULT_FIELDS),
        repos=repos,
        concurrency=concurrency,
        ca_bundle=ca_bundle,
        max_wait=max_wait,
        cached=cached,
        db=_path(db),
        given=_given(with_token, email, username),
        allowance=allowance_choice,
        exclude_users=exclude_users,
    )
    if cached:
        return run_cached(options, sys.stdout)
    _query(options)  # a mistake in a filter is said before the event loop is loaded
    import asyncio  # here, not above: `--help` and a usage error need no event loop

    environ = overlay(os.environ, email=email, username=username)
    return asyncio.run(run_list(options, sys.stdout, environ))


def _path(db: str | None) -> Path | None:
    """`--db`'s file; pathlib is loaded only when one is named."""
    if db is None:
        return None
    from pathlib import Path

    return Path(db)


def _given(with_token: bool, email: str | None, username: str | None) -> GivenSecret | None:
    """The secret `--with-token` reads for this run, with the user names given as flags."""
    if not with_token:
        return None
    from ..credentials.store import GivenSecret

    return GivenSecret(read_secret(), email=email, username=username)


async def run_list(options: ListOptions, stream: IO[str],
                   environ: Mapping[str, str] | None = None) -> int:
    """List and write; on failure after some output, say that the output is incomplete."""
    import asyncio

    from ..allowance.decision import list_job
    from ..copy.file import default_path
    from ..listing import pull_request_pages
    from .progress import Progress

    query = _query(options)

    environ = os.environ if environ is None else environ
    connection = connection_for(options.target, environ, options.given,
                                concurrency=options.concurrency, max_wait=options.max_wait,
                                ca_bundle=options.ca_bundle)
    progress = Progress.for_terminal(options.target.full_name, quiet=settings().quiet,
                                     debug=settings().debug)
    job = list_job(options.target, query, default_path(), flavour=connection.flavour,
                   limit=options.limit, concurrency=options.concurrency, repos=options.repos)
    allowance = await decided(connection, environ, options.allowance, job, stream, progress)
    if allowance.plan is not None:
        return 0
    writer = make_writer(options.format, _fields(options), stream,
                         several_repositories=options.target.repo_slug is None)
    connection.options.notice = progress.say
    excluded = _excluded_names(query)
    try:
        async with connection, aclosing(pull_request_pages(
                connection.backend, options.target, query, limit=options.limit,
                repos=options.repos, excluded=excluded)) as pages:
            progress.stats = connection.stats
            if options.target.repo_slug is not None:
                reported = connection.backend.reported_matches
                progress.expected = lambda: sum(reported.values()) if reported else None
            with progress:
                async for page in pages:
                    with progress.paused():
                        writer.write(page)
                    progress.page(page)
    except (asyncio.CancelledError, KeyboardInterrupt):  # Ctrl-C: "Interrupted." follows
        if _written(options, progress):
            click.echo(f"{_written(options, progress)} pull requests were written before the "
                       "interruption; the output is incomplete.", err=True)
        raise
    except BbprError as error:
        if isinstance(error, AllowanceSpent) and allowance.stopped is not None:
            error.add(allowance.stopped)
        doctor = doctor_hint(error, options.target)
        if doctor:
            error.add(doctor)
        if _written(options, progress):
            error.add(f"{_written(options, progress)} pull requests were written before this; "
                      "the output is incomplete.")
        elif isinstance(error, PartialError) or (
                isinstance(error, GaveUpError) and options.format in ("csv", "json")):
            # Where nothing at all was written (a server that never answered), there is no
            # output to call incomplete: the exit code says enough.
            error.add("No pull requests were written: the output is incomplete.")
        raise
    progress.end()
    writer.close()
    progress.finish()
    if progress.summary and options.limit is not None and progress.listed >= options.limit:
        _say_cut_by_limit(progress.listed, progress.expected())
    _say_unmatched(excluded, "among the pull requests listed, their authors and their review "
                   "events")
    return 0


def _excluded_names(query: Query) -> ExcludedNames | None:
    if not query.exclude_users:
        return None
    from ..metric_fields import ExcludedNames

    return ExcludedNames(query.exclude_users)


def _say_unmatched(excluded: ExcludedNames | None, where: str) -> None:
    """A `--exclude-user` name that matched no one: most likely misspelt, and the metrics
    then leave no one out for it. Said, not refused: the list is right for what was typed."""
    if excluded is not None and excluded.unmatched:
        names = ", ".join(repr(name) for name in excluded.unmatched)
        note(f"--exclude-user {names} matched no one {where}, so the metrics leave no one out "
             "for it: check the spelling (a login, display name or user ID, as --fields "
             "author,author_login,author_id shows them).")


async def run_count(target: Target, output_format: str, stream: IO[str],
                    environ: Mapping[str, str], given: GivenSecret | None, concurrency: int,
                    max_wait: float, ca_bundle: str | None) -> int:
    """`--count`: the per-state counts of one repository (see `count_output`)."""
    from .count_output import check_count_format, write_counts

    check_count_format(output_format)
    from ..listing import count

    connection = connection_for(target, environ, given, concurrency=concurrency,
                                max_wait=max_wait, ca_bundle=ca_bundle)
    async with connection:
        counts = await count(connection.backend, connection.target(target))
    write_counts(counts, output_format, stream)
    return 0


def _say_cut_by_limit(shown: int, matching: int | None) -> None:
    """What --limit left out, as gh says it, for the person at the terminal."""
    if matching is None:
        note(f"Showing the first {shown} pull requests: --limit stopped the list; more may "
             "match.")
    elif matching > shown:
        note(f"Showing {shown} of {matching} pull requests: --limit stopped the list.")


def run_cached(options: ListOptions, stream: IO[str],
               environ: Mapping[str, str] | None = None) -> int:
    """List from the local copy: the same filters, order, fields and formats, no network."""
    from ..connect import host_for
    from ..copy import reader
    from ..copy.file import default_path
    from ..metric_fields import from_copy
    from .sync_command import age_note

    environ = os.environ if environ is None else environ
    host = host_for(options.target, environ.get("BITBUCKET_API_URL"))
    query = _query(options)
    excluded = _excluded_names(query)
    listing = reader.read(options.db or default_path(), host, options.target, query,
                          limit=options.limit, repos=options.repos,
                          fill=from_copy(query, excluded))
    if sys.stderr.isatty():
        note(age_note(listing.synced_at))
    writer = make_writer(options.format, _fields(options), stream,
                         several_repositories=options.target.repo_slug is None)
    for page in listing.pages:
        writer.write(page)
    writer.close()
    _say_unmatched(excluded, "in the local copy")
    return 0


def _as_gh_json(json_fields: str, output_format: str | None,
                fields: str | None) -> tuple[str, str]:
    """`--json FIELDS`, as gh spells it: `--format json --fields FIELDS`."""
    if fields is not None:
        raise click.UsageError("--json FIELDS names the fields already; drop --fields.")
    return "json", gh_json(json_fields, output_format, FIELDS)


def _written(options: ListOptions, progress: Progress) -> int:
    """How many pull requests reached the output: none for a table, which is laid out only
    once every row is in."""
    return 0 if options.format == "table" else progress.listed


def _fields(options: ListOptions) -> tuple[str, ...]:
    return ("id",) if options.format == "ids" else options.fields


def _query(options: ListOptions) -> Query:
    return make_query(**options.filters, fields=_fields(options),
                      exclude_users=options.exclude_users or None)

