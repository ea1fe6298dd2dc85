"""When Cloud pull requests closed: `closed_on`, from the activity feeds.

A Cloud pull request has no close time of its own, and `updated_on` moves with any later
activity (a comment after the merge), so it is never used as one. The close time is the
date of the activity `update` whose state is the closing one (MERGED, DECLINED or
SUPERSEDED); only open pull requests can be changed, so there is one such update at most.
Two feeds have it, and they cost differently:

- the repository's feed (`/pullrequests/activity`): every pull request's updates,
  approvals, change requests and comments, newest first, 50 a page. One walk dates every
  pull request closed in the span it covers: about one request for every five pull
  requests on the emulator's data (ten entries each).
- a pull request's own feed (`/pullrequests/{id}/activity`): one request per pull request,
  nearly always; can run side by side.

So bbpr walks the repository's feed, as far as the pull requests being listed need, and
switches to the per-pull-request feeds for the rest as soon as the walk has cost more
requests than it saved (the feed of a busy repository whose listed pull requests are old
or few): never more than about twice the cheaper of the two. It stops early when every
closed pull request of the page is dated, or when the feed has gone back before the
creation of those still missing (a close cannot precede its pull request, so they have no
close update: a merge made by pushing the branch leaves none). That early stop needs the
feed to be newest first: its order is checked on every page, and if it is not, the walk
does not stop early.

A pull request without a close update gets `closed_on` None: the moment is unknown.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Protocol

import msgspec

from ..models import PullRequest, Repository
from . import wire
from .wire import ActivityPage

ACTIVITY_FIELDS = "values.pull_request.id,values.update.state,values.update.date,next"
"""All a close time needs: a few dozen bytes an entry instead of a kilobyte or more."""

_CLOSED = frozenset({"MERGED", "DECLINED", "SUPERSEDED"})


class ActivitySource(Protocol):
    """What close times need of the API (`api.CloudAPI`): a page of an activity feed."""

    async def fetch_activity(self, repository: Repository, *, pull_request: int | None = None,
                             url: str | None = None) -> ActivityPage: ...


class CloseTimes:
    """Close times for the pull requests of one repository's listing; see the docstring."""

    free = False

    def __init__(self, api: ActivitySource, repository: Repository) -> None:
        self.api = api
        self.repository = repository
        self.found: dict[int, datetime] = {}
        """Close update dates seen in the repository's feed, by pull request ID."""
        self.next_url: str | None = None
        self.feed_ended = False
        self.oldest: datetime | None = None
        """The date of the oldest update read from the feed so far."""
        self.newest_first = True
        self.feed_requests = 0
        self.saved = 0
        """Pull requests dated from the feed: the requests it spared."""
        self.one_by_one = False

    async def add_to(self, pages: AsyncIterator[list[PullRequest]]
                     ) -> AsyncIterator[list[PullRequest]]:
        async for page in pages:
            yield await self.fill(page)

    async def fill(self, page: list[PullRequest],
                   known: Mapping[int, datetime | None] | None = None) -> list[PullRequest]:
        """The page with `closed_on` set on its closed pull requests; those in `known` keep
        the time given there."""
        known = known or {}
        closed = [pr for pr in page if pr.state in _CLOSED and pr.id not in known]
        missing = [pr for pr in closed if pr.id not in self.found]
        while missing and not self.one_by_one and self._feed_may_date(missing):
            if self.feed_requests >= self.saved + len(closed):
                # The feed has cost as many requests as asking one by one would have for
                # every closed pull request so far: from here on, one by one.
                self.one_by_one = True
                break
            await self._read_feed()
            missing = [pr for pr in missing if pr.id not in self.found]
        self.saved += len(closed) - len(missing)
        dates = {**known, **{pr.id: self.found.get(pr.id) for pr in closed}}
        if missing and self.one_by_one:
            alone = await asyncio.gather(*(self.of_one(pr) for pr in missing))
            dates.update(zip((pr.id for pr in missing), alone, strict=True))
        return [msgspec.structs.replace(pr, closed_on=dates.get(pr.id)) for pr in page]

    def _feed_may_date(self, missing: list[PullRequest]) -> bool:
        """Whether reading on could date one of `missing`: the feed goes on, and (when it
        is newest first) has not gone back before every one of them was created."""
        if self.feed_ended:
            return False
        if self.oldest is None or not self.newest_first:
            return True
        return any(pr.created_on is None or pr.created_on <= self.oldest for pr in missing)

    async def _read_feed(self) -> None:
        page = await self.api.fetch_activity(self.repository, url=self.next_url)
        self.feed_requests += 1
        for pull_request, moment, state in _updates(page):
            if self.oldest is not None and moment > self.oldest:
                self.newest_first = False
            self.oldest = moment if self.oldest is None else min(self.oldest, moment)
            if state in _CLOSED:
                earlier = self.found.get(pull_request)
                self.found[pull_request] = moment if earlier is None else min(earlier, moment)
        self.next_url = page.next
        self.feed_ended = not page.next or not page.values

    async def of_one(self, pr: PullRequest) -> datetime | None:
        """The close time from the pull request's own feed (about one request)."""
        url = None
        while True:
            page = await self.api.fetch_activity(self.repository, pull_request=pr.id, url=url)
            closes = [moment for number, moment, state in _updates(page)
                      if number == pr.id and state in _CLOSED]
            if closes:
                return min(closes)
            url = page.next
            if not url or not page.values:
                return None


def _updates(page: ActivityPage) -> list[tuple[int, datetime, str | None]]:
    """(pull request ID, date, state) of each `update` entry of a page that has a date."""
    return [(entry.pull_request.id, date, entry.update.state)
            for entry in page.values
            if entry.update is not None and (date := wire.moment(entry.update.date)) is not None
            and entry.pull_request is not None and entry.pull_request.id is not None]
