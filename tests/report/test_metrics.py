"""Each metric definition on hand-made timelines (docs/report.md, "Definitions"), computed
both ways bbpr computes them: from records loaded into an in-memory copy (`metrics_for`, what
`bbpr list` uses) and from a real copy file (`read_metrics`), which must agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bbpr.asked.targets import parse_target
from bbpr.report.metrics import SECONDS_SINCE_1970, MetricOptions, metrics_for
from bbpr.report.records import PullRequestMetrics
from bbpr.report.source import read_metrics
from bbpr.report.working_time import UTC_ZONE, working_seconds, zone_named

from .timelines import HOST, Timeline, at, write_copy

HOUR = 3600


CALENDAR = MetricOptions()


def metrics(tmp_path: Path, *timelines: Timeline,
            options: MetricOptions = CALENDAR) -> dict[int, PullRequestMetrics]:
    """The metrics of `timelines`, checked to be the same from memory and from a copy."""
    in_memory = metrics_for([timeline.pull_request() for timeline in timelines],
                            {"acme/widgets": [event for timeline in timelines
                                              for event in timeline.review_events()]},
                            options)
    path = write_copy(tmp_path / "copy.sqlite", timelines)
    from_copy = read_metrics(path, HOST, parse_target("acme/widgets"), options)
    assert sorted(from_copy, key=lambda m: m.id) == sorted(in_memory, key=lambda m: m.id)
    return {found.id: found for found in in_memory}


def test_an_authors_own_comment_is_no_review(tmp_path: Path) -> None:
    found = metrics(tmp_path, Timeline(1, events=[("dana", "comment", 1), ("alex", "comment", 5)],
                                       merged=8))[1]
    assert found.first_review_on == at(5)
    assert found.pickup_time == 5 * HOUR
    assert found.review_time == 3 * HOUR
    assert found.review_comments == 1


def test_an_approval_before_any_comment_is_the_first_review(tmp_path: Path) -> None:
    found = metrics(tmp_path, Timeline(1, events=[("alex", "approval", 2), ("jo", "comment", 4),
                                                  ("alex", "approval", 6)], merged=7))[1]
    assert found.first_review_on == found.first_approval_on == at(2)
    assert found.approvals == 1  # one person, who approved twice
    assert found.review_comments == 1
    assert found.merged_without_approval is False


def test_a_merge_without_review_leaves_pickup_and_review_time_empty(tmp_path: Path) -> None:
    found = metrics(tmp_path, Timeline(1, events=[("dana", "comment", 1),
                                                  ("dana", "approval", 2)], merged=10),
                    Timeline(2, events=[("alex", "comment", 12)], merged=10))
    alone = found[1]
    assert alone.first_review_on is None
    assert alone.pickup_time is None and alone.review_time is None
    assert alone.time_to_merge == 10 * HOUR
    assert alone.merged_without_approval is True  # the author's own approval does not count
    after = found[2]  # a comment after the merge is no first review, and still a comment
    assert after.first_review_on is None and after.pickup_time is None
    assert after.review_comments == 1


def test_time_in_draft_is_not_pickup(tmp_path: Path) -> None:
    found = metrics(tmp_path, Timeline(1, events=[("alex", "comment", 1), ("dana", "ready", 24),
                                                  ("jo", "approval", 26)], merged=30))[1]
    assert found.ready_on == at(24)
    assert found.first_review_on == at(26)  # the comment in draft is no first review
    assert found.pickup_time == 2 * HOUR
    assert found.time_to_merge == 6 * HOUR
    assert found.review_comments == 1


def test_a_pull_request_still_a_draft_has_no_ready_on_and_no_pickup(tmp_path: Path) -> None:
    found = metrics(tmp_path, Timeline(1, draft=True, events=[("alex", "comment", 3)]))[1]
    assert found.ready_on is None
    assert found.first_review_on is None and found.pickup_time is None
    assert found.review_comments == 1


def test_several_ready_events_count_from_the_last_before_the_first_review(
        tmp_path: Path) -> None:
    found = metrics(
        tmp_path,
        # Reviewed after the first ready: the later ready (back from draft) changes nothing.
        Timeline(1, events=[("dana", "ready", 5), ("alex", "comment", 6), ("dana", "ready", 30),
                            ("jo", "approval", 32)], merged=40),
        # Back to draft for a day before anyone looked: that day is not pickup.
        Timeline(2, events=[("dana", "ready", 5), ("dana", "ready", 30),
                            ("alex", "approval", 31)], merged=33))
    assert (found[1].ready_on, found[1].pickup_time) == (at(5), HOUR)
    assert (found[2].ready_on, found[2].pickup_time) == (at(30), HOUR)
    assert found[2].time_to_merge == 3 * HOUR


def test_a_negative_span_is_empty_not_negative(tmp_path: Path) -> None:
    found = metrics(tmp_path, Timeline(1, created=10, merged=8))[1]  # closed before created
    assert found.merged_on == at(8)
    assert found.time_to_merge is None


def test_spans_are_exact_to_the_microsecond_then_rounded_down(tmp_path: Path) -> None:
    # A review at 09:59:59.9996 (SQLite alone rounds that time up to 10:00:00), merged at
    # 10:00:00: a pickup of 3599.9996 s and a review of 0.0004 s, neither negative.
    review = (HOUR - 0.0004) / HOUR
    found = metrics(tmp_path, Timeline(1, events=[("alex", "comment", review)], merged=1))[1]
    assert found.first_review_on == at(0) + timedelta(seconds=HOUR - 0.0004)
    assert (found.pickup_time, found.review_time, found.time_to_merge) == (HOUR - 1, 0, HOUR)


@pytest.mark.parametrize("seconds", [
    SECONDS_SINCE_1970, "unixepoch({})", "CAST(strftime('%s', {}) AS INTEGER)"])
def test_both_ways_to_whole_seconds_are_exact(seconds: str, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    import sqlite3

    from bbpr.copy.schema import to_text
    from bbpr.report import metrics as module

    monkeypatch.setattr(module, "SECONDS_SINCE_1970", seconds)
    times = [datetime(2026, 3, 1, 23, 59, 59, micro, tzinfo=UTC)
             for micro in (0, 1, 499_999, 999_499, 999_500, 999_999)]
    with sqlite3.connect(":memory:") as db:
        for moment in times:
            (found,) = db.execute(f"SELECT {module.microseconds_since_1970(':at')}",
                                  {"at": to_text(moment)}).fetchone()
            assert found == (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
                microseconds=1)


def test_changes_requested_counts_each_time(tmp_path: Path) -> None:
    found = metrics(tmp_path, Timeline(1, events=[
        ("alex", "changes_requested", 1), ("alex", "changes_requested", 3),
        ("dana", "changes_requested", 4), ("alex", "approval", 5)], merged=6))[1]
    assert found.changes_requested == 2
    assert found.first_review_on == at(1)


@pytest.mark.parametrize("who", ["ci-bot", "BUILD BOT", "b0000000-0000-0000-0000-00000000000B"])
def test_exclude_user_leaves_that_accounts_events_out(tmp_path: Path, who: str) -> None:
    story = Timeline(1, events=[("ci-bot", "comment", 1), ("ci-bot", "approval", 1),
                                ("alex", "comment", 5)], merged=8)
    plain = metrics(tmp_path, story)[1]
    assert plain.first_review_on == at(1) and plain.approvals == 1
    left_out = metrics(tmp_path / "excluded", story,
                       options=MetricOptions(exclude_users=(who,)))[1]
    assert left_out.first_review_on == at(5)
    assert left_out.review_comments == 1
    assert left_out.approvals == 0 and left_out.merged_without_approval is True


def test_an_event_without_a_person_is_no_review(tmp_path: Path) -> None:
    found = metrics(tmp_path, Timeline(1, events=[("nobody", "approval", 1),
                                                  ("alex", "comment", 3)], merged=4))[1]
    assert found.first_review_on == at(3)
    assert found.approvals == 0


def test_working_days_leave_the_weekend_out(tmp_path: Path) -> None:
    # Friday 6 March 2026 15:00 UTC to Monday 9 March 10:00: 67 hours, 19 of them working.
    friday = 24 * 4 + 6
    story = Timeline(1, created=friday, events=[("alex", "comment", friday + 67)],
                     merged=friday + 68)
    calendar = metrics(tmp_path, story)[1]
    assert calendar.pickup_time == 67 * HOUR
    working = metrics(tmp_path / "working", story, options=MetricOptions(working_days=True))[1]
    assert working.pickup_time == 19 * HOUR
    assert working.time_to_merge == 20 * HOUR


def test_working_days_across_a_change_of_the_clocks() -> None:
    berlin = zone_named("Europe/Berlin")
    # Summer time starts on Sunday 29 March 2026: that weekend is 47 hours, the week 167,
    # and the five working days are still 120 hours.
    monday = datetime(2026, 3, 23, tzinfo=ZoneInfo("Europe/Berlin"))
    next_monday = datetime(2026, 3, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert (next_monday.astimezone(UTC) - monday.astimezone(UTC)) == timedelta(hours=167)
    assert working_seconds(monday.astimezone(UTC), next_monday.astimezone(UTC), berlin) \
        == 120 * HOUR
    friday_noon = datetime(2026, 3, 27, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    monday_noon = datetime(2026, 3, 30, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    assert working_seconds(friday_noon.astimezone(UTC), monday_noon.astimezone(UTC),
                           berlin) == 24 * HOUR
    # Egypt moves its clocks on a Friday: that working day is 23 hours long.
    cairo = zone_named("Africa/Cairo")
    thursday = datetime(2026, 4, 23, tzinfo=ZoneInfo("Africa/Cairo"))
    saturday = datetime(2026, 4, 25, tzinfo=ZoneInfo("Africa/Cairo"))
    assert working_seconds(thursday.astimezone(UTC), saturday.astimezone(UTC), cairo) \
        == 47 * HOUR


def test_working_days_in_a_zone_count_its_own_weekdays(tmp_path: Path) -> None:
    # Friday 23:30 UTC is Saturday 08:30 in Tokyo: nothing of it is a working day there.
    friday_late = 24 * 4 + 14.5
    story = Timeline(1, created=friday_late, events=[("alex", "comment", friday_late + 1)],
                     merged=friday_late + 2)
    utc = metrics(tmp_path, story, options=MetricOptions(working_days=True))[1]
    assert utc.pickup_time == 30 * 60  # 23:30 to midnight is still Friday in UTC
    tokyo = metrics(tmp_path / "tokyo", story, options=MetricOptions(
        working_days=True, zone=zone_named("Asia/Tokyo")))[1]
    assert tokyo.pickup_time == 0


def test_a_span_that_does_not_go_forward_has_no_working_time() -> None:
    assert working_seconds(at(5), at(4), UTC_ZONE) == 0
    assert working_seconds(at(1), at(1), UTC_ZONE) == 0


def test_metrics_for_keeps_the_order_given_and_repositories_apart() -> None:
    first = Timeline(7, events=[("alex", "comment", 2)], merged=3)
    other = Timeline(7, repository="acme/gadgets", events=[("jo", "comment", 5)], merged=6)
    found = metrics_for([other.pull_request(), first.pull_request()],
                        {"acme/widgets": first.review_events(),
                         "acme/gadgets": other.review_events()})
    assert [(m.repository, m.id, m.pickup_time) for m in found] == [
        ("acme/gadgets", 7, 5 * HOUR), ("acme/widgets", 7, 2 * HOUR)]


def test_the_metrics_read_the_events_of_their_repositories_alone(tmp_path: Path) -> None:
    # A report or list of one repository, in a copy of many, must not read every event of
    # the copy (`ready` events were found by a scan of the whole table once).
    import sqlite3

    from bbpr.report.metrics import Exclusion, metrics_sql

    path = write_copy(tmp_path / "copy.sqlite", [Timeline(1), Timeline(2, repository="a/b")])
    with sqlite3.connect(path) as db:
        plan = [row[3] for row in db.execute(
            "EXPLAIN QUERY PLAN " + metrics_sql("p.repository_id = 1", Exclusion(),
                                                repositories="1", working_days=False))]
    reads = [step for step in plan if step.split()[1:2] in (["e"], ["x"])]
    assert reads and all(step.startswith("SEARCH") for step in reads), plan
