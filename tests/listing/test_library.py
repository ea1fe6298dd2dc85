"""The library: `Client` and `AsyncClient` give the same, complete answers."""

from __future__ import annotations

import asyncio

import pytest

from bbpr import AsyncClient, Client, NotFoundError, ProtocolError, PullRequest
from bbpr.credentials.kinds import Credentials, Secret
from bbpr.emulator import Emulator
from bbpr.http import Http

from ..conftest import cloud_environment


def demo_credentials(emu: Emulator) -> Credentials:
    return Credentials(kind="api_token", user=emu.demo.email, secret=Secret(emu.demo.api_token))


def test_sync_client_lists_typed_pull_requests(emulator: Emulator) -> None:
    truth = {pr["id"]: pr for pr in emulator.pull_requests("acme", "widgets")}
    with Client(credentials=demo_credentials(emulator), api_url=emulator.cloud_api_url) as bb:
        pulls = list(bb.pull_requests("acme/widgets", state="all"))
        ids = bb.pull_request_ids("acme/widgets", state=["merged", "declined"])
    assert all(isinstance(pr, PullRequest) for pr in pulls)
    assert sorted(pr.id for pr in pulls) == sorted(truth)
    first = pulls[0]
    assert first.title == truth[first.id]["title"]
    assert first.created_on is not None and first.created_on.tzinfo is not None
    assert sorted(ids) == sorted(i for i, pr in truth.items()
                                 if pr["state"] in ("MERGED", "DECLINED"))


def test_from_env_and_limit(emulator: Emulator) -> None:
    with Client.from_env(cloud_environment(emulator)) as bb:
        first_ten = list(bb.pull_requests("acme/widgets", state="all", limit=10))
        repositories = bb.repositories("acme")
    assert len(first_ten) == 10
    assert "widgets" in {repository.slug for repository in repositories}


def test_stopping_early_closes_cleanly(emulator: Emulator) -> None:
    with Client.from_env(cloud_environment(emulator)) as bb:
        for count, _ in enumerate(bb.pull_requests("acme/widgets", state="all"), start=1):
            if count == 60:
                break
        assert len(bb.pull_request_ids("acme/widgets", state="open")) > 0


def test_async_client_matches_the_sync_one(emulator: Emulator) -> None:
    async def ids() -> list[int]:
        async with AsyncClient.from_env(cloud_environment(emulator)) as bb:
            return await bb.pull_request_ids("acme/widgets", state="all")

    with Client.from_env(cloud_environment(emulator)) as bb:
        assert asyncio.run(ids()) == bb.pull_request_ids("acme/widgets", state="all")


def test_errors_are_the_library_hierarchy(emulator: Emulator) -> None:
    with Client.from_env(cloud_environment(emulator)) as bb, pytest.raises(NotFoundError) as raised:
        list(bb.pull_requests("acme/nope"))
    assert raised.value.exit_code == 4 and "acme/nope" in str(raised.value)


def test_a_link_to_another_origin_is_refused_before_sending(emulator: Emulator) -> None:
    async def follow() -> None:
        async with Http(emulator.cloud_api_url) as http:
            await http.get("http://localhost:1/2.0/steal", decode=bytes)

    before = emulator.request_count
    with pytest.raises(ProtocolError, match="does not follow it"):
        asyncio.run(follow())
    assert emulator.request_count == before
