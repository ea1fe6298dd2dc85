"""No secret escapes: random tokens, passwords and emails, through every command and failure
path, never show up in stdout, stderr, log records or exception text, whole, in any
8-character piece, or as the base64 of `user:secret` that Basic auth sends."""

from __future__ import annotations

import base64
import logging
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bbpr import Client
from bbpr.credentials.kinds import Credentials, Secret
from bbpr.emulator import Emulator
from bbpr.http import HttpOptions

from ..conftest import base_environment, run_in_process

TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_="
PREFIXES = ["ATATT3xFfGF0", "ATCTT3xFfGF0", "ATBB", "BBDC-", ""]


@dataclass(frozen=True)
class Secrets:
    token: str
    email: str
    password: str

    def forbidden(self) -> Iterator[str]:
        """Every string that would give a secret away (a piece that is also part of the
        email, which bbpr may print, proves nothing)."""
        for secret in (self.token, self.password):
            pieces = [secret, *(secret[i:i + 8] for i in range(len(secret) - 7))]
            yield from (piece for piece in pieces if piece not in self.email)
            for user in (self.email, "dana", "dana-demo", "dana@example.com", ""):
                yield base64.b64encode(f"{user}:{secret}".encode()).decode()


tokens = st.builds(lambda prefix, body: prefix + body, st.sampled_from(PREFIXES),
                   st.text(TOKEN_ALPHABET, min_size=24, max_size=60))
emails = st.builds(lambda user, domain: f"{user}@{domain}.example",
                   st.text("abcdefghijklmnopqrstuvwxyz.", min_size=1, max_size=12)
                   .filter(lambda user: not user.startswith(".")),
                   st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10))
passwords = st.text(TOKEN_ALPHABET + "!#$%&()*+,./:;<>?@[]^{|}~", min_size=8, max_size=40)
Scenario = Callable[[Emulator, Secrets], tuple[list[str], dict[str, str], str]]


def cloud(emu: Emulator, **env: str) -> dict[str, str]:
    return base_environment() | {"BITBUCKET_API_URL": emu.cloud_api_url,
                                 "BBPR_CONFIG_DIR": "/nonexistent/bbpr",
                                 "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"} | env


def datacenter(emu: Emulator, **env: str) -> dict[str, str]:
    return cloud(emu, BITBUCKET_SERVER=emu.datacenter_url, **env)


SCENARIOS: dict[str, Scenario] = {
    "list, token and email, --debug": lambda emu, s: (
        ["--debug", "list", "acme/widgets"],
        cloud(emu, BITBUCKET_TOKEN=s.token, BITBUCKET_EMAIL=s.email), ""),
    "list, token with a space inside": lambda emu, s: (
        ["list", "acme/widgets"],
        cloud(emu, BITBUCKET_TOKEN=s.token[:10] + " " + s.token[10:], BITBUCKET_EMAIL=s.email),
        ""),
    "list, token only, unknown repo, --debug": lambda emu, s: (
        ["list", "acme/nope", "--debug"], cloud(emu, BITBUCKET_TOKEN=s.token), ""),
    "list, username and password": lambda emu, s: (
        ["list", "acme/widgets", "--debug"],
        cloud(emu, BITBUCKET_USERNAME="dana-demo", BITBUCKET_PASSWORD=s.password), ""),
    "list, OAuth consumer": lambda emu, s: (
        ["--debug", "list", "acme/widgets"],
        cloud(emu, BITBUCKET_OAUTH_CLIENT_ID="consumer-key-1234",
              BITBUCKET_OAUTH_CLIENT_SECRET=s.password), ""),
    "list, token on stdin": lambda emu, s: (
        ["list", "acme/widgets", "--email", s.email, "--with-token", "--debug"],
        cloud(emu), s.token),
    "list, unreachable host": lambda emu, s: (
        ["--debug", "list", "acme/widgets"],
        cloud(emu, BITBUCKET_API_URL="http://127.0.0.1:9/2.0", BITBUCKET_TOKEN=s.token,
              BITBUCKET_EMAIL=s.email), ""),
    "doctor, token and email": lambda emu, s: (
        ["doctor", "acme/widgets", "--debug"],
        cloud(emu, BITBUCKET_TOKEN=s.token, BITBUCKET_EMAIL=s.email), ""),
    "doctor, JSON": lambda emu, s: (
        ["doctor", "acme/widgets", "--format", "json"],
        cloud(emu, BITBUCKET_TOKEN=s.token, BITBUCKET_EMAIL=s.email), ""),
    "auth login, refused": lambda emu, s: (
        ["--debug", "auth", "login", "--email", s.email, "--with-token", "--insecure-storage"],
        cloud(emu), s.token),
    "auth status": lambda emu, s: (
        ["auth", "status"], cloud(emu, BITBUCKET_TOKEN=s.token, BITBUCKET_EMAIL=s.email), ""),
    "data center, token, --debug": lambda emu, s: (
        ["--debug", "list", "ACME/widgets"], datacenter(emu, BITBUCKET_TOKEN=s.token), ""),
    "data center, password, --debug": lambda emu, s: (
        ["--debug", "list", "ACME/widgets"],
        datacenter(emu, BITBUCKET_USERNAME="dana", BITBUCKET_PASSWORD=s.password), ""),
    "data center doctor": lambda emu, s: (
        ["doctor", "ACME/nope", "--debug"],
        datacenter(emu, BITBUCKET_USERNAME="dana", BITBUCKET_PASSWORD=s.password), ""),
}


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def run_captured(args: list[str], env: dict[str, str], stdin: str) -> str:
    """Run the CLI in this process; return everything it wrote and logged."""
    records = _Records()
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(records)
    root.setLevel(logging.DEBUG)
    try:
        code, out, err = run_in_process(args, env, stdin)
    finally:
        root.removeHandler(records)
        root.setLevel(saved_level)
    assert code != 1, f"unexpected failure: {err}"
    return "\n".join([out, err, *records.lines])


