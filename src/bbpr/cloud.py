"""Bitbucket Cloud: URLs, parameters, paging, errors, and translation to `PullRequest`.

Listing strategy, chosen because requests are the scarce resource (1,000 an hour) and the
result must be exact while pull requests change under us:

1. One probe: the newest page (`sort=-id`, 50 per page, the endpoint's maximum), with `size`.
   It is useful data, and it tells the highest ID and how many pull requests match.
2. The IDs below the probe are cut into ranges filtered in BBQL (`id >= a AND id < b`), which
   run side by side. Within a range, each further page is asked for with `id < smallest seen`
   (keyset paging), never by page number, so a pull request that changes state or appears
   elsewhere cannot shift one into a page already read. Ranges are disjoint, so nothing is
   listed twice and no ID set is kept.
   - When the matching IDs are dense (every state: IDs run 1..N), ranges are 50 IDs wide:
     one request each, `ceil(N / 50)` requests in all, the minimum.
   - When they are sparse (one state), one range per worker, each followed to its end.
3. If the server rejects comparisons on `id` (undocumented in BBQL), fall back to one
   sequential scan that follows `next`, dropping any ID at or above the last one listed.
4. The count listed is checked against `size`; a shortfall that changes on the server cannot
   explain is an error, never a short list passed off as complete.
"""

from __future__ import annotations

import functools
import math
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec

from . import cloud_errors
from .cloud_auth import authorizer_for
from .credentials import Credentials
from .http import Http, HttpOptions, Reply, Stats
from .models import STATES, Flavour, PullRequest, Query, Repository
from .paging import ordered
from .redaction import Redactor

API_URL = "https://api.bitbucket.org/2.0"
PAGELEN = 50
"""The pull request endpoint rejects more than 50 with 400 "Invalid pagelen"."""
REPOSITORY_PAGELEN = 100

_PATHS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "repository": (),
    "title": ("title",),
    "state": ("state",),
    "author": ("author.display_name",),
    "author_login": ("author.nickname",),
    "author_id": ("author.uuid",),
    "source_branch": ("source.branch.name",),
    "destination_branch": ("destination.branch.name",),
    "created_on": ("created_on",),
    "updated_on": ("updated_on",),
    "url": ("links.html.href",),
    "draft": ("draft",),
    "description": ("description",),
    "comment_count": ("comment_count",),
    "task_count": ("task_count",),
    "source_commit": ("source.commit.hash",),
    "destination_commit": ("destination.commit.hash",),
    "merge_commit": ("merge_commit.hash",),
    "closed_by": ("closed_by.display_name",),
}
"""Which parts of Cloud's pull request object each record field is made from."""


class _Named(msgspec.Struct):
    name: str | None = None


class _Hash(msgspec.Struct):
    hash: str | None = None


class _End(msgspec.Struct):
    branch: _Named | None = None
    commit: _Hash | None = None


class _Account(msgspec.Struct):
    display_name: str | None = None
    nickname: str | None = None
    uuid: str | None = None


class _Href(msgspec.Struct):
    href: str | None = None


class _Links(msgspec.Struct):
    html: _Href | None = None


class _PullRequest(msgspec.Struct):
    id: int
    title: str | None = None
    state: str | None = None
    author: _Account | None = None
    source: _End | None = None
    destination: _End | None = None
    created_on: datetime | None = None
    updated_on: datetime | None = None
    links: _Links | None = None
    draft: bool | None = None
    description: str | None = None
    comment_count: int | None = None
    task_count: int | None = None
    merge_commit: _Hash | None = None
    closed_by: _Account | None = None


class _PullRequestPage(msgspec.Struct):
    values: list[_PullRequest] = []
    next: str | None = None
    size: int | None = None


class _RepositoryItem(msgspec.Struct):
    slug: str
    name: str | None = None


class _RepositoryPage(msgspec.Struct):
    values: list[_RepositoryItem] = []
    next: str | None = None


T = TypeVar("T")

