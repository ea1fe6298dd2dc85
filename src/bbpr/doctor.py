"""`bbpr doctor`: check, step by step, everything between the user and their pull requests.

The steps run in the order a request depends on them (what was typed, the credential, the
host, the login, the scopes, the workspace or project, the repository, its pull requests),
and stop at the first failure, because each later step would only fail for the same reason.
Each step is one line; a failure says what is wrong and what to do, and carries the exit code
`bbpr list` would have ended with. Flavour-neutral: all server knowledge is in the backends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, NoReturn

from .asked.suggestions import closest, describe
from .asked.targets import Target, normalise_server, parse_target, server_spelling
from .backend import Backend
from .connect import Connection
from .credentials.kinds import API_TOKEN_PAGE, Credentials
from .credentials.store import GivenSecret, resolve
from .errors import AuthError, BbprError, NetworkError, NotFoundError, WrongAddress
from .http import HttpOptions
from .models import STATES, Identity, Owner, Repository

Status = Literal["pass", "fail", "warn", "skip"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    summary: str
    exit_code: int = 0


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    command: str | None = None
    """The `bbpr list` command that works now, when every check passed."""

    @property
    def exit_code(self) -> int:
        return next((check.exit_code for check in self.checks if check.status == "fail"), 0)


class _Stop(Exception):
    """A step failed: the report ends here."""


async def diagnose(
    repo: str | None,
    *,
    server: str | None,
    environ: Mapping[str, str],
    given: GivenSecret | None = None,
    options: HttpOptions | None = None,
) -> Report:
    """Run every check that applies and return the report (never raises a `BbprError`)."""
    doctor = _Doctor(environ, given, options)
    try:
        await doctor.run(repo, server)
    except _Stop:
        pass
    finally:
        await doctor.close()
    return doctor.report


class _Doctor:
    def __init__(self, environ: Mapping[str, str], given: GivenSecret | None,
                 options: HttpOptions | None) -> None:
        self.environ = environ
        self.given = given
        self.options = options
        self.report = Report()
        self.connection: Connection | None = None
        self.owner_refused: int | None = None
        """Where the report says the owner's repositories could not be listed, if it does."""

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.aclose()

    def add(self, name: str, status: Status, summary: str) -> None:
        self.report.checks.append(Check(name, status, summary))

    def stop(self, name: str, summary: str, exit_code: int) -> NoReturn:
        self.report.checks.append(Check(name, "fail", summary, exit_code))
        raise _Stop

    def fail(self, name: str, error: BbprError) -> NoReturn:
        self.stop(name, error.message, error.exit_code)

    async def run(self, repo: str | None, server: str | None) -> None:
        target = self.check_input(repo, server)
        credentials = self.check_credential(target, server)
        backend = self.connection.backend if self.connection else None
        assert backend is not None
        identity = await self.check_login(backend, credentials, target)
        if identity is not None:
            self.check_scopes(backend, identity, target)
        if target is None:
            self.add("repository", "skip", "No repository given: the credential alone was "
                     "checked. Add WORKSPACE/REPO to check access to it.")
            return
        repositories = await self.check_owner(backend, target)
        if target.repo_slug is None:
            self.add("pull requests", "pass", f"bbpr list will read {len(repositories)} "
                     f"repositories of {target.owner}.")
        else:
            repository = await self.check_repository(backend, target, repositories)
            await self.check_pull_requests(backend, repository)
        self.report.command = list_command(target)

    def check_input(self, repo: str | None, server: str | None) -> Target | None:
        try:
            server = server or self.environ.get("BITBUCKET_SERVER") or None
            target = server_spelling(parse_target(repo, server=server)) if repo else None
            if server and (target is None or target.server is None):
                normalise_server(server)
        except BbprError as error:
            self.fail("input", error)
        if target is None:
            where = f"the Data Center server {normalise_server(server)}" if server else (
                "Bitbucket Cloud")
            self.add("input", "pass", f"Checking the credential for {where}.")
            return None
        what = (f"repository {target.repo_slug} in" if target.repo_slug else "every repository of")
        owner = "workspace" if target.flavour == "cloud" else "project"
        where = target.server or "Bitbucket Cloud"
        self.add("input", "pass", f"{target.full_name}: {what} {owner} {target.owner}, on {where}.")
        return target

    def check_credential(self, target: Target | None, server: str | None) -> Credentials:
        server = target.server if target else (normalise_server(server) if server else None)
        try:
            self.connection = Connection(server=server, environ=self.environ, options=self.options,
                                         credentials=self._given_credentials(server))
        except BbprError as error:
            self.fail("credential", error)
        assert self.connection is not None
        credentials = self.connection.credentials
        if credentials.kind == "anonymous":
            self.add("credential", "warn", "No credentials were found (flags, environment, "
                     "keyring, config file): only public repositories can be read. Set "
                     "BITBUCKET_EMAIL and BITBUCKET_TOKEN, or run `bbpr auth login`.")
        else:
            summary = f"{credentials.describe(capital=True)}, {_how_sent(credentials)}."
            self.add("credential", "pass", " ".join([summary, *credentials.notes]))
        return credentials

    def _given_credentials(self, server: str | None) -> Credentials | None:
        if self.given is None:
            return None
        return resolve("datacenter" if server else "cloud", server or "", self.environ,
                       self.given)

    async def check_login(self, backend: Backend, credentials: Credentials,
                          target: Target | None) -> Identity | None:
        """Whom the server takes the credential for. With none, and something to read, the
        refusal to say is no failure: what is public can be read, and the steps below end
        with the code `bbpr list` would (a private repository's 404, exit 4)."""
        assert self.connection is not None
        try:
            identity = await backend.identity()
        except (NetworkError, WrongAddress) as error:
            self.fail("host", error)
        except BbprError as error:
            self.add("host", "pass", f"{self.connection.host} answered.")
            if (credentials.kind == "anonymous" and target is not None
                    and isinstance(error, AuthError)):
                self.add("login", "skip", "No credentials to log in with: only what is public "
                         "can be read.")
                return None
            self.fail("login", error)
        self.add("host", "pass", f"{identity.server} answered at {self.connection.host}.")
        if credentials.kind == "anonymous":
            self.add("login", "skip", "No credentials to log in with.")
        elif identity.name or identity.login:
            who = identity.name or identity.login
            also = f" ({identity.login})" if identity.name and identity.login else ""
            self.add("login", "pass", f"Logged in as {who}{also}.")
        else:
            self.add("login", "pass", f"The credential is valid ({identity.note}).")
        return identity

    def check_scopes(self, backend: Backend, identity: Identity, target: Target | None) -> None:
        whole_owner = target is not None and target.repo_slug is None
        problems = backend.scope_problems(identity, whole_owner=whole_owner)
        if problems is None:
            self.add("scopes", "skip", "The server did not say which scopes the credential "
                     "has; the steps below show what it may read.")
            return
        if problems.missing_required:
            missing = ", ".join(problems.missing_required)
            self.stop("scopes", (
                f"The credential {problems.problem}. Listing pull requests needs {missing}, and "
                f"scopes cannot be added to a token: create a new one with {missing} at "
                f"{API_TOKEN_PAGE} (or a new access token with that scope)."), AuthError.exit_code)
        granted = ", ".join(sorted(identity.scopes or ())) or "none listed"
        if problems.missing_useful:
            self.add("scopes", "warn", (
                f"Granted: {granted}. Listing works; {', '.join(problems.missing_useful)} would "
                "also let bbpr name your account and suggest workspace names."))
        else:
            self.add("scopes", "pass", f"Granted: {granted}.")

    async def check_owner(self, backend: Backend, target: Target) -> list[Repository]:
        noun = "Workspace" if target.flavour == "cloud" else "Project"
        try:
            repositories = [repository async for page in backend.repositories(target.owner)
                            for repository in page]
        except NotFoundError as error:
            owners = await self._owners(backend)
            self.stop(noun.lower(), _not_found_owner(noun, target.owner, owners, error),
                      error.exit_code)
        except AuthError as error:
            if target.repo_slug is None:  # the workspace is the target: nothing else to try
                self.fail(noun.lower(), error)
            self.add(noun.lower(), "warn", f"Could not list the repositories of {target.owner}: "
                     f"{error.message} Checking the repository directly.")
            self.owner_refused = len(self.report.checks) - 1
            return []
        count = f"{len(repositories)} repositor{'y' if len(repositories) == 1 else 'ies'}"
        self.add(noun.lower(), "pass", f"{noun} {target.owner}: {count} visible to this "
                 "credential.")
        return repositories

    async def check_repository(self, backend: Backend, target: Target,
                               repositories: list[Repository]) -> Repository:
        assert target.repo_slug is not None
        try:
            repository = await backend.repository(target.owner, target.repo_slug)
        except NotFoundError as error:
            self.stop("repository", _not_found_repository(target, repositories, error),
                      error.exit_code)
        except BbprError as error:
            if self.owner_refused is not None and isinstance(error, AuthError):
                # One finding, told once: the workspace's line would say the same.
                self.report.checks[self.owner_refused] = Check(
                    self.report.checks[self.owner_refused].name, "warn",
                    f"Could not list the repositories of {target.owner}: refused, as the "
                    "repository is below.")
            self.fail("repository", error)
        named = f' ("{repository.name}")' if repository.name not in (None, repository.slug) else ""
        self.add("repository", "pass", f"Repository {repository.full_name}{named} is readable.")
        return repository

    async def check_pull_requests(self, backend: Backend, repository: Repository) -> None:
        try:
            counts = await backend.state_counts(repository)
        except BbprError as error:
            self.fail("pull requests", error)
        listed = ", ".join(f"{counts[state]} {state.lower()}" for state in STATES
                           if state in counts)
        self.add("pull requests", "pass", (
            f"{listed}: {sum(counts.values())} in all. Note: the API, the Bitbucket UI and "
            "`bbpr list` show only open ones unless you ask for other states (--state all)."))

    async def _owners(self, backend: Backend) -> list[Owner]:
        try:
            return await backend.owners()
        except BbprError:
            return []


