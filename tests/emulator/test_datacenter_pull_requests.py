"""Data Center's pull request list and single pull request: every parameter, paging, order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from bbpr.emulator import Emulator

Truth = list[dict[str, Any]]
Follow = Callable[..., list[dict[str, Any]]]


def newest_first(prs: Truth) -> list[int]:
    """NEWEST: most recently updated first, ties by id descending."""
    return [pr["id"] for pr in sorted(prs, key=lambda p: (p["updatedDate"], p["id"]), reverse=True)]


def listed(dc: requests.Session, url: str, **params: Any) -> dict[str, Any]:
    response = dc.get(url, params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    assert page["isLastPage"], "the whole listing should fit in one page here"
    return page


def ids(dc: requests.Session, url: str, **params: Any) -> list[int]:
    return [pr["id"] for pr in listed(dc, url, **params)["values"]]


def assert_bad_request(response: requests.Response, context: str) -> None:
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["context"] == context and error["message"]


def test_default_is_open_newest_first_25_per_page() -> None:
    """On a repository with more than 25 open pull requests (its own: the shared one's number
    depends on its seed's draws)."""
    with Emulator(prs=300, seed=1) as emu, requests.Session() as dc:
        dc.auth = (emu.dc_demo.username, emu.dc_demo.password)
        page = dc.get(f"{emu.datacenter_url}/rest/api/latest/projects/ACME/repos/widgets/"
                      "pull-requests").json()
        dc_truth = emu.dc_pull_requests("ACME", "widgets")
    open_prs = [pr for pr in dc_truth if pr["state"] == "OPEN"]
    assert len(open_prs) > 25
    assert set(page) == {"size", "limit", "isLastPage", "values", "start", "nextPageStart"}
    assert (page["size"], page["limit"], page["start"], page["isLastPage"]) == (25, 25, 0, False)
    assert page["nextPageStart"] == 25
    assert [pr["id"] for pr in page["values"]] == newest_first(open_prs)[:25]


@pytest.mark.parametrize("state", ["OPEN", "MERGED", "DECLINED", "merged", "Declined"])
def test_one_state(dc: requests.Session, dc_pulls_url: str, dc_truth: Truth, state: str) -> None:
    expected = [pr for pr in dc_truth if pr["state"] == state.upper()]
    assert expected, "the demo data has pull requests in every state"
    assert ids(dc, dc_pulls_url, state=state) == newest_first(expected)


@pytest.mark.parametrize("state", ["ALL", "all"])
def test_all_states(dc: requests.Session, dc_pulls_url: str, dc_truth: Truth, state: str) -> None:
    assert ids(dc, dc_pulls_url, state=state) == newest_first(dc_truth)
    assert {pr["state"] for pr in dc_truth} == {"OPEN", "MERGED", "DECLINED"}


@pytest.mark.parametrize("state", ["SUPERSEDED", "OPEN,MERGED", "nope"])
def test_bad_state_is_a_400(dc: requests.Session, dc_pulls_url: str, state: str) -> None:
    assert_bad_request(dc.get(dc_pulls_url, params={"state": state}), "state")


def test_order(emu: Emulator, dc: requests.Session, dc_pulls_url: str, dc_truth: Truth) -> None:
    newest = ids(dc, dc_pulls_url, state="ALL")
    assert ids(dc, dc_pulls_url, state="ALL", order="OLDEST") == newest[::-1]
    assert ids(dc, dc_pulls_url, state="ALL", order="oldest") == newest[::-1]
    assert ids(dc, dc_pulls_url, state="ALL", order="NEWEST") == newest
    assert ids(dc, dc_pulls_url, state="ALL", order="sideways") == newest  # falls back
    emu.settings.dc_order_by = "id"
    by_id = ids(dc, dc_pulls_url, state="ALL")
    assert by_id == sorted((pr["id"] for pr in dc_truth), reverse=True) != newest
    assert ids(dc, dc_pulls_url, state="ALL", order="OLDEST") == by_id[::-1]


def test_at_and_direction(dc: requests.Session, dc_pulls_url: str, dc_truth: Truth) -> None:
    into_develop = [pr for pr in dc_truth if pr["toRef"]["id"] == "refs/heads/develop"]
    assert 0 < len(into_develop) < len(dc_truth)
    for params in ({}, {"direction": "INCOMING"}, {"direction": "incoming"}):
        got = ids(dc, dc_pulls_url, state="ALL", at="refs/heads/develop", **params)
        assert got == newest_first(into_develop)
    source = dc_truth[7]["fromRef"]["id"]
    assert ids(dc, dc_pulls_url, state="ALL", at=source, direction="OUTGOING") == [8]
    assert ids(dc, dc_pulls_url, state="ALL", at=source) == []  # nothing merges INTO it
    assert ids(dc, dc_pulls_url, state="ALL", at="develop") == []  # not fully qualified
    assert_bad_request(dc.get(dc_pulls_url, params={"direction": "SIDEWAYS"}), "direction")


def test_draft(dc: requests.Session, dc_pulls_url: str, dc_truth: Truth) -> None:
    drafts = [pr for pr in dc_truth if pr["draft"]]
    assert drafts and all(pr["state"] == "OPEN" for pr in drafts)
    assert ids(dc, dc_pulls_url, state="ALL", draft="true") == newest_first(drafts)
    ready = [pr for pr in dc_truth if not pr["draft"]]
    assert ids(dc, dc_pulls_url, state="ALL", draft="false") == newest_first(ready)


def test_filter_text(dc: requests.Session, dc_pulls_url: str, dc_truth: Truth) -> None:
    for text in ("retry", "ACME-", "SSO CALLBACK", "under load"):
        expected = [
            pr for pr in dc_truth
            if text.lower() in (pr["title"] + "\n" + pr.get("description", "")).lower()
        ]  # fmt: skip
        assert expected, text
        assert ids(dc, dc_pulls_url, state="ALL", filterText=text) == newest_first(expected)
    assert any("description" not in pr for pr in dc_truth)  # empty ones are left out


def involved(pr: dict[str, Any], name: str, role: str | None = None, approved: bool | None = None):
    people = [pr["author"], *pr["reviewers"], *pr["participants"]]
    return any(
        p["user"]["name"] == name
        and role in (None, p["role"])
        and approved in (None, p["approved"])
        for p in people
    )


@pytest.mark.parametrize(
    ("name", "role", "approved"),
    [
        ("dana", "AUTHOR", None),
        ("dana", "author", None),
        ("alex", "REVIEWER", None),
        ("alex", "REVIEWER", True),
        ("priya", "REVIEWER", False),
        ("buildbot", "PARTICIPANT", None),
        ("mei", None, None),
        ("DANA", None, None),
    ],
)
def test_one_participant_filter(
    dc: requests.Session,
    dc_pulls_url: str,
    dc_truth: Truth,
    name: str,
    role: str | None,
    approved: bool | None,
) -> None:
    params: dict[str, Any] = {"state": "ALL", "username.1": name}
    if role:
        params["role.1"] = role
    if approved is not None:
        params["approved.1"] = str(approved).lower()
    expected = [
        pr for pr in dc_truth if involved(pr, name.lower(), role and role.upper(), approved)
    ]
    assert 0 < len(expected) < len(dc_truth)
    assert ids(dc, dc_pulls_url, **params) == newest_first(expected)


def test_participant_filters_are_anded_and_numbered_from_one(
    dc: requests.Session, dc_pulls_url: str, dc_truth: Truth
) -> None:
    params = {"username.1": "dana", "role.1": "AUTHOR", "username.2": "alex", "role.2": "REVIEWER"}
    expected = [
        pr for pr in dc_truth if involved(pr, "dana", "AUTHOR") and involved(pr, "alex", "REVIEWER")
    ]
    assert expected
    assert ids(dc, dc_pulls_url, state="ALL", **params) == newest_first(expected)
    # Numbering must start at 1 and be continuous: a lone username.2 filters nothing.
    assert ids(dc, dc_pulls_url, state="ALL", **{"username.2": "dana"}) == newest_first(dc_truth)
    response = dc.get(dc_pulls_url, params={"username.1": "dana", "role.1": "OWNER"})
    assert_bad_request(response, "role.1")


def test_with_properties_and_attributes(dc: requests.Session, dc_pulls_url: str) -> None:
    default = dc.get(dc_pulls_url, params={"limit": 5}).json()["values"]
    assert all("properties" in pr and "attributes" not in pr for pr in default)
    assert all("mergeResult" in pr["properties"] for pr in default)  # open ones
    bare = dc.get(dc_pulls_url, params={"limit": 5, "withProperties": "false",
                                        "withAttributes": "false"}).json()["values"]  # fmt: skip
    assert [pr["id"] for pr in bare] == [pr["id"] for pr in default]
    assert all("properties" not in pr and "attributes" not in pr for pr in bare)


def test_paging_covers_everything_exactly_once(
    emu: Emulator, dc_follow: Follow, dc_pulls_url: str, dc_truth: Truth
) -> None:
    for limit in (7, 25, 119, 120, 1000):
        got = [pr["id"] for pr in dc_follow(dc_pulls_url, state="ALL", limit=limit)]
        assert got == newest_first(dc_truth)
    emu.settings.dc_max_limit = 25
    got = [pr["id"] for pr in dc_follow(dc_pulls_url, state="ALL", limit=1000)]
    assert got == newest_first(dc_truth)


def test_limit_is_capped_silently(emu: Emulator, dc: requests.Session, dc_pulls_url: str) -> None:
    emu.settings.dc_max_limit = 25
    page = dc.get(dc_pulls_url, params={"state": "ALL", "limit": 100, "start": 10}).json()
    assert (page["limit"], page["size"], page["start"], page["nextPageStart"]) == (25, 25, 10, 35)


def test_last_page_and_beyond(dc: requests.Session, dc_pulls_url: str, dc_truth: Truth) -> None:
    total = len(dc_truth)
    page = dc.get(dc_pulls_url, params={"state": "ALL", "start": total - 3, "limit": 5}).json()
    assert (page["size"], page["isLastPage"], page["limit"]) == (3, True, 5)
    assert "nextPageStart" not in page
    exact = dc.get(dc_pulls_url, params={"state": "ALL", "start": total - 5, "limit": 5}).json()
    assert exact["isLastPage"] and exact["size"] == 5
    beyond = dc.get(dc_pulls_url, params={"state": "ALL", "start": total + 10}).json()
    assert beyond == {"size": 0, "limit": 25, "isLastPage": True, "values": [],
                      "start": total + 10}  # fmt: skip


@pytest.mark.parametrize(
    ("params", "context"),
    [({"limit": "ten"}, "limit"), ({"limit": 0}, "limit"), ({"start": -1}, "start"),
     ({"start": "x"}, "start")],
)  # fmt: skip
def test_bad_paging_is_a_400(
    dc: requests.Session, dc_pulls_url: str, params: dict[str, Any], context: str
) -> None:
    assert_bad_request(dc.get(dc_pulls_url, params=params), context)


def test_single_pull_request_is_the_ground_truth(
    emu: Emulator, dc: requests.Session, dc_api: str, dc_truth: Truth
) -> None:
    for pr in (dc_truth[0], dc_truth[41], dc_truth[-1]):
        for version in ("latest", "1.0"):
            url = f"{emu.datacenter_url}/rest/api/{version}/projects/ACME/repos/widgets"
            assert dc.get(f"{url}/pull-requests/{pr['id']}").json() == pr
    listed_page = listed(dc, f"{dc_api}/projects/ACME/repos/widgets/pull-requests", state="ALL")
    assert sorted(listed_page["values"], key=lambda p: p["id"]) == dc_truth


@pytest.mark.parametrize("number", ["999", "0", "abc"])
def test_unknown_pull_request(dc: requests.Session, dc_pulls_url: str, number: str) -> None:
    response = dc.get(f"{dc_pulls_url}/{number}")
    assert response.status_code == 404
    (error,) = response.json()["errors"]
    assert error["exceptionName"].endswith(".NoSuchPullRequestException")
    assert error["message"] == f"Pull request {number} does not exist in ACME/widgets."


def test_pull_request_object(emu: Emulator, dc_truth: Truth) -> None:
    base = emu.datacenter_url
    for pr in dc_truth:
        closed = pr["state"] != "OPEN"
        assert (pr["open"], pr["closed"], "closedDate" in pr) == (not closed, closed, closed)
        assert isinstance(pr["createdDate"], int) and pr["createdDate"] > 1_600_000_000_000
        assert pr["createdDate"] <= pr["updatedDate"] <= pr.get("closedDate", pr["updatedDate"])
        assert pr["author"]["role"] == "AUTHOR" and pr["author"]["user"]["type"] == "NORMAL"
        assert set(pr["author"]["user"]) == {"name", "emailAddress", "id", "displayName",
                                             "active", "slug", "type", "links"}  # fmt: skip
        for side in ("fromRef", "toRef"):
            ref = pr[side]
            assert ref["id"] == "refs/heads/" + ref["displayId"] and ref["type"] == "BRANCH"
            assert len(ref["latestCommit"]) == 40
            assert ref["repository"]["slug"] == "widgets"
            assert ref["repository"]["project"]["key"] == "ACME"
        href = pr["links"]["self"][0]["href"]
        assert href == f"{base}/projects/ACME/repos/widgets/pull-requests/{pr['id']}"
    sizes = sorted(len(requests.models.complexjson.dumps(pr)) for pr in dc_truth)
    assert 3000 < sizes[len(sizes) // 2] < 6000  # a few KB each, like the real thing


def test_personal_repository(
    emu: Emulator, dc: requests.Session, dc_api: str, dc_follow: Follow
) -> None:
    truth = emu.dc_pull_requests("~dana", "notes")
    assert truth == emu.dc_pull_requests("~DANA", "notes")
    # Also at the user-centric address, with or without the "~" (atlassian-python-api's way).
    for owner in ("projects/~dana", "projects/~DANA", "users/dana", "users/~dana"):
        listed_prs = dc_follow(f"{dc_api}/{owner}/repos/notes/pull-requests", state="ALL")
        assert sorted(pr["id"] for pr in listed_prs) == [pr["id"] for pr in truth]
        one = dc.get(f"{dc_api}/{owner}/repos/notes/pull-requests/{truth[1]['id']}").json()
        assert one == truth[1]
        repository = dc.get(f"{dc_api}/{owner}/repos/notes").json()
        assert repository == truth[0]["toRef"]["repository"]
    pr = truth[0]
    assert pr["links"]["self"][0]["href"] == (
        f"{emu.datacenter_url}/users/dana/repos/notes/pull-requests/{pr['id']}"
    )
    project = pr["toRef"]["repository"]["project"]
    assert (project["key"], project["type"], project["owner"]["name"]) == ("~DANA", "PERSONAL",
                                                                         "dana")  # fmt: skip
    assert project["links"]["self"][0]["href"] == f"{emu.datacenter_url}/users/dana"


def test_add_dc_repository() -> None:
    with Emulator(prs=5) as emulator:
        slug = emulator.add_dc_repository("ACME", "Mobile App", prs=12, states={"OPEN": 1})
        assert slug == "mobile-app"
        truth = emulator.dc_pull_requests("ACME", slug)
        assert [pr["id"] for pr in truth] == list(range(1, 13))
        assert {pr["state"] for pr in truth} == {"OPEN"}
        assert emulator.add_dc_repository("ops", "Tools", prs=3, slug="tooling") == "tooling"
        assert len(emulator.dc_pull_requests("OPS", "tooling")) == 3
        with pytest.raises(ValueError, match="already exists"):
            emulator.add_dc_repository("ACME", "mobile app")
        with pytest.raises(ValueError, match="states"):
            emulator.add_dc_repository("ACME", "x", states={"SUPERSEDED": 1})
        with pytest.raises(KeyError):
            emulator.dc_pull_requests("ACME", "nope")


def test_same_seed_same_data() -> None:
    one, two, other = Emulator(prs=30, seed=3), Emulator(prs=30, seed=3), Emulator(prs=30, seed=4)
    assert one.dc_pull_requests("ACME", "widgets") == two.dc_pull_requests("ACME", "widgets")
    assert one.dc_pull_requests("~dana", "notes") == two.dc_pull_requests("~dana", "notes")
    assert one.dc_demo == two.dc_demo
    assert one.dc_pull_requests("ACME", "widgets") != other.dc_pull_requests("ACME", "widgets")
    assert one.dc_demo.token != other.dc_demo.token
