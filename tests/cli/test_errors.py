"""Every failure of `bbpr list` is one or two sentences on stderr and the right exit code."""

from __future__ import annotations

import base64

import pytest

from bbpr.emulator import Emulator

from ..conftest import base_environment, bbpr, cloud_environment
from ..fakes import API_TOKEN, DATACENTER_TOKEN


def assert_plain(err: str) -> None:
    assert "Traceback" not in err
    assert 0 < len(err.strip().splitlines()) <= 2


@pytest.mark.parametrize(("repo", "named"), [
    ("acme/nope", "acme/nope"),
    ("nope/widgets", "nope/widgets"),
    ("jobSearchDemo/job-search", "jobSearchDemo/job-search"),
])
def test_not_found_names_the_repository_and_the_slug_rule(emulator: Emulator, repo: str,
                                                          named: str) -> None:
    run = bbpr("list", repo, env=cloud_environment(emulator))
    assert run.code == 4
    assert named in run.err and "slug" in run.err
    assert_plain(run.err)


def test_unknown_workspace_listing(emulator: Emulator) -> None:
    run = bbpr("list", "nope", env=cloud_environment(emulator))
    assert run.code == 4 and "Workspace nope" in run.err
    assert_plain(run.err)


def test_wrong_token_is_exit_3(emulator: Emulator) -> None:
    run = bbpr("list", "acme/widgets", env=cloud_environment(emulator, BITBUCKET_TOKEN=API_TOKEN))
    assert run.code == 3
    assert "refused the API token" in run.err and emulator.demo.email in run.err
    assert_plain(run.err)


@pytest.mark.parametrize(("scopes", "said"), [
    ((), "Bitbucket did not let the API token for {email} from the environment read the pull "
         "requests of acme/widgets (HTTP 403): it has no scopes, since it was made with \"Create "
         "API token\", and Bitbucket takes only tokens made with \"Create API token with "
         "scopes\". Scopes cannot be added to a token: create an API token for Bitbucket with "
         "the scopes"),
    (("read:jira-work",), "(HTTP 403): it has no Bitbucket scopes, only read:jira-work, since "
                          "it was made for another Atlassian product. Scopes cannot be added"),
    (("read:repository:bitbucket",), "(HTTP 403): it lacks read:pullrequest:bitbucket. Scopes "
                                     "cannot be added"),
])
def test_a_missing_scope_is_said_once_plainly(emulator: Emulator, scopes: tuple[str, ...],
                                              said: str) -> None:
    """The scope problem, then the fix: no "the latter", no doctor that "suggests names"
    (it would say the same); the last step still names the credential and what it read."""
    token = emulator.add_api_token(scopes=scopes)
    run = bbpr("list", "acme/widgets", env=cloud_environment(emulator, BITBUCKET_TOKEN=token))
    assert run.code == 3
    assert said.format(email=emulator.demo.email) in run.err
    assert "the latter" not in run.err and "bbpr doctor" not in run.err
    assert_plain(run.err)


def test_a_refusal_points_to_doctor_without_names(emulator: Emulator) -> None:
    run = bbpr("list", "acme/widgets", env=cloud_environment(emulator, BITBUCKET_TOKEN=API_TOKEN))
    assert run.code == 3 and "`bbpr doctor acme/widgets` checks every step." in run.err
    assert "suggests names" not in run.err
    missing = bbpr("list", "acme/nope", env=cloud_environment(emulator))
    assert missing.code == 4 and "checks every step and suggests names" in missing.err


def test_wrong_email_is_exit_3(emulator: Emulator) -> None:
    run = bbpr("list", "acme/widgets",
               env=cloud_environment(emulator, BITBUCKET_EMAIL="someone.else@example.com"))
    assert run.code == 3 and "someone.else@example.com" in run.err
    assert_plain(run.err)


def test_username_where_the_email_belongs(emulator: Emulator) -> None:
    run = bbpr("list", "acme/widgets", env=cloud_environment(
        emulator, BITBUCKET_EMAIL="", BITBUCKET_USERNAME=emulator.demo.username))
    assert run.code == 2 and "not the Bitbucket username" in run.err
    assert_plain(run.err)


def test_app_password(emulator: Emulator) -> None:
    run = bbpr("list", "acme/widgets", env=cloud_environment(
        emulator, BITBUCKET_EMAIL="", BITBUCKET_TOKEN="",
        BITBUCKET_USERNAME=emulator.demo.username, BITBUCKET_PASSWORD=emulator.demo.app_password))
    assert run.code == 3 and "28 July 2026" in run.err
    assert_plain(run.err)


def test_no_credentials_on_a_private_repository(emulator: Emulator) -> None:
    run = bbpr("list", "acme/widgets",
               env=cloud_environment(emulator, BITBUCKET_EMAIL="", BITBUCKET_TOKEN=""))
    assert run.code == 4 and "BITBUCKET_TOKEN" in run.err
    assert_plain(run.err)


def test_data_center_token_on_cloud(emulator: Emulator) -> None:
    run = bbpr("list", "acme/widgets",
               env=cloud_environment(emulator, BITBUCKET_TOKEN=DATACENTER_TOKEN))
    assert run.code == 2 and "Data Center" in run.err
    assert_plain(run.err)


