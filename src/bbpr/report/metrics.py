"""The review metrics of each pull request, defined once, in SQL over the copy's tables
(`pull_requests` and `review_events`): `bbpr report` aggregates them, and `bbpr list` gets
them as fields (`metrics_for` loads its records into an in-memory database with the same
tables and runs the same SQL). docs/report.md states every definition in words; this is
the one place they are written as code.

- A review is a comment, an approval or a change request by someone known who is not the
  author (`user_id` compared with `author_id`, else login with login, in any case); an
  event whose person is unknown is no review.
- The review window opens when the pull request is first ready (its first `ready` event,
  else its creation) and closes when it closes: a review in draft, or a comment after the
  merge, is no first review (it still counts among `review_comments`).
- `ready_on`: the last `ready` event at or before the first review (before it closed, when
  there was no review), else `created_on`; none while the pull request is a draft. So time in
  draft, even between two `ready` events, is never pickup.
- Spans are whole seconds, rounded down; a span whose end comes before its start (clock skew,
  an imported record) is empty, and flagged for the report's notes.
- `--exclude-user` leaves every event of the accounts it names out of everything here.

No Python loop runs over events: SQLite groups them, and Python is called once a span, only
for working days (`working_time.working_seconds`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..models import OPEN_LIKE, PullRequest, ReviewEvent
from .records import PullRequestMetrics
from .working_time import UTC_ZONE, Zone, from_copy_text, working_seconds

REVIEW_KINDS = ("comment", "approval", "changes_requested")
"""The events that are a review, when someone other than the author makes them."""


@dataclass(frozen=True)
class MetricOptions:
    """What every metric depends on beyond the events: who is left out, and how time counts."""

    exclude_users: tuple[str, ...] = ()
    """Logins, display names or user IDs (names in any case) whose events are left out."""
    working_days: bool = False
    """Spans count Monday to Friday only, in `zone`."""
    zone: Zone = field(default=UTC_ZONE)


@dataclass(frozen=True)
class Exclusion:
    """The accounts `--exclude-user` names, as SQL parameters: the IDs given and those the
    copy knows under the names given, and the names themselves in lower case."""

    user_ids: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    unmatched: tuple[str, ...] = ()
    """The names given that match no one in the copy (a typo, most likely)."""

    def parameters(self) -> dict[str, str]:
        values = {f"xid{index}": user_id for index, user_id in enumerate(self.user_ids)}
        values.update({f"xname{index}": name for index, name in enumerate(self.names)})
        return values

    def kept(self, alias: str) -> str:
        """SQL true for an event (alias `alias`) by no excluded account."""
        return "NOT " + self._matches(f"{alias}.user_id", f"{alias}.login", f"{alias}.name")

    def authored(self, alias: str) -> str:
        """SQL true for a pull request (alias `alias`) whose author is excluded."""
        return self._matches(f"{alias}.author_id", f"{alias}.author_login", f"{alias}.author")

    def _matches(self, user_id: str, login: str, name: str) -> str:
        if not self.user_ids and not self.names:
            return "(0)"
        ids = ", ".join(f":xid{index}" for index in range(len(self.user_ids))) or "NULL"
        names = ", ".join(f":xname{index}" for index in range(len(self.names))) or "NULL"
        return (f"(coalesce({user_id} IN ({ids}), 0) OR coalesce(lower({login}) IN ({names}), 0)"
                f" OR coalesce(lower({name}) IN ({names}), 0))")


def exclusion(connection: sqlite3.Connection, given: Sequence[str]) -> Exclusion:
    """Who `--exclude-user` means in this copy: each value as a user ID (a Cloud UUID with
    or without braces, in any case), and as a login or display name, in any case; the IDs of
    everyone known under those names are added, so that an event stored with an ID alone is
    left out too."""
    values = [value.strip() for value in given if value.strip()]
    if not values:
        return Exclusion()
    forms: dict[str, int] = {}
    for index, value in enumerate(values):
        forms.setdefault(value.lower(), index)
        forms.setdefault("{" + value.lower().strip("{}") + "}", index)
    ids = set(values)
    matched: set[int] = set()
    marks = ", ".join("?" * len(forms))
    for table, user_id, login, name in (("review_events", "user_id", "login", "name"),
                                         ("pull_requests", "author_id", "author_login",
                                          "author")):
        rows = connection.execute(
            f"SELECT DISTINCT {user_id}, lower({login}), lower({name}), lower({user_id}) "  # noqa: S608
            f"FROM {table} WHERE lower({login}) IN ({marks}) OR lower({name}) IN ({marks}) "
            f"OR lower({user_id}) IN ({marks})", [*forms] * 3)
        for found_id, *spellings in rows:
            hits = {forms[spelling] for spelling in spellings if spelling in forms}
            matched |= hits
            if hits and found_id:
                ids.add(found_id)
    names = tuple(dict.fromkeys(value.lower() for value in values))
    unmatched = tuple(value for index, value in enumerate(values) if index not in matched)
    return Exclusion(tuple(sorted(ids)), names, unmatched)


def by_other(event: str, pull_request: str) -> str:
    """SQL true for an event by someone known who is not the pull request's author."""
    return (f"(CASE WHEN {event}.user_id IS NULL AND {event}.login IS NULL THEN 0 "
            f"WHEN {event}.user_id IS NOT NULL AND {pull_request}.author_id IS NOT NULL "
            f"THEN {event}.user_id != {pull_request}.author_id "
            f"WHEN {event}.login IS NOT NULL AND {pull_request}.author_login IS NOT NULL "
            f"THEN lower({event}.login) != lower({pull_request}.author_login) "
            f"WHEN {pull_request}.author_id IS NULL AND {pull_request}.author_login IS NULL "
            "THEN 1 ELSE 0 END)")


