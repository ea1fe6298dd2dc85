"""When Cloud pull requests closed, and what happened to them: the activity feeds.

A Cloud pull request has no close time of its own, and `updated_on` moves with any later
activity (a comment after the merge), so it is never used as one. The close time is the
date of the activity `update` whose state is the closing one (MERGED, DECLINED or
SUPERSEDED); only open pull requests can be changed, so there is one such update at most.
The feeds hold every review event as well (see `feed`). Two feeds have them, and they cost
differently:

- the repository's feed (`/pullrequests/activity`): every pull request's updates,
  approvals, change requests and comments, newest first, 50 a page. One walk serves a whole
  listing: about one request for every five pull requests on the emulator's data (ten
  entries each).
- a pull request's own feed (`/pullrequests/{id}/activity`): one request per pull request,
  nearly always; can run side by side.

So bbpr walks the repository's feed, as far as the pull requests being listed need, and
switches to the per-pull-request feeds for the rest as soon as the walk has cost more
requests than it saved (the feed of a busy repository whose listed pull requests are old
or few): never more than about twice the cheaper of the two. What each listed pull request
needs of the feed:

- its close time (`CloseTimes`): the walk can stop once it has found the close, or gone
  back before the pull request's creation (a close cannot precede it, so it has no close
  update: a merge made by pushing the branch leaves none);
- its events (`ReviewEvents`): everything since its creation, or, for a sync that has them
  up to `since` already, since then: the walk stops once it has gone back before that
  (strictly: entries dated on the bound itself may straddle two pages).

Stopping early needs the feed to be newest first: its order is checked on every page, and
if it is not, the walk does not stop early. Entries read for pull requests not listed yet
are kept for them; one listing walks the feed once.

A pull request without a close update gets `closed_on` None: the moment is unknown.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Mapping
from datetime import datetime
from typing import Protocol

import msgspec

from ..backend import PageEvents
from ..models import PullRequest, Repository, ReviewEvent
from . import feed, wire
from .wire import ActivityPage

ACTIVITY_FIELDS = "values.pull_request.id,values.update.state,values.update.date,next"
"""All a close time needs: a few dozen bytes an entry instead of a kilobyte or more."""

_CLOSED = frozenset({"MERGED", "DECLINED", "SUPERSEDED"})


class ActivitySource(Protocol):
    """What the walks need of the API (`api.CloudAPI`): a page of an activity feed, trimmed
    to close times, or with every entry (see `feed`)."""

    async def fetch_activity(self, repository: Repository, *, pull_request: int | None = None,
                             url: str | None = None) -> ActivityPage: ...

    async def fetch_feed(self, repository: Repository, *, pull_request: int | None = None,
                         url: str | None = None) -> tuple[list[feed.FeedEntry], str | None]: ...


class _Walk:
    """One walk of a repository's feed for one listing, and the pull requests' own feeds
    where they are cheaper (see the module docstring). `events`: read every entry (for
    `ReviewEvents`), else only close updates (for `CloseTimes`)."""

    def __init__(self, api: ActivitySource, repository: Repository, *, events: bool) -> None:
        self.api = api
        self.repository = repository
        self.events = events
        self.closes: dict[int, datetime] = {}
        """Close update dates seen in the repository's feed, by pull request ID."""
        self.kept: dict[int, list[feed.FeedEntry]] = defaultdict(list)
        """Entries read for pull requests not handed out yet (`events` only)."""
        self.handed_out: set[int] = set()
        self.next_url: str | None = None
        self.feed_ended = False
        self.oldest: datetime | None = None
        """The date of the oldest entry read from the feed so far."""
        self.newest_first = True
        self.feed_requests = 0
        self.saved = 0
        """Pull requests served from the feed: the requests it spared."""
        self.one_by_one = False

    async def serve(self, page: list[PullRequest], known: Mapping[int, datetime | None],
                    since: datetime | None, current: Collection[int] = ()
                    ) -> dict[int, list[feed.FeedEntry]]:
        """Walk as far as `page` needs: its closed pull requests not in `known` need their
        close, and (`events`) every one of them but those `current` its entries since
        `since` (None: since its creation). Returns the entries of those read from their
        own feeds."""
        bounds = {pr.id: self._bound(pr, since) for pr in page
                  if (self.events and pr.id not in current)
                  or (pr.state in _CLOSED and pr.id not in known)}
        needing = [pr for pr in page if pr.id in bounds]
        missing = [pr for pr in needing if not self._served(pr, bounds[pr.id])]
        while missing and not self.one_by_one:
            if self.feed_requests >= self.saved + len(needing):
                # The feed has cost as many requests as asking one by one would have for
                # every pull request so far: from here on, one by one.
                self.one_by_one = True
                break
            await self._read_feed()
            missing = [pr for pr in missing if not self._served(pr, bounds[pr.id])]
        self.saved += len(needing) - len(missing)
        alone = await asyncio.gather(*(self.of_one(pr, since) for pr in missing))
        return dict(zip((pr.id for pr in missing), alone, strict=True))

    def _bound(self, pr: PullRequest, since: datetime | None) -> datetime | None:
        """How far back the feed must go for `pr`: its creation, or (events) `since` when
        later. None: to the end."""
        if self.events and since is not None:
            return since if pr.created_on is None else max(since, pr.created_on)
        return pr.created_on

    def _served(self, pr: PullRequest, bound: datetime | None) -> bool:
        """Whether what was read holds all `pr` needs: the feed ended, or (newest first) it
        went back before `bound`; or, for a close time alone, the close was found."""
        if self.feed_ended or (not self.events and pr.id in self.closes):
            return True
        return (self.newest_first and self.oldest is not None and bound is not None
                and self.oldest < bound)

    async def _read_feed(self) -> None:
        entries, self.next_url = await self._page(None, self.next_url)
        self.feed_requests += 1
        self.feed_ended = not self.next_url or not entries
        for entry in entries:
            if entry.on is not None:
                if self.oldest is not None and entry.on > self.oldest:
                    self.newest_first = False
                self.oldest = entry.on if self.oldest is None else min(self.oldest, entry.on)
            number = entry.pull_request
            if number is None:
                continue
            self._note_close(number, entry)
            if self.events and number not in self.handed_out:
                self.kept[number].append(entry)

    def _note_close(self, number: int, entry: feed.FeedEntry) -> None:
        if entry.closes and entry.on is not None:
            earlier = self.closes.get(number)
            self.closes[number] = entry.on if earlier is None else min(earlier, entry.on)

    async def _page(self, pull_request: int | None, url: str | None
                    ) -> tuple[list[feed.FeedEntry], str | None]:
        """A page of the repository's feed (`pull_request` None) or of one's own."""
        if self.events:
            return await self.api.fetch_feed(self.repository, pull_request=pull_request,
                                             url=url)
        page = await self.api.fetch_activity(self.repository, pull_request=pull_request,
                                             url=url)
        return _close_updates(page), page.next

    async def of_one(self, pr: PullRequest, since: datetime | None = None
                     ) -> list[feed.FeedEntry]:
        """The pull request's own feed (about one request): for events, back to `since`
        (where its order shows it is newest first), else until its close."""
        found: list[feed.FeedEntry] = []
        url = None
        while True:
            entries, url = await self._page(pr.id, url)
            found += [entry if entry.pull_request is not None
                      else dataclasses.replace(entry, pull_request=pr.id)
                      for entry in entries if entry.pull_request in (None, pr.id)]
            for entry in found:
                self._note_close(pr.id, entry)
            if not url or not entries or (not self.events and pr.id in self.closes):
                break
            dated = [entry.on for entry in found if entry.on is not None]
            if (since is not None and dated and dated == sorted(dated, reverse=True)
                    and dated[-1] < since):
                break
        return found

    def take(self, pr: PullRequest, alone: list[feed.FeedEntry] | None) -> list[feed.FeedEntry]:
        """Every entry read for `pr`, handed out once."""
        self.handed_out.add(pr.id)
        return [*self.kept.pop(pr.id, ()), *(alone or ())]

    def close_of(self, pr: PullRequest, known: Mapping[int, datetime | None]
                 ) -> datetime | None:
        return known[pr.id] if pr.id in known else self.closes.get(pr.id)


