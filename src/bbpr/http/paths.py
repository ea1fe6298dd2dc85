"""An API path made of names: each name one path segment, percent-encoded whole.

Names in paths come from the user (checked by `asked.targets`) and from the server: a workspace's
repository list may hold a slug with a space, a tab, an escape, a `/` or a NUL. Each such
name must stay one segment of the address, whatever it holds, so that a request never
reaches another resource than the one named (`a/b` is `a%2Fb`, never two segments) and no
HTTP library meets a character it refuses. `.` and `..`, which every URL library folds into
their neighbours, and an empty name, cannot be a segment at all: asked for, they are the
server's nonsense, a `ServerError` for that one repository (its workspace goes on).
"""

from __future__ import annotations

from urllib.parse import quote

from ..errors import ServerError


def api_path(*parts: str | int) -> str:
    """`/part/part/...`, each part percent-encoded as one segment."""
    segments = []
    for part in parts:
        text = str(part)
        if text in ("", ".", ".."):
            raise ServerError(f"The name {text!r} the server gave cannot be put in an address "
                              "(it would name another resource, or none).")
        segments.append(quote(text, safe="", errors="replace"))
    return "/" + "/".join(segments)
