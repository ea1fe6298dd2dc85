"""Review events on Data Center: each pull request's `/activities`.

Data Center has no repository-wide feed, so a listing's events cost one request a pull
request (a thousand activities a page), side by side; a sync asks only for the pull
requests that changed since its last pass, and reads each one's activities, newest first,
only back to then. The pages are offset pages like the pull request list's, and are read
the same way (see `scan`): each starts one record before the last one ended and must join
it, so a deleted comment (whose activity may go) cannot shift one out of sight; a page that
does not join is read again from further back. Activities arriving meanwhile shift the
rest down: the repeats are dropped by activity ID.

What each activity becomes (`models.EVENT_KINDS`): OPENED `opened`, COMMENTED `comment`
(with `inline` where it has a `commentAnchor`; an edit or deletion of a comment is no new
comment: `other:COMMENTED.EDITED`), APPROVED `approval`, UNAPPROVED `unapproval`,
REVIEWED ("needs work") `changes_requested`, RESCOPED `rescoped`, MERGED, DECLINED,
REOPENED, and UPDATED: `ready` where it says the pull request is no longer a draft
(`draft: false`: how the REST API renders a draft made ready is not documented), else
`updated`. An action bbpr does not know is kept as `other:` and the action; one with no
`createdDate` cannot be kept, and is counted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from ..backend import PageEvents
from ..models import PullRequest, Repository, ReviewEvent
from ..request_budget import RequestBudget, stalled
from .wire import ActivityItem, from_epoch_ms

if TYPE_CHECKING:
    from .api import DataCenterAPI

ACTIONS = {"OPENED": "opened", "COMMENTED": "comment", "APPROVED": "approval",
           "UNAPPROVED": "unapproval", "REVIEWED": "changes_requested",
           "RESCOPED": "rescoped", "MERGED": "merged", "DECLINED": "declined",
           "REOPENED": "reopened", "UPDATED": "updated"}
_NEW_COMMENT = (None, "ADDED", "REPLIED")


class ReviewEvents:
    """The review events of the pull requests of one repository's listing."""

    def __init__(self, api: DataCenterAPI, repository: Repository) -> None:
        self.api = api
        self.repository = repository
        self.undated = 0

    async def fill(self, page: list[PullRequest], *, since: datetime | None = None,
                   known: Mapping[int, datetime | None] | None = None,
                   current: Collection[int] = ()) -> PageEvents:
        """Every pull request's activities but those `current`, side by side (the records
        carry their close times: `known` changes nothing)."""
        asked = [pr for pr in page if pr.id not in current]
        read = await asyncio.gather(*(self.activities(pr.id, since) for pr in asked))
        events = []
        for pr, activities in zip(asked, read, strict=True):
            for activity in activities:
                event = to_event(pr.id, activity)
                if event is None:
                    self.undated += 1
                else:
                    events.append(event)
        return PageEvents(page, events)

    async def activities(self, number: int, since: datetime | None) -> list[ActivityItem]:
        """One pull request's activities, newest first, back to `since` (None: all)."""
        since_ms = None if since is None else int(since.timestamp() * 1000)
        what = f"the activity of pull request {number} of {self.repository.full_name}"
        budget = RequestBudget(what, 25)
        found: dict[object, ActivityItem] = {}
        dates: list[int] = []
        start, following, previous = 0, 0, set[object]()
        while True:
            budget.expect(len(found) + budget.page)
            budget.spend()
            page = await self.api.fetch_activities(self.repository, number, start)
            budget.page = page.limit if page.limit and page.limit > 0 else budget.page
            keys = [_key(activity) for activity in page.values]
            if previous and start > 0 and not previous & set(keys):
                start, following = max(0, start - budget.page), 0
                continue  # the list moved up: read from further back, and on from there
            for key, activity in zip(keys, page.values, strict=True):
                if key not in found:
                    found[key] = activity
                    dates += [activity.createdDate] if activity.createdDate is not None else []
            if page.isLastPage or not page.values:
                break
            if since_ms is not None and dates == sorted(dates, reverse=True) and dates[-1:] \
                    and dates[-1] < since_ms:
                break  # newest first, and back before `since`: the rest is older
            start = page.nextPageStart if page.nextPageStart is not None else -1
            if start <= following:
                raise stalled(what, "the next page did not move on")
            following, start, previous = start, start - 1, set(keys)
        return list(found.values())


def _key(activity: ActivityItem) -> object:
    if activity.id is not None:
        return activity.id
    return (activity.action, activity.createdDate, activity.user.id if activity.user else None)


def to_event(number: int, activity: ActivityItem) -> ReviewEvent | None:
    """What the activity says happened to pull request `number`; None without a date."""
    moment = from_epoch_ms(activity.createdDate)
    if moment is None:
        return None
    action = activity.action or ""
    kind = ACTIONS.get(action, f"other:{action}")
    if kind == "comment" and activity.commentAction not in _NEW_COMMENT:
        kind = f"other:COMMENTED.{activity.commentAction}"
    elif kind == "updated" and activity.draft is False:
        kind = "ready"
    user = activity.user
    user_id = None if user is None or user.id is None else str(user.id)
    comment = activity.comment.id if kind == "comment" and activity.comment else None
    key = (f"comment:{comment}" if comment is not None
           else f"{kind}:{moment.isoformat()}:{user_id or ''}")
    return ReviewEvent(pull_request=number, kind=kind, on=moment, key=key, user_id=user_id,
                       login=user.name if user else None,
                       name=user.displayName if user else None,
                       inline=activity.commentAnchor is not None if kind == "comment" else None)
