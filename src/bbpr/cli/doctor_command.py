"""`bbpr doctor`: the checks of `bbpr.doctor`, one line each, or as JSON."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

import click

from .common import credential_options, debug_trace, global_options, note, overlay, read_secret
from .sanitize import lines, one_line

if TYPE_CHECKING:
    from ..doctor import Report

MARKS = {"pass": "✓", "fail": "✗", "warn": "!", "skip": "-"}
PLAIN_MARKS = {"pass": "ok", "fail": "FAIL", "warn": "warn", "skip": "skip"}
COLOURS = {"pass": "green", "fail": "red", "warn": "yellow", "skip": None}


@click.command(short_help="Check credentials and access step by step.")
@click.argument("repo", metavar="[REPO|WORKSPACE|PROJECT]", required=False)
@click.option("--server", metavar="URL", envvar="BITBUCKET_SERVER",
              help="Bitbucket Data Center base URL (default: $BITBUCKET_SERVER; none = Cloud).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Lines for people, or the same checks as JSON.")
@click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False), metavar="PATH",
              help="PEM file of the certificate authorities to trust.")
@credential_options
@global_options
def doctor(repo: str | None, server: str | None, output_format: str, ca_bundle: str | None,
           email: str | None, username: str | None, with_token: bool) -> int:
    """Check credentials and access step by step, and say what is wrong.

    Stops at the first failing check with what to do, and ends with the `bbpr list`
    command that works. Exit code 0 only when every check passes.
    """
    import asyncio

    from ..credentials.store import GivenSecret
    from ..doctor import diagnose
    from ..http import HttpOptions

    given = GivenSecret(read_secret(), email=email, username=username) if with_token else None
    environ = overlay(os.environ, email=email, username=username)
    options = HttpOptions(ca_bundle=ca_bundle, trace=debug_trace(), max_attempts=3,
                          notice=note)
    report = asyncio.run(diagnose(repo, server=server or None, environ=environ, given=given,
                                  options=options))
    if output_format == "json":
        click.echo(json.dumps({
            "ok": report.exit_code == 0,
            "exit_code": report.exit_code,
            "checks": [{"name": check.name, "status": check.status, "summary": check.summary}
                       for check in report.checks],
            "command": report.command,
        }, indent=2))
        return report.exit_code
    print_report(report)
    return report.exit_code


def print_report(report: Report) -> None:
    """One line a check, marked; then the command that works, when all passed."""
    marks = MARKS if _can_print("✓✗") else PLAIN_MARKS
    for check in report.checks:
        mark = click.style(marks[check.status], fg=COLOURS[check.status], bold=True)
        click.echo(f"{mark} {check.name.capitalize()}: {lines(check.summary)}")
    if report.command:
        click.echo(f"\nEverything works. To list every pull request:\n  "
                   f"{one_line(report.command)}")


def _can_print(text: str) -> bool:
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True
