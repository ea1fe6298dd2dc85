"""`--debug` text in the style of `curl -v`: what was sent and what came back.

Built from plain values the client hands over, so the layout can change without touching
the client; the client passes the text through the redactor before anyone sees it.
"""

from __future__ import annotations

from collections.abc import Iterable

BODY_SHOWN = 2000
"""Bytes of a response body a trace shows; the rest is counted, not printed."""


def request_trace(method: str, target: str, host: str,
                  headers: Iterable[tuple[str, str]]) -> str:
    """The request line, the Host and the other headers, `>`-prefixed."""
    lines = [f"> {method} {target} HTTP/1.1", f"> Host: {host}"]
    lines += [f"> {name}: {value}" for name, value in headers if name.lower() != "host"]
    return "\n".join([*lines, ">"])


def response_trace(http_version: str, status: int, reason: str,
                   headers: Iterable[tuple[str, str]], content: bytes) -> str:
    """The status line and headers, `<`-prefixed, then the start of the body."""
    lines = [f"< {http_version} {status} {reason}"]
    lines += [f"< {name}: {value}" for name, value in headers]
    body = content[:BODY_SHOWN].decode("utf-8", "replace")
    more = (f"\n[... {len(content) - BODY_SHOWN} more bytes]"
            if len(content) > BODY_SHOWN else "")
    return "\n".join([*lines, "<", body + more, ""])
