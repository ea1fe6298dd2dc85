"""An answer as bbpr keeps it: plain values, read whole, with no httpx object inside.

The API layers read statuses, headers and bodies from these, so that they never see httpx
and no httpx object (which would carry the request and its Authorization header) travels up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    content: bytes
    url: str

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON (error bodies are often text)."""
        if "json" not in self.headers.get("content-type", ""):
            return None
        try:
            return json.loads(self.content)
        except ValueError:
            return None


@dataclass(frozen=True)
class Reply(Generic[T]):
    """A response, and its body decoded when the status was 2xx."""

    response: Response
    data: T | None = None