_decode_pull_requests = msgspec.json.Decoder(_PullRequestPage).decode
_decode_repositories = msgspec.json.Decoder(_RepositoryPage).decode


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
            reply = await self.http.get(url, params, decode=_decode_repositories)
            page = self._data(reply, what=f"the repositories of workspace {owner}",
                              workspace=owner)
            yield [Repository(owner=owner, slug=item.slug, name=item.name)
                   for item in page.values]
            url, params = page.next, None

    def pull_request_pages(
        self, repository: Repository, query: Query, limit: int | None = None
    ) -> AsyncIterator[list[PullRequest]]:
        return _Scan(self, repository, query, limit).run()

    async def fetch_page(self, repository: Repository, query: Query, *, q: str | None,
                         sort: str | None, pagelen: int = PAGELEN,
                         url: str | None = None) -> _PullRequestPage:
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
        reply = await self.http.get(url, params, decode=_decode_pull_requests)
        return self._data(reply, what=f"the pull requests of {repository.full_name}",
                          workspace=repository.owner, repository=repository.slug,
                          query=query.text)

    def _data(self, reply: Reply[T], *, what: str, workspace: str,
                 repository: str | None = None, query: str | None = None) -> T:
        if reply.data is not None:
            return reply.data
        raise cloud_errors.error_for(reply.response, credentials=self.credentials, what=what,
                                     workspace=workspace, repository=repository, query=query)


class _Scan:
    """One listing of one repository's pull requests; see the module docstring."""

    def __init__(self, api: CloudAPI, repository: Repository, query: Query,
                 limit: int | None) -> None:
        self.api = api
        self.repository = repository
        self.query = query
        self.limit = limit
        self.listed = 0
        self.conditions = bbql_conditions(query)

    async def run(self) -> AsyncIterator[list[PullRequest]]:
        probe = await self._probe()
        yield self._take(probe.values)
        if not probe.next or not probe.values or self._full():
            return
        lowest = min(item.id for item in probe.values)
        if self.api.id_ranges_work:
            async for page in self._ranges(lowest, probe.size):
                yield page
        else:
            async for page in self._sequential(probe.next, lowest):
                yield page
        if self.limit is None and probe.size is not None and self.listed < probe.size:
            await self._check_shortfall(probe.values[0].id)

    async def _probe(self) -> _PullRequestPage:
        pagelen = min(PAGELEN, self.limit) if self.limit else PAGELEN
        if self.api.id_ranges_work is not False:
            try:
                page = await self._page(_and(self.conditions, "id > 0"), pagelen=pagelen)
            except cloud_errors.BadRequest:
                self.api.id_ranges_work = False
            else:
                self.api.id_ranges_work = True
                return page
        return await self._page(self.conditions, pagelen=pagelen)

    async def _ranges(self, below: int, size: int | None) -> AsyncIterator[list[PullRequest]]:
        span = below - 1
        remaining = span if size is None else max(0, size - self.listed)
        density = min(1.0, remaining / span) if span else 1.0
        concurrency = self.api.concurrency
        if density >= 0.95:
            width = PAGELEN
        else:
            ranges = max(1, min(concurrency, math.ceil(remaining / PAGELEN)))
            width = math.ceil(span / ranges)
        expected = max(1.0, width * density)

        def window() -> int:
            if self.limit is None:
                return 4 * concurrency
            return math.ceil((self.limit - self.listed) / expected)

        async for pages in ordered(self._range_jobs(below, width), window):
            for page in pages:
                yield self._take(page)
                if self._full():
                    return

    def _range_jobs(self, below: int, width: int) -> Iterator[Callable[[], Any]]:
        high = below
        while high > 1:
            low = max(1, high - width)
            yield functools.partial(self._range, low, high)
            high = low

    async def _range(self, low: int, high: int) -> list[list[_PullRequest]]:
        pages: list[list[_PullRequest]] = []
        while True:
            page = await self._page(_and(self.conditions, f"id >= {low} AND id < {high}"))
            pages.append(page.values)
            if not page.next or not page.values:
                return pages
            high = min(item.id for item in page.values)

    async def _sequential(self, url: str, below: int) -> AsyncIterator[list[PullRequest]]:
        next_url: str | None = url
        while next_url and not self._full():
            page = await self.api.fetch_page(self.repository, self.query, q=None, sort=None,
                                             url=next_url)
            fresh = [item for item in page.values if item.id < below]
            if fresh:
                below = min(item.id for item in fresh)
                yield self._take(fresh)
            next_url = page.next

    async def _check_shortfall(self, highest: int) -> None:
        """Tell changes on the server from pull requests lost on the way."""
        recount = await self._page(_and(self.conditions, f"id <= {highest}")
                                   if self.api.id_ranges_work else self.conditions, pagelen=1)
        if recount.size is not None and self.listed < recount.size:
            raise cloud_errors.incomplete(self.repository.full_name, self.listed, recount.size)

    async def _page(self, q: str | None, *, pagelen: int = PAGELEN) -> _PullRequestPage:
        return await self.api.fetch_page(self.repository, self.query, q=q, sort="-id",
                                         pagelen=pagelen)

    def _take(self, items: list[_PullRequest]) -> list[PullRequest]:
        if self.limit is not None:
            items = items[: max(0, self.limit - self.listed)]
        self.listed += len(items)
        return [to_pull_request(item, self.repository.full_name) for item in items]

    def _full(self) -> bool:
        return self.limit is not None and self.listed >= self.limit


