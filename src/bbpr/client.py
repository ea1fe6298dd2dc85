"""The library's face: `AsyncClient`, and `Client`, the same methods without `await`.

`AsyncClient` is the implementation. `Client` runs an `AsyncClient` on an event loop in a
private thread and hands its pages across, so both behave identically by construction.
A client talks to one Bitbucket: Cloud (the default, or `api_url`) or the Data Center server
given as `server`. Credentials come from the argument, or from the environment. Connecting
is `connect.Connection`'s; every method here is one of `listing`'s use cases on its backend.
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
from .asked.filters import check_text, given_filters, make_query, with_url_states
from .asked.targets import Target
from .connect import ClosedError, Connection
from .credentials.kinds import Credentials
from .details import PullRequestDetails
from .errors import InputError
from .http import HttpOptions, Stats
from .models import Flavour, PullRequest, Query, Repository, StateCounts

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
        self._connection = Connection(
            credentials=credentials, server=server, api_url=api_url, environ=environ,
            options=options or HttpOptions(concurrency=concurrency, ca_bundle=ca_bundle))
        self.server = self._connection.server
        self.flavour: Flavour = self._connection.flavour
        self.api_url = self._connection.api_url
        self.host = self._connection.host
        """The address credentials are stored under: the Cloud API URL, or the server."""
        self.credentials = self._connection.credentials
        self.options = self._connection.options

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> AsyncClient:
        """A client configured by BITBUCKET_* variables (docs/credentials.md lists them)."""
        environ = os.environ if environ is None else environ
        kwargs.setdefault("server", environ.get("BITBUCKET_SERVER") or None)
        return cls(environ=environ, **kwargs)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections; closing again does nothing, using it again is an error."""
        await self._connection.aclose()

    @property
    def stats(self) -> Stats:
        """Requests made, retries and waits so far."""
        return self._connection.stats

    def target(self, repo: str | Target) -> Target:
        """Parse a REPO/WORKSPACE/PROJECT argument and check that it belongs to this host."""
        return self._connection.target(repo)

    async def pull_requests(self, repo: str | Target, **filters: Any) -> AsyncIterator[PullRequest]:
        """Every matching pull request of a repository, workspace or project.

        Filters: `state` ("open", the default; "all"; or several), `author`, `source`,
        `destination`, `updated_since` and `created_since` (datetime, "2026-01-31" or "7d"),
        `reviewer` (one person or several, who must all be reviewers), `draft` (True: only
        drafts; False: none), `query` (BBQL, Cloud), `limit`, `fields` (record fields to fill;
        fewer fields, smaller responses: `closed_on` costs requests on Cloud, and the review
        metrics, `pickup_time` and the others, the pull requests' events on both flavours: see
        docs/list.md, "Review data, and what it costs"), `exclude_users` (accounts, a bot,
        whose events the review metrics leave out).
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
        exclude_users: str | Iterable[str] | None = None,
    ) -> AsyncIterator[list[PullRequest]]:
        """Pages of pull requests as they arrive; the other methods are built on this one."""
        given = given_filters(locals())  # each filter by name, as `asked.filters.FILTERS` declares
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)
                                  or limit < 1):
            raise InputError(f"limit must be a whole number, 1 or more, not {limit!r}.")
        check_text("repos", repos)
        target = self.target(repo)
        given["state"] = with_url_states(state, target.states)  # a list page's ?state=
        built = make_query(**given, fields=fields, exclude_users=exclude_users)
        async for page in self.pages_for(target, built, limit=limit, repos=repos):
            yield page

    async def pull_request(self, repo: str | Target, number: int | None = None
                           ) -> PullRequestDetails:
        """One pull request, reviewers and participants included: by repository and ID, or
        from a pull request URL alone."""
        return await listing.pull_request(self._connection.backend, self.target(repo), number)

    async def count(self, repo: str | Target) -> StateCounts:
        """How many pull requests each state of one repository holds, and what the numbers
        rest on (Cloud: one request a state; Data Center: a listing)."""
        return await listing.count(self._connection.backend, self.target(repo))

    def pages_for(self, target: Target, query: Query, *, limit: int | None = None,
                  repos: str | None = None) -> AsyncGenerator[list[PullRequest], None]:
        """Pages for an already parsed target and query."""
        return listing.pull_request_pages(self._connection.backend, target, query, limit=limit,
                                          repos=repos)

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
                listing.repositories(self._connection.backend, target.owner, pattern)]


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
