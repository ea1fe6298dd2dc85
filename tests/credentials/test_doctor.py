"""`bbpr doctor` names the cause and the fix in its first failing line."""

from __future__ import annotations

import json

import pytest

from bbpr.emulator import Emulator
from bbpr.emulator.messages import Request, Response

from ..conftest import Run, bbpr, cloud_environment


def first_failure(run: Run) -> str:
    return next(line for line in run.out.splitlines() if line.startswith("✗"))


def doctor(emu: Emulator, *args: str, **env: str) -> Run:
    return bbpr("doctor", *args, env=cloud_environment(emu, **env) | {
        "PYTHONIOENCODING": "utf-8", "BBPR_CONFIG_DIR": "/nonexistent/bbpr"})


def test_all_checks_pass_and_end_with_the_command(emulator: Emulator) -> None:
    run = doctor(emulator, "acme/widgets")
    assert run.code == 0, run.out + run.err
    names = [line.split(":")[0][2:] for line in run.out.splitlines() if line and line[0] in "✓!-"]
    assert names == ["Input", "Credential", "Host", "Login", "Scopes", "Workspace",
                     "Repository", "Pull requests"]
    truth = emulator.pull_requests("acme", "widgets")
    merged = sum(pr["state"] == "MERGED" for pr in truth)
    assert f"{merged} merged" in run.out and f"{len(truth)} in all" in run.out
    assert "only open ones" in run.out
    assert run.out.rstrip().endswith("bbpr list acme/widgets --state all")


def test_json_gives_the_same_checks(emulator: Emulator) -> None:
    run = doctor(emulator, "acme/widgets", "--format", "json")
    report = json.loads(run.out)
    assert run.code == 0 and report["ok"] is True
    assert [check["name"] for check in report["checks"]][:2] == ["input", "credential"]
    assert all(check["status"] == "pass" for check in report["checks"])
    assert report["command"] == "bbpr list acme/widgets --state all"

    failing = json.loads(doctor(emulator, "acme/nope", "--format", "json").out)
    assert failing["ok"] is False and failing["exit_code"] == 4
    assert failing["checks"][-1]["status"] == "fail"


@pytest.mark.parametrize(("args", "env", "code", "words"), [
    (["jobSearchDemo/job-search"], {}, 4, 'Did you mean jobsearchdemo ("jobSearchDemo")'),
    (["acme/bigrepo"], {}, 4, 'Did you mean acme/big-repo ("Big Repo")'),
    (["acme/Big Repo"], {}, 2, "the slug is probably 'big-repo'"),
    (["{workspace}/{repo_slug}"], {}, 2, "placeholder"),
    (["acme/widgets"], {"BITBUCKET_EMAIL": "someone.else@example.com"}, 3,
     "someone.else@example.com is not the email"),
    (["acme/widgets"], {"BITBUCKET_EMAIL": "", "BITBUCKET_USERNAME": "dana-demo"}, 2,
     "not the Bitbucket username"),
])
def test_each_cause_is_named_in_the_first_failing_line(emulator: Emulator, args: list[str],
                                                       env: dict[str, str], code: int,
                                                       words: str) -> None:
    run = doctor(emulator, *args, **env)
    assert run.code == code, run.out + run.err
    assert words in first_failure(run)


def test_a_token_without_the_pull_request_scope(emulator: Emulator) -> None:
    token = emulator.add_api_token(scopes=("read:repository:bitbucket",))
    run = doctor(emulator, "acme/widgets", BITBUCKET_TOKEN=token)
    assert run.code == 3
    line = first_failure(run)
    assert line.startswith("✗ Scopes") and "read:pullrequest:bitbucket" in line


def test_an_access_token_for_another_repository(emulator: Emulator) -> None:
    run = doctor(emulator, "acme/big-repo", BITBUCKET_EMAIL="",
                 BITBUCKET_TOKEN=emulator.demo.access_token)
    assert run.code == 4
    assert "acme has: widgets" in first_failure(run)


def test_a_space_in_the_token(emulator: Emulator) -> None:
    token = emulator.demo.api_token
    run = doctor(emulator, "acme/widgets", BITBUCKET_TOKEN=f"{token[:30]} {token[30:]}")
    assert run.code == 2
    assert first_failure(run).startswith("✗ Credential") and "space" in first_failure(run)


def test_an_unreachable_host() -> None:
    from ..conftest import base_environment
    from ..fakes import API_TOKEN

    run = bbpr("doctor", "acme/widgets", env=base_environment() | {
        "BITBUCKET_API_URL": "http://127.0.0.1:9/2.0", "BITBUCKET_EMAIL": "a@example.com",
        "BITBUCKET_TOKEN": API_TOKEN, "PYTHONIOENCODING": "utf-8"})
    assert run.code == 5
    assert first_failure(run).startswith("✗ Host")


