"""Credentials and scopes, answered exactly the way Bitbucket Cloud answers them.

Every secret the emulator accepts is a row of `CredentialTable`; adding a failure mode
later (an expired token, one for another product, an alias email) means adding a row kind
and one branch in `authenticate`, nothing else. The rules reproduced here:

- API tokens (`ATATT...`) work only in Basic auth with the Atlassian account EMAIL. With the
  Bitbucket username, or any other wrong pair, the answer is a 401 with a PLAIN-TEXT body.
  As `Bearer`, a 401 JSON "Token is invalid, expired, or not supported for this endpoint."
- App passwords (`ATBB...`) were removed on 28 July 2026: always the plain-text 401.
- Repository access tokens (`ATCTT...`) and OAuth access tokens work as `Bearer` only, with
  classic scope names; `pullrequest` implies `repository`, as Bitbucket documents.
- Granular API token scopes imply nothing: read:pullrequest does not grant read:repository.
"""

from __future__ import annotations

import base64
import binascii
import random
import string
import threading
import time
import zlib
from dataclasses import dataclass

from ..messages import ApiError, Response, text_response

LOGIN_FAILED = (
    "Login failed due to incorrect login credentials or method. Check that you are using "
    "your Atlassian account email address with an API token, or an access token with "
    "Bearer authentication, and that the token has not been revoked or expired."
)
TOKEN_INVALID = "Token is invalid, expired, or not supported for this endpoint."  # noqa: S105
OAUTH_EXPIRED = "Access token expired. Use your refresh token to obtain a new access token."
MISSING_SCOPES = "Your credentials lack one or more required privilege scopes."

# Credential kinds, as the `x-credential-type` header names them (not secrets).
API_TOKEN = "api_token"  # noqa: S105
REPO_ACCESS_TOKEN = "repo_access_token"  # noqa: S105
OAUTH2 = "oauth2"
APP_PASSWORD = "app_password"  # noqa: S105

GRANULAR_SCOPES = (
    "read:pullrequest:bitbucket",
    "read:repository:bitbucket",
    "read:workspace:bitbucket",
    "read:user:bitbucket",
)
_CLASSIC_IMPLIES = {"pullrequest": {"repository"}, "pullrequest:write": {"pullrequest"}}


@dataclass(frozen=True, slots=True)
class Credential:
    """One secret and what it grants.

    `login` is the Basic auth user name the secret must be paired with (account email for
    API tokens, username for app passwords); empty for Bearer-only secrets. `repository`
    ("workspace/slug") confines a repository access token.
    """

    kind: str
    secret: str
    login: str = ""
    account_uuid: str | None = None
    scopes: frozenset[str] = frozenset()
    repository: str | None = None
    expires_at: float | None = None  # wall-clock time.time(); None: never


@dataclass(frozen=True, slots=True)
class OAuthConsumer:
    key: str
    secret: str
    account_uuid: str
    scopes: frozenset[str]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, once authenticated; `kind` None means anonymous."""

    kind: str | None = None
    account_uuid: str | None = None
    scopes: frozenset[str] = frozenset()
    repository: str | None = None

    @property
    def classic(self) -> bool:
        return self.kind in (REPO_ACCESS_TOKEN, OAUTH2)

    def effective_scopes(self) -> set[str]:
        granted = set(self.scopes)
        if self.classic:
            for scope in self.scopes:
                granted |= _CLASSIC_IMPLIES.get(scope, set())
        return granted


ANONYMOUS = Principal()


class AuthFailure(Exception):
    """Authentication failed; `response` is what Bitbucket sends for this kind of failure."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class CredentialTable:
    """Every credential the emulator accepts, and the OAuth consumers that mint more."""

    def __init__(self, seed: int) -> None:
        # Fake secrets must be reproducible from the seed, so not `secrets`.
        self._rng = random.Random(f"bbpr-emulator/{seed}/tokens")  # noqa: S311
        self._lock = threading.Lock()
        self._by_secret: dict[str, Credential] = {}
        self._consumers: dict[str, OAuthConsumer] = {}

    def add(self, credential: Credential) -> Credential:
        with self._lock:
            self._by_secret[credential.secret] = credential
        return credential

    def find(self, secret: str) -> Credential | None:
        with self._lock:
            return self._by_secret.get(secret)

    def add_api_token(self, email: str, account_uuid: str, scopes: frozenset[str],
                      expires_at: float | None = None) -> str:
        with self._lock:
            token = _atlassian_token("ATATT3xFfGF0", self._rng)
        self.add(Credential(API_TOKEN, token, email, account_uuid, scopes,
                            expires_at=expires_at))
        return token

    def add_access_token(self, repository: str, scopes: frozenset[str]) -> str:
        with self._lock:
            token = _atlassian_token("ATCTT3xFfGF0", self._rng)
        self.add(Credential(REPO_ACCESS_TOKEN, token, scopes=scopes, repository=repository))
        return token

    def add_app_password(self, username: str, account_uuid: str) -> str:
        with self._lock:
            password = "ATBB" + _alphanumerics(self._rng, 32)
        self.add(Credential(APP_PASSWORD, password, username, account_uuid))
        return password

    def add_oauth_consumer(self, account_uuid: str, scopes: frozenset[str]) -> OAuthConsumer:
        with self._lock:
            key, secret = _alphanumerics(self._rng, 18), _alphanumerics(self._rng, 32)
            consumer = OAuthConsumer(key, secret, account_uuid, scopes)
            self._consumers[consumer.key] = consumer
        return consumer

    def consumer(self, key: str, secret: str) -> OAuthConsumer | None:
        with self._lock:
            consumer = self._consumers.get(key)
        return consumer if consumer is not None and consumer.secret == secret else None

    def issue_oauth_token(self, consumer: OAuthConsumer, lifetime: float) -> Credential:
        with self._lock:
            token = base64.urlsafe_b64encode(self._rng.randbytes(96)).decode()
        credential = Credential(
            OAUTH2,
            token,
            account_uuid=consumer.account_uuid,
            scopes=consumer.scopes,
            expires_at=time.time() + lifetime,
        )
        return self.add(credential)


