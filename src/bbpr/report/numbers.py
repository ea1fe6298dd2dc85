"""The report's numbers, aggregated in SQL from the per-pull-request metrics (`metrics`):
counts of the period, duration figures, the weekly trend, the distribution of time to merge,
and the lists of pull requests that wait. People (authors, reviewers) are in `contributors`.

The metrics of the chosen repositories are computed once into a temporary table (SQLite's
temporary file, its cache small, so memory stays flat; the copy is never written), which
every aggregate of a span reads. What needs no metrics (the counts by state, repository and
week, the authors, the reviews given) is read from the copy's tables (`_count`), on a second
connection in a thread of its own where there is one (`_beside`): the two run side by side.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from ..copy.schema import to_text
from . import contributors
from .metrics import (
    Exclusion,
    MetricOptions,
    exclusion,
    metrics_sql,
    microseconds_since_1970,
    open_now,
    register,
)
from .percentiles import NONE, grouped
from .records import (
    Bucket,
    Figure,
    Notes,
    Report,
    RepositoryRow,
    Summary,
    Waiting,
    Week,
)
from .working_time import Zone, from_copy_text


@dataclass(frozen=True)
class ReportOptions:
    since: datetime
    until: datetime
    """The period is [since, until)."""
    stale_after: timedelta = timedelta(days=7)
    metrics: MetricOptions = field(default_factory=MetricOptions)


BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("under 1h", 3600), ("1h-4h", 4 * 3600), ("4h-1d", 86400), ("1d-2d", 2 * 86400),
    ("2d-5d", 5 * 86400), ("5d-10d", 10 * 86400), ("10d or more", None))
"""The bars of the distribution of time to merge: each from the bound before it, up to (not
including) its own."""



def _in(column: str) -> str:
    """SQL 1 when the time `column` is in the period, else 0 (NULL included)."""
    return f"coalesce({column} >= :since AND {column} < :until, 0)"


def build(connections: Sequence[sqlite3.Connection], chosen: Sequence[tuple[int, str]],
          target: str, options: ReportOptions, as_of: datetime) -> Report:
    """The report of the repositories `chosen` (row ID, full name) of the open copy, read
    through `connections`: one, or two on one snapshot (`copy.file.open_snapshots`); the
    second counts what needs no metrics (`_count`), beside the rest (`_beside`)."""
    connection = connections[0]
    zone = options.metrics.zone
    register(connection, zone)
    excluded = exclusion(connection, options.metrics.exclude_users)
    numbers = ", ".join(str(number) for number, _ in chosen)
    # The pull requests the period can concern: open at some moment of it, or touched in it
    # (a review after the close moves `updated_on`).
    where = (f"p.repository_id IN ({numbers}) AND NOT {excluded.authored('p')} "
             f"AND p.created_on < '{to_text(options.until)}' AND (p.closed_on IS NULL "
             f"OR p.closed_on >= '{to_text(options.since)}' "
             f"OR p.updated_on >= '{to_text(options.since)}')")
    weeks = _weeks(options, zone)
    parameters: dict[str, object] = {
        "since": to_text(options.since), "until": to_text(options.until),
        "as_of": to_text(as_of), "stale_before": to_text(as_of - options.stale_after),
        **excluded.parameters()}

    def count(other: sqlite3.Connection) -> _Counted:
        return _count(other, where, numbers, weeks, parameters, excluded)

    with _beside(count, connections) as counted:
        return _report(connection, chosen, target, options, as_of, where, excluded, weeks,
                       parameters, counted)


@dataclass(frozen=True)
class _Counted:
    """What the report counts from the pull requests and their events alone, not from their
    metrics: on a connection of its own, it runs beside them."""

    summary: tuple[int, int, int, int, int]
    """Opened, merged, declined, superseded, and still open at the period's end."""
    by_repository: dict[int, tuple[int, int, int, int]]
    """Opened, merged, declined and superseded, per repository row ID."""
    opened_by_week: Counter[int | None]
    merged_by_week: Counter[int | None]
    """Per index of the week in `_weeks` (None: not in the period)."""
    authored: list[contributors.Authored]
    given: dict[str, tuple[int, int, int, int]]
    """`contributors.reviews_given`."""
    names: dict[str, contributors.Names]
    """`contributors.known_names`."""
    merged_without_close_time: int
    events_without_person: int


_STATE_COUNTS = (f"coalesce(sum({_in('p.created_on')}), 0), "
                 f"coalesce(sum(p.state = 'MERGED' AND {_in('p.closed_on')}), 0), "
                 f"coalesce(sum(p.state = 'DECLINED' AND {_in('p.closed_on')}), 0), "
                 f"coalesce(sum(p.state = 'SUPERSEDED' AND {_in('p.closed_on')}), 0)")
