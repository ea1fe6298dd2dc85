"""The library's face of review metrics: the same numbers as `bbpr report`, as records.

    import bbpr
    report = bbpr.read_report("acme", since="2026-01-01", working_days=True)
    print(report.summary.pickup_time.p50, report.summary.pickup_time.count)
    for metrics in bbpr.read_metrics("acme/widgets"):
        print(metrics.id, metrics.pickup_time)

Both read the local copy `bbpr sync --review-events` keeps, read-only, and send no request;
`metrics_for` computes the same fields for records and events the caller holds.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..asked.filters import excluded_users
from ..asked.targets import Target, parse_target
from ..models import PullRequest, ReviewEvent
from . import metrics, period, source
from .metrics import MetricOptions
from .numbers import ReportOptions
from .records import PullRequestMetrics, Report
from .working_time import Zone, local_zone, zone_named


def read_report(target: str, *, db: str | Path | None = None, server: str | None = None,
                since: str | datetime | None = None, until: str | datetime | None = None,
                stale: str = "7d", working_days: bool = False, time_zone: str | None = None,
                exclude_users: str | Iterable[str] = ()) -> Report:
    """The report of `target` (`workspace/repo`, a workspace, or a Data Center project with
    `server`) from the copy at `db` (default: the one `bbpr sync` uses). Dates and ages as
    on the command line; `time_zone` an IANA name (default: this machine's)."""
    zone = _zone(time_zone)
    start, end = period.period(since, until, zone, now=datetime.now(UTC))
    options = ReportOptions(since=start, until=end, stale_after=period.stale(stale),
                            metrics=_options(exclude_users, working_days, zone))
    path, host, parsed = _where(target, db, server)
    return source.read_report(path, host, parsed, options)


def read_metrics(target: str, *, db: str | Path | None = None, server: str | None = None,
                 working_days: bool = False, time_zone: str | None = None,
                 exclude_users: str | Iterable[str] = ()) -> list[PullRequestMetrics]:
    """Every pull request's metrics of `target` from the copy, as `read_report` reads it."""
    path, host, parsed = _where(target, db, server)
    return source.read_metrics(path, host, parsed,
                               _options(exclude_users, working_days, _zone(time_zone)))


def metrics_for(pull_requests: Sequence[PullRequest],
                events: Mapping[str, Sequence[ReviewEvent]], *, working_days: bool = False,
                time_zone: str | None = None,
                exclude_users: str | Iterable[str] = ()) -> list[PullRequestMetrics]:
    """The metrics of `pull_requests` (in their order) from their `events`, by repository
    full name: every event of those pull requests, or the metrics are wrong."""
    return metrics.metrics_for(pull_requests, events,
                               _options(exclude_users, working_days, _zone(time_zone)))


def _zone(name: str | None) -> Zone:
    return zone_named(name) if name else local_zone()


def _options(exclude_users: str | Iterable[str], working_days: bool, zone: Zone
             ) -> MetricOptions:
    return MetricOptions(exclude_users=excluded_users(exclude_users),
                         working_days=working_days, zone=zone)


def _where(target: str, db: str | Path | None,
           server: str | None) -> tuple[Path, str, Target]:
    from ..connect import host_for
    from ..copy.file import default_path

    parsed = parse_target(target, server=server)
    path = Path(db) if db is not None else default_path()
    return path, host_for(parsed, os.environ.get("BITBUCKET_API_URL")), parsed
