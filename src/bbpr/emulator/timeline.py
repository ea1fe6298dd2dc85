"""A pull request's review timeline: who did what to it, and when, from its opening on.

One source for everything that shows review activity, in both flavours, so that it all
agrees: Cloud's `participants` and activity feeds (`cloud/review`, `cloud/activity`), Data
Center's reviewers, participants and activities (`datacenter/render`,
`datacenter/activities`), and the ground truth tests hold bbpr to (`truth`).

A timeline is drawn from the pull request's own seed and from the record as it was made
(`PullRequest.made`), so it never changes; live changes (`PullRequest.changes`: merges,
verdicts given while serving) follow it. It looks like a real team's:

- Pickup (the first review) comes minutes to days after the pull request is ready: a
  log-normal delay, median three hours; the slowest take days.
- Fewer events at weekends: four in five moments that fall on a Saturday or Sunday move to
  Monday morning (UTC), where the pull request's span leaves room.
- About one pull request in five that is not a draft now was opened as a draft and made
  ready later (`ready`); drafts still open have reviewers but no review yet.
- One in ten is never reviewed by a person: merged (or closed) without review.
- Reviewers approve, ask for changes, or only comment; a quarter of approvals follow a
  change request of the same reviewer, after the author pushed again (`rescoped`). Most
  reviewers of a merged pull request approve, not all: some merges have no approval.
- Authors comment on their own pull requests (a note after opening, replies); a build bot
  comments soon after opening on three in ten; someone not asked to review sometimes
  comments, and may approve.
- The comments are exactly the record's `comment_count`. On Cloud, a comment can come after
  the close (see `cloud/review.closed_on`): it is the one that moved `updated_on`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from .data import Account, Change, PullRequest

Kind = Literal["opened", "ready", "comment", "approval", "changes_requested", "unapproval",
               "rescoped", "closed", "reopened"]
VERDICT_KINDS = ("approval", "changes_requested", "unapproval")

READY_LATER = 0.2
"""Of pull requests not drafts now, those opened as drafts and made ready later."""
UNREVIEWED = 0.1
"""Of pull requests ready for review, those no person reviews."""
PICKUP_HOURS, PICKUP_SPREAD = 3.0, 1.5
"""The first review's delay after ready: log-normal, this median and sigma."""
WEEKEND_SKIPPED = 0.8
"""Of moments drawn on a Saturday or Sunday, those moved to the Monday after."""


@dataclass(frozen=True, slots=True)
class Happening:
    """One thing that happened to a pull request."""

    on: datetime
    kind: Kind
    who: Account
    number: int = 0
    """A comment's number within its pull request, 1 to `comment_count` in time order."""
    inline: bool = False
    """A comment on a line of the diff."""
    state: str | None = None
    """The state a `closed` or `reopened` happening left it in."""
    draft: bool = False
    """An `opened` happening: opened as a draft."""


@dataclass(frozen=True, slots=True)
class Timeline:
    """What was drawn for a pull request (live changes come on top: see `of`)."""

    happenings: tuple[Happening, ...]
    """In time order."""
    reviewers: tuple[Account, ...]
    """The reviewers asked, in the order the pull request lists them."""


@dataclass(frozen=True, slots=True)
class Person:
    """Someone on a pull request who is not its author, or the author where they commented:
    their standing verdict and when they last took part."""

    account: Account
    role: str
    """REVIEWER or PARTICIPANT."""
    verdict: str | None
    """"approved", "changes_requested" or None."""
    verdict_on: datetime | None
    """When the standing verdict was given (or the last one withdrawn)."""
    last_comment: datetime | None


def generated(pr: PullRequest, pool: Sequence[Account], closed: datetime | None) -> Timeline:
    """The pull request's drawn timeline, drawn once and kept on the record. `pool` is every
    account, the build bot last; `closed` is when the record as made closed (None while
    open), which each flavour decides. The caller holds the store's lock."""
    if isinstance(pr.timeline, Timeline):
        return pr.timeline
    timeline = _Draw(pr, pool, closed).timeline()
    pr.timeline = timeline
    return timeline


def of(pr: PullRequest, pool: Sequence[Account], closed: datetime | None) -> list[Happening]:
    """Everything that happened to the pull request, in time order: its timeline, then what
    changed while the emulator served."""
    return [*generated(pr, pool, closed).happenings, *map(_happening, pr.changes or ())]