"""SQL: opened, merged, declined and superseded in the period, of pull requests `p`."""


def _count(connection: sqlite3.Connection, where: str, numbers: str,
           weeks: Sequence[tuple[str, str, str]], parameters: dict[str, object],
           excluded: Exclusion) -> _Counted:
    """The `_Counted` of the pull requests `where` picks (alias `p`), in the repositories
    `numbers` (row IDs, SQL)."""
    # A repository a row: the summary adds them up.
    rows = connection.execute(f"""
        SELECT p.repository_id, {_STATE_COUNTS},
            coalesce(sum(p.created_on < :until AND ({open_now("p.state")} OR (p.state IN
                ('MERGED', 'DECLINED', 'SUPERSEDED') AND p.closed_on >= :until))), 0),
            coalesce(sum(p.state = 'MERGED' AND p.closed_on IS NULL), 0)
        FROM pull_requests p WHERE {where} GROUP BY p.repository_id
        """, parameters).fetchall()  # noqa: S608
    (without_person,) = connection.execute(
        f"SELECT count(*) FROM review_events WHERE repository_id IN ({numbers}) "  # noqa: S608
        "AND user_id IS NULL AND login IS NULL").fetchone()
    opened_by_week: Counter[int | None] = Counter()
    merged_by_week: Counter[int | None] = Counter()
    merged_on = "CASE WHEN p.state = 'MERGED' THEN p.closed_on END"
    for opened_week, merged_week, count in connection.execute(f"""
            SELECT CASE WHEN {_in("p.created_on")} THEN {_week_of("p.created_on", weeks)} END,
                   CASE WHEN {_in(merged_on)} THEN {_week_of(merged_on, weeks)} END,
                   count(*)
            FROM pull_requests p WHERE {where} GROUP BY 1, 2""", parameters):  # noqa: S608
        opened_by_week[opened_week] += count
        merged_by_week[merged_week] += count
    totals = [sum(column) for column in zip(*rows, strict=True)][1:] or [0] * 6
    return _Counted(
        summary=(totals[0], totals[1], totals[2], totals[3], totals[4]),
        by_repository={number: (opened, merged, declined, superseded)
                       for number, opened, merged, declined, superseded, *_ in rows},
        opened_by_week=opened_by_week, merged_by_week=merged_by_week,
        authored=contributors.authored(connection, where, parameters),
        given=contributors.reviews_given(connection, where, parameters, excluded),
        names=contributors.known_names(connection, numbers),
        merged_without_close_time=totals[5], events_without_person=without_person)


