"""The library's face: `AsyncClient`, and `Client`, the same methods without `await`.

`AsyncClient` is the implementation. `Client` runs an `AsyncClient` on an event loop in a
private thread and hands its pages across, so both behave identically by construction.
A client talks to one Bitbucket: Cloud (the default, or `api_url`) or the Data Center server
given as `server`. Credentials come from the argument, or from the environment.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine, Iterable, Iterator, Mapping
from concurrent.futures import Future
from datetime import datetime
from typing import Any, TypeVar

from . import listing
from .backend import Backend
from .cloud import API_URL, CloudAPI
from .credential_store import resolve
from .credentials import Credentials
from .details import PullRequestDetails
from .errors import InputError
from .filters import check_text, given_filters, make_query
from .http import HttpOptions, Stats
from .models import Flavour, PullRequest, Query, Repository, StateCounts
from .targets import CLOUD_HOSTS, Target, checked_url, normalise_server, parse_target

T = TypeVar("T")


class AsyncClient:
    """Lists pull requests from one Bitbucket Cloud or Data Center host."""

    def __init__(
        self,
        *,
        credentials: Credentials | None = None,
        server: str | None = None,
        api_url: str | None = None,
        concurrency: int = 8,
        ca_bundle: str | None = None,
        options: HttpOptions | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        environ = os.environ if environ is None else environ
        check_text("server", server)
        check_text("api_url", api_url)
        if options is None:
            _check_concurrency(concurrency)
        else:
            _check_concurrency(options.concurrency)
        self.server = normalise_server(server) if server else None
        self.flavour: Flavour = "datacenter" if self.server else "cloud"
        self.api_url = cloud_api_url(api_url or environ.get("BITBUCKET_API_URL") or API_URL)
        self.host = self.server or self.api_url
        """The address credentials are stored under: the Cloud API URL, or the server."""
        self.credentials = credentials or resolve(self.flavour, self.host, environ)
        self.options = options or HttpOptions(concurrency=concurrency, ca_bundle=ca_bundle)
        self._backend: Backend | None = None
        self._closed = False

    @staticmethod
    def cloud_host(environ: Mapping[str, str]) -> str:
        """The Cloud API address in use, which Cloud logins are stored under."""
        return cloud_api_url(environ.get("BITBUCKET_API_URL") or API_URL)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> AsyncClient:
        """A client configured by BITBUCKET_* variables (see the README)."""
        environ = os.environ if environ is None else environ
        kwargs.setdefault("server", environ.get("BITBUCKET_SERVER") or None)
        return cls(environ=environ, **kwargs)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections; closing again does nothing, using it again is an error."""
        self._closed = True
        if self._backend is not None:
            backend, self._backend = self._backend, None
            await backend.aclose()

    @property
    def stats(self) -> Stats:
        """Requests made, retries and waits so far."""
        return self.backend.stats

    @property
    def backend(self) -> Backend:
        if self._closed:
            raise ClosedError("This bbpr client is closed; make a new one to list again.")
        if self._backend is None:
            self._backend = self._connect()
        return self._backend

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

    async def pull_requests(self, repo: str | Target, **filters: Any) -> AsyncIterator[PullRequest]:
        """Every matching pull request of a repository, workspace or project.

        Filters: `state` ("open", the default; "all"; or several), `author`, `source`,
        `destination`, `updated_since` and `created_since` (datetime, "2026-01-31" or "7d"),
        `reviewer` (one person or several, who must all be reviewers), `draft` (True: only
        drafts; False: none), `query` (BBQL, Cloud), `limit`, `fields` (record fields to fill;
        fewer fields, smaller responses: `closed_on` costs requests on Cloud, see the README).
        """
        async for page in self.pull_request_pages(repo, **filters):
            for pull_request in page:
                yield pull_request

    async def pull_request_ids(self, repo: str | Target, **filters: Any) -> list[int]:
        """The IDs of every matching pull request, fetching nothing but IDs."""
        filters["fields"] = ["id"]
        return [pr.id async for pr in self.pull_requests(repo, **filters)]

    async def pull_request_pages(
        self,
        repo: str | Target,
        *,
        state: str | Iterable[str] | None = None,
        author: str | None = None,
        source: str | None = None,
        destination: str | None = None,
        updated_since: str | datetime | None = None,
        created_since: str | datetime | None = None,
        reviewer: str | Iterable[str] | None = None,
        draft: bool | None = None,
        query: str | None = None,
        limit: int | None = None,
        fields: Iterable[str] | None = None,
        repos: str | None = None,
    ) -> AsyncIterator[list[PullRequest]]:
        """Pages of pull requests as they arrive; the other methods are built on this one."""
        given = given_filters(locals())  # each filter by name, as `filters.FILTERS` declares
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)
                                  or limit < 1):
            raise InputError(f"limit must be a whole number, 1 or more, not {limit!r}.")
        check_text("repos", repos)
        built = make_query(**given, fields=fields)
        async for page in self.pages_for(self.target(repo), built, limit=limit, repos=repos):
            yield page

    async def pull_request(self, repo: str | Target, number: int | None = None
                           ) -> PullRequestDetails:
        """One pull request, reviewers and participants included: by repository and ID, or
        from a pull request URL alone."""
        target = self.target(repo)
        number = number if number is not None else target.pull_request
        if target.repo_slug is None or number is None:
            raise InputError("Name a repository and a pull request ID, or give the pull "
                             "request's URL.")
        repository = Repository(owner=target.owner, slug=target.repo_slug)
        return await self.backend.pull_request(repository, number)

    async def count(self, repo: str | Target) -> StateCounts:
        """How many pull requests each state of one repository holds, and what the numbers
        rest on (Cloud: one request a state; Data Center: a listing)."""
        target = listing.as_spelled_by_server(self.backend, self.target(repo))
        if target.repo_slug is None:
            raise InputError(f"{target.full_name} is not a repository: --count counts the pull "
                             "requests of one repository; name it as workspace/repo-slug.")
        return await self.backend.count(Repository(owner=target.owner, slug=target.repo_slug))

    def pages_for(self, target: Target, query: Query, *, limit: int | None = None,
                  repos: str | None = None) -> AsyncGenerator[list[PullRequest], None]:
        """Pages for an already parsed target and query (what the command line uses)."""
        return listing.pull_request_pages(self.backend, target, query, limit=limit, repos=repos)

    async def repositories(self, owner: str, pattern: str | None = None) -> list[Repository]:
        """The repositories of a workspace (Cloud) or project (Data Center)."""
        check_text("pattern", pattern)
        if not isinstance(owner, str):
            raise InputError(f"owner must be a text such as 'workspace', not "
                             f"{type(owner).__name__}.")
        target = self.target(owner)  # checked like any name: "../etc" is no workspace
        if target.repo_slug is not None:
            raise InputError(f"{owner!r} names a repository; give a workspace or project alone.")
        return [repository async for repository in
                listing.repositories(self.backend, target.owner, pattern)]

    def _connect(self) -> Backend:
        if self.server is None:
            return CloudAPI.connect(self.credentials, api_url=self.api_url, options=self.options)
        from .datacenter import DataCenterAPI  # here: a Cloud run need not load it

        return DataCenterAPI.connect(self.credentials, server=self.server, options=self.options)


