"""Authentication and scopes, case by case, as Bitbucket Cloud answers them."""

from __future__ import annotations

import base64
import re
import time

import pytest
import requests

from bbpr.emulator import Emulator

TOKEN_INVALID = {
    "type": "error",
    "error": {"message": "Token is invalid, expired, or not supported for this endpoint."},
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_plain_login_failed(response: requests.Response) -> None:
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text.startswith("Login failed due to incorrect login credentials or method.")
    assert response.text.endswith(".")


def test_demo_tokens_have_the_real_shapes(emu: Emulator) -> None:
    demo = emu.demo
    assert re.fullmatch(r"ATATT3xFfGF0[A-Za-z0-9_-]{180}=[0-9A-F]{8}", demo.api_token)
    assert re.fullmatch(r"ATCTT3xFfGF0[A-Za-z0-9_-]{180}=[0-9A-F]{8}", demo.access_token)
    assert re.fullmatch(r"ATBB[A-Za-z0-9]{32}", demo.app_password)
    assert re.fullmatch(r"[A-Za-z0-9]{18}", demo.oauth_client_id)
    assert re.fullmatch(r"[A-Za-z0-9]{32}", demo.oauth_client_secret)
    assert (demo.email, demo.username) == ("dana@example.com", "dana-demo")
    assert (demo.workspace, demo.repo_slug) == ("acme", "widgets")


def test_api_token_with_email_works_and_says_so(emu: Emulator, pulls_url: str) -> None:
    response = requests.get(pulls_url, auth=(emu.demo.email, emu.demo.api_token))
    assert response.status_code == 200
    assert response.headers["x-credential-type"] == "api_token"
    assert "read:pullrequest:bitbucket" in response.headers["x-oauth-scopes"].split(", ")
    assert response.headers["x-accepted-oauth-scopes"] == "read:pullrequest:bitbucket"


def test_email_is_case_insensitive(emu: Emulator, pulls_url: str) -> None:
    response = requests.get(pulls_url, auth=("Dana@Example.COM", emu.demo.api_token))
    assert response.status_code == 200


def test_api_token_with_username_is_a_plain_text_401(emu: Emulator, pulls_url: str) -> None:
    assert_plain_login_failed(requests.get(pulls_url, auth=(emu.demo.username, emu.demo.api_token)))


@pytest.mark.parametrize(
    "pair",
    [
        ("dana@example.com", "ATATT3xFfGF0-not-a-token"),
        ("someone@example.com", None),
        ("dana@example.com", ""),
    ],
)
def test_wrong_basic_pairs_are_plain_text_401(
    emu: Emulator, pulls_url: str, pair: tuple[str, str | None]
) -> None:
    user, secret = pair
    response = requests.get(
        pulls_url, auth=(user, secret if secret is not None else emu.demo.api_token)
    )
    assert_plain_login_failed(response)


def test_malformed_basic_header_is_a_plain_text_401(pulls_url: str) -> None:
    garbage = base64.b64encode(b"no-colon-here").decode()
    assert_plain_login_failed(
        requests.get(pulls_url, headers={"Authorization": f"Basic {garbage}"})
    )
    assert_plain_login_failed(requests.get(pulls_url, headers={"Authorization": "Basic %%%"}))


def test_bad_credentials_are_rejected_even_on_unknown_routes(emu: Emulator) -> None:
    response = requests.get(f"{emu.cloud_api_url}/nope", auth=("x@example.com", "y"))
    assert response.status_code == 401


def test_api_token_as_bearer_is_a_json_401(emu: Emulator, pulls_url: str) -> None:
    response = requests.get(pulls_url, headers=bearer(emu.demo.api_token))
    assert response.status_code == 401
    assert response.json() == TOKEN_INVALID


def test_unknown_bearer_and_other_schemes_are_json_401(pulls_url: str) -> None:
    assert requests.get(pulls_url, headers=bearer("nope")).json() == TOKEN_INVALID
    response = requests.get(pulls_url, headers={"Authorization": "Token abc"})
    assert response.status_code == 401


def test_app_password_always_fails(emu: Emulator, pulls_url: str) -> None:
    assert_plain_login_failed(
        requests.get(pulls_url, auth=(emu.demo.username, emu.demo.app_password))
    )
    assert_plain_login_failed(requests.get(pulls_url, auth=(emu.demo.email, emu.demo.app_password)))


def test_access_token_works_on_its_repository(emu: Emulator, pulls_url: str) -> None:
    response = requests.get(pulls_url, headers=bearer(emu.demo.access_token))
    assert response.status_code == 200
    assert response.headers["x-credential-type"] == "repo_access_token"
    assert response.headers["x-oauth-scopes"] == "pullrequest, repository"
    assert response.headers["x-accepted-oauth-scopes"] == "pullrequest"
    repo = requests.get(pulls_url.rsplit("/", 1)[0], headers=bearer(emu.demo.access_token))
    assert repo.status_code == 200


def test_access_token_sees_no_other_repository(emu: Emulator) -> None:
    other = f"{emu.cloud_api_url}/repositories/acme/big-repo/pullrequests"
    response = requests.get(other, headers=bearer(emu.demo.access_token))
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Repository acme/big-repo not found"
    listing = requests.get(
        f"{emu.cloud_api_url}/repositories/acme", headers=bearer(emu.demo.access_token)
    )
    assert [r["slug"] for r in listing.json()["values"]] == ["widgets"]


def test_access_token_gets_403_on_user(emu: Emulator) -> None:
    response = requests.get(f"{emu.cloud_api_url}/user", headers=bearer(emu.demo.access_token))
    assert response.status_code == 403
    assert response.headers["x-credential-type"] == "repo_access_token"


def test_access_token_in_basic_auth_fails(emu: Emulator, pulls_url: str) -> None:
    assert_plain_login_failed(requests.get(pulls_url, auth=("x-token-auth", emu.demo.access_token)))


def test_no_credentials(emu: Emulator, pulls_url: str) -> None:
    assert requests.get(pulls_url).status_code == 404  # private: as if it did not exist
    assert requests.get(f"{emu.cloud_api_url}/repositories/acme").status_code == 404
    response = requests.get(f"{emu.cloud_api_url}/user")
    assert response.status_code == 401
    assert response.json()["type"] == "error"
    assert "x-credential-type" not in response.headers


@pytest.mark.parametrize(
    ("path", "needed"),
    [
        ("/repositories/acme/widgets/pullrequests", "read:pullrequest:bitbucket"),
        ("/repositories/acme/widgets", "read:repository:bitbucket"),
        ("/repositories/acme", "read:repository:bitbucket"),
        ("/user", "read:user:bitbucket"),
        ("/user/workspaces", "read:workspace:bitbucket"),
        ("/workspaces/acme", "read:workspace:bitbucket"),
    ],
)
def test_missing_scope_is_403_with_headers(emu: Emulator, path: str, needed: str) -> None:
    every = ("read:pullrequest:bitbucket", "read:repository:bitbucket",
             "read:workspace:bitbucket", "read:user:bitbucket")  # fmt: skip
    granted = tuple(scope for scope in every if scope != needed)
    token = emu.add_api_token(granted)
    url = emu.cloud_api_url + path
    denied = requests.get(url, auth=(emu.demo.email, token))
    assert denied.status_code == 403
    assert denied.json() == {
        "type": "error",
        "error": {
            "message": "Your credentials lack one or more required privilege scopes.",
            "detail": {"granted": sorted(granted), "required": [needed]},
        },
    }
    assert denied.headers["x-accepted-oauth-scopes"] == needed
    assert denied.headers["x-oauth-scopes"] == ", ".join(sorted(granted))
    assert denied.headers["x-credential-type"] == "api_token"
    allowed = requests.get(url, auth=(emu.demo.email, emu.add_api_token((needed,))))
    assert allowed.status_code == 200


def test_token_without_scopes_is_403(emu: Emulator, pulls_url: str) -> None:
    response = requests.get(pulls_url, auth=(emu.demo.email, emu.add_api_token(())))
    assert response.status_code == 403
    assert response.json()["error"]["detail"] == {
        "granted": [],
        "required": ["read:pullrequest:bitbucket"],
    }


def test_classic_pullrequest_scope_implies_repository(emu: Emulator) -> None:
    token = emu.add_access_token("acme", "widgets", ("pullrequest",))
    response = requests.get(f"{emu.cloud_api_url}/repositories/acme/widgets", headers=bearer(token))
    assert response.status_code == 200
    token = emu.add_access_token("acme", "widgets", ("repository",))
    response = requests.get(
        f"{emu.cloud_api_url}/repositories/acme/widgets/pullrequests", headers=bearer(token)
    )
    assert response.status_code == 403


def oauth_token(emu: Emulator, client_id: str, secret: str, **form: str) -> requests.Response:
    return requests.post(
        f"{emu.base_url}/site/oauth2/access_token",
        auth=(client_id, secret),
        data=form or {"grant_type": "client_credentials"},
    )


def test_oauth_client_credentials_flow(emu: Emulator, pulls_url: str) -> None:
    response = oauth_token(emu, emu.demo.oauth_client_id, emu.demo.oauth_client_secret)
    assert response.status_code == 200
    token = response.json()
    assert set(token) == {"access_token", "scopes", "expires_in", "token_type", "state"}
    assert token["expires_in"] == 3600
    assert token["token_type"] == "bearer"
    assert token["state"] == "client_credentials"
    assert set(token["scopes"].split()) == {"account", "pullrequest", "repository"}
    listing = requests.get(pulls_url, headers=bearer(token["access_token"]))
    assert listing.status_code == 200
    assert listing.headers["x-credential-type"] == "oauth2"
    me = requests.get(f"{emu.cloud_api_url}/user", headers=bearer(token["access_token"]))
    assert me.json()["username"] == "dana-demo"
    in_basic = requests.get(pulls_url, auth=(emu.demo.email, token["access_token"]))
    assert in_basic.status_code == 401


def test_oauth_errors(emu: Emulator) -> None:
    wrong = oauth_token(emu, emu.demo.oauth_client_id, "wrong")
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_client"
    grant = oauth_token(
        emu, emu.demo.oauth_client_id, emu.demo.oauth_client_secret, grant_type="password"
    )
    assert grant.json()["error"] == "unsupported_grant_type"
    missing = oauth_token(emu, emu.demo.oauth_client_id, emu.demo.oauth_client_secret, scope="x")
    assert missing.json()["error"] == "invalid_request"


def test_oauth_scopes_limit_the_token(emu: Emulator, pulls_url: str) -> None:
    client_id, secret = emu.add_oauth_consumer(("account",))
    token = oauth_token(emu, client_id, secret).json()["access_token"]
    response = requests.get(pulls_url, headers=bearer(token))
    assert response.status_code == 403
    assert response.headers["x-accepted-oauth-scopes"] == "pullrequest"
    assert response.json()["error"]["detail"] == {
        "granted": ["account"],
        "required": ["pullrequest"],
    }


def test_oauth_token_expires(emu: Emulator, pulls_url: str) -> None:
    emu.settings.oauth_token_lifetime = 0.2
    token = oauth_token(emu, emu.demo.oauth_client_id, emu.demo.oauth_client_secret).json()
    assert token["expires_in"] == 0
    assert requests.get(pulls_url, headers=bearer(token["access_token"])).status_code == 200
    time.sleep(0.3)
    expired = requests.get(pulls_url, headers=bearer(token["access_token"]))
    assert expired.status_code == 401
    assert expired.json()["error"]["message"].startswith("Access token expired.")
