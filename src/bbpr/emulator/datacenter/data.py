"""Bitbucket Data Center's world: users, projects (normal and personal) and repositories.

Kept apart from Cloud's `Store` because Data Center names everything differently (project
keys, user names, integer ids) and has no SUPERSEDED state; it shares the people, the pull
request generator and the lock with Cloud. Pull requests are generated per repository on
first use, so an emulator used only for Cloud (or a 100,000-PR Cloud benchmark) pays nothing
for Data Center data. Each repository has its own seeded generator, so the order of first
use does not change the data.

Project keys are upper case and matched case-insensitively (`~dana` finds `~DANA`, as URLs
of personal repositories spell it); repository slugs are matched exactly.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count

from ..data import NOW, Account, PullRequest, check_weights, generate_pull_requests, slugify

DC_STATES = ("OPEN", "MERGED", "DECLINED")
DC_DEFAULT_WEIGHTS = {"OPEN": 20.0, "MERGED": 60.0, "DECLINED": 20.0}
DEMO_USERNAME = "dana"


@dataclass(frozen=True, slots=True)
class DcUser:
    id: int
    name: str  # the login name, e.g. "dana"
    display_name: str
    email: str
    licensed: bool = True  # False: no licence seat, so authentication fails

    @property
    def slug(self) -> str:
        return self.name.lower()


@dataclass(eq=False, slots=True)
class DcProject:
    id: int
    key: str  # upper case; a personal project's is "~" + its owner's name upper-cased
    name: str
    description: str
    owner: DcUser | None = None  # set for personal projects only

    @property
    def personal(self) -> bool:
        return self.owner is not None


@dataclass(eq=False, slots=True)
class DcRepository:
    project: DcProject
    id: int
    slug: str
    name: str
    description: str
    hierarchy_id: str
    generate: Callable[[], list[PullRequest]] | None = None
    loaded: dict[int, PullRequest] | None = None
    next_id: int = 1  # ids are never reused, even after a pull request is deleted

    def records(self) -> dict[int, PullRequest]:
        """Pull requests by id, ascending (creation order). The caller holds the lock."""
        if self.loaded is None:
            generated = self.generate() if self.generate else []
            self.loaded = {pr.id: pr for pr in generated}
            self.next_id = max(self.loaded, default=0) + 1
            self.generate = None
        return self.loaded

    @property
    def full_name(self) -> str:
        return f"{self.project.key}/{self.slug}"


@dataclass(eq=False)
class DcStore:
    """Everything Data Center, behind the emulator's one lock."""

    seed: int
    accounts: list[Account]
    lock: threading.RLock
    now: datetime = NOW
    """Where the generated data ends (see `data.NOW`)."""
    version: int = 0
    users: dict[str, DcUser] = field(default_factory=dict)  # by lower-case name
    projects: dict[str, DcProject] = field(default_factory=dict)  # by upper-case key
    repositories: dict[tuple[str, str], DcRepository] = field(default_factory=dict)
    _ids: count[int] = field(default_factory=lambda: count(1))

    def changed(self) -> None:
        self.version += 1

    def add_user(self, name: str, display_name: str, email: str, licensed: bool = True) -> DcUser:
        with self.lock:
            if name.lower() in self.users:
                raise ValueError(f"user {name} already exists")
            user = DcUser(100 + next(self._ids), name, display_name, email, licensed)
            self.users[name.lower()] = user
            self.changed()
            return user

    def user(self, name: str) -> DcUser | None:
        return self.users.get(name.lower())

    def user_for(self, account: Account) -> DcUser:
        """The Data Center user who is the same person as a Cloud account."""
        return next(u for u in self.users.values() if u.email == account.email)

    def find_project(self, key: str) -> DcProject | None:
        return self.projects.get(key.upper())

    def add_project(
        self, key: str, name: str, description: str = "", owner: DcUser | None = None
    ) -> DcProject:
        with self.lock:
            if key.upper() in self.projects:
                raise ValueError(f"project {key} already exists")
            project = DcProject(next(self._ids), key.upper(), name, description, owner)
            self.projects[project.key] = project
            self.changed()
            return project

    def personal_project(self, user: DcUser) -> DcProject:
        with self.lock:
            existing = self.find_project("~" + user.name)
            if existing is not None:
                return existing
            return self.add_project("~" + user.name, user.display_name, owner=user)

    def find_repository(self, project: DcProject, slug: str) -> DcRepository | None:
        return self.repositories.get((project.key, slug))

    def repositories_of(self, project: DcProject) -> list[DcRepository]:
        found = [r for (key, _), r in self.repositories.items() if key == project.key]
        return sorted(found, key=lambda r: r.name.lower())

    def add_repository(
        self,
        key: str,
        name: str,
        prs: int,
        slug: str | None = None,
        states: dict[str, float] | None = None,
    ) -> DcRepository:
        """See `Emulator.add_dc_repository`."""
        weights = check_weights(states, DC_STATES, DC_DEFAULT_WEIGHTS)
        slug = slug if slug is not None else slugify(name)
        with self.lock:
            project = self._project_for(key)
            if (project.key, slug) in self.repositories:
                raise ValueError(f"repository {project.key}/{slug} already exists")
            seed = f"bbpr-emulator/{self.seed}/dc/{project.key}/{slug}"
            rng = random.Random(seed)  # noqa: S311 (fake data, seeded)
            repository = DcRepository(
                project=project,
                id=next(self._ids),
                slug=slug,
                name=name,
                description=f"{name}: part of {project.name}" if rng.random() < 0.7 else "",
                hierarchy_id=f"{rng.getrandbits(80):020x}",
                generate=lambda: generate_pull_requests(rng, self.accounts, prs, weights,
                                                        now=self.now),
            )
            self.repositories[(project.key, slug)] = repository
            self.changed()
            return repository

    def _project_for(self, key: str) -> DcProject:
        project = self.find_project(key)
        if project is not None:
            return project
        if key.startswith("~"):
            owner = self.user(key[1:])
            if owner is None:
                raise KeyError(f"no user {key[1:]} for personal project {key}")
            return self.personal_project(owner)
        return self.add_project(key, key.upper())


def build(seed: int, accounts: list[Account], prs: int, lock: threading.RLock,
          now: datetime = NOW) -> DcStore:
    """The standard Data Center world: project ACME and dana's personal project."""
    store = DcStore(seed, accounts, lock, now)
    for account in accounts:
        store.add_user(account.nickname, account.display_name, account.email)
    store.add_project("ACME", "Acme", "Acme's product code: services, tools and infrastructure")
    store.add_repository("ACME", "widgets", prs)
    sizes = random.Random(f"bbpr-emulator/{seed}/dc/sizes")  # noqa: S311
    store.add_repository("ACME", "API Gateway", sizes.randint(5, 40))
    store.add_repository("ACME", "Big Repo", sizes.randint(5, 40))
    dana = store.user(DEMO_USERNAME)
    assert dana is not None
    store.personal_project(dana)
    store.add_repository("~" + DEMO_USERNAME, "notes", sizes.randint(5, 15))
    return store
