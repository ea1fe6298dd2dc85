"""The records of review metrics, as the library hands them out: one pull request's metrics,
and a report's numbers. Spans are whole seconds (None where an end is unknown, or the span
would be negative); times are UTC. docs/report.md defines every field.
"""

from __future__ import annotations

from datetime import datetime

import msgspec


class PullRequestMetrics(msgspec.Struct, frozen=True, kw_only=True):
    """The review metrics of one pull request."""

    repository: str
    id: int
    ready_on: datetime | None = None
    """When it was ready for review: created, or last made ready before its first review;
    None while it is a draft."""
    first_review_on: datetime | None = None
    """The first comment, approval or change request by anyone but the author, between
    ready and closed."""
    first_approval_on: datetime | None = None
    merged_on: datetime | None = None
    pickup_time: int | None = None
    """`first_review_on - ready_on`, in seconds."""
    review_time: int | None = None
    """`merged_on - first_review_on`, in seconds."""
    time_to_merge: int | None = None
    """`merged_on - ready_on`, in seconds."""
    approvals: int = 0
    """How many people other than the author approved (before it closed)."""
    review_comments: int = 0
    """Comments by others than the author."""
    changes_requested: int = 0
    """How many times someone other than the author requested changes (needs work)."""
    merged_without_approval: bool = False
    """Merged, and no one but its author approved it before the merge."""


class Figure(msgspec.Struct, frozen=True, kw_only=True):
    """A duration over many pull requests: nearest-rank percentiles and the mean, in
    seconds, and how many pull requests they rest on (none: every figure None)."""

    count: int = 0
    p50: int | None = None
    p75: int | None = None
    p90: int | None = None
    mean: int | None = None


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    opened: int
    """Pull requests created in the period."""
    merged: int
    """Merged in the period."""
    declined: int
    """Declined in the period."""
    superseded: int
    """Superseded in the period (Cloud)."""
    still_open: int
    """Created before the period ended and open at its end."""
    merge_rate: float | None
    """merged / (merged + declined + superseded), None when none closed."""
    pickup_time: Figure
    """Over the pull requests first reviewed in the period."""
    review_time: Figure
    """Over the pull requests merged in the period."""
    time_to_merge: Figure
    """Over the pull requests merged in the period."""


class Week(msgspec.Struct, frozen=True, kw_only=True):
    """One ISO week of the period, in the report's time zone."""

    week: str
    """`2026-W09`."""
    starts_on: str
    """Its Monday, `2026-02-23`."""
    opened: int
    merged: int
    time_to_merge_p50: int | None
    time_to_merge_p90: int | None
    time_to_merge_count: int
    pickup_time_p50: int | None
    pickup_time_count: int
    review_time_p50: int | None
    review_time_count: int


class Author(msgspec.Struct, frozen=True, kw_only=True):
    author: str
    """The display name (the login, or the ID, where no name is known)."""
    login: str | None
    user_id: str | None
    opened: int
    merged: int
    time_to_merge_p50: int | None
    time_to_merge_count: int


class Reviewer(msgspec.Struct, frozen=True, kw_only=True):
    reviewer: str
    login: str | None
    user_id: str | None
    reviewed: int
    """Others' pull requests they reviewed in the period (any review event in it)."""
    comments: int
    approvals: int
    changes_requested: int
    first_reviews: int
    """Pull requests first reviewed in the period on which they were first."""
    pickup_time_p50: int | None
    """Their median pickup on those."""
    waiting: int
    """Open pull requests (not drafts) that name them as reviewer and wait on them now:
    neither approved nor marked as needing work by them."""


class RepositoryRow(msgspec.Struct, frozen=True, kw_only=True):
    repository: str
    opened: int
    merged: int
    declined: int
    superseded: int
    merge_rate: float | None
    pickup_time_p50: int | None
    pickup_time_count: int
    time_to_merge_p50: int | None
    time_to_merge_count: int


class Waiting(msgspec.Struct, frozen=True, kw_only=True):
    """An open pull request in one of the report's lists (stuck, waiting for a first review,
    merged without approval)."""

    repository: str
    id: int
    title: str | None
    author: str | None
    url: str | None
    since: datetime | None
    """Stuck: its last event; awaiting: when it became ready; unapproved: when merged."""
    for_seconds: int | None
    """From `since` to the copy's time (calendar time); None for a merged one."""


class Bucket(msgspec.Struct, frozen=True, kw_only=True):
    """One bar of the distribution of time to merge."""

    bucket: str
    """`under 1h`, `1h-4h`, ...: from its lower bound, up to (not including) the next."""
    up_to: int | None
    """Its upper bound in seconds (None for the last)."""
    count: int


class Notes(msgspec.Struct, frozen=True, kw_only=True):
    """What the numbers leave out, and why."""

    negative_pickup_time: int = 0
    negative_review_time: int = 0
    negative_time_to_merge: int = 0
    """Spans whose end came before their start: left empty, counted here."""
    merged_without_close_time: int = 0
    """Merged pull requests whose close time the copy lacks (no time to merge)."""
    events_without_person: int = 0
    """Events whose person is unknown: no review."""
    excluded_users: tuple[str, ...] = ()
    unmatched_excluded_users: tuple[str, ...] = ()
    """`--exclude-user` values that match no one in the copy."""


class Report(msgspec.Struct, frozen=True, kw_only=True):
    """Everything `bbpr report` shows: the same numbers in every format."""

    target: str
    repositories: tuple[str, ...]
    since: datetime
    until: datetime
    """The period: [since, until)."""
    as_of: datetime
    """When the copy was last brought up to date (the oldest complete pass of its
    repositories): "now" for what is open, stuck or waiting."""
    time_zone: str
    working_days: bool
    stale_after: int
    """Seconds without an event after which an open pull request is stuck."""
    summary: Summary
    weeks: tuple[Week, ...]
    authors: tuple[Author, ...]
    reviewers: tuple[Reviewer, ...]
    by_repository: tuple[RepositoryRow, ...]
    time_to_merge_distribution: tuple[Bucket, ...]
    stuck: tuple[Waiting, ...]
    """Open (not drafts) with no event for `stale_after`, oldest first."""
    awaiting_first_review: tuple[Waiting, ...]
    """Open (not drafts), ready, with no review yet, longest waiting first."""
    merged_without_approval: tuple[Waiting, ...]
    """Merged in the period with no approval but the author's."""
    notes: Notes
