"""Bitbucket Cloud's failures, told in one or two sentences with what to do.

Cloud's answers are terse: a 401 may come with a plain-text body or none, a 404 means either
"does not exist" or "you may not see it". These sentences name the credential, the workspace
and repository involved, and the likeliest fix. `bbpr doctor` goes further, step by step.
"""

from __future__ import annotations

import re

from ..credentials.kinds import API_TOKEN_PAGE, EMAIL_NOT_USED, Credentials
from ..errors import (
    AuthError,
    BbprError,
    GaveUpError,
    InputError,
    NotFoundError,
    ProtocolError,
    ScopeError,
    ServerError,
    WrongAddress,
)
from ..http import Response
from ..redaction import Redactor
from .scopes import GRANULAR_NEEDED, what_is_missing


class BadRequest(InputError):
    """Cloud answered 400: a parameter or the BBQL filter was refused."""


class Refused(ServerError):
    """Cloud answered a probe with 500, as it does for filters it cannot apply."""


def error_for(
    response: Response,
    *,
    credentials: Credentials,
    what: str,
    workspace: str,
    repository: str | None = None,
    query: str | None = None,
    sent: str | None = None,
) -> BbprError:
    """The error to raise for a non-2xx answer to a request for `what`; `sent` is the whole
    `q` bbpr built around the user's `query`."""
    message = server_message(response)
    status = response.status
    if status == 400:
        if query:
            message = position_in_query(message, query, sent)
            return BadRequest(
                f"Bitbucket rejected the filter (HTTP 400: {message}). Check --query: BBQL puts "
                'strings in double quotes, like title ~ "fix" AND destination.branch.name = "main".'
            )
        return BadRequest(f"Bitbucket rejected the request for {what} (HTTP 400: {message}).")
    if status == 401:
        return AuthError(_unauthorized(credentials, message))
    if status == 403:
        return _forbidden(response, credentials, what, message)
    if status == 404:
        return NotFoundError(_not_found(credentials, workspace, repository))
    if status in (301, 302, 303, 307, 308):
        # bbpr follows no redirect (credentials stay with the API's host): the address is off.
        return InputError(
            f"Bitbucket redirected the request for {what} (HTTP {status}) instead of answering "
            "it; bbpr follows no redirects. Check BITBUCKET_API_URL, which should be "
            "https://api.bitbucket.org/2.0 or a proxy's address ending in /2.0."
        )
    # A status the API never gives: nothing the user can fix here, and the output would be
    # incomplete.
    return ProtocolError(f"Bitbucket answered HTTP {status} to the request for {what}: "
                         f"{message}. Try again later.")


def position_in_query(message: str, query: str, sent: str | None) -> str:
    """Cloud counts positions in the `q` it got, which wraps the user's --query in bbpr's
    own conditions; point at the user's text instead."""
    found = re.search(r"position (\d+)", message)
    start = sent.find(f"({query})") + 1 if sent else -1
    if found is None or start <= 0:
        return message
    offset = int(found.group(1)) - 1 - start
    if 0 <= offset < len(query):
        where = f"position {offset + 1} of --query"
    elif offset >= len(query):
        where = "the end of --query"
    else:
        return message
    return message[:found.start()] + where + message[found.end():]


def no_api_here(response: Response) -> bool:
    """Whether a 404 is Cloud's answer to a path it hosts no API at (the base URL lacks
    `/2.0`), rather than to a workspace or repository it does not know."""
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    detail = error.get("detail") if isinstance(error, dict) else None
    return (response.status == 404 and isinstance(detail, str)
            and detail.startswith("There is no API hosted at this URL"))


def not_the_api(api_url: str) -> WrongAddress:
    """The address is a Bitbucket, but not its API's base: say which base to set."""
    suggestion = api_url if api_url.endswith("/2.0") else f"{api_url}/2.0"
    return WrongAddress(
        f"{api_url} is not a Bitbucket Cloud API base: it answered \"There is no API hosted at "
        f"this URL\" (HTTP 404). The API's base ends in /2.0: set "
        f"BITBUCKET_API_URL={suggestion}."
    )


def unproved(repository: str, why: str) -> ServerError:
    return ServerError(
        f"bbpr could not prove the list of {repository} complete: {why}. The list may be "
        "incomplete; run the command again."
    )


def withheld(repository: str, keys: list[str]) -> ServerError:
    named = ", ".join(repr(key) for key in keys)
    return ServerError(
        f"Bitbucket did not send {named} of the pull requests of {repository}, though asked "
        "for in each documented form of fields=, so bbpr cannot tell what they hold: it "
        "shows no empty values in their place, and drops no pull request for them. Leave "
        "out the --fields and filters that need them, or try again later.")


def feed_withheld(repository: str, keys: list[str]) -> ServerError:
    named = ", ".join(repr(key) for key in keys)
    return ServerError(
        f"Bitbucket did not send {named} of the pull request activity of {repository}, "
        "though asked for whole, so bbpr cannot tell what happened when: it keeps no "
        "review events in their place. Try again later, or sync without --review-events.")