def _not_found_owner(noun: str, typed: str, owners: list[Owner], error: BbprError) -> str:
    if not owners:
        return error.message
    keys = [owner.key for owner in owners]
    names = {owner.key: owner.name for owner in owners}
    guesses = closest(typed, [(owner.key, owner.name) for owner in owners])
    guess = (f" Did you mean {describe(guesses, names, limit=3)}?" if guesses else "")
    rule = (" Workspace IDs are lower case, and are not the display name." if noun == "Workspace"
            else " Project keys are not the project's display name.")
    return (f"{noun} {typed} was not found, or this credential cannot see it.{guess}{rule} "
            f"This credential sees: {describe(keys, names)}.")


def _not_found_repository(target: Target, repositories: list[Repository],
                          error: BbprError) -> str:
    if not repositories:
        return error.message
    slug = target.repo_slug or ""
    names = {repository.slug: repository.name for repository in repositories}
    guesses = closest(slug, [(repository.slug, repository.name) for repository in repositories])
    guess = (f" Did you mean {target.owner}/{describe(guesses[:1], names)}?" if guesses else "")
    return (f"Repository {target.full_name} was not found, or this credential cannot see it."
            f"{guess} Use the slug from the repository's URL (lower case, no spaces), not its "
            f"display name. {target.owner} has: {describe(list(names), names)}.")


def list_command(target: Target) -> str:
    return f"bbpr list {target.as_typed} --state all"


def _how_sent(credentials: Credentials) -> str:
    return {
        "api_token": "sent as Basic auth with the email",
        "access_token": "sent as a Bearer token",
        "bearer_token": "sent as a Bearer token",
        "oauth_client": "exchanged for a one-hour access token",
        "password": "sent as Basic auth",
        "app_password": "sent as Basic auth",
        "anonymous": "nothing sent",
    }[credentials.kind]

