"""The Cloud activity feeds (repository-wide and per pull request) agree with the pull
requests' own review data and dates, page by an opaque cursor, newest first, and follow
live changes."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import requests

from bbpr.emulator import Emulator


def walk(api: requests.Session, url: str, **params: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    page = api.get(url, params=params).json()
    while True:
        assert "size" not in page and "page" not in page
        entries += page["values"]
        if "next" not in page:
            return entries
        assert "ctx=" in page["next"]
        page = api.get(page["next"]).json()


def when(entry: dict[str, Any]) -> datetime:
    kind = next(key for key in entry if key != "pull_request")
    body = entry[kind]
    return datetime.fromisoformat(body["created_on"] if kind == "comment" else body["date"])


def test_the_repository_feed_is_every_pull_requests_activity_newest_first(
        emu: Emulator, api: requests.Session, pulls_url: str,
        truth: list[dict[str, Any]]) -> None:
    feed = walk(api, f"{pulls_url}/activity", pagelen=50)
    dates = [when(entry) for entry in feed]
    assert dates == sorted(dates, reverse=True)
    per_pr = Counter(entry["pull_request"]["id"] for entry in feed)
    for number in (1, 60, 120):
        assert len(walk(api, f"{pulls_url}/{number}/activity", pagelen=7)) == per_pr[number]
    comments = Counter(entry["pull_request"]["id"] for entry in feed if "comment" in entry)
    assert all(comments[pr["id"]] == pr["comment_count"] for pr in truth)


def test_a_merge_made_by_a_push_leaves_no_close_update() -> None:
    """One merge in 25 on the emulator (a push to the destination): known to the truth as
    a close time of None, and absent from the feed; 400 pull requests hold some."""
    with Emulator(prs=400, seed=1) as big, requests.Session() as session:
        session.auth = (big.demo.email, big.demo.api_token)
        url = f"{big.cloud_api_url}/repositories/acme/widgets/pullrequests/activity"
        closed = {entry["pull_request"]["id"] for entry in walk(session, url, pagelen=50)
                  if "update" in entry and entry["update"]["state"] != "OPEN"}
        expected = big.cloud_closed_on("acme", "widgets")
    pushed = {number for number, moment in expected.items() if moment is None}
    assert pushed, "a merge made by a push"
    assert not pushed & closed
    assert closed == set(expected) - pushed


def test_close_updates_approvals_and_change_requests_match_the_pull_requests(
        emu: Emulator, api: requests.Session, pulls_url: str,
        truth: list[dict[str, Any]]) -> None:
    feed = walk(api, f"{pulls_url}/activity", pagelen=50)
    closes = {entry["pull_request"]["id"]: datetime.fromisoformat(entry["update"]["date"])
              for entry in feed
              if "update" in entry and entry["update"]["state"] != "OPEN"}
    expected = emu.cloud_closed_on("acme", "widgets")
    assert closes == {number: moment for number, moment in expected.items() if moment}
    by_id = {pr["id"]: pr for pr in truth}
    # `updated_on` moves with later activity: some close times are earlier than it.
    assert all(closes[n] <= datetime.fromisoformat(by_id[n]["updated_on"]) for n in closes)
    assert any(closes[n] < datetime.fromisoformat(by_id[n]["updated_on"]) for n in closes)
    # The feed keeps every verdict; the participants hold each person's latest.
    latest: dict[tuple[int, str], tuple[str, str]] = {}
    for entry in reversed(feed):  # oldest first: later verdicts replace earlier ones
        kind = next(key for key in entry if key != "pull_request")
        if kind in ("approval", "changes_requested"):
            state = "approved" if kind == "approval" else kind
            latest[(entry["pull_request"]["id"], entry[kind]["user"]["uuid"])] = (
                state, entry[kind]["date"])
    wanted = {(pr["id"], p["user"]["uuid"]): (p["state"], p["participated_on"])
              for pr in truth for p in pr["participants"] if p["state"]}
    assert latest == wanted and {state for state, _ in latest.values()} == {
        "approved", "changes_requested"}
    assert "changes_request" not in {key for entry in feed for key in entry}
    asked_then_approved = [key for key, (state, _) in latest.items() if state == "approved"
                           and any("changes_requested" in e and e["pull_request"]["id"] == key[0]
                                   and e["changes_requested"]["user"]["uuid"] == key[1]
                                   for e in feed)]
    assert asked_then_approved, "a change request followed by an approval"


def test_paging_limits_and_fields(api: requests.Session, pulls_url: str) -> None:
    assert len(api.get(f"{pulls_url}/activity").json()["values"]) == 10
    refused = api.get(f"{pulls_url}/activity", params={"pagelen": 51})
    assert refused.status_code == 400 and refused.json()["error"]["message"] == "Invalid pagelen"
    assert api.get(f"{pulls_url}/activity", params={"ctx": "nonsense!"}).status_code == 400
    trimmed = api.get(f"{pulls_url}/activity", params={
        "pagelen": 50, "fields": "values.update.state,values.update.date,"
                                 "values.pull_request.id,next"}).json()
    assert "next" in trimmed and {"pull_request"} <= set(trimmed["values"][0])
    for entry in trimmed["values"]:
        assert set(entry["pull_request"]) == {"id"}
        assert set(entry.get("update", {"state": 1, "date": 1})) == {"state", "date"}
    assert api.get(f"{pulls_url}/999/activity").status_code == 404


def test_live_merges_and_reviews_appear_on_top_and_move_updated_on() -> None:
    with Emulator(prs=40, seed=3) as emu, requests.Session() as api:
        api.auth = (emu.demo.email, emu.demo.api_token)
        url = f"{emu.cloud_api_url}/repositories/acme/widgets/pullrequests"
        open_pr = next(pr for pr in emu.pull_requests("acme", "widgets")
                       if pr["state"] == "OPEN")
        reviewer = "mei" if open_pr["author"]["nickname"] != "mei" else "sam"
        emu.review("acme", "widgets", open_pr["id"], reviewer, "changes_requested")
        emu.review("acme", "widgets", open_pr["id"], reviewer, "approved")
        emu.set_state("acme", "widgets", open_pr["id"], "MERGED")
        top = api.get(f"{url}/activity", params={"pagelen": 2}).json()["values"]
        assert [next(k for k in e if k != "pull_request") for e in top] == ["update",
                                                                            "approval"]
        assert top[0]["update"]["state"] == "MERGED"
        merged = api.get(f"{url}/{open_pr['id']}").json()
        assert merged["updated_on"] == top[0]["update"]["date"]
        assert emu.cloud_closed_on("acme", "widgets")[open_pr["id"]] == datetime.fromisoformat(
            top[0]["update"]["date"])
        mine = next(p for p in merged["participants"] if p["user"]["nickname"] == reviewer)
        assert (mine["approved"], mine["state"]) == (True, "approved")
        assert mine["participated_on"] == top[1]["approval"]["date"]
