"""Review data on Data Center through the real command line: in every record already, the
close time too, so no request is added; filters on reviewers and drafts are the server's,
`--created-since` is applied by bbpr."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest

from bbpr.emulator import Emulator

from ..conftest import DEMO_PRS, iso_exact
from .test_list import WIDGETS, dc_list, pull_request_requests, truth

REVIEW = ("reviewers", "reviewer_logins", "participants", "approved_by", "changes_requested_by")


def expected_review(pr: dict[str, Any]) -> dict[str, Any]:
    reviewers = pr["reviewers"]
    others = [p for p in pr["participants"]
              if p["user"]["name"] != pr["author"]["user"]["name"]]
    people = [*reviewers, *others]
    return {
        "reviewers": [r["user"]["displayName"] for r in reviewers],
        "reviewer_logins": [r["user"]["name"] for r in reviewers],
        "participants": [p["user"]["displayName"] for p in others],
        "approved_by": [p["user"]["displayName"] for p in people if p["status"] == "APPROVED"],
        "changes_requested_by": [p["user"]["displayName"] for p in people
                                 if p["status"] == "NEEDS_WORK"],
        "closed_on": (iso_exact(datetime.fromtimestamp(pr["closedDate"] / 1000, tz=UTC))
                      if "closedDate" in pr else None),
    }


def test_review_fields_and_close_times_cost_nothing(emulator: Emulator) -> None:
    before = len(emulator.requests)
    assert dc_list(emulator, WIDGETS, "--state", "all", "--format", "ids").code == 0
    plain = len(emulator.requests) - before
    before = len(emulator.requests)
    run = dc_list(emulator, WIDGETS, "--state", "all", "--format", "json", "--fields",
                  "id," + ",".join(REVIEW) + ",closed_on")
    assert run.code == 0, run.err
    assert pull_request_requests(emulator, before) == 1
    assert len(emulator.requests) - before == plain
    by_id = {pr["id"]: pr for pr in truth(emulator)}
    records = json.loads(run.out)
    assert len(records) == DEMO_PRS
    for record in records:
        expected = expected_review(by_id[record["id"]])
        assert {name: record[name] for name in expected} == expected
    assert any(r["participants"] for r in records) and any(r["closed_on"] for r in records)
    assert any(r["changes_requested_by"] for r in records)


@pytest.mark.parametrize("case", ["one", "two", "draft", "no-draft"])
def test_server_side_filters(emulator: Emulator, case: str) -> None:
    prs = truth(emulator)
    pair = next(pr["reviewers"][:2] for pr in prs if len(pr["reviewers"]) >= 2)
    names = [p["user"]["name"] for p in pair]
    before = len(emulator.requests)
    args, expected = {
        "one": (["--reviewer", names[0]],
                {pr["id"] for pr in prs if names[0] in _reviewers(pr)}),
        "two": (["--reviewer", names[0], "--reviewer", names[1].upper()],
                {pr["id"] for pr in prs if set(names) <= _reviewers(pr)}),
        "draft": (["--draft"], {pr["id"] for pr in prs if pr["draft"]}),
        "no-draft": (["--no-draft"], {pr["id"] for pr in prs if not pr["draft"]}),
    }[case]
    run = dc_list(emulator, WIDGETS, "--state", "all", *args, "--format", "ids")
    assert run.code == 0, run.err
    assert expected and set(map(int, run.out.split())) == expected
    [sent] = [r.query for r in emulator.requests[before:] if r.path.endswith("/pull-requests")]
    if case in ("one", "two"):
        assert sent["role.1"] == ["REVIEWER"] and sent["username.1"] == [names[0]]
        assert ("username.2" in sent) == (case == "two")
    else:
        assert sent["draft"] == ["true" if case == "draft" else "false"]


def test_created_since_is_applied_by_bbpr(emulator: Emulator) -> None:
    prs = truth(emulator)
    created = sorted(pr["createdDate"] for pr in prs)
    moment = datetime.fromtimestamp(created[len(created) // 2] / 1000, tz=UTC)
    run = dc_list(emulator, WIDGETS, "--state", "all", "--created-since", moment.isoformat(),
                  "--format", "ids")
    assert run.code == 0, run.err
    expected = {pr["id"] for pr in prs if pr["createdDate"] >= created[len(created) // 2]}
    assert math.isclose(len(expected), len(prs) / 2, abs_tol=2)
    assert set(map(int, run.out.split())) == expected


def _reviewers(pr: dict[str, Any]) -> set[str]:
    return {r["user"]["name"] for r in pr["reviewers"]}


@pytest.mark.parametrize("who", ["@me", "Dana Demo", "dana@example.com"])
def test_reviewer_as_me_display_name_or_email_becomes_the_user_name(emulator: Emulator,
                                                                    who: str) -> None:
    prs = truth(emulator)
    run = dc_list(emulator, WIDGETS, "--state", "all", "--reviewer", who, "--format", "ids")
    assert run.code == 0, run.err
    expected = {pr["id"] for pr in prs if "dana" in _reviewers(pr)}
    assert expected and set(map(int, run.out.split())) == expected


def test_a_reviewer_who_is_nobody_is_said(emulator: Emulator) -> None:
    run = dc_list(emulator, WIDGETS, "--state", "all", "--reviewer", "Nobody Atall")
    assert run.code == 2 and "--reviewer 'Nobody Atall' matches no user" in run.err
