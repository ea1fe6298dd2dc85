"""Masking secrets in anything bbpr prints: traces, error messages, logs.

Two nets, because one can have holes: the secrets bbpr knows it holds are masked wherever
they appear (raw, as `user:secret`, and base64-encoded the way Basic auth sends them), and
anything shaped like a credential is masked even when bbpr did not know about it: the value of
an `Authorization` header, Atlassian token formats, token fields in URLs and JSON bodies, and
the password of a URL's `user:password@`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "<redacted>"

_SHAPES = re.compile(
    r"""
    (?P<header>\b(?:authorization|proxy-authorization)\s*:\s*(?:basic|bearer|token)?\s*)[^\r\n]+
    | \b(?:ATATT|ATCTT|ATBB|BBDC-)[A-Za-z0-9_\-+/=]{8,}
    | (?P<field>\b(?:access_token|refresh_token|client_secret|password|token)
        (?:"\s*:\s*"|=))[^"&\s]+
    | (?P<userinfo>://[^/\s:@]*:)[^/\s@]+(?=@)
    """,
    re.IGNORECASE | re.VERBOSE,
)


class Redactor:
    """Masks known secrets and credential-shaped text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        # Longest first, so that `user:secret` is masked whole rather than around `secret`.
        known = set(self._secrets) | {secret for secret in secrets if len(secret) >= 4}
        self._secrets = sorted(known, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return _SHAPES.sub(_mask_shape, text)


def _mask_shape(match: re.Match[str]) -> str:
    prefix = match.group("header") or match.group("field") or match.group("userinfo")
    return f"{prefix}{MASK}" if prefix else MASK