_US = {"ready_on": "ready_us", "first_review_on": "review_us", "merged_on": "merged_us"}
"""The three ends of every span, and their columns in microseconds (see `spans`)."""
_REVIEW = "e.kind IN ('comment', 'approval', 'changes_requested')"


def open_now(state: str) -> str:
    """SQL true where the column `state` says a pull request is open: OPEN, or a state that
    means it (`models.OPEN_LIKE`: a draft, a merge queue)."""
    return f"{state} IN ({', '.join(repr(word) for word in sorted(OPEN_LIKE))})"


_IN_DRAFT = f"(p.state = 'DRAFT' OR (coalesce(p.draft, 0) = 1 AND {open_now('p.state')}))"
"""A pull request (alias `p`) in draft now: its review window has not opened."""
_BY_CLOSE = "e.happened_on <= coalesce(w.closed_on, e.happened_on)"
"""An event (alias `e`) before its pull request (`w`) closed, or while it is open."""
_IN_WINDOW = f"e.happened_on >= w.review_from AND {_BY_CLOSE}"


def microseconds_since_1970(moment: str) -> str:
    """SQL for a time (as `schema.to_text` writes it, fixed width) in whole microseconds:
    the whole seconds from SQLite, the fraction from the text; exact, unlike `julianday`.
    SQLite is given the time without its fraction, which it would round to milliseconds:
    59.9996 s would become a whole second more."""
    seconds = SECONDS_SINCE_1970.format(f"substr({moment}, 1, 19)")
    return f"({seconds} * 1000000 + substr({moment}, 21, 6))"


SECONDS_SINCE_1970 = ("unixepoch({})" if sqlite3.sqlite_version_info >= (3, 38)
                      else "CAST(strftime('%s', {}) AS INTEGER)")
"""SQL for the whole seconds of a time without fraction: `unixepoch` where SQLite has it
(3.38 on), which gives an integer (four times as fast as `strftime` and back)."""


