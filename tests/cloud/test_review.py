"""Review data on Cloud through the real command line: the review fields ride on the list
requests (no extra request), the filters match the ground truth, and `closed_on` comes from
the activity feed, never from `updated_on`."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import datetime
from typing import Any

import pytest

from bbpr.emulator import Emulator

from ..conftest import DEMO_PRS, bbpr, cloud_environment, iso_exact, pull_request_requests

REPO = "acme/widgets"
REVIEW = ("reviewers", "reviewer_logins", "participants", "approved_by", "changes_requested_by")


def truth(emu: Emulator) -> list[dict[str, Any]]:
    return emu.pull_requests("acme", "widgets")


def expected_review(pr: dict[str, Any]) -> dict[str, list[str]]:
    """What the review fields mean, from the pull request as its own URL shows it."""
    reviewers = pr["reviewers"]
    asked = {r["uuid"] for r in reviewers}
    entry = {p["user"]["uuid"]: p for p in pr["participants"]}
    others = [p for p in pr["participants"]
              if p["user"]["uuid"] not in asked and p["user"]["uuid"] != pr["author"]["uuid"]]
    people = [(r, entry.get(r["uuid"], {})) for r in reviewers] + [(p["user"], p) for p in others]
    return {
        "reviewers": [r["display_name"] for r in reviewers],
        "reviewer_logins": [r["nickname"] for r in reviewers],
        "participants": [p["user"]["display_name"] for p in others],
        "approved_by": [user["display_name"] for user, p in people if p.get("approved")],
        "changes_requested_by": [user["display_name"] for user, p in people
                                 if p.get("state") == "changes_requested"],
    }


def listed(emu: Emulator, *args: str) -> list[dict[str, Any]]:
    run = bbpr("list", REPO, "--state", "all", "--format", "json", *args,
               env=cloud_environment(emu))
    assert run.code == 0, run.err
    records: list[dict[str, Any]] = json.loads(run.out)
    return records


def test_review_fields_cost_no_extra_request(emulator: Emulator) -> None:
    before = len(emulator.requests)
    records = listed(emulator, "--fields", "id," + ",".join(REVIEW))
    requests = pull_request_requests(emulator, before)
    assert len(requests) == math.ceil(DEMO_PRS / 50) == len(emulator.requests) - before
    # One documented form of fields=: a plain list that names what review fields read.
    for request in requests:
        fields = request.query["fields"][0].split(",")
        assert {"next", "size", "values.reviewers.uuid", "values.participants.state"} <= set(fields)
        assert not any(path.startswith(("+", "-", " ")) for path in fields)
    by_id = {pr["id"]: pr for pr in truth(emulator)}
    assert len(records) == DEMO_PRS
    for record in records:
        assert {name: record[name] for name in REVIEW} == expected_review(by_id[record["id"]])
    assert any(record["participants"] for record in records)
    assert any(record["approved_by"] for record in records)
    assert any(record["changes_requested_by"] for record in records)
    assert any(set(record["approved_by"]) - set(record["reviewers"]) for record in records)


def test_ids_ask_for_no_review_data(emulator: Emulator) -> None:
    before = len(emulator.requests)
    run = bbpr("list", REPO, "--state", "all", "--format", "ids", env=cloud_environment(emulator))
    assert run.code == 0, run.err
    fields = [r.query["fields"][0] for r in pull_request_requests(emulator, before)]
    assert fields and not any("reviewers" in f or "participants" in f for f in fields)


def test_lists_in_tsv_and_csv_are_joined_with_escaped_commas(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    records = {r["id"]: r for r in listed(emulator, "--fields", "id,reviewers,approved_by")}
    tsv = bbpr("list", REPO, "--state", "all", "--fields", "id,reviewers,approved_by",
               "--format", "tsv", env=env)
    table = csv.reader(io.StringIO(bbpr("list", REPO, "--state", "all", "--fields",
                                        "id,reviewers,approved_by", "--format", "csv",
                                        env=env).out))
    assert next(table) == ["id", "reviewers", "approved_by"]
    for line, row in zip(tsv.out.splitlines(), table, strict=True):
        cells = line.split("\t")
        assert cells == row
        record = records[int(cells[0])]
        assert cells[1] == ", ".join(record["reviewers"])  # no commas in the demo's names
        assert cells[2] == ", ".join(record["approved_by"])


def test_closed_on_comes_from_the_activity_feed(emulator: Emulator) -> None:
    before = len(emulator.requests)
    records = listed(emulator, "--fields", "id,state,closed_on,updated_on")
    spent = emulator.requests[before:]
    closes = emulator.cloud_closed_on("acme", "widgets")
    for record in records:
        moment = closes.get(record["id"])
        assert record["closed_on"] == iso_exact(moment)
        assert (record["closed_on"] is None) == (record["state"] == "OPEN" or moment is None)
    earlier = [r for r in records if r["closed_on"] and datetime.fromisoformat(
        r["closed_on"]) < datetime.fromisoformat(r["updated_on"])]
    assert earlier, "some pull requests had activity after they closed"
    feed = [r for r in spent if r.path.endswith("/pullrequests/activity")]
    assert len(pull_request_requests(emulator, before)) == math.ceil(DEMO_PRS / 50)
    assert feed and len(spent) == len(feed) + math.ceil(DEMO_PRS / 50) + sum(
        "/activity" in r.path and r not in feed for r in spent)
    # The walk reads the feed once, at most to its end: about a fifth of a request per
    # pull request on this data (ten entries each), far below one per closed one.
    assert len(feed) <= math.ceil(len(records) * 11 / 50)


def test_closed_on_alone_for_a_few_asks_little(emulator: Emulator) -> None:
    before = len(emulator.requests)
    records = listed(emulator, "--fields", "id,closed_on", "--limit", "10")
    closes = emulator.cloud_closed_on("acme", "widgets")
    assert [r["closed_on"] is None for r in records] == [
        closes.get(r["id"]) is None for r in records]
    assert len(emulator.requests) - before <= 1 + 2 * 10


@pytest.mark.parametrize("form", ["nickname", "display_name", "uuid", "bare uuid",
                                  "account_id"])
def test_reviewer_in_every_form(emulator: Emulator, form: str) -> None:
    prs = truth(emulator)
    person = prs[5]["reviewers"][0]
    value = {"nickname": person["nickname"], "display_name": person["display_name"],
             "uuid": person["uuid"], "bare uuid": person["uuid"].strip("{}").upper(),
             "account_id": person["account_id"]}[form]
    run = bbpr("list", REPO, "--state", "all", "--reviewer", value, "--format", "ids",
               env=cloud_environment(emulator))
    assert run.code == 0, run.err
    expected = {pr["id"] for pr in prs if person["uuid"] in {r["uuid"] for r in pr["reviewers"]}}
    assert expected and set(map(int, run.out.split())) == expected


def test_two_reviewers_created_since_and_draft(emulator: Emulator) -> None:
    prs = truth(emulator)
    pair = next(pr["reviewers"][:2] for pr in prs if len(pr["reviewers"]) >= 2)
    since = sorted(pr["created_on"] for pr in prs)[len(prs) // 2]
    run = bbpr("list", REPO, "--state", "all", "--reviewer", pair[0]["nickname"], "--reviewer",
               pair[1]["display_name"], "--format", "ids", env=cloud_environment(emulator))
    both = {pr["id"] for pr in prs
            if {r["uuid"] for r in pair} <= {r["uuid"] for r in pr["reviewers"]}}
    assert run.code == 0 and both and set(map(int, run.out.split())) == both
    for flag, wanted in (("--draft", True), ("--no-draft", False)):
        run = bbpr("list", REPO, "--state", "all", flag, "--created-since", since,
                   "--format", "ids", env=cloud_environment(emulator))
        assert run.code == 0, run.err
        expected = {pr["id"] for pr in prs if pr["draft"] == wanted
                    and datetime.fromisoformat(pr["created_on"]) >= datetime.fromisoformat(since)}
        assert expected and set(map(int, run.out.split())) == expected


def test_the_library_gives_people_with_roles_and_verdicts(emulator: Emulator) -> None:
    from bbpr import Client, Participant

    env = cloud_environment(emulator)
    prs = {pr["id"]: pr for pr in truth(emulator)}
    person = prs[5]["reviewers"][0]
    with Client.from_env(env) as bb:
        found = list(bb.pull_requests(REPO, state="all", reviewer=[person["uuid"]],
                                      fields=["id", "approved_by", "closed_on"]))
    assert found and all(isinstance(p, Participant) for pr in found for p in pr.people or ())
    for pr in found:
        asked = [p for p in pr.people or () if p.role == "REVIEWER"]
        assert person["uuid"] in [p.id for p in asked]
        assert [p.login for p in asked] == [r["nickname"] for r in prs[pr.id]["reviewers"]]
        assert pr.approved_by == tuple(expected_review(prs[pr.id])["approved_by"])
        assert pr.reviewers is not None  # made from the same people, though not asked for


@pytest.mark.parametrize(("args", "message"), [
    (("--reviewer", " "), "--reviewer is empty"),
    (("--created-since", "last tuesday"), "is not a date"),
])
def test_bad_filter_values_are_exit_2_before_any_request(emulator: Emulator,
                                                         args: tuple[str, ...],
                                                         message: str) -> None:
    before = len(emulator.requests)
    run = bbpr("list", REPO, *args, env=cloud_environment(emulator))
    assert run.code == 2 and message in run.err and "Traceback" not in run.err
    assert len(emulator.requests) == before


def test_old_pull_requests_are_dated_one_by_one_once_the_feed_costs_more(
        emulator: Emulator) -> None:
    """The oldest twenty sit at the bottom of the feed, about fifty pages down: the walk
    gives up once it has cost as many requests as asking each of them would."""
    before = len(emulator.requests)
    records = listed(emulator, "--query", "id <= 20", "--fields", "id,state,closed_on")
    closes = emulator.cloud_closed_on("acme", "widgets")
    assert [r["id"] for r in records] == list(range(20, 0, -1))
    assert all(r["closed_on"] == iso_exact(closes.get(r["id"])) for r in records)
    spent = emulator.requests[before:]
    feed = sum(r.path.endswith("/pullrequests/activity") for r in spent)
    own = sum(r.path.endswith("/activity") for r in spent) - feed
    closed = sum(r["state"] != "OPEN" for r in records)
    assert own and feed <= closed and len(spent) <= 2 + 2 * closed


def test_a_feed_in_another_order_still_gives_every_close_time(
        fresh_emulator: Emulator) -> None:
    fresh_emulator.settings.activity_oldest_first = True
    before = len(fresh_emulator.requests)
    run = bbpr("list", REPO, "--state", "all", "--format", "json", "--fields", "id,closed_on",
               "--limit", "60", env=cloud_environment(fresh_emulator))
    assert run.code == 0, run.err
    closes = fresh_emulator.cloud_closed_on("acme", "widgets")
    records = json.loads(run.out)
    assert len(records) == 60 and any(r["closed_on"] for r in records)
    assert all(r["closed_on"] == iso_exact(closes.get(r["id"])) for r in records)
    # Oldest first, the newest pull requests' closes are at the far end: the walk cannot
    # stop early, so it hands over to asking one by one, within twice that cost.
    assert len(fresh_emulator.requests) - before <= 2 + 2 * 60


def test_reviewer_at_me_is_the_credential_s_owner(emulator: Emulator) -> None:
    prs = truth(emulator)
    me = next(r for pr in prs for r in pr["reviewers"] if r["nickname"] == "dana")
    run = bbpr("list", REPO, "--state", "all", "--reviewer", "@me", "--format", "ids",
               env=cloud_environment(emulator))
    assert run.code == 0, run.err
    expected = {pr["id"] for pr in prs if me["uuid"] in {r["uuid"] for r in pr["reviewers"]}}
    assert expected and set(map(int, run.out.split())) == expected
    cached = bbpr("list", REPO, "--reviewer", "@me", "--cached", env=cloud_environment(emulator))
    assert cached.code == 2 and "--reviewer" in cached.err


@pytest.mark.parametrize("refused", ["reviewers.", "created_on", "draft"])
def test_a_review_filter_the_server_refuses_is_applied_by_bbpr(fresh_emulator: Emulator,
                                                               refused: str) -> None:
    """A 400 on a condition bbpr added means "filter here": every record is checked."""
    from bbpr.emulator.messages import Request, Response, error_response

    def refuse(request: Request) -> Response | None:
        q = request.query.get("q", [""])[-1]
        if request.path.endswith("/pullrequests") and refused in q:
            return error_response(400, f"Invalid query: {refused} is not filterable")
        return None

    fresh_emulator.hooks.append(refuse)
    prs = truth(fresh_emulator)
    person = prs[3]["reviewers"][0]
    since = sorted(pr["created_on"] for pr in prs)[len(prs) // 3]
    run = bbpr("list", REPO, "--state", "all", "--reviewer", person["nickname"],
               "--created-since", since, "--no-draft", "--format", "ids",
               env=cloud_environment(fresh_emulator))
    assert run.code == 0, run.err
    expected = {pr["id"] for pr in prs if not pr["draft"]
                and person["uuid"] in {r["uuid"] for r in pr["reviewers"]}
                and datetime.fromisoformat(pr["created_on"]) >= datetime.fromisoformat(since)}
    assert expected and set(map(int, run.out.split())) == expected
    assert any(r.status == 400 for r in fresh_emulator.requests)  # refused, then done here
