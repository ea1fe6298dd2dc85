"""A credential's kind is told from its prefix, and impossible uses are refused up front."""

from __future__ import annotations

import base64

import pytest

from bbpr.credentials.kinds import Credentials, Secret, from_environment, token_kind
from bbpr.errors import AuthError, InputError

from ..fakes import ACCESS_TOKEN, API_TOKEN, APP_PASSWORD, DATACENTER_TOKEN, EMAIL


def test_kinds_by_prefix() -> None:
    assert token_kind(API_TOKEN) == "api_token"
    assert token_kind(ACCESS_TOKEN) == "access_token"
    assert token_kind(APP_PASSWORD) == "app_password"
    assert token_kind(DATACENTER_TOKEN) == "datacenter_token"
    assert token_kind("some-oauth-access-token") == "unknown"


def test_api_token_goes_in_basic_auth_with_the_email() -> None:
    credentials = from_environment({"BITBUCKET_EMAIL": EMAIL, "BITBUCKET_TOKEN": API_TOKEN},
                                   "cloud")
    assert credentials.kind == "api_token"
    header = credentials.authorization()
    assert header is not None and header.startswith("Basic ")
    assert base64.b64decode(header.removeprefix("Basic ")).decode() == f"{EMAIL}:{API_TOKEN}"


def test_access_token_goes_as_bearer_and_the_email_is_ignored_with_a_note() -> None:
    credentials = from_environment({"BITBUCKET_EMAIL": EMAIL, "BITBUCKET_TOKEN": ACCESS_TOKEN},
                                   "cloud")
    assert credentials.authorization() == f"Bearer {ACCESS_TOKEN}"
    assert any("BITBUCKET_EMAIL is ignored" in note for note in credentials.notes)


def test_api_token_without_email_says_to_set_it() -> None:
    with pytest.raises(InputError, match="BITBUCKET_EMAIL"):
        from_environment({"BITBUCKET_TOKEN": API_TOKEN}, "cloud")


def test_api_token_with_a_username_says_email_not_username() -> None:
    with pytest.raises(InputError, match="not the Bitbucket username"):
        from_environment({"BITBUCKET_TOKEN": API_TOKEN, "BITBUCKET_USERNAME": "dana-demo"},
                         "cloud")


def test_an_email_in_the_username_variable_is_accepted() -> None:
    credentials = from_environment({"BITBUCKET_TOKEN": API_TOKEN, "BITBUCKET_USERNAME": EMAIL},
                                   "cloud")
    assert (credentials.kind, credentials.user) == ("api_token", EMAIL)


def test_an_email_that_is_not_one() -> None:
    with pytest.raises(InputError, match="not an email address"):
        from_environment({"BITBUCKET_TOKEN": API_TOKEN, "BITBUCKET_EMAIL": "dana"}, "cloud")


@pytest.mark.parametrize("environ", [
    {"BITBUCKET_TOKEN": APP_PASSWORD, "BITBUCKET_USERNAME": "dana-demo"},
    {"BITBUCKET_PASSWORD": APP_PASSWORD, "BITBUCKET_USERNAME": "dana-demo"},
])
def test_app_passwords_are_gone_and_bbpr_says_so(environ: dict[str, str]) -> None:
    with pytest.raises(AuthError, match="28 July 2026") as raised:
        from_environment(environ, "cloud")
    assert "API token" in str(raised.value)


@pytest.mark.parametrize(("environ", "pair"), [
    ({"BITBUCKET_USERNAME": "dana", "BITBUCKET_PASSWORD": "correct horse"},
     "BITBUCKET_USERNAME and BITBUCKET_PASSWORD"),
    ({"BITBUCKET_EMAIL": EMAIL, "BITBUCKET_PASSWORD": "correct horse"},
     "BITBUCKET_EMAIL and BITBUCKET_PASSWORD"),
])
def test_a_data_center_password_on_cloud_says_server_may_be_missing(
        environ: dict[str, str], pair: str) -> None:
    """Data Center's user and password with no --server: the run is for Cloud because
    nothing named the server, which is the likelier mistake than an app password."""
    with pytest.raises(InputError) as raised:
        from_environment(environ, "cloud")
    assert f"{pair} are a user and password, which only Bitbucket Data Center takes" in str(
        raised.value)
    assert "--server URL (or BITBUCKET_SERVER) may be missing" in str(raised.value)
    assert "correct horse" not in str(raised.value)


