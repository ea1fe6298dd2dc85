"""Review events on Data Center: each pull request's activities, read in offset pages that
must join, through the real command line. Activities that arrive during the reading shift
the pages down (the repeats are dropped); one that goes shifts them up (the page is read
again from further back); either way nothing is lost and nothing stored twice."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bbpr.emulator import Emulator
from bbpr.emulator.messages import Request, Response, json_response

from ..conftest import base_environment, bbpr
from ..copy.test_sync_review_events import DATA_ENDS, stored, truth

TARGET = "ACME/widgets"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(prs=30, seed=41, now=DATA_ENDS) as emulator:
        emulator.settings.dc_max_limit = 4  # pages of four activities: most need several
        yield emulator


def sync(emu: Emulator, path: Path) -> list[Request]:
    before = len(emu.requests)
    env = base_environment() | {"BITBUCKET_SERVER": emu.datacenter_url,
                                "BITBUCKET_TOKEN": emu.dc_demo.token,
                                "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}
    run = bbpr("sync", TARGET, "--review-events", "--db", str(path), env=env)
    assert run.code == 0, run.err
    return [request for request in emu.requests[before:]
            if request.path.endswith("/activities")]


def activities_of(emu: Emulator, number: int) -> int:
    return sum(1 for row in truth(emu, TARGET, "datacenter").elements() if row[0] == number)


def test_small_pages_overlap_by_one_and_every_activity_is_kept_once(
        emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    asked = sync(emu, path)
    assert stored(path, TARGET) == truth(emu, TARGET, "datacenter")
    for number in (1, 7, 30):
        starts = [int(r.query["start"][0]) for r in asked
                  if r.path.endswith(f"/pull-requests/{number}/activities")]
        count = activities_of(emu, number)
        # 0, 3, 6, ...: each page from the last record of the one before, to the end.
        assert starts == list(range(0, max(count - 1, 1), 3))
    with sqlite3.connect(path) as db:
        keys = db.execute("SELECT count(*), count(DISTINCT pull_request_id || event_key) "
                          "FROM review_events").fetchone()
    assert keys[0] == keys[1] == sum(truth(emu, TARGET, "datacenter").values())


def test_an_activity_arriving_while_the_pages_are_read_shifts_them_down(
        emu: Emulator, tmp_path: Path) -> None:
    pulls = emu.dc_pull_requests("ACME", "widgets")
    pr = next(p for p in pulls if p["state"] == "OPEN" and activities_of(emu, p["id"]) > 8)
    reviewer = next(name for name in ("mei", "sam", "alex")
                    if name != pr["author"]["user"]["name"])
    before = truth(emu, TARGET, "datacenter")
    seen = []

    def review_on_the_second_page(request: Request) -> None:
        if request.path.endswith(f"/pull-requests/{pr['id']}/activities"):
            seen.append(request)
            if len(seen) == 2:
                emu.review("ACME", "widgets", pr["id"], reviewer, "approved",
                           flavour="datacenter")

    stop = emu.on_request(review_on_the_second_page)
    path = tmp_path / "copy.sqlite"
    try:
        sync(emu, path)
    finally:
        stop()
    assert stored(path, TARGET) == before  # all read before it, none twice, none lost
    assert stored(path, TARGET) != truth(emu, TARGET, "datacenter")
    sync(emu, path)  # it moved the pull request's update time: the next sync has it
    assert stored(path, TARGET) == truth(emu, TARGET, "datacenter")


def test_an_activity_gone_while_the_pages_are_read_is_met_by_reading_from_further_back(
        emu: Emulator, tmp_path: Path) -> None:
    number = next(n for n in range(1, 31) if activities_of(emu, n) > 8)
    shifted = []

    def shift_up_once(request: Request, response: Response) -> Response:
        """The first later page of one pull request answers as if an activity before it
        had gone: everything one place up, so it no longer meets the page before."""
        if (response.status != 200 or shifted or int(request.query.get("start", ["0"])[0]) == 0
                or not request.path.endswith(f"/pull-requests/{number}/activities")):
            return response
        shifted.append(request)
        body = json.loads(response.body)
        body["values"] = body["values"][1:]
        return json_response(200, body)

    emu.rewrites.append(shift_up_once)
    path = tmp_path / "copy.sqlite"
    asked = sync(emu, path)
    assert shifted, "the lie was told"
    starts = [int(r.query["start"][0]) for r in asked
              if r.path.endswith(f"/pull-requests/{number}/activities")]
    assert starts[:4] == [0, 3, 0, 3]  # the page that did not join, read again from before
    assert stored(path, TARGET) == truth(emu, TARGET, "datacenter")


def test_a_pull_request_deleted_before_its_activities_are_read_is_no_failure(
        emu: Emulator, tmp_path: Path) -> None:
    deleted = []

    def delete_it_first(request: Request) -> None:
        if request.path.endswith("/pull-requests/12/activities") and not deleted:
            deleted.append(request)
            emu.delete_pull_request("ACME", "widgets", 12)

    stop = emu.on_request(delete_it_first)
    path = tmp_path / "copy.sqlite"
    try:
        sync(emu, path)  # exit 0: the pull request is gone, not the repository
    finally:
        stop()
    assert deleted
    expected = truth(emu, TARGET, "datacenter")
    assert stored(path, TARGET) == expected and not any(row[0] == 12 for row in expected)
