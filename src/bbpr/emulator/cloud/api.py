"""Bitbucket Cloud's REST API 2.0, the parts bbpr uses, as routes for the dispatcher.

Every `/2.0` route goes through `_guard`, which does what the live service does before any
endpoint logic: authenticate (401s), check the endpoint's scope (403 with the
`x-oauth-scopes` / `x-accepted-oauth-scopes` / `x-credential-type` headers), then run the
handler and add those headers to its answer, errors included.

Collections other than pull requests are small, so they are rendered whole, then filtered
by `q`, sorted and paged. Their default order is by slug (workspace slug for the items of
`/2.0/user/workspaces`), ascending.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from ..data import Store
from ..messages import ApiError, Area, Request, Response, json_response
from ..server import NO_API_HERE, Handler, Route
from ..settings import Settings
from . import bbql, fields, oauth, render
from .access import (
    can_see_repository,
    can_see_workspace,
    require_user,
    segment,
    visible_repository,
    visible_workspace,
)
from .activity import Activity
from .auth import AuthFailure, CredentialTable, Principal, authenticate, require_scope
from .errors import CloudErrors
from .paging import envelope, page_request
from .pulls import PullRequests

GuardedHandler = Callable[[Request, re.Match[str], Principal], Response]

# (granular scope for API tokens, classic scope for access tokens and OAuth)
USER = ("read:user:bitbucket", "account")
WORKSPACE = ("read:workspace:bitbucket", "account")
REPOSITORY = ("read:repository:bitbucket", "repository")
PULLREQUEST = ("read:pullrequest:bitbucket", "pullrequest")

_WS = r"([^/]+)"
_REPO = r"/2\.0/repositories/([^/]+)/([^/]+)"


class CloudApi:
    """The `/2.0` endpoints and the OAuth token endpoint over one Store."""

    def __init__(self, store: Store, credentials: CredentialTable, settings: Settings) -> None:
        self.store = store
        self.credentials = credentials
        self.settings = settings
        self.pull_requests = PullRequests(store, settings)
        self.activity = Activity(store, settings)
        self.errors = CloudErrors()

    def areas(self) -> list[Area]:
        """`/2.0`, and the OAuth token endpoint, which faults reach only when asked."""
        return [Area(re.compile(r"/2\.0(?:/|$)"), self.errors),
                Area(re.compile(r"/site/oauth2/"), self.errors, token_endpoint=True)]

    def routes(self) -> list[Route]:
        def route(method: str, pattern: str, handler: Handler) -> Route:
            return Route(method, re.compile(pattern), handler)

        guard = self._guard
        return [
            route("GET", r"/2\.0/user/?", guard(USER, self._user)),
            route("GET", r"/2\.0/user/workspaces/?", guard(WORKSPACE, self._user_workspaces)),
            route("GET", rf"/2\.0/workspaces/{_WS}/?", guard(WORKSPACE, self._workspace)),
            route("GET", rf"/2\.0/repositories/{_WS}/?", guard(REPOSITORY, self._repositories)),
            route("GET", rf"{_REPO}/?", guard(REPOSITORY, self._repository)),
            route("GET", rf"{_REPO}/pullrequests/?", guard(PULLREQUEST, self._pull_request_list)),
            route("GET", rf"{_REPO}/pullrequests/(\d+)/?", guard(PULLREQUEST, self._pull_request)),
            route("GET", rf"{_REPO}/pullrequests/activity/?",
                  guard(PULLREQUEST, self._activity)),
            route("GET", rf"{_REPO}/pullrequests/(\d+)/activity/?",
                  guard(PULLREQUEST, self._pull_request_activity)),
            route("POST", r"/site/oauth2/access_token/?", self._oauth_token),
            # Unknown /2.0 paths still authenticate first: bad credentials are a 401 anywhere.
            route("*", r"/2\.0(?:/.*)?", guard(None, _no_api_here)),
        ]

    def _guard(self, scope: tuple[str, str] | None, handler: GuardedHandler) -> Handler:
        def guarded(request: Request, match: re.Match[str]) -> Response:
            try:
                principal = authenticate(request.header("authorization"), self.credentials)
            except AuthFailure as failure:
                return failure.response
            try:
                headers = require_scope(principal, *scope) if scope else {}
            except ApiError as error:
                return error.response()
            try:
                response = handler(request, match, principal)
            except ApiError as error:
                response = error.response()
            for name, value in headers.items():
                response.headers.setdefault(name, value)
            return response

        return guarded

    def _oauth_token(self, request: Request, match: re.Match[str]) -> Response:
        return oauth.access_token(request, self.credentials, self.settings)

    def _user(self, request: Request, match: re.Match[str], principal: Principal) -> Response:
        require_user(principal)
        account = self.store.account_by_uuid(principal.account_uuid or "")
        if account is None:
            raise ApiError(401, "Unknown account")
        body = render.current_user(_api(request), account)
        return _with_fields(request, body)

    def _user_workspaces(
        self, request: Request, match: re.Match[str], principal: Principal
    ) -> Response:
        require_user(principal)
        api = _api(request)
        with self.store.lock:
            memberships = [
                (ws, ws.members[principal.account_uuid or ""])
                for ws in self.store.workspaces.values()
                if can_see_workspace(principal, ws)
            ]
        wanted = request.query.get("administrator", [""])[-1].lower()
        if wanted in ("true", "false"):
            memberships = [(ws, admin) for ws, admin in memberships if admin == (wanted == "true")]
        items = [render.workspace_access(api, ws, admin) for ws, admin in memberships]
        return self._collection(request, items, default_sort="workspace.slug")

    def _workspace(self, request: Request, match: re.Match[str], principal: Principal) -> Response:
        with self.store.lock:
            workspace = visible_workspace(self.store, principal, segment(match[1]))
            body = render.workspace(_api(request), workspace)
        return _with_fields(request, body)

    def _repositories(
        self, request: Request, match: re.Match[str], principal: Principal
    ) -> Response:
        api = _api(request)
        with self.store.lock:
            workspace = visible_workspace(self.store, principal, segment(match[1]))
            items = [
                render.repository(api, repository)
                for repository in self.store.repositories_of(workspace)
                if can_see_repository(principal, repository)
            ]
        return self._collection(request, items, default_sort="slug")

    def _repository(self, request: Request, match: re.Match[str], principal: Principal) -> Response:
        with self.store.lock:
            repository = visible_repository(
                self.store, principal, segment(match[1]), segment(match[2])
            )
            body = render.repository(_api(request), repository)
        return _with_fields(request, body)

    def _pull_request_list(
        self, request: Request, match: re.Match[str], principal: Principal
    ) -> Response:
        return self.pull_requests.list_page(
            request, segment(match[1]), segment(match[2]), principal
        )

    def _pull_request(
        self, request: Request, match: re.Match[str], principal: Principal
    ) -> Response:
        return self.pull_requests.one(
            request, segment(match[1]), segment(match[2]), int(match[3]), principal
        )

    def _activity(self, request: Request, match: re.Match[str], principal: Principal) -> Response:
        return self.activity.of_repository(request, segment(match[1]), segment(match[2]),
                                           principal)

    def _pull_request_activity(
        self, request: Request, match: re.Match[str], principal: Principal
    ) -> Response:
        return self.activity.of_pull_request(
            request, segment(match[1]), segment(match[2]), int(match[3]), principal
        )

    def _collection(
        self, request: Request, items: Sequence[dict[str, Any]], default_sort: str
    ) -> Response:
        """Filter (`q`), sort (`sort`), page and trim (`fields`) a small collection."""
        paging = page_request(request, self.settings.max_repository_pagelen)
        selected = _filtered(list(items), request.query.get("q", [""])[-1])
        selected = _sorted(selected, request.query.get("sort", [""])[-1] or default_sort)
        page = selected[paging.start : paging.start + paging.pagelen]
        return _with_fields(request, envelope(request, page, len(selected), paging))


def _no_api_here(request: Request, match: re.Match[str], principal: Principal) -> Response:
    raise ApiError(404, "Resource not found", NO_API_HERE)


def _api(request: Request) -> str:
    return request.base_url + "/2.0"


def _with_fields(request: Request, body: Any) -> Response:
    spec = fields.parse(request.query.get("fields", []))
    return json_response(200, fields.apply(body, spec))


def _filtered(items: list[dict[str, Any]], q: str) -> list[dict[str, Any]]:
    if not q or not items:
        return items
    try:
        node = bbql.check(bbql.parse(q), bbql.schema_of(items[0]))
    except bbql.QueryError as error:
        raise ApiError(400, str(error)) from None
    return [item for item in items if bbql.evaluate(node, _resolver(item))]


def _resolver(item: dict[str, Any]) -> bbql.Resolver:
    return lambda path: bbql.lookup(item, path)


def _sorted(items: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    descending = sort.startswith("-")
    path = tuple(sort.lstrip("-").split("."))
    if items and path not in bbql.schema_of(items[0]):
        raise ApiError(400, f'Invalid sort: "{sort.lstrip("-")}" is not a sortable field')

    def sort_key(item: dict[str, Any]) -> tuple[int, Any]:
        found = [v for v in bbql.lookup(item, path) if v is not None]
        return (1, found[0]) if found else (0, 0)

    return sorted(items, key=sort_key, reverse=descending)