@pytest.mark.parametrize("token", [API_TOKEN[:40] + " " + API_TOKEN[40:],
                                   API_TOKEN[:40] + "\n" + API_TOKEN[40:]])
def test_a_token_damaged_by_copying(token: str) -> None:
    with pytest.raises(InputError, match="Copy it again"):
        from_environment({"BITBUCKET_TOKEN": token, "BITBUCKET_EMAIL": EMAIL}, "cloud")


def test_surrounding_whitespace_is_not_damage() -> None:
    credentials = from_environment(
        {"BITBUCKET_TOKEN": f"  {API_TOKEN}\n", "BITBUCKET_EMAIL": f"{EMAIL} "}, "cloud")
    assert credentials.secret == Secret(API_TOKEN)


def test_quotes_in_a_token() -> None:
    with pytest.raises(InputError, match="quote"):
        from_environment({"BITBUCKET_TOKEN": f'"{API_TOKEN}"', "BITBUCKET_EMAIL": EMAIL}, "cloud")


def test_data_center_token_against_cloud() -> None:
    with pytest.raises(InputError, match="Data Center token"):
        from_environment({"BITBUCKET_TOKEN": DATACENTER_TOKEN}, "cloud")


@pytest.mark.parametrize("token", [API_TOKEN, ACCESS_TOKEN])
def test_cloud_tokens_against_data_center(token: str) -> None:
    with pytest.raises(InputError, match="Data Center does not accept it"):
        from_environment({"BITBUCKET_TOKEN": token, "BITBUCKET_EMAIL": EMAIL}, "datacenter")


def test_data_center_token_and_password() -> None:
    token = from_environment({"BITBUCKET_TOKEN": DATACENTER_TOKEN}, "datacenter")
    assert token.authorization() == f"Bearer {DATACENTER_TOKEN}"
    password = from_environment(
        {"BITBUCKET_USERNAME": "dana", "BITBUCKET_PASSWORD": "correct horse"}, "datacenter")
    assert password.kind == "password"
    assert password.authorization() == "Basic " + base64.b64encode(b"dana:correct horse").decode()


def test_oauth_consumer_needs_both_halves() -> None:
    with pytest.raises(InputError, match="both"):
        from_environment({"BITBUCKET_OAUTH_CLIENT_ID": "abc"}, "cloud")
    consumer = from_environment({"BITBUCKET_OAUTH_CLIENT_ID": "abc",
                                 "BITBUCKET_OAUTH_CLIENT_SECRET": "s" * 32}, "cloud")
    assert consumer.kind == "oauth_client" and consumer.authorization() is None


def test_nothing_set_is_anonymous() -> None:
    assert from_environment({}, "cloud").kind == "anonymous"


def test_no_secret_in_repr_str_or_description() -> None:
    credentials = from_environment({"BITBUCKET_EMAIL": EMAIL, "BITBUCKET_TOKEN": API_TOKEN},
                                   "cloud")
    for text in (repr(credentials), str(credentials), credentials.describe(),
                 repr(credentials.secret), str(credentials.secret)):
        assert API_TOKEN[12:30] not in text
    assert isinstance(credentials, Credentials)


def test_secrets_for_redaction_include_the_basic_header_payload() -> None:
    credentials = from_environment({"BITBUCKET_EMAIL": EMAIL, "BITBUCKET_TOKEN": API_TOKEN},
                                   "cloud")
    payload = base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
    assert API_TOKEN in credentials.secrets()
    assert payload in credentials.secrets()
