"""The errors bbpr raises, one class per way a run can end badly.

Each message is what the command line prints: one or two plain sentences, what happened and
what to do. The exit code belongs to the class, so the library and the command line can never
disagree about what kind of failure it was. No message ever holds a secret: messages are built
from names and statuses, never from credentials or raw headers.
"""

from __future__ import annotations

from typing import ClassVar


class BbprError(Exception):
    """Base of every error bbpr raises on purpose."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(BbprError):
    """Something the user typed cannot be right: caught before any request is sent."""

    exit_code = 2


class AuthError(BbprError):
    """The server refused the credentials (401) or what they may do (403)."""

    exit_code = 3


class NotFoundError(BbprError):
    """A workspace, project or repository does not exist, or this credential cannot see it."""

    exit_code = 4


class GaveUpError(BbprError):
    """Retries did not help: rate limit, server errors or the network. The result is incomplete."""

    exit_code = 5


class RateLimitError(GaveUpError):
    """The rate limit was still exhausted after waiting as long as bbpr is allowed to wait."""


class NetworkError(GaveUpError):
    """The host could not be reached, or the connection failed again and again."""


class ServerError(GaveUpError):
    """The server kept answering with 5xx errors, or with something that is not its API."""


class ProtocolError(BbprError):
    """The server answered in a way its API never does, and bbpr cannot continue safely."""
