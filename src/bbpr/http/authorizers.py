"""Where the `Authorization` header comes from, as the client asks for it on every try.

A protocol rather than a header, because some credentials (an OAuth consumer) must fetch a
token through the client itself and fetch it again after a 401.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .transport import Http


class Authorizer(Protocol):
    """Supplies the `Authorization` header, fetching or refreshing a token where needed."""

    async def authorization(self, http: Http) -> str | None: ...

    def forget(self) -> bool:
        """Drop a cached token after a 401; True when asking for a new one may help."""
        ...


@dataclass(frozen=True)
class StaticAuthorizer:
    header: str | None

    async def authorization(self, http: Http) -> str | None:
        return self.header

    def forget(self) -> bool:
        return False
