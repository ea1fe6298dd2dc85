"""How Bitbucket Cloud words the answers the shared server gives in its name.

A fault's 429 is plain text, as the live service sends it (46 bytes, no full stop, no
`Retry-After` unless a test asks for one); a fault's 5xx and a crashed handler's 500 are
Cloud's JSON error envelope, the crash with an `X-Request-Id` as Cloud's 500s carry.
Cloud's are also the host's: paths no API owns (`/`, `/login`...) crash in these words.
"""

from __future__ import annotations

import uuid

from ..messages import TEXT_TYPE, Response, error_response

RATE_LIMITED = "Rate limit for this resource has been exceeded"


class CloudErrors:
    """Cloud's `ErrorRenderer` (see `messages`)."""

    def crashed(self) -> Response:
        return error_response(500, "Something went wrong", headers={"X-Request-Id": _id()})

    def rate_limited(self, headers: dict[str, str]) -> Response:
        return Response(429, RATE_LIMITED.encode(), {"Content-Type": TEXT_TYPE, **headers})

    def server_error(self, status: int, reason: str) -> Response:
        return error_response(status, reason)


def _id() -> str:
    return uuid.uuid4().hex
