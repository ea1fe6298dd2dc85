"""User, workspace and repository endpoints, single pull requests, and 404s."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
import requests

from bbpr.emulator import Emulator


def test_user(api: requests.Session, emu: Emulator) -> None:
    me = api.get(f"{emu.cloud_api_url}/user").json()
    assert me["type"] == "user"
    assert me["display_name"] == "Dana Demo"
    assert me["nickname"] == "dana"
    assert me["username"] == "dana-demo"
    assert me["uuid"].startswith("{") and me["uuid"].endswith("}")
    assert me["account_id"] == "557058:" + me["uuid"].strip("{}")
    assert me["links"]["self"]["href"].startswith(emu.cloud_api_url + "/users/%7B")


def test_user_workspaces(api: requests.Session, emu: Emulator) -> None:
    body = api.get(f"{emu.cloud_api_url}/user/workspaces").json()
    items = {item["workspace"]["slug"]: item for item in body["values"]}
    assert set(items) == {"acme", "jobsearchdemo"}
    assert items["acme"]["administrator"] is True
    assert items["jobsearchdemo"]["administrator"] is False
    assert items["jobsearchdemo"]["type"] == "workspace_access"
    workspace = items["jobsearchdemo"]["workspace"]
    assert workspace["name"] == "jobSearchDemo"
    assert workspace["type"] == "workspace" and workspace["uuid"].startswith("{")
    admins = api.get(f"{emu.cloud_api_url}/user/workspaces", params={"administrator": "true"})
    assert [i["workspace"]["slug"] for i in admins.json()["values"]] == ["acme"]


def test_workspace(api: requests.Session, emu: Emulator) -> None:
    workspace = api.get(f"{emu.cloud_api_url}/workspaces/jobsearchdemo").json()
    assert (workspace["slug"], workspace["name"]) == ("jobsearchdemo", "jobSearchDemo")
    assert (
        workspace["links"]["repositories"]["href"]
        == f"{emu.cloud_api_url}/repositories/jobsearchdemo"
    )
    by_uuid = api.get(f"{emu.cloud_api_url}/workspaces/{quote(workspace['uuid'])}")
    assert by_uuid.json()["slug"] == "jobsearchdemo"


def test_slugs_are_case_sensitive(api: requests.Session, emu: Emulator) -> None:
    response = api.get(f"{emu.cloud_api_url}/repositories/jobSearchDemo")
    assert response.status_code == 404
    assert response.json() == {
        "type": "error",
        "error": {"message": "No workspace with identifier 'jobSearchDemo'."},
    }
    assert api.get(f"{emu.cloud_api_url}/workspaces/jobSearchDemo").status_code == 404
    assert api.get(f"{emu.cloud_api_url}/repositories/acme/Widgets").status_code == 404


def test_unknown_repository(api: requests.Session, emu: Emulator) -> None:
    response = api.get(f"{emu.cloud_api_url}/repositories/acme/nope/pullrequests")
    assert response.status_code == 404
    assert response.json() == {
        "type": "error",
        "error": {"message": "Repository acme/nope not found"},
    }
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["x-credential-type"] == "api_token"


def test_repositories_of_a_workspace(api: requests.Session, emu: Emulator, follow: Any) -> None:
    repositories = follow(f"{emu.cloud_api_url}/repositories/acme", pagelen=2)
    assert [(r["slug"], r["name"]) for r in repositories] == [
        ("api-gateway", "API-Gateway"),
        ("big-repo", "Big Repo"),
        ("infra", "infra"),
        ("widgets", "widgets"),
    ]
    widgets = repositories[-1]
    assert widgets["full_name"] == "acme/widgets"
    assert widgets["is_private"] is True
    assert widgets["workspace"]["slug"] == "acme"
    assert widgets["mainbranch"] == {"name": "main", "type": "branch"}
    assert widgets["links"]["pullrequests"]["href"] == (
        f"{emu.cloud_api_url}/repositories/acme/widgets/pullrequests"
    )
    jobs = follow(f"{emu.cloud_api_url}/repositories/jobsearchdemo")
    assert [(r["slug"], r["name"]) for r in jobs] == [("job-search", "Job Search")]


def test_repository_sort_and_pagelen(api: requests.Session, emu: Emulator) -> None:
    url = f"{emu.cloud_api_url}/repositories/acme"
    names = [r["name"] for r in api.get(url, params={"sort": "-name"}).json()["values"]]
    assert names == ["widgets", "infra", "Big Repo", "API-Gateway"]
    assert api.get(url, params={"pagelen": 100}).status_code == 200
    assert api.get(url, params={"pagelen": 101}).json()["error"]["message"] == "Invalid pagelen"
    assert api.get(url, params={"sort": "nope"}).status_code == 400


def test_repository(api: requests.Session, emu: Emulator) -> None:
    repository = api.get(f"{emu.cloud_api_url}/repositories/acme/big-repo").json()
    assert repository["type"] == "repository"
    assert (repository["name"], repository["slug"]) == ("Big Repo", "big-repo")
    assert repository["links"]["html"]["href"] == "https://bitbucket.org/acme/big-repo"
    assert repository["project"]["type"] == "project"
    by_uuid = api.get(f"{emu.cloud_api_url}/repositories/acme/{quote(repository['uuid'])}")
    assert by_uuid.json()["slug"] == "big-repo"


def test_single_pull_request(api: requests.Session, pulls_url: str, truth: Any) -> None:
    response = api.get(f"{pulls_url}/42")
    assert response.status_code == 200
    assert response.json() == truth[41]
    assert (
        response.json()["links"]["html"]["href"]
        == "https://bitbucket.org/acme/widgets/pull-requests/42"
    )
    assert response.json()["links"]["self"]["href"] == f"{pulls_url}/42"


@pytest.mark.parametrize("number", ["0", "121", "99999"])
def test_unknown_pull_request(api: requests.Session, pulls_url: str, number: str) -> None:
    response = api.get(f"{pulls_url}/{number}")
    assert response.status_code == 404
    assert response.json()["type"] == "error"


def test_unknown_route_is_json_404(api: requests.Session, emu: Emulator) -> None:
    for url in (
        f"{emu.cloud_api_url}/nope",
        f"{emu.base_url}/elsewhere",
        f"{emu.cloud_api_url}/pullrequests/x/y",
    ):
        response = api.get(url)
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert response.json()["error"]["message"] == "Resource not found"


def test_wrong_method_is_405(api: requests.Session, emu: Emulator) -> None:
    response = api.delete(f"{emu.cloud_api_url}/user")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"


LINK_NAMES = {
    "self", "html", "commits", "approve", "request-changes", "diff", "diffstat", "comments",
    "activity", "merge", "decline", "statuses",
}  # fmt: skip


def test_pull_request_fields(truth: list[dict[str, Any]]) -> None:
    merged = next(pr for pr in truth if pr["state"] == "MERGED")
    opened = next(pr for pr in truth if pr["state"] == "OPEN")
    declined = next(pr for pr in truth if pr["state"] == "DECLINED")
    assert merged["merge_commit"]["hash"] and merged["closed_by"]["type"] == "user"
    assert opened["merge_commit"] is None and opened["closed_by"] is None
    assert declined["reason"] and declined["rendered"]["reason"]["raw"] == declined["reason"]
    assert any(pr["draft"] for pr in truth if pr["state"] == "OPEN")
    assert not any(pr["draft"] for pr in truth if pr["state"] != "OPEN")
    assert {pr["destination"]["branch"]["name"] for pr in truth} == {"main", "develop"}
    for pr in truth:
        assert pr["type"] == "pullrequest"
        assert pr["updated_on"] >= pr["created_on"]
        assert pr["created_on"].endswith("+00:00") and "." in pr["created_on"]
        assert pr["source"]["branch"]["name"].endswith(f"-{pr['id']}")
        assert pr["source"]["repository"]["full_name"] == "acme/widgets"
        assert len(pr["source"]["commit"]["hash"]) == 12
        assert pr["author"]["account_id"].startswith("557058:")
        assert set(pr["links"]) >= LINK_NAMES
    created = [pr["created_on"] for pr in truth]
    assert created == sorted(created)


def test_states_are_roughly_as_specified() -> None:
    emulator = Emulator(prs=2000, seed=3)
    prs = emulator.store.repositories[("acme", "widgets")].pull_requests
    share = {
        s: sum(pr.state == s for pr in prs) / len(prs)
        for s in ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")
    }
    assert 0.15 < share["OPEN"] < 0.25
    assert 0.50 < share["MERGED"] < 0.60
    assert 0.15 < share["DECLINED"] < 0.25
    assert 0.02 < share["SUPERSEDED"] < 0.08