@pytest.mark.parametrize(("args", "words"), [
    (["--state", "closed"], "not a pull request state"),
    (["--updated-since", "last tuesday"], "not a date"),
    (["--limit", "0"], "--limit"),
    (["--format", "xml"], "--format"),
    (["--fields", "id,nope"], "Unknown field"),
])
def test_bad_arguments_are_exit_2(emulator: Emulator, args: list[str], words: str) -> None:
    before = emulator.request_count
    run = bbpr("list", "acme/widgets", *args, env=cloud_environment(emulator))
    assert run.code == 2 and words in run.err
    assert "Traceback" not in run.err
    assert emulator.request_count == before


def test_placeholder_left_in(emulator: Emulator) -> None:
    before = emulator.request_count
    run = bbpr("list", "{workspace}/{repo_slug}", env=cloud_environment(emulator))
    assert run.code == 2 and "placeholder" in run.err
    assert emulator.request_count == before


def test_bad_bbql_says_check_the_query(emulator: Emulator) -> None:
    run = bbpr("list", "acme/widgets", "--query", "title ~~ nonsense (",
               env=cloud_environment(emulator))
    assert run.code == 2 and "--query" in run.err
    assert_plain(run.err)


@pytest.mark.parametrize(("api_url", "words"), [
    ("https://bitbucket.org", "website"),
    ("http://example.invalid/2.0", "https://"),
])
def test_bad_api_url(api_url: str, words: str) -> None:
    env = base_environment() | {"BITBUCKET_API_URL": api_url, "BITBUCKET_EMAIL": "a@example.com",
                                "BITBUCKET_TOKEN": API_TOKEN}
    run = bbpr("list", "acme/widgets", env=env)
    assert run.code == 2 and words in run.err
    assert_plain(run.err)


def test_connection_refused_is_exit_5() -> None:
    env = base_environment() | {"BITBUCKET_API_URL": "http://127.0.0.1:9/2.0",
                                "BITBUCKET_EMAIL": "a@example.com", "BITBUCKET_TOKEN": API_TOKEN}
    run = bbpr("list", "acme/widgets", env=env)
    assert run.code == 5 and "127.0.0.1:9" in run.err
    assert_plain(run.err)


def test_debug_traces_every_exchange_with_credentials_redacted(emulator: Emulator) -> None:
    run = bbpr("--debug", "list", "acme/widgets", "--limit", "3",
               env=cloud_environment(emulator))
    assert run.code == 0, run.err
    assert "> GET /2.0/repositories/acme/widgets/pullrequests" in run.err
    assert "authorization: basic <redacted>" in run.err.lower()
    assert "< HTTP/1.1 200" in run.err
    payload = base64.b64encode(f"{emulator.demo.email}:{emulator.demo.api_token}".encode())
    assert emulator.demo.api_token not in run.err and payload.decode() not in run.err
    after = bbpr("list", "acme/widgets", "--limit", "3", "--debug",
                 env=cloud_environment(emulator))
    assert "> GET " in after.err


def test_access_token_as_bearer(emulator: Emulator) -> None:
    env = cloud_environment(emulator, BITBUCKET_TOKEN=emulator.demo.access_token)
    run = bbpr("list", "acme/widgets", "--state", "all", "--format", "ids", env=env)
    assert run.code == 0, run.err
    assert run.err.count("BITBUCKET_EMAIL is ignored") == 1
    assert len(run.out.split()) == len(emulator.pull_requests("acme", "widgets"))
    other = bbpr("list", "acme/big-repo", env=env)
    assert other.code in (3, 4)
    assert_plain(other.err)


def test_oauth_consumer_gets_one_token_and_lists(emulator: Emulator) -> None:
    env = cloud_environment(emulator, BITBUCKET_EMAIL="", BITBUCKET_TOKEN="",
                            BITBUCKET_OAUTH_CLIENT_ID=emulator.demo.oauth_client_id,
                            BITBUCKET_OAUTH_CLIENT_SECRET=emulator.demo.oauth_client_secret)
    before = len(emulator.requests)
    run = bbpr("list", "acme/widgets", "--state", "all", "--format", "ids", env=env)
    assert run.code == 0, run.err
    assert len(run.out.split()) == len(emulator.pull_requests("acme", "widgets"))
    token_requests = [r for r in emulator.requests[before:] if r.path.endswith("access_token")]
    assert len(token_requests) == 1


def test_wrong_oauth_secret(emulator: Emulator) -> None:
    env = cloud_environment(emulator, BITBUCKET_EMAIL="", BITBUCKET_TOKEN="",
                            BITBUCKET_OAUTH_CLIENT_ID=emulator.demo.oauth_client_id,
                            BITBUCKET_OAUTH_CLIENT_SECRET="x" * 32)
    run = bbpr("list", "acme/widgets", env=env)
    assert run.code == 3 and "OAuth consumer" in run.err
    assert_plain(run.err)


def test_a_reader_that_stops_early_stops_the_listing(fresh_emulator: Emulator) -> None:
    import subprocess
    import sys

    fresh_emulator.add_repository("acme", "many", prs=3000)
    before = fresh_emulator.request_count
    process = subprocess.Popen(
        [sys.executable, "-m", "bbpr", "list", "acme/many", "--state", "all", "--format", "ids"],
        env=cloud_environment(fresh_emulator), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(10).split()[0] == b"3000"
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141  # as `yes | head` does: the output is incomplete
    assert err == ""
    assert fresh_emulator.request_count - before < 3000 // 50
