"""Data Center clients written without bbpr see exactly the ground truth.

atlassian-python-api's `Bitbucket` (the Data Center / Server client) sends `order=newest`
in lower case, `limit=100`, and pages by `nextPageStart` under `/rest/api/1.0`; a plain
`requests` loop with a personal token as Bearer does the same by hand.
"""

from __future__ import annotations

from typing import Any

import requests
from atlassian import Bitbucket

from bbpr.emulator import Emulator


def test_atlassian_python_api(emu: Emulator, dc_truth: list[dict[str, Any]]) -> None:
    demo = emu.dc_demo
    bitbucket = Bitbucket(url=emu.datacenter_url, username=demo.username, password=demo.password)
    pulls = list(bitbucket.get_pull_requests(demo.project, demo.repo_slug, state="ALL"))
    assert sorted(pr["id"] for pr in pulls) == [pr["id"] for pr in dc_truth]
    assert len(pulls) == len({pr["id"] for pr in pulls})
    assert sorted(pulls, key=lambda pr: pr["id"]) == dc_truth
    open_ids = sorted(pr["id"] for pr in bitbucket.get_pull_requests("ACME", "widgets"))
    assert open_ids == [pr["id"] for pr in dc_truth if pr["state"] == "OPEN"]
    oldest = list(bitbucket.get_pull_requests("ACME", "widgets", state="ALL", order="oldest"))
    assert [pr["id"] for pr in oldest] == [pr["id"] for pr in pulls][::-1]
    one = bitbucket.get_pull_request("ACME", "widgets", dc_truth[3]["id"])
    assert one == dc_truth[3]


def test_atlassian_python_api_projects_and_repositories(emu: Emulator) -> None:
    bitbucket = Bitbucket(url=emu.datacenter_url, token=emu.dc_demo.token)
    assert [p["key"] for p in bitbucket.project_list()] == ["ACME"]
    assert bitbucket.project("ACME")["name"] == "Acme"
    slugs = [r["slug"] for r in bitbucket.repo_all_list("ACME")]
    assert slugs == ["api-gateway", "big-repo", "widgets"]
    assert bitbucket.get_repo("~dana", "notes")["project"]["type"] == "PERSONAL"


def test_plain_requests_loop_with_a_token(emu: Emulator, dc_truth: list[dict[str, Any]]) -> None:
    url = f"{emu.datacenter_url}/rest/api/latest/projects/ACME/repos/widgets/pull-requests"
    seen: list[int] = []
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {emu.dc_demo.token}"
        params: dict[str, Any] = {"state": "ALL", "limit": 50}
        while True:
            page = session.get(url, params=params).json()
            seen.extend(pr["id"] for pr in page["values"])
            if page["isLastPage"]:
                break
            params["start"] = page["nextPageStart"]
    assert sorted(seen) == [pr["id"] for pr in dc_truth]
