"""The report's tables as cells of text, described once for the terminal, the plain text and
the page alike: each output only lays them out (and makes the server's text harmless its own
way: `cli/sanitize` for a terminal, HTML escaping for the page). Durations are in the short
form of `time_words.span`; the exact seconds are in JSON, CSV and NDJSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..time_words import span
from .records import Figure, Report, Waiting
from .working_time import Zone

BY = ("week", "author", "reviewer", "repository")
"""What `--by` groups the main table by."""


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]
    numeric: frozenset[int] = field(default_factory=frozenset)
    """The columns to align right."""
    links: list[str | None] = field(default_factory=list)
    """A row's pull request page, for the HTML page (empty: none)."""


def figures(report: Report) -> Table:
    """Pickup, review and time to merge: p50, p75, p90, mean, and how many they rest on."""
    summary = report.summary

    def row(name: str, figure: Figure) -> tuple[str, ...]:
        return (name, span(figure.p50), span(figure.p75), span(figure.p90), span(figure.mean),
                str(figure.count))

    return Table("durations", "Durations", ("", "p50", "p75", "p90", "mean", "of"),
                 [row("pickup time", summary.pickup_time),
                  row("review time", summary.review_time),
                  row("time to merge", summary.time_to_merge)], frozenset({1, 2, 3, 4, 5}))


def counts_line(report: Report) -> str:
    summary = report.summary
    rate = "" if summary.merge_rate is None else f", merge rate {summary.merge_rate:.0%}"
    return (f"{summary.opened} opened, {summary.merged} merged, {summary.declined} declined"
            + (f", {summary.superseded} superseded" if summary.superseded else "")
            + f", {summary.still_open} still open{rate}")


def grouped(report: Report, by: str) -> Table:
    """The main table: by week, author, reviewer or repository."""
    return _GROUPED[by](report)


def _weeks(report: Report) -> Table:
    return Table("weeks", "By week", (
        "week", "opened", "merged", "time to merge p50", "p90", "of", "pickup p50", "of"),
        [(w.week, str(w.opened), str(w.merged), span(w.time_to_merge_p50),
          span(w.time_to_merge_p90), str(w.time_to_merge_count), span(w.pickup_time_p50),
          str(w.pickup_time_count)) for w in report.weeks], frozenset(range(1, 8)))


def _authors(report: Report) -> Table:
    return Table("authors", "Authors", ("author", "opened", "merged", "time to merge p50", "of"),
                 [(a.author, str(a.opened), str(a.merged), span(a.time_to_merge_p50),
                   str(a.time_to_merge_count)) for a in report.authors], frozenset({1, 2, 3, 4}))


def _reviewers(report: Report) -> Table:
    return Table("reviewers", "Reviewers", (
        "reviewer", "reviewed", "comments", "approvals", "changes requested", "first",
        "pickup p50 when first", "waiting on them"),
        [(r.reviewer, str(r.reviewed), str(r.comments), str(r.approvals),
          str(r.changes_requested), str(r.first_reviews), span(r.pickup_time_p50),
          str(r.waiting)) for r in report.reviewers], frozenset(range(1, 8)))


def _repositories(report: Report) -> Table:
    return Table("repositories", "Repositories", (
        "repository", "opened", "merged", "declined", "merge rate", "pickup p50", "of",
        "time to merge p50", "of"),
        [(r.repository, str(r.opened), str(r.merged), str(r.declined + r.superseded),
          "" if r.merge_rate is None else f"{r.merge_rate:.0%}", span(r.pickup_time_p50),
          str(r.pickup_time_count), span(r.time_to_merge_p50), str(r.time_to_merge_count))
         for r in report.by_repository], frozenset(range(1, 9)))


_GROUPED: dict[str, Callable[[Report], Table]] = {
    "week": _weeks, "author": _authors, "reviewer": _reviewers, "repository": _repositories}


def waiting(report: Report) -> list[Table]:
    """The pull requests that wait: stuck, awaiting a first review, merged unapproved."""
    stale = span(report.stale_after)
    return [
        _listed("stuck", f"Stuck: open, no event for {stale} or more", report.stuck,
                "last event", report),
        _listed("awaiting_first_review", "Waiting for a first review",
                report.awaiting_first_review, "ready since", report),
        _listed("merged_without_approval", "Merged without approval",
                report.merged_without_approval, "merged", report),
    ]


def _listed(key: str, title: str, entries: tuple[Waiting, ...], since: str,
            report: Report) -> Table:
    several = len(report.repositories) > 1
    waited = key != "merged_without_approval"
    rows: list[tuple[str, ...]] = [
        (f"{entry.repository}#{entry.id}" if several else f"#{entry.id}", entry.title or "",
         entry.author or "", _day(entry.since), *([span(entry.for_seconds)] if waited else []))
        for entry in entries]
    headers = ("pull request", "title", "author", since, *(["for"] if waited else []))
    return Table(key, title, headers, rows, frozenset({4}), [entry.url for entry in entries])


def _day(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def notes(report: Report) -> list[str]:
    """What the numbers leave out, in sentences; none when nothing is."""
    found = report.notes
    said = []
    negative = (found.negative_pickup_time + found.negative_review_time
                + found.negative_time_to_merge)
    if negative:
        said.append(f"{negative} spans end before they start (clock skew or imported data) and "
                    f"are left out: {found.negative_pickup_time} pickup, "
                    f"{found.negative_review_time} review, {found.negative_time_to_merge} "
                    "time to merge.")
    if found.merged_without_close_time:
        said.append(f"{found.merged_without_close_time} merged pull requests have no close time "
                    "in the copy, so no time to merge.")
    if found.events_without_person:
        said.append(f"{found.events_without_person} events name no person and count as no "
                    "review.")
    if found.excluded_users:
        said.append(f"Left out: {', '.join(found.excluded_users)}.")
    if found.unmatched_excluded_users:
        said.append(f"--exclude-user {', '.join(found.unmatched_excluded_users)} matched no one "
                    "in the copy.")
    return said


def period(report: Report, zone: Zone) -> str:
    """`2026-01-05 to 2026-03-29 (Europe/Berlin, working days)`: the days the period covers,
    in the report's zone."""
    first = report.since.astimezone(zone.rules)
    last = (report.until - timedelta(microseconds=1)).astimezone(zone.rules)
    time = "working days" if report.working_days else "calendar time"
    return f"{first:%Y-%m-%d} to {last:%Y-%m-%d} ({zone.name}, {time})"
