"""The mistakes a newcomer makes in the first runs, each answered with the sentence that names
it and no more: no usage banner where the usage was right, hints that fit what was typed,
"did you mean", names in any case; the real command line against the emulator on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bbpr.emulator import Emulator

from ..conftest import base_environment, bbpr, cloud_environment


def test_errors_that_are_not_usage_errors_have_no_usage_banner(
        emulator: Emulator, tmp_path: Path) -> None:
    env = base_environment() | {"BITBUCKET_API_URL": emulator.cloud_api_url,
                                "BBPR_CONFIG_DIR": str(tmp_path),
                                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    no_keyring = bbpr("auth", "login", "--email", emulator.demo.email, "--with-token", env=env,
                      input=emulator.demo.api_token)
    no_token = bbpr("list", "acme/widgets", "--with-token", env=env, input="")
    for run in (no_keyring, no_token):
        assert run.code == 2
        assert "Usage:" not in run.err and "--help" not in run.err and "-h' for" not in run.err
    assert no_keyring.err.startswith("No OS keyring is available here")
    assert no_token.err.strip() == "No token was given on standard input."
    typo = bbpr("list", "acme/widgets", "--limit", "x", env=env)  # a real usage error keeps it
    assert typo.code == 2 and "Usage:" in typo.err


def test_hints_that_fit(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    view = bbpr("view", "acme/widgets/pull-requests/119", "--format", "json", env=env)
    assert view.code == 0, view.err
    assert '"id":119' in view.out.replace(" ", "")
    listed = bbpr("list", "acme/widgets/pull-requests/119", env=env)
    assert listed.code == 2 and "`bbpr view URL` shows it" in listed.err
    for github in ("https://github.com/acme/widgets", "git@github.com:acme/widgets.git"):
        run = bbpr("list", github, env=env)
        assert run.code == 2
        assert "is a GitHub address" in run.err and "https://bitbucket.org/" in run.err
    label = bbpr("list", "acme/widgets", "--label", "bug", env=env)
    assert label.code == 2 and "have no labels" in label.err and "'--help'" not in label.err
    typo = bbpr("list", "acme/widgets", "--lmit", "3", env=env)
    assert typo.code == 2 and "Did you mean '--limit'?" in typo.err
    refused = bbpr("list", "acme/widgets", env=env | {"BITBUCKET_API_URL": "http://127.0.0.1:9/2.0"})
    assert refused.code == 5 and "Could not connect" in refused.err
    assert "written" not in refused.err and "incomplete" not in refused.err
    as_json = bbpr("list", "acme/widgets", "--format", "json",
                   env=env | {"BITBUCKET_API_URL": "http://127.0.0.1:9/2.0"})
    assert as_json.code == 5 and as_json.out == "["  # an array begun: that output is incomplete
    assert "the output is incomplete" in as_json.err


def test_names_in_any_case_and_a_slug_with_git(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    expected = bbpr("list", "acme/widgets", "-s", "all", "-L", "5", "--format", "json",
                    "--fields", "id,title", env=env)
    assert expected.code == 0 and '"title"' in expected.out
    for args in (("acme/widgets", "--fields", "ID,Title", "--format", "JSON"),
                 ("acme/widgets.git", "--fields", "id,title", "--format", "Json")):
        run = bbpr("list", *args, "-s", "all", "-L", "5", env=env)
        assert run.code == 0, run.err
        assert run.out == expected.out
    view = bbpr("view", "acme/widgets.git", "3", "--format", "JSON", env=env)
    assert view.code == 0 and '"id":3' in view.out.replace(" ", "")
    unknown = bbpr("list", "acme/widgets", "--fields", "Titel", env=env)
    assert unknown.code == 2 and "Did you mean 'title'?" in unknown.err


def test_a_query_error_points_into_the_users_text(emulator: Emulator) -> None:
    run = bbpr("list", "acme/widgets", "--author", "dana", "--query", "title = fix",
               env=cloud_environment(emulator))
    assert run.code == 2
    assert "position 9 of --query" in run.err


def test_top_level_help_is_not_cut() -> None:
    done = subprocess.run([sys.executable, "-m", "bbpr", "--help"], env=base_environment(),
                          capture_output=True, text=True, check=True)
    commands = done.stdout.split("Commands:")[1].splitlines()
    assert {line.split()[0] for line in commands if line.strip()} >= {"list", "view",
                                                                       "completion"}
    assert not any(line.rstrip().endswith("...") for line in commands)


@pytest.mark.parametrize(("args", "says"), [
    (("--fields", "titel"), "Did you mean 'title'?"),
    (("--state", "closed"), "use --state merged,declined"),
    (("--state", "merge"), "Did you mean 'merged'?"),
    (("--format", "jsn"), "Did you mean 'json'?"),
    (("--updated-since", "1M"), "1min for minutes or 1mo for months"),
])
def test_did_you_mean(emulator: Emulator, args: tuple[str, ...], says: str) -> None:
    run = bbpr("list", "acme/widgets", *args, env=cloud_environment(emulator))
    assert run.code == 2 and says in run.err


def test_ages_in_months_and_minutes(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    every = bbpr("list", "acme/widgets", "-s", "all", "--format", "ids", env=env)
    recent = bbpr("list", "acme/widgets", "-s", "all", "--format", "ids",
                  "--updated-since", "5min", env=env)
    year = bbpr("list", "acme/widgets", "-s", "all", "--format", "ids",
                "--updated-since", "50y", env=env)
    assert every.code == recent.code == year.code == 0
    assert year.out == every.out
    assert len(recent.out.split()) < len(every.out.split())


def test_repos_matching_nothing_says_so(emulator: Emulator) -> None:
    run = bbpr("list", "acme", "--repos", "nothing-like-this*", env=cloud_environment(emulator))
    assert run.code == 4
    assert "No repository of acme matches --repos 'nothing-like-this*'" in run.err
