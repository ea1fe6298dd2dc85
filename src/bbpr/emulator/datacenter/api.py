"""Bitbucket Data Center's REST API (the parts bbpr uses), served beside Cloud's.

Everything lives under `/rest/api/latest` and its alias `/rest/api/1.0`, on the same
server as Cloud's `/2.0`, so one emulator answers both flavours; neither flavour's paths
exist in the other (a `/rest` path never takes a Cloud credential, and vice versa).

Every `/rest` request goes through `_guard`, which does what Data Center's filters do
before any resource runs: authenticate (a wrong password is a 401 even on a path that
needs none), refuse users without a licence seat, then run the resource; unknown `/rest`
paths are Jersey's 404 "null for uri". Responses carry `X-AREQUESTID`, and `X-AUSERNAME`
/ `X-AUSERID` when a user is authenticated, as Data Center's do.

Web pages (`/projects/...`, `/users/...`, `/plugins/...`, ...) exist only to reproduce one
trap: since 8.9.22 / 8.19.12 / 9.3.2 HTTP access tokens work on `/rest` and `/scm` paths
only, so a Bearer token on a page URL (often pasted from the browser) gets a 302 to the
login page, not an error. Anonymous callers get the same redirect.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable
from urllib.parse import quote, unquote

from ..data import PullRequest
from ..messages import JSON_TYPE, Area, Request, Response, json_response
from ..server import Handler, Route
from ..settings import Settings
from . import activities, render
from .auth import (
    DcCredentials,
    DcPrincipal,
    authenticate,
    can_view_project,
    can_view_repository,
    require_project,
    require_repository,
)
from .data import DcRepository, DcStore
from .errors import (
    DcError,
    DcErrors,
    bad_parameter,
    no_resource,
    no_such_project,
    no_such_pull_request,
    no_such_repository,
    not_licensed,
)
from .paging import page_of
from .pulls import ListQuery, PullRequestLister

GuardedHandler = Callable[[Request, list[str], DcPrincipal], Response]

API = r"/rest/api/(?:latest|1\.0)"
_SEGMENT = r"([^/]+)"
# Personal repositories have a second, user-centric address (`/users/{slug}/repos/...`,
# served by live servers though the 9.4 OpenAPI does not list it); atlassian-python-api
# sends it with the project key, "~" included, as the user slug, so both spellings work.
_REPO = rf"{API}/projects/{_SEGMENT}/repos/{_SEGMENT}"
_USER_REPO = rf"{API}/users/{_SEGMENT}/repos/{_SEGMENT}"
PULL_REQUEST_LIST = re.compile(rf"(?:{_REPO}|{_USER_REPO})/pull-requests/?")
WEB_PAGES = r"/(?:projects|users|plugins|dashboard|account|admin|profile|repos)(?:/.*)?"
PROJECT_PERMISSIONS = ("PROJECT_VIEW", "PROJECT_READ", "PROJECT_WRITE", "PROJECT_ADMIN")
HTML_TYPE = "text/html;charset=UTF-8"
DC_JSON_TYPE = "application/json;charset=UTF-8"  # Data Center's spelling of it


class DataCenterApi:
    """The `/rest` resources and the web-page redirects over one DcStore."""

    def __init__(self, store: DcStore, credentials: DcCredentials, settings: Settings) -> None:
        self.store = store
        self.credentials = credentials
        self.settings = settings
        self.lister = PullRequestLister(store)
        self._request_number = 0
        self._number_lock = threading.Lock()

    def areas(self) -> list[Area]:
        return [Area(re.compile(r"/rest/"), DcErrors())]

    def routes(self) -> list[Route]:
        def route(method: str, pattern: str, handler: Handler) -> Route:
            return Route(method, re.compile(pattern), handler)

        guard = self._guard
        routes = [
            route(
                "GET",
                rf"{API}/application-properties/?",
                guard(self._application_properties, public=True),
            ),
            route("GET", rf"{API}/projects/?", guard(self._projects)),
            route("GET", rf"{API}/projects/{_SEGMENT}/?", guard(self._project)),
            route("GET", rf"{API}/projects/{_SEGMENT}/repos/?", guard(self._repositories)),
            route("GET", rf"{API}/users/{_SEGMENT}/repos/?", guard(self._user_repositories)),
            route("GET", rf"{API}/users/?", guard(self._users)),
            route("GET", rf"{API}/users/{_SEGMENT}/?", guard(self._user)),
        ]
        for prefix, personal in ((_REPO, False), (_USER_REPO, True)):
            routes += [
                route("GET", rf"{prefix}/?", guard(self._repository, personal=personal)),
                route(
                    "GET",
                    rf"{prefix}/pull-requests/?",
                    guard(self._pull_request_list, personal=personal),
                ),
                route(
                    "GET",
                    rf"{prefix}/pull-requests/{_SEGMENT}/?",
                    guard(self._pull_request, personal=personal),
                ),
                route(
                    "GET",
                    rf"{prefix}/pull-requests/{_SEGMENT}/activities/?",
                    guard(self._activities, personal=personal),
                ),
            ]
        return [
            *routes,
            route("*", r"/rest(?:/.*)?", guard(self._no_resource)),
            route("GET", r"/login/?", _login_page),
            route("GET", WEB_PAGES, self._web_page),
        ]  # fmt: skip

    def _guard(
        self, handler: GuardedHandler, *, public: bool = False, personal: bool = False
    ) -> Handler:
        """Authenticate, then run `handler` with the path's (percent-decoded) parts; with
        `personal`, the first part is a user slug that stands for the project `~slug`."""

        def guarded(request: Request, match: re.Match[str]) -> Response:
            headers = {"X-AREQUESTID": self._request_id()}
            parts = [unquote(part) for part in match.groups()]
            if personal:
                parts[0] = "~" + parts[0].removeprefix("~")
            try:
                principal = authenticate(
                    request.header("authorization"), self.store, self.credentials
                )
                if principal.user is not None:
                    headers["X-AUSERID"] = str(principal.user.id)
                    headers["X-AUSERNAME"] = principal.user.name
                if not public and not principal.anonymous and self._unlicensed(principal):
                    raise not_licensed()
                response = handler(request, parts, principal)
            except DcError as error:
                response = error.response()
            if response.headers.get("Content-Type") == JSON_TYPE:
                response.headers["Content-Type"] = DC_JSON_TYPE
            for name, value in headers.items():
                response.headers.setdefault(name, value)
            return response

        return guarded

    def _unlicensed(self, principal: DcPrincipal) -> bool:
        user = principal.user
        return self.settings.dc_unlicensed or (user is not None and not user.licensed)

    def _request_id(self) -> str:
        with self._number_lock:
            self._request_number += 1
            return f"@1EMU5Cx{self._request_number}x0"

    # --- resources -------------------------------------------------------------------------

    def _application_properties(
        self, request: Request, parts: list[str], principal: DcPrincipal
    ) -> Response:
        return json_response(200, render.APPLICATION_PROPERTIES)

    def _projects(self, request: Request, parts: list[str], principal: DcPrincipal) -> Response:
        query = request.query
        permission = (query.get("permission") or [""])[-1].upper()
        if permission and permission not in PROJECT_PERMISSIONS:
            raise bad_parameter("permission", "The permission level is unknown or not related "
                                "to projects.")  # fmt: skip
        name = (query.get("name") or [""])[-1].strip().lower()
        page = page_of(query, self.settings.dc_max_limit)
        with self.store.lock:
            projects = sorted(
                (p for p in self.store.projects.values()
                 if not p.personal and can_view_project(principal, p)
                 and name in p.name.lower()),
                key=lambda p: p.name.lower(),
            )  # fmt: skip
            values = [render.project(request.base_url, p) for p in page.window(projects)]
        return json_response(200, page.envelope(values, len(projects)))

    def _users(self, request: Request, parts: list[str], principal: DcPrincipal) -> Response:
        """`filter` keeps the users whose name, display name or email contains it, any case."""
        text = (request.query.get("filter") or [""])[-1].strip().lower()
        page = page_of(request.query, self.settings.dc_max_limit)
        with self.store.lock:
            users = sorted(
                (u for u in self.store.users.values()
                 if any(text in value.lower() for value in (u.name, u.display_name, u.email))),
                key=lambda u: u.name,
            )  # fmt: skip
            values = [render.user(request.base_url, u) for u in page.window(users)]
        return json_response(200, page.envelope(values, len(users)))

    def _user(self, request: Request, parts: list[str], principal: DcPrincipal) -> Response:
        with self.store.lock:
            user = self.store.user(parts[0])
            if user is None:
                raise DcError(404, f"User {parts[0]} does not exist.",
                              "com.atlassian.bitbucket.user.NoSuchUserException")  # fmt: skip
            return json_response(200, render.user(request.base_url, user))

    def _project(self, request: Request, parts: list[str], principal: DcPrincipal) -> Response:
        with self.store.lock:
            project = self.store.find_project(parts[0])
            if project is None:
                raise no_such_project(parts[0])
            require_project(principal, project)
            return json_response(200, render.project(request.base_url, project))

    def _repositories(self, request: Request, parts: list[str], principal: DcPrincipal) -> Response:
        with self.store.lock:
            project = self.store.find_project(parts[0])
            if project is None:
                raise no_such_project(parts[0])
            require_project(principal, project)
            return self._repository_page(request, self.store.repositories_of(project), principal)

    def _user_repositories(
        self, request: Request, parts: list[str], principal: DcPrincipal
    ) -> Response:
        with self.store.lock:
            user = self.store.user(parts[0].removeprefix("~"))
            if user is None:
                raise DcError(404, f"User {parts[0]} does not exist.",
                              "com.atlassian.bitbucket.user.NoSuchUserException")  # fmt: skip
            project = self.store.find_project("~" + user.name)
            repositories = self.store.repositories_of(project) if project else []
            return self._repository_page(request, repositories, principal)

    def _repository_page(
        self, request: Request, repositories: list[DcRepository], principal: DcPrincipal
    ) -> Response:
        page = page_of(request.query, self.settings.dc_max_limit)
        visible = [r for r in repositories if can_view_repository(principal, r)]
        values = [render.repository(request.base_url, r) for r in page.window(visible)]
        return json_response(200, page.envelope(values, len(visible)))

    def _repository(self, request: Request, parts: list[str], principal: DcPrincipal) -> Response:
        with self.store.lock:
            repository = self._visible_repository(parts[0], parts[1], principal)
            return json_response(200, render.repository(request.base_url, repository))

    def _visible_repository(self, key: str, slug: str, principal: DcPrincipal) -> DcRepository:
        project = self.store.find_project(key)
        if project is None:
            raise no_such_project(key)
        require_project(principal, project)
        repository = self.store.find_repository(project, slug)
        if repository is None:
            raise no_such_repository(project.key, slug)
        require_repository(principal, repository)
        return repository

    def _pull_request_list(
        self, request: Request, parts: list[str], principal: DcPrincipal
    ) -> Response:
        query = request.query
        list_query = ListQuery.parse(query)
        page = page_of(query, self.settings.dc_max_limit)
        with_properties = (query.get("withProperties") or ["true"])[-1].lower() != "false"
        with self.store.lock:
            repository = self._visible_repository(parts[0], parts[1], principal)
            selected = self.lister.select(repository, list_query, self.settings.dc_order_by)
            values = [
                render.pull_request(
                    request.base_url, repository, pr, self.store, properties=with_properties
                )
                for pr in page.window(selected)
            ]
        return json_response(200, page.envelope(values, len(selected)))

    def _pull_request(self, request: Request, parts: list[str], principal: DcPrincipal) -> Response:
        with self.store.lock:
            repository, record = self._visible_pull_request(parts, principal)
            body = render.pull_request(request.base_url, repository, record, self.store)
        return json_response(200, body)

    def _activities(self, request: Request, parts: list[str], principal: DcPrincipal) -> Response:
        """A pull request's activities, newest first (see `activities`)."""
        page = page_of(request.query, self.settings.dc_max_limit)
        with self.store.lock:
            repository, record = self._visible_pull_request(parts, principal)
            shown = activities.newest_first(activities.shown(record, self.store, self.settings))
            count = len(shown)
            values = [activities.activity(request.base_url, repository, entry,
                                          count - page.start - index, self.store)
                      for index, entry in enumerate(page.window(shown))]
        return json_response(200, page.envelope(values, count))

    def _visible_pull_request(self, parts: list[str], principal: DcPrincipal
                              ) -> tuple[DcRepository, PullRequest]:
        repository = self._visible_repository(parts[0], parts[1], principal)
        record = repository.records().get(int(parts[2])) if parts[2].isdigit() else None
        if record is None:
            raise no_such_pull_request(parts[2], repository.project.key, repository.slug)
        return repository, record

    def _no_resource(self, request: Request, parts: list[str], principal: DcPrincipal) -> Response:
        raise no_resource(request.base_url + request.path)

    # --- web pages -------------------------------------------------------------------------

    def _web_page(self, request: Request, match: re.Match[str]) -> Response:
        header = request.header("authorization") or ""
        if header.lower().startswith("basic "):
            try:
                principal = authenticate(header, self.store, self.credentials)
            except DcError:
                principal = DcPrincipal()
            if principal.user is not None:
                return _html(200, "Bitbucket", f"<p>{html.escape(request.path)}</p>")
        target = request.path + (f"?{request.raw_query}" if request.raw_query else "")
        location = f"{request.base_url}/login?next={quote(target, safe='/')}"
        return Response(302, b"", {"Location": location, "Content-Type": HTML_TYPE})


def _login_page(request: Request, match: re.Match[str]) -> Response:
    return _html(
        200,
        "Log in - Bitbucket",
        '<form method="post" action="/j_atl_security_check">'
        '<input name="j_username"><input name="j_password" type="password"></form>',
    )


def _html(status: int, title: str, content: str) -> Response:
    page = f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{content}</body></html>"
    return Response(status, page.encode(), {"Content-Type": HTML_TYPE})