def assert_clean(text: str, secrets: Secrets, control: Callable[[], str] | None = None) -> None:
    """No forbidden string in `text`. A piece that also shows up when the secrets are
    different (the `control` run) is bbpr's own words ("credenti" in "credentials"), not
    a leak."""
    found = [forbidden for forbidden in secrets.forbidden() if forbidden in text]
    if found and control is not None:
        control_text = control()
        found = [piece for piece in found if piece not in control_text]
    assert not found, f"{found[0]!r} leaked"


@settings(max_examples=500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(token=tokens, email=emails, password=passwords,
       scenario=st.sampled_from(sorted(SCENARIOS)))
def test_no_secret_in_any_output(emulator: Emulator, token: str, email: str, password: str,
                                 scenario: str) -> None:
    secrets = Secrets(token, email, password)
    args, env, stdin = SCENARIOS[scenario](emulator, secrets)
    others = Secrets(_other(token), email, _other(password))

    def control() -> str:
        return run_captured(*SCENARIOS[scenario](emulator, others))

    assert_clean(run_captured(args, env, stdin), secrets, control)


def _other(secret: str) -> str:
    """A different secret of the same shape: same prefix, every other character changed."""
    body = secret[12:] if secret.startswith(("ATATT", "ATCTT")) else secret[5:]
    letters = string.ascii_lowercase + string.ascii_uppercase + string.digits
    swapped = body.translate(str.maketrans(letters, letters[::-1]))
    return secret[: len(secret) - len(body)] + swapped


def chain_text(error: BaseException) -> str:
    """Everything an error reporter that walks `__cause__` and `__context__` could capture:
    each link's text, its attributes, and the headers of a request or response it holds."""
    parts: list[str] = []
    seen: list[BaseException] = []
    stack = [error]
    while stack:
        link = stack.pop()
        if link in seen:
            continue
        seen.append(link)
        parts += [str(link), repr(link), repr(link.args), repr(vars(link))]
        for value in vars(link).values():
            if hasattr(value, "headers"):
                parts.append(repr(dict(value.headers)))
        stack += [next_link for next_link in (link.__cause__, link.__context__)
                  if next_link is not None]
    return "\n".join(parts)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(token=tokens, email=emails, unreachable=st.booleans())
def test_no_secret_in_library_exceptions(emulator: Emulator, token: str, email: str,
                                         unreachable: bool) -> None:
    """Nor anywhere in the chain of the exception a caller catches (a refused connection's
    httpx error holds the request, Authorization header included)."""
    credentials = Credentials(kind="api_token", user=email, secret=Secret(token))
    text = repr(credentials) + str(credentials)
    api_url = "http://127.0.0.1:9/2.0" if unreachable else emulator.cloud_api_url
    with Client(credentials=credentials, api_url=api_url,
                options=HttpOptions(backoff=0.01)) as bb:
        try:
            bb.pull_request_ids("acme/widgets")
        except Exception as error:
            text += chain_text(error)
    assert_clean(text, Secrets(token, email, "-" * 8))