def _happening(change: Change) -> Happening:
    if change.state == "OPEN":
        return Happening(change.on, "reopened", change.who, state="OPEN")
    if change.state is not None:
        return Happening(change.on, "closed", change.who, state=change.state)
    kind: Kind = {"approved": "approval", "changes_requested": "changes_requested",
                  None: "unapproval"}[change.verdict]  # type: ignore[assignment]
    return Happening(change.on, kind, change.who)


def people(pr: PullRequest, pool: Sequence[Account], closed: datetime | None, *,
           with_author: bool) -> list[Person]:
    """The reviewers (in their order), then everyone else who took part, in the order they
    first did; the author among them only `with_author` (Cloud lists an author who
    commented; Data Center never does)."""
    reviewers = generated(pr, pool, closed).reviewers
    order = list(reviewers)
    verdicts: dict[Account, tuple[str | None, datetime]] = {}
    comments: dict[Account, datetime] = {}
    for happening in of(pr, pool, closed):
        who = happening.who
        if happening.kind == "comment":
            comments[who] = happening.on
        elif happening.kind in VERDICT_KINDS:
            verdicts[who] = ({"approval": "approved", "changes_requested": "changes_requested"}
                             .get(happening.kind), happening.on)
        else:
            continue
        if who not in order and (with_author or who is not pr.author):
            order.append(who)
    found = []
    for account in order:
        verdict, verdict_on = verdicts.get(account, (None, None))
        found.append(Person(account, "REVIEWER" if account in reviewers else "PARTICIPANT",
                            verdict, verdict_on, comments.get(account)))
    return found


