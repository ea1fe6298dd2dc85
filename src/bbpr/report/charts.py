"""The report's charts, described once: what each shows (categories, series, values, unit),
not how it is drawn. The terminal draws some of them with block characters
(`cli/report_text`), the HTML page draws all of them as SVG through Vega-Lite (`vega`): the
same description, so the two cannot show different numbers.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from .records import Report

Kind = Literal["bars", "stacked", "lines", "horizontal"]
"""Bars side by side for each category, bars stacked, a line a series, or bars side by side
lying down (for long category names)."""
Unit = Literal["count", "seconds"]

REVIEWERS_SHOWN = 15
"""The reviewer load chart shows the busiest ones; the table below it has them all."""


class Series(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    values: tuple[float | None, ...]
    """One a category; None where there is no value (a week with no merge)."""


class Chart(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    """A stable name: `throughput`, `time_to_merge`, ..."""
    title: str
    kind: Kind
    unit: Unit
    category_title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]

    @property
    def has_values(self) -> bool:
        return any(value for series in self.series for value in series.values)


def charts(report: Report) -> tuple[Chart, ...]:
    """Every chart of the report, in the page's order."""
    weeks = tuple(week.week for week in report.weeks)
    busiest = report.reviewers[:REVIEWERS_SHOWN]
    return (
        Chart(key="throughput", title="Opened and merged, by week", kind="bars", unit="count",
              category_title="ISO week", categories=weeks, series=(
                  Series(name="opened", values=tuple(w.opened for w in report.weeks)),
                  Series(name="merged", values=tuple(w.merged for w in report.weeks)))),
        Chart(key="time_to_merge", title="Time to merge, p50 and p90, by week", kind="lines",
              unit="seconds", category_title="ISO week", categories=weeks, series=(
                  Series(name="p50", values=tuple(w.time_to_merge_p50 for w in report.weeks)),
                  Series(name="p90", values=tuple(w.time_to_merge_p90 for w in report.weeks)))),
        Chart(key="pickup_and_review", title="Pickup and review time (p50), by week",
              kind="stacked", unit="seconds", category_title="ISO week", categories=weeks,
              series=(
                  Series(name="pickup", values=tuple(w.pickup_time_p50 for w in report.weeks)),
                  Series(name="review", values=tuple(w.review_time_p50 for w in report.weeks)))),
        Chart(key="distribution", title="Time to merge: how many pull requests took how long",
              kind="bars", unit="count", category_title="time to merge",
              categories=tuple(b.bucket for b in report.time_to_merge_distribution),
              series=(Series(name="merged", values=tuple(
                  b.count for b in report.time_to_merge_distribution)),)),
        Chart(key="reviewer_load", title="Reviewer load: reviews given, and waiting on them",
              kind="horizontal", unit="count", category_title="reviewer",
              categories=tuple(r.reviewer for r in busiest), series=(
                  Series(name="reviewed", values=tuple(r.reviewed for r in busiest)),
                  Series(name="waiting", values=tuple(r.waiting for r in busiest)))),
    )
