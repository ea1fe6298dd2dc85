"""Data Center names as the server spells them: `acme/widgets` and `ACME/widgets` are one
repository, printed, synced and read back the same way."""

from __future__ import annotations

import json
from pathlib import Path

from bbpr.copy.writer import Writer
from bbpr.emulator import Emulator
from bbpr.models import PullRequest, Repository

from ..conftest import bbpr
from .test_list import dc_environment


def test_output_uses_the_servers_spelling(emulator: Emulator) -> None:
    env = dc_environment(emulator)
    typed = bbpr("list", "acme/widgets", "-s", "all", "--format", "json",
                 "--fields", "id,repository", env=env)
    assert typed.code == 0, typed.err
    assert {record["repository"] for record in json.loads(typed.out)} == {"ACME/widgets"}
    project = bbpr("list", "acme", "-s", "all", "--format", "ids", env=env)
    assert project.code == 0, project.err
    assert {line.split("\t")[0].split("/")[0] for line in project.out.splitlines()} == {"ACME"}


def test_one_copy_whatever_the_case(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    env = dc_environment(emulator)
    # A copy made under the typed spelling, as bbpr did before it asked the server.
    with Writer(path, emulator.datacenter_url, "datacenter", "acme/widgets") as writer:
        run = writer.start_run(full=False)
        stale = writer.start_pass(Repository(owner="acme", slug="widgets"), run)
        writer.save_page(stale, run, [PullRequest(id=1, repository="acme/widgets")], 1)
    for spelling in ("acme/widgets", "ACME/widgets"):
        synced = bbpr("sync", spelling, "--db", str(path), env=env)
        assert synced.code == 0, synced.err
    status = bbpr("sync", "--status", "--db", str(path), env=env)
    assert [line.split("\t")[1] for line in status.out.splitlines()[1:]] == ["ACME/widgets"]
    cached = bbpr("list", "acme/widgets", "-s", "all", "--cached", "--db", str(path),
                  "--format", "ids", env=env)
    live = bbpr("list", "ACME/widgets", "-s", "all", "--format", "ids", env=env)
    assert cached.code == live.code == 0, cached.err
    assert cached.out == live.out
