"""Fixtures for the emulator's own tests: one shared emulator, real HTTP on 127.0.0.1."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from bbpr.emulator import Emulator


@pytest.fixture(scope="session")
def emu() -> Iterator[Emulator]:
    """Shared by all tests that only read; tests that change data build their own."""
    with Emulator(prs=120, seed=1) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def _restore_settings(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests may flip settings on the shared emulator; put them back afterwards."""
    if "emu" not in request.fixturenames:
        yield
        return
    emulator: Emulator = request.getfixturevalue("emu")
    saved = copy.deepcopy(emulator.settings)  # deep: `faults` is changed in place too
    clock = emulator.clock
    yield
    for field in dataclasses.fields(saved):
        setattr(emulator.settings, field.name, getattr(saved, field.name))
    emulator.clock = clock


@pytest.fixture(scope="session")
def api(emu: Emulator) -> Iterator[requests.Session]:
    """A session authenticated the right way: Basic with the account email and API token."""
    with requests.Session() as session:
        session.auth = (emu.demo.email, emu.demo.api_token)
        yield session


@pytest.fixture(scope="session")
def pulls_url(emu: Emulator) -> str:
    return f"{emu.cloud_api_url}/repositories/acme/widgets/pullrequests"


@pytest.fixture(scope="session")
def truth(emu: Emulator) -> list[dict[str, Any]]:
    """Every pull request of the demo repository, id ascending."""
    return emu.pull_requests("acme", "widgets")


Follow = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="session")
def follow(api: requests.Session) -> Follow:
    """Every item of a paged collection, following `next` until it is absent."""

    def collect(url: str, session: requests.Session = api, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        response = session.get(url, params=params)
        while True:
            assert response.status_code == 200, response.text
            page = response.json()
            items.extend(page["values"])
            if "next" not in page:
                return items
            response = session.get(page["next"])

    return collect


# --- Data Center ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dc(emu: Emulator) -> Iterator[requests.Session]:
    """A session authenticated the usual Data Center way: Basic with name and password."""
    with requests.Session() as session:
        session.auth = (emu.dc_demo.username, emu.dc_demo.password)
        yield session


@pytest.fixture(scope="session")
def dc_api(emu: Emulator) -> str:
    return f"{emu.datacenter_url}/rest/api/latest"


@pytest.fixture(scope="session")
def dc_pulls_url(dc_api: str) -> str:
    return f"{dc_api}/projects/ACME/repos/widgets/pull-requests"


@pytest.fixture(scope="session")
def dc_truth(emu: Emulator) -> list[dict[str, Any]]:
    """Every pull request of ACME/widgets, id ascending."""
    return emu.dc_pull_requests("ACME", "widgets")


@pytest.fixture(scope="session")
def dc_follow(dc: requests.Session) -> Follow:
    """Every item of a Data Center paged collection, following `nextPageStart`."""

    def collect(url: str, session: requests.Session = dc, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        start = 0
        while True:
            response = session.get(url, params={**params, "start": start})
            assert response.status_code == 200, response.text
            page = response.json()
            assert page["size"] == len(page["values"])
            items.extend(page["values"])
            if page["isLastPage"]:
                assert "nextPageStart" not in page
                return items
            assert page["nextPageStart"] == start + page["size"]
            start = page["nextPageStart"]

    return collect
