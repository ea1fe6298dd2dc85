"""Data Center authentication and visibility, answered the way Data Center answers them.

- Basic `name:password`. A wrong password or an unknown name: 401
  IncorrectPasswordAuthenticationException "Authentication failed. Please check your
  credentials and try again." (the same for both, so names cannot be probed).
- HTTP access tokens as `Bearer`: `BBDC-` + 44 base64 characters on current versions (the
  base64 of a 12-digit id, ":" and 20 random bytes); tokens made before 8.x have the same
  body without the prefix and keep working. A personal token also works as the password in
  Basic auth with its owner's name; project and repository tokens are Bearer only (in Basic
  they are just wrong passwords). An unknown Bearer token gets the same 401 body as a wrong
  password (assumed: the real text for a revoked or mistyped token is not documented).
- A Basic header that does not decode, or another scheme, is ignored (anonymous: the
  emulator's choice, undocumented).
- A correct password or token of a user without a licence seat, or any credentials while
  `settings.dc_unlicensed` is on: 401 NoAccessAuthenticationException (javadoc: "the user
  cannot be authenticated because they don't have permission to access the application").
  That, not a LicenseException, is what a reading client meets: Atlassian's knowledge base
  ("What happens when a Bitbucket Data Center license expires") says an expired licence
  makes the instance read-only (no pushes, a banner), so REST reads keep working.

Visibility: every demo project is private. Anonymous callers get 401
AuthenticationRequiredException "You are not permitted to access this resource" inside a
project, and an empty `/projects` page (projects are filtered by permission). A normal
project is visible to every licensed user, a personal one to its owner only. A project
token sees its project; a repository token its repository (and that repository's project,
as repository access implies viewing the project). Anything else: 401
AuthorisationException with the same message. A project or repository that does not exist
is a 404 for everyone, as Data Center checks existence before permission.
"""

from __future__ import annotations

import base64
import binascii
import random
import threading
from dataclasses import dataclass

from .data import DcProject, DcRepository, DcStore, DcUser
from .errors import authentication_failed, authentication_required, not_permitted

PERMISSIONS = (
    "PROJECT_READ", "PROJECT_WRITE", "PROJECT_ADMIN", "REPO_READ", "REPO_WRITE", "REPO_ADMIN",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DcToken:
    secret: str
    owner: DcUser | None  # personal tokens
    project: str | None  # upper-case key, for project and repository tokens
    repository: str | None  # slug, for repository tokens
    permission: str

    @property
    def kind(self) -> str:
        if self.owner is not None:
            return "personal"
        return "repository" if self.repository else "project"


@dataclass(frozen=True, slots=True)
class DcPrincipal:
    """Who is calling; neither user nor token means anonymous."""

    user: DcUser | None = None
    token: DcToken | None = None

    @property
    def anonymous(self) -> bool:
        return self.user is None and self.token is None


ANONYMOUS = DcPrincipal()


class DcCredentials:
    """Passwords and HTTP access tokens; secrets are reproducible from the seed."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"bbpr-emulator/{seed}/dc-tokens")  # noqa: S311
        self._lock = threading.Lock()
        self._passwords: dict[str, str] = {}
        self._tokens: dict[str, DcToken] = {}

    def set_password(self, name: str, password: str) -> None:
        with self._lock:
            self._passwords[name.lower()] = password

    def password_matches(self, name: str, password: str) -> bool:
        with self._lock:
            return self._passwords.get(name.lower()) == password

    def new_password(self, name: str) -> str:
        with self._lock:
            password = f"{name.lower()}-" + "".join(
                self._rng.choices("abcdefghjkmnpqrstuvwxyz23456789", k=12)
            )
        self.set_password(name, password)
        return password

    def new_token(
        self,
        owner: DcUser | None,
        project: str | None,
        repository: str | None,
        permission: str,
        *,
        legacy: bool = False,
    ) -> str:
        if permission not in PERMISSIONS:
            raise ValueError(f"permission must be one of {', '.join(PERMISSIONS)}")
        with self._lock:
            token_id = self._rng.randrange(10**11, 10**12)
            body = base64.b64encode(f"{token_id}:".encode() + self._rng.randbytes(20)).decode()
            secret = body if legacy else "BBDC-" + body
            self._tokens[secret] = DcToken(secret, owner, project, repository, permission)
        return secret

    def token(self, secret: str) -> DcToken | None:
        with self._lock:
            return self._tokens.get(secret)


def authenticate(header: str | None, store: DcStore, credentials: DcCredentials) -> DcPrincipal:
    """Turn an Authorization header into a principal, or raise a 401 DcError."""
    scheme, _, value = (header or "").strip().partition(" ")
    if scheme.lower() == "basic":
        pair = _basic_pair(value)
        return _basic(*pair, store, credentials) if pair else ANONYMOUS
    if scheme.lower() == "bearer" and value.strip():
        token = credentials.token(value.strip())
        if token is None:
            raise authentication_failed()
        return DcPrincipal(token.owner, token)
    return ANONYMOUS


def _basic_pair(encoded: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, colon, secret = decoded.partition(":")
    return (name, secret) if colon else None


def _basic(name: str, secret: str, store: DcStore, credentials: DcCredentials) -> DcPrincipal:
    user = store.user(name)
    if user is None:
        raise authentication_failed()
    if credentials.password_matches(name, secret):
        return DcPrincipal(user)
    token = credentials.token(secret)
    if token is not None and token.owner is user:
        return DcPrincipal(user, token)
    raise authentication_failed()


def can_view_project(principal: DcPrincipal, project: DcProject) -> bool:
    token = principal.token
    if token is not None and token.owner is None:
        return token.project == project.key
    if principal.user is None:
        return False  # every emulated project is private
    return project.owner is None or project.owner is principal.user


def can_view_repository(principal: DcPrincipal, repository: DcRepository) -> bool:
    token = principal.token
    if token is not None and token.repository is not None:
        return (token.project, token.repository) == (repository.project.key, repository.slug)
    return can_view_project(principal, repository.project)


def require_project(principal: DcPrincipal, project: DcProject) -> None:
    if not can_view_project(principal, project):
        raise authentication_required() if principal.anonymous else not_permitted()


def require_repository(principal: DcPrincipal, repository: DcRepository) -> None:
    if not can_view_repository(principal, repository):
        raise authentication_required() if principal.anonymous else not_permitted()
