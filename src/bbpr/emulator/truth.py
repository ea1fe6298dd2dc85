"""The ground truth of review events and metrics, for tests: what each pull request's
activity shows, and the review metrics it makes, computed from the emulator's own timeline
(`timeline`) and what each flavour shows of it (`cloud.activity.shown`,
`datacenter.activities.shown`), never through bbpr's client code.

Events are named in bbpr's words (`models.EVENT_KINDS`, written out here again so that a
misreading cannot hide in both): `other:` and the server's word for a kind no client
knows. Times are what the server sends: Cloud's to the microsecond, Data Center's to the
millisecond. Who is who as the activity names them: Cloud's `update` entries name the pull
request's author, whoever merged.

The metrics are those docs/report.md defines (issue 23, section 2, with the cases it
decides), written out here again from the words, not from bbpr's SQL:

- A review is a comment, an approval or a change request by anyone but the author. The
  review window runs from the first `ready` event (else the creation) to the close (the
  close time bbpr can know: none for a Cloud merge made by pushing, which shows no close
  in the feed); a pull request still a draft has none.
- `ready_on`: none while a draft; else the last `ready` event at or before the first review
  (with no review: before the close), else the first `ready` event, else `created_on`.
- `first_review_on`, `first_approval_on`: the earliest review, approval, in the window.
- `merged_on`: when a MERGED pull request merged, where the activity shows it.
- `approvals`: how many people other than the author approved at or before the close;
  `review_comments`, `changes_requested`: how many comments and change requests by anyone
  but the author, at any time.
- `merged_without_approval`: MERGED, and no approval by anyone but the author at or before
  the merge (any, where the merge's moment is unknown).

`exclude` (logins: Cloud nicknames, Data Center user names) leaves those people's events
out of the metrics (not out of `events`), as `--exclude-user` does.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from .cloud import activity as cloud_activity
from .cloud import review as cloud_review
from .data import Account, PullRequest, Repository, Store
from .datacenter import activities as dc_activities
from .datacenter import review as dc_review
from .datacenter.data import DcRepository, DcStore
from .settings import Settings

_CLOUD_UPDATES = {"opened": "opened", "ready": "ready", "reopened": "updated"}
_REVIEWS = frozenset({"comment", "approval", "changes_requested"})


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    on: datetime
    user_id: str | None
    login: str | None
    name: str | None
    inline: bool | None = None
    """Comments only: on a line of the diff."""


@dataclass(frozen=True, slots=True)
class ReviewTruth:
    """One pull request's events, oldest first, and its review metrics."""

    events: tuple[Event, ...]
    undated: int
    """Entries the activity shows without a date (which no event can hold)."""
    author_id: str
    created_on: datetime
    ready_on: datetime | None
    """None while the pull request is a draft."""
    first_review_on: datetime | None
    first_approval_on: datetime | None
    merged_on: datetime | None
    approvals: int
    review_comments: int
    changes_requested: int
    merged_without_approval: bool


def cloud(store: Store, repository: Repository, settings: Settings,
          exclude: Collection[str] = ()) -> dict[int, ReviewTruth]:
    with store.lock:
        return {pr.id: _cloud_one(pr, store.accounts, settings, exclude)
                for pr in repository.pull_requests}


def datacenter(store: DcStore, repository: DcRepository, settings: Settings,
               exclude: Collection[str] = ()) -> dict[int, ReviewTruth]:
    with store.lock:
        return {pr.id: _dc_one(pr, store, settings, exclude)
                for pr in repository.records().values()}


def _cloud_one(pr: PullRequest, pool: list[Account], settings: Settings,
               exclude: Collection[str]) -> ReviewTruth:
    shown = cloud_activity.shown(pr, pool, settings)
    events = []
    for entry in (entry for entry in shown if entry.dated):
        happening = entry.happening
        if happening is None:
            events.append(_cloud_event(f"other:{entry.word}", entry.date, pr.author))
        elif happening.kind == "closed":
            events.append(_cloud_event((happening.state or "").lower(), entry.date, pr.author))
        elif happening.kind in _CLOUD_UPDATES:
            events.append(_cloud_event(_CLOUD_UPDATES[happening.kind], entry.date, pr.author))
        else:
            events.append(_cloud_event(happening.kind, entry.date, happening.who,
                                       happening.inline if happening.kind == "comment"
                                       else None))
    closed = None if cloud_review.merged_by_push(pr) else cloud_review.closed_on(pr)
    undated = sum(not entry.dated for entry in shown)
    return _metrics(pr, events, undated, pr.author.uuid, pr.created_on, closed, exclude)


def _cloud_event(kind: str, on: datetime, who: Account, inline: bool | None = None) -> Event:
    return Event(kind, on, who.uuid, who.nickname, who.display_name, inline)


def _dc_one(pr: PullRequest, store: DcStore, settings: Settings,
            exclude: Collection[str]) -> ReviewTruth:
    shown = dc_activities.shown(pr, store, settings)
    events = []
    for entry in (entry for entry in shown if entry.dated):
        happening = entry.happening
        who = store.user_for(pr.author if happening is None else happening.who)
        if happening is None:
            kind = f"other:{entry.word}"
        elif happening.kind == "closed":
            kind = (happening.state or "").lower()
        else:
            kind = happening.kind
        inline = happening.inline if happening and happening.kind == "comment" else None
        events.append(Event(kind, _ms(entry.date), str(who.id), who.name, who.display_name,
                            inline))
    closed = dc_review.closed_on(pr)
    author = store.user_for(pr.author)
    undated = sum(not entry.dated for entry in shown)
    return _metrics(pr, events, undated, str(author.id), _ms(pr.created_on),
                    None if closed is None else _ms(closed), exclude)


def _ms(moment: datetime) -> datetime:
    """A moment as Data Center sends it: whole milliseconds since the epoch."""
    milliseconds = int(moment.timestamp() * 1000)
    return datetime.fromtimestamp(milliseconds // 1000, UTC).replace(
        microsecond=milliseconds % 1000 * 1000)


def _metrics(pr: PullRequest, events: list[Event], undated: int, author_id: str,
             created_on: datetime, closed_on: datetime | None,
             exclude: Collection[str]) -> ReviewTruth:
    events.sort(key=lambda event: event.on)
    kept = [event for event in events if event.login not in exclude]
    others = [event for event in kept if event.user_id != author_id]
    draft = pr.state == "OPEN" and pr.draft
    readied = [event.on for event in kept if event.kind == "ready"]
    opens = min(readied, default=created_on)
    window = [event for event in others
              if not draft and opens <= event.on and (closed_on is None or event.on <= closed_on)]
    first_review = min((event.on for event in window if event.kind in _REVIEWS), default=None)
    ready_on = None if draft else max(
        (moment for moment in readied if moment <= (first_review or closed_on or moment)),
        default=opens)
    merged_on = closed_on if pr.state == "MERGED" else None
    approved = [event for event in others if event.kind == "approval"]
    return ReviewTruth(
        events=tuple(events),
        undated=undated,
        author_id=author_id,
        created_on=created_on,
        ready_on=ready_on,
        first_review_on=first_review,
        first_approval_on=min((event.on for event in window if event.kind == "approval"),
                              default=None),
        merged_on=merged_on,
        approvals=len({event.user_id for event in approved
                       if closed_on is None or event.on <= closed_on}),
        review_comments=sum(event.kind == "comment" for event in others),
        changes_requested=sum(event.kind == "changes_requested" for event in others),
        merged_without_approval=pr.state == "MERGED" and not any(
            merged_on is None or event.on <= merged_on for event in approved),
    )
