"""Where a report's numbers come from: the local copy, opened read-only, the target's
repositories found as `bbpr list --cached` finds them, and their review events checked.

A copy that lacks the target, or its review events, is no report: the error names the
`bbpr sync ... --review-events` to run (with `--db` where one was given) and what it costs,
as the allowance room says it (`allowance.decision`: the cost model `--plan` uses, on the
copy's counts; no request is sent to say it, and the room is loaded only to say it).
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
from contextlib import ExitStack, closing
from datetime import datetime
from pathlib import Path

from ..asked.targets import Target
from ..copy import reader
from ..copy.file import NotCachedError, open_read_only, open_snapshots
from ..errors import InputError
from . import numbers
from .metrics import MetricOptions, exclusion, metrics_sql, record_of, register
from .numbers import ReportOptions
from .records import PullRequestMetrics, Report


def read_report(path: Path, host: str, target: Target, options: ReportOptions, *,
                threads: int | None = None) -> Report:
    """The report of `target` (filed under `host` in the copy at `path`). `threads`: 2 to
    do part of the work in a second thread (`numbers.build`), 1 not to; by default 2 where
    this process may use more than one processor. The report is the same."""
    command = sync_command(target, path)
    try:
        connections = open_snapshots(path, min(threads or processors(), 2))
    except NotCachedError as error:
        cost = _sync_cost(target, host, path)
        raise NotCachedError(f"{error.message} Run `{command}` first ({cost}), then the "
                             "report again.") from None
    with ExitStack() as stack:
        for connection in connections:  # each in a read transaction: one snapshot
            stack.enter_context(closing(connection))
            connection.execute("PRAGMA temp_store = FILE")  # a temporary file, cached 2 MB
        try:
            chosen = reader.repositories(connections[0], host, target, None, command)
        except NotCachedError as error:
            error.add(_sync_cost(target, host, path, sentence=True))
            raise
        _check_events(connections[0], chosen, target, host, path)
        synced = [completed for _, _, completed in chosen if completed is not None]
        as_of = min(synced) if synced else options.until
        return numbers.build(connections, [(number, name) for number, name, _ in chosen],
                             target.full_name, options, as_of)


def processors() -> int:
    """How many processors this process may use."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover (macOS and Windows have no affinity)
        return os.cpu_count() or 1


def read_metrics(path: Path, host: str, target: Target,
                 options: MetricOptions | None = None) -> list[PullRequestMetrics]:
    """Every pull request's metrics of `target` from the copy (newest ID first within each
    repository), by the same definitions as the report's."""
    options = options or MetricOptions()
    command = sync_command(target, path)
    try:
        connection = open_read_only(path)
    except NotCachedError as error:
        raise NotCachedError(f"{error.message} Run `{command}` first.") from None
    with closing(connection):
        connection.execute("BEGIN")
        chosen = reader.repositories(connection, host, target, None, command)
        _check_events(connection, chosen, target, host, path)
        register(connection, options.zone)
        excluded = exclusion(connection, options.exclude_users)
        ids = ", ".join(str(number) for number, _, _ in chosen)
        names = {number: name for number, name, _ in chosen}
        rows = connection.execute(
            metrics_sql(f"p.repository_id IN ({ids})", excluded, repositories=ids,
                        working_days=options.working_days)
            + " ORDER BY repository_id, id DESC", excluded.parameters())
        found = [record_of(names[row[0]], row) for row in rows]
    order = {name: index for index, (_, name, _) in enumerate(chosen)}
    return sorted(found, key=lambda metrics: order[metrics.repository])


def sync_command(target: Target, path: Path | None) -> str:
    """The sync that makes the copy a report of `target` reads."""
    return f"{reader.sync_command(target, path)} --review-events"


def _sync_cost(target: Target, host: str, path: Path, *, sentence: bool = False) -> str:
    """What the sync a report lacks costs, as the allowance room says it ("about 52
    requests"), or how to learn it; a whole sentence with `sentence`. The room is imported
    only then: it loads the HTTP stack, a quarter of a second of every report's start-up."""
    from ..allowance.decision import sync_cost_said

    said = sync_cost_said(target, host, path, review_events=True)
    if said is None:
        unknown = "add --plan to it to see its cost in requests"
        return f"{unknown[0].upper()}{unknown[1:]}." if sentence else unknown
    return f"It costs {said}." if sentence else said


def _check_events(connection: sqlite3.Connection,
                  chosen: list[tuple[int, str, datetime | None]], target: Target, host: str,
                  path: Path) -> None:
    """Refuse a report from repositories whose copy keeps no review events: its metrics
    would all be empty, and read as "never reviewed"."""
    kept = {number for (number,) in connection.execute(
        "SELECT id FROM repositories WHERE review_events = 1")}
    lacking = [name for number, name, _ in chosen if number not in kept]
    if not lacking:
        return
    which = lacking[0] if len(lacking) == 1 else (
        f"{len(lacking)} of the {len(chosen)} repositories ({', '.join(lacking[:3])}"
        + (", ...)" if len(lacking) > 3 else ")"))
    if len(lacking) == 1:
        owner, _, slug = lacking[0].partition("/")
        target = dataclasses.replace(target, owner=owner, repo_slug=slug, project=None)
    cost = _sync_cost(target, host, path)
    raise InputError(f"The local copy of {which} keeps no review events, which the report is "
                     f"made of: run `{sync_command(target, path)}` once ({cost}), then the "
                     "report again.")
