"""`bbpr view`: one pull request, everything the API gives; `--web` opens it instead."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

import click

from ..asked.targets import Target
from ..credentials.store import GivenSecret
from ..details import JSON_FIELDS, PullRequestDetails
from ..errors import InputError
from .common import (
    HintedChoice,
    connection_for,
    credential_options,
    gh_json,
    global_options,
    json_option,
    network_options,
    overlay,
    read_secret,
    repo_option,
    target_for,
)


@click.command("view", short_help="One pull request; --web opens it in the browser.")
@click.argument("arguments", nargs=-1, metavar="[REPO] ID | PR-URL")
@repo_option
@click.option("--server", metavar="URL", envvar="BITBUCKET_SERVER",
              help="Bitbucket Data Center base URL (default: $BITBUCKET_SERVER; none = Cloud).")
@click.option("--format", "output_format", type=HintedChoice(("text", "json")), default=None,
              help="text for people (the default), json for scripts.")
@json_option(JSON_FIELDS)
@click.option("-w", "--web", is_flag=True, help="Open the pull request in the browser.")
@network_options
@credential_options
@global_options
def view(arguments: tuple[str, ...], repo_flag: str | None, server: str | None,
         output_format: str | None, json_fields: str | None, web: bool, concurrency: int,
         max_wait: float, ca_bundle: str | None, email: str | None, username: str | None,
         with_token: bool) -> int:
    """Show one pull request: description, reviewers and approvals, branches, commits, times.

    \b
    bbpr view workspace/repo 42        (PROJECT/repo 42 with --server on Data Center)
    bbpr view 42                       in a git clone, or with -R REPO
    bbpr view https://bitbucket.org/workspace/repo/pull-requests/42
    """
    fields = JSON_FIELDS
    if json_fields is not None:
        from ..asked.filters import parse_fields

        fields = parse_fields(gh_json(json_fields, output_format, JSON_FIELDS), JSON_FIELDS,
                              known=JSON_FIELDS)
        output_format = "json"
    target, number = _what(arguments, repo_flag, server)
    given = GivenSecret(read_secret(), email=email, username=username) if with_token else None
    environ = overlay(os.environ, email=email, username=username)
    import asyncio

    details = asyncio.run(_fetch(target, number, environ, given, concurrency=concurrency,
                                 max_wait=max_wait, ca_bundle=ca_bundle))
    if web:
        from .web import open_page

        return open_page(details.pull_request.url or "", sys.stdout)
    if output_format == "json":
        from .details_text import as_json

        sys.stdout.write(as_json(details, fields) + "\n")
    else:
        from .details_text import as_text
        from .terminal import colour, size

        width = min(size(sys.stdout).columns, 100)
        sys.stdout.write(as_text(details, width=width, colour=colour(sys.stdout)))
    return 0


def _what(arguments: tuple[str, ...], repo_flag: str | None,
          server: str | None) -> tuple[Target, int]:
    """The repository and pull request ID that the arguments name."""
    if len(arguments) > 2:
        raise click.UsageError("Give REPO and ID, an ID alone (in a git clone, or with -R), "
                               "or a pull request URL.")
    if len(arguments) == 2:
        repo, number = arguments
    elif len(arguments) == 1 and not _is_number(arguments[0]):
        repo, number = arguments[0], None
    else:
        repo, number = None, arguments[0] if arguments else None
    target = target_for(repo, repo_flag, server)
    if target.repo_slug is None:
        raise InputError(f"{target.full_name} is a workspace or project; name its repository "
                         "too, as in workspace/repo-slug 42.")
    if number is None:
        if target.pull_request is None:
            raise click.UsageError(f"Which pull request of {target.full_name}? Give its ID.")
        return target, target.pull_request
    if not _is_number(number):
        raise InputError(f"{number!r} is not a pull request ID: IDs are whole numbers, such as "
                         "42.")
    return target, int(number.lstrip("#"))


def _is_number(text: str) -> bool:
    return text.lstrip("#").isdigit()


async def _fetch(target: Target, number: int, environ: Mapping[str, str],
                 given: GivenSecret | None, *, concurrency: int, max_wait: float,
                 ca_bundle: str | None) -> PullRequestDetails:
    from ..listing import pull_request

    connection = connection_for(target, environ, given, concurrency=concurrency,
                                max_wait=max_wait, ca_bundle=ca_bundle)
    async with connection:
        return await pull_request(connection.backend, connection.target(target), number)