def metrics_sql(where: str, excluded: Exclusion, *, repositories: str, working_days: bool,
                listed: bool = True) -> str:
    """The per-pull-request metrics of the pull requests `where` selects (alias `p`; all in
    the repositories `repositories`, SQL for their row IDs: their events alone are read), one
    row each: `COLUMNS`, then the columns the report reads beside them (state, in_draft,
    the author's ID, login and name, created_on, closed_on, last_activity_on,
    first_reviewer; not the title or link, which it reads from the copy for the few rows
    it lists). Without `listed`, the columns only `bbpr list` shows (`first_approval_on`,
    `approvals`, `review_comments`, `changes_requested`) are NULL: the report reads none."""
    kept_e, kept_x = excluded.kept("e"), excluded.kept("x")
    tallies = f"""min(e.happened_on) FILTER (WHERE e.kind = 'approval' AND {_IN_WINDOW})
                AS first_approval_on,
            count(DISTINCT coalesce(e.user_id, 'login:' || lower(e.login)))
                FILTER (WHERE e.kind = 'approval' AND {_BY_CLOSE}) AS approvals,
            count(*) FILTER (WHERE e.kind = 'comment') AS review_comments,
            count(*) FILTER (WHERE e.kind = 'changes_requested') AS changes_requested,""" \
        if listed else """NULL AS first_approval_on, NULL AS approvals,
            NULL AS review_comments, NULL AS changes_requested,"""

    def span(name: str, start: str, end: str) -> str:
        """`end - start` in whole seconds (`start`, `end`: columns; `*_us` beside them)."""
        us = f"({_US[end]} - {_US[start]})"
        value = (f"bbpr_working_seconds({start}, {end})" if working_days else f"{us} / 1000000")
        return (f"CASE WHEN {us} IS NULL OR {us} < 0 THEN NULL ELSE {value} END "
                f"AS {name}, coalesce({us} < 0, 0) AS {name}_negative")

    # Every piece is one of the constants above; values are parameters (S608). A review is
    # picked out in the join, once an event, so that the aggregates test little more (and
    # FILTER spares each aggregate the events it does not count). The stages stream, one
    # into the next, with no copy of their rows; `LIMIT -1 OFFSET 0` keeps a stage from
    # being merged into the next, so that each of its columns is computed once a row (the
    # next uses them several times: the correlated `ready_on`, the three times in seconds).
    # `max(+x.happened_on)`: a pull request's events by its key; a bare max() would take
    # the index by time and read every event of the repository for each pull request.
    return f"""
    WITH readiness AS (
        SELECT e.repository_id, e.pull_request_id AS id, min(e.happened_on) AS first_ready
        FROM review_events e
        WHERE e.repository_id IN ({repositories}) AND e.kind = 'ready' AND {kept_e}
        GROUP BY e.repository_id, e.pull_request_id
    ),
    windows AS (
        SELECT p.repository_id, p.id, p.author_id, p.author_login, p.author, p.state,
               p.closed_on, p.created_on, p.updated_on,
               CASE WHEN p.state = 'MERGED' THEN p.closed_on END AS merged_on,
               {_IN_DRAFT} AS in_draft, r.first_ready,
               CASE WHEN {_IN_DRAFT} THEN NULL
                    ELSE coalesce(r.first_ready, p.created_on) END AS review_from
        FROM pull_requests p
        LEFT JOIN readiness r ON r.repository_id = p.repository_id AND r.id = p.id
        WHERE {where}
    ),
    reviewed AS (
        SELECT w.repository_id, w.id, w.author_id, w.author_login, w.author, w.state,
            w.in_draft, w.first_ready, w.created_on, w.closed_on, w.updated_on, w.merged_on,
            -- The first review and its reviewer at once: times are fixed width (27), so
            -- the least of time and reviewer is the first review's.
            min(e.happened_on || coalesce(e.user_id, 'login:' || lower(e.login)))
                FILTER (WHERE {_IN_WINDOW}) AS first_review,
            {tallies}
            count(*) FILTER (WHERE e.kind = 'approval'
                             AND e.happened_on <= coalesce(w.merged_on, e.happened_on)) > 0
                AS approved_before_merge
        FROM windows w
        LEFT JOIN review_events e
            ON e.repository_id = w.repository_id AND e.pull_request_id = w.id
            AND {_REVIEW} AND {kept_e} AND {by_other("e", "w")}
        GROUP BY w.repository_id, w.id
    ),
    ready AS (
        SELECT r.*, substr(r.first_review, 1, 27) AS first_review_on,
            substr(r.first_review, 28) AS first_reviewer,
            CASE WHEN r.in_draft THEN NULL WHEN r.first_ready IS NULL THEN r.created_on
                 ELSE coalesce((SELECT max(+x.happened_on) FROM review_events x
                     WHERE x.repository_id = r.repository_id AND x.pull_request_id = r.id
                     AND x.kind = 'ready' AND {kept_x}
                     AND +x.happened_on <= coalesce(substr(r.first_review, 1, 27), r.closed_on,
                                                   '9999-12-31')), r.first_ready)
            END AS ready_on
        FROM reviewed r LIMIT -1 OFFSET 0
    ),
    spans AS (
        SELECT r.*, {microseconds_since_1970("r.ready_on")} AS ready_us,
               {microseconds_since_1970("r.first_review_on")} AS review_us,
               {microseconds_since_1970("r.merged_on")} AS merged_us
        FROM ready r LIMIT -1 OFFSET 0
    )
    SELECT repository_id, id, ready_on, first_review_on, first_approval_on, merged_on,
        {span("pickup_time", "ready_on", "first_review_on")},
        {span("review_time", "first_review_on", "merged_on")},
        {span("time_to_merge", "ready_on", "merged_on")},
        approvals, review_comments, changes_requested,
        state = 'MERGED' AND NOT approved_before_merge AS merged_without_approval,
        state, in_draft, author_id, author_login, author, created_on, closed_on,
        CASE WHEN {open_now("state")} THEN max(coalesce(updated_on, ''),
            coalesce((SELECT max(+x.happened_on) FROM review_events x
                      WHERE x.repository_id = spans.repository_id
                      AND x.pull_request_id = spans.id AND {kept_x}), ''))
        END AS last_activity_on, first_reviewer
    FROM spans
    """  # noqa: S608


