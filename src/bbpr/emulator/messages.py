"""Plain values passed between the HTTP server and the APIs it serves.

Handlers never see `http.server` objects: they take a `Request` and give back a `Response`.
That keeps them testable on their own and lets fault injection and hooks sit between the
socket and the handlers without touching either. An API also tells the server which paths
are its own (`Area`) and how it words the errors the server gives there on its behalf
(`ErrorRenderer`), so that the shared server knows no flavour's error envelope.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs

JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request, decoded just enough for routing.

    `path` is percent-decoded per segment by the router, not here, because a `%2F` inside a
    segment must not become a separator. `raw_query` is kept verbatim so that `next` links
    can carry every parameter the client sent exactly as it sent it.
    """

    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes
    base_url: str

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.raw_query, keep_blank_values=True)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(slots=True)
class Response:
    """A complete response: the server always sends `Content-Length` from `body`.

    `transport` asks the server to misbehave on the wire (fault injection): "drop" closes
    the connection without answering, "truncate" sends half the body and closes.
    """

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    transport: str | None = None


class ErrorRenderer(Protocol):
    """How one API words the answers the server gives in its name, not its handlers'."""

    def crashed(self) -> Response:
        """A handler raised something unexpected: the API's 500."""
        ...

    def rate_limited(self, headers: dict[str, str]) -> Response:
        """An injected 429, with these headers (`Retry-After`...)."""
        ...

    def server_error(self, status: int, reason: str) -> Response:
        """An injected 5xx (`reason`: the status's phrase, "Service Unavailable")."""
        ...


@dataclass(frozen=True, slots=True)
class Area:
    """Paths one API owns: faults reach them, and `errors` words the server's answers there.

    `token_endpoint`: faults reach these paths only when `Faults.include_oauth` says so.
    """

    prefix: re.Pattern[str]  # matched at the start of the path
    errors: ErrorRenderer
    token_endpoint: bool = False


class ApiError(Exception):
    """Raised by handlers to answer with Bitbucket Cloud's JSON error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        detail: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail
        self.headers = headers or {}

    def response(self) -> Response:
        return error_response(self.status, self.message, self.detail, self.headers)


def encode_json(data: Any) -> bytes:
    # The live service writes Python's default separators (", " and ": "); matching them
    # keeps page sizes in bytes, which the client's benchmarks measure, realistic.
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    merged = {"Content-Type": JSON_TYPE, **(headers or {})}
    return Response(status, encode_json(data), merged)


def text_response(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    merged = {"Content-Type": TEXT_TYPE, **(headers or {})}
    return Response(status, text.encode("utf-8"), merged)


def error_body(message: str, detail: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message}
    if detail is not None:
        error["detail"] = detail
    return {"type": "error", "error": error}


def error_response(
    status: int, message: str, detail: Any = None, headers: dict[str, str] | None = None
) -> Response:
    return json_response(status, error_body(message, detail), headers)
