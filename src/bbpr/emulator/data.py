"""The emulator's world: accounts, workspaces, repositories and compact pull request records.

Everything is generated from one seed, so two emulators built with the same arguments hold
the same data. A pull request is stored as a small record (about 20 fields, no nested
dicts); the 4-5 KB JSON object is rendered on demand by `render`. That keeps 100,000 pull
requests in one repository within a few tens of megabytes.

All reads and writes go through `Store.lock`. `Store.version` increases on every change, so
that caches of filtered and sorted listings (see `cloud.api`) know when to throw results away;
mutation helpers (create, merge, decline while serving: see `live`) call `Store.changed()`.
"""

from __future__ import annotations

import random
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from . import prose

STATES = ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")
DEFAULT_STATE_WEIGHTS = {"OPEN": 20.0, "MERGED": 55.0, "DECLINED": 20.0, "SUPERSEDED": 5.0}

def today() -> datetime:
    """The start of the current day, UTC: the data's "now" unless one is given."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


# The generated data ends at its "now": today by default, so that `--updated-since 2d`
# finds pull requests and the data never lies ahead of the server's clock; rounded to the
# day, so that a seed gives the same data all day long. `Emulator(now=...)` (`bbpr emulator
# --now DATE`) fixes it, for data that never changes.
NOW = today()

DEMO_EMAIL = "dana@example.com"

_PEOPLE = (
    # display name, nickname, username, email
    ("Dana Demo", "dana", "dana-demo", DEMO_EMAIL),
    ("Alex Moreau", "alex", "amoreau", "alex.moreau@example.com"),
    ("Priya Raman", "priya", "praman", "priya.raman@example.com"),
    ("Jonas Becker", "jonas", "jbecker", "jonas.becker@example.com"),
    ("Mei Lin", "mei", "meilin", "mei.lin@example.com"),
    ("Samuel Okafor", "sam", "sokafor", "samuel.okafor@example.com"),
    ("Lucía Fernández", "lucia", "lfernandez", "lucia.fernandez@example.com"),
    ("Build Bot", "buildbot", "acme-buildbot", "buildbot@example.com"),
)


@dataclass(frozen=True, slots=True)
class Account:
    uuid: str  # with braces, as the API prints it
    account_id: str
    display_name: str
    nickname: str
    username: str
    email: str
    created_on: datetime


@dataclass(frozen=True, slots=True)
class Project:
    key: str
    name: str
    uuid: str
    created_on: datetime


@dataclass(eq=False, slots=True)
class Workspace:
    slug: str
    name: str
    uuid: str
    created_on: datetime
    project: Project
    members: dict[str, bool] = field(default_factory=dict)  # account uuid -> administrator


@dataclass(frozen=True, slots=True)
class Origin:
    """A pull request as it was made (generated, or created while serving): what its
    generated review timeline is drawn from (see `timeline`). Kept apart from the record's
    own fields because live changes move its state, draft flag and update time, and a
    timeline that moved with them would rewrite what happened before."""

    state: str
    draft: bool
    updated_on: datetime
    closed_by: Account | None


@dataclass(frozen=True, slots=True)
class Change:
    """A change made while serving (see `live`), as the activity shows it: a state set
    (`state`: MERGED, DECLINED, SUPERSEDED or OPEN for a reopening) or a verdict
    (`verdict`: "approved", "changes_requested", or None for one withdrawn)."""

    on: datetime
    who: Account
    state: str | None = None
    verdict: str | None = None


@dataclass(eq=False, slots=True)
class PullRequest:
    """The stored part of a pull request; `text_seed` regenerates the rest when rendering."""

    id: int
    title: str
    state: str
    draft: bool
    author: Account
    closed_by: Account | None
    created_on: datetime
    updated_on: datetime
    source_branch: str
    destination_branch: str
    comment_count: int
    task_count: int
    close_source_branch: bool
    text_seed: int
    # Only set by live changes (see `live`): generated records derive these instead.
    description: str | None = None  # None: generated from `text_seed`
    closed_on: datetime | None = None  # None: derived from the record (see each flavour)
    revision: int = 0  # bumped by every live change (Data Center's `version` follows it)
    # Review verdicts given while serving, by the person's email (the same person in both
    # flavours): "approved", "changes_requested" or None (withdrawn), and when.
    verdicts: dict[str, tuple[str | None, datetime]] | None = None
    origin: Origin | None = None
    """As made: kept by the first live change (see `live`); None: as the record is now."""
    changes: list[Change] | None = None
    """Live state changes and verdicts, oldest first: the activity after the timeline."""
    timeline: object | None = None
    """The generated timeline, drawn on first use (`timeline.generated`) and kept."""

    def made(self) -> Origin:
        """The record as made: `origin`, or its own fields where no live change moved them."""
        return self.origin or Origin(self.state, self.draft, self.updated_on, self.closed_by)


@dataclass(eq=False, slots=True)
class Repository:
    workspace: Workspace
    slug: str
    name: str
    uuid: str
    created_on: datetime
    updated_on: datetime
    language: str
    pull_requests: list[PullRequest] = field(default_factory=list)  # index = id - 1

    @property
    def full_name(self) -> str:
        return f"{self.workspace.slug}/{self.slug}"


def slugify(name: str) -> str:
    """Bitbucket's slug rule, near enough: lower case, runs of other characters -> "-"."""
    return re.sub(r"[^a-z0-9_.]+", "-", name.lower()).strip("-")


