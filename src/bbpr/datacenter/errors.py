"""Bitbucket Data Center's failures, told in one or two sentences with what to do.

Data Center answers errors with `{"errors": [{"message", "exceptionName", ...}]}`; the
exception name tells the causes apart (a wrong password, no credentials, no such project),
and a redirect to the login page means a token was used where tokens are not accepted, or
that a single sign-on proxy stands in front of the server.
"""

from __future__ import annotations

from ..credentials.kinds import Credentials
from ..errors import AuthError, BbprError, InputError, NotFoundError, ProtocolError
from ..http import Response
from ..redaction import Redactor

ACCESS_HELP = (
    "Create an HTTP access token under your profile > Manage account > HTTP access tokens, "
    "and set BITBUCKET_TOKEN to it"
)


def error_for(
    response: Response,
    *,
    credentials: Credentials,
    server: str,
    what: str,
    project: str,
    repository: str | None = None,
) -> BbprError:
    """The error to raise for a non-2xx answer to a request for `what`."""
    exception, message = server_error(response)
    status = response.status
    if status in (301, 302, 303, 307, 308):
        return _redirected(response, credentials, server)
    if status == 400:
        return InputError(f"{server} rejected the request for {what} (HTTP 400: {message}).")
    if "license" in exception.lower() or "licen" in message.lower():
        return AuthError(
            f"{server} says it is not licensed ({message}). Ask its administrator to renew or "
            "install the Bitbucket license."
        )
    if status == 401:
        return AuthError(_unauthorized(credentials, server))
    if status == 403:
        return AuthError(
            f"{credentials.describe(capital=True)} may not read {what} on {server} (HTTP 403: "
            f"{message}). Ask a project administrator for read access."
        )
    if status == 404 and exception == "NoSuchPullRequestException":
        return NotFoundError(f"{server} has no {what}: {message}. `bbpr list {project}/"
                             f"{repository} --server {server}` shows which there are.")
    if status == 404 and not project:  # a request of no project's: the server's own lists
        return NotFoundError(
            f"{server} answered HTTP 404 ({message}) to the request for {what}, which every "
            "Bitbucket Data Center serves: check --server, the address before /projects/... "
            "in the browser.")
    if status == 404:
        return NotFoundError(_not_found(exception, credentials, server, project, repository))
    # A status the API never gives: nothing the user can fix, and the output is incomplete.
    return ProtocolError(f"{server} answered HTTP {status} to the request for {what}: "
                         f"{message}. Try again later.")


def not_bitbucket(response: Response, server: str) -> BbprError:
    """What to say when `application-properties`, which needs no login, did not answer."""
    if response.status in (301, 302, 303, 307, 308):
        return _redirected(response, Credentials(kind="anonymous"), server)
    return InputError(
        f"{server} does not answer like a Bitbucket Data Center server (HTTP {response.status} "
        "for /rest/api/latest/application-properties). Check --server: it is the address "
        "before /projects/... in the browser."
    )


def server_error(response: Response) -> tuple[str, str]:
    """The first error's exception name and message, or the first line of a text body."""
    body = response.json()
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        exception = str(errors[0].get("exceptionName") or "")
        message = str(errors[0].get("message") or "")
    else:
        exception, message = "", response.text.strip().split("\n", 1)[0]
    message = message.strip().rstrip(".") or f"no explanation, HTTP {response.status}"
    return exception.rsplit(".", 1)[-1], Redactor()(message[:300])


def _unauthorized(credentials: Credentials, server: str) -> str:
    if credentials.kind == "anonymous":
        return (f"{server} wants credentials (HTTP 401). {ACCESS_HELP}, or set "
                "BITBUCKET_USERNAME and BITBUCKET_PASSWORD.")
    if credentials.kind == "password":
        return (
            f"{server} refused {credentials.describe()} (HTTP 401): the user name or password "
            "is wrong, or the account is locked after failed logins (log in once in the "
            "browser to unlock it). An HTTP access token in BITBUCKET_TOKEN avoids both."
        )
    return (
        f"{server} refused {credentials.describe()} (HTTP 401): it is wrong, expired or revoked, "
        "or it is a project or repository token used outside its project or repository. "
        f"{ACCESS_HELP}."
    )


def _redirected(response: Response, credentials: Credentials, server: str) -> BbprError:
    location = response.headers.get("location", "")
    if "login" in location.lower() and credentials.kind == "bearer_token":
        return AuthError(
            f"{server} sent the token to its login page (HTTP {response.status}): tokens work "
            "only under /rest, so --server must be the server's base URL (the part before "
            "/projects/...), or a single sign-on proxy in front of the server is refusing it."
        )
    if "login" in location.lower() or "sso" in location.lower():
        return AuthError(
            f"{server} redirected to a login page (HTTP {response.status}): a single sign-on "
            f"proxy stands in front of the API. Use an HTTP access token; {ACCESS_HELP[0].lower()}"
            f"{ACCESS_HELP[1:]}."
        )
    return InputError(
        f"{server} redirected the request to {location} (HTTP {response.status}); pass that "
        "address, without /rest/..., as --server."
    )


def _not_found(exception: str, credentials: Credentials, server: str, project: str,
               repository: str | None) -> str:
    if repository and exception != "NoSuchProjectException":
        thing = f"Repository {project}/{repository}"
    else:
        thing = f"Project {project}"
    who = ("it is hidden from requests without credentials (none were sent)"
           if credentials.kind == "anonymous" else f"{credentials.describe()} cannot see it")
    return (
        f"{thing} does not exist on {server}, or {who}. Use "
        "the project key (upper case, e.g. PROJ; ~user for a personal repository) and the "
        "repository slug from the repository's URL, not the display names."
    )