def _report(connection: sqlite3.Connection, chosen: Sequence[tuple[int, str]], target: str,
            options: ReportOptions, as_of: datetime, where: str, excluded: Exclusion,
            weeks: Sequence[tuple[str, str, str]], parameters: dict[str, object],
            counted: Callable[[], _Counted]) -> Report:
    """The report, from the metrics of the pull requests `where` picks and what `counted()`
    counted beside them."""
    zone = options.metrics.zone
    numbers = ", ".join(str(number) for number, _ in chosen)
    connection.execute("DROP TABLE IF EXISTS temp.report_metrics")
    connection.execute(f"""
        CREATE TEMP TABLE report_metrics AS
        SELECT repository_id, id, state, in_draft, author_id, author_login, author,
            first_reviewer, pickup_time, review_time, time_to_merge,
            {_in("merged_on")} AS merged_in, {_in("first_review_on")} AS reviewed_in,
            pickup_time_negative, review_time_negative, time_to_merge_negative,
            {_week_of("merged_on", weeks)} AS merged_week,
            {_week_of("first_review_on", weeks)} AS reviewed_week,
            CASE WHEN NOT in_draft THEN last_activity_on END AS active_on,
            CASE WHEN {open_now("state")} AND NOT in_draft AND first_review_on IS NULL
                THEN ready_on END AS awaiting_since,
            CASE WHEN merged_without_approval AND {_in("merged_on")} THEN merged_on END
                AS merged_unapproved_on
        FROM ({metrics_sql(where, excluded, repositories=numbers,
                           working_days=options.metrics.working_days, listed=False)})
        """, parameters)  # noqa: S608 (constant SQL, values as parameters)
    names = dict(chosen)
    pickup, pickup_by_week, pickup_by_repository, pickup_by_reviewer = _figures(
        connection, "pickup_time", "reviewed_in", "reviewed_week", "repository_id",
        "first_reviewer")
    review, review_by_week = _figures(connection, "review_time", "merged_in", "merged_week")
    merge, merge_by_week, merge_by_repository, merge_by_author = _figures(
        connection, "time_to_merge", "merged_in",
        "merged_week", "repository_id", contributors.AUTHOR)
    pickup_by_reviewer.pop(None, None)
    distribution = _distribution(connection)
    stuck = _waiting(connection, parameters, names, "active_on", "stale_before")
    awaiting = _waiting(connection, parameters, names, "awaiting_since")
    unapproved = _waiting(connection, parameters, names, "merged_unapproved_on", ended=True)
    waiting_on = contributors.waiting_on(connection, parameters, excluded)
    negative = _negative_spans(connection)
    done = counted()
    opened, merged, declined, superseded, still_open = done.summary
    return Report(
        target=target, repositories=tuple(name for _, name in chosen),
        since=options.since, until=options.until, as_of=as_of, time_zone=zone.name,
        working_days=options.metrics.working_days,
        stale_after=int(options.stale_after.total_seconds()),
        summary=Summary(
            opened=opened, merged=merged, declined=declined, superseded=superseded,
            still_open=still_open, merge_rate=_rate(merged, declined, superseded),
            pickup_time=pickup.get(0, NONE), review_time=review.get(0, NONE),
            time_to_merge=merge.get(0, NONE)),
        weeks=_week_rows(weeks, done, merge_by_week, pickup_by_week, review_by_week),
        authors=contributors.authors(done.authored, merge_by_author),
        reviewers=contributors.reviewers(connection, numbers, done.given, waiting_on,
                                         pickup_by_reviewer, done.names),
        by_repository=_by_repository(done, names, pickup_by_repository, merge_by_repository),
        time_to_merge_distribution=distribution, stuck=stuck,
        awaiting_first_review=awaiting, merged_without_approval=unapproved,
        notes=Notes(negative_pickup_time=negative[0], negative_review_time=negative[1],
                    negative_time_to_merge=negative[2],
                    merged_without_close_time=done.merged_without_close_time,
                    events_without_person=done.events_without_person,
                    excluded_users=tuple(value.strip() for value in
                                         options.metrics.exclude_users if value.strip()),
                    unmatched_excluded_users=tuple(excluded.unmatched)),
    )


def _rate(merged: int, declined: int, superseded: int) -> float | None:
    """merged / (merged + declined + superseded), None when none closed."""
    closed = merged + declined + superseded
    return round(merged / closed, 4) if closed else None


_T = TypeVar("_T")


@contextmanager
def _beside(work: Callable[[sqlite3.Connection], _T], connections: Sequence[sqlite3.Connection]
            ) -> Iterator[Callable[[], _T]]:
    """`work(connection)` on the second of `connections`, in a thread of its own, while the
    block works on the first; the block calls what it is given for the result. SQLite works
    outside Python's lock, so the two run side by side. (Only work that allocates little
    gains: SQLite's allocator has one lock for every connection, and two threads that build
    strings row after row wait on it more than they work.) With one connection, `work` runs
    on it when the result is asked for."""
    if len(connections) < 2:
        yield lambda: work(connections[0])
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(work, connections[1])
        try:
            yield running.result
        except BaseException:
            connections[1].interrupt()  # the pool waits for its thread, so stop it at once
            raise


def _weeks(options: ReportOptions, zone: Zone) -> list[tuple[str, str, str]]:
    """Each ISO week the period touches, in the report's zone: its name, its Monday, and
    when it begins (local midnight) as copy text."""
    monday = zone.day_of(options.since)
    monday -= timedelta(days=monday.weekday())
    rows = []
    while zone.midnight(monday) < options.until:
        year, number, _ = monday.isocalendar()
        rows.append((f"{year}-W{number:02d}", monday.isoformat(), to_text(zone.midnight(monday))))
        monday += timedelta(days=7)
    return rows


def _week_of(column: str, weeks: Sequence[tuple[str, str, str]]) -> str:
    """SQL for the index in `weeks` of the week `column` falls in (NULL before the first),
    as a tree of comparisons: a few a row whatever the period's length, no join. The weeks'
    bounds are times bbpr wrote (ISO-8601 text), so they are written in the SQL itself."""

    def tree(low: int, high: int) -> str:  # the week among weeks[low:high]
        if high - low == 1:
            return str(low)
        middle = (low + high) // 2
        return (f"CASE WHEN {column} < '{weeks[middle][2]}' THEN {tree(low, middle)} "
                f"ELSE {tree(middle, high)} END")

    if not weeks:
        return "NULL"
    return f"CASE WHEN {column} >= '{weeks[0][2]}' THEN {tree(0, len(weeks))} END"


