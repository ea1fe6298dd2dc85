"""`bbpr report`: review metrics from the local copy, for people, programs and a page.

The copy is opened read-only and no request is sent, unless `--sync` asks for the sync the
report needs first (run as `bbpr sync ... --review-events` would run, with the same
credentials and network options).
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from ..errors import InputError
from .common import (
    HintedChoice,
    global_options,
    network_options,
    note,
    repo_option,
    settings,
    target_for,
)

if TYPE_CHECKING:
    from ..report.records import Report
    from ..report.working_time import Zone

FORMATS = ("text", "json", "csv", "ndjson")
BY = ("week", "author", "reviewer", "repository")


@click.command("report", short_help="Review metrics from the local copy: terminal, files, "
                                    "an HTML page.")
@click.argument("repo", metavar="[REPO|WORKSPACE|PROJECT]", required=False)
@repo_option
@click.option("--server", metavar="URL", envvar="BITBUCKET_SERVER",
              help="Bitbucket Data Center base URL (default: $BITBUCKET_SERVER; none = Cloud).")
@click.option("--since", metavar="DATE",
              help="Start of the period: 2026-01-05, 2026-01-05T09:00, or an age (30d, 12w). "
                   "Default: 12 weeks before its end.")
@click.option("--until", metavar="DATE",
              help="End of the period (a date alone includes that day). Default: now.")
@click.option("--by", type=HintedChoice(BY), default="week", show_default=True,
              help="What the main table (and CSV, NDJSON) has a row for.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
              help="The SQLite file (default: the one `bbpr sync` uses).")
@click.option("--stale", metavar="AGE", default="7d", show_default=True,
              help="An open pull request with no event for this long is stuck.")
@click.option("--working-days", is_flag=True,
              help="Count durations on Monday to Friday only, in --tz.")
@click.option("--tz", "time_zone", metavar="ZONE",
              help="Time zone of weeks, days and dates (IANA name, e.g. Europe/Berlin). "
                   "Default: this machine's.")
@click.option("--exclude-user", "exclude_users", multiple=True, metavar="NAME",
              help="Leave this account (login, display name or user ID; a bot) out of every "
                   "metric. Repeatable.")
@click.option("--format", "output_format", type=HintedChoice(FORMATS), default=None,
              help="text (default), or the numbers exactly: json (everything), csv or ndjson "
                   "(the --by table).")
@click.option("--html", "html_file", metavar="FILE",
              type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Also write the report as one self-contained HTML page with charts "
                   "(- for standard output). Needs bbpr[report].")
@click.option("--sync", "sync_first", is_flag=True,
              help="Bring the copy up to date first (bbpr sync ... --review-events).")
@network_options
@global_options
def report_command(repo: str | None, repo_flag: str | None, server: str | None,
                   since: str | None, until: str | None, by: str, db: Path | None,
                   stale: str, working_days: bool, time_zone: str | None,
                   exclude_users: tuple[str, ...], output_format: str | None,
                   html_file: Path | None, sync_first: bool, concurrency: int,
                   max_wait: float, ca_bundle: str | None) -> int:
    """Review metrics of a repository, workspace or project, from the local copy.

    \b
    How long pull requests wait for a first review (pickup), how long review takes, how
    long from ready to merge; who reviews and what waits on them; what is stuck; weekly
    trends. Read from the copy `bbpr sync REPO --review-events` keeps: no request is
    sent, unless --sync asks for that sync first. docs/report.md defines every number.
    """
    from ..connect import host_for
    from ..copy.file import default_path
    from ..report import period as words
    from ..report.metrics import MetricOptions
    from ..report.numbers import ReportOptions
    from ..report.working_time import local_zone, zone_named

    zone = zone_named(time_zone) if time_zone else local_zone()
    start, end = words.period(since, until, zone, now=datetime.now(UTC))
    options = ReportOptions(since=start, until=end, stale_after=words.stale(stale),
                            metrics=MetricOptions(exclude_users=exclude_users,
                                                  working_days=working_days, zone=zone))
    target = target_for(repo, repo_flag, server)
    if target.pull_request is not None:
        raise InputError(f"That is the URL of pull request {target.pull_request} of "
                         f"{target.full_name}; the report covers a repository, workspace or "
                         f"project: bbpr report {target.as_typed}")
    path = db or default_path()
    if html_file is not None:
        from ..report.vega import renderer

        renderer()  # the extra is missing: say so before anything else is done
    if sync_first:
        _sync(target.full_name, target.server, db,
              ["--concurrency", str(concurrency), "--max-wait", str(max_wait),
               *(["--ca-bundle", ca_bundle] if ca_bundle else [])])
    from ..report.source import read_report

    report = read_report(path, host_for(target, os.environ.get("BITBUCKET_API_URL")), target,
                         options)
    if html_file is not None:
        _write_page(report, zone, by, html_file)
    if output_format is None and html_file is not None:
        return 0
    _write(report, by, zone, output_format or "text", sys.stdout)
    return 0


def _write(report: Report, by: str, zone: Zone, output_format: str, stream: IO[str]) -> None:
    if output_format == "text":
        from . import report_text

        report_text.write(report, by, zone, stream)
    else:
        from . import report_files

        report_files.write(report, by, output_format, stream)


def _write_page(report: Report, zone: Zone, by: str, file: Path) -> None:
    from ..report.page import page

    text = page(report, zone, by)
    if str(file) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        file.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"Could not write {file} ({error.strerror or error}); give --html "
                         "another file.") from None
    note(f"Wrote the report of {report.target} to {file}.")


def _sync(name: str, server: str | None, db: Path | None, network: list[str]) -> None:
    """`bbpr sync NAME --review-events`, run here as the command line runs it."""
    from . import cli

    arguments = ["sync", name, *(["--server", server] if server else []),
                 *(["--db", str(db)] if db else []), "--review-events", *network,
                 *(["--quiet"] if settings().quiet else []),
                 *(["--debug"] if settings().debug else [])]
    code = cli.main(arguments, prog_name="bbpr", standalone_mode=False)
    if isinstance(code, int) and code:
        raise click.exceptions.Exit(code)
