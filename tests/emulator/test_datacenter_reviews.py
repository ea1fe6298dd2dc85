"""Data Center review data: reviewers and participants with statuses in every list record,
people who took part without being asked, and verdicts given while serving."""

from __future__ import annotations

from collections import Counter
from typing import Any

import requests

from bbpr.emulator import Emulator

Truth = list[dict[str, Any]]


def test_most_pull_requests_have_review_data(dc_truth: Truth) -> None:
    statuses = Counter(r["status"] for pr in dc_truth for r in pr["reviewers"])
    assert set(statuses) == {"APPROVED", "NEEDS_WORK", "UNAPPROVED"}
    assert all(pr["reviewers"] for pr in dc_truth)
    humans = [p for pr in dc_truth for p in pr["participants"]
              if p["role"] == "PARTICIPANT" and p["user"]["name"] != "buildbot"]
    assert humans, "someone who took part without being asked to review"
    for pr in dc_truth:
        names = [r["user"]["name"] for r in pr["reviewers"]]
        assert pr["author"]["user"]["name"] not in names
        assert not {p["user"]["name"] for p in pr["participants"]} & set(names)
        for person in (*pr["reviewers"], *pr["participants"]):
            assert person["approved"] == (person["status"] == "APPROVED")


def test_the_list_and_the_single_pull_request_carry_the_same_people(
        dc: requests.Session, dc_pulls_url: str, dc_truth: Truth) -> None:
    listed = dc.get(dc_pulls_url, params={"state": "ALL", "limit": 1000}).json()["values"]
    by_id = {pr["id"]: pr for pr in dc_truth}
    for pr in listed:
        assert (pr["reviewers"], pr["participants"]) == (by_id[pr["id"]]["reviewers"],
                                                         by_id[pr["id"]]["participants"])
        assert ("closedDate" in pr) == (pr["state"] != "OPEN")


def test_a_verdict_given_while_serving_moves_updated_date() -> None:
    with Emulator(prs=30, seed=5) as emu:
        before = {pr["id"]: pr for pr in emu.dc_pull_requests("ACME", "widgets")}
        pr = next(p for p in before.values() if p["state"] == "OPEN")
        reviewer = pr["reviewers"][0]["user"]["name"]
        outsider = next(name for name in ("alex", "priya", "mei", "sam", "jonas")
                        if name != pr["author"]["user"]["name"] and name not in
                        {p["user"]["name"] for p in (*pr["reviewers"], *pr["participants"])})
        emu.review("ACME", "widgets", pr["id"], reviewer, "changes_requested",
                   flavour="datacenter")
        emu.review("ACME", "widgets", pr["id"], outsider, "approved", flavour="datacenter")
        after = {p["id"]: p for p in emu.dc_pull_requests("ACME", "widgets")}[pr["id"]]
        assert after["updatedDate"] > pr["updatedDate"]
        assert after["reviewers"][0]["status"] == "NEEDS_WORK"
        joined = after["participants"][-1]
        assert (joined["user"]["name"], joined["status"], joined["approved"]) == (
            outsider, "APPROVED", True)
