"""Changes while serving: create, merge, touch, delete; the clock; changes mid-listing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from bbpr.emulator import Emulator, ManualClock
from bbpr.emulator.data import NOW
from bbpr.emulator.messages import Request

START = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
EVERY_STATE = {"state": ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]}


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def emu(clock: ManualClock) -> Iterator[Emulator]:
    """An emulator of one's own (these tests change data), on a manual clock."""
    # Its data ends before the clock starts, on a fixed day the times below are written for.
    with Emulator(prs=40, seed=9, now=START - timedelta(hours=21)) as emulator:
        emulator.clock = clock
        yield emulator


def cloud(emu: Emulator) -> requests.Session:
    session = requests.Session()
    session.auth = (emu.demo.email, emu.demo.api_token)
    return session


def dc(emu: Emulator) -> requests.Session:
    session = requests.Session()
    session.auth = (emu.dc_demo.username, emu.dc_demo.password)
    return session


def cloud_url(emu: Emulator) -> str:
    return f"{emu.cloud_api_url}/repositories/acme/widgets/pullrequests"


def dc_url(emu: Emulator) -> str:
    return f"{emu.datacenter_url}/rest/api/latest/projects/ACME/repos/widgets/pull-requests"


def by_id(prs: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {pr["id"]: pr for pr in prs}


def test_manual_clock() -> None:
    clock = ManualClock(START)
    assert clock() == START
    assert clock.advance(90) == START + timedelta(seconds=90) == clock()
    assert ManualClock()() > NOW  # after the generated data
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 7, 1))


def test_cloud_create_merge_touch(emu: Emulator, clock: ManualClock) -> None:
    session = cloud(emu)
    number = emu.create_pull_request("acme", "widgets", title="Live one", author="alex",
                                     destination_branch="develop", draft=True)  # fmt: skip
    assert number == 41
    truth = by_id(emu.pull_requests("acme", "widgets"))[41]
    assert (truth["title"], truth["author"]["nickname"], truth["state"]) == ("Live one", "alex",
                                                                           "OPEN")  # fmt: skip
    assert truth["destination"]["branch"]["name"] == "develop" and truth["draft"] is True
    assert truth["created_on"] == truth["updated_on"] == START.isoformat(timespec="microseconds")
    first = session.get(cloud_url(emu)).json()["values"][0]
    assert first["id"] == 41  # newest first, visible to the very next request

    clock.advance(60)
    emu.set_state("acme", "widgets", 41, "MERGED")
    merged = session.get(f"{cloud_url(emu)}/41").json()
    assert (merged["state"], merged["draft"]) == ("MERGED", False)
    assert merged["updated_on"].startswith("2026-07-01T09:01:00")
    assert merged["closed_by"] is not None and merged["merge_commit"] is not None
    open_ids = [
        pr["id"] for pr in session.get(cloud_url(emu), params={"pagelen": 50}).json()["values"]
    ]
    assert 41 not in open_ids

    clock.advance(60)
    emu.touch("acme", "widgets", 3)
    params = {"sort": "-updated_on", **EVERY_STATE}
    latest = session.get(cloud_url(emu), params=params).json()["values"][0]
    assert (latest["id"], latest["updated_on"][:19]) == (3, "2026-07-01T09:02:00")
    emu.set_state("acme", "widgets", 41, "open")  # reopening clears the closing
    assert by_id(emu.pull_requests("acme", "widgets"))[41]["closed_by"] is None


def test_cloud_supersede_and_description(emu: Emulator) -> None:
    number = emu.create_pull_request("acme", "widgets", state="SUPERSEDED",
                                     description="Replaced by a better one")  # fmt: skip
    pr = by_id(emu.pull_requests("acme", "widgets"))[number]
    assert pr["state"] == "SUPERSEDED" and pr["description"] == "Replaced by a better one"
    assert pr["rendered"]["description"]["html"] == "<p>Replaced by a better one</p>"


