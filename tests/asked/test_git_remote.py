"""With no REPO, the repository comes from the current git clone's remote, as in gh."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bbpr.asked.git_remote import target_from_git, target_from_remote
from bbpr.asked.targets import Target
from bbpr.emulator import Emulator
from bbpr.errors import InputError

from ..conftest import base_environment, bbpr, cloud_environment


def clone(path: Path, **remotes: str) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for name, url in remotes.items():
        subprocess.run(["git", "-C", str(path), "remote", "add", name, url], check=True)
    return path


@pytest.mark.parametrize(("url", "server", "expected"), [
    ("git@bitbucket.org:acme/widgets.git", None, Target("cloud", "acme", "widgets")),
    ("https://dana@bitbucket.org/acme/widgets.git", None, Target("cloud", "acme", "widgets")),
    ("https://x-token-auth:secret@bitbucket.org/acme/widgets", None,
     Target("cloud", "acme", "widgets")),
    ("ssh://git@bitbucket.org/acme/widgets.git", None, Target("cloud", "acme", "widgets")),
    ("https://git.example.com/scm/proj/widgets.git", None,
     Target("datacenter", "proj", "widgets", "https://git.example.com")),
    ("https://git.example.com/bitbucket/scm/proj/widgets.git", None,
     Target("datacenter", "proj", "widgets", "https://git.example.com/bitbucket")),
    ("ssh://git@git.example.com:7999/proj/widgets.git", None,
     Target("datacenter", "proj", "widgets", "https://git.example.com")),
    ("ssh://git@git.example.com:7999/proj/widgets.git", "https://git.example.com/bb",
     Target("datacenter", "proj", "widgets", "https://git.example.com/bb")),
    ("git@git.example.com:proj/widgets.git", "https://git.example.com",
     Target("datacenter", "proj", "widgets", "https://git.example.com")),
])
def test_clone_urls(url: str, server: str | None, expected: Target) -> None:
    assert target_from_remote(url, server=server) == expected


@pytest.mark.parametrize("url", ["git@github.com:acme/widgets.git",
                                 "https://github.com/acme/widgets.git", "/srv/git/widgets.git"])
def test_other_hosts_are_not_bitbucket(url: str) -> None:
    assert target_from_remote(url) is None


def test_origin_first_then_the_only_bitbucket_remote(tmp_path: Path) -> None:
    both = clone(tmp_path / "a", upstream="git@bitbucket.org:acme/upstream.git",
                 origin="git@bitbucket.org:dana/widgets.git")
    assert target_from_git(both)[0] == Target("cloud", "dana", "widgets")
    one = clone(tmp_path / "b", origin="git@github.com:acme/widgets.git",
                bb="git@bitbucket.org:acme/gadgets.git")
    target, remote = target_from_git(one)
    assert target == Target("cloud", "acme", "gadgets") and remote.name == "bb"


def test_several_bitbucket_remotes_without_origin_ask_for_one(tmp_path: Path) -> None:
    path = clone(tmp_path / "c", a="git@bitbucket.org:acme/one.git",
                 b="git@bitbucket.org:acme/two.git")
    with pytest.raises(InputError, match="several Bitbucket remotes"):
        target_from_git(path)


def test_no_bitbucket_remote_names_the_hosts_only(tmp_path: Path) -> None:
    path = clone(tmp_path / "d", origin="https://dana:hunter2@github.com/acme/widgets.git")
    with pytest.raises(InputError) as raised:
        target_from_git(path)
    assert "origin (github.com)" in raised.value.message
    assert "hunter2" not in raised.value.message


def test_list_in_a_clone_lists_its_repository(emulator: Emulator, tmp_path: Path) -> None:
    path = clone(tmp_path / "w", origin="git@bitbucket.org:acme/widgets.git")
    run = bbpr("list", "--state", "all", "--format", "ids", "--debug",
               env=cloud_environment(emulator), cwd=path)
    assert run.code == 0, run.err
    assert len(run.out.split()) == len(emulator.pull_requests("acme", "widgets"))
    assert "acme/widgets on Bitbucket Cloud, from the git remote origin" in run.err
    dot = bbpr("list", ".", "-s", "all", "--format", "ids", env=cloud_environment(emulator),
               cwd=path)
    assert dot.code == 0 and dot.out == run.out


def test_data_center_server_comes_from_the_remote(emulator: Emulator, tmp_path: Path) -> None:
    path = clone(tmp_path / "dc", origin=f"{emulator.datacenter_url}/scm/ACME/widgets.git")
    env = base_environment() | {"BITBUCKET_TOKEN": emulator.dc_demo.token,
                                "BBPR_CONFIG_DIR": str(tmp_path / "config")}
    run = bbpr("list", "-s", "all", "--format", "ids", env=env, cwd=path)
    assert run.code == 0, run.err
    assert len(run.out.split()) == len(emulator.dc_pull_requests("ACME", "widgets"))


def test_outside_a_clone_says_what_to_type(emulator: Emulator, tmp_path: Path) -> None:
    run = bbpr("list", env=cloud_environment(emulator), cwd=tmp_path)
    assert run.code == 2
    assert "not inside a git clone" in run.err and "as workspace/repo-slug" in run.err


def test_repo_flag_and_short_flags(emulator: Emulator, tmp_path: Path) -> None:
    env = cloud_environment(emulator)
    long = bbpr("list", "acme/widgets", "--state", "all", "--limit", "7", "--format", "tsv",
                "--fields", "id,author,source_branch,destination_branch", env=env)
    assert long.code == 0, long.err
    first = long.out.splitlines()[0].split("\t")
    short = bbpr("list", "-R", "acme/widgets", "-s", "all", "-L", "7", "-A", first[1],
                 "-H", first[2], "-B", first[3], "--format", "tsv", "--fields", "id",
                 env=env, cwd=tmp_path)
    assert short.code == 0, short.err
    assert first[0] in short.out.split()
    assert len(long.out.splitlines()) == 7


def test_a_pull_request_url_in_list_points_at_view(emulator: Emulator) -> None:
    run = bbpr("list", "https://bitbucket.org/acme/widgets/pull-requests/12",
               env=cloud_environment(emulator))
    assert run.code == 2
    assert "bbpr view" in run.err and "bbpr list acme/widgets" in run.err


def test_sync_in_a_clone_syncs_its_repository(emulator: Emulator, tmp_path: Path) -> None:
    path = clone(tmp_path / "w", origin="git@bitbucket.org:acme/widgets.git")
    db = str(tmp_path / "copy.sqlite")
    synced = bbpr("sync", "--db", db, env=cloud_environment(emulator), cwd=path)
    assert synced.code == 0, synced.err
    cached = bbpr("list", "-s", "all", "--format", "ids", "--cached", "--db", db,
                  env=cloud_environment(emulator), cwd=path)
    assert cached.code == 0, cached.err
    assert len(cached.out.split()) == len(emulator.pull_requests("acme", "widgets"))
    outside = bbpr("sync", "--db", db, env=cloud_environment(emulator), cwd=tmp_path)
    assert outside.code == 2 and "not inside a git clone" in outside.err