def _uuid(rng: random.Random) -> str:
    return "{" + str(uuid.UUID(int=rng.getrandbits(128), version=4)) + "}"


class Store:
    """All emulator data, behind one re-entrant lock."""

    def __init__(self, seed: int, now: datetime = NOW) -> None:
        self.seed = seed
        self.now = now
        self.lock = threading.RLock()
        self.version = 0
        self._rng = random.Random(f"bbpr-emulator/{seed}")  # noqa: S311 (fake data, seeded)
        self.accounts = [self._make_account(*person) for person in _PEOPLE]
        self.workspaces: dict[str, Workspace] = {}
        self.repositories: dict[tuple[str, str], Repository] = {}

    @property
    def demo_account(self) -> Account:
        return self.accounts[0]

    def changed(self) -> None:
        self.version += 1

    def account_by_uuid(self, account_uuid: str) -> Account | None:
        return next((a for a in self.accounts if a.uuid == account_uuid), None)

    def account_by_email(self, email: str) -> Account | None:
        # Atlassian account emails are case-insensitive.
        return next((a for a in self.accounts if a.email.lower() == email.lower()), None)

    def find_workspace(self, ident: str) -> Workspace | None:
        """By exact (case-sensitive) slug, or by UUID in braces, as the API accepts."""
        if ident.startswith("{"):
            return next((w for w in self.workspaces.values() if _same_uuid(w.uuid, ident)), None)
        return self.workspaces.get(ident)

    def find_repository(self, workspace: Workspace, ident: str) -> Repository | None:
        if ident.startswith("{"):
            return next(
                (r for r in self.repositories_of(workspace) if _same_uuid(r.uuid, ident)), None
            )
        return self.repositories.get((workspace.slug, ident))

    def repositories_of(self, workspace: Workspace) -> list[Repository]:
        return [r for (ws, _), r in self.repositories.items() if ws == workspace.slug]

    def add_workspace(self, slug: str, name: str, project_key: str, project_name: str) -> Workspace:
        with self.lock:
            created = self.now - timedelta(days=900 + self._rng.randint(0, 400))
            project = Project(project_key, project_name, _uuid(self._rng), created)
            workspace = Workspace(slug, name, _uuid(self._rng), created, project)
            workspace.members = {a.uuid: False for a in self.accounts}
            self.workspaces[slug] = workspace
            self.changed()
            return workspace

    def add_repository(
        self,
        workspace_slug: str,
        name: str,
        prs: int,
        slug: str | None = None,
        states: dict[str, float] | None = None,
    ) -> Repository:
        """Create a repository with `prs` generated pull requests; see `Emulator.add_repository`."""
        slug = slug if slug is not None else slugify(name)
        weights = check_weights(states)
        with self.lock:
            workspace = self.workspaces.get(workspace_slug)
            if workspace is None:
                workspace = self.add_workspace(workspace_slug, workspace_slug, "PROJ", "Project")
            if (workspace.slug, slug) in self.repositories:
                raise ValueError(f"repository {workspace.slug}/{slug} already exists")
            rng = random.Random(f"bbpr-emulator/{self.seed}/{workspace.slug}/{slug}")  # noqa: S311
            created = self.now - timedelta(days=700 + rng.randint(0, 300))
            repository = Repository(
                workspace=workspace,
                slug=slug,
                name=name,
                uuid=_uuid(rng),
                created_on=created,
                updated_on=self.now - timedelta(hours=rng.randint(1, 200)),
                language=rng.choice(("python", "go", "typescript", "java")),
            )
            repository.pull_requests = generate_pull_requests(rng, self.accounts, prs, weights,
                                                              now=self.now)
            self.repositories[(workspace.slug, slug)] = repository
            self.changed()
            return repository

    def _make_account(self, display_name: str, nickname: str, username: str, email: str) -> Account:
        account_uuid = _uuid(self._rng)
        account_id = "557058:" + account_uuid.strip("{}")
        created = self.now - timedelta(days=1000 + self._rng.randint(0, 2000))
        return Account(account_uuid, account_id, display_name, nickname, username, email, created)


