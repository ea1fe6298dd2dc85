"""Bitbucket Cloud's REST API 2.0: the endpoints bbpr calls, and what their failures mean."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeVar

from ..backend import HttpBackend
from ..credentials import Credentials
from ..errors import BbprError
from ..http import Http, HttpOptions, Reply
from ..models import (
    STATES,
    Flavour,
    Identity,
    Owner,
    PullRequest,
    Query,
    Repository,
    ScopeCheck,
    State,
)
from ..redaction import Redactor
from . import errors
from .activity import ACTIVITY_FIELDS, CloseTimes
from .auth import authorizer_for
from .query import PAGELEN, fields_parameter
from .scan import Scan
from .scopes import check_scopes
from .wire import (
    ActivityPage,
    PullRequestPage,
    decode_account,
    decode_activity,
    decode_pull_requests,
    decode_repositories,
    decode_repository,
    decode_workspaces,
)

API_URL = "https://api.bitbucket.org/2.0"
REPOSITORY_PAGELEN = 100

T = TypeVar("T")


class CloudAPI(HttpBackend):
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
        pages = Scan(self, repository, query, limit).run()
        if "closed_on" in query.fields:  # the one field that costs requests of its own
            pages = self.close_times(repository).add_to(pages)
        return pages

    def close_times(self, repository: Repository) -> CloseTimes:
        return CloseTimes(self, repository)

    async def fetch_activity(self, repository: Repository, *, pull_request: int | None = None,
                             url: str | None = None) -> ActivityPage:
        """One page of a repository's activity feed (or of one pull request's): the first,
        or the one `url` points at. Trimmed to what close times need."""
        params: list[tuple[str, str]] | None = None
        if url is None:
            url = f"/repositories/{repository.owner}/{repository.slug}/pullrequests"
            url += f"/{pull_request}/activity" if pull_request is not None else "/activity"
            params = [("pagelen", str(PAGELEN)), ("fields", ACTIVITY_FIELDS)]
        reply = await self.http.get(url, params, decode=decode_activity)
        return self._data(reply, what=f"the pull request activity of {repository.full_name}",
                          workspace=repository.owner, repository=repository.slug)

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

    async def identity(self) -> Identity:
        """Who the credential belongs to (`/user`), and its scopes (from the headers).

        A 403 still proves the credential valid: access tokens may not read `/user` at all,
        and other credentials may lack `read:user:bitbucket`.
        """
        reply = await self.http.get("/user", decode=decode_account)
        headers = reply.response.headers
        scopes = frozenset(scope.strip() for scope in headers.get("x-oauth-scopes", "").split(",")
                           if scope.strip()) or None
        kind = headers.get("x-credential-type")
        if reply.data is not None:
            return Identity(server="Bitbucket Cloud", name=reply.data.display_name,
                            login=reply.data.nickname, scopes=scopes, credential_type=kind)
        if reply.response.status == 403 and self.credentials.kind != "anonymous":
            return Identity(server="Bitbucket Cloud", scopes=scopes, credential_type=kind,
                            note="it may not read /user, so whose it is stays unknown")
        raise self._error(reply, what="your account", workspace="")

    async def owners(self) -> list[Owner]:
        """The workspaces this credential is a member of."""
        owners: list[Owner] = []
        url: str | None = "/user/workspaces"
        params: list[tuple[str, str]] | None = [("pagelen", str(REPOSITORY_PAGELEN))]
        while url:
            reply = await self.http.get(url, params, decode=decode_workspaces)
            page = self._data(reply, what="your workspaces", workspace="")
            owners += [Owner(key=item.workspace.slug, name=item.workspace.name)
                       for item in page.values]
            url, params = page.next, None
        return owners

    async def repository(self, owner: str, slug: str) -> Repository:
        reply = await self.http.get(f"/repositories/{owner}/{slug}",
                                    [("fields", "slug,name")], decode=decode_repository)
        found = self._data(reply, what=f"repository {owner}/{slug}", workspace=owner,
                           repository=slug)
        return Repository(owner=owner, slug=found.slug, name=found.name)

    async def state_counts(self, repository: Repository) -> dict[State, int]:
        """How many pull requests are in each state: one small request per state."""

        async def count(state: State) -> int:
            query = Query(states=frozenset({state}), fields=frozenset({"id"}))
            page = await self.fetch_page(repository, query, q=None, sort=None, pagelen=1)
            if page.size is not None:
                return page.size
            return sum([len(p) async for p in self.pull_request_pages(repository, query)])

        counts = await asyncio.gather(*(count(state) for state in STATES))
        return dict(zip(STATES, counts, strict=True))

    def scope_problems(self, identity: Identity, *, whole_owner: bool) -> ScopeCheck | None:
        if identity.scopes is None:
            return None
        return check_scopes(identity.scopes, self.credentials.kind, whole_workspace=whole_owner)

    def _data(self, reply: Reply[T], *, what: str, workspace: str,
                 repository: str | None = None, query: str | None = None) -> T:
        if reply.data is not None:
            return reply.data
        raise self._error(reply, what=what, workspace=workspace, repository=repository,
                          query=query)

    def _error(self, reply: Reply[T], *, what: str, workspace: str,
               repository: str | None = None, query: str | None = None) -> BbprError:
        return errors.error_for(reply.response, credentials=self.credentials, what=what,
                                workspace=workspace, repository=repository, query=query)