def test_without_a_repository_only_the_credential_is_checked(emulator: Emulator) -> None:
    run = doctor(emulator)
    assert run.code == 0 and "Logged in as Dana Demo (dana)" in run.out
    assert "No repository given" in run.out


def scope_refusal(request: Request) -> Response | None:
    """A server that refuses for scopes but names none (no `x-oauth-scopes` header)."""
    if request.path.startswith(("/2.0/user", "/2.0/repositories/")):
        body = b'{"type": "error", "error": {"message": "Your credentials lack one or more ' \
               b'required privilege scopes."}}'
        return Response(403, body, {"Content-Type": "application/json"})
    return None


def test_doctor_says_a_scope_problem_once(fresh_emulator: Emulator) -> None:
    token = fresh_emulator.add_api_token(scopes=())
    env = cloud_environment(fresh_emulator, BITBUCKET_TOKEN=token)
    for target in ("acme/widgets", "acme"):
        run = bbpr("doctor", target, env=env)
        assert run.code == 3, run.out
        failed = [line for line in run.out.splitlines() if line.startswith("✗")]
        assert failed == [next(line for line in failed if line.startswith("✗ Scopes: The "
                                                                          "credential has no "
                                                                          "scopes"))]
        assert "did not say which scopes" not in run.out
    fresh_emulator.hooks.append(scope_refusal)
    run = bbpr("doctor", "acme/widgets", env=cloud_environment(fresh_emulator))
    assert run.code == 3, run.out
    assert run.out.count("Create API token with scopes") == 1  # once, on the repository
    assert "! Workspace: Could not list the repositories of acme: refused, as the repository " \
           "is below." in run.out
    workspace = bbpr("doctor", "acme", env=cloud_environment(fresh_emulator))
    assert workspace.code == 3 and "Everything works" not in workspace.out


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
@pytest.mark.parametrize("target", ["widgets", ""])
def test_with_no_credentials_doctor_ends_as_list_does(emulator: Emulator, flavour: str,
                                                      target: str) -> None:
    """docs/doctor.md: the exit code is the one `bbpr list` would end with; with no
    credentials at all that is a private repository's 404 on Cloud (4), a 401 on Data Center
    (3), and doctor no longer stops at the login with a 3 of its own."""
    owner = "acme" if flavour == "cloud" else "ACME"
    repo = f"{owner}/{target}" if target else owner
    env = cloud_environment(emulator, BITBUCKET_EMAIL="", BITBUCKET_TOKEN="") | {
        "PYTHONIOENCODING": "utf-8", "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}
    if flavour == "datacenter":
        env["BITBUCKET_SERVER"] = emulator.datacenter_url
    listed = bbpr("list", repo, env=env)
    checked = bbpr("doctor", repo, env=env)
    assert listed.code == checked.code == (4 if flavour == "cloud" else 3), checked.out
    assert "- Login: No credentials to log in with" in checked.out


def test_data_center_project_keys_are_spelt_as_list_spells_them(emulator: Emulator) -> None:
    env = cloud_environment(emulator, BITBUCKET_EMAIL="") | {
        "BITBUCKET_SERVER": emulator.datacenter_url, "BITBUCKET_TOKEN": emulator.dc_demo.token,
        "PYTHONIOENCODING": "utf-8", "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}
    run = bbpr("doctor", "acme/widgets", env=env)
    assert run.code == 0, run.out
    assert "✓ Input: ACME/widgets: repository widgets in project ACME, on" in run.out
    assert "project acme" not in run.out
    assert run.out.rstrip().endswith(f"bbpr list ACME/widgets --server {emulator.datacenter_url}"
                                     " --state all")


def test_a_data_center_without_a_list_of_projects_is_not_a_project_without_a_key(
        emulator: Emulator) -> None:
    def no_projects(request: Request) -> Response | None:
        if request.path.rstrip("/").endswith("/rest/api/latest/projects"):
            return Response(404, json.dumps({"errors": [{
                "message": "Not Found",
                "exceptionName": ""}]}
            ).encode(), {"Content-Type": "application/json"})
        return None

    emulator.hooks.append(no_projects)
    try:
        for target in ("NOPE/widgets", "NOPE"):
            run = bbpr("doctor", target, "--server", emulator.datacenter_url,
                       env=cloud_environment(emulator, BITBUCKET_TOKEN=emulator.dc_demo.token))
            said = run.out + run.err
            assert run.code == 4, said
            assert "Project  " not in said and "Project does" not in said
            assert "the request for the list of projects" in said and "check --server" in said
    finally:
        emulator.hooks.remove(no_projects)
