"""Changes to the world while the emulator serves: new pull requests, merges, declines...

A client that pages through a listing while pull requests are created, merged or updated
sees items shift between pages; bbpr must neither miss nor repeat one. These helpers make
such changes deterministic in tests: each runs under the data lock and bumps the store's
version (so the next request sees it and listing caches drop stale results), and takes
its time from the emulator's clock (`Emulator.clock`: wall time unless a test injects one,
e.g. a `ManualClock`). `pull_request_list_trigger` runs a change when the Nth pull request
list request arrives, i.e. in the middle of a client's listing.

Cloud pull requests cannot be deleted (the API has no such operation); Data Center's can,
and their ids are never reused.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from . import prose
from .data import NOW, STATES, Account, Change, PullRequest, Repository, Store
from .datacenter.api import PULL_REQUEST_LIST
from .datacenter.data import DC_STATES, DcRepository, DcStore
from .faults import CLOUD_PULL_REQUEST_LIST
from .messages import Request
from .server import Observer
from .settings import Settings

FLAVOURS = ("cloud", "datacenter")
VERDICTS = ("approved", "changes_requested", None)
"""What `review` may say: Cloud's participant states; Data Center shows APPROVED, NEEDS_WORK
and UNAPPROVED."""
OVERRIDABLE = frozenset({
    "title", "description", "draft", "author", "source_branch", "destination_branch",
    "comment_count", "task_count", "close_source_branch", "created_on", "updated_on",
})  # fmt: skip


class ManualClock:
    """A clock that moves only when told: `emu.clock = ManualClock(); emu.clock.advance(60)`.

    It starts a day after the generated data's "now", so live changes sort after it.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or NOW + timedelta(days=1)
        if self.now.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware start")

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 1.0) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class LiveChanges:
    """Creates and changes pull requests of both flavours under the one data lock."""

    def __init__(self, store: Store, dc_store: DcStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.dc_store = dc_store
        self.clock = clock

    def create(
        self, flavour: str, owner: str, slug: str, state: str, overrides: dict[str, Any]
    ) -> int:
        unknown = set(overrides) - OVERRIDABLE
        if unknown:
            raise TypeError(f"cannot set {', '.join(sorted(unknown))} on a pull request")
        with self.store.lock:
            state = self._state(flavour, state)
            now = self._now()
            if flavour == "cloud":
                repository = self._cloud_repository(owner, slug)
                number = len(repository.pull_requests) + 1
                seed = f"{repository.uuid}/{number}"
                repository.pull_requests.append(
                    self._new_record(number, state, now, seed, overrides)
                )
                self.store.changed()
                return number
            dc_repository = self._dc_repository(owner, slug)
            records = dc_repository.records()
            number = dc_repository.next_id
            seed = f"{dc_repository.id}/{number}"
            records[number] = self._new_record(number, state, now, seed, overrides)
            dc_repository.next_id += 1
            self.dc_store.changed()
            return number

    def set_state(self, flavour: str, owner: str, slug: str, number: int, state: str) -> None:
        with self.store.lock:
            record = self._find(flavour, owner, slug, number)
            record.state = self._state(flavour, state)
            record.updated_on = self._now()
            if record.state == "OPEN":
                record.closed_on, record.closed_by = None, None
            else:
                record.closed_on, record.closed_by = record.updated_on, self.store.demo_account
                record.draft = False
            _record(record, Change(record.updated_on, self.store.demo_account,
                                   state=record.state))
            self._changed(flavour)

    def review(self, flavour: str, owner: str, slug: str, number: int, who: str,
               verdict: str | None) -> None:
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(map(str, VERDICTS))}")
        with self.store.lock:
            record = self._find(flavour, owner, slug, number)
            account = self._account(who)
            if account is record.author:
                raise ValueError("the author cannot review their own pull request")
            record.updated_on = self._now()
            record.verdicts = {**(record.verdicts or {}),
                               account.email: (verdict, record.updated_on)}
            _record(record, Change(record.updated_on, account, verdict=verdict))
            self._changed(flavour)

    def touch(self, flavour: str, owner: str, slug: str, number: int) -> None:
        with self.store.lock:
            record = self._find(flavour, owner, slug, number)
            record.updated_on = self._now()
            record.revision += 1
            self._changed(flavour)

    def delete(self, key: str, slug: str, number: int) -> None:
        with self.store.lock:
            records = self._dc_repository(key, slug).records()
            if number not in records:
                raise KeyError(f"no pull request {number} in {key}/{slug}")
            del records[number]
            self.dc_store.changed()

    def churn(self, flavour: str, owner: str, slug: str, changes: Collection[str]) -> None:
        """One round of the changes a busy team makes mid-listing (see `Settings.changes`).

        Each change picks the pull request it hurts most: deleting the front of an
        update-ordered list shifts every later one up a place; updating its last one moves
        it to the front; merging the newest open one takes it out of an OPEN listing.
        """
        with self.store.lock:
            if flavour == "cloud":
                records = list(self._cloud_repository(owner, slug).pull_requests)
            else:
                records = list(self._dc_repository(owner, slug).records().values())
            by_update = sorted(records, key=lambda pr: (pr.updated_on, pr.id))
            if "delete" in changes and flavour == "datacenter" and by_update:
                self.delete(owner, slug, by_update.pop().id)
            newest_open = max((pr.id for pr in by_update if pr.state == "OPEN"), default=None)
            if "merge" in changes and newest_open is not None:
                self.set_state(flavour, owner, slug, newest_open, "MERGED")
            if "update" in changes and by_update and by_update[0].id != newest_open:
                self.touch(flavour, owner, slug, by_update[0].id)
            if "create" in changes:
                self.create(flavour, owner, slug, "OPEN", {})

    def _new_record(
        self, number: int, state: str, now: datetime, seed: str, overrides: dict[str, Any]
    ) -> PullRequest:
        rng = random.Random(f"bbpr-emulator/{self.store.seed}/live/{seed}")  # noqa: S311
        values = dict(overrides)
        author = self._account(values.pop("author", None))
        record = PullRequest(
            id=number,
            title=prose.title(rng),
            state=state,
            draft=False,
            author=author,
            closed_by=None if state == "OPEN" else author,
            created_on=now,
            updated_on=now,
            source_branch=f"feature/{rng.choice(prose.BRANCH_WORDS)}-{number}",
            destination_branch="main",
            comment_count=0,
            task_count=0,
            close_source_branch=True,
            text_seed=rng.getrandbits(48),
            closed_on=None if state == "OPEN" else now,
        )
        return replace(record, **values)

    def _account(self, who: str | None) -> Account:
        if who is None:
            return self.store.demo_account
        for account in self.store.accounts:
            names = (account.nickname, account.username, account.email, account.uuid)
            if who.lower() in (name.lower() for name in names):
                return account
        raise KeyError(f"no person called {who}")

    def _now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the emulator's clock must return timezone-aware datetimes")
        return now

    def _state(self, flavour: str, state: str) -> str:
        allowed = STATES if flavour == "cloud" else DC_STATES
        if state.upper() not in allowed:
            raise ValueError(f"{flavour} pull request states are {', '.join(allowed)}")
        return state.upper()

    def _find(self, flavour: str, owner: str, slug: str, number: int) -> PullRequest:
        """The record a change is about to move: it keeps how it was made (`origin`), from
        which its timeline is drawn, before the first change moves its fields."""
        record: PullRequest | None = None
        if flavour == "cloud":
            records = self._cloud_repository(owner, slug).pull_requests
            if 1 <= number <= len(records):
                record = records[number - 1]
        else:
            record = self._dc_repository(owner, slug).records().get(number)
        if record is None:
            raise KeyError(f"no pull request {number} in {owner}/{slug}")
        record.origin = record.made()
        return record

    def _changed(self, flavour: str) -> None:
        (self.store if flavour == "cloud" else self.dc_store).changed()

    def _cloud_repository(self, workspace: str, slug: str) -> Repository:
        repository = self.store.repositories.get((workspace, slug))
        if repository is None:
            raise KeyError(f"no Cloud repository {workspace}/{slug}")
        return repository

    def _dc_repository(self, key: str, slug: str) -> DcRepository:
        project = self.dc_store.find_project(key)
        repository = self.dc_store.find_repository(project, slug) if project else None
        if repository is None:
            raise KeyError(f"no Data Center repository {key}/{slug}")
        return repository


