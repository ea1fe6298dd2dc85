"""`bbpr sync --review-events`: every pull request's review events in the copy, equal to the
emulator's truth on both flavours; later syncs read the activity only as far as the changes;
a kind bbpr does not know is kept, one without a date counted; the choice is remembered per
repository; --plan counts what they cost. Real command line, real emulator, real SQLite."""

from __future__ import annotations

import math
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bbpr.emulator import Emulator

from ..conftest import Run, base_environment, bbpr, cloud_environment

PRS = 237
DATA_ENDS = datetime(2026, 3, 2, tzinfo=UTC)
"""Data that never changes, ending long before the live changes (made at wall time)."""
FEED = "/2.0/repositories/acme/widgets/pullrequests/activity"
LIST = "/2.0/repositories/acme/widgets/pullrequests"

EventRow = tuple[int, str, str, str | None, int | None]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(prs=PRS, seed=23, now=DATA_ENDS) as emulator:
        yield emulator


def env_for(emu: Emulator, flavour: str) -> dict[str, str]:
    if flavour == "cloud":
        return cloud_environment(emu, BBPR_CONFIG_DIR="/nonexistent/bbpr")
    return base_environment() | {"BITBUCKET_SERVER": emu.datacenter_url,
                                 "BITBUCKET_TOKEN": emu.dc_demo.token,
                                 "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}


def sync(emu: Emulator, path: Path, target: str, *args: str,
         flavour: str = "cloud") -> tuple[Run, list[str]]:
    """Run `bbpr sync`; return it and the paths of the requests it sent."""
    before = len(emu.requests)
    run = bbpr("sync", target, *args, "--db", str(path), env=env_for(emu, flavour))
    assert run.code == 0, run.err
    return run, [request.path for request in emu.requests[before:]]


def stored(path: Path, repository: str) -> Counter[EventRow]:
    owner, slug = repository.split("/")
    with sqlite3.connect(path) as db:
        return Counter(db.execute(
            "SELECT e.pull_request_id, e.kind, e.happened_on, e.user_id, e.inline "
            "FROM review_events e JOIN repositories r ON r.id = e.repository_id "
            "WHERE r.owner = ? AND r.slug = ?", (owner, slug)).fetchall())


def truth(emu: Emulator, repository: str, flavour: str = "cloud") -> Counter[EventRow]:
    owner, slug = repository.split("/")
    return Counter((number, event.kind, event.on.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    event.user_id, None if event.inline is None else int(event.inline))
                   for number, found in emu.review_truth(owner, slug, flavour=flavour).items()
                   for event in found.events)


def status(path: Path) -> dict[str, list[str]]:
    run = bbpr("sync", "--status", "--db", str(path), env=base_environment())
    assert run.code == 0, run.err
    return {cells[1]: cells[6:] for cells in (line.split("\t")
                                              for line in run.out.splitlines()[1:])}


def authors(path: Path, repository: str) -> dict[int, str]:
    owner, slug = repository.split("/")
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT p.id, p.author_id FROM pull_requests p JOIN "
                               "repositories r ON r.id = p.repository_id WHERE r.owner = ? "
                               "AND r.slug = ?", (owner, slug)).fetchall())


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_a_first_sync_stores_every_event_as_the_activity_shows_it(
        emu: Emulator, tmp_path: Path, flavour: str) -> None:
    path = tmp_path / "copy.sqlite"
    target = "acme/widgets" if flavour == "cloud" else "ACME/widgets"
    run, paths = sync(emu, path, target, "--review-events", flavour=flavour)
    assert "Review events cost" in run.err
    expected = truth(emu, target, flavour)
    assert stored(path, target) == expected
    kinds = {kind for _, kind, *_ in expected}
    assert {"opened", "ready", "comment", "approval", "changes_requested", "merged",
            "declined"} <= kinds
    assert status(path)[target] == ["true", "true"]
    if flavour == "cloud":  # one walk of the feed, about one request per five
        assert paths.count(LIST) == math.ceil(PRS / 50)
        feed = paths.count(FEED)
        assert len(paths) == paths.count(LIST) + feed
        assert feed == math.ceil(sum(expected.values()) / 50)
    else:  # one request per pull request, after the list
        activities = [p for p in paths if p.endswith("/activities")]
        assert len(activities) == PRS == len(set(activities))
    # user_id is author_id for the same person: "by anyone but the author" is a comparison.
    by_author = authors(path, target)
    assert all(by_author[number] == user for number, kind, _, user, _ in expected
               if kind == "opened")


