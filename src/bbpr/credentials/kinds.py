"""Credentials: what kind each one is, how it is sent, and where it came from.

Bitbucket accepts many credentials, each in exactly one way, and a wrong way earns a bare 401.
The kind of a token is told by its prefix (`ATATT` API token, `ATCTT` access token, `ATBB`
app password, `BBDC-` Data Center token), so bbpr decides how to send it instead of asking
the user, and refuses the combinations that can never work before any request leaves.

Secrets live in `Secret`, whose `repr` and `str` never show the value.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..errors import AuthError, BbprError, InputError
from ..models import Flavour

CredentialKind = Literal[
    "api_token",  # Atlassian API token, Basic with the account email (Cloud)
    "access_token",  # repository/project/workspace access token, Bearer (Cloud)
    "oauth_client",  # OAuth consumer: exchanged for a one-hour Bearer token (Cloud)
    "bearer_token",  # any other token sent as Bearer: OAuth access token, Data Center token
    "app_password",  # removed on 28 July 2026; recognised only to say so
    "password",  # user name and password, Basic (Data Center)
    "anonymous",
]

API_TOKEN_PAGE = "https://id.atlassian.com/manage-profile/security/api-tokens"  # noqa: S105
APP_PASSWORDS_GONE = (
    "Bitbucket app passwords stopped working on 28 July 2026. Create an API token with "
    f"Bitbucket scopes at {API_TOKEN_PAGE}, then set BITBUCKET_EMAIL to your Atlassian account "
    "email and BITBUCKET_TOKEN to the token."
)

EMAIL_NOT_USED = (
    "BITBUCKET_EMAIL is not used: this token does not start with ATATT, so it is not an "
    "Atlassian API token (the only kind that goes with an email), and it is sent on its own, "
    "as Bearer."
)
"""The note on a token of unknown kind given with an email; errors refer to it."""

_OAUTH_SECRET = re.compile(r"^[A-Za-z0-9]{32}$")
_LEGACY_APP_PASSWORD = re.compile(r"^[A-Za-z0-9]{20}$")
"""App passwords made before the ATBB prefix: 20 letters and digits, a shape no token the
API still takes has (OAuth access tokens are far longer, and carry other characters)."""
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class Secret:
    """A secret string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('<redacted>')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def looks_like_app_password(value: str) -> bool:
    """An app password: `ATBB...`, or an older one of 20 letters and digits."""
    return token_kind(value) == "app_password" or bool(_LEGACY_APP_PASSWORD.match(value))


def app_password_gone(where: str) -> AuthError:
    """The app-password sentence, saying where the app password was found."""
    return AuthError(f"{where} holds a Bitbucket app password (ATBB..., or 20 letters and "
                     f"digits in older ones). {APP_PASSWORDS_GONE}")


def token_kind(token: str) -> Literal["api_token", "access_token", "app_password",
                                      "datacenter_token", "unknown"]:
    """Tell a token's kind by its prefix, the way Atlassian marks them."""
    if token.startswith("ATATT"):
        return "api_token"
    if token.startswith("ATCTT"):
        return "access_token"
    if token.startswith("ATBB"):
        return "app_password"
    if token.startswith("BBDC-"):
        return "datacenter_token"
    return "unknown"


@dataclass(frozen=True, repr=False)
class Credentials:
    """One credential, ready to be sent the one way its kind allows."""

    kind: CredentialKind
    user: str | None = None
    """The email (API token), user name (password, app password) or OAuth client ID."""
    secret: Secret | None = None
    source: str = "the environment"
    notes: tuple[str, ...] = field(default=())
    """Things worth telling the user once, such as a variable that was ignored."""

    def __repr__(self) -> str:
        return f"Credentials(kind={self.kind!r}, user={self.user!r}, source={self.source!r})"

    def authorization(self) -> str | None:
        """The `Authorization` header value, or None where none is sent or one is exchanged."""
        if self.secret is None or self.kind in ("anonymous", "oauth_client"):
            return None
        if self.kind in ("access_token", "bearer_token"):
            token = self.secret.reveal()
            check_token_shape(token)  # a stored one too: it never went through `from_token`
            return f"Bearer {token}"
        return basic_authorization(self.user or "", self.secret.reveal())

    def secrets(self) -> tuple[str, ...]:
        """Every string that would give this credential away, for redaction."""
        if self.secret is None:
            return ()
        value = self.secret.reveal()
        pair = f"{self.user or ''}:{value}"
        return (value, pair, base64.b64encode(pair.encode()).decode())

    def describe(self, *, capital: bool = False) -> str:
        """Name the credential in words, without its secret; `capital` to start a sentence."""
        what = {
            "api_token": f"the API token for {self.user}",
            "access_token": "the access token",
            "oauth_client": f"the OAuth consumer {self.user}",
            "bearer_token": "the token",
            "app_password": f"the app password of {self.user}",
            "password": f"the password of {self.user}",
            "anonymous": "no credentials",
        }[self.kind]
        text = what if self.kind == "anonymous" else f"{what} from {self.source}"
        return text[:1].upper() + text[1:] if capital else text


ANONYMOUS = Credentials(kind="anonymous", source="nowhere")


