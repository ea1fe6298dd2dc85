"""`bbpr auth`: log in (check a credential live, then store it), report, log out.

A credential is stored only after the server accepted it and it has the scope listing needs,
so that a stored login is one that worked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..asked.targets import normalise_server
from ..connect import Connection, cloud_host
from ..errors import AuthError, BbprError
from ..http import HttpOptions
from ..models import Flavour, Identity, ScopeCheck
from .kinds import ANONYMOUS, API_TOKEN_PAGE, Credentials, from_environment
from .store import (
    CredentialStore,
    GivenSecret,
    Storage,
    has_environment_credentials,
    resolve,
)


@dataclass(frozen=True)
class HostStatus:
    """One host's login, checked live."""

    host: str
    flavour: Flavour
    credentials: Credentials
    identity: Identity | None = None
    scopes: ScopeCheck | None = None
    error: BbprError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not (self.scopes and self.scopes.missing_required)


async def check(credentials: Credentials, *, server: str | None, environ: Mapping[str, str],
                options: HttpOptions | None = None) -> HostStatus:
    """Ask the server who the credential belongs to and which scopes it lacks."""
    connection = Connection(credentials=credentials, server=server, environ=environ,
                            options=options)
    status = HostStatus(host=connection.host, flavour=connection.flavour, credentials=credentials)
    try:
        identity = await connection.backend.identity()
        scopes = connection.backend.scope_problems(identity, whole_owner=True)
    except BbprError as error:
        return HostStatus(status.host, status.flavour, credentials, error=error)
    finally:
        await connection.aclose()
    return HostStatus(status.host, status.flavour, credentials, identity, scopes)


async def login(given: GivenSecret, *, server: str | None, environ: Mapping[str, str],
                insecure_storage: bool, store: CredentialStore | None = None,
                options: HttpOptions | None = None) -> tuple[HostStatus, Storage]:
    """Check `given` live and store it for its host; raise when it does not work."""
    flavour: Flavour = "datacenter" if server else "cloud"
    credentials = resolve(flavour, server or "", environ, given)
    status = await check(credentials, server=server, environ=environ, options=options)
    if status.error is not None:
        raise status.error
    if status.scopes and status.scopes.missing_required:
        missing = ", ".join(status.scopes.missing_required)
        raise AuthError(
            f"{credentials.describe(capital=True)} works but lacks {missing}, which listing "
            f"pull requests needs, so it was not stored. Create a token with it at "
            f"{API_TOKEN_PAGE}."
        )
    store = store or CredentialStore.default(environ)
    stored = store.save(status.host, flavour, credentials, insecure_storage=insecure_storage)
    return status, stored


async def status_of_all(environ: Mapping[str, str], store: CredentialStore | None = None,
                        options: HttpOptions | None = None) -> list[HostStatus]:
    """Every configured host, and the environment's credential, each checked live."""
    store = store or CredentialStore.default(environ)
    checks: list[HostStatus] = []
    if has_environment_credentials(environ):
        checks.append(await _environment_status(environ, options))
    for login_entry in store.logins():
        credentials = store.load(login_entry.host)
        if credentials is None:
            continue
        server = login_entry.host if login_entry.flavour == "datacenter" else None
        cloud_environ = dict(environ)
        if login_entry.flavour == "cloud":
            cloud_environ["BITBUCKET_API_URL"] = login_entry.host
        checks.append(await check(credentials, server=server, environ=cloud_environ,
                                  options=options))
    return checks


async def _environment_status(environ: Mapping[str, str],
                              options: HttpOptions | None) -> HostStatus:
    given = environ.get("BITBUCKET_SERVER") or None
    flavour: Flavour = "datacenter" if given else "cloud"
    where = "BITBUCKET_SERVER" if given else "Bitbucket Cloud"
    try:
        credentials = from_environment(environ, flavour)
    except BbprError as error:
        return HostStatus(where, flavour, ANONYMOUS, error=error)
    try:
        # Checked before anything is printed: the raw value may hold user:password@.
        server = normalise_server(given, "BITBUCKET_SERVER") if given else None
        cloud_host(environ)  # BITBUCKET_API_URL, checked the same way
    except BbprError as error:  # the credential is there; where to send it is not
        return HostStatus(where, flavour, credentials, error=error)
    return await check(credentials, server=server, environ=environ, options=options)
