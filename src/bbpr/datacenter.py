"""Bitbucket Data Center (and Server): URLs, parameters, paging, and translation to
`PullRequest`.

Data Center pages by offset: `start` and `limit`, with `nextPageStart` until `isLastPage`.
bbpr asks for 1000 a page and lets the server cap it (many cap at 1000, some lower), so a
repository takes `ceil(N / cap)` requests. There is no `fields=` to trim responses, but
`withAttributes=false` and `withProperties=false` drop what bbpr does not print.

Filters map onto the server's own where it has them (`username.1`/`role.1` for the author,
`at` with `direction` for a branch) and are applied here otherwise (`updated_since`, a second
branch, several states). Data Center has no SUPERSEDED state and no BBQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import TypeVar

import msgspec

from . import datacenter_errors
from .credentials import Credentials
from .errors import InputError
from .http import Http, HttpOptions, Reply, StaticAuthorizer, Stats
from .models import Flavour, PullRequest, Query, Repository, State
from .redaction import Redactor

T = TypeVar("T")

PAGE_LIMIT = 1000
"""Asked for on every page; the server caps it and says so in the response's `limit`."""
DATACENTER_STATES: tuple[State, ...] = ("OPEN", "MERGED", "DECLINED")


class _User(msgspec.Struct):
    id: int | None = None
    name: str | None = None
    displayName: str | None = None


class _Participant(msgspec.Struct):
    user: _User | None = None


class _Ref(msgspec.Struct):
    displayId: str | None = None
    latestCommit: str | None = None


class _Href(msgspec.Struct):
    href: str


class _Links(msgspec.Struct):
    self: list[_Href] = []


class _Properties(msgspec.Struct):
    commentCount: int | None = None
    openTaskCount: int | None = None


class _PullRequest(msgspec.Struct):
    id: int
    title: str | None = None
    description: str | None = None
    state: str | None = None
    draft: bool | None = None
    createdDate: int | None = None
    updatedDate: int | None = None
    author: _Participant | None = None
    fromRef: _Ref | None = None
    toRef: _Ref | None = None
    links: _Links | None = None
    properties: _Properties | None = None


class _Page(msgspec.Struct):
    values: list[_PullRequest] = []
    isLastPage: bool = True
    nextPageStart: int | None = None


class _RepositoryItem(msgspec.Struct):
    slug: str
    name: str | None = None


class _RepositoryPage(msgspec.Struct):
    values: list[_RepositoryItem] = []
    isLastPage: bool = True
    nextPageStart: int | None = None


_decode_pull_requests = msgspec.json.Decoder(_Page).decode
_decode_repositories = msgspec.json.Decoder(_RepositoryPage).decode


class DataCenterAPI:
    """A Bitbucket Data Center server's REST API, for one credential."""

    flavour: Flavour = "datacenter"

    def __init__(self, http: Http, credentials: Credentials, server: str) -> None:
        self.http = http
        self.credentials = credentials
        self.server = server

    @classmethod
    def connect(cls, credentials: Credentials, *, server: str,
                options: HttpOptions | None = None) -> DataCenterAPI:
        http = Http(f"{server}/rest/api/latest",
                    authorizer=StaticAuthorizer(credentials.authorization()),
                    options=options, redactor=Redactor(credentials.secrets()))
        return cls(http, credentials, server)

    @property
    def stats(self) -> Stats:
        return self.http.stats

    @property
    def concurrency(self) -> int:
        return self.http.options.concurrency

    async def aclose(self) -> None:
        await self.http.aclose()

    async def repositories(self, owner: str) -> AsyncIterator[list[Repository]]:
        start: int | None = 0
        while start is not None:
            reply = await self.http.get(f"/projects/{owner}/repos",
                                        [("start", str(start)), ("limit", str(PAGE_LIMIT))],
                                        decode=_decode_repositories)
            page = self._data(reply, what=f"the repositories of project {owner}", project=owner)
            yield [Repository(owner=owner, slug=item.slug, name=item.name)
                   for item in page.values]
            start = None if page.isLastPage else page.nextPageStart

    async def pull_request_pages(
        self, repository: Repository, query: Query, limit: int | None = None
    ) -> AsyncIterator[list[PullRequest]]:
        params = pull_request_parameters(query)
        keep = _local_filter(query)
        url = f"/projects/{repository.owner}/repos/{repository.slug}/pull-requests"
        seen: set[int] = set()
        listed = 0
        start: int | None = 0
        while start is not None and (limit is None or listed < limit):
            reply = await self.http.get(url, [*params, ("start", str(start)),
                                              ("limit", str(PAGE_LIMIT))],
                                        decode=_decode_pull_requests)
            page = self._data(reply, what=f"the pull requests of {repository.full_name}",
                              project=repository.owner, repository=repository.slug)
            # Offsets shift when pull requests appear during a listing: drop repeats.
            fresh = [item for item in page.values if item.id not in seen and keep(item)]
            seen.update(item.id for item in page.values)
            if limit is not None:
                fresh = fresh[: limit - listed]
            listed += len(fresh)
            yield [to_pull_request(item, repository.full_name) for item in fresh]
            start = None if page.isLastPage else page.nextPageStart

    def _data(self, reply: Reply[T], *, what: str, project: str,
              repository: str | None = None) -> T:
        if reply.data is not None:
            return reply.data
        raise datacenter_errors.error_for(reply.response, credentials=self.credentials,
                                          server=self.server, what=what, project=project,
                                          repository=repository)