def test_data_center_create_merge_touch_delete(emu: Emulator, clock: ManualClock) -> None:
    session = dc(emu)
    before = by_id(emu.dc_pull_requests("ACME", "widgets"))
    number = emu.create_pull_request("ACME", "widgets", flavour="datacenter", author="priya")
    assert number == max(before) + 1
    created = session.get(f"{dc_url(emu)}/{number}").json()
    assert created["author"]["user"]["name"] == "priya"
    assert created["createdDate"] == created["updatedDate"] == ms(START)
    assert session.get(dc_url(emu)).json()["values"][0]["id"] == number  # NEWEST: updated first

    clock.advance(120)
    emu.set_state("ACME", "widgets", number, "DECLINED", flavour="datacenter")
    declined = session.get(f"{dc_url(emu)}/{number}").json()
    assert (declined["state"], declined["closed"], declined["open"]) == ("DECLINED", True, False)
    assert declined["closedDate"] == declined["updatedDate"] == ms(START) + 120_000
    assert declined["version"] == created["version"] + 1

    clock.advance(60)
    emu.touch("ACME", "widgets", 1, flavour="datacenter")
    everything = session.get(dc_url(emu), params={"state": "ALL"}).json()["values"]
    assert everything[0]["id"] == 1 and everything[0]["updatedDate"] == ms(START) + 180_000

    emu.delete_pull_request("ACME", "widgets", number)
    assert session.get(f"{dc_url(emu)}/{number}").status_code == 404
    assert number not in by_id(emu.dc_pull_requests("ACME", "widgets"))
    again = emu.create_pull_request("ACME", "widgets", flavour="datacenter")
    assert again == number + 1  # ids are never reused


def test_a_listing_by_page_shows_the_shift(emu: Emulator) -> None:
    """Cloud, newest id first: a pull request created between two pages pushes the last
    item of page 1 onto page 2, so a page-numbered listing sees it twice."""
    session = cloud(emu)
    page1 = session.get(cloud_url(emu), params={"pagelen": 10, **EVERY_STATE}).json()
    emu.create_pull_request("acme", "widgets")
    page2 = session.get(page1["next"]).json()
    ids1 = [pr["id"] for pr in page1["values"]]
    ids2 = [pr["id"] for pr in page2["values"]]
    assert ids2[0] == ids1[-1]  # repeated


def test_a_touch_mid_listing_hides_a_pull_request(emu: Emulator) -> None:
    """Data Center, NEWEST = most recently updated first: a pull request updated while a
    client pages jumps to page 1, so a `start`-based listing never sees it."""
    session = dc(emu)
    page1 = session.get(dc_url(emu), params={"state": "ALL", "limit": 10}).json()
    later = session.get(dc_url(emu), params={"state": "ALL", "start": 10, "limit": 100}).json()
    victim = later["values"][5]["id"]
    emu.touch("ACME", "widgets", victim, flavour="datacenter")
    rest = session.get(dc_url(emu), params={"state": "ALL", "start": 10, "limit": 100}).json()
    seen = {pr["id"] for pr in page1["values"] + rest["values"]}
    assert victim not in seen
    assert len(seen) == len(emu.dc_pull_requests("ACME", "widgets")) - 1


def test_change_on_the_nth_pull_request_list(emu: Emulator) -> None:
    session = cloud(emu)
    created: list[int] = []
    emu.on_pull_request_list(2, lambda: created.append(emu.create_pull_request("acme", "widgets")))
    page1 = session.get(cloud_url(emu), params={"pagelen": 10, **EVERY_STATE}).json()
    assert created == [] and page1["values"][0]["id"] == 40
    session.get(f"{emu.cloud_api_url}/repositories/acme/widgets")  # not a list: not counted
    assert created == []
    page2 = session.get(page1["next"]).json()
    assert created == [41]
    assert page2["values"][0]["id"] == page1["values"][-1]["id"]  # the shift, on cue
    session.get(cloud_url(emu))
    assert created == [41]  # once only


