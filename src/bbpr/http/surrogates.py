"""Unpaired UTF-16 surrogates in JSON: valid syntax, no text.

JSON may escape any character as `\\uXXXX`, and a character beyond the first 65,536 as two
such escapes, a high surrogate then a low one. One half alone (`"\\ud800"`) is valid JSON
syntax, but no character at all: msgspec rightly refuses it, and Python's `json` makes a
string no encoder can write. A server that sends one in a title (a client that cut a string
between the halves of an emoji) has not sent a broken page, and retrying brings the same
bytes. So a body that does not decode is looked at once more: each unpaired surrogate
escape becomes `\\ufffd` (U+FFFD, the replacement character), the record is kept, and the
run says once that this happened (`transport`).
"""

from __future__ import annotations

import re

_ESCAPES = re.compile(
    rb"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})|\\u(d[89a-f][0-9a-f]{2})|\\.",
    re.IGNORECASE)
"""A surrogate pair, an unpaired surrogate, or any other escape (so that an escaped
backslash before a `u` is never read as the start of one)."""
NOTE = ("A text field from the server held an unpaired surrogate (half of a UTF-16 pair, "
        "which is no character): it is shown as U+FFFD, the replacement character, and the "
        "record is kept.")


def replaced(body: bytes) -> bytes | None:
    """`body` with each unpaired surrogate escape replaced by `\\ufffd`; None if it holds
    none (then it failed to decode for another reason)."""
    found = False

    def one(match: re.Match[bytes]) -> bytes:
        nonlocal found
        if match.group(3) is None:
            return match.group(0)
        found = True
        return rb"\ufffd"

    if rb"\u" not in body and rb"\U" not in body:
        return None
    result = _ESCAPES.sub(one, body)
    return result if found else None
