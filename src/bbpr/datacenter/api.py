"""Bitbucket Data Center (and Server): URLs, parameters, paging, and translation to
`PullRequest`.

Data Center pages by offset: `start` and `limit`, with `nextPageStart` until `isLastPage`.
bbpr asks for 1000 a page and lets the server cap it (many cap at 1000, some lower), so a
repository takes `ceil(N / cap)` requests. There is no `fields=` to trim responses, but
`withAttributes=false` and `withProperties=false` drop what bbpr does not print.

Filters map onto the server's own where it has them (`username.N`/`role.N` for the author and
each reviewer, `draft`, `at` with `direction` for a branch) and are applied here otherwise
(`updated_since`, `created_since`, a second branch, several states). Data Center has no
SUPERSEDED state and no BBQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

from ..backend import CarriedCloseTimes, HttpBackend
from ..credentials.kinds import Credentials
from ..details import PullRequestDetails
from ..errors import BbprError, InputError
from ..http import Http, HttpOptions, Reply, StaticAuthorizer, api_path
from ..models import (
    Flavour,
    Identity,
    Owner,
    Person,
    PullRequest,
    Query,
    Repository,
    ScopeCheck,
    State,
    StateCounts,
    placed_state,
)
from ..redaction import Redactor
from ..request_budget import stalled
from . import errors
from .activities import ReviewEvents
from .scan import PAGE_LIMIT, Scan
from .wire import (
    DATACENTER_STATES,
    ActivityPage,
    PullRequestPage,
    decode_activities,
    decode_projects,
    decode_properties,
    decode_pull_request,
    decode_pull_requests,
    decode_repositories,
    decode_repository,
    decode_user,
    decode_users,
    to_details,
)

T = TypeVar("T")


class DataCenterAPI(HttpBackend):
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

    async def repositories(self, owner: str) -> AsyncIterator[list[Repository]]:
        """The project's repositories. Offset pages overlap by one and must join, as the
        pull request pages do (see `scan`): a repository deleted during the listing would
        otherwise shift another out of sight. Repeats are for `listing` to drop."""
        what = f"the repositories of project {owner}"
        offset, following, previous = 0, 0, set[str]()
        while True:
            reply = await self.http.get(api_path("projects", owner, "repos"),
                                        [("start", str(offset)), ("limit", str(PAGE_LIMIT))],
                                        decode=decode_repositories)
            page = self._data(reply, what=what, project=owner)
            slugs = {item.slug for item in page.values}
            if previous and offset > 0 and not previous & slugs:
                offset, following = max(0, offset - len(page.values) - 1), 0
                continue  # the list moved up: read the page before again
            yield [Repository(owner=item.owner(owner), slug=item.slug, name=item.name)
                   for item in page.values]
            if page.isLastPage or not page.values:
                return
            if page.nextPageStart is None or page.nextPageStart <= following:
                raise stalled(f"project {owner}", "the next page of repositories did not move on")
            following = page.nextPageStart
            offset, previous = following - 1, slugs

    def pull_request_pages(
        self, repository: Repository, query: Query, limit: int | None = None
    ) -> AsyncIterator[list[PullRequest]]:
        return Scan(self, repository, query, limit).run()

    def close_times(self, repository: Repository) -> CarriedCloseTimes:
        return CarriedCloseTimes()  # `closedDate` is in every record

    def review_events(self, repository: Repository) -> ReviewEvents:
        return ReviewEvents(self, repository)

    async def fetch_activities(self, repository: Repository, number: int,
                               start: int) -> ActivityPage:
        """One page of a pull request's activities, from offset `start`; an empty last
        page for one deleted since it was listed (authors may delete theirs)."""
        reply = await self.http.get(
            f"/projects/{repository.owner}/repos/{repository.slug}/pull-requests/{number}"
            "/activities", [("start", str(start)), ("limit", str(PAGE_LIMIT))],
            decode=decode_activities)
        if (reply.response.status == 404
                and errors.server_error(reply.response)[0] == "NoSuchPullRequestException"):
            return ActivityPage(values=[], isLastPage=True)
        return self._data(reply, what=f"the activity of pull request {number} of "
                          f"{repository.full_name}", project=repository.owner,
                          repository=repository.slug)

    async def fetch_page(self, repository: Repository, query: Query,
                         start: int) -> PullRequestPage:
        """One page of pull requests from offset `start`."""
        url = api_path("projects", repository.owner, "repos", repository.slug, "pull-requests")
        params = [*pull_request_parameters(query), ("start", str(start)),
                  ("limit", str(PAGE_LIMIT))]
        reply = await self.http.get(url, params, decode=decode_pull_requests)
        page = self._data(reply, what=f"the pull requests of {repository.full_name}",
                          project=repository.owner, repository=repository.slug)
        return page

    async def pull_request(self, repository: Repository, number: int) -> PullRequestDetails:
        reply = await self.http.get(
            api_path("projects", repository.owner, "repos", repository.slug, "pull-requests",
                     number),
            decode=decode_pull_request)
        item = self._data(reply, what=f"pull request {number} of {repository.full_name}",
                          project=repository.owner, repository=repository.slug)
        where = item.toRef.repository if item.toRef else None
        name = f"{where.owner(repository.owner)}/{where.slug}" if where else repository.full_name
        return to_details(item, name)

    async def identity(self) -> Identity:
        """What the server is (no credentials needed), then whom it takes us for.

        Data Center names the authenticated user in the `X-AUSERNAME` response header.
        """
        about = await self.http.get("/application-properties", decode=decode_properties)
        if about.data is None:
            raise errors.not_bitbucket(about.response, self.server)
        server = f"{about.data.displayName or 'Bitbucket'} Data Center {about.data.version or ''}"
        server = server.strip()
        if self.credentials.kind == "anonymous":
            return Identity(server=server, note="no credentials were given")
        probe = await self.http.get("/projects", [("limit", "1")], decode=decode_projects)
        if probe.data is None:
            raise self._error(probe, what="the list of projects", project="")
        login = probe.response.headers.get("x-ausername") or (
            self.credentials.user if self.credentials.kind == "password" else None)
        if not login:
            return Identity(server=server, note="the server did not say whose token this is")
        user = await self.http.get(api_path("users", login), decode=decode_user)
        name = user.data.displayName if user.data is not None else None
        return Identity(server=server, name=name, login=login, user_id=login)

    async def find_people(self, text: str, repository: Repository | None = None, *,
                          reviewers: bool = False) -> list[Person] | None:
        reply = await self.http.get("/users", [("filter", text), ("limit", "100")],
                                    decode=decode_users)
        if reply.data is None:
            return None  # searching users may need a permission this credential lacks
        return [Person(login=user.name, name=user.displayName, email=user.emailAddress)
                for user in reply.data.values if user.name]

    async def owners(self) -> list[Owner]:
        """The projects this credential can see."""
        owners: list[Owner] = []
        start = 0
        while True:
            reply = await self.http.get("/projects", [("start", str(start)),
                                                      ("limit", str(PAGE_LIMIT))],
                                        decode=decode_projects)
            page = self._data(reply, what="the list of projects", project="")
            owners += [Owner(key=project.key, name=project.name) for project in page.values]
            if page.isLastPage or not page.values:
                return owners
            if page.nextPageStart is None or page.nextPageStart <= start:
                raise stalled("the projects", "the next page did not move on")
            start = page.nextPageStart

    async def repository(self, owner: str, slug: str) -> Repository:
        reply = await self.http.get(api_path("projects", owner, "repos", slug),
                                    decode=decode_repository)
        found = self._data(reply, what=f"repository {owner}/{slug}", project=owner,
                           repository=slug)
        return Repository(owner=found.owner(owner), slug=found.slug, name=found.name)

    async def state_counts(self, repository: Repository) -> dict[State, int]:
        """How many pull requests are in each state (Data Center has no count: list them)."""
        counts: dict[State, int] = dict.fromkeys(DATACENTER_STATES, 0)
        query = Query(states=frozenset(DATACENTER_STATES), fields=frozenset({"id", "state"}))
        async for page in self.pull_request_pages(repository, query):
            for pull_request in page:
                placed = placed_state(pull_request.state)
                if placed in counts:
                    counts[placed] += 1
        return counts

    async def count(self, repository: Repository) -> StateCounts:
        """`bbpr list --count`: Data Center gives no totals and can delete pull requests,
        so the only count there is is a listing of every pull request."""
        counts = await self.state_counts(repository)
        return StateCounts(repository=repository.full_name,
                           counts={str(state): n for state, n in counts.items()},
                           rests_on="a listing of every pull request (Data Center gives no "
                                    "count, and its IDs have gaps where pull requests were "
                                    "deleted)")

    def scope_problems(self, identity: Identity, *, whole_owner: bool) -> ScopeCheck | None:
        return None  # Data Center tokens carry a permission level, not scopes

    def _data(self, reply: Reply[T], *, what: str, project: str,
              repository: str | None = None) -> T:
        if reply.data is not None:
            return reply.data
        raise self._error(reply, what=what, project=project, repository=repository)

    def _error(self, reply: Reply[T], *, what: str, project: str,
               repository: str | None = None) -> BbprError:
        return errors.error_for(reply.response, credentials=self.credentials,
                                server=self.server, what=what, project=project,
                                repository=repository)


def pull_request_parameters(query: Query) -> list[tuple[str, str]]:
    """The server-side part of a query; the scan checks every record against the whole
    query with `matching` (see `scan` for why the state is always ALL)."""
    if query.text:
        raise InputError(
            "--query takes BBQL, which only Bitbucket Cloud understands. On Data Center, use "
            "--author, --source, --destination and --updated-since."
        )
    if not query.states & set(DATACENTER_STATES):
        raise InputError(
            "Bitbucket Data Center has no SUPERSEDED state: its pull requests are OPEN, MERGED "
            "or DECLINED."
        )
    params = [("state", "ALL"), ("order", "NEWEST"),
              ("withAttributes", "false"),
              ("withProperties", "true" if query.fields & {"comment_count", "task_count"}
               else "false")]
    people = [(query.author, "AUTHOR")] if query.author else []
    people += [(who, "REVIEWER") for who in query.reviewers]
    for number, (who, role) in enumerate(people, start=1):
        params += [(f"username.{number}", who), (f"role.{number}", role)]
    if query.draft is not None:
        params.append(("draft", "true" if query.draft else "false"))
    if query.destination:
        params += [("at", f"refs/heads/{query.destination}"), ("direction", "INCOMING")]
    elif query.source:
        params += [("at", f"refs/heads/{query.source}"), ("direction", "OUTGOING")]
    return params