def _same_uuid(stored: str, asked: str) -> bool:
    return stored.lower() == asked.lower()


def check_weights(
    states: dict[str, float] | None,
    allowed: tuple[str, ...] = STATES,
    default: dict[str, float] = DEFAULT_STATE_WEIGHTS,
) -> dict[str, float]:
    """Validate state weights (upper-cased) against the states a flavour knows."""
    if states is None:
        return default
    weights = {state.upper(): float(weight) for state, weight in states.items()}
    unknown = set(weights) - set(allowed)
    if unknown or not any(w > 0 for w in weights.values()):
        raise ValueError(f"states must weight some of {', '.join(allowed)}; got {states!r}")
    return weights


def generate_pull_requests(
    rng: random.Random, accounts: list[Account], count: int, weights: dict[str, float],
    *, now: datetime = NOW,
) -> list[PullRequest]:
    """Pull requests 1..count, created in id order over twelve weeks to four years before `now`.

    The gaps between creations are drawn at random, then scaled so that they fill the span
    and end one gap before `now`: drawn gaps that outran the span would otherwise pile the
    last pull requests (and their closes) on "now" itself, with no time for a review."""
    states = [s for s in STATES if weights.get(s, 0) > 0]
    cum_weights = list(accumulate(weights[s] for s in states))
    # A pull request every six hours or so, over twelve weeks at least (the period of a
    # `bbpr report` by default): a small repository of a workspace has a history as long
    # as a busy one's, as a team's repositories do, and no week of the report is empty.
    span = min(max(timedelta(hours=6) * count, timedelta(weeks=12)), timedelta(days=4 * 365))
    mean_gap = span.total_seconds() / max(count, 1)
    humans = accounts[:-1]  # the bot only closes pull requests, it never opens one
    drawn = []
    for number in range(1, count + 1):
        gap = rng.expovariate(1 / mean_gap) if mean_gap else 0.0
        micro = rng.randint(1, 999_999)
        state = rng.choices(states, cum_weights=cum_weights)[0]
        author = rng.choice(humans)
        closed_by = None
        if state == "MERGED":
            closed_by = rng.choice(accounts)
        elif state == "DECLINED":
            closed_by = rng.choice((author, rng.choice(humans)))
        open_for = rng.uniform(60, 12 * 86_400)
        word = rng.choice(prose.BRANCH_WORDS)
        prefix = "feature" if rng.random() < 0.8 else "bugfix"
        drawn.append((number, gap, micro, state, author, closed_by, open_for, word, prefix,
                      prose.title(rng), rng.random(), rng.random(), rng.randint(0, 12),
                      rng.choice((0, 0, 0, 1, 2)), rng.random(), rng.getrandbits(48)))
    scale = span.total_seconds() / (sum(row[1] for row in drawn) + mean_gap or 1.0)
    created = now - span
    pull_requests = []
    for (number, gap, micro, state, author, closed_by, open_for, word, prefix, title,
         draft_draw, branch_draw, comments, tasks, close_draw, text_seed) in drawn:
        created = min(created + timedelta(seconds=gap * scale, microseconds=micro), now)
        updated = created + timedelta(seconds=open_for)
        if updated > now:  # not ahead of "now", nor all piled on it: somewhere since creation,
            # from what was drawn already, so that the rest of a seed's data stays as it was
            updated = created + (now - created) * (created.microsecond / 1_000_000)
        pull_requests.append(
            PullRequest(
                id=number,
                title=title,
                state=state,
                draft=state == "OPEN" and draft_draw < 0.15,
                author=author,
                closed_by=closed_by,
                created_on=created,
                updated_on=max(updated, created),
                source_branch=f"{prefix}/{word}-{number}",
                destination_branch="main" if branch_draw < 0.85 else "develop",
                comment_count=comments,
                task_count=tasks,
                close_source_branch=close_draw < 0.7,
                text_seed=text_seed,
            )
        )
    return pull_requests


def build(seed: int, prs: int, now: datetime = NOW) -> Store:
    """The standard world: the demo workspace `acme` and the case-trap `jobsearchdemo`."""
    store = Store(seed, now)
    demo = store.demo_account
    acme = store.add_workspace("acme", "Acme", "CORE", "Acme Core")
    jobs = store.add_workspace("jobsearchdemo", "jobSearchDemo", "JS", "Job Search")
    acme.members[demo.uuid] = True
    jobs.members[demo.uuid] = False
    store.add_repository("acme", "widgets", prs)
    small = random.Random(f"bbpr-emulator/{seed}/sizes")  # noqa: S311
    for workspace_slug, name in (
        ("acme", "Big Repo"),
        ("acme", "API-Gateway"),
        ("acme", "infra"),
        ("jobsearchdemo", "Job Search"),
    ):
        store.add_repository(workspace_slug, name, small.randint(5, 40))
    return store
