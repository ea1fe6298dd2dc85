"""Connecting to one Bitbucket: where it is, who asks, and how, turned into the backend that
talks to it.

Where: Bitbucket Cloud at its API URL (`https://api.bitbucket.org/2.0`, or the
`BITBUCKET_API_URL` of an emulator or a proxy), or the Data Center server given. Who: the
credentials given, or else those found as every command finds them (`credentials.store`).
How: the HTTP options (concurrency, waits, certificates, pacing). A `Connection` holds the
three and opens its backend on first use; the library's clients, the command line, `auth`,
`doctor` and `sync` all connect here, and none reaches into another's backend.

The same address is the host key that credentials and the local copy are filed under
(`host_for`): the Cloud API URL or the server, so that an emulator's pull requests never mix
with real ones. Nothing here imports the HTTP stack until a backend is opened: `list
--cached` asks for the host key and nothing else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .asked.filters import check_text
from .asked.targets import (
    CLOUD_HOSTS,
    Target,
    checked_url,
    normal_url,
    normalise_server,
    parse_target,
)
from .credentials.store import resolve
from .errors import InputError
from .models import Flavour

if TYPE_CHECKING:
    from .backend import Backend
    from .credentials.kinds import Credentials
    from .http import HttpOptions, Stats

CLOUD_API_URL = "https://api.bitbucket.org/2.0"
"""Where Bitbucket Cloud's API is, unless `BITBUCKET_API_URL` says otherwise."""


class ClosedError(InputError):
    """A client was used after `close()`: a mistake in the calling code."""


def cloud_api_url(url: str) -> str:
    """Check a Cloud API base URL (the web site's address is a common mix-up), and spell it
    the one way bbpr keys on (`asked.targets.normal_url`): pacing, the ledger and the copy's
    host see `HTTPS://API.bitbucket.org:443/2.0` as Cloud's own API."""
    url = url.strip().rstrip("/")
    split = checked_url(url, "BITBUCKET_API_URL")
    host = (split.hostname or "") if split else url.split("://", 1)[-1].split("/", 1)[0].lower()
    if host in ("bitbucket.org", "www.bitbucket.org"):
        raise InputError(
            f"{url} is the Bitbucket website; the API is at {CLOUD_API_URL}. Set "
            "BITBUCKET_API_URL to that, or leave it unset."
        )
    if host == "api.bitbucket.org" and not url.endswith("/2.0"):
        raise InputError(f"The Bitbucket Cloud API is at {CLOUD_API_URL}; set BITBUCKET_API_URL "
                         "to it.")
    if split is not None:
        return normal_url(split, split.path)
    if host in CLOUD_HOSTS:
        return CLOUD_API_URL
    raise InputError(f"BITBUCKET_API_URL={url!r} is not a URL; the default is {CLOUD_API_URL}.")


def cloud_host(environ: Mapping[str, str], api_url: str | None = None) -> str:
    """The Cloud API address in use (`api_url`, else `BITBUCKET_API_URL`, else Cloud's own),
    which Cloud logins and copies are filed under."""
    return cloud_api_url(api_url or environ.get("BITBUCKET_API_URL") or CLOUD_API_URL)


def host_for(target: Target, api_url: str | None = None) -> str:
    """What the local copy files a target under: its Data Center server, or the Cloud API
    URL (`api_url`, the `BITBUCKET_API_URL`), the same `Connection.host` a sync wrote with."""
    return target.server or cloud_host({}, api_url)


class Connection:
    """One Bitbucket, the credentials to ask it with, and the backend that does: opened on
    first use, closed with `aclose()` or at the end of an `async with` block."""

    def __init__(
        self,
        *,
        credentials: Credentials | None = None,
        server: str | None = None,
        api_url: str | None = None,
        options: HttpOptions | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        environ = os.environ if environ is None else environ
        check_text("server", server)
        check_text("api_url", api_url)
        if options is None:
            from .http import HttpOptions

            options = HttpOptions()
        _check_concurrency(options.concurrency)
        self.server = normalise_server(server) if server else None
        self.flavour: Flavour = "datacenter" if self.server else "cloud"
        self.api_url = cloud_host(environ, api_url)
        self.host = self.server or self.api_url
        """The address credentials are stored under: the Cloud API URL, or the server."""
        self.credentials = credentials or resolve(self.flavour, self.host, environ)
        self.options = options
        self._backend: Backend | None = None
        self._closed = False

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the backend's connections; closing again does nothing, using it again is an
        error."""
        self._closed = True
        if self._backend is not None:
            backend, self._backend = self._backend, None
            await backend.aclose()

    @property
    def backend(self) -> Backend:
        """What talks to the server, opened on first use."""
        if self._closed:
            raise ClosedError("This bbpr client is closed; make a new one to list again.")
        if self._backend is None:
            self._backend = self._open()
        return self._backend

    @property
    def stats(self) -> Stats:
        """Requests made, retries and waits so far."""
        return self.backend.stats

    def target(self, repo: str | Target) -> Target:
        """Parse a REPO/WORKSPACE/PROJECT argument and check that it belongs to this host."""
        if not isinstance(repo, str | Target):
            raise InputError(f"repo must be a text such as 'workspace/repo-slug', not "
                             f"{type(repo).__name__}.")
        target = repo if isinstance(repo, Target) else parse_target(repo, server=self.server)
        if target.flavour != self.flavour or target.server != self.server:
            where = target.server or "Bitbucket Cloud"
            raise InputError(
                f"{target.full_name} is on {where}, but this client talks to "
                f"{self.server or 'Bitbucket Cloud'}; make a client for that host."
            )
        return target

    def _open(self) -> Backend:
        if self.server is None:
            from .cloud import CloudAPI  # here: `list --cached` need not load the HTTP stack

            return CloudAPI.connect(self.credentials, api_url=self.api_url, options=self.options)
        from .datacenter import DataCenterAPI  # here: a Cloud run need not load it

        return DataCenterAPI.connect(self.credentials, server=self.server, options=self.options)


def _check_concurrency(concurrency: object) -> None:
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or not (
            1 <= concurrency <= 64):
        raise InputError(f"concurrency must be a whole number from 1 to 64, not {concurrency!r}.")
