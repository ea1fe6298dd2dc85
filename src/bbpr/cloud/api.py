"""Bitbucket Cloud's REST API 2.0: the endpoints bbpr calls, and what their failures mean."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

from ..credentials import Credentials
from ..http import Http, HttpOptions, Reply, Stats
from ..models import STATES, Flavour, PullRequest, Query, Repository
from ..redaction import Redactor
from . import errors
from .auth import authorizer_for
from .query import PAGELEN, fields_parameter
from .scan import Scan
from .wire import PullRequestPage, decode_pull_requests, decode_repositories

API_URL = "https://api.bitbucket.org/2.0"
REPOSITORY_PAGELEN = 100

T = TypeVar("T")


class CloudAPI:
    """Bitbucket Cloud's REST API 2.0, for one credential."""

    flavour: Flavour = "cloud"

    def __init__(self, http: Http, credentials: Credentials) -> None:
        self.http = http
        self.credentials = credentials
        self.id_ranges_work: bool | None = None
        """Whether BBQL accepts `id` comparisons here; learnt from the first probe."""

    @classmethod
    def connect(cls, credentials: Credentials, *, api_url: str = API_URL,
                options: HttpOptions | None = None) -> CloudAPI:
        authorizer, extra_origins = authorizer_for(credentials, api_url)
        http = Http(api_url, authorizer=authorizer, options=options,
                    redactor=Redactor(credentials.secrets()), extra_origins=extra_origins)
        return cls(http, credentials)

    @property
    def stats(self) -> Stats:
        return self.http.stats

    @property
    def concurrency(self) -> int:
        return self.http.options.concurrency

    async def aclose(self) -> None:
        await self.http.aclose()

    async def repositories(self, owner: str) -> AsyncIterator[list[Repository]]:
        url: str | None = f"/repositories/{owner}"
        params: list[tuple[str, str]] | None = [
            ("pagelen", str(REPOSITORY_PAGELEN)), ("sort", "slug"),
            ("fields", "values.slug,values.name,next"),
        ]
        while url:
            reply = await self.http.get(url, params, decode=decode_repositories)
            page = self._data(reply, what=f"the repositories of workspace {owner}",
                              workspace=owner)
            yield [Repository(owner=owner, slug=item.slug, name=item.name)
                   for item in page.values]
            url, params = page.next, None

    def pull_request_pages(
        self, repository: Repository, query: Query, limit: int | None = None
    ) -> AsyncIterator[list[PullRequest]]:
        return Scan(self, repository, query, limit).run()

    async def fetch_page(self, repository: Repository, query: Query, *, q: str | None,
                         sort: str | None, pagelen: int = PAGELEN,
                         url: str | None = None) -> PullRequestPage:
        """One page of pull requests: the first of a query, or the one `url` points at."""
        params: list[tuple[str, str]] | None = None
        if url is None:
            url = f"/repositories/{repository.owner}/{repository.slug}/pullrequests"
            params = [("state", state) for state in STATES if state in query.states]
            params += [("pagelen", str(pagelen)), ("fields", fields_parameter(query))]
            if sort:
                params.append(("sort", sort))
            if q:
                params.append(("q", q))
        reply = await self.http.get(url, params, decode=decode_pull_requests)
        return self._data(reply, what=f"the pull requests of {repository.full_name}",
                          workspace=repository.owner, repository=repository.slug,
                          query=query.text)

    def _data(self, reply: Reply[T], *, what: str, workspace: str,
                 repository: str | None = None, query: str | None = None) -> T:
        if reply.data is not None:
            return reply.data
        raise errors.error_for(reply.response, credentials=self.credentials, what=what,
                                     workspace=workspace, repository=repository, query=query)
