"""Bitbucket Cloud's REST API 2.0: the endpoints bbpr calls, and what their failures mean."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeVar

import msgspec

from ..backend import HttpBackend
from ..credentials.kinds import Credentials
from ..details import PullRequestDetails
from ..errors import BbprError, NotFoundError
from ..http import Http, HttpOptions, Reply, api_path
from ..models import (
    STATES,
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
from .activity import ACTIVITY_FIELDS, CloseTimes, ReviewEvents
from .auth import authorizer_for
from .count import state_counts
from .feed import FEED_FIELDS, FeedEntry, decode_feed
from .feed import entries as feed_entries
from .feed import withheld as feed_withheld
from .ladder import pull_request_pages
from .people import people_named
from .query import FIELDS_FORMS, PAGELEN, bbql, fields_parameter, quote, sent_keys
from .scopes import check_scopes
from .server_traits import ServerTraits
from .wire import (
    ActivityPage,
    PullRequestItem,
    PullRequestPage,
    decode_account,
    decode_activity,
    decode_pull_request,
    decode_pull_requests,
    decode_repositories,
    decode_repository,
    decode_workspaces,
    to_details,
    withheld,
)

REPOSITORY_PAGELEN = 100

T = TypeVar("T")


class CloudAPI(HttpBackend):
    """Bitbucket Cloud's REST API 2.0, for one credential."""

    flavour: Flavour = "cloud"

    def __init__(self, http: Http, credentials: Credentials) -> None:
        self.http = http
        self.credentials = credentials
        self.traits = ServerTraits()
        """What this server was seen to honour, for the life of the client (see `ladder`)."""

    @classmethod
    def connect(cls, credentials: Credentials, *, api_url: str,
                options: HttpOptions | None = None) -> CloudAPI:
        authorizer, extra_origins = authorizer_for(credentials, api_url)
        http = Http(api_url, authorizer=authorizer, options=options,
                    redactor=Redactor(credentials.secrets()), extra_origins=extra_origins)
        return cls(http, credentials)

    async def repositories(self, owner: str) -> AsyncIterator[list[Repository]]:
        """The workspace's repositories, by keyset on the UUID (`q=uuid > "..."`,
        `sort=uuid`, as Atlassian staff recommend): page numbers repeat or drop repositories
        while others are created or renamed, and a UUID never changes. Each page is checked
        to continue the one before; where the keyset is refused or not applied, the pages
        are walked by number, de-duplicated by UUID."""
        what = f"the repositories of workspace {owner}"
        last: str | None = None
        while True:
            params = [("pagelen", str(REPOSITORY_PAGELEN)), ("sort", "uuid"),
                      ("fields", "values.uuid,values.slug,values.name,values.project.key,next")]
            if last is not None:
                params.append(("q", f"uuid > {quote(last)}"))
            reply = await self.http.get(api_path("repositories", owner), params,
                                        decode=decode_repositories,
                                        answer_at_once=frozenset({500}))
            if reply.response.status in (400, 500):
                break  # the keyset is not supported here
            page = self._data(reply, what=what, workspace=owner)
            uuids = [item.uuid or "" for item in page.values]
            if (not all(uuids) or uuids != sorted(set(uuids))
                    or (last is not None and uuids and uuids[0] <= last)):
                break  # not sorted, or not filtered, by UUID: the keyset cannot be trusted
            yield [Repository(owner=owner, slug=item.slug, name=item.name,
                              project=item.project.key if item.project else None)
                   for item in page.values]
            if not page.next or not page.values:
                return
            last = uuids[-1]
        async for repositories in self._repositories_by_number(owner, what):
            yield repositories

    async def _repositories_by_number(self, owner: str, what: str
                                      ) -> AsyncIterator[list[Repository]]:
        url: str | None = api_path("repositories", owner)
        params: list[tuple[str, str]] | None = [
            ("pagelen", str(REPOSITORY_PAGELEN)), ("sort", "slug"),
            ("fields", "values.uuid,values.slug,values.name,values.project.key,next"),
        ]
        followed = _Links(f"the repositories of workspace {owner}")
        while url:
            reply = await self.http.get(url, params, decode=decode_repositories)
            page = self._data(reply, what=what, workspace=owner)
            yield [Repository(owner=owner, slug=item.slug, name=item.name,
                              project=item.project.key if item.project else None)
                   for item in page.values]
            url, params = followed.next(page.next, [item.slug for item in page.values]), None

    def pull_request_pages(
        self, repository: Repository, query: Query, limit: int | None = None
    ) -> AsyncIterator[list[PullRequest]]:
        pages = pull_request_pages(self, repository, query, limit)
        if "closed_on" in query.fields:  # the one field that costs requests of its own
            pages = self.close_times(repository).add_to(pages)
        return pages

    def close_times(self, repository: Repository) -> CloseTimes:
        return CloseTimes(self, repository)

    def review_events(self, repository: Repository) -> ReviewEvents:
        return ReviewEvents(self, repository)

    async def fetch_activity(self, repository: Repository, *, pull_request: int | None = None,
                             url: str | None = None) -> ActivityPage:
        """One page of a repository's activity feed (or of one pull request's): the first,
        or the one `url` points at. Trimmed to what close times need."""
        params: list[tuple[str, str]] | None = None
        if url is None:
            url = api_path("repositories", repository.owner, repository.slug, "pullrequests",
                           *([pull_request] if pull_request is not None else []), "activity")
            params = [("pagelen", str(PAGELEN)), ("fields", ACTIVITY_FIELDS)]
        reply = await self.http.get(url, params, decode=decode_activity)
        return self._data(reply, what=f"the pull request activity of {repository.full_name}",
                          workspace=repository.owner, repository=repository.slug)

    async def fetch_feed(self, repository: Repository, *, pull_request: int | None = None,
                         url: str | None = None) -> tuple[list[FeedEntry], str | None]:
        """One page of a repository's activity feed (or of one pull request's), every
        entry kept (see `feed`): the first, or the one `url` points at. Trimmed by leaving
        out what events do not need, where that leaves what they do."""
        params: list[tuple[str, str]] | None = None
        first = url is None
        trimmed = self.traits.feed_trimmed
        if url is None:
            url = f"/repositories/{repository.owner}/{repository.slug}/pullrequests"
            url += f"/{pull_request}/activity" if pull_request is not None else "/activity"
            params = [("pagelen", str(PAGELEN))]
            params += [("fields", FEED_FIELDS)] if trimmed else []
        reply = await self.http.get(url, params, decode=decode_feed)
        page = self._data(reply, what=f"the pull request activity of {repository.full_name}",
                          workspace=repository.owner, repository=repository.slug)
        entries = feed_entries(page)
        missing = feed_withheld(entries, repository_feed=pull_request is None)
        if not missing:
            return entries, page.next
        if first and trimmed:
            self.traits.feed_trimmed = False  # asked whole from now on
            return await self.fetch_feed(repository, pull_request=pull_request)
        raise errors.feed_withheld(repository.full_name, missing)

    async def fetch_page(self, repository: Repository, query: Query, *, q: str | None,
                         sort: str | None, pagelen: int = PAGELEN, url: str | None = None,
                         states: frozenset[State] | None = None,
                         probe: bool = False) -> PullRequestPage:
        """One page of pull requests: the first of a query, or the one `url` points at.

        `states` (default: the query's) go into `state` parameters; a `probe` takes a 500
        as an answer (`errors.Refused`) instead of retrying it.
        """
        form = self.traits.fields_form
        params: list[tuple[str, str]] | None = None
        if url is None:
            wanted = query.states if states is None else states
            params = [("state", state) for state in STATES if state in wanted]
            params += [("pagelen", str(pagelen))]
            params += _fields(fields_parameter(query, form=FIELDS_FORMS[form]))
            if sort:
                params.append(("sort", sort))
            if q:
                params.append(("q", q))
        reply = await self.http.get(
            url or api_path("repositories", repository.owner, repository.slug, "pullrequests"),
            params,
            decode=decode_pull_requests,
            answer_at_once=frozenset({500}) if probe else frozenset())
        if probe and reply.response.status == 500:
            raise errors.Refused(f"Bitbucket answered HTTP 500 to {q}.")
        page = self._data(reply, what=f"the pull requests of {repository.full_name}",
                          workspace=repository.owner, repository=repository.slug,
                          query=query.text, sent=q)
        if self._fields_withheld(page.values, query, form, repository, again=url is None):
            return await self.fetch_page(repository, query, q=q, sort=sort, pagelen=pagelen,
                                         states=states, probe=probe)
        if params is not None and page.size is not None:
            # A repository's first request asks for the whole query: its size is the total.
            self.reported_matches.setdefault(repository.full_name, page.size)
        return page

    def _fields_withheld(self, items: list[PullRequestItem], query: Query, form: int,
                         repository: Repository, *, again: bool) -> bool:
        """Whether the request is to be sent again in the next `fields=` form: a key the
        query needs that no record carries was withheld, not empty (see `wire.withheld`).
        Ends the run, naming the keys, when no form is left (or the page came by a `next`
        link, which carries the form of the page before)."""
        missing = withheld(items, sent_keys(query))
        if not missing:
            return False
        if again and form + 1 < len(FIELDS_FORMS):
            if self.traits.fields_form == form:  # not moved on already by one in parallel
                self.traits.fields_form = form + 1
            return True
        raise errors.withheld(repository.full_name, missing)

    async def pull_request(self, repository: Repository, number: int) -> PullRequestDetails:
        reply = await self.http.get(
            api_path("repositories", repository.owner, repository.slug, "pullrequests", number),
            decode=decode_pull_request)
        if reply.response.status == 404:
            raise NotFoundError(
                f"Pull request {number} of {repository.full_name} was not found on Bitbucket "
                f"Cloud: it does not exist, or the repository cannot be seen with "
                f"{self.credentials.describe()}. `bbpr list {repository.full_name}` shows "
                "which pull requests there are."
            )
        item = self._data(reply, what=f"pull request {number} of {repository.full_name}",
                          workspace=repository.owner, repository=repository.slug)
        details = to_details(item, repository.full_name)
        if placed_state(details.pull_request.state) in (None, "OPEN"):
            return details
        closed_on = await self.close_times(repository).of_one(details.pull_request)
        return msgspec.structs.replace(details, pull_request=msgspec.structs.replace(
            details.pull_request, closed_on=closed_on))

    async def fetch_pull_request(self, repository: Repository, query: Query,
                                 number: int) -> PullRequestItem | None:
        """One pull request by ID, with the fields of `query`; None if there is none."""
        url = api_path("repositories", repository.owner, repository.slug, "pullrequests", number)
        form = self.traits.fields_form
        params = _fields(fields_parameter(query, prefix="", form=FIELDS_FORMS[form]))
        reply = await self.http.get(url, params, decode=decode_pull_request)
        if reply.response.status == 404 and reply.data is None:
            return None
        item = self._data(reply, what=f"pull request {number} of {repository.full_name}",
                          workspace=repository.owner, repository=repository.slug)
        if self._fields_withheld([item], query, form, repository, again=True):
            return await self.fetch_pull_request(repository, query, number)
        return item

    async def identity(self) -> Identity:
        """Who the credential belongs to (`/user`), and its scopes (from the headers).

        A 403 still proves the credential valid: access tokens may not read `/user` at all,
        and other credentials may lack `read:user:bitbucket`.
        """
        reply = await self.http.get("/user", decode=decode_account)
        headers = reply.response.headers
        # An empty header says "no scopes granted"; only a missing one says nothing.
        scopes = (frozenset(scope.strip() for scope in headers["x-oauth-scopes"].split(",")
                            if scope.strip()) if "x-oauth-scopes" in headers else None)
        kind = headers.get("x-credential-type")
        if reply.data is not None:
            return Identity(server="Bitbucket Cloud", name=reply.data.display_name,
                            login=reply.data.nickname, scopes=scopes, credential_type=kind,
                            user_id=reply.data.uuid)
        if reply.response.status == 403 and self.credentials.kind != "anonymous":
            return Identity(server="Bitbucket Cloud", scopes=scopes, credential_type=kind,
                            note="it may not read /user, so whose it is stays unknown")
        raise self._error(reply, what="your account", workspace="")

    async def find_people(self, text: str, repository: Repository | None = None, *,
                          reviewers: bool = False) -> list[Person] | None:
        """Cloud has no user search: in a repository, its pull requests' authors (or
        reviewers) stand in for it (`people`); elsewhere, None."""
        if repository is None:
            return None
        return await people_named(self, repository, text, reviewers=reviewers)

    async def owners(self) -> list[Owner]:
        """The workspaces this credential is a member of."""
        owners: list[Owner] = []
        url: str | None = "/user/workspaces"
        params: list[tuple[str, str]] | None = [("pagelen", str(REPOSITORY_PAGELEN))]
        followed = _Links("your workspaces")
        while url:
            reply = await self.http.get(url, params, decode=decode_workspaces)
            page = self._data(reply, what="your workspaces", workspace="")
            owners += [Owner(key=item.workspace.slug, name=item.workspace.name)
                       for item in page.values]
            url = followed.next(page.next, [item.workspace.slug for item in page.values])
            params = None
        return owners

    async def repository(self, owner: str, slug: str) -> Repository:
        reply = await self.http.get(api_path("repositories", owner, slug),
                                    [("fields", "slug,name")], decode=decode_repository)
        found = self._data(reply, what=f"repository {owner}/{slug}", workspace=owner,
                           repository=slug)
        return Repository(owner=owner, slug=found.slug, name=found.name)

    async def state_counts(self, repository: Repository) -> dict[State, int]:
        """How many pull requests are in each state: one small request per state."""

        async def count(state: State) -> int:
            query = Query(states=frozenset({state}), fields=frozenset({"id"}))
            page = await self.fetch_page(repository, query, q=bbql(query.states, []), sort=None,
                                         pagelen=1)
            if page.size is not None:
                return page.size
            return sum([len(p) async for p in self.pull_request_pages(repository, query)])

        counts = await asyncio.gather(*(count(state) for state in STATES))
        return dict(zip(STATES, counts, strict=True))

    async def count(self, repository: Repository) -> StateCounts:
        """`bbpr list --count`: see `count`."""
        return await state_counts(self, repository)

    def scope_problems(self, identity: Identity, *, whole_owner: bool) -> ScopeCheck | None:
        if identity.scopes is None:
            return None
        return check_scopes(identity.scopes, self.credentials.kind, whole_workspace=whole_owner)

    def _data(self, reply: Reply[T], *, what: str, workspace: str,
                 repository: str | None = None, query: str | None = None,
                 sent: str | None = None) -> T:
        if reply.data is not None:
            return reply.data
        raise self._error(reply, what=what, workspace=workspace, repository=repository,
                          query=query, sent=sent)

    def _error(self, reply: Reply[T], *, what: str, workspace: str,
               repository: str | None = None, query: str | None = None,
               sent: str | None = None) -> BbprError:
        if errors.no_api_here(reply.response):
            return errors.not_the_api(self.http.base_url)
        return errors.error_for(reply.response, credentials=self.credentials, what=what,
                                workspace=workspace, repository=repository, query=query,
                                sent=sent)


def _fields(value: str) -> list[tuple[str, str]]:
    """The `fields` parameter, or none where the form has nothing to say."""
    return [("fields", value)] if value else []


class _Links:
    """The `next` links of one page-numbered walk: each must be new, and its page must bring
    something new, or the walk would go round for ever (a server whose `next` points back)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.urls: set[str] = set()
        self.keys: set[str] = set()

    def next(self, url: str | None, keys: list[str]) -> str | None:
        """The link to follow after a page with `keys`; raises when it would not move on."""
        fresh = set(keys) - self.keys
        self.keys |= fresh
        if url is None:
            return None
        if url in self.urls or not fresh:
            raise stalled(self.what, "a next link led back to pages already read")
        self.urls.add(url)
        return url