def basic_authorization(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def from_environment(environ: Mapping[str, str], flavour: Flavour) -> Credentials:
    """Read the credential the environment holds for a Cloud or Data Center host.

    Raises `InputError` for combinations that cannot work (an API token without an email)
    and `AuthError` for credentials that no longer exist (app passwords).
    """
    token = _clean(environ, "BITBUCKET_TOKEN")
    email = _clean(environ, "BITBUCKET_EMAIL")
    username = _clean(environ, "BITBUCKET_USERNAME")
    password = _clean(environ, "BITBUCKET_PASSWORD")
    client_id = _clean(environ, "BITBUCKET_OAUTH_CLIENT_ID")
    client_secret = _clean(environ, "BITBUCKET_OAUTH_CLIENT_SECRET")

    if token:
        return from_token(token, email=email, username=username, flavour=flavour)
    if client_id or client_secret:
        if not (client_id and client_secret):
            raise InputError(
                "Set both BITBUCKET_OAUTH_CLIENT_ID and BITBUCKET_OAUTH_CLIENT_SECRET: an OAuth "
                "consumer needs its key and its secret."
            )
        if flavour == "datacenter":
            raise InputError(
                "OAuth consumers are a Bitbucket Cloud feature. For Data Center, set "
                "BITBUCKET_TOKEN to an HTTP access token."
            )
        return Credentials(kind="oauth_client", user=client_id, secret=Secret(client_secret))
    if password:
        user = username or email
        if not user:
            raise InputError("BITBUCKET_PASSWORD is set without BITBUCKET_USERNAME; set both.")
        if token_kind(password) in ("api_token", "access_token", "datacenter_token"):
            return from_token(password, email=email or _as_email(user),
                              username=username, flavour=flavour)
        if flavour == "cloud":
            raise _password_on_cloud(password, username)
        return Credentials(kind="password", user=user, secret=Secret(password))
    return ANONYMOUS


def _password_on_cloud(password: str, username: str | None) -> BbprError:
    """A user and password, for Cloud: an app password, gone; anything else is Data Center's
    pair, and the run is for Cloud because nothing named the server."""
    if looks_like_app_password(password):
        return AuthError(APP_PASSWORDS_GONE)
    pair = ("BITBUCKET_USERNAME and BITBUCKET_PASSWORD" if username
            else "BITBUCKET_EMAIL and BITBUCKET_PASSWORD")
    return InputError(
        f"{pair} are a user and password, which only Bitbucket Data Center takes, and this "
        "run is for Bitbucket Cloud: --server URL (or BITBUCKET_SERVER) may be missing. For "
        "Cloud, set BITBUCKET_EMAIL and BITBUCKET_TOKEN to an API token (app passwords "
        "stopped working on 28 July 2026)."
    )


def from_token(token: str, *, email: str | None, username: str | None,
               flavour: Flavour) -> Credentials:
    """Turn a token into the credential its prefix says it is, refusing impossible uses."""
    check_token_shape(token)
    kind = token_kind(token)
    if kind == "app_password":
        raise AuthError(APP_PASSWORDS_GONE)
    if flavour == "cloud" and looks_like_app_password(token):
        raise app_password_gone("The token")
    if flavour == "datacenter":
        if kind in ("api_token", "access_token"):
            raise InputError(
                "This is a Bitbucket Cloud token, and Data Center does not accept it. Create an "
                "HTTP access token on your server (Profile > Manage account > HTTP access "
                "tokens) and set BITBUCKET_TOKEN to it."
            )
        return Credentials(kind="bearer_token", secret=Secret(token))
    if kind == "datacenter_token":
        raise InputError(
            "This is a Bitbucket Data Center token (BBDC-...), and Bitbucket Cloud does not "
            "accept it. Pass --server URL for your Data Center server, or use a Cloud API token."
        )
    if kind == "api_token":
        return Credentials(kind="api_token", user=_require_email(email, username),
                           secret=Secret(token))
    if kind == "unknown" and _OAUTH_SECRET.match(token):
        raise InputError(
            "This looks like an OAuth consumer's secret (32 letters and digits), which is not "
            "a token: set BITBUCKET_OAUTH_CLIENT_ID to the consumer's key and "
            "BITBUCKET_OAUTH_CLIENT_SECRET to the secret, and unset BITBUCKET_TOKEN."
        )
    notes: tuple[str, ...] = ()
    if kind == "access_token" and email:
        notes = ("BITBUCKET_EMAIL is ignored: access tokens are sent on their own, as Bearer.",)
    elif email:
        notes = (EMAIL_NOT_USED,)
    return Credentials(kind="access_token" if kind == "access_token" else "bearer_token",
                       secret=Secret(token), notes=notes)


def check_token_shape(token: str) -> None:
    """Catch tokens damaged by copying: spaces, quotes or line breaks inside."""
    if any(character.isspace() for character in token):
        raise InputError(
            "The token has a space or line break inside it, so it was damaged when copied. "
            "Copy it again in one piece."
        )
    if any(character in "\"'`" for character in token):
        raise InputError("The token contains quote characters; set it without quotes.")
    if not token.isascii() or not token.isprintable():
        raise InputError(
            "The token has characters that no Bitbucket token has (letters outside ASCII, or "
            "control characters), so it was damaged when copied. Copy it again in one piece."
        )


NEAR_MISSES: dict[str, str] = {
    "BITBUCKET_API_TOKEN": "BITBUCKET_TOKEN",
    "BITBUCKET_ACCESS_TOKEN": "BITBUCKET_TOKEN",
    "BITBUCKET_APP_PASSWORD": "BITBUCKET_TOKEN",
    "BITBUCKET_PAT": "BITBUCKET_TOKEN",
    "BITBUCKET_HTTP_TOKEN": "BITBUCKET_TOKEN",
    "BB_TOKEN": "BITBUCKET_TOKEN",
    "BB_API_TOKEN": "BITBUCKET_TOKEN",
    "ATLASSIAN_API_TOKEN": "BITBUCKET_TOKEN",
    "ATLASSIAN_TOKEN": "BITBUCKET_TOKEN",
    "BITBUCKET_MAIL": "BITBUCKET_EMAIL",
    "BITBUCKET_USER_EMAIL": "BITBUCKET_EMAIL",
    "ATLASSIAN_EMAIL": "BITBUCKET_EMAIL",
    "BB_EMAIL": "BITBUCKET_EMAIL",
    "BITBUCKET_USER": "BITBUCKET_USERNAME",
    "BB_USERNAME": "BITBUCKET_USERNAME",
    "BITBUCKET_CLIENT_ID": "BITBUCKET_OAUTH_CLIENT_ID",
    "BITBUCKET_CLIENT_SECRET": "BITBUCKET_OAUTH_CLIENT_SECRET",
}
"""Variables people set instead of the ones bbpr reads, and the one each was meant to be."""


def environment_mistakes(environ: Mapping[str, str]) -> None:
    """When the environment gives no credential at all, say why, if a mistake explains it:
    a near-miss variable name, a token in the email's place, an email with no token."""
    for wrong, right in NEAR_MISSES.items():
        value = _clean(environ, wrong)
        if value and not _clean(environ, right):
            if token_kind(value) == "app_password" or (
                    wrong == "BITBUCKET_APP_PASSWORD" and token_kind(value) == "unknown"):
                # Renaming would not help: the seed scripts' variable, holding what its name says
                raise app_password_gone(wrong)
            raise InputError(f"{wrong} is set, but bbpr reads {right}: rename it "
                             f"(export {right}=\"${wrong}\").")
    email = _clean(environ, "BITBUCKET_EMAIL")
    if email and _looks_like_token(email):
        raise InputError(_TOKEN_AS_EMAIL)
    if email:
        raise InputError(
            "BITBUCKET_EMAIL is set, but BITBUCKET_TOKEN is not: the email goes with an API "
            f"token, which bbpr reads from BITBUCKET_TOKEN (create one at {API_TOKEN_PAGE})."
        )


_TOKEN_AS_EMAIL = (
    "BITBUCKET_EMAIL holds a token, not an email address: put the token in BITBUCKET_TOKEN, "  # noqa: S105
    "and your Atlassian account email in BITBUCKET_EMAIL."
)


def _looks_like_token(value: str) -> bool:
    return "@" not in value and (token_kind(value) != "unknown" or len(value) >= 32)


def check_email(email: str, source: str = "BITBUCKET_EMAIL") -> str:
    """`email` as given by `source` (the variable, or `--email`), refused by that name where
    it cannot be an email: a token (never repeated: it is a secret), or no address at all."""
    if _looks_like_token(email):
        raise InputError(_TOKEN_AS_EMAIL if source == "BITBUCKET_EMAIL" else
                         f"{source} was given a token, not an email address: give the token "
                         f"with --with-token or BITBUCKET_TOKEN, and your Atlassian account "
                         f"email to {source}.")
    if not _EMAIL.match(email):
        shown = f"{source}={email!r}" if source.isupper() else f"{source} {email!r}"
        raise InputError(f"{shown} is not an email address. API tokens are used with the email "
                         "address of your Atlassian account.")
    return email


def _require_email(email: str | None, username: str | None) -> str:
    if email:
        return check_email(email)
    if username and _EMAIL.match(username):
        return username
    if username:
        raise InputError(
            "API tokens are used with your Atlassian account email, not the Bitbucket username: "
            "set BITBUCKET_EMAIL to the email you log in with."
        )
    raise InputError(
        "This API token needs the email of the Atlassian account that created it: set "
        "BITBUCKET_EMAIL."
    )


def _as_email(user: str) -> str | None:
    return user if _EMAIL.match(user) else None


def _clean(environ: Mapping[str, str], name: str) -> str | None:
    """Read a variable; an empty value counts as unset, surrounding whitespace is dropped.
    A value holding bytes that are not text (kept by Python as lone surrogates) cannot be
    sent: named, never shown, since it may be a secret."""
    value = environ.get(name, "").strip()
    if any("\ud800" <= character <= "\udfff" for character in value):
        raise InputError(f"{name} holds bytes that are not UTF-8 text; set it again as text.")
    return value or None
