"""Bitbucket Data Center's error envelope and the errors the emulator answers with.

Data Center wraps every error the same way, whatever the status:
`{"errors": [{"context": null, "message": "...", "exceptionName": "..."}]}`, where
`exceptionName` is the fully qualified Java class name (a client should match on its last
dotted part, e.g. `NoSuchProjectException`). The messages of the 401s and 404s below are
the ones public reports quote; the 400 texts are the emulator's own wording (the real ones
are not documented), so a client must rely on the status and the envelope, not the text.
`DcErrors` words in this envelope what the shared server answers in Data Center's name.
"""

from __future__ import annotations

from typing import Any

from ..messages import Response, json_response

_AUTH = "com.atlassian.bitbucket.auth."
INCORRECT_PASSWORD = _AUTH + "IncorrectPasswordAuthenticationException"
AUTHENTICATION_REQUIRED = _AUTH + "AuthenticationRequiredException"
NO_ACCESS = _AUTH + "NoAccessAuthenticationException"
AUTHORISATION = "com.atlassian.bitbucket.AuthorisationException"
NO_SUCH_PROJECT = "com.atlassian.bitbucket.project.NoSuchProjectException"
NO_SUCH_REPOSITORY = "com.atlassian.bitbucket.repository.NoSuchRepositoryException"
NO_SUCH_PULL_REQUEST = "com.atlassian.bitbucket.pull.NoSuchPullRequestException"
NOT_FOUND = "com.sun.jersey.api.NotFoundException"
BAD_ARGUMENT = "java.lang.IllegalArgumentException"
RATE_LIMITED = "com.atlassian.bitbucket.ratelimit.RateLimitedException"

AUTHENTICATION_FAILED = "Authentication failed. Please check your credentials and try again."
NOT_PERMITTED = "You are not permitted to access this resource"
RATE_LIMITED_MESSAGE = "Rate limit for this resource has been exceeded."
NOT_LICENSED = (
    "You do not have permission to access Bitbucket: your account has no Bitbucket licence "
    "seat (the LICENSED_USER permission). Ask a Bitbucket administrator to grant access."
)


def error_body(message: str, exception: str | None, context: str | None = None) -> dict[str, Any]:
    return {"errors": [{"context": context, "message": message, "exceptionName": exception}]}


class DcError(Exception):
    """Raised by Data Center handlers; `response()` renders the errors envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        exception: str | None,
        *,
        context: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.exception = exception
        self.context = context
        self.headers = headers or {}

    def response(self) -> Response:
        body = error_body(self.message, self.exception, self.context)
        return json_response(self.status, body, self.headers)


class DcErrors:
    """Data Center's `ErrorRenderer` (see `messages`): the envelope, with no exception name
    for injected faults (none is documented) and a 500's own words for a crash."""

    def crashed(self) -> Response:
        return DcError(500, "An internal error occurred.", None).response()

    def rate_limited(self, headers: dict[str, str]) -> Response:
        return DcError(429, RATE_LIMITED_MESSAGE, None, headers=headers).response()

    def server_error(self, status: int, reason: str) -> Response:
        return DcError(status, reason, None).response()


def authentication_failed() -> DcError:
    return DcError(401, AUTHENTICATION_FAILED, INCORRECT_PASSWORD)


def authentication_required() -> DcError:
    return DcError(401, NOT_PERMITTED, AUTHENTICATION_REQUIRED)


def not_permitted() -> DcError:
    return DcError(401, NOT_PERMITTED, AUTHORISATION)


def not_licensed() -> DcError:
    return DcError(401, NOT_LICENSED, NO_ACCESS)


def no_such_project(key: str) -> DcError:
    return DcError(404, f"Project {key} does not exist.", NO_SUCH_PROJECT)


def no_such_repository(key: str, slug: str) -> DcError:
    return DcError(404, f"Repository {key}/{slug} does not exist.", NO_SUCH_REPOSITORY)


def no_such_pull_request(number: str, key: str, slug: str) -> DcError:
    message = f"Pull request {number} does not exist in {key}/{slug}."
    return DcError(404, message, NO_SUCH_PULL_REQUEST)


def bad_parameter(name: str, message: str) -> DcError:
    return DcError(400, message, BAD_ARGUMENT, context=name)


def no_resource(uri: str) -> DcError:
    """Jersey's answer for a path no REST resource serves."""
    return DcError(404, f"null for uri: {uri}", NOT_FOUND)
