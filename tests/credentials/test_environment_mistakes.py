"""The credential variables a newcomer gets wrong (a near-miss name, a token in the email,
one half without the other, none at all), each answered with the sentence that names it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bbpr.emulator import Emulator

from ..conftest import base_environment, bbpr

FAKE_TOKEN = "ATATT3xFfGF0Tq6Sx1uYBrGf7Hk2wZLmNpQ8vR4sTuVwXyZ0aBcDeFgHiJkLmNo=1A2B3C4D"


def bare(emu: Emulator, tmp_path: Path, **variables: str) -> dict[str, str]:
    """No credentials but those given, and no stored logins."""
    return base_environment() | {"BITBUCKET_API_URL": emu.cloud_api_url,
                                 "BBPR_CONFIG_DIR": str(tmp_path)} | variables


@pytest.mark.parametrize(("wrong", "right"), [
    ("BITBUCKET_API_TOKEN", "BITBUCKET_TOKEN"), ("BITBUCKET_APP_PASSWORD", "BITBUCKET_TOKEN"),
    ("BB_TOKEN", "BITBUCKET_TOKEN"), ("ATLASSIAN_API_TOKEN", "BITBUCKET_TOKEN"),
])
def test_a_near_miss_variable_is_named(emulator: Emulator, tmp_path: Path, wrong: str,
                                       right: str) -> None:
    env = bare(emulator, tmp_path, BITBUCKET_EMAIL=emulator.demo.email,
               **{wrong: emulator.demo.api_token})
    run = bbpr("list", "acme/widgets", env=env)
    assert run.code == 2
    assert f"{wrong} is set, but bbpr reads {right}" in run.err
    assert emulator.demo.api_token not in run.err


def test_the_token_pasted_into_the_email(emulator: Emulator, tmp_path: Path) -> None:
    for env in (bare(emulator, tmp_path, BITBUCKET_EMAIL=FAKE_TOKEN),
                bare(emulator, tmp_path, BITBUCKET_EMAIL=FAKE_TOKEN, BITBUCKET_TOKEN=FAKE_TOKEN)):
        run = bbpr("list", "acme/widgets", env=env)
        assert run.code == 2
        assert "BITBUCKET_EMAIL holds a token" in run.err
        assert FAKE_TOKEN not in run.err and FAKE_TOKEN[:12] not in run.err


def test_an_email_without_a_token(emulator: Emulator, tmp_path: Path) -> None:
    run = bbpr("list", "acme/widgets", env=bare(emulator, tmp_path, BITBUCKET_EMAIL="d@x.io"))
    assert run.code == 2
    assert "BITBUCKET_EMAIL is set, but BITBUCKET_TOKEN is not" in run.err


def test_a_token_without_an_email(emulator: Emulator, tmp_path: Path) -> None:
    run = bbpr("list", "acme/widgets", env=bare(emulator, tmp_path, BITBUCKET_TOKEN=FAKE_TOKEN))
    assert run.code == 2
    assert "needs the email of the Atlassian account" in run.err


def test_no_credentials_at_all_is_a_plain_sentence(emulator: Emulator, tmp_path: Path) -> None:
    run = bbpr("list", "acme/widgets", env=bare(emulator, tmp_path))
    assert run.code == 4
    assert "no credentials cannot" not in run.err
    assert "no credentials were sent" in run.err


@pytest.mark.parametrize("command", [("list", "acme/widgets"), ("view", "acme/widgets", "3"),
                                     ("doctor", "acme/widgets"), ("auth", "login")])
def test_a_bad_email_option_is_named_as_the_option(emulator: Emulator, tmp_path: Path,
                                                   command: tuple[str, ...]) -> None:
    """`--email dana` beside a valid BITBUCKET_EMAIL is the option's mistake, not the
    variable's; a token given to it is said without being repeated."""
    env = bare(emulator, tmp_path, BITBUCKET_EMAIL=emulator.demo.email,
               BITBUCKET_TOKEN=emulator.demo.api_token)
    run = bbpr(*command, "--email", "dana", env=env, input=emulator.demo.api_token)
    assert run.code == 2, run.err
    assert "--email 'dana' is not an email address" in run.err
    assert "BITBUCKET_EMAIL" not in run.err
    token = bbpr(*command, "--email", FAKE_TOKEN, env=env, input=emulator.demo.api_token)
    assert token.code == 2 and "--email was given a token, not an email address" in token.err
    assert FAKE_TOKEN[:12] not in token.err
