"""How each Cloud credential becomes an `Authorization` header.

Most credentials are a fixed header. An OAuth consumer is exchanged at the site's
`/site/oauth2/access_token` for a Bearer token that lasts about an hour; since May 2026 client
credentials get no refresh token, so bbpr simply asks again when the token nears its end or a
401 says it has ended.
"""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlsplit

from ..credentials.kinds import Credentials, basic_authorization
from ..errors import AuthError
from ..http import Authorizer, Http, StaticAuthorizer


def authorizer_for(credentials: Credentials, api_url: str) -> tuple[Authorizer, tuple[str, ...]]:
    """The authorizer for a credential, and the origins besides the API it may talk to."""
    if credentials.kind == "oauth_client":
        token_url = f"{site_url(api_url)}/site/oauth2/access_token"
        return OAuthClientAuthorizer(credentials, token_url), (token_url,)
    return StaticAuthorizer(credentials.authorization()), ()


class OAuthClientAuthorizer:
    """Client-credentials grant: fetch a Bearer token, reuse it until it nearly expires."""

    EARLY = 60.0
    """Seconds before expiry at which a token is replaced rather than risked."""

    def __init__(self, credentials: Credentials, token_url: str) -> None:
        self.credentials = credentials
        self.token_url = token_url
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def authorization(self, http: Http) -> str | None:
        async with self._lock:
            if self._token is None or time.monotonic() >= self._expires - self.EARLY:
                await self._fetch(http)
            return f"Bearer {self._token}"

    def forget(self) -> bool:
        had_token = self._token is not None
        self._token = None
        return had_token

    async def _fetch(self, http: Http) -> None:
        secret = self.credentials.secret.reveal() if self.credentials.secret else ""
        response = await http.post_form(
            self.token_url,
            {"grant_type": "client_credentials"},
            basic_authorization(self.credentials.user or "", secret),
        )
        try:
            body = json.loads(response.content) if response.status == 200 else {}
        except ValueError:
            body = {}
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError(
                f"Bitbucket did not give {self.credentials.describe()} an access token "
                f"(HTTP {response.status}). Check the consumer's key and secret, and that it is "
                "a private consumer with a callback URL, as client credentials require."
            )
        http.redactor.add([token])
        self._token = token
        self._expires = time.monotonic() + float(body.get("expires_in", 3600))


def site_url(api_url: str) -> str:
    """The web site belonging to an API base: bitbucket.org for api.bitbucket.org."""
    split = urlsplit(api_url)
    if split.hostname == "api.bitbucket.org":
        return "https://bitbucket.org"
    return f"{split.scheme}://{split.netloc}"
