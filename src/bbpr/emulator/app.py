"""`Emulator`: one object that owns the data, the credentials and the HTTP server."""

from __future__ import annotations

import json
import shlex
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TextIO

from . import data
from .auth import GRANULAR_SCOPES, CredentialTable
from .cloud import CloudApi
from .messages import encode_json
from .server import Dispatcher, Hook, HttpServer, RecordedRequest
from .settings import Settings


@dataclass(frozen=True)
class Demo:
    """Working demo credentials and names (all fake, derived from the seed)."""

    email: str
    username: str
    api_token: str  # ATATT..., Basic auth with `email`
    access_token: str  # ATCTT..., a repository access token of workspace/repo_slug (Bearer)
    oauth_client_id: str
    oauth_client_secret: str
    app_password: str  # ATBB..., with `username`: always 401, as app passwords are removed
    workspace: str
    repo_slug: str


class Emulator:
    """A local Bitbucket Cloud with deterministic data, served on 127.0.0.1.

    Build it (data is generated now), `start()` it (or use it as a context manager), point
    a client at `cloud_api_url` with the credentials in `demo`. `settings` changes take
    effect on the next request. `hooks` are called with each request before routing; the
    first one to return a response answers instead of the API (fault injection goes here).
    """

    def __init__(self, prs: int = 120, seed: int = 1, latency_ms: float = 0, port: int = 0) -> None:
        self.settings = Settings(latency_ms=float(latency_ms))
        self.store = data.build(seed, prs)
        self.credentials = CredentialTable(seed)
        self.demo = self._make_demo()
        self._dispatcher = Dispatcher(self.settings)
        self._cloud = CloudApi(self.store, self.credentials, self.settings)
        self._dispatcher.add_routes(self._cloud.routes())
        self._port = port
        self._server: HttpServer | None = None
        self._server_lock = threading.Lock()

    def _make_demo(self) -> Demo:
        account = self.store.demo_account
        consumer = self.credentials.add_oauth_consumer(
            account.uuid, frozenset({"account", "pullrequest", "repository"})
        )
        return Demo(
            email=account.email,
            username=account.username,
            api_token=self.add_api_token(),
            access_token=self.add_access_token("acme", "widgets"),
            oauth_client_id=consumer.key,
            oauth_client_secret=consumer.secret,
            app_password=self.credentials.add_app_password(account.username, account.uuid),
            workspace="acme",
            repo_slug="widgets",
        )

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> Emulator:
        with self._server_lock:
            if self._server is None:
                self._server = HttpServer(self._dispatcher, self._port)
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
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def cloud_api_url(self) -> str:
        return self.base_url + "/2.0"

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
        return self._dispatcher.hooks

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
        self, scopes: tuple[str, ...] = GRANULAR_SCOPES, email: str | None = None
    ) -> str:
        """A new API token of the demo account (or `email`'s) with exactly `scopes`."""
        account = self.store.account_by_email(email or data.DEMO_EMAIL)
        if account is None:
            raise KeyError(f"no account with email {email}")
        return self.credentials.add_api_token(account.email, account.uuid, frozenset(scopes))

    def add_access_token(
        self,
        workspace: str,
        repo_slug: str,
        scopes: tuple[str, ...] = ("pullrequest", "repository"),
    ) -> str:
        """A new repository access token (classic scope names) for one repository."""
        return self.credentials.add_access_token(f"{workspace}/{repo_slug}", frozenset(scopes))

    def add_oauth_consumer(self, scopes: tuple[str, ...]) -> tuple[str, str]:
        """A new OAuth consumer of the demo account; returns (client id, secret)."""
        consumer = self.credentials.add_oauth_consumer(
            self.store.demo_account.uuid, frozenset(scopes)
        )
        return consumer.key, consumer.secret


def serve(
    port: int = 0,
    prs: int = 120,
    seed: int = 1,
    latency_ms: float = 0,
    *,
    out: TextIO | None = None,
) -> None:
    """Run an emulator in the foreground until Ctrl-C; print how to point bbpr at it."""
    out = out or sys.stdout
    with Emulator(prs=prs, seed=seed, latency_ms=latency_ms, port=port) as emulator:
        demo = emulator.demo
        lines = [
            f"# Bitbucket emulator at {emulator.base_url} (Ctrl-C to stop)",
            f"# Cloud API: {emulator.cloud_api_url}",
            f"# Demo repository: {demo.workspace}/{demo.repo_slug} ({prs} pull requests)",
            f"export BITBUCKET_API_URL={shlex.quote(emulator.cloud_api_url)}",
            f"export BITBUCKET_EMAIL={shlex.quote(demo.email)}",
            f"export BITBUCKET_TOKEN={shlex.quote(demo.api_token)}",
            f"# Repository access token (Bearer): {demo.access_token}",
            f"# OAuth consumer: {demo.oauth_client_id} / {demo.oauth_client_secret}",
        ]
        print("\n".join(lines), file=out, flush=True)
        stop = threading.Event()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            print("# Stopped.", file=out, flush=True)
