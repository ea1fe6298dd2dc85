"""`bbpr demo`: the main job, start to finish, against an emulator started for the occasion.

It runs the same code path as `bbpr list` (`run_list`), with the environment a real user
would set, so what the demo shows is what the tool does.
"""

from __future__ import annotations

import io
import sys
import textwrap

import click

from ..models import DEFAULT_FIELDS
from ..targets import parse_target
from .common import global_options
from .list_command import ListOptions, run_list
from .output import TABLE_FIELDS

DEMO_PRS = 60


@click.command()
@global_options
def demo() -> int:
    """Run bbpr against a built-in Bitbucket emulator: no account or set-up needed."""
    from ..emulator import Emulator

    with Emulator(prs=DEMO_PRS) as emulator:
        environ = {
            "BITBUCKET_API_URL": emulator.cloud_api_url,
            "BITBUCKET_EMAIL": emulator.demo.email,
            "BITBUCKET_TOKEN": emulator.demo.api_token,
        }
        repo = f"{emulator.demo.workspace}/{emulator.demo.repo_slug}"
        _step(f"Started a Bitbucket Cloud emulator at {emulator.cloud_api_url}, holding "
              f"{DEMO_PRS} pull requests in {repo}, and logged in with its demo API token.")

        _step(f"1. Every pull request ID of {repo}, in every state:\n"
              f"   $ bbpr list {repo} --state all --format ids")
        before = emulator.request_count
        ids = io.StringIO()
        _run(_options(repo, "ids", states=("all",)), ids, environ)
        listed = ids.getvalue().split()
        click.echo(textwrap.fill(" ".join(listed), width=78, initial_indent="   ",
                                 subsequent_indent="   "))
        _step(f"   {len(listed)} IDs in {emulator.request_count - before} requests "
              "(50 per request, the API's maximum, fetched side by side).")

        _step(f"2. Its merged pull requests, as a table:\n"
              f"   $ bbpr list {repo} --state merged --format table")
        table = io.StringIO()
        _run(_options(repo, "table", states=("merged",)), table, environ)
        click.echo(table.getvalue(), nl=False)
    _step("Done. To use bbpr with your own Bitbucket, see the README: "
          "set BITBUCKET_EMAIL and BITBUCKET_TOKEN, then run bbpr list workspace/repo.")
    return 0


def _options(repo: str, output_format: str, *, states: tuple[str, ...]) -> ListOptions:
    return ListOptions(
        target=parse_target(repo), states=states, author=None, source=None, destination=None,
        updated_since=None, query=None, limit=None, format=output_format,
        fields=TABLE_FIELDS if output_format == "table" else DEFAULT_FIELDS, repos=None,
        concurrency=8,
    )


def _run(options: ListOptions, stream: io.StringIO, environ: dict[str, str]) -> None:
    import asyncio

    asyncio.run(run_list(options, stream, environ))


def _step(message: str) -> None:
    click.echo("")
    click.echo(click.style(message, bold=True) if sys.stdout.isatty() else message)
