"""The library checks what it is given: wrong types and ranges are an `InputError` with a
sentence, before any request; `close()` may be called twice; a closed client says so."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from bbpr import AsyncClient, BbprError, Client, InputError
from bbpr.emulator import Emulator
from bbpr.http import HttpOptions

from ..conftest import cloud_environment


@pytest.mark.parametrize("concurrency", [0, -1, 65, 2.5, "8", True])
def test_concurrency_out_of_range_is_an_input_error(emulator: Emulator, concurrency: Any) -> None:
    with pytest.raises(InputError, match="concurrency must be a whole number from 1 to 64"):
        Client.from_env(cloud_environment(emulator), concurrency=concurrency)
    with pytest.raises(InputError, match="concurrency"):
        AsyncClient.from_env(cloud_environment(emulator),
                             options=HttpOptions(concurrency=concurrency))


@pytest.mark.parametrize(("filters", "words"), [
    ({"limit": 2.5}, "limit must be a whole number"),
    ({"limit": "5"}, "limit must be a whole number"),
    ({"limit": 0}, "limit must be a whole number"),
    ({"state": 123}, "state must be a text or a list of texts"),
    ({"state": [1, 2]}, "state must be a text or a list of texts"),
    ({"state": ""}, "The state is empty"),
    ({"state": []}, "The state is empty"),
    ({"updated_since": 12345}, "updated_since must be a datetime"),
    ({"updated_since": datetime(1, 1, 1, tzinfo=UTC)}, "before 1970"),
    ({"updated_since": "99999999d"}, "is not a date"),
    ({"author": 123}, "author must be a text"),
    ({"source": b"main"}, "source must be a text"),
    ({"query": 1}, "query must be a text"),
    ({"fields": 7}, "fields must be a text or a list"),
    # A lone surrogate (bytes that were not UTF-8, kept by Python): no request can carry it.
    ({"author": "dana\udcff"}, r"author holds bytes that are not UTF-8 text .*'\\udcff'"),
    ({"source": "feature/\udce9t\udce9"}, "source holds bytes that are not UTF-8 text"),
    ({"query": 'title ~ "\udcff"'}, "query holds bytes that are not UTF-8 text"),
    ({"reviewer": ["alex", "jo\udcff"]}, "reviewer holds bytes that are not UTF-8 text"),
    ({"state": "open\udcff"}, "state holds bytes that are not UTF-8 text"),
])
def test_wrong_filters_are_input_errors_before_any_request(
        emulator: Emulator, filters: dict[str, Any], words: str) -> None:
    before = emulator.request_count
    with Client.from_env(cloud_environment(emulator)) as bb:
        if "fields" not in filters:  # pull_request_ids asks for the ID alone
            with pytest.raises(InputError, match=words):
                bb.pull_request_ids("acme/widgets", **filters)
        with pytest.raises(InputError, match=words):
            list(bb.pull_requests("acme/widgets", **filters))
    assert emulator.request_count == before


@pytest.mark.parametrize("repo", [None, 123, ["acme/widgets"]])
def test_a_repo_that_is_not_a_text_is_an_input_error(emulator: Emulator, repo: Any) -> None:
    with Client.from_env(cloud_environment(emulator)) as bb, \
            pytest.raises(InputError, match="repo must be a text"):
        bb.pull_request_ids(repo)


@pytest.mark.parametrize("owner", ["../etc", "acme/../../etc", "", "acme/widgets"])
def test_repositories_checks_the_owner_before_sending_anything(emulator: Emulator,
                                                               owner: str) -> None:
    before = emulator.request_count
    with Client.from_env(cloud_environment(emulator)) as bb, pytest.raises(InputError):
        bb.repositories(owner)
    assert emulator.request_count == before


def test_repos_with_one_repository_is_refused(emulator: Emulator) -> None:
    with Client.from_env(cloud_environment(emulator)) as bb, \
            pytest.raises(InputError, match="is one repository"):
        bb.pull_request_ids("acme/widgets", repos="api-*")


def test_close_twice_and_use_after_close(emulator: Emulator) -> None:
    bb = Client.from_env(cloud_environment(emulator))
    assert bb.pull_request_ids("acme/widgets", limit=3)
    bb.close()
    bb.close()
    with pytest.raises(BbprError, match="client is closed"):
        bb.pull_request_ids("acme/widgets")
    with pytest.raises(BbprError, match="client is closed"):
        list(bb.pull_requests("acme/widgets"))


def test_async_close_twice_and_use_after_close(emulator: Emulator) -> None:
    async def go() -> None:
        bb = AsyncClient.from_env(cloud_environment(emulator))
        assert await bb.pull_request_ids("acme/widgets", limit=3)
        await bb.aclose()
        await bb.aclose()
        with pytest.raises(BbprError, match="client is closed"):
            await bb.pull_request_ids("acme/widgets")

    asyncio.run(go())