def incomplete(repository: str, listed: int, expected: int) -> GaveUpError:
    return GaveUpError(
        f"Bitbucket reported {expected} matching pull requests in {repository}, but only "
        f"{listed} arrived, and changes on the server do not explain the gap. The list is "
        "incomplete; run the command again."
    )


def server_message(response: Response) -> str:
    """The server's own words: `error.message` of the JSON body, else the first line of text."""
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        text = error["message"]
    else:
        text = response.text.strip().splitlines()[0] if response.text.strip() else ""
    text = text.strip().rstrip(".") or f"no explanation, HTTP {response.status}"
    return Redactor()(text[:300])


def required_scopes(response: Response) -> list[str]:
    """The scopes the endpoint wanted, from the header or the 403 body's `detail`."""
    header = response.headers.get("x-accepted-oauth-scopes", "")
    scopes = [scope.strip() for scope in header.split(",") if scope.strip()]
    if scopes:
        return scopes
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    detail = error.get("detail") if isinstance(error, dict) else None
    required = detail.get("required") if isinstance(detail, dict) else None
    return [str(scope) for scope in required] if isinstance(required, list) else []


def _unauthorized(credentials: Credentials, message: str) -> str:
    if credentials.kind == "anonymous":
        return (
            "Bitbucket Cloud wants credentials (HTTP 401). Set BITBUCKET_EMAIL to your Atlassian "
            f"account email and BITBUCKET_TOKEN to an API token made at {API_TOKEN_PAGE}."
        )
    if credentials.kind == "api_token":
        return (
            f"Bitbucket refused {credentials.describe()} (HTTP 401): the token is wrong, revoked "
            f"or expired (see {API_TOKEN_PAGE}), or {credentials.user} is not the email of the "
            "Atlassian account that made it (an alias does not work)."
        )
    if credentials.kind == "oauth_client":
        return (
            "Bitbucket refused the OAuth access token it had just issued (HTTP 401). Check that "
            "the consumer is allowed to use client credentials (it must be private)."
        )
    if EMAIL_NOT_USED in credentials.notes:
        hint = (" BITBUCKET_EMAIL was not used, since only Atlassian API tokens (ATATT...) "
                "go with an email: if this is one, copy it again whole.")
    elif "not supported for this endpoint" in message:
        hint = (" Atlassian API tokens (ATATT...) go with your email instead: set "
                "BITBUCKET_EMAIL too.")
    else:
        hint = ""
    sent = ", sent as Bearer" if credentials.kind in ("access_token", "bearer_token") else ""
    return (
        f"Bitbucket refused {credentials.describe()}{sent} (HTTP 401: {message}): it is "
        f"invalid, revoked or expired.{hint}"
    )


def _forbidden(response: Response, credentials: Credentials, what: str,
               message: str) -> AuthError:
    if "scope" in message.lower():
        granted = frozenset(scope.strip() for scope in
                            response.headers.get("x-oauth-scopes", "").split(",") if scope.strip())
        required = required_scopes(response)
        missing = what_is_missing(granted, credentials.kind, required)
        return ScopeError(f"Bitbucket did not let {credentials.describe()} read {what} (HTTP "
                          f"403): it {missing}. {_new_scopes(credentials, required)}")
    return AuthError(
        f"{credentials.describe(capital=True)} may not read {what} (HTTP 403: {message}). Ask a "
        "workspace administrator for access, or use a credential that has it."
    )


def _new_scopes(credentials: Credentials, required: list[str]) -> str:
    """How a credential gets a scope it lacks: none can be added to a token."""
    if credentials.kind == "oauth_client":
        return ("Give the OAuth consumer that permission in the workspace settings (OAuth "
                "consumers > Edit).")
    if credentials.kind == "access_token":
        scopes = ", ".join(required) or "pullrequest"
        return (f"Scopes cannot be added to an access token: create a new one with {scopes}.")
    return ("Scopes cannot be added to a token: create an API token for Bitbucket with the "
            f"scopes {', '.join(GRANULAR_NEEDED)} at {API_TOKEN_PAGE}.")


def _not_found(credentials: Credentials, workspace: str, repository: str | None) -> str:
    thing = (f"Repository {workspace}/{repository}" if repository
             else f"Workspace {workspace}")
    if credentials.kind == "anonymous":
        return (
            f"{thing} was not found on Bitbucket Cloud, or it is private and no credentials were "
            "sent. Private repositories answer 404 to requests without credentials. Set "
            "BITBUCKET_EMAIL and BITBUCKET_TOKEN, or run `bbpr auth login`."
        )
    sentence = (f"{thing} was not found on Bitbucket Cloud, or {credentials.describe()} "
                "cannot see it.")
    return (
        f"{sentence} Use the workspace ID and repository slug from the browser's address bar "
        "(lower case, no spaces), not the display names."
    )


