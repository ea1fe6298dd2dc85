"""`POST /site/oauth2/access_token`: the client-credentials grant of OAuth 2.0 consumers.

On the live service this lives on https://bitbucket.org, not on the API host; the emulator
serves it at its own root so one base URL covers both. Errors use the OAuth 2.0 shape
(`error`, `error_description`), not Bitbucket's API error envelope, as the live endpoint
does. Since 4 May 2026 client credentials get no refresh token: a client asks again.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from ..messages import Request, Response, json_response
from ..settings import Settings
from .auth import CredentialTable, basic_pair


def access_token(request: Request, table: CredentialTable, settings: Settings) -> Response:
    pair = basic_pair(request.header("authorization") or "")
    consumer = table.consumer(*pair) if pair else None
    if consumer is None:
        return _oauth_error("invalid_client", "Invalid OAuth client credentials")
    form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    grant_type = (form.get("grant_type") or [""])[-1]
    if not grant_type:
        return _oauth_error("invalid_request", "Missing grant_type parameter")
    if grant_type != "client_credentials":
        return _oauth_error("unsupported_grant_type", f"Unsupported grant type: {grant_type}")
    credential = table.issue_oauth_token(consumer, settings.oauth_token_lifetime)
    return json_response(
        200,
        {
            "access_token": credential.secret,
            "scopes": " ".join(sorted(consumer.scopes)),
            "expires_in": round(settings.oauth_token_lifetime),
            "token_type": "bearer",
            "state": "client_credentials",
        },
        {"Cache-Control": "no-store"},
    )


def _oauth_error(error: str, description: str) -> Response:
    return json_response(400, {"error": error, "error_description": description})