def _atlassian_token(prefix: str, rng: random.Random) -> str:
    """Shaped like the real thing: prefix, 180 base64url characters, "=", CRC32 in hex."""
    body = prefix + base64.urlsafe_b64encode(rng.randbytes(135)).decode()
    return f"{body}={zlib.crc32(body.encode()):08X}"


def _alphanumerics(rng: random.Random, length: int) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=length))


def basic_pair(header: str) -> tuple[str, str] | None:
    """Decode `Basic base64(user:secret)`; None if it is not well-formed Basic auth."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, secret = decoded.partition(":")
    return (user, secret) if colon else None


def authenticate(header: str | None, table: CredentialTable) -> Principal:
    """Turn an Authorization header into a Principal, or raise AuthFailure."""
    if not header:
        return ANONYMOUS
    scheme = header.partition(" ")[0].lower()
    if scheme == "basic":
        return _basic(header, table)
    if scheme == "bearer":
        return _bearer(header.partition(" ")[2].strip(), table)
    raise AuthFailure(ApiError(401, TOKEN_INVALID).response())


def _login_failed() -> AuthFailure:
    headers = {"WWW-Authenticate": 'Basic realm="Bitbucket.org HTTP"'}
    return AuthFailure(text_response(401, LOGIN_FAILED, headers))


def _basic(header: str, table: CredentialTable) -> Principal:
    pair = basic_pair(header)
    if pair is None:
        raise _login_failed()
    user, secret = pair
    credential = table.find(secret)
    if credential is None or credential.kind != API_TOKEN:
        # App passwords are gone; access and OAuth tokens are Bearer-only.
        raise _login_failed()
    if user.lower() != credential.login.lower() or _expired(credential):
        raise _login_failed()
    return Principal(credential.kind, credential.account_uuid, credential.scopes)


def _bearer(token: str, table: CredentialTable) -> Principal:
    credential = table.find(token)
    if credential is None or credential.kind not in (REPO_ACCESS_TOKEN, OAUTH2):
        raise AuthFailure(ApiError(401, TOKEN_INVALID).response())
    if _expired(credential):
        message = OAUTH_EXPIRED if credential.kind == OAUTH2 else TOKEN_INVALID
        raise AuthFailure(ApiError(401, message).response())
    return Principal(
        credential.kind, credential.account_uuid, credential.scopes, credential.repository
    )


def _expired(credential: Credential) -> bool:
    return credential.expires_at is not None and time.time() >= credential.expires_at


def scope_headers(principal: Principal, accepted: str) -> dict[str, str]:
    """The headers Bitbucket adds to authenticated responses."""
    if principal.kind is None:
        return {}
    return {
        "x-oauth-scopes": ", ".join(sorted(principal.scopes)),
        "x-accepted-oauth-scopes": accepted,
        "x-credential-type": principal.kind,
    }


def require_scope(principal: Principal, granular: str, classic: str) -> dict[str, str]:
    """Check the endpoint's scope; return the response headers or raise a 403 ApiError."""
    required = classic if principal.classic else granular
    headers = scope_headers(principal, required)
    if principal.kind is not None and required not in principal.effective_scopes():
        detail = {"granted": sorted(principal.scopes), "required": [required]}
        raise ApiError(403, MISSING_SCOPES, detail, headers)
    return headers
