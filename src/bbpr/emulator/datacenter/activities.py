"""Data Center's pull request activities (`/pull-requests/{id}/activities`), from the pull
request's timeline (`timeline`, through `review`).

What the 9.4 OpenAPI file and Atlassian's docs say, and the choices where they say nothing:

- A page like every Data Center list (`start`, `limit`, `isLastPage`, `nextPageStart`),
  newest first. Each activity has `id`, `createdDate` (epoch ms), `user` and `action`:
  OPENED, COMMENTED (with `commentAction` ADDED, the `comment`, and a `commentAnchor` for a
  comment on a line of the diff), APPROVED, UNAPPROVED (an approval withdrawn, while
  serving), REVIEWED ("needs work"), RESCOPED (the author pushed, after a change request:
  `fromHash`, `previousFromHash`, `toHash`, `previousToHash`, `added`, `removed`), MERGED,
  DECLINED, REOPENED. The spec lists only the four common keys; the others are what live
  servers send beside them.
- A draft made ready: Data Center records `PullRequestDraftStatusUpdatedActivity` (since
  8.18), but no public document shows its REST form. The emulator sends UPDATED with
  `draft: false` (its guess); `settings.ready_in_activity = "hidden"` sends nothing.
- `settings.unknown_activity` adds an activity whose `action` is that word upper-cased to
  every third pull request (Atlassian: "clients should be flexible enough to handle
  unexpected entity shapes"), without `createdDate` with `unknown_activity_undated`.
- The close is at the record's `closedDate`, and the reviewers' and participants' statuses
  are their last verdicts (see `review`), so the activities and the list records agree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import prose
from ..data import PullRequest
from ..settings import Settings
from ..timeline import Happening
from . import render, review
from .data import DcRepository, DcStore

JsonObject = dict[str, Any]

ACTIONS = {"opened": "OPENED", "ready": "UPDATED", "comment": "COMMENTED",
           "approval": "APPROVED", "changes_requested": "REVIEWED", "unapproval": "UNAPPROVED",
           "rescoped": "RESCOPED", "reopened": "REOPENED"}
_ORDER = {"closed": 6, "reopened": 6, "approval": 5, "changes_requested": 4, "unapproval": 4,
          "rescoped": 3, "ready": 3, "comment": 2, "opened": 0}


@dataclass(frozen=True, slots=True)
class Shown:
    """One activity: a moment of the timeline, or (`happening` None) one of a kind no
    client knows (`word`)."""

    date: datetime
    pr: PullRequest
    happening: Happening | None
    word: str = ""
    dated: bool = True


def shown(pr: PullRequest, store: DcStore, settings: Settings) -> list[Shown]:
    """The pull request's activities, oldest first."""
    moments = review.happenings(pr, store)
    entries = [Shown(happening.on, pr, happening) for happening in moments
               if not (happening.kind == "ready" and settings.ready_in_activity == "hidden")]
    if settings.unknown_activity and pr.id % 3 == 0:
        middle = moments[0].on + (moments[-1].on - moments[0].on) / 2
        entries.append(Shown(middle, pr, None, settings.unknown_activity.upper(),
                             dated=not settings.unknown_activity_undated))
    return sorted(entries, key=_order)


def _order(entry: Shown) -> tuple[datetime, int, int]:
    happening = entry.happening
    kind_order = 1 if happening is None else _ORDER[happening.kind]
    return (entry.date, kind_order, happening.number if happening else 0)


def newest_first(entries: list[Shown]) -> list[Shown]:
    return sorted(entries, key=_order, reverse=True)


def activity(base: str, repo: DcRepository, entry: Shown, number: int,
             store: DcStore) -> JsonObject:
    """One activity, numbered within its pull request."""
    pr, happening = entry.pr, entry.happening
    body: JsonObject = {"id": pr.id * 1000 + number}
    if entry.dated:
        body["createdDate"] = render.epoch_ms(entry.date)
    who = pr.author if happening is None else happening.who
    body["user"] = render.user(base, store.user_for(who))
    if happening is None:
        body["action"] = entry.word
        return body
    if happening.kind == "closed":
        body["action"] = happening.state
        return body
    body["action"] = ACTIONS[happening.kind]
    if happening.kind == "ready":
        body["draft"] = False
    elif happening.kind == "comment":
        body.update(_comment(base, repo, pr, happening, store))
    elif happening.kind == "rescoped":
        body.update(_rescope(pr, happening))
    return body


def _comment(base: str, repo: DcRepository, pr: PullRequest, happening: Happening,
             store: DcStore) -> JsonObject:
    text = prose.title(random.Random(f"comment/{pr.text_seed}/{happening.number}"))  # noqa: S311
    moment = render.epoch_ms(happening.on)
    found: JsonObject = {
        "commentAction": "ADDED",
        "comment": {
            "properties": {"repositoryId": repo.id},
            "id": pr.id * 1000 + happening.number,
            "version": 0,
            "text": text,
            "author": render.user(base, store.user_for(happening.who)),
            "createdDate": moment,
            "updatedDate": moment,
            "comments": [],
            "threadResolved": False,
            "severity": "NORMAL",
            "state": "OPEN",
        },
    }
    if happening.inline:
        name = f"{pr.source_branch.rsplit('/', 1)[-1]}.py"
        found["commentAnchor"] = {
            "fromHash": render.commit_id(pr, "destination"),
            "toHash": render.commit_id(pr, "source"),
            "line": happening.number * 7 % 120 + 1,
            "lineType": "ADDED",
            "fileType": "TO",
            "path": {"components": ["src", name], "parent": "src", "name": name,
                     "extension": "py"},
            "diffType": "EFFECTIVE",
        }
    return found


def _rescope(pr: PullRequest, happening: Happening) -> JsonObject:
    pushed = render.commit_id(pr, f"push/{happening.on.isoformat()}")
    before = render.commit_id(pr, "source")
    return {"fromHash": pushed, "previousFromHash": before,
            "toHash": render.commit_id(pr, "destination"),
            "previousToHash": render.commit_id(pr, "destination"),
            "added": {"commits": [], "total": 1}, "removed": {"commits": [], "total": 0}}
