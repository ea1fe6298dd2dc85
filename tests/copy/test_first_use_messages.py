"""The smaller first-use rough edges of issue 12, each fixed and kept so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bbpr.emulator import Emulator

from ..conftest import base_environment, bbpr, cloud_environment


def test_a_query_error_points_into_the_users_text(emulator: Emulator) -> None:
    run = bbpr("list", "acme/widgets", "--author", "dana", "--query", "title = fix",
               env=cloud_environment(emulator))
    assert run.code == 2
    assert "position 9 of --query" in run.err


def test_cached_without_a_copy_names_the_sync_to_run(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "none.sqlite"
    run = bbpr("list", "acme/widgets", "--cached", "--db", str(path),
               env=cloud_environment(emulator))
    assert run.code == 4
    assert f"bbpr sync acme/widgets --db {path}" in run.err


def test_sync_status_of_something_never_synced(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    env = cloud_environment(emulator)
    assert bbpr("sync", "acme/widgets", "--db", str(path), env=env).code == 0
    run = bbpr("sync", "--status", "acme/nope", "--db", str(path), env=env)
    assert run.code == 4 and "Nothing of acme/nope is synced" in run.err
    assert f"bbpr sync acme/nope --db {path}" in run.err


def test_sync_repos(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    env = cloud_environment(emulator)
    run = bbpr("sync", "acme", "--repos", "wid*", "--db", str(path), env=env)
    assert run.code == 0, run.err
    assert "Synced 1 repositories of acme" in run.err
    status = bbpr("sync", "--status", "--db", str(path), env=env)
    synced = [line.split("\t")[1] for line in status.out.splitlines()[1:]
              if line.split("\t")[5] == "true"]
    assert synced == ["acme/widgets"]
    cached = bbpr("list", "acme", "--repos", "wid*", "-s", "all", "--cached", "--db", str(path),
                  "--format", "ids", env=env)
    live = bbpr("list", "acme", "--repos", "wid*", "-s", "all", "--format", "ids", env=env)
    assert cached.code == 0 and cached.out == live.out
    none = bbpr("sync", "acme", "--repos", "zzz*", "--db", str(path), env=env)
    assert none.code == 4 and "No repository of acme matches --repos 'zzz*'" in none.err


def test_top_level_help_is_not_cut() -> None:
    done = subprocess.run([sys.executable, "-m", "bbpr", "--help"], env=base_environment(),
                          capture_output=True, text=True, check=True)
    commands = done.stdout.split("Commands:")[1].splitlines()
    assert {line.split()[0] for line in commands if line.strip()} >= {"list", "view",
                                                                       "completion"}
    assert not any(line.rstrip().endswith("...") for line in commands)
