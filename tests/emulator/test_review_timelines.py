"""Review timelines: what both flavours' activity shows looks like a real team's, agrees
with the pull request records and with the ground truth tests hold bbpr to, and follows
the switches (a draft made ready hidden, a kind no client knows, one without a date)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from bbpr.emulator import Emulator
from bbpr.emulator.truth import ReviewTruth

Entry = dict[str, Any]


def cloud_feed(api: requests.Session, url: str) -> list[Entry]:
    entries: list[Entry] = []
    page = api.get(url, params={"pagelen": 50}).json()
    while True:
        entries += page["values"]
        if "next" not in page:
            return entries
        page = api.get(page["next"]).json()


def dc_activities(dc: requests.Session, url: str, limit: int = 7) -> list[Entry]:
    found: list[Entry] = []
    start = 0
    while True:
        page = dc.get(url, params={"start": start, "limit": limit}).json()
        found += page["values"]
        if page["isLastPage"]:
            return found
        start = page["nextPageStart"]


def read_cloud(entry: Entry, created_on: str) -> tuple[int, str, datetime | None, str, Any]:
    """An entry as public clients of the live feed read it: its one key beside
    `pull_request`, dated by `date` (`created_on` for a comment), with `user`."""
    kind = next(key for key in entry if key != "pull_request")
    body = entry[kind]
    if kind == "update":
        changes = body.get("changes", {}).get("draft")
        kind = ("ready" if changes == {"old": True, "new": False} else
                "opened" if body["state"] == "OPEN" and body["date"] == created_on else
                "updated" if body["state"] == "OPEN" else body["state"].lower())
        who = body["author"]
    elif kind == "comment" or kind in ("approval", "changes_requested"):
        who = body["user"]
    else:
        kind, who = f"other:{kind}", body["user"]
    moment = body.get("created_on") or body.get("date")
    inline = ("inline" in body) if kind == "comment" else None
    return (entry["pull_request"]["id"], kind, moment and datetime.fromisoformat(moment),
            who["uuid"], inline)


def truth_rows(truth: dict[int, ReviewTruth]) -> Counter[tuple[Any, ...]]:
    return Counter((number, event.kind, event.on, event.user_id, event.inline)
                   for number, found in truth.items() for event in found.events)


def test_the_cloud_feed_is_the_truth_read_as_the_live_feed_is(
        emu: Emulator, api: requests.Session, pulls_url: str,
        truth: list[dict[str, Any]]) -> None:
    created = {pr["id"]: pr["created_on"] for pr in truth}
    read = Counter(read_cloud(entry, created[entry["pull_request"]["id"]])
                   for entry in cloud_feed(api, f"{pulls_url}/activity"))
    expected = emu.review_truth("acme", "widgets")
    assert read == truth_rows(expected)
    kinds = {kind for _, kind, *_ in read}
    assert kinds == {"opened", "ready", "comment", "approval", "changes_requested", "merged",
                     "declined", "superseded"}
    assert any(inline for *_, inline in read) and any(inline is False for *_, inline in read)


def test_data_center_activities_are_the_truth_and_agree_with_the_records(
        emu: Emulator, dc: requests.Session, dc_pulls_url: str,
        dc_truth: list[dict[str, Any]]) -> None:
    expected = emu.review_truth("ACME", "widgets", flavour="datacenter")
    read: Counter[tuple[Any, ...]] = Counter()
    words = {"OPENED": "opened", "UPDATED": "ready", "COMMENTED": "comment",
             "APPROVED": "approval", "REVIEWED": "changes_requested", "RESCOPED": "rescoped",
             "MERGED": "merged", "DECLINED": "declined"}
    for pr in dc_truth:
        activities = dc_activities(dc, f"{dc_pulls_url}/{pr['id']}/activities")
        dates = [activity["createdDate"] for activity in activities]
        assert dates == sorted(dates, reverse=True), "newest first"
        assert len({activity["id"] for activity in activities}) == len(activities)
        for activity in activities:
            moment = datetime.fromtimestamp(activity["createdDate"] / 1000, UTC)
            inline = "commentAnchor" in activity if activity["action"] == "COMMENTED" else None
            read[(pr["id"], words[activity["action"]], moment, str(activity["user"]["id"]),
                  inline)] += 1
        # The records say what the activities say: each reviewer's and participant's status
        # is their last verdict, the close is at closedDate, the comments are counted.
        last: dict[str, str] = {}
        for activity in reversed(activities):
            if activity["action"] in ("APPROVED", "REVIEWED", "UNAPPROVED"):
                last[activity["user"]["name"]] = activity["action"]
        for person in (*pr["reviewers"], *pr["participants"]):
            status = {"APPROVED": "APPROVED", "REVIEWED": "NEEDS_WORK"}.get(
                last.get(person["user"]["name"], ""), "UNAPPROVED")
            assert person["status"] == status
        closes = [a["createdDate"] for a in activities if a["action"] in ("MERGED", "DECLINED")]
        assert closes == ([pr["closedDate"]] if pr["state"] != "OPEN" else [])
        comments = sum(activity["action"] == "COMMENTED" for activity in activities)
        assert comments == pr["properties"]["commentCount"]
    assert read == truth_rows(expected)


def test_timelines_look_like_a_real_team_s() -> None:
    # Data that never changes (weekends fall on the same moments every day the test runs).
    emu = Emulator(prs=600, seed=1, now=datetime(2026, 6, 1, tzinfo=UTC))
    for owner, flavour in (("acme", "cloud"), ("ACME", "datacenter")):
        truth = emu.review_truth(owner, "widgets", flavour=flavour)
        pickups = sorted(t.first_review_on - t.ready_on for t in truth.values()
                         if t.first_review_on and t.ready_on and t.first_review_on > t.ready_on)
        assert pickups[0] < timedelta(minutes=30) and pickups[-1] > timedelta(days=2)
        assert timedelta(minutes=30) < pickups[len(pickups) // 2] < timedelta(hours=12)
        own = [t for t in truth.values()
               if any(e.kind == "comment" and e.user_id == t.author_id for e in t.events)]
        assert len(own) > len(truth) / 5, "authors comment on their own pull requests"
        assert any(t.merged_without_approval for t in truth.values())
        assert any(t.ready_on and t.ready_on > t.created_on for t in truth.values()), (
            "drafts made ready")
        assert any(t.ready_on is None for t in truth.values()), "drafts still drafts"
        assert any(later.kind == "approval" and later.user_id == earlier.user_id
                   for t in truth.values() for index, earlier in enumerate(t.events)
                   if earlier.kind == "changes_requested" for later in t.events[index:])
        bot = [n for n, t in truth.items()
               if any(e.login == "buildbot" and e.kind == "comment" for e in t.events)]
        assert len(bot) > len(truth) / 10
        days = Counter(e.on.weekday() for t in truth.values() for e in t.events
                       if e.kind in ("comment", "approval", "changes_requested"))
        assert max(days[5], days[6]) < min(days[day] for day in range(5)) * 0.6
        without_bot = emu.review_truth(owner, "widgets", flavour=flavour, exclude=("buildbot",))
        assert any(without_bot[n].first_review_on != truth[n].first_review_on for n in bot)


def test_a_seed_gives_the_same_timelines() -> None:
    first, second = Emulator(prs=40, seed=8), Emulator(prs=40, seed=8)
    for owner, flavour in (("acme", "cloud"), ("ACME", "datacenter")):
        assert (first.review_truth(owner, "widgets", flavour=flavour)
                == second.review_truth(owner, "widgets", flavour=flavour))
    assert (Emulator(prs=40, seed=9).review_truth("acme", "widgets")
            != first.review_truth("acme", "widgets"))


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_a_draft_made_ready_can_be_hidden(emu: Emulator, flavour: str) -> None:
    owner = "acme" if flavour == "cloud" else "ACME"
    shown = emu.review_truth(owner, "widgets", flavour=flavour)
    emu.settings.ready_in_activity = "hidden"
    hidden = emu.review_truth(owner, "widgets", flavour=flavour)
    readied = [n for n, t in shown.items() if t.ready_on and t.ready_on > t.created_on]
    assert readied and all(hidden[n].ready_on == hidden[n].created_on for n in readied)
    assert not any(e.kind == "ready" for t in hidden.values() for e in t.events)


def test_a_kind_no_client_knows_in_both_flavours(emu: Emulator, api: requests.Session,
                                                 pulls_url: str, dc: requests.Session,
                                                 dc_pulls_url: str) -> None:
    emu.settings.unknown_activity = "task_created"
    feed = api.get(f"{pulls_url}/3/activity", params={"pagelen": 50}).json()["values"]
    unknown = [entry["task_created"] for entry in feed if "task_created" in entry]
    assert len(unknown) == 1 and {"date", "user"} <= set(unknown[0])
    activities = dc.get(f"{dc_pulls_url}/3/activities").json()["values"]
    assert next(a for a in activities if a["action"] == "TASK_CREATED")["createdDate"]
    cloud = emu.review_truth("acme", "widgets")
    assert {e.kind for e in cloud[3].events} >= {"other:task_created"}
    assert not any(e.kind.startswith("other:") for e in cloud[4].events)  # every third
    dc_truth = emu.review_truth("ACME", "widgets", flavour="datacenter")
    assert {e.kind for e in dc_truth[3].events} >= {"other:TASK_CREATED"}

    emu.settings.unknown_activity_undated = True
    feed = api.get(f"{pulls_url}/3/activity", params={"pagelen": 50}).json()["values"]
    assert [set(entry["task_created"]) for entry in feed if "task_created" in entry] == [
        {"user"}]
    activities = dc.get(f"{dc_pulls_url}/3/activities").json()["values"]
    assert "createdDate" not in next(a for a in activities if a["action"] == "TASK_CREATED")
    undated = emu.review_truth("acme", "widgets")[3]
    assert undated.undated == 1 and not any(e.kind.startswith("other:") for e in undated.events)


def test_live_verdicts_and_reopening_join_the_timeline() -> None:
    with Emulator(prs=30, seed=5) as emu:
        for flavour, owner in (("cloud", "acme"), ("datacenter", "ACME")):
            before = emu.review_truth(owner, "widgets", flavour=flavour)
            number = next(n for n, t in before.items() if t.merged_on is None
                          and not any(e.kind in ("merged", "declined") for e in t.events))
            author = before[number].author_id
            reviewer = next(name for name in ("alex", "priya", "mei")
                            if not any(e.login == name and e.user_id == author
                                       for e in before[number].events))
            emu.review(owner, "widgets", number, reviewer, "approved", flavour=flavour)
            emu.review(owner, "widgets", number, reviewer, None, flavour=flavour)
            emu.set_state(owner, "widgets", number, "DECLINED", flavour=flavour)
            emu.set_state(owner, "widgets", number, "OPEN", flavour=flavour)
            after = emu.review_truth(owner, "widgets", flavour=flavour)[number]
            assert after.events[:len(before[number].events)] == before[number].events
            added = [event.kind for event in after.events[len(before[number].events):]]
            # Cloud shows no withdrawal, and a reopening as an update of an open one.
            assert added == (["approval", "declined", "updated"] if flavour == "cloud" else
                             ["approval", "unapproval", "declined", "reopened"])
