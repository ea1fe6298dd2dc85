"""Clients written without bbpr see exactly the ground truth.

If these pass, a plain script and atlassian-python-api (which asks for `.../pullrequests/`
with a trailing slash, puts the state condition in `q`, follows `next` and then fetches
every pull request by id) both work against the emulator as they do against Bitbucket.
"""

from __future__ import annotations

from typing import Any

import requests
from atlassian.bitbucket import Cloud

from bbpr.emulator import Emulator

ALL_STATES = ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]


def test_plain_requests_loop(emu: Emulator, truth: list[dict[str, Any]]) -> None:
    seen: list[int] = []
    with requests.Session() as session:
        session.auth = (emu.demo.email, emu.demo.api_token)
        url: str | None = f"{emu.cloud_api_url}/repositories/acme/widgets/pullrequests"
        params: dict[str, Any] | None = {"pagelen": 50, "state": ALL_STATES}
        while url:
            response = session.get(url, params=params)
            response.raise_for_status()
            page = response.json()
            seen.extend(pr["id"] for pr in page["values"])
            url, params = page.get("next"), None
    assert sorted(seen) == [pr["id"] for pr in truth]
    assert len(seen) == len(set(seen))


def test_atlassian_python_api(emu: Emulator, truth: list[dict[str, Any]]) -> None:
    cloud = Cloud(url=emu.base_url, username=emu.demo.email, password=emu.demo.api_token)
    repository = cloud.repositories.get("acme", "widgets")
    assert repository.slug == "widgets"
    every_state = " OR ".join(f'state="{state}"' for state in ALL_STATES)
    pulls = list(repository.pullrequests.each(q=every_state))
    assert sorted(pr.id for pr in pulls) == [pr["id"] for pr in truth]
    by_id = {pr["id"]: pr for pr in truth}
    for pr in pulls:
        assert pr.title == by_id[pr.id]["title"]
        assert pr.author.display_name == by_id[pr.id]["author"]["display_name"]
        assert pr.created_on is not None


def test_atlassian_python_api_state_by_state(emu: Emulator, truth: list[dict[str, Any]]) -> None:
    cloud = Cloud(url=emu.base_url, username=emu.demo.email, password=emu.demo.api_token)
    pullrequests = cloud.workspaces.get("acme").repositories.get("widgets").pullrequests
    for state in ALL_STATES:
        ids = sorted(pr.id for pr in pullrequests.each(q=f'state="{state}"', sort="-updated_on"))
        assert ids == [pr["id"] for pr in truth if pr["state"] == state]
    open_ids = sorted(pr.id for pr in pullrequests.each())  # no q: the OPEN default
    assert open_ids == [pr["id"] for pr in truth if pr["state"] == "OPEN"]


def test_atlassian_python_api_workspaces(emu: Emulator) -> None:
    cloud = Cloud(url=emu.base_url, username=emu.demo.email, password=emu.demo.api_token)
    assert sorted(ws.slug for ws in cloud.workspaces.each()) == ["acme", "jobsearchdemo"]
    assert cloud.workspaces.exists("jobsearchdemo")
    assert not cloud.workspaces.exists("jobSearchDemo")
    names = sorted(r.name for r in cloud.workspaces.get("acme").repositories.each())
    assert names == ["API-Gateway", "Big Repo", "infra", "widgets"]
