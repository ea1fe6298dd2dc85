"""The redactor masks known secrets and anything shaped like a credential."""

from __future__ import annotations

import base64

from bbpr.redaction import MASK, Redactor

from ..fakes import ACCESS_TOKEN, API_TOKEN, APP_PASSWORD, DATACENTER_TOKEN, EMAIL


def test_known_secret_raw_and_as_basic_payload() -> None:
    payload = base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
    redact = Redactor([API_TOKEN, f"{EMAIL}:{API_TOKEN}", payload])
    text = redact(f"token {API_TOKEN} and basic {payload} and pair {EMAIL}:{API_TOKEN}")
    assert API_TOKEN not in text and payload not in text
    assert text.count(MASK) == 3


def test_authorization_headers_are_masked_without_knowing_the_secret() -> None:
    redact = Redactor()
    assert redact("> authorization: Basic ZGFuYTpodW50ZXIy") == f"> authorization: Basic {MASK}"
    bearer = "Authorization: Bearer abc.def.ghi\nnext"
    assert redact(bearer) == f"Authorization: Bearer {MASK}\nnext"


def test_token_shapes_are_masked_without_knowing_them() -> None:
    redact = Redactor()
    for token in (API_TOKEN, ACCESS_TOKEN, APP_PASSWORD, DATACENTER_TOKEN):
        assert token[:20] not in redact(f"value={token} end")


def test_token_fields_in_bodies_and_urls() -> None:
    redact = Redactor()
    body = redact('{"access_token": "xyz123secret", "scopes": "pullrequest"}')
    assert "xyz123secret" not in body and '"scopes": "pullrequest"' in body
    url = redact("https://example.com/cb?access_token=abc123secret&state=1")
    assert "abc123secret" not in url and "state=1" in url


def test_ordinary_text_is_untouched() -> None:
    text = "GET /2.0/repositories/acme/widgets/pullrequests?state=OPEN&pagelen=50"
    assert Redactor(["hunter2-is-long"])(text) == text


def test_the_password_of_a_url_is_masked_and_the_rest_kept() -> None:
    redact = Redactor()
    assert redact("(http://dana:hunter22@git.example.com/x)") == (
        f"(http://dana:{MASK}@git.example.com/x)")
    assert redact("https://:hunter22@h") == f"https://:{MASK}@h"
    for kept in ("ssh://git@bitbucket.org/acme/widgets.git", "https://x.org/a:b@c",
                 "dana@example.com", "https://h/path?q=a:b@c"):
        assert redact(kept) == kept


def test_a_usage_error_quoting_a_url_masks_its_password() -> None:
    """click quotes what it cannot place ('Got unexpected extra argument (...)'), a URL with
    `user:password@` pasted in too (found by tests/cli/test_fuzz_inputs.py)."""
    from ..conftest import run_in_process

    for args in (["doctor", "--", "--server", "http://u:hunter22@127.0.0.1:9"],
                 ["list", "a/b", "http://u:hunter22@127.0.0.1:9"]):
        code, out, err = run_in_process(args, {}, "")
        assert code == 2 and "hunter22" not in out + err and "u:<redacted>@" in err
