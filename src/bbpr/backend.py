"""What each Bitbucket flavour provides to the use cases above it.

`cloud.CloudAPI` and `datacenter.DataCenterAPI` implement this; `service` code is written
against it alone, so that it never learns which flavour it is talking to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping
from datetime import datetime
from typing import Protocol

import msgspec

from .details import PullRequestDetails
from .http import Http, Stats
from .models import (
    Flavour,
    Identity,
    Owner,
    Person,
    PullRequest,
    Query,
    Repository,
    ReviewEvent,
    ScopeCheck,
    State,
    StateCounts,
)


class CloseTimeSource(Protocol):
    @property
    def free(self) -> bool:
        """Whether the records carry their close times, so that `fill` sends no request."""
        ...

    async def fill(self, page: list[PullRequest],
                   known: Mapping[int, datetime | None] | None = None) -> list[PullRequest]:
        """The page with `closed_on` set; `known` gives some already (by ID), to be used as
        they are, without a request."""
        ...


class PageEvents(msgspec.Struct, frozen=True):
    """A page of pull requests with what their activity tells: `closed_on` set on the
    closed ones, and their review events."""

    pull_requests: list[PullRequest]
    events: list[ReviewEvent]


class ReviewEventSource(Protocol):
    @property
    def undated(self) -> int:
        """Activity entries of the pull requests filled so far that had no date, and so
        could not be kept as events."""
        ...

    async def fill(self, page: list[PullRequest], *, since: datetime | None = None,
                   known: Mapping[int, datetime | None] | None = None,
                   current: Collection[int] = ()) -> PageEvents:
        """The events of the page's pull requests (since `since` at least, where the copy
        holds the earlier ones; None: all of them), but those `current` (whose events the
        caller holds up to date), and the page with `closed_on` set; `known` gives some
        close times already (by ID), to be used as they are."""
        ...


class Backend(Protocol):
    flavour: Flavour

    @property
    def concurrency(self) -> int:
        """The most requests this backend sends at once."""
        ...

    @property
    def stats(self) -> Stats: ...

    @property
    def reported_matches(self) -> dict[str, int]:
        """How many pull requests match, per repository, where the server said so (Cloud's
        first page carries `size`); for progress and its estimate of the time left."""
        ...

    def repositories(self, owner: str) -> AsyncIterator[list[Repository]]:
        """The repositories of a workspace or project, page by page, paged so that none
        that exists throughout can be missed while others are created, renamed or deleted;
        a page read again may repeat some (`listing.repositories` drops them)."""
        ...

    def pull_request_pages(
        self, repository: Repository, query: Query, limit: int | None = None
    ) -> AsyncIterator[list[PullRequest]]:
        """Every pull request matching `query`, page by page, each exactly once.

        Stops fetching once `limit` pull requests were yielded (the last page may hold more).
        """
        ...

    def close_times(self, repository: Repository) -> CloseTimeSource:
        """What fills in `closed_on` for the pages of one listing of `repository`, for a
        caller that asked the pages without it (`sync`, which knows some already)."""
        ...

    def review_events(self, repository: Repository) -> ReviewEventSource:
        """What reads the review events (and close times) of the pull requests of one
        listing of `repository`, page by page (`sync --review-events`)."""
        ...

    async def pull_request(self, repository: Repository, number: int) -> PullRequestDetails:
        """One pull request, reviewers and participants included; `NotFoundError` when it
        cannot be seen."""
        ...

    async def identity(self) -> Identity:
        """Whom the server takes the credential for; raises on a refused credential."""
        ...

    async def find_people(self, text: str, repository: Repository | None = None, *,
                          reviewers: bool = False) -> list[Person] | None:
        """Users whose name, display name or email contains `text`; None where the server
        offers no such search or refuses it. Cloud has none: given a `repository`, the
        authors of its pull requests (or the `reviewers`) whose nickname or display name
        contains `text` stand in for it."""
        ...

    async def owners(self) -> list[Owner]:
        """The workspaces or projects the credential can see."""
        ...

    async def repository(self, owner: str, slug: str) -> Repository:
        """One repository; raises `NotFoundError` when it cannot be seen."""
        ...

    async def state_counts(self, repository: Repository) -> dict[State, int]:
        """How many pull requests each state holds."""
        ...

    async def count(self, repository: Repository) -> StateCounts:
        """How many pull requests each state holds, and what the numbers rest on."""
        ...

    def scope_problems(self, identity: Identity, *, whole_owner: bool) -> ScopeCheck | None:
        """Scopes the credential lacks for listing, or None where scopes do not apply."""
        ...

    async def aclose(self) -> None: ...


class CarriedCloseTimes:
    """For a flavour whose records carry their close time: nothing to fill."""

    free = True

    async def fill(self, page: list[PullRequest],
                   known: Mapping[int, datetime | None] | None = None) -> list[PullRequest]:
        return page


class HttpBackend:
    """What every flavour's API shares: one `Http`, its figures and its closing."""

    http: Http
    _reported: dict[str, int] | None = None

    @property
    def stats(self) -> Stats:
        return self.http.stats

    @property
    def reported_matches(self) -> dict[str, int]:
        if self._reported is None:
            self._reported = {}
        return self._reported

    @property
    def concurrency(self) -> int:
        return self.http.options.concurrency

    async def aclose(self) -> None:
        await self.http.aclose()
