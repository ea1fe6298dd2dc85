"""The troubleshooting table of the manual (docs/troubleshooting.md), row by row: each cause
reproduced on the emulator, with bbpr's exit code and the words of its sentence checked,
through the real command line. A last test keeps that table and this list in step."""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme

from bbpr.emulator import Emulator
from bbpr.emulator.messages import Request, Response

from ..conftest import base_environment, bbpr

TROUBLESHOOTING = Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md"
Env = Callable[[Emulator], dict[str, str]]


def cloud(**overrides: str) -> Env:
    def environment(emu: Emulator) -> dict[str, str]:
        env = base_environment() | {"BITBUCKET_API_URL": emu.cloud_api_url,
                                    "BITBUCKET_EMAIL": emu.demo.email,
                                    "BITBUCKET_TOKEN": emu.demo.api_token,
                                    "BBPR_CONFIG_DIR": "/nonexistent/bbpr",
                                    "PYTHONIOENCODING": "utf-8"}
        env.update({name: value.format(emu=emu) for name, value in overrides.items()})
        return {name: value for name, value in env.items() if value}
    return environment


def with_token(make: Callable[[Emulator], str], **overrides: str) -> Env:
    return lambda emu: cloud(**overrides)(emu) | {"BITBUCKET_TOKEN": make(emu)}


