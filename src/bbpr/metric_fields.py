"""The review metrics as fields of a listing (`bbpr list --fields id,pickup_time`, the
library's `fields=`), made by the one set of definitions, `report.metrics`.

Live, the listed pull requests' review events are read as their pages arrive, through the
backend's `review_events` (the source `sync --review-events` reads too: on Cloud the
repository's activity feed, whose walk dates the closes as well, so `closed_on` costs
nothing more; on Data Center each pull request's activities, side by side), and each part
of a page is written once its events are in. From the local copy, the same SQL runs on the
copy's own tables, page by page.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence

import msgspec

from .backend import ReviewEventSource
from .copy.reader import PageFill
from .models import METRIC_FIELDS, PullRequest, Query, ReviewEvent
from .report.metrics import Exclusion, MetricOptions, exclusion, metrics_for, metrics_sql, record_of
from .report.records import PullRequestMetrics

MADE_FROM = frozenset({"state", "draft", "author", "author_login", "author_id", "created_on"})
"""What the definitions read of a record besides its events and `closed_on` (which the
events' source fills in)."""
PART = 50
"""Pull requests whose events are read before they are written: a Data Center page holds a
thousand, each a request of its own, and the first lines should not wait for them all."""


def asks_metrics(query: Query) -> bool:
    return bool(query.fields & METRIC_FIELDS)


def fetched(query: Query) -> Query:
    """What to ask the backend for: the fields asked for but the metrics and `closed_on`
    (the events' source fills it: one walk of Cloud's feed serves both), and those the
    metrics are made from."""
    if not asks_metrics(query):
        return query
    return msgspec.structs.replace(
        query, fields=(query.fields - METRIC_FIELDS - {"closed_on"}) | MADE_FROM)


class ExcludedNames:
    """The names `--exclude-user` gave, and which of them matched someone in what was
    measured: one that matched no one is most likely misspelt, and the listing says so
    after it (the metrics then leave no one out for it)."""

    def __init__(self, given: Sequence[str]) -> None:
        self.given = tuple(name.strip() for name in given if name.strip())
        self._matched: set[str] = set()

    def saw(self, excluded: Exclusion) -> None:
        self._matched |= set(self.given) - set(excluded.unmatched)

    @property
    def unmatched(self) -> tuple[str, ...]:
        return tuple(name for name in self.given if name not in self._matched)


async def with_metrics(events: ReviewEventSource, page: list[PullRequest], query: Query,
                       excluded: ExcludedNames | None = None
                       ) -> AsyncIterator[list[PullRequest]]:
    """The page, a part at a time, each with its metric fields once its events are read;
    `excluded` is told whom `--exclude-user` matched in each part."""
    if not page:
        yield page
        return
    options = MetricOptions(exclude_users=query.exclude_users)
    for start in range(0, len(page), PART):
        filled = await events.fill(page[start : start + PART])
        yield _with(filled.pull_requests, filled.events, options, excluded)


def _with(pull_requests: list[PullRequest], events: Sequence[ReviewEvent],
          options: MetricOptions, excluded: ExcludedNames | None) -> list[PullRequest]:
    found = metrics_for(pull_requests, {pull_requests[0].repository: events}, options,
                        seen=None if excluded is None else excluded.saw)
    return [_set(pull_request, metrics)
            for pull_request, metrics in zip(pull_requests, found, strict=True)]


def _set(pull_request: PullRequest, metrics: PullRequestMetrics) -> PullRequest:
    return msgspec.structs.replace(pull_request, **{name: getattr(metrics, name)
                                                    for name in METRIC_FIELDS})


def from_copy(query: Query, excluded: ExcludedNames | None = None) -> PageFill | None:
    """The metric fields of each page read from the copy, by the same SQL on its tables;
    None where none is asked for. `excluded` is told whom `--exclude-user` matched in the
    copy."""
    return _FromCopy(query, excluded) if asks_metrics(query) else None


class _FromCopy:
    """A repository's first page gets its metrics alone; from its second on, they are
    computed once for the whole repository into a temporary table (on disk, as the report
    keeps its own: memory stays flat) and looked up: the SQL's cost is mostly per query."""

    def __init__(self, query: Query, names: ExcludedNames | None) -> None:
        self.exclude_users = query.exclude_users
        self.names = names
        self.excluded: Exclusion | None = None
        self.pages: dict[int, int] = {}
        """Pages filled so far, by repository."""
        self.made = False

    def __call__(self, connection: sqlite3.Connection, repository_id: int,
                 page: list[PullRequest]) -> list[PullRequest]:
        if not page:
            return page
        if self.excluded is None:  # who the names mean in this copy, found once
            self.excluded = exclusion(connection, self.exclude_users)
            if self.names is not None:
                self.names.saw(self.excluded)
        repository_id = int(repository_id)
        ids = ", ".join(str(int(pull_request.id)) for pull_request in page)
        self.pages[repository_id] = filled = self.pages.get(repository_id, 0) + 1
        if filled == 1:
            rows = connection.execute(
                metrics_sql(f"p.repository_id = {repository_id} AND p.id IN ({ids})",
                            self.excluded, repositories=str(repository_id),
                            working_days=False), self.excluded.parameters())
        else:
            if filled == 2:
                self._whole(connection, repository_id, self.excluded)
            rows = connection.execute(
                f"SELECT * FROM temp.listed_metrics WHERE id IN ({ids})")  # noqa: S608
        found = {metrics.id: metrics
                 for metrics in (record_of(page[0].repository, row) for row in rows)}
        return [_set(pull_request, found[pull_request.id]) for pull_request in page]

    def _whole(self, connection: sqlite3.Connection, repository_id: int,
               excluded: Exclusion) -> None:
        """The repository's metrics into `temp.listed_metrics` (a table is made once: none
        can be dropped while the reader's query runs)."""
        metrics = metrics_sql(f"p.repository_id = {repository_id}", excluded,
                              repositories=str(repository_id), working_days=False)
        if self.made:
            connection.execute("DELETE FROM temp.listed_metrics")
            connection.execute(f"INSERT INTO temp.listed_metrics {metrics}",
                               excluded.parameters())
            return
        connection.execute("PRAGMA temp_store = FILE")
        connection.execute(f"CREATE TEMP TABLE listed_metrics AS {metrics}",
                           excluded.parameters())
        connection.execute("CREATE INDEX temp.listed_metrics_by_id ON listed_metrics (id)")
        self.made = True