def _figures(connection: sqlite3.Connection, metric: str, when: str, *groupings: str
             ) -> list[dict[object, Figure]]:
    """The figures of `metric` over the pull requests whose `when` (a flag) is set: one for
    them all (under the key 0), then one a group of each of `groupings` (SQL over the
    metrics' columns)."""
    rows = connection.execute(
        f"SELECT {metric}, 0, {', '.join(groupings)} FROM temp.report_metrics "  # noqa: S608
        f"WHERE {metric} IS NOT NULL AND {when}")
    return grouped(rows, 1 + len(groupings))


def _week_rows(weeks: Sequence[tuple[str, str, str]], counted: _Counted,
               merge: dict[object, Figure], pickup: dict[object, Figure],
               review: dict[object, Figure]) -> tuple[Week, ...]:
    rows = []
    for index, (week, starts_on, _) in enumerate(weeks):
        ttm, first, rev = (merge.get(index, NONE), pickup.get(index, NONE),
                           review.get(index, NONE))
        rows.append(Week(
            week=week, starts_on=starts_on, opened=counted.opened_by_week.get(index, 0),
            merged=counted.merged_by_week.get(index, 0), time_to_merge_p50=ttm.p50,
            time_to_merge_p90=ttm.p90, time_to_merge_count=ttm.count,
            pickup_time_p50=first.p50, pickup_time_count=first.count,
            review_time_p50=rev.p50, review_time_count=rev.count))
    return tuple(rows)


def _by_repository(counted: _Counted, names: dict[int, str], pickup: dict[object, Figure],
                   merge: dict[object, Figure]) -> tuple[RepositoryRow, ...]:
    rows = []
    for number, name in names.items():
        opened, merged, declined, superseded = counted.by_repository.get(number, (0, 0, 0, 0))
        first, ttm = pickup.get(number, NONE), merge.get(number, NONE)
        rows.append(RepositoryRow(
            repository=name, opened=opened, merged=merged, declined=declined,
            superseded=superseded, merge_rate=_rate(merged, declined, superseded),
            pickup_time_p50=first.p50, pickup_time_count=first.count,
            time_to_merge_p50=ttm.p50, time_to_merge_count=ttm.count))
    return tuple(rows)


def _distribution(connection: sqlite3.Connection) -> tuple[Bucket, ...]:
    cases = " ".join(f"WHEN time_to_merge < {bound} THEN {index}"
                     for index, (_, bound) in enumerate(BUCKETS) if bound is not None)
    counts = dict(connection.execute(f"""
        SELECT CASE {cases} ELSE {len(BUCKETS) - 1} END, count(*) FROM temp.report_metrics
        WHERE time_to_merge IS NOT NULL AND merged_in GROUP BY 1""").fetchall())  # noqa: S608
    return tuple(Bucket(bucket=label, up_to=bound, count=counts.get(index, 0))
                 for index, (label, bound) in enumerate(BUCKETS))


def _waiting(connection: sqlite3.Connection, parameters: dict[str, object],
             names: dict[int, str], since: str, before: str | None = None, *,
             ended: bool = False) -> tuple[Waiting, ...]:
    """The pull requests whose `since` (a column of times, NULL for those it does not pick)
    is set (and earlier than the parameter `before`, if given), the one waiting longest
    (`since` oldest) first; their titles and links are read from the copy (the metrics do
    not carry them)."""
    picked = f"{since} < :{before}" if before else f"{since} IS NOT NULL"
    rows = connection.execute(f"""
        SELECT m.repository_id, m.id, p.title, m.author, p.url, m.since,
               CASE WHEN :as_of < m.since THEN NULL
                    ELSE ({microseconds_since_1970(":as_of")}
                          - {microseconds_since_1970("m.since")}) / 1000000 END
        FROM (SELECT repository_id, id, author, {since} AS since FROM temp.report_metrics
              WHERE {picked}) m
        JOIN pull_requests p ON p.repository_id = m.repository_id AND p.id = m.id
        ORDER BY m.since, m.repository_id, m.id""", parameters)  # noqa: S608
    return tuple(Waiting(repository=names[number], id=number_id, title=title, author=author,
                         url=url, since=from_copy_text(moment),
                         for_seconds=None if ended else waited)
                 for number, number_id, title, author, url, moment, waited in rows)


def _negative_spans(connection: sqlite3.Connection) -> tuple[int, int, int]:
    """How many spans of the period were negative (so left empty): pickup, review, merge."""
    (found,) = connection.execute("""
        SELECT coalesce(sum(pickup_time_negative AND reviewed_in), 0),
               coalesce(sum(review_time_negative AND merged_in), 0),
               coalesce(sum(time_to_merge_negative AND merged_in), 0)
        FROM temp.report_metrics""").fetchall()
    return found  # type: ignore[no-any-return]