def test_a_later_sync_reads_the_feed_back_only_as_far_as_the_changes(
        emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    sync(emu, path, "acme/widgets", "--review-events")
    _, paths = sync(emu, path, "acme/widgets")  # nothing changed: one request, no feed
    assert paths == [LIST]

    pulls = emu.pull_requests("acme", "widgets")
    opened = [pr for pr in pulls if pr["state"] == "OPEN"]
    oldest_open = opened[0]  # created long ago: its feed entries are far down the walk
    reviewer = next(n for n in ("mei", "sam", "alex") if n != oldest_open["author"]["nickname"])
    emu.review("acme", "widgets", oldest_open["id"], reviewer, "changes_requested")
    emu.review("acme", "widgets", oldest_open["id"], reviewer, "approved")
    emu.set_state("acme", "widgets", opened[1]["id"], "MERGED")
    emu.create_pull_request("acme", "widgets")
    _, paths = sync(emu, path, "acme/widgets")  # the copy remembers the choice
    assert paths == [LIST, FEED]  # four new entries: the first page goes back past them
    assert stored(path, "acme/widgets") == truth(emu, "acme/widgets")

    # Sixty entries of thirty pull requests: the walk stops on the page that reaches back
    # past the last sync, the second.
    for pr in opened[2:32]:
        who = next(n for n in ("mei", "sam", "alex") if n != pr["author"]["nickname"])
        emu.review("acme", "widgets", pr["id"], who, "changes_requested")
        emu.review("acme", "widgets", pr["id"], who, "approved")
    _, paths = sync(emu, path, "acme/widgets")
    assert paths.count(FEED) == 60 // 50 + 1
    assert stored(path, "acme/widgets") == truth(emu, "acme/widgets")


def test_data_center_asks_the_activities_of_changed_pull_requests_only(
        emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    sync(emu, path, "ACME/widgets", "--review-events", flavour="datacenter")
    _, paths = sync(emu, path, "ACME/widgets", flavour="datacenter")
    assert not [p for p in paths if p.endswith("/activities")]

    pulls = emu.dc_pull_requests("ACME", "widgets")
    opened = [pr["id"] for pr in pulls if pr["state"] == "OPEN"]
    emu.review("ACME", "widgets", opened[0], "mei" if pulls[opened[0] - 1]["author"]["user"][
        "name"] != "mei" else "sam", "approved", flavour="datacenter")
    emu.set_state("ACME", "widgets", opened[1], "DECLINED", flavour="datacenter")
    emu.set_state("ACME", "widgets", opened[1], "OPEN", flavour="datacenter")
    created = emu.create_pull_request("ACME", "widgets", flavour="datacenter")
    _, paths = sync(emu, path, "ACME/widgets", flavour="datacenter")
    asked = {int(p.split("/")[-2]) for p in paths if p.endswith("/activities")}
    assert asked == {opened[0], opened[1], created}
    assert len([p for p in paths if p.endswith("/activities")]) == 3
    assert stored(path, "ACME/widgets") == truth(emu, "ACME/widgets", "datacenter")
    kinds = {kind for number, kind, *_ in stored(path, "ACME/widgets") if number == opened[1]}
    assert {"declined", "reopened"} <= kinds


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_a_kind_bbpr_does_not_know_is_kept_and_one_without_a_date_is_counted(
        emu: Emulator, tmp_path: Path, flavour: str) -> None:
    target = "acme/widgets" if flavour == "cloud" else "ACME/widgets"
    word = "task_created" if flavour == "cloud" else "TASK_CREATED"
    emu.settings.unknown_activity = "task_created"
    path = tmp_path / "copy.sqlite"
    run, _ = sync(emu, path, target, "--review-events", flavour=flavour)
    rows = stored(path, target)
    assert rows == truth(emu, target, flavour)
    kept = [row for row in rows if row[1] == f"other:{word}"]
    assert len(kept) == PRS // 3 and "no date" not in run.err

    emu.settings.unknown_activity_undated = True
    path = tmp_path / "undated.sqlite"
    run, _ = sync(emu, path, target, "--review-events", flavour=flavour)
    assert f"{PRS // 3} activity entries had no date, so they are not among the review " \
           "events kept; every other event is." in run.err
    assert stored(path, target) == truth(emu, target, flavour)
    assert not [row for row in stored(path, target) if row[1].startswith("other:")]
    assert status(path)[target] == ["true", "true"]


def test_turning_them_on_later_reads_the_repository_whole_and_says_so(
        emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    sync(emu, path, "acme", "--close-times")
    assert status(path)["acme/widgets"] == ["true", "false"]
    planned = bbpr("sync", "acme/widgets", "--review-events", "--plan", "--db", str(path),
                   env=env_for(emu, "cloud"))
    assert planned.code == 0, planned.err
    cost = math.ceil(PRS / 50) + math.ceil(PRS / 5)  # the list read whole, and the feed
    assert f"Cost: about {cost:,} requests." in planned.out

    run, paths = sync(emu, path, "acme/widgets", "--review-events")
    said = [line for line in run.err.splitlines() if line.startswith("Adding")]
    assert said == ["Adding review events to the copy of acme/widgets: reading every pull "
                    "request again, since their activity is needed too."]
    # Against the one request an unchanged copy costs: the list read whole, and the feed.
    assert re.search(r"Review events cost about one more request per five pull requests .*: "
                     rf"about {cost - 1} more here, {cost} in all\.", run.err)
    assert paths.count(LIST) == math.ceil(PRS / 50)
    assert stored(path, "acme/widgets") == truth(emu, "acme/widgets")
    assert status(path)["acme/widgets"] == ["true", "true"]
    assert status(path)["acme/infra"] == ["true", "false"]  # per repository

    workspace = bbpr("sync", "acme", "--review-events", "--plan", "--db", str(path),
                     env=env_for(emu, "cloud"))
    lacking = [name for name, kept in status(path).items() if kept[1] == "false"]
    assert workspace.code == 0 and len(lacking) == 3
    counts: dict[str, Any] = {}
    with sqlite3.connect(path) as db:
        for name, count in db.execute("SELECT r.owner || '/' || r.slug, count(p.id) FROM "
                                      "repositories r JOIN pull_requests p ON "
                                      "p.repository_id = r.id GROUP BY r.id"):
            counts[name] = count
    expected = 1 + 1 + sum(math.ceil(counts[name] / 50) + math.ceil(counts[name] / 5)
                           for name in lacking)  # the repository list, widgets, the rest
    assert f"Cost: about {expected:,} requests." in workspace.out


def test_plan_counts_one_request_a_pull_request_on_data_center(
        emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    sync(emu, path, "ACME/widgets", flavour="datacenter")
    planned = bbpr("sync", "ACME/widgets", "--review-events", "--plan", "--db", str(path),
                   env=env_for(emu, "datacenter"))
    assert planned.code == 0, planned.err
    # The list read whole (one page, and one to see nothing moved), and each one's activity.
    assert f"Cost: about {2 + PRS} requests." in planned.out
    _, paths = sync(emu, path, "ACME/widgets", "--review-events", flavour="datacenter")
    assert len(paths) == 1 + PRS


def test_a_sync_stopped_by_the_allowance_resumes_where_it_stopped(
        emu: Emulator, tmp_path: Path) -> None:
    """Data Center reads a thousand pull requests a page and asks each one's activities:
    a pass stopped half-way keeps the events it read, and the next asks only for the rest."""
    path = tmp_path / "copy.sqlite"
    env = env_for(emu, "datacenter") | {"BBPR_STATE_DIR": str(tmp_path)}
    stopped = bbpr("sync", "ACME/widgets", "--review-events", "--allowance", "130/1h",
                   "--db", str(path), env=env)
    assert stopped.code == 5, stopped.err
    assert "allowance of 130 requests an hour is spent" in stopped.err
    assert status(path)["ACME/widgets"] == ["false", "false"]  # not complete: it says so
    with sqlite3.connect(path) as db:
        done = {number for (number,) in db.execute(
            "SELECT id FROM pull_requests WHERE events_through IS NOT NULL")}
    assert len(done) >= 100
    events = stored(path, "ACME/widgets")
    expected = truth(emu, "ACME/widgets", "datacenter")
    assert {row for row in events} == {row for row in expected if row[0] in done}

    before = len(emu.requests)
    resumed = bbpr("sync", "ACME/widgets", "--review-events", "--allowance", "1000/1h",
                   "--db", str(path), env=env)
    assert resumed.code == 0, resumed.err
    asked = [int(r.path.split("/")[-2]) for r in emu.requests[before:]
             if r.path.endswith("/activities")]
    assert sorted(asked) == sorted(set(range(1, PRS + 1)) - done)
    assert stored(path, "ACME/widgets") == expected
    assert status(path)["ACME/widgets"] == ["true", "true"]
