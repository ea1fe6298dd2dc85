"""Listing the repositories of a workspace or project while repositories come and go: none
that existed throughout may disappear, and none is listed twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bbpr import Client
from bbpr.emulator import Emulator
from bbpr.emulator.messages import Request, Response, error_response

from ..conftest import base_environment, cloud_environment


@pytest.fixture
def crowded() -> Iterator[Emulator]:
    """A workspace and a project of 230 repositories each: three Cloud pages of 100, ten
    Data Center pages of 25."""
    with Emulator(prs=3, seed=5) as emu:
        for number in range(230):
            emu.add_repository("crowd", f"repo-{number:03d}", prs=0)
            emu.add_dc_repository("CROWD", f"repo-{number:03d}", prs=0)
        emu.settings.dc_max_limit = 25
        yield emu


def repository_requests(emu: Emulator, path: str) -> list[Request]:
    return [request for request in emu.requests if request.path.rstrip("/") == path]


def test_cloud_pages_by_uuid_keyset_while_repositories_are_created(crowded: Emulator) -> None:
    def create_some() -> None:
        for number in range(20):
            crowded.add_repository("crowd", f"late-{number:02d}", prs=0)

    remove = crowded.on_request(
        lambda request: create_some() if request.path == "/2.0/repositories/crowd"
        and "q" in request.query and not crowded.store.repositories.get(("crowd", "late-00"))
        else None)
    with Client.from_env(cloud_environment(crowded)) as bb:
        slugs = [repository.slug for repository in bb.repositories("crowd")]
    remove()
    existing = {f"repo-{number:03d}" for number in range(230)}
    assert len(slugs) == len(set(slugs))
    assert existing <= set(slugs)
    assert slugs == sorted(slugs)
    keyset = [request.query.get("q", [""])[-1] for request in
              repository_requests(crowded, "/2.0/repositories/crowd")]
    assert keyset[0] == "" and all(q.startswith("uuid > ") for q in keyset[1:])


def test_cloud_falls_back_to_page_numbers_where_the_keyset_is_refused(
        crowded: Emulator) -> None:
    def refuse(request: Request) -> Response | None:
        if request.path == "/2.0/repositories/crowd" and "q" in request.query:
            return error_response(400, "Invalid query: uuid is not filterable")
        return None

    crowded.hooks.append(refuse)
    with Client.from_env(cloud_environment(crowded)) as bb:
        slugs = [repository.slug for repository in bb.repositories("crowd")]
    assert slugs == sorted(f"repo-{number:03d}" for number in range(230))


def test_data_center_pages_join_while_repositories_are_deleted(crowded: Emulator) -> None:
    deleted: list[str] = []

    def delete_early_ones(request: Request) -> None:
        if request.path.endswith("/projects/CROWD/repos") and len(deleted) < 6:
            slug = f"repo-{len(deleted):03d}"  # already listed: the rest shift up a place
            crowded.delete_dc_repository("CROWD", slug)
            deleted.append(slug)

    crowded.on_request(delete_early_ones)
    env = base_environment() | {"BITBUCKET_SERVER": crowded.datacenter_url,
                                "BITBUCKET_TOKEN": crowded.dc_demo.token}
    with Client.from_env(env) as bb:
        slugs = [repository.slug for repository in bb.repositories("CROWD")]
    survivors = {f"repo-{number:03d}" for number in range(230)} - set(deleted)
    assert len(deleted) == 6
    assert len(slugs) == len(set(slugs))
    assert survivors <= set(slugs)
