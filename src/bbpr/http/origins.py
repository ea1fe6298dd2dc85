"""Which hosts bbpr may talk to, and over what: the rules that keep credentials at home.

Requests go only to pinned origins (scheme, host and port), and only over https unless the
host is this machine; a link the server sent is checked here before anything is sent to it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..errors import InputError


def origin_of(url: str) -> str:
    split = urlsplit(url)
    port = split.port or {"http": 80, "https": 443}.get(split.scheme, 0)
    return f"{split.scheme}://{(split.hostname or '').lower()}:{port}"


def origin_or_none(url: str) -> str | None:
    """The origin of a URL the server sent; None for one that does not parse (a port that
    is not a number, a bracket left open), which matches no allowed origin."""
    try:
        return origin_of(url)
    except ValueError:
        return None


def netloc_of(url: str) -> str:
    """The host part of a URL for a message, even of one that does not parse."""
    try:
        return urlsplit(url).netloc or url[:80]
    except ValueError:
        return url.split("://", 1)[-1].split("/", 1)[0][:80]


def check_transport_security(url: str) -> None:
    """Refuse plain http except to this machine: credentials must not cross a network in clear."""
    split = urlsplit(url)
    if split.scheme == "https":
        return
    if split.scheme == "http" and split.hostname in ("127.0.0.1", "localhost", "::1"):
        return
    raise InputError(
        f"{url} is not an https:// address; bbpr sends credentials only over https, or over "
        "plain http to this machine (127.0.0.1 or localhost)."
    )