class ClosedError(InputError):
    """A client was used after `close()`: a mistake in the calling code."""


def _check_concurrency(concurrency: object) -> None:
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or not (
            1 <= concurrency <= 64):
        raise InputError(f"concurrency must be a whole number from 1 to 64, not {concurrency!r}.")


def cloud_api_url(url: str) -> str:
    """Check a Cloud API base URL; the web site's address is a common mix-up."""
    url = url.strip().rstrip("/")
    split = checked_url(url, "BITBUCKET_API_URL")
    host = url.split("://", 1)[-1].split("/", 1)[0].lower()
    if host in ("bitbucket.org", "www.bitbucket.org"):
        raise InputError(
            f"{url} is the Bitbucket website; the API is at {API_URL}. Set BITBUCKET_API_URL to "
            "that, or leave it unset."
        )
    if host == "api.bitbucket.org" and not url.endswith("/2.0"):
        raise InputError(f"The Bitbucket Cloud API is at {API_URL}; set BITBUCKET_API_URL to it.")
    if split is not None or host in CLOUD_HOSTS:
        return url
    raise InputError(f"BITBUCKET_API_URL={url!r} is not a URL; the default is {API_URL}.")


class Client:
    """`AsyncClient`'s methods, without `await`, for scripts and notebooks."""

    def __init__(self, **kwargs: Any) -> None:
        self._loop = _LoopThread()
        self._async = AsyncClient(**kwargs)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> Client:
        client = cls.__new__(cls)
        client._loop = _LoopThread()
        client._async = AsyncClient.from_env(environ, **kwargs)
        return client

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections and the loop thread; closing again does nothing."""
        if self._loop.closed:
            return
        try:
            self._loop.run(self._async.aclose())
        finally:
            self._loop.stop()

    @property
    def stats(self) -> Stats:
        return self._async.stats

    def pull_requests(self, repo: str | Target, **filters: Any) -> Iterator[PullRequest]:
        """See `AsyncClient.pull_requests`."""
        for page in self._pages(self._async.pull_request_pages(repo, **filters)):
            yield from page

    def pull_request_ids(self, repo: str | Target, **filters: Any) -> list[int]:
        """See `AsyncClient.pull_request_ids`."""
        return self._loop.run(self._async.pull_request_ids(repo, **filters))

    def pull_request(self, repo: str | Target, number: int | None = None) -> PullRequestDetails:
        """See `AsyncClient.pull_request`."""
        return self._loop.run(self._async.pull_request(repo, number))

    def count(self, repo: str | Target) -> StateCounts:
        """See `AsyncClient.count`."""
        return self._loop.run(self._async.count(repo))

    def repositories(self, owner: str, pattern: str | None = None) -> list[Repository]:
        """See `AsyncClient.repositories`."""
        return self._loop.run(self._async.repositories(owner, pattern))

    def _pages(self, pages: AsyncIterator[list[PullRequest]]) -> Iterator[list[PullRequest]]:
        try:
            while True:
                try:
                    yield self._loop.run(_next(pages))
                except StopAsyncIteration:
                    return
        finally:
            self._loop.run(_close(pages))


async def _next(pages: AsyncIterator[T]) -> T:
    return await anext(pages)


async def _close(pages: AsyncIterator[Any]) -> None:
    close = getattr(pages, "aclose", None)
    if close is not None:
        await close()


class _LoopThread:
    """An event loop running in a daemon thread, for `Client`'s blocking calls."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bbpr-client",
                                        daemon=True)
        self._thread.start()

    @property
    def closed(self) -> bool:
        return self._loop.is_closed()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._loop.is_closed():
            coroutine.close()
            raise ClosedError("This bbpr client is closed; make a new one to list again.")
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result()

    def stop(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
        self._loop.close()
