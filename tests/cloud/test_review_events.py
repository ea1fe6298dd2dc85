"""Review events on Cloud, through the real command line: the feed is trimmed by naming what
to leave out (a kind bbpr does not know survives), a server that withholds a key when
trimmed is asked again whole, and a feed in another order still gives every event, asking
each pull request's own feed where that is cheaper."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bbpr.emulator import Emulator
from bbpr.emulator.messages import Request, Response, json_response

from ..conftest import bbpr, cloud_environment
from ..copy.test_sync_review_events import DATA_ENDS, stored, truth

TARGET = "acme/widgets"
FEED = "/2.0/repositories/acme/widgets/pullrequests/activity"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(prs=90, seed=43, now=DATA_ENDS) as emulator:
        yield emulator


def sync(emu: Emulator, path: Path, *args: str) -> list[Request]:
    before = len(emu.requests)
    run = bbpr("sync", TARGET, "--review-events", *args, "--db", str(path),
               env=cloud_environment(emu, BBPR_CONFIG_DIR="/nonexistent/bbpr"))
    assert run.code == 0, run.err
    return [request for request in emu.requests[before:] if "/activity" in request.path]


def test_fields_name_what_to_leave_out_so_an_unknown_kind_survives(
        emu: Emulator, tmp_path: Path) -> None:
    emu.settings.unknown_activity = "task_created"
    path = tmp_path / "copy.sqlite"
    asked = sync(emu, path)
    first = next(request for request in asked if "fields" in request.query)
    paths = first.query["fields"][-1].split(",")
    assert paths and all(path.startswith("-values.") for path in paths)
    assert not any("task_created" in path for path in paths)
    rows = stored(path, TARGET)
    assert rows == truth(emu, TARGET)
    assert sum(1 for row in rows if row[1] == "other:task_created") == 90 // 3


def test_a_feed_that_withholds_a_key_when_trimmed_is_asked_for_whole(
        emu: Emulator, tmp_path: Path) -> None:
    def drop_dates_when_trimmed(request: Request, response: Response) -> Response:
        if (response.status != 200 or not request.path.endswith("/activity")
                or "fields" not in request.query):
            return response
        body = json.loads(response.body)
        for entry in body["values"]:
            entry.get("approval", {}).pop("date", None)
        return json_response(200, body)

    emu.rewrites.append(drop_dates_when_trimmed)
    path = tmp_path / "copy.sqlite"
    asked = sync(emu, path)
    assert "fields" in asked[0].query and "fields" not in asked[1].query
    assert asked[0].path == asked[1].path == FEED and not asked[1].query.get("ctx")
    assert all("fields" not in request.query for request in asked[1:])
    assert stored(path, TARGET) == truth(emu, TARGET)


def test_a_feed_oldest_first_still_gives_every_event(emu: Emulator, tmp_path: Path) -> None:
    emu.settings.activity_oldest_first = True
    path = tmp_path / "copy.sqlite"
    sync(emu, path)  # a first pass reads the whole feed anyway
    assert stored(path, TARGET) == truth(emu, TARGET)

    opened = [pr for pr in emu.pull_requests("acme", "widgets") if pr["state"] == "OPEN"]
    for pr in opened[:3]:
        who = next(n for n in ("mei", "sam", "alex") if n != pr["author"]["nickname"])
        emu.review("acme", "widgets", pr["id"], who, "approved")
    asked = sync(emu, path)
    # The walk cannot stop early on a feed in this order: once it has cost as much as the
    # three pull requests' own feeds would, it asks those.
    own = sorted(int(r.path.split("/")[-2]) for r in asked if r.path != FEED)
    assert own == sorted(pr["id"] for pr in opened[:3])
    assert sum(r.path == FEED for r in asked) == 3
    assert stored(path, TARGET) == truth(emu, TARGET)