def _record(record: PullRequest, change: Change) -> None:
    """A change to the activity after the record's timeline (see `timeline.of`)."""
    record.changes = [*(record.changes or ()), change]
    record.revision += 1


def check_flavour(flavour: str) -> None:
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour must be one of {', '.join(FLAVOURS)}, not {flavour!r}")


def pull_request_list_trigger(
    number: int, change: Callable[[], None], flavour: str | None, remove: Callable[[], None]
) -> Observer:
    """An observer that runs `change` once, just before the `number`th pull request list
    request (counted from now; of `flavour`, or of either) is served, then removes itself."""
    if number < 1:
        raise ValueError("number counts from 1")
    patterns = [CLOUD_PULL_REQUEST_LIST, PULL_REQUEST_LIST]
    if flavour is not None:
        check_flavour(flavour)
        patterns = patterns[:1] if flavour == "cloud" else patterns[1:]
    seen = 0
    lock = threading.Lock()

    def observe(request: Request) -> None:
        nonlocal seen
        if request.method != "GET" or not any(p.fullmatch(request.path) for p in patterns):
            return
        with lock:
            seen += 1
            due = seen == number
        if due:
            remove()
            change()

    return observe


class Churn:
    """The observer behind `Settings.changes_every`: every Nth pull request list request
    (counted afresh whenever the setting changes) changes the repository it lists, just
    before it is answered."""

    def __init__(self, live: LiveChanges, settings: Settings) -> None:
        self.live = live
        self.settings = settings
        self._lock = threading.Lock()
        self._every: int | None = None
        self._seen = 0

    def __call__(self, request: Request) -> None:
        every = self.settings.changes_every
        if every is None:
            self._every = None  # counting starts afresh when it is set again
            return
        if request.method != "GET":
            return
        listed = _listed_repository(request.path)
        if listed is None:
            return
        with self._lock:
            if every != self._every:
                self._every, self._seen = every, 0
            self._seen += 1
            due = self._seen % every == 0
        if due:
            # A repository addressed by UUID, or one that is not there, is left alone.
            with contextlib.suppress(KeyError):
                self.live.churn(*listed, self.settings.changes)


def _listed_repository(path: str) -> tuple[str, str, str] | None:
    """(flavour, owner, slug) of a pull request list request, else None."""
    parts = [unquote(part) for part in path.strip("/").split("/")]
    if CLOUD_PULL_REQUEST_LIST.fullmatch(path):
        return "cloud", parts[2], parts[3]
    if PULL_REQUEST_LIST.fullmatch(path):
        owner = parts[4] if parts[3] == "projects" else "~" + parts[4].lstrip("~")
        return "datacenter", owner, parts[6]
    return None