def pull_request_parameters(query: Query) -> list[tuple[str, str]]:
    """The server-side part of a query; `_local_filter` does the rest."""
    if query.text:
        raise InputError(
            "--query takes BBQL, which only Bitbucket Cloud understands. On Data Center, use "
            "--author, --source, --destination and --updated-since."
        )
    states = [state for state in DATACENTER_STATES if state in query.states]
    if not states:
        raise InputError(
            "Bitbucket Data Center has no SUPERSEDED state: its pull requests are OPEN, MERGED "
            "or DECLINED."
        )
    params = [("state", states[0] if len(states) == 1 else "ALL"), ("order", "NEWEST"),
              ("withAttributes", "false"),
              ("withProperties", "true" if query.fields & {"comment_count", "task_count"}
               else "false")]
    if query.author:
        params += [("username.1", query.author), ("role.1", "AUTHOR")]
    if query.destination:
        params += [("at", f"refs/heads/{query.destination}"), ("direction", "INCOMING")]
    elif query.source:
        params += [("at", f"refs/heads/{query.source}"), ("direction", "OUTGOING")]
    return params


def _local_filter(query: Query) -> Callable[[_PullRequest], bool]:
    states = set(query.states)
    source = query.source if query.destination else None
    since_ms = (int(query.updated_since.timestamp() * 1000)
                if query.updated_since is not None else None)

    def keep(item: _PullRequest) -> bool:
        if item.state not in states:
            return False
        if source is not None and (item.fromRef is None or item.fromRef.displayId != source):
            return False
        return since_ms is None or (item.updatedDate or 0) >= since_ms

    return keep


def to_pull_request(item: _PullRequest, repository: str) -> PullRequest:
    user = item.author.user if item.author else None
    return PullRequest(
        id=item.id,
        repository=repository,
        title=item.title,
        state=item.state if item.state in DATACENTER_STATES else None,
        author=user.displayName if user else None,
        author_login=user.name if user else None,
        author_id=str(user.id) if user and user.id is not None else None,
        source_branch=item.fromRef.displayId if item.fromRef else None,
        destination_branch=item.toRef.displayId if item.toRef else None,
        created_on=_from_epoch_ms(item.createdDate),
        updated_on=_from_epoch_ms(item.updatedDate),
        url=item.links.self[0].href if item.links and item.links.self else None,
        draft=item.draft,
        description=item.description,
        comment_count=item.properties.commentCount if item.properties else None,
        task_count=item.properties.openTaskCount if item.properties else None,
        source_commit=item.fromRef.latestCommit if item.fromRef else None,
        destination_commit=item.toRef.latestCommit if item.toRef else None,
    )


def _from_epoch_ms(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=UTC)