def test_change_on_a_data_center_list_only(emu: Emulator) -> None:
    merged: list[int] = []
    remove = emu.on_pull_request_list(1, lambda: merged.append(1), flavour="datacenter")
    cloud(emu).get(cloud_url(emu))
    assert merged == []
    dc(emu).get(f"{emu.datacenter_url}/rest/api/1.0/users/dana/repos/notes/pull-requests")
    assert merged == [1]
    remove()  # harmless after it ran
    emu.on_pull_request_list(1, lambda: merged.append(2))()  # unregistered before any request
    dc(emu).get(dc_url(emu))
    assert merged == [1]


def test_on_request(emu: Emulator) -> None:
    seen: list[str] = []

    def remember(request: Request) -> None:
        seen.append(request.path)

    unregister = emu.on_request(remember)
    cloud(emu).get(f"{emu.cloud_api_url}/user")
    dc(emu).get(dc_url(emu))
    unregister()
    cloud(emu).get(f"{emu.cloud_api_url}/user")
    assert seen == ["/2.0/user", "/rest/api/latest/projects/ACME/repos/widgets/pull-requests"]


def test_wall_clock_by_default() -> None:
    with Emulator(prs=5) as emulator:
        before = datetime.now(UTC)
        number = emulator.create_pull_request("acme", "widgets")
        created = by_id(emulator.pull_requests("acme", "widgets"))[number]["created_on"]
        assert datetime.fromisoformat(created) >= before - timedelta(seconds=1)


def test_changes_are_checked(emu: Emulator) -> None:
    with pytest.raises(ValueError):
        emu.create_pull_request("ACME", "widgets", flavour="datacenter", state="SUPERSEDED")
    with pytest.raises(ValueError):
        emu.set_state("acme", "widgets", 1, "ALL")
    with pytest.raises(ValueError):
        emu.touch("acme", "widgets", 1, flavour="server")
    with pytest.raises(TypeError):
        emu.create_pull_request("acme", "widgets", colour="blue")
    with pytest.raises(KeyError):
        emu.create_pull_request("acme", "nope")
    with pytest.raises(KeyError):
        emu.create_pull_request("acme", "widgets", author="nobody")
    with pytest.raises(KeyError):
        emu.touch("acme", "widgets", 999)
    with pytest.raises(KeyError):
        emu.set_state("ACME", "widgets", 999, "MERGED", flavour="datacenter")
    with pytest.raises(KeyError):
        emu.delete_pull_request("ACME", "widgets", 999)
    emu.clock = lambda: datetime(2026, 7, 1)
    with pytest.raises(ValueError, match="timezone"):
        emu.touch("acme", "widgets", 1)


def test_changes_every_nth_list_request_on_cloud(emu: Emulator, clock: ManualClock) -> None:
    session = cloud(emu)
    before = by_id(emu.pull_requests("acme", "widgets"))
    emu.settings.changes_every = 2
    session.get(cloud_url(emu), params=EVERY_STATE)
    assert by_id(emu.pull_requests("acme", "widgets")) == before  # the 1st: no change
    clock.advance(1)
    session.get(cloud_url(emu), params=EVERY_STATE)
    after = by_id(emu.pull_requests("acme", "widgets"))
    assert set(after) == set(before) | {max(before) + 1}  # one created
    newest_open = max(number for number, pr in before.items() if pr["state"] == "OPEN")
    assert after[newest_open]["state"] == "MERGED"
    oldest = min(before.values(), key=lambda pr: (pr["updated_on"], pr["id"]))
    assert after[oldest["id"]]["updated_on"] > oldest["updated_on"]


def test_changes_delete_on_data_center(emu: Emulator, clock: ManualClock) -> None:
    session = dc(emu)
    before = by_id(emu.dc_pull_requests("ACME", "widgets"))
    emu.settings.changes_every = 1
    emu.settings.changes = frozenset({"delete"})
    page = session.get(dc_url(emu), params={"state": "ALL", "limit": 5}).json()
    after = by_id(emu.dc_pull_requests("ACME", "widgets"))
    newest = max(before.values(), key=lambda pr: (pr["updatedDate"], pr["id"]))
    assert set(after) == set(before) - {newest["id"]}
    assert page["values"][0]["id"] != newest["id"]  # deleted before it was answered
