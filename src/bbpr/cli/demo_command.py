"""`bbpr demo`: the main job, start to finish, against an emulator started for the occasion.

It runs the same code as `bbpr list` and `bbpr doctor`, with the environment a real user
would set, so what the demo shows is what the tool does.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import click

from ..asked.targets import parse_target
from ..models import DEFAULT_FIELDS
from . import terminal
from .common import global_options, settings
from .list_command import ListOptions, run_list
from .output import TABLE_FIELDS

if TYPE_CHECKING:
    from ..emulator import Emulator

DEMO_PRS = 60
REVIEW_LINE = "id,pickup_time,time_to_merge,approved_by"
INDENT = "   "
SHOWN_IDS = 5


@click.command(short_help="The whole job against a built-in emulator.")
@global_options
def demo() -> int:
    """Run bbpr against a built-in Bitbucket emulator: no account or set-up needed."""
    import tempfile

    from ..emulator import Emulator

    # The requests the demo spends are the emulator's, not the user's: its ledger goes with it.
    with tempfile.TemporaryDirectory() as state, Emulator(prs=DEMO_PRS) as emulator:
        cloud = {
            "BITBUCKET_API_URL": emulator.cloud_api_url,
            "BITBUCKET_EMAIL": emulator.demo.email,
            "BITBUCKET_TOKEN": emulator.demo.api_token,
            "BBPR_STATE_DIR": state,
        }
        repo = f"{emulator.demo.workspace}/{emulator.demo.repo_slug}"
        _step(f"Started a Bitbucket emulator (Cloud at {emulator.cloud_api_url}, Data Center "
              f"at {emulator.datacenter_url}), and logged in with its demo API token.")

        _step(f"1. Every pull request ID of {repo}, in every state:\n"
              f"   $ bbpr list {repo} --state all --format ids")
        _ids(emulator, repo, None, cloud)

        _step(f"2. Its merged pull requests, as a table:\n"
              f"   $ bbpr list {repo} --state merged --format table")
        _listed(emulator, _options(repo, None, "table", states=("merged",)), cloud)

        _step(f"3. Review metrics: how long the five newest merged pull requests waited for a "
              f"first review, and to be merged, and who approved them:\n"
              f"   $ bbpr list {repo} --state merged --limit 5 --fields {REVIEW_LINE} "
              "--format table")
        before = len(emulator.requests)
        _print(_run(_options(repo, None, "table", states=("merged",), limit=5,
                             fields=tuple(REVIEW_LINE.split(","))), cloud))
        feed = sum(r.path.endswith("/activity") for r in emulator.requests[before:])
        click.echo(f"   Approvals come with the list pages at no cost; the times are made from "
                   f"Cloud's activity feed (comments, approvals, merges), which took "
                   f"{_requests(feed)} more. `bbpr report` makes the team's figures of them.")

        server = emulator.datacenter_url
        project_repo = f"{emulator.dc_demo.project}/{emulator.dc_demo.repo_slug}"
        datacenter = {"BITBUCKET_TOKEN": emulator.dc_demo.token, "BBPR_STATE_DIR": state}
        _step(f"4. The same on Bitbucket Data Center, with an HTTP access token:\n"
              f"   $ bbpr list {project_repo} --server {server} --state all --format ids")
        _ids(emulator, project_repo, server, datacenter)
        click.echo("   (Data Center lists in its NEWEST order, most recently updated first, so "
                   "the IDs are not in sequence.)")

        _step("5. A common mistake, diagnosed: the workspace's display name instead of its ID.\n"
              "   $ bbpr doctor jobSearchDemo/job-search")
        _print(_captured(lambda: _doctor("jobSearchDemo/job-search", cloud)))
    _step("Done. To use bbpr with your own Bitbucket, see the README: set BITBUCKET_EMAIL and "
          "BITBUCKET_TOKEN (or run bbpr auth login), then run bbpr list workspace/repo.")
    return 0


def _ids(emulator: Emulator, repo: str, server: str | None,
         environ: Mapping[str, str]) -> None:
    """The IDs as bbpr prints them, one a line: the first few, then how many more."""
    before = emulator.request_count
    listed = _run(_options(repo, server, "ids", states=("all",)), environ).splitlines()
    _print("".join(f"{number}\n" for number in listed[:SHOWN_IDS]))
    click.echo(f"   ... {len(listed) - SHOWN_IDS} more, one a line: {len(listed)} IDs in "
               f"{_requests(emulator.request_count - before)}.")


def _listed(emulator: Emulator, options: ListOptions, environ: Mapping[str, str]) -> None:
    before = emulator.request_count
    text = _run(options, environ)
    _print(text)
    rows = len(text.splitlines()) - 1  # the header
    click.echo(f"   {rows} pull requests in {_requests(emulator.request_count - before)}.")


def _requests(count: int) -> str:
    return f"{count} request{'' if count == 1 else 's'}"


def _options(repo: str, server: str | None, output_format: str, *, states: tuple[str, ...],
             limit: int | None = None, fields: tuple[str, ...] | None = None) -> ListOptions:
    default = TABLE_FIELDS if output_format == "table" else DEFAULT_FIELDS
    return ListOptions(
        target=parse_target(repo, server=server), filters={"state": states or None},
        limit=limit, format=output_format, fields=fields or default, repos=None, concurrency=8,
    )


def _run(options: ListOptions, environ: Mapping[str, str]) -> str:
    """What `bbpr list` writes on stdout, laid out for the demo's indented column; its own
    summary line is left out (the demo says one line of its own)."""
    import asyncio
    import os

    stream = io.StringIO()
    quiet, settings().quiet = settings().quiet, True
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(max(40, terminal.size(sys.stdout).columns - len(INDENT)))
    try:
        asyncio.run(run_list(options, stream, {**_no_credentials(), **environ}))
    finally:
        settings().quiet = quiet
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns
    return stream.getvalue()


def _captured(show: Callable[[], None]) -> str:
    """What `show` echoes, as text, to be indented."""
    with contextlib.redirect_stdout(io.StringIO()) as captured:
        show()
    return captured.getvalue()


def _doctor(repo: str, environ: Mapping[str, str]) -> None:
    import asyncio

    from ..doctor import diagnose
    from .doctor_command import print_report

    report = asyncio.run(diagnose(repo, server=None, environ={**_no_credentials(), **environ}))
    print_report(report)


def _no_credentials() -> dict[str, str]:
    """The demo's environment: the user's own variables must not leak into it."""
    import os

    return {name: value for name, value in os.environ.items()
            if not name.startswith(("BITBUCKET_", "BBPR_"))} | {
        "BBPR_CONFIG_DIR": os.devnull}


def _print(text: str) -> None:
    """A command's output, indented under the command line as in the other steps."""
    click.echo("".join(f"{INDENT}{line}" if line.strip() else line
                       for line in text.splitlines(keepends=True)), nl=False)


def _step(message: str) -> None:
    click.echo("")
    from .terminal import colour

    click.echo(click.style(message, bold=True) if colour(sys.stdout) else message)
