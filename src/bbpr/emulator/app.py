"""`Emulator`: one object that owns the data, the credentials and the HTTP server."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from . import data, live, truth
from .cloud.api import CloudApi
from .cloud.auth import GRANULAR_SCOPES, CredentialTable
from .datacenter import data as dc_data
from .datacenter import render as dc_render
from .datacenter.api import DataCenterApi
from .datacenter.auth import DcCredentials
from .demo import cloud_demo, datacenter_demo
from .faults import FaultInjector, Faults
from .live import LiveChanges
from .messages import Request, encode_json
from .server import Dispatcher, Hook, HttpServer, RecordedRequest, Rewrite
from .settings import Settings


class Emulator:
    """A local Bitbucket Cloud and Data Center with deterministic data, on 127.0.0.1.

    Build it (data is generated now), `start()` it (or use it as a context manager), point
    a Cloud client at `cloud_api_url` with the credentials in `demo`, a Data Center client
    at `datacenter_url` with those in `dc_demo`. `settings` and `faults` changes take
    effect on the next request; `create_pull_request`, `set_state`... change the data while
    it serves, at the time `clock()` says (wall time unless a test sets a `ManualClock`).
    """

    def __init__(self, prs: int = 120, seed: int = 1, latency_ms: float = 0, port: int = 0,
                 tls: ssl.SSLContext | None = None, now: datetime | None = None) -> None:
        """`tls`, a server-side context, serves HTTPS instead of HTTP (for testing clients'
        certificate handling). `now` is where the generated data ends (default: the start
        of today, UTC): the same seed and `now` give the same data, byte for byte."""
        self.settings = Settings(faults=Faults(latency_ms=float(latency_ms)))
        self.clock: Callable[[], datetime] = _wall_clock
        self.store = data.build(seed, prs, now or data.NOW)
        self.credentials = CredentialTable(seed)
        self.demo = cloud_demo(self.store, self.credentials)
        injector = FaultInjector(lambda: self.settings.faults, seed, self._now)
        self._cloud = CloudApi(self.store, self.credentials, self.settings)
        # Cloud's words for the host's own paths: api.bitbucket.org answers them in Cloud's.
        self._dispatcher = Dispatcher(self.settings, self._cloud.errors, injector, self._now)
        self._dispatcher.add_api(self._cloud.routes(), self._cloud.areas())
        self._dc_store = dc_data.build(seed, self.store.accounts, prs, self.store.lock,
                                       self.store.now)
        self._dc_credentials = DcCredentials(seed)
        self.dc_demo = datacenter_demo(self._dc_store, self._dc_credentials)
        self._datacenter = DataCenterApi(self._dc_store, self._dc_credentials, self.settings)
        self._dispatcher.add_api(self._datacenter.routes(), self._datacenter.areas())
        self._live = LiveChanges(self.store, self._dc_store, self._now)
        self._dispatcher.observers.append(live.Churn(self._live, self.settings))
        self._port = port
        self._tls = tls
        self._server: HttpServer | None = None
        self._server_lock = threading.Lock()

    def _now(self) -> datetime:
        return self.clock()  # looked up per call: tests may swap `clock` at any time

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> Emulator:
        with self._server_lock:
            if self._server is None:
                self._server = HttpServer(self._dispatcher, self._port, self._tls)
                self._server.start()
        return self

    def stop(self) -> None:
        with self._server_lock:
            server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.port}"

    @property
    def cloud_api_url(self) -> str:
        return self.base_url + "/2.0"

    @property
    def datacenter_url(self) -> str:
        """The "server URL" of Data Center (`--server`): REST is under `/rest/api/latest`."""
        return self.base_url

    # --- observation -------------------------------------------------------------------

    @property
    def request_count(self) -> int:
        return self._dispatcher.request_count

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._dispatcher.recorded

    def reset_requests(self) -> None:
        self._dispatcher.reset()

    @property
    def hooks(self) -> list[Hook]:
        """Called with each request after faults, before routing; the first one to return a
        response answers instead of the API."""
        return self._dispatcher.hooks

    @property
    def rewrites(self) -> list[Rewrite]:
        """Called in turn with each request the API's routes answered (not a hook, a fault or
        an error raised) and the answer so far; each returns the answer to send: a server
        that lies in a way no setting names (a `next` link back to an earlier page, a wrong
        `isLastPage`)."""
        return self._dispatcher.rewrites

    @property
    def faults(self) -> Faults:
        """What to inject (see `Faults`); the same object as `settings.faults`. Assigning a
        new one restarts the fault numbering and random sequence."""
        return self.settings.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        faults.check()
        self.settings.faults = faults

    def on_request(self, callback: Callable[[Request], None]) -> Callable[[], None]:
        """Call `callback(request)` when each request arrives, before anything else; returns
        a function that unregisters it. A callback may change data (see `create_pull_request`)."""
        self._dispatcher.observers.append(callback)
        return lambda: _discard(self._dispatcher.observers, callback)

    def on_pull_request_list(
        self, number: int, change: Callable[[], None], *, flavour: str | None = None
    ) -> Callable[[], None]:
        """Run `change()` once, just before the `number`th pull request list request from
        now (of `flavour` "cloud" or "datacenter", or of either) is served: a change in the
        middle of a client's listing, deterministically. Returns an unregister function."""
        observers = self._dispatcher.observers

        def remove() -> None:
            _discard(observers, trigger)

        trigger = live.pull_request_list_trigger(number, change, flavour, remove)
        observers.append(trigger)
        return remove

    @property
    def errors(self) -> list[str]:
        """Tracebacks of requests that crashed the emulator (answered 500)."""
        return self._dispatcher.errors

    def pull_requests(self, workspace: str, repo_slug: str) -> list[dict[str, Any]]:
        """Every pull request of a repository as `GET .../pullrequests/{id}` renders it
        (with reviewers and participants), id ascending. Links use `cloud_api_url` when
        running, else `http://127.0.0.1/2.0`."""
        repository = self.store.repositories.get((workspace, repo_slug))
        if repository is None:
            raise KeyError(f"no repository {workspace}/{repo_slug}")
        api = self.cloud_api_url if self._server is not None else "http://127.0.0.1/2.0"
        rendered = self._cloud.pull_requests.all_rendered(repository, api)
        result: list[dict[str, Any]] = json.loads(encode_json(rendered))
        return result

    def dc_pull_requests(self, project_key: str, repo_slug: str) -> list[dict[str, Any]]:
        """Every pull request of a Data Center repository as `GET .../pull-requests/{id}`
        renders it, id ascending. Links use `datacenter_url` when running, else
        `http://127.0.0.1`."""
        with self.store.lock:
            repository = self._dc_repository(project_key, repo_slug)
            base = self.base_url if self._server is not None else "http://127.0.0.1"
            rendered = [
                dc_render.pull_request(base, repository, pr, self._dc_store)
                for pr in repository.records().values()
            ]
        result: list[dict[str, Any]] = json.loads(encode_json(rendered))
        return result

    def _dc_repository(self, project_key: str, repo_slug: str) -> dc_data.DcRepository:
        project = self._dc_store.find_project(project_key)
        repository = self._dc_store.find_repository(project, repo_slug) if project else None
        if repository is None:
            raise KeyError(f"no Data Center repository {project_key}/{repo_slug}")
        return repository

    # --- changing the world --------------------------------------------------------------

    def add_repository(
        self,
        workspace: str,
        name: str,
        prs: int = 10,
        slug: str | None = None,
        states: Mapping[str, float] | None = None,
    ) -> str:
        """Add a repository with `prs` generated pull requests and return its slug.

        `slug` defaults to Bitbucket's slug of `name`; `states` weights the states of the
        generated pull requests (e.g. `{"OPEN": 1}` for open ones only). An unknown
        workspace is created, with every account as a member.
        """
        weights = dict(states) if states is not None else None
        return self.store.add_repository(workspace, name, prs, slug, weights).slug

    def add_api_token(
        self, scopes: tuple[str, ...] = GRANULAR_SCOPES, email: str | None = None,
        *, expired: bool = False,
    ) -> str:
        """A new API token of the demo account (or `email`'s) with exactly `scopes`.

        `scopes=()` is a token made without scopes; Jira scopes make one for another product
        (both get 403s listing the scopes granted). `expired=True` makes one past its expiry
        date, which Bitbucket refuses like a wrong password. Only the account's primary email
        works with a token: an alias or old email gets the same plain-text 401.
        """
        account = self.store.account_by_email(email or data.DEMO_EMAIL)
        if account is None:
            raise KeyError(f"no account with email {email}")
        expires_at = time.time() - 86_400 if expired else None
        return self.credentials.add_api_token(account.email, account.uuid, frozenset(scopes),
                                              expires_at)

    def add_access_token(
        self,
        workspace: str,
        repo_slug: str,
        scopes: tuple[str, ...] = ("pullrequest", "repository"),
    ) -> str:
        """A new repository access token (classic scope names) for one repository."""
        return self.credentials.add_access_token(f"{workspace}/{repo_slug}", frozenset(scopes))

    def add_dc_repository(
        self,
        project_key: str,
        name: str,
        prs: int = 10,
        slug: str | None = None,
        states: Mapping[str, float] | None = None,
    ) -> str:
        """Add a Data Center repository with `prs` generated pull requests; return its slug.

        `states` weights OPEN, MERGED and DECLINED. An unknown project is created (private,
        visible to every user); `~name` creates that user's personal project.
        """
        weights = dict(states) if states is not None else None
        return self._dc_store.add_repository(project_key, name, prs, slug, weights).slug

    def delete_dc_repository(self, project_key: str, repo_slug: str) -> None:
        """Delete a Data Center repository, as an administrator may while others list."""
        with self.store.lock:
            repository = self._dc_repository(project_key, repo_slug)
            del self._dc_store.repositories[(repository.project.key, repository.slug)]
            self._dc_store.changed()

    def add_dc_user(
        self,
        username: str,
        password: str,
        *,
        licensed: bool = True,
        display_name: str | None = None,
        email: str | None = None,
    ) -> None:
        """A Data Center user who can log in with `password`; `licensed=False` makes one
        without a licence seat (401 NoAccessAuthenticationException after a right password)."""
        email = email or f"{username.lower()}@example.com"
        self._dc_store.add_user(username, display_name or username, email, licensed)
        self._dc_credentials.set_password(username, password)

    def add_dc_token(
        self,
        project: str | None = None,
        repo: str | None = None,
        username: str | None = None,
        permission: str = "REPO_READ",
    ) -> str:
        """A new Data Center HTTP access token (`BBDC-...`).

        With `project` (and `repo`) a project (repository) token, Bearer only, confined to
        that project (repository): elsewhere 401 AuthorisationException, as for any user
        without permission (a missing project or repository is still 404). Otherwise a
        personal token of `username` (default: the demo user), which also works as the
        password in Basic auth with that user's name.
        """
        if repo is not None and project is None:
            raise ValueError("a repository token needs its project")
        if project is not None:
            if username is not None:
                raise ValueError("project and repository tokens belong to no user")
            key = project.upper()
            if repo is not None:
                self._dc_repository(key, repo)
            elif self._dc_store.find_project(key) is None:
                raise KeyError(f"no Data Center project {project}")
            return self._dc_credentials.new_token(None, key, repo, permission)
        owner = self._dc_store.user(username or dc_data.DEMO_USERNAME)
        if owner is None:
            raise KeyError(f"no Data Center user {username}")
        return self._dc_credentials.new_token(owner, None, None, permission)

    def create_pull_request(
        self,
        workspace_or_key: str,
        repo_slug: str,
        *,
        flavour: str = "cloud",
        state: str = "OPEN",
        **overrides: Any,
    ) -> int:
        """Create a pull request now (`clock()`), with id = the largest ever + 1; return it.

        `overrides` may set title, description, draft, author (a nickname, user name or
        email), source_branch, destination_branch, comment_count, task_count,
        close_source_branch, created_on, updated_on.
        """
        live.check_flavour(flavour)
        return self._live.create(flavour, workspace_or_key, repo_slug, state, overrides)

    def set_state(
        self, workspace_or_key: str, repo_slug: str, pr_id: int, state: str, *,
        flavour: str = "cloud",
    ) -> None:  # fmt: skip
        """Merge, decline, supersede (Cloud) or reopen a pull request now: updates its
        update time, its closing time and (Data Center) its version."""
        live.check_flavour(flavour)
        self._live.set_state(flavour, workspace_or_key, repo_slug, pr_id, state)

    def review(
        self, workspace_or_key: str, repo_slug: str, pr_id: int, who: str,
        verdict: str | None = "approved", *, flavour: str = "cloud",
    ) -> None:  # fmt: skip
        """`who` (a nickname, user name or email) approves ("approved"), asks for changes
        ("changes_requested"; "needs work" on Data Center) or withdraws (None) now: moves
        the update time, as any activity does, and adds `who` as a participant if needed."""
        live.check_flavour(flavour)
        self._live.review(flavour, workspace_or_key, repo_slug, pr_id, who, verdict)

    def cloud_closed_on(self, workspace: str, repo_slug: str) -> dict[int, datetime | None]:
        """When each closed Cloud pull request closed, as its activity shows it (None for a
        merge the activity does not record): what `closed_on` must say."""
        repository = self.store.repositories.get((workspace, repo_slug))
        if repository is None:
            raise KeyError(f"no repository {workspace}/{repo_slug}")
        return self._cloud.activity.closed_on(repository)

    def review_truth(self, workspace_or_key: str, repo_slug: str, *, flavour: str = "cloud",
                     exclude: Collection[str] = ()) -> dict[int, truth.ReviewTruth]:
        """Each pull request's review events, as its activity shows them now (with the
        current `settings`), and the review metrics they make (see `truth`): what `bbpr
        sync --review-events` must store. `exclude` (logins) leaves people out of the
        metrics, as `--exclude-user` does."""
        live.check_flavour(flavour)
        if flavour == "cloud":
            repository = self.store.repositories.get((workspace_or_key, repo_slug))
            if repository is None:
                raise KeyError(f"no repository {workspace_or_key}/{repo_slug}")
            return truth.cloud(self.store, repository, self.settings, exclude)
        with self.store.lock:
            dc_repository = self._dc_repository(workspace_or_key, repo_slug)
        return truth.datacenter(self._dc_store, dc_repository, self.settings, exclude)

    def touch(
        self, workspace_or_key: str, repo_slug: str, pr_id: int, *, flavour: str = "cloud"
    ) -> None:
        """Update a pull request's update time to now, as a comment or a push would."""
        live.check_flavour(flavour)
        self._live.touch(flavour, workspace_or_key, repo_slug, pr_id)

    def delete_pull_request(self, project_key: str, repo_slug: str, pr_id: int) -> None:
        """Delete a Data Center pull request (Cloud cannot); its id is never reused."""
        self._live.delete(project_key, repo_slug, pr_id)

    def add_oauth_consumer(self, scopes: tuple[str, ...]) -> tuple[str, str]:
        """A new OAuth consumer of the demo account; returns (client id, secret)."""
        consumer = self.credentials.add_oauth_consumer(
            self.store.demo_account.uuid, frozenset(scopes)
        )
        return consumer.key, consumer.secret


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def _discard(observers: list[Any], observer: Any) -> None:
    if observer in observers:
        observers.remove(observer)
