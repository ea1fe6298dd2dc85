"""`bbpr view`: one pull request with reviewers, branches, commits and times; `--web`."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from bbpr.emulator import Emulator

from ..conftest import bbpr, cloud_environment
from ..datacenter.test_list import dc_environment


def browser(tmp_path: Path, *, works: bool = True) -> dict[str, str]:
    """$BROWSER as a script that writes down the page it was asked to open."""
    script = tmp_path / "browser"
    seen = tmp_path / "opened.txt"
    script.write_text(f"#!/bin/sh\necho \"$1\" >> {seen}\nexit {0 if works else 1}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {"BROWSER": str(script), "DISPLAY": ""}


def test_view_shows_everything_the_api_gives(emulator: Emulator) -> None:
    pr = next(p for p in emulator.pull_requests("acme", "widgets") if p["state"] == "MERGED")
    run = bbpr("view", "acme/widgets", str(pr["id"]), env=cloud_environment(emulator))
    assert run.code == 0, run.err
    assert run.out.splitlines()[0] == f"{pr['title']} #{pr['id']}"
    assert f"MERGED · acme/widgets · {pr['source']['branch']['name']} → " in run.out
    assert "Reviewers: " in run.out and "Reviewers: none" not in run.out
    assert pr["merge_commit"]["hash"][:12] in run.out
    assert f"View it: {pr['links']['html']['href']}" in run.out
    assert "\x1b" not in run.out


def test_view_json_matches_list_json(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    url = "https://bitbucket.org/acme/widgets/pull-requests/7"
    viewed = json.loads(bbpr("view", url, "--format", "json", env=env).out)
    listed = json.loads(bbpr("list", "acme/widgets", "-s", "all", "--format", "json",
                             env=env).out)
    record = next(r for r in listed if r["id"] == 7)
    assert {key: viewed[key] for key in record} == record
    review = json.loads(bbpr("list", "acme/widgets", "-s", "all", "--format", "json", "--fields",
                             "id,reviewers,participants,approved_by,closed_on", env=env).out)
    reviewed = next(r for r in review if r["id"] == 7)
    assert {key: viewed[key] for key in reviewed} == reviewed  # the review fields too
    asked = [p for p in viewed["people"] if p["role"] == "REVIEWER"]
    assert [p["name"] for p in asked] == viewed["reviewers"] and asked
    assert {p["verdict"] for p in viewed["people"]} <= {"approved", "changes_requested", None}
    assert [p["name"] for p in viewed["people"] if p["verdict"] == "approved"] == viewed[
        "approved_by"]


def test_view_an_id_in_a_clone(emulator: Emulator, tmp_path: Path) -> None:
    from ..asked.test_git_remote import clone

    path = clone(tmp_path / "w", origin="git@bitbucket.org:acme/widgets.git")
    run = bbpr("view", "#5", env=cloud_environment(emulator), cwd=path)
    assert run.code == 0, run.err
    assert run.out.splitlines()[0].endswith(" #5")


def test_view_on_data_center(emulator: Emulator) -> None:
    run = bbpr("view", "acme/widgets", "3", "--format", "json", env=dc_environment(emulator))
    assert run.code == 0, run.err
    record = json.loads(run.out)
    truth = next(p for p in emulator.dc_pull_requests("ACME", "widgets") if p["id"] == 3)
    assert record["title"] == truth["title"] and record["repository"] == "ACME/widgets"
    assert [p["login"] for p in record["people"] if p["role"] == "REVIEWER"] == [
        r["user"]["name"] for r in truth["reviewers"]]
    assert record["closed_on"] is None or "closedDate" in truth


@pytest.mark.parametrize("args", [("acme/widgets", "99999"), ("acme/nope", "1")])
def test_view_not_found(emulator: Emulator, args: tuple[str, ...]) -> None:
    run = bbpr("view", *args, env=cloud_environment(emulator))
    assert run.code == 4 and "was not found" in run.err


@pytest.mark.parametrize(("args", "code"), [(("acme",), 2), (("acme/widgets", "x"), 2),
                                            (("acme/widgets",), 2)])
def test_view_bad_usage(emulator: Emulator, args: tuple[str, ...], code: int) -> None:
    run = bbpr("view", *args, env=cloud_environment(emulator))
    assert run.code == code and run.err


def test_web_opens_the_pull_request(emulator: Emulator, tmp_path: Path) -> None:
    env = cloud_environment(emulator, **browser(tmp_path))
    run = bbpr("view", "acme/widgets", "4", "--web", env=env)
    assert run.code == 0, run.err
    assert (tmp_path / "opened.txt").read_text().strip() == (
        "https://bitbucket.org/acme/widgets/pull-requests/4")


@pytest.mark.parametrize(("args", "page"), [
    (("acme/widgets",), "https://bitbucket.org/acme/widgets/pull-requests/"),
    (("acme/widgets", "-s", "merged"),
     "https://bitbucket.org/acme/widgets/pull-requests/?state=MERGED"),
    (("acme",), "https://bitbucket.org/acme/workspace/repositories/"),
])
def test_list_web_opens_the_list(emulator: Emulator, tmp_path: Path,
                                 args: tuple[str, ...], page: str) -> None:
    run = bbpr("list", *args, "--web", env=cloud_environment(emulator, **browser(tmp_path)))
    assert run.code == 0, run.err
    assert (tmp_path / "opened.txt").read_text().strip() == page


@pytest.mark.parametrize(("args", "page", "unseen"), [
    (("acme/widgets", "-A", "dana", "--draft"),
     "https://bitbucket.org/acme/widgets/pull-requests/",
     "The page does not filter by --author, --draft/--no-draft: it shows more than bbpr list "
     "would."),
    (("acme/widgets", "-s", "merged,declined"),
     "https://bitbucket.org/acme/widgets/pull-requests/?state=ALL",
     "The page does not filter by --state declined,merged (it shows all states)"),
    (("acme", "-s", "merged"), "https://bitbucket.org/acme/workspace/repositories/",
     "That is the page of acme's repositories: the web lists pull requests a repository at "
     "a time."),
])
def test_list_web_says_what_the_page_will_not_show(emulator: Emulator, tmp_path: Path,
                                                   args: tuple[str, ...], page: str,
                                                   unseen: str) -> None:
    run = bbpr("list", *args, "--web", env=cloud_environment(emulator, **browser(tmp_path)))
    assert run.code == 0, run.err
    assert (tmp_path / "opened.txt").read_text().strip() == page
    assert unseen in run.err
    plain = bbpr("list", "acme/widgets", "-s", "merged", "--web",
                 env=cloud_environment(emulator, **browser(tmp_path)))
    assert "does not filter" not in plain.err


def test_web_without_a_browser_prints_the_address(emulator: Emulator, tmp_path: Path) -> None:
    env = cloud_environment(emulator, **browser(tmp_path, works=False))
    env["PATH"] = os.defpath
    run = bbpr("view", "acme/widgets", "4", "--web", env=env)
    assert run.code == 0, run.err
    assert run.out.strip() == "https://bitbucket.org/acme/widgets/pull-requests/4"
    assert "No browser could be opened" in run.err
