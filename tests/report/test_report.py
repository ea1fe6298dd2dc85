"""The report's numbers from a real copy file of hand-made timelines: counts, nearest-rank
percentiles with their counts, weeks, people, what waits, notes, and the errors of a copy
that lacks the target or its events."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bbpr.asked.targets import parse_target
from bbpr.copy.file import NotCachedError
from bbpr.errors import InputError
from bbpr.report.metrics import MetricOptions
from bbpr.report.numbers import ReportOptions
from bbpr.report.records import Figure, Report
from bbpr.report.source import read_report
from bbpr.report.working_time import zone_named

from .timelines import HOST, Timeline, at, write_copy

HOUR = 3600
WEEK = 24 * 7


def report(path: Path, target: str = "acme/widgets", *, since: float = -24,
           until: float = 3 * WEEK, **metric_options: Any) -> Report:
    options = ReportOptions(since=at(since), until=at(until),
                            metrics=MetricOptions(**metric_options))
    return read_report(path, HOST, parse_target(target), options)


def four_merges() -> list[Timeline]:
    """Pickups of 1h, 2h, 3h and 4h (one reviewer each), merged an hour after the review."""
    return [Timeline(number, created=number * 10,
                     events=[("alex" if number % 2 else "jo", "comment", number * 11)],
                     merged=number * 11 + 1) for number in (1, 2, 3, 4)]


def test_percentiles_are_nearest_rank_and_say_what_they_rest_on(tmp_path: Path) -> None:
    found = report(write_copy(tmp_path / "c.sqlite", four_merges()))
    # Pickups 1h..4h: ranks ceil(0.5*4)=2, ceil(0.75*4)=3, ceil(0.9*4)=4; mean 2.5h.
    assert found.summary.pickup_time == Figure(count=4, p50=2 * HOUR, p75=3 * HOUR,
                                               p90=4 * HOUR, mean=int(2.5 * HOUR))
    assert found.summary.review_time == Figure(count=4, p50=HOUR, p75=HOUR, p90=HOUR,
                                               mean=HOUR)
    assert found.summary.time_to_merge.count == 4
    assert found.summary.time_to_merge.p50 == 3 * HOUR


def test_counts_of_the_period_and_the_merge_rate(tmp_path: Path) -> None:
    stories = [
        Timeline(1, events=[("alex", "approval", 1)], merged=2),
        Timeline(2, events=[("alex", "approval", 1)], merged=3),
        Timeline(3, declined=5),
        Timeline(4, created=30),  # open
        Timeline(5, created=-100, merged=-90),  # before the period: counts nowhere
        Timeline(6, created=4, merged=WEEK * 4),  # merged after it: open at its end
    ]
    summary = report(write_copy(tmp_path / "c.sqlite", stories)).summary
    assert (summary.opened, summary.merged, summary.declined, summary.still_open) == (5, 2, 1, 2)
    assert summary.merge_rate == pytest.approx(2 / 3, abs=1e-4)


def test_weeks_are_iso_weeks_in_the_zone_and_add_up(tmp_path: Path) -> None:
    stories = [*four_merges(), Timeline(9, created=WEEK + 2, events=[("jo", "comment", WEEK + 3)],
                                        merged=WEEK + 5),
               # Sunday 22:30 UTC is Monday in Tokyo: the next ISO week there.
               Timeline(10, created=6 * 24 + 13.5)]
    path = write_copy(tmp_path / "c.sqlite", stories)
    utc = report(path)
    assert [w.week for w in utc.weeks][:3] == ["2026-W09", "2026-W10", "2026-W11"]
    assert sum(w.opened for w in utc.weeks) == utc.summary.opened == 6
    assert sum(w.merged for w in utc.weeks) == utc.summary.merged == 5
    by_week = {w.week: w for w in utc.weeks}
    assert (by_week["2026-W10"].opened, by_week["2026-W11"].opened) == (5, 1)
    assert by_week["2026-W10"].time_to_merge_count == 4
    assert by_week["2026-W11"].pickup_time_p50 == HOUR
    tokyo = {w.week: w for w in report(path, zone=zone_named("Asia/Tokyo")).weeks}
    assert (tokyo["2026-W10"].opened, tokyo["2026-W11"].opened) == (4, 2)


def test_reviewers_and_authors(tmp_path: Path) -> None:
    stories = [*four_merges(),
               Timeline(5, author="alex", events=[("jo", "approval", 1), ("jo", "comment", 2),
                                                  ("alex", "comment", 3)], merged=4),
               Timeline(6, created=50, reviewers=("priya", "jo")),
               Timeline(7, created=51, reviewers=("priya",), draft=True)]
    found = report(write_copy(tmp_path / "c.sqlite", stories))
    people = {r.login: r for r in found.reviewers}
    assert people["jo"].reviewed == 3  # #2, #4 and #5; its own events on no one's behalf
    assert (people["jo"].comments, people["jo"].approvals) == (3, 1)
    assert people["jo"].first_reviews == 3
    assert people["alex"].reviewed == 2 and people["alex"].first_reviews == 2
    assert people["alex"].pickup_time_p50 == HOUR  # pickups 1h and 3h: the lower is p50
    assert people["priya"].reviewed == 0
    assert people["priya"].waiting == 1  # #6; the draft #7 waits on no one
    assert people["jo"].waiting == 1
    assert people["priya"].reviewer == "Priya Raman"
    authors = {a.login: a for a in found.authors}
    assert (authors["dana"].opened, authors["dana"].merged) == (6, 4)
    assert (authors["alex"].opened, authors["alex"].merged) == (1, 1)
    assert authors["alex"].time_to_merge_p50 == 4 * HOUR


def test_stuck_waiting_and_merged_without_approval(tmp_path: Path) -> None:
    stories = [
        Timeline(1, created=0, events=[("alex", "comment", 1)]),  # reviewed, idle since 1h
        Timeline(2, created=24 * 20),  # fresh, waiting for a first review
        Timeline(3, created=5),  # idle and never reviewed
        Timeline(4, created=6, draft=True),  # a draft waits on nobody
        Timeline(5, events=[("dana", "approval", 1)], merged=2),  # only its author approved
        Timeline(6, events=[("alex", "approval", 1)], merged=2),
    ]
    found = report(write_copy(tmp_path / "c.sqlite", stories, synced=24 * 21))
    assert [w.id for w in found.stuck] == [1, 3]  # oldest first
    assert [w.id for w in found.awaiting_first_review] == [3, 2]
    assert found.awaiting_first_review[1].for_seconds == 24 * HOUR
    assert found.stuck[0].for_seconds == (24 * 21 - 1) * HOUR
    assert [w.id for w in found.merged_without_approval] == [5]
    assert found.as_of == at(24 * 21)


def test_notes_count_negative_spans_and_unmatched_exclusions(tmp_path: Path) -> None:
    stories = [Timeline(11, created=10, merged=8), *four_merges()]
    found = report(write_copy(tmp_path / "c.sqlite", stories),
                   exclude_users=("nobody-at-all",))
    assert found.notes.negative_time_to_merge == 1
    assert found.summary.time_to_merge.count == 4  # the negative one is left out
    assert found.summary.merged == 5  # but it merged
    assert found.notes.unmatched_excluded_users == ("nobody-at-all",)


def test_an_excluded_account_is_left_out_with_its_pull_requests(tmp_path: Path) -> None:
    stories = [*four_merges(), Timeline(8, author="ci-bot", merged=1),
               Timeline(9, events=[("ci-bot", "comment", 0.5), ("alex", "comment", 2)],
                        merged=3)]
    path = write_copy(tmp_path / "c.sqlite", stories)
    found = report(path, exclude_users=("Build Bot",))
    assert found.summary.merged == 5
    assert "ci-bot" not in {r.login for r in found.reviewers}
    assert found.summary.pickup_time.count == 5
    assert report(path).summary.merged == 6


def test_working_days_apply_to_every_figure(tmp_path: Path) -> None:
    friday = 24 * 4 + 6  # Friday 15:00 UTC; the review Monday 10:00, the merge at 11:00
    story = Timeline(1, created=friday, events=[("alex", "comment", friday + 67)],
                     merged=friday + 68)
    found = report(write_copy(tmp_path / "c.sqlite", [story]), working_days=True)
    assert found.working_days is True
    assert found.summary.pickup_time.p50 == 19 * HOUR
    assert found.weeks[2].time_to_merge_p50 == 20 * HOUR


def test_a_workspace_reports_every_repository_of_it(tmp_path: Path) -> None:
    stories = [*four_merges(), Timeline(1, repository="acme/gadgets", merged=3)]
    path = write_copy(tmp_path / "c.sqlite", stories)
    with sqlite3.connect(path) as db:  # as a workspace sync lists them
        db.execute("UPDATE repositories SET position = id")
        db.execute("INSERT INTO owners VALUES (?, 'acme', '2026-03-01')", (HOST,))
    found = report(path, "acme")
    assert found.repositories == ("acme/gadgets", "acme/widgets")
    assert [(r.repository, r.merged) for r in found.by_repository] == [
        ("acme/gadgets", 1), ("acme/widgets", 4)]


def test_a_workspace_whose_repositories_were_synced_alone_says_so(tmp_path: Path) -> None:
    stories = [*four_merges(), Timeline(1, repository="acme/gadgets", merged=3)]
    path = write_copy(tmp_path / "c.sqlite", stories)  # each repository synced alone
    with pytest.raises(NotCachedError) as caught:
        report(path, "acme")
    message = caught.value.message
    assert ("acme was never synced whole: the copy holds 2 of its repositories, each synced "
            "alone (acme/gadgets, acme/widgets). Run `bbpr sync acme --db") in message
    assert "the host bbpr looked for" not in message  # it is the host the copy has
    # The copy cannot tell what the whole workspace costs: said as a sentence of its own.
    assert message.endswith(" Add --plan to it to see its cost in requests.")


def test_a_missing_copy_names_the_sync_to_run_and_its_cost(tmp_path: Path) -> None:
    with pytest.raises(NotCachedError) as caught:
        report(tmp_path / "none.sqlite")
    assert caught.value.exit_code == 4
    assert (f"bbpr sync acme/widgets --db {tmp_path / 'none.sqlite'} --review-events"
            in caught.value.message)
    assert "request" in caught.value.message
    assert not (tmp_path / "none.sqlite").exists()


def test_a_copy_without_events_names_the_sync_that_adds_them(tmp_path: Path) -> None:
    path = write_copy(tmp_path / "c.sqlite", four_merges(), review_events=False)
    with pytest.raises(InputError) as caught:
        report(path)
    message = caught.value.message
    assert caught.value.exit_code == 2
    assert "keeps no review events" in message
    assert f"bbpr sync acme/widgets --db {path} --review-events" in message
    # The cost model's figure for reading 4 pull requests whole with their feed: 2 requests.
    assert "about 2 requests" in message


def test_a_target_not_in_the_copy_is_not_found(tmp_path: Path) -> None:
    path = write_copy(tmp_path / "c.sqlite", four_merges())
    with pytest.raises(NotCachedError) as caught:
        report(path, "acme/other")
    assert "--review-events" in caught.value.message
    assert caught.value.exit_code == 4


def test_the_report_never_writes_the_copy(tmp_path: Path) -> None:
    path = write_copy(tmp_path / "c.sqlite", four_merges())
    before = path.read_bytes()
    path.chmod(0o400)
    report(path)
    assert path.read_bytes() == before


def test_the_library_gives_the_same_records(tmp_path: Path) -> None:
    import bbpr

    path = write_copy(tmp_path / "c.sqlite", four_merges())
    found = bbpr.read_report("acme/widgets", db=path, since=at(-24), until=at(3 * WEEK),
                             time_zone="UTC")
    assert isinstance(found, bbpr.Report)
    assert found == report(path)
    each = bbpr.read_metrics("acme/widgets", db=path)
    assert [m.id for m in each] == [4, 3, 2, 1]
    assert all(isinstance(m, bbpr.PullRequestMetrics) for m in each)
    story = four_merges()[0]
    assert bbpr.metrics_for([story.pull_request()], {"acme/widgets": story.review_events()},
                            time_zone="UTC") == [each[-1]]


def test_the_library_takes_one_excluded_account_as_a_text_and_checks_it(tmp_path: Path
                                                                         ) -> None:
    import bbpr

    path = write_copy(tmp_path / "c.sqlite", four_merges())
    period = {"since": at(-24), "until": at(3 * WEEK), "time_zone": "UTC"}
    one = bbpr.read_report("acme/widgets", db=path, exclude_users="alex", **period)
    assert one == bbpr.read_report("acme/widgets", db=path, exclude_users=["alex"], **period)
    assert one.notes.excluded_users == ("alex",)  # not ("a", "l", "e", "x")
    assert [r.reviewer for r in one.reviewers] == ["Jo Smith"]
    for wrong, words in ((["alex\udcff"], "exclude_users holds bytes that are not UTF-8"),
                         (7, "exclude_users must be a text or a list of texts")):
        with pytest.raises(InputError, match=words):
            bbpr.read_report("acme/widgets", db=path, exclude_users=wrong, **period)
        with pytest.raises(InputError, match=words):
            bbpr.read_metrics("acme/widgets", db=path, exclude_users=wrong)
