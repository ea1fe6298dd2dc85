"""Who reviews a Data Center pull request, and when it closed: from its timeline.

One source for the list records' `reviewers`, `participants` and `closedDate` (see
`render`) and for the activities (see `activities`), so that they always agree: a
reviewer's status is their last verdict in the timeline, the close is at `closedDate`.
Data Center lists the author apart (`author`), never among the participants.
"""

from __future__ import annotations

from datetime import datetime

from .. import timeline
from ..data import PullRequest
from .data import DcStore


def made_closed_on(pr: PullRequest) -> datetime | None:
    """When the record as made closed: at its update time, as `closedDate` says."""
    made = pr.made()
    return None if made.state == "OPEN" else made.updated_on


def closed_on(pr: PullRequest) -> datetime | None:
    """The record's `closedDate`: a live close's moment, else the one it was made with."""
    if pr.state == "OPEN":
        return None
    return pr.closed_on or made_closed_on(pr) or pr.updated_on


def happenings(pr: PullRequest, store: DcStore) -> list[timeline.Happening]:
    return timeline.of(pr, store.accounts, made_closed_on(pr))


def people(pr: PullRequest, store: DcStore) -> list[timeline.Person]:
    """Reviewers (in their order), then the others who took part, the author never."""
    return timeline.people(pr, store.accounts, made_closed_on(pr), with_author=False)
