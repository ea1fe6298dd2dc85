"""Who reviews a Cloud pull request, what they said and when, and when it closed.

One source for the three places that show it, so that they always agree: the pull request's
`reviewers` and `participants` (see `render`), and the activity feeds (see `activity`),
whose approvals, change requests, comments and state updates are dated on the same timeline.

Generated pull requests draw their people from their own seed, so they never change; live
changes (`PullRequest.verdicts`, see `live`) are laid over them. Facts modelled:

- `participants` holds the reviewers (role REVIEWER) and everyone else who took part (role
  PARTICIPANT: commenters, the author when they comment, a bot); anyone may approve, so a
  PARTICIPANT can approve too. `participated_on` is the time of the approval or change
  request, or of the last comment, and null for a reviewer who has done nothing yet.
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
from typing import Literal

from ..data import Account, PullRequest

Kind = Literal["opened", "comment", "approval", "changes_request", "closed"]


@dataclass(frozen=True, slots=True)
class Person:
    account: Account
    role: str  # REVIEWER or PARTICIPANT
    approved: bool
    state: str | None  # "approved", "changes_requested" or None
    participated_on: datetime | None


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the activity feeds."""

    date: datetime
    pr: PullRequest
    kind: Kind
    who: Account
    number: int = 0  # the comment's number within its pull request


def closed_on(pr: PullRequest) -> datetime | None:
    """When the pull request was merged, declined or superseded; None while open."""
    if pr.state == "OPEN":
        return None
    if pr.closed_on is not None:  # a live change recorded the moment
        return pr.closed_on
    rng = random.Random(f"cloud-close/{pr.text_seed}")  # noqa: S311 (fake data, seeded)
    if pr.comment_count and rng.random() < 0.4:  # a comment came after the close
        return pr.updated_on - (pr.updated_on - pr.created_on) * rng.uniform(0.1, 0.5)
    return pr.updated_on


def merged_by_push(pr: PullRequest) -> bool:
    """A merge with no `update` entry in the activity: its close time is unknowable."""
    return pr.state == "MERGED" and pr.closed_on is None and pr.text_seed % 25 == 0


def people(pr: PullRequest, pool: list[Account]) -> list[Person]:
    """Reviewers first, then the other participants; `pool` is every account, the build
    bot last (it comments, it never reviews)."""
    rng = random.Random(f"cloud-people/{pr.text_seed}")  # noqa: S311 (fake data, seeded)
    end = closed_on(pr) or pr.updated_on

    def moment() -> datetime:
        return pr.created_on + (end - pr.created_on) * rng.uniform(0.05, 1.0)

    humans = [account for account in pool[:-1] if account is not pr.author]
    reviewers = rng.sample(humans, rng.randint(1, min(3, len(humans))))
    found = []
    for reviewer in reviewers:
        approved = pr.state == "MERGED" or rng.random() < 0.4
        state = "approved" if approved else rng.choice(("changes_requested", None))
        acted = bool(state) or rng.random() < 0.5  # commented without a verdict
        found.append(Person(reviewer, "REVIEWER", approved, state, moment() if acted else None))
    others = [account for account in humans if account not in reviewers]
    for other in rng.sample(others, rng.randint(0, min(2, len(others)))):
        approved = rng.random() < 0.25
        found.append(Person(other, "PARTICIPANT", approved, "approved" if approved else None,
                            moment()))
    if rng.random() < 0.3:
        found.append(Person(pool[-1], "PARTICIPANT", False, None, moment()))
    if rng.random() < 0.3:  # the author answered a comment
        found.append(Person(pr.author, "PARTICIPANT", False, None, moment()))
    return _with_live_verdicts(pr, found, pool)


def _with_live_verdicts(pr: PullRequest, found: list[Person],
                        pool: list[Account]) -> list[Person]:
    """Verdicts given while serving replace the generated ones; a newcomer joins as a
    PARTICIPANT."""
    for email, (verdict, when) in (pr.verdicts or {}).items():
        account = next(account for account in pool if account.email == email)
        index = next((i for i, person in enumerate(found) if person.account is account), None)
        role = "PARTICIPANT" if index is None else found[index].role
        person = Person(account, role, verdict == "approved", verdict, when)
        if index is None:
            found.append(person)
        else:
            found[index] = person
    return found


def events(pr: PullRequest, pool: list[Account]) -> list[Event]:
    """Everything the activity feeds show of one pull request, in no particular order."""
    rng = random.Random(f"cloud-activity/{pr.text_seed}")  # noqa: S311 (fake data, seeded)
    closed = closed_on(pr)
    end = closed or pr.updated_on
    found = [Event(pr.created_on, pr, "opened", pr.author)]
    present = people(pr, pool)
    talkers = [pr.author, *(person.account for person in present)]
    for number in range(1, pr.comment_count + 1):
        if closed is not None and closed < pr.updated_on and number == pr.comment_count:
            when = pr.updated_on  # the comment after the close that moved `updated_on`
        else:
            when = pr.created_on + (end - pr.created_on) * rng.random()
        found.append(Event(when, pr, "comment", rng.choice(talkers), number))
    for person in present:
        if person.participated_on is not None and person.state == "approved":
            found.append(Event(person.participated_on, pr, "approval", person.account))
        elif person.participated_on is not None and person.state == "changes_requested":
            found.append(Event(person.participated_on, pr, "changes_request", person.account))
    if closed is not None and not merged_by_push(pr):
        found.append(Event(closed, pr, "closed", pr.closed_by or pr.author))
    return found