COLUMNS = ("repository_id", "id", "ready_on", "first_review_on", "first_approval_on",
           "merged_on", "pickup_time", "pickup_time_negative", "review_time",
           "review_time_negative", "time_to_merge", "time_to_merge_negative", "approvals",
           "review_comments", "changes_requested", "merged_without_approval")


def register(connection: sqlite3.Connection, zone: Zone) -> None:
    """The Python function the SQL calls for working days: the working time of a span in
    `zone` (see `working_time`)."""

    def span(start: str | None, end: str | None) -> int | None:
        if start is None or end is None:
            return None
        return working_seconds(from_copy_text(start), from_copy_text(end), zone)

    connection.create_function("bbpr_working_seconds", 2, span, deterministic=True)


def metrics_for(pull_requests: Sequence[PullRequest],
                events: Mapping[str, Sequence[ReviewEvent]],
                options: MetricOptions = MetricOptions(), *,
                seen: Callable[[Exclusion], None] | None = None) -> list[PullRequestMetrics]:
    """The metrics of `pull_requests`, in their order, from `events` (by repository full
    name; each repository's events of those pull requests, complete): the records and events
    are loaded into an in-memory database with the copy's tables, and the same SQL runs.
    `seen` is told whom `options.exclude_users` matched among them."""
    from .memory import load

    with load(pull_requests, events) as connection:
        register(connection, options.zone)
        excluded = exclusion(connection, options.exclude_users)
        if seen is not None:
            seen(excluded)
        rows = connection.execute(
            metrics_sql("1", excluded, repositories="SELECT id FROM repositories",
                        working_days=options.working_days),
            excluded.parameters()).fetchall()
        names = dict(connection.execute("SELECT id, owner || '/' || slug FROM repositories"))
    by_key = {(names[row[0]], row[1]): record_of(names[row[0]], row) for row in rows}
    return [by_key[(pr.repository, pr.id)] for pr in pull_requests]


def record_of(repository: str, row: Sequence[object]) -> PullRequestMetrics:
    """A row of `metrics_sql` (its first `COLUMNS`) as the library's record."""
    values = dict(zip(COLUMNS, row, strict=False))
    return PullRequestMetrics(
        repository=repository, id=int(str(values["id"])),
        ready_on=_moment(values["ready_on"]), first_review_on=_moment(values["first_review_on"]),
        first_approval_on=_moment(values["first_approval_on"]),
        merged_on=_moment(values["merged_on"]),
        pickup_time=_seconds(values["pickup_time"]),
        review_time=_seconds(values["review_time"]),
        time_to_merge=_seconds(values["time_to_merge"]),
        approvals=int(str(values["approvals"])),
        review_comments=int(str(values["review_comments"])),
        changes_requested=int(str(values["changes_requested"])),
        merged_without_approval=bool(values["merged_without_approval"]))


def _moment(value: object) -> datetime | None:
    return None if value is None else from_copy_text(str(value))


def _seconds(value: object) -> int | None:
    return None if value is None else int(str(value))
