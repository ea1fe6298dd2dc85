"""A workspace or project whose one repository refuses (403) or vanished (404): the others
are listed (or synced) in full, stderr names each failed repository and why, the exit code
is the first failure's, and the library's error carries the repositories and causes."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bbpr import AuthError, Client, PartialError
from bbpr.emulator import Emulator
from bbpr.emulator.messages import Request, Response, error_response

from ..conftest import base_environment, bbpr, cloud_environment

REFUSED = "You do not have access to this repository."


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(prs=30, seed=9) as emulator:
        emulator.add_repository("acme", "secret", prs=12)
        emulator.add_repository("acme", "zeta", prs=7)
        emulator.add_dc_repository("ACME", "secret", prs=12)

        def refuse(request: Request) -> Response | None:
            if re.fullmatch(r"/2\.0/repositories/acme/secret/pullrequests/?", request.path):
                return error_response(403, REFUSED)
            if request.path.endswith("/projects/ACME/repos/secret/pull-requests"):
                body = (b'{"errors": [{"context": null, "message": "You are not permitted to '
                        b'access this resource", "exceptionName": '
                        b'"com.atlassian.bitbucket.AuthorisationException"}]}')
                return Response(401, body, {"Content-Type": "application/json"})
            return None

        emulator.hooks.append(refuse)
        yield emulator


def expected_ids(emu: Emulator, skip: str) -> set[tuple[str, int]]:
    names = [slug for (owner, slug) in emu.store.repositories if owner == "acme" and slug != skip]
    return {(f"acme/{slug}", pr["id"]) for slug in names for pr in emu.pull_requests("acme", slug)}


def test_cloud_workspace_lists_every_other_repository_and_names_the_refusing_one(
        emu: Emulator) -> None:
    run = bbpr("list", "acme", "--state", "all", "--format", "ids", env=cloud_environment(emu))
    assert run.code == 3, run.err
    listed = {(line.split("\t")[0], int(line.split("\t")[1])) for line in run.out.splitlines()}
    assert listed == expected_ids(emu, "secret")
    assert "repositories of acme could not be listed; the others were listed in full" in run.err
    assert "acme/secret:" in run.err
    assert "the output is incomplete" in run.err
    assert "Traceback" not in run.err


def test_a_limit_reached_after_a_refusing_repository_still_names_it(emu: Emulator) -> None:
    """The limit is met by the repositories after `acme/secret`, whose pull requests would
    have come before theirs: those printed are not the first N, and the exit code says so."""
    repositories = sorted(slug for (owner, slug) in emu.store.repositories if owner == "acme")
    before = sum(len(emu.pull_requests("acme", slug))
                 for slug in repositories[:repositories.index("secret")])
    assert repositories[-1] != "secret"
    limit = before + 5
    run = bbpr("list", "acme", "--state", "all", "--limit", str(limit), "--format", "ids",
               env=cloud_environment(emu))
    assert run.code == 3, run.err
    assert len(run.out.splitlines()) == limit
    assert "acme/secret:" in run.err


def test_data_center_project_survives_one_refusing_repository(emu: Emulator) -> None:
    env = base_environment() | {"BITBUCKET_SERVER": emu.datacenter_url,
                                "BITBUCKET_TOKEN": emu.dc_demo.token}
    run = bbpr("list", "ACME", "--state", "all", "--format", "ids", env=env)
    assert run.code == 3, run.err
    repositories = {line.split("\t")[0] for line in run.out.splitlines()}
    assert "ACME/secret" not in repositories and len(repositories) >= 2
    assert "ACME/secret:" in run.err


def test_workspace_sync_keeps_the_others_and_leaves_the_failed_one_unsynced(
        emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    env = cloud_environment(emu)
    run = bbpr("sync", "acme", "--db", str(path), env=env)
    assert run.code == 3, run.err
    assert "could not be synced; the others were synced in full" in run.err
    assert "acme/secret:" in run.err
    with sqlite3.connect(path) as db:
        done = dict(db.execute("SELECT slug, last_pass_completed FROM repositories"))
    assert done.pop("secret") == 0
    assert set(done.values()) == {1}
    cached = bbpr("list", "acme/zeta", "--state", "all", "--format", "ids", "--cached",
                  "--db", str(path), env=env)
    assert cached.code == 0 and len(cached.out.split()) == 7
    never = bbpr("list", "acme/secret", "--cached", "--db", str(path), env=env)
    assert never.code == 4


def test_the_library_error_carries_the_repositories_and_their_causes(emu: Emulator) -> None:
    listed: list[str] = []
    with Client.from_env(cloud_environment(emu)) as bb, pytest.raises(PartialError) as caught:
        for pr in bb.pull_requests("acme", state="all"):
            listed.append(pr.repository)
    error = caught.value
    assert error.exit_code == 3
    assert [failure.repository for failure in error.failures] == ["acme/secret"]
    assert isinstance(error.failures[0].error, AuthError)
    assert "acme/zeta" in listed and "acme/secret" not in listed