class _Draw:
    """Draws one pull request's timeline; see the module docstring."""

    def __init__(self, pr: PullRequest, pool: Sequence[Account], closed: datetime | None) -> None:
        made = pr.made()
        self.pr = pr
        self.made = made
        self.rng = random.Random(f"timeline/{pr.text_seed}")  # noqa: S311 (fake data, seeded)
        self.start = pr.created_on
        self.end = max(made.updated_on, self.start)
        self.closed = None if closed is None else min(max(closed, self.start), self.end)
        self.last = self.closed or self.end
        """Reviews happen before the close; only a comment may come after it."""
        self.bot = pool[-1]
        self.humans = [account for account in pool[:-1] if account is not pr.author]
        self.found: list[Happening] = [Happening(self.start, "opened", pr.author)]
        self.comments: list[tuple[datetime, Account, bool]] = []

    def timeline(self) -> Timeline:
        rng, made = self.rng, self.made
        reviewers = rng.sample(self.humans, rng.randint(1, min(3, len(self.humans))))
        ready = self.start
        if not made.draft and rng.random() < READY_LATER:
            made_ready = self.after(self.start, 6.0, 1.2)
            if made_ready is not None:
                ready = made_ready
                self.found.append(Happening(ready, "ready", self.pr.author))
        self.found[0] = Happening(self.start, "opened", self.pr.author,
                                  draft=made.draft or ready > self.start)
        reviewed = not made.draft and rng.random() >= UNREVIEWED
        pickup = self.after(ready, PICKUP_HOURS, PICKUP_SPREAD) if reviewed else None
        budget = self.pr.comment_count
        acting: list[tuple[Account, datetime]] = []
        if pickup is not None:
            for index, reviewer in enumerate(reviewers):
                first = pickup if index == 0 else self.after(pickup, 5.0, 1.3)
                if first is None:
                    continue
                if self._verdicts(reviewer, first):
                    acting.append((reviewer, first))
                elif budget:  # only comments: the first of them is their review
                    self.comments.append((first, reviewer, rng.random() < 0.55))
                    budget -= 1
                    acting.append((reviewer, first))
        budget = self._early_comments(budget)
        self._other_comments(budget, acting, pickup)
        self._number_comments()
        if self.closed is not None and self.made.state != "OPEN":
            closer = self.made.closed_by or self.pr.author
            self.found.append(Happening(self.closed, "closed", closer, state=self.made.state))
        order = {"opened": 0, "ready": 1, "closed": 9}
        happenings = sorted(self.found, key=lambda h: (h.on, order.get(h.kind, 5), h.number))
        return Timeline(tuple(happenings), tuple(reviewers))

    def _verdicts(self, reviewer: Account, first: datetime) -> bool:
        """The reviewer's verdicts from `first` on; False when they give none (they only
        comment)."""
        rng = self.rng
        draw = rng.random()
        if self.made.state == "MERGED":
            verdict = "approved" if draw < 0.9 else None
        else:
            verdict = "approved" if draw < 0.35 else "changes_requested" if draw < 0.65 else None
        if verdict is None:
            return False
        if verdict == "approved" and rng.random() < 0.25:  # changes first, then approved
            self.found.append(Happening(first, "changes_requested", reviewer))
            pushed = self.after(first, 4.0, 1.0)
            if pushed is None:
                return True
            self.found.append(Happening(pushed, "rescoped", self.pr.author))
            approved = self.after(pushed, 2.0, 1.0)
            if approved is not None:
                self.found.append(Happening(approved, "approval", reviewer))
            return True
        kind: Kind = "approval" if verdict == "approved" else "changes_requested"
        self.found.append(Happening(first, kind, reviewer))
        return True

    def _early_comments(self, budget: int) -> int:
        """The build bot's comment soon after opening, and the author's own note."""
        rng = self.rng
        if budget and rng.random() < 0.3:
            moment = self.after(self.start, 0.1, 0.8)
            if moment is not None:
                self.comments.append((moment, self.bot, False))
                budget -= 1
        if budget and rng.random() < 0.25:
            moment = self.after(self.start, 0.3, 1.0)
            if moment is not None:
                self.comments.append((moment, self.pr.author, False))
                budget -= 1
        return budget

    def _other_comments(self, budget: int, acting: list[tuple[Account, datetime]],
                        pickup: datetime | None) -> None:
        """The rest of the comments: the acting reviewers', the author's replies, and now
        and then someone's who was not asked (who may approve too)."""
        rng = self.rng
        talkers: list[tuple[Account, datetime, float, int]] = [
            (reviewer, first, 0.55, 3) for reviewer, first in acting]
        talkers.append((self.pr.author, pickup or self.start, 0.3, 2))
        others = [account for account in self.humans
                  if account not in {reviewer for reviewer, _ in acting}]
        if pickup is not None and others and budget > 1 and rng.random() < 0.3:
            outsider = rng.choice(others)
            talkers.append((outsider, pickup, 0.55, 1))
            if rng.random() < 0.25:
                approved = self.after(pickup, 3.0, 1.0)
                if approved is not None:
                    self.found.append(Happening(approved, "approval", outsider))
        weights = [weight for *_, weight in talkers]
        for _ in range(budget):
            who, earliest, inline, _ = rng.choices(talkers, weights=weights)[0]
            moment = self.between(earliest, self.last)
            self.comments.append((moment, who, rng.random() < inline))

    def _number_comments(self) -> None:
        """Comments numbered in time order. On Cloud a close can come before the last
        activity: the latest comment is then the one after the close."""
        comments = sorted(self.comments, key=lambda comment: comment[0])
        if comments and self.closed is not None and self.closed < self.end:
            _moment, who, inline = comments[-1]
            comments[-1] = (self.end, who, inline)
        self.found += [Happening(moment, "comment", who, number, inline)
                       for number, (moment, who, inline) in enumerate(comments, start=1)]

    # --- moments ---------------------------------------------------------------------------

    def after(self, moment: datetime, median_hours: float, spread: float) -> datetime | None:
        """A log-normal delay after `moment` (at least half a minute), moved off a weekend;
        None when that is past the last moment a review can have."""
        seconds = max(30.0, median_hours * 3600 * math.exp(spread * self.rng.gauss(0, 1)))
        return self._weekday(moment + timedelta(seconds=seconds), self.last)

    def between(self, low: datetime, high: datetime) -> datetime:
        """A moment from `low` to `high`, moved off a weekend where that stays within."""
        moment = low + (high - low) * self.rng.random() if high > low else low
        return self._weekday(moment, high) or moment

    def _weekday(self, moment: datetime, limit: datetime) -> datetime | None:
        if moment.weekday() >= 5 and self.rng.random() < WEEKEND_SKIPPED:
            monday = (moment + timedelta(days=7 - moment.weekday())).replace(
                hour=7, minute=0, second=0, microsecond=0)
            shifted = monday + timedelta(seconds=self.rng.uniform(0, 4 * 3600))
            if shifted <= limit:
                moment = shifted
        return moment if moment <= limit else None