def datacenter(**overrides: str) -> Env:
    def environment(emu: Emulator) -> dict[str, str]:
        env = base_environment() | {"BITBUCKET_SERVER": emu.datacenter_url,
                                    "BITBUCKET_TOKEN": emu.dc_demo.token,
                                    "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}
        env.update({name: value.format(emu=emu) for name, value in overrides.items()})
        return {name: value for name, value in env.items() if value}
    return environment


def login_page(request: Request) -> Response | None:
    if request.path.startswith("/rest/api/latest/projects"):
        return Response(302, headers={"Location": f"{request.base_url}/login?next=/"})
    return None


def never_answers(request: Request) -> Response | None:
    time.sleep(4)  # longer than the run waits: it has given up by then
    return None


def web_page(request: Request) -> Response | None:
    return Response(200, b"<html><body>Sign in to continue</body></html>",
                    {"Content-Type": "text/html"})


@dataclass(frozen=True)
class Cause:
    cause: str
    """The first column of the troubleshooting table (docs/troubleshooting.md), word for word."""
    args: tuple[str, ...]
    env: Env
    code: int
    says: str
    """Words bbpr's sentence must contain (stderr, or doctor's first failing line)."""
    own_emulator: Callable[[Emulator], None] | None = None
    tls: bool = False
    files: dict[str, str] = field(default_factory=dict)


def wrong_token(emu: Emulator) -> str:
    return emu.demo.api_token[:-20] + "A" * 12 + emu.demo.api_token[-8:]


CAUSES = [
    Cause("API token without the email (sent alone, or as Bearer)", ("list", "acme/widgets"),
          cloud(BITBUCKET_EMAIL=""), 2, "needs the email"),
    Cause("Bitbucket username where the email belongs", ("list", "acme/widgets"),
          cloud(BITBUCKET_EMAIL="", BITBUCKET_USERNAME="dana-demo"), 2,
          "not the Bitbucket username"),
    Cause("An email that is not an email", ("list", "acme/widgets"),
          cloud(BITBUCKET_EMAIL="dana"), 2, "is not an email address"),
    Cause("Another account's email", ("list", "acme/widgets"),
          cloud(BITBUCKET_EMAIL="someone.else@example.com"), 3,
          "is not the email of the Atlassian account"),
    Cause("An alias or former email of the account", ("list", "acme/widgets"),
          cloud(BITBUCKET_EMAIL="dana.demo@example.org"), 3, "an alias does not work"),
    Cause("A wrong or revoked token", ("list", "acme/widgets"), with_token(wrong_token), 3,
          "wrong, revoked or expired"),
    Cause("An expired token", ("list", "acme/widgets"),
          with_token(lambda emu: emu.add_api_token(expired=True)), 3, "expired"),
    Cause("A token made without scopes", ("list", "acme/widgets"),
          with_token(lambda emu: emu.add_api_token(scopes=())), 3, "has no scopes"),
    Cause("A token without read:pullrequest:bitbucket", ("list", "acme/widgets"),
          with_token(lambda emu: emu.add_api_token(scopes=("read:repository:bitbucket",))), 3,
          "lacks read:pullrequest:bitbucket"),
    Cause("A token made for another product (Jira)", ("list", "acme/widgets"),
          with_token(lambda emu: emu.add_api_token(scopes=("read:jira-work", "read:jira-user"))),
          3, "another Atlassian product"),
    Cause("An app password with the username", ("list", "acme/widgets"),
          cloud(BITBUCKET_EMAIL="", BITBUCKET_TOKEN="", BITBUCKET_USERNAME="dana-demo",
                BITBUCKET_PASSWORD="{emu.demo.app_password}"), 3, "28 July 2026"),
    Cause("Data Center's BITBUCKET_USERNAME and BITBUCKET_PASSWORD, with no --server",
          ("list", "ACME/widgets"),
          cloud(BITBUCKET_EMAIL="", BITBUCKET_TOKEN="", BITBUCKET_USERNAME="dana",
                BITBUCKET_PASSWORD="{emu.dc_demo.password}"), 2,
          "--server URL (or BITBUCKET_SERVER) may be missing"),
    Cause("An app password in BITBUCKET_TOKEN", ("list", "acme/widgets"),
          cloud(BITBUCKET_TOKEN="{emu.demo.app_password}"), 3, "28 July 2026"),
    Cause("An older app password (20 letters and digits) in BITBUCKET_TOKEN, with the email",
          ("list", "acme/widgets"), cloud(BITBUCKET_TOKEN="Ab3dE5gH7jK9mN2pQ4sT"), 3,
          "28 July 2026"),
    Cause("An app password in BITBUCKET_APP_PASSWORD, as old scripts name it",
          ("list", "acme/widgets"),
          cloud(BITBUCKET_EMAIL="", BITBUCKET_TOKEN="", BITBUCKET_USERNAME="dana-demo",
                BITBUCKET_APP_PASSWORD="{emu.demo.app_password}"), 3, "28 July 2026"),
    Cause("Another token with the email (sent as Bearer: the email is not used)",
          ("list", "acme/widgets"), cloud(BITBUCKET_TOKEN="bogus-" + "oauth" * 12), 3,
          "BITBUCKET_EMAIL was not used"),
    Cause("A space or line break inside the token", ("list", "acme/widgets"),
          with_token(lambda emu: emu.demo.api_token[:40] + " " + emu.demo.api_token[40:]), 2,
          "space or line break"),
    Cause("Quotes around the token", ("list", "acme/widgets"),
          with_token(lambda emu: f'"{emu.demo.api_token}"'), 2, "quote"),
    Cause("Braces of a placeholder left in: {workspace}/{repo_slug}",
          ("list", "{workspace}/{repo_slug}"), cloud(), 2, "placeholder"),
    Cause("Angle brackets of a placeholder left in", ("list", "<workspace>/<repo>"), cloud(),
          2, "placeholder"),
    Cause("The repository's display name with spaces: acme/Big Repo",
          ("list", "acme/Big Repo"), cloud(), 2, "the slug is probably 'big-repo'"),
    Cause("The workspace's display name: jobSearchDemo for jobsearchdemo",
          ("doctor", "jobSearchDemo/job-search"), cloud(), 4,
          'Did you mean jobsearchdemo ("jobSearchDemo")'),
    Cause("The repository's name instead of its slug: bigrepo for big-repo",
          ("doctor", "acme/bigrepo"), cloud(), 4, 'Did you mean acme/big-repo ("Big Repo")'),
    Cause("A repository that does not exist, or is hidden from you", ("list", "acme/nope"),
          cloud(), 4, "Repository acme/nope was not found"),
    Cause("An access token used on another repository", ("list", "acme/big-repo"),
          cloud(BITBUCKET_EMAIL="", BITBUCKET_TOKEN="{emu.demo.access_token}"), 4,
          "cannot see it"),
    Cause("No credentials, and a private repository", ("list", "acme/widgets"),
          cloud(BITBUCKET_EMAIL="", BITBUCKET_TOKEN=""), 4, "Private repositories answer 404"),
    Cause("A Data Center token (BBDC-...) sent to Cloud", ("list", "acme/widgets"),
          cloud(BITBUCKET_TOKEN="{emu.dc_demo.token}"), 2, "Data Center token"),
    Cause("A Cloud API token sent to Data Center", ("list", "ACME/widgets"),
          datacenter(BITBUCKET_TOKEN="{emu.demo.api_token}", BITBUCKET_EMAIL="dana@example.com"),
          2, "Data Center does not accept it"),
    Cause("BITBUCKET_API_URL set to the website", ("list", "acme/widgets"),
          cloud(BITBUCKET_API_URL="https://bitbucket.org"), 2, "is the Bitbucket website"),
    Cause("BITBUCKET_API_URL without /2.0", ("list", "acme/widgets"),
          cloud(BITBUCKET_API_URL="{emu.base_url}"), 2, "/2.0"),
    Cause("BITBUCKET_API_URL without /2.0, in doctor", ("doctor", "acme/widgets"),
          cloud(BITBUCKET_API_URL="{emu.base_url}"), 2, "Host: "),
    Cause("Plain http:// to another machine", ("list", "acme/widgets"),
          cloud(BITBUCKET_API_URL="http://bitbucket.example.invalid/2.0"), 2,
          "sends credentials only over https"),
    Cause("The server does not answer", ("list", "acme/widgets"),
          cloud(BITBUCKET_API_URL="http://127.0.0.1:9/2.0"), 5, "Could not connect"),
    Cause("A server that takes the connection and never answers", ("list", "acme/widgets",
                                                                   "--max-wait", "2"),
          cloud(), 5, "did not answer: 1 try went unanswered",
          own_emulator=lambda emu: emu.hooks.append(never_answers)),
    Cause("A certificate from a company certificate authority", ("list", "acme/widgets"),
          cloud(), 5, "--ca-bundle", tls=True),
    Cause("A web page where the API belongs (an SSO proxy, a wrong URL)",
          ("list", "acme/widgets"), cloud(), 2, "web page instead",
          own_emulator=lambda emu: emu.hooks.append(web_page)),
    Cause("An OAuth consumer with a wrong secret", ("list", "acme/widgets"),
          cloud(BITBUCKET_EMAIL="", BITBUCKET_TOKEN="",
                BITBUCKET_OAUTH_CLIENT_ID="{emu.demo.oauth_client_id}",
                BITBUCKET_OAUTH_CLIENT_SECRET="x" * 32), 3, "did not give"),
    Cause("An OAuth consumer's secret given as a token", ("list", "acme/widgets"),
          cloud(BITBUCKET_EMAIL="", BITBUCKET_TOKEN="{emu.demo.oauth_client_secret}"), 2,
          "OAuth consumer's secret"),
    Cause("Half of an OAuth consumer", ("list", "acme/widgets"),
          cloud(BITBUCKET_EMAIL="", BITBUCKET_TOKEN="",
                BITBUCKET_OAUTH_CLIENT_ID="{emu.demo.oauth_client_id}"), 2, "Set both"),
    Cause("A BBQL filter with a mistake", ("list", "acme/widgets", "--query", "title ~~ x"),
          cloud(), 2, "Check --query"),
    Cause("A state that does not exist: --state closed",
          ("list", "acme/widgets", "--state", "closed"), cloud(), 2, "not a pull request state"),
    Cause("Only open pull requests come back", ("doctor", "acme/widgets"), cloud(), 0,
          "only open ones unless you ask"),
    Cause("Cloud: --author with part of a name, or a name nobody has there",
          ("list", "acme/widgets", "--author", "Becker"), cloud(), 2,
          "is the nickname or display name of no author of a pull request of acme/widgets"),
    Cause("Cloud: --author with an email", ("list", "acme/widgets", "--author",
                                            "jonas@example.com"), cloud(), 2,
          "Bitbucket Cloud shows no one's email"),
    Cause("Data Center: a wrong password", ("list", "ACME/widgets"),
          datacenter(BITBUCKET_TOKEN="", BITBUCKET_USERNAME="dana", BITBUCKET_PASSWORD="nope"),
          3, "user name or password is wrong"),
    Cause("Data Center: a wrong or revoked token", ("list", "ACME/widgets"),
          datacenter(BITBUCKET_TOKEN="BBDC-" + "x" * 44), 3, "wrong, expired or revoked"),
    Cause("Data Center: a project key that does not exist", ("list", "NOPE/widgets"),
          datacenter(), 4, "Project NOPE does not exist"),
    Cause("Data Center: the token sent to the login page (outside /rest, or SSO)",
          ("list", "ACME/widgets"), datacenter(), 3, "login page",
          own_emulator=lambda emu: emu.hooks.append(login_page)),
    Cause("Data Center: a user without a license", ("list", "ACME/widgets"), datacenter(), 3,
          "licens", own_emulator=lambda emu: setattr(emu.settings, "dc_unlicensed", True)),
    Cause("Data Center: --state superseded", ("list", "ACME/widgets", "--state", "superseded"),
          datacenter(), 2, "no SUPERSEDED state"),
    Cause("Data Center: BBQL in --query", ("list", "ACME/widgets", "--query", 'title ~ "x"'),
          datacenter(), 2, "only Bitbucket Cloud"),
]


@pytest.fixture(scope="module")
def tls_emulator() -> Iterator[Emulator]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    with Emulator(prs=10, seed=2, tls=context) as emu:
        yield emu


@pytest.mark.parametrize("case", CAUSES, ids=[case.cause for case in CAUSES])
def test_cause(case: Cause, request: pytest.FixtureRequest) -> None:
    if case.tls:
        emu: Emulator = request.getfixturevalue("tls_emulator")
    elif case.own_emulator is not None:
        emu = request.getfixturevalue("fresh_emulator")
        case.own_emulator(emu)
    else:
        emu = request.getfixturevalue("emulator")
    run = bbpr(*case.args, env=case.env(emu))
    assert run.code == case.code, run.out + run.err
    if case.args[0] == "doctor" and case.code != 0:
        told = next(line for line in run.out.splitlines() if line.startswith("✗"))
    else:
        told = run.err if case.code else run.out
    assert case.says in told, told
    assert "Traceback" not in run.err


def test_the_troubleshooting_table_lists_every_cause() -> None:
    rows = re.findall(r"^\| (.+?) \|", TROUBLESHOOTING.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(CAUSES) >= 25
    missing = [case.cause for case in CAUSES if case.cause not in rows]
    assert not missing, f"add these to the table in docs/troubleshooting.md: {missing}"
