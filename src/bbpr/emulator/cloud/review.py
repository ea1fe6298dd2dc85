"""Who reviews a Cloud pull request, what they said and when, and when it closed.

One source for the places that show it, so that they always agree: the pull request's
`reviewers` and `participants` (see `render`), and the activity feeds (see `activity`),
whose approvals, change requests, comments and state updates are the pull request's
timeline (see `timeline`: drawn from its own seed, so it never changes; live changes are
laid over it). Facts modelled:

- `participants` holds the reviewers (role REVIEWER) and everyone else who took part (role
  PARTICIPANT: commenters, the author when they comment, a bot); anyone may approve, so a
  PARTICIPANT can approve too. `participated_on` is the time of the standing approval or
  change request, or of the last comment, and null for a reviewer who has done nothing yet.
- A pull request has no close time of its own, and `updated_on` moves with any later
  activity: a comment after the merge makes `updated_on` later than the merge. The close
  time is the date of the activity `update` whose state is the closing one.
- A merge made by pushing the branch (rather than with the merge button) leaves no such
  `update` (observed by constructorfabric/insight#3328): about one generated merge in 25.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from .. import timeline
from ..data import Account, PullRequest


@dataclass(frozen=True, slots=True)
class Person:
    account: Account
    role: str  # REVIEWER or PARTICIPANT
    approved: bool
    state: str | None  # "approved", "changes_requested" or None
    participated_on: datetime | None


def closed_on(pr: PullRequest) -> datetime | None:
    """When the pull request was merged, declined or superseded; None while open."""
    if pr.state == "OPEN":
        return None
    if pr.closed_on is not None:  # a live change recorded the moment
        return pr.closed_on
    return made_closed_on(pr)


def made_closed_on(pr: PullRequest) -> datetime | None:
    """When the record as made (generated, or created live) closed; None if it was open."""
    made = pr.made()
    if made.state == "OPEN":
        return None
    rng = random.Random(f"cloud-close/{pr.text_seed}")  # noqa: S311 (fake data, seeded)
    if pr.comment_count and rng.random() < 0.4:  # a comment came after the close
        return made.updated_on - (made.updated_on - pr.created_on) * rng.uniform(0.1, 0.5)
    return made.updated_on


def merged_by_push(pr: PullRequest) -> bool:
    """A merge with no `update` entry in the activity: its close time is unknowable."""
    return pr.state == "MERGED" and pr.closed_on is None and pr.text_seed % 25 == 0


def happenings(pr: PullRequest, pool: list[Account]) -> list[timeline.Happening]:
    """The pull request's timeline, live changes included; `pool` is every account, the
    build bot last."""
    return timeline.of(pr, pool, made_closed_on(pr))


def people(pr: PullRequest, pool: list[Account]) -> list[Person]:
    """Reviewers first, then the other participants (the author too, once they comment)."""
    return [Person(person.account, person.role, person.verdict == "approved", person.verdict,
                   person.verdict_on or person.last_comment)
            for person in timeline.people(pr, pool, made_closed_on(pr), with_author=True)]