def fields_parameter(query: Query) -> str:
    """`fields=` naming only what the records need, plus the envelope keys paging reads."""
    paths = {"values.id", "next", "size"}
    for name in query.fields:
        paths.update(f"values.{path}" for path in _PATHS[name])
    return ",".join(sorted(paths))


def bbql_conditions(query: Query) -> str | None:
    """The query's filters in BBQL, or None when only states filter (sent as parameters).

    When `q` is sent, the states go into it as well as into `state` parameters: public reports
    disagree on whether Cloud honours `state` next to `q`, and this way both readings agree.
    """
    conditions: list[str] = []
    if query.author:
        conditions.append(_author_condition(query.author))
    if query.source:
        conditions.append(f"source.branch.name = {quote(query.source)}")
    if query.destination:
        conditions.append(f"destination.branch.name = {quote(query.destination)}")
    if query.updated_since:
        conditions.append(f"updated_on >= {bbql_datetime(query.updated_since)}")
    if query.text:
        conditions.append(f"({query.text})")
    if not conditions:
        return None
    return _and(state_condition(query), *conditions)


def state_condition(query: Query) -> str:
    states = [f"state = {quote(state)}" for state in STATES if state in query.states]
    return states[0] if len(states) == 1 else "(" + " OR ".join(states) + ")"


def _author_condition(author: str) -> str:
    if author.startswith("{") and author.endswith("}"):
        return f"author.uuid = {quote(author)}"
    if ":" in author:
        return f"author.account_id = {quote(author)}"
    return f"(author.nickname = {quote(author)} OR author.display_name = {quote(author)})"


def quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def bbql_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _and(*conditions: str | None) -> str | None:
    present = [condition for condition in conditions if condition]
    return " AND ".join(present) or None


def to_pull_request(item: _PullRequest, repository: str) -> PullRequest:
    return PullRequest(
        id=item.id,
        repository=repository,
        title=item.title,
        state=item.state if item.state in STATES else None,
        author=item.author.display_name if item.author else None,
        author_login=item.author.nickname if item.author else None,
        author_id=item.author.uuid if item.author else None,
        source_branch=_branch(item.source),
        destination_branch=_branch(item.destination),
        created_on=_utc(item.created_on),
        updated_on=_utc(item.updated_on),
        url=item.links.html.href if item.links and item.links.html else None,
        draft=item.draft,
        description=item.description,
        comment_count=item.comment_count,
        task_count=item.task_count,
        source_commit=item.source.commit.hash if item.source and item.source.commit else None,
        destination_commit=(item.destination.commit.hash
                            if item.destination and item.destination.commit else None),
        merge_commit=item.merge_commit.hash if item.merge_commit else None,
        closed_by=item.closed_by.display_name if item.closed_by else None,
    )


def _branch(end: _End | None) -> str | None:
    return end.branch.name if end and end.branch else None


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