class CloseTimes:
    """Close times for the pull requests of one repository's listing; see the docstring."""

    free = False

    def __init__(self, api: ActivitySource, repository: Repository) -> None:
        self.walk = _Walk(api, repository, events=False)

    async def add_to(self, pages: AsyncIterator[list[PullRequest]]
                     ) -> AsyncIterator[list[PullRequest]]:
        async for page in pages:
            yield await self.fill(page)

    async def fill(self, page: list[PullRequest],
                   known: Mapping[int, datetime | None] | None = None) -> list[PullRequest]:
        """The page with `closed_on` set on its closed pull requests; those in `known` keep
        the time given there."""
        known = known or {}
        await self.walk.serve(page, known, None)
        return [msgspec.structs.replace(pr, closed_on=self.walk.close_of(pr, known))
                if pr.state in _CLOSED else pr for pr in page]

    async def of_one(self, pr: PullRequest) -> datetime | None:
        """The close time from the pull request's own feed (about one request)."""
        await self.walk.of_one(pr)
        return self.walk.closes.get(pr.id)


class ReviewEvents:
    """Review events (and close times) for the pull requests of one repository's listing:
    one walk of the feed serves both; see the docstring."""

    def __init__(self, api: ActivitySource, repository: Repository) -> None:
        self.walk = _Walk(api, repository, events=True)
        self.undated = 0
        """Entries of the pull requests handed out that had no date, so were left out."""

    async def fill(self, page: list[PullRequest], *, since: datetime | None = None,
                   known: Mapping[int, datetime | None] | None = None,
                   current: Collection[int] = ()) -> PageEvents:
        known = known or {}
        alone = await self.walk.serve(page, known, since, current)
        found: dict[str, ReviewEvent] = {}
        for pr in page:
            if pr.id in current:
                continue
            for entry in self.walk.take(pr, alone.get(pr.id)):
                event = feed.event(entry, pr)
                if event is None:
                    self.undated += 1
                else:
                    found[f"{pr.id}/{event.key}"] = event
        filled = [msgspec.structs.replace(pr, closed_on=self.walk.close_of(pr, known))
                  if pr.state in _CLOSED else pr for pr in page]
        return PageEvents(filled, list(found.values()))


def _close_updates(page: ActivityPage) -> list[feed.FeedEntry]:
    """The `update` entries of a page trimmed to close times, as feed entries."""
    return [feed.FeedEntry(entry.pull_request.id if entry.pull_request else None, "update",
                           wire.moment(entry.update.date), None, state=entry.update.state)
            for entry in page.values if entry.update is not None]
