"""Cloud's activity entries, read as review events.

An entry is `{"pull_request": {...}, KIND: {...}}`, its kind the one key beside
`pull_request`, as the public clients of the live feed read it (Atlassian's VS Code
extension, Backstage plugins, metrics tools): `update` (`state`, `date`, `author`, and
`changes` where something changed), `approval` and `changes_requested` (`date`, `user`),
`comment` (`id`, `created_on`, `user`, `inline` on a line of the diff). The feed's
vocabulary is open: a kind bbpr does not know is kept as `other:` and its key, dated by
its `date` (or `created_on`); an entry with no date at all cannot be kept, and is counted.

What the entries become (`models.EVENT_KINDS`):

- `update`: `merged`, `declined`, `superseded` by its state; `ready` where `changes.draft`
  goes from true to false (as a live feed was seen to show a draft made ready); `opened`
  for the update at the pull request's creation; `updated` for any other. Its `author` is
  the pull request's author (the feed names no other actor), and is kept as the event's who.
- `approval`, `changes_requested`, `comment` (inline or not) as they are.

`fields=` trims entries by naming what to leave out (`-...`), never what to keep: a plain
list keeps only the keys it names, and an entry of a kind bbpr does not know would vanish.
The keys each known kind needs are checked on every page (see `withheld`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from ..models import PullRequest, ReviewEvent
from .wire import Account

FEED_FIELDS = ",".join(
    f"-values.{path}" for path in (
        "pull_request.title", "pull_request.links", "pull_request.type",
        "update.title", "update.description", "update.reason", "update.source",
        "update.destination", "update.author.links", "comment.content", "comment.links",
        "comment.pullrequest", "comment.user.links", "approval.pullrequest",
        "approval.user.links", "changes_requested.pullrequest", "changes_requested.user.links",
    )
)
"""Everything an event does not need, left out: a few hundred bytes an entry, not several
thousand (an update carries both branches' repositories)."""

NEEDED = {"update": ("state", "date"), "approval": ("date", "user"),
          "changes_requested": ("date", "user"), "comment": ("id", "created_on", "user")}
"""The keys each known kind must come back with."""

_CLOSING = {"MERGED": "merged", "DECLINED": "declined", "SUPERSEDED": "superseded"}
OPENING_SLACK = timedelta(seconds=1)
"""How far from `created_on` the update that opened a pull request may be dated."""


class _Body(msgspec.Struct):
    """Any entry's body, as far as an event reads it; every key optional."""

    date: datetime | None = None
    created_on: datetime | None = None
    user: Account | None = None
    author: Account | None = None
    state: str | None = None
    changes: Any = None
    """What an update changed: `{"draft": {"old": true, "new": false}}` and the like."""
    id: int | None = None
    inline: Any = None


class _PullRequestId(msgspec.Struct):
    id: int | None = None


class FeedPage(msgspec.Struct):
    values: list[dict[str, msgspec.Raw]] = []
    next: str | None = None


decode_feed = msgspec.json.Decoder(FeedPage).decode
_decode_body = msgspec.json.Decoder(_Body).decode
_decode_pull_request = msgspec.json.Decoder(_PullRequestId).decode


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One entry, read; what it becomes depends on its pull request (see `event`)."""

    pull_request: int | None
    kind: str
    """The entry's key: `update`, `approval`, ... or one bbpr does not know."""
    on: datetime | None
    """None: the entry has no (readable) date, and cannot be kept."""
    who: Account | None
    state: str | None = None
    made_ready: bool = False
    comment: int | None = None
    inline: bool | None = None
    keys: frozenset[str] = frozenset()
    """The keys its body came with, to check that nothing asked for was withheld."""

    @property
    def closes(self) -> bool:
        return self.kind == "update" and self.state in _CLOSING


def entries(page: FeedPage) -> list[FeedEntry]:
    """Every entry of a page, each kind beside `pull_request` one entry."""
    found = []
    for item in page.values:
        number = _pull_request(item.get("pull_request"))
        found += [_entry(number, kind, raw) for kind, raw in item.items()
                  if kind != "pull_request"]
    return found


def _pull_request(raw: msgspec.Raw | None) -> int | None:
    if raw is None:
        return None
    try:
        return _decode_pull_request(raw).id
    except msgspec.DecodeError:  # ValidationError included: not an object with an ID
        return None


def _entry(number: int | None, kind: str, raw: msgspec.Raw) -> FeedEntry:
    try:
        body = _decode_body(raw)
        keys = frozenset(msgspec.json.decode(raw, type=dict[str, Any]))
    except msgspec.DecodeError:  # not an object, or a date that is not one
        return FeedEntry(number, kind, None, None)
    moment = body.created_on if kind == "comment" else body.date or body.created_on
    draft = body.changes.get("draft") if isinstance(body.changes, dict) else None
    return FeedEntry(
        pull_request=number, kind=kind, on=_utc(moment),
        who=body.author if kind == "update" else body.user,
        state=body.state, made_ready=draft == {"old": True, "new": False},
        comment=body.id if kind == "comment" else None,
        inline=body.inline is not None if kind == "comment" else None, keys=keys)


def withheld(found: list[FeedEntry], *, repository_feed: bool) -> list[str]:
    """The keys a known kind needs that no entry of that kind on the page came with (and
    `pull_request.id`, which the repository's feed needs on every entry): a server that
    left out what was asked for, not entries that lack it."""
    missing = sorted({f"{kind}.{key}" for kind, needed in NEEDED.items()
                      for key in needed
                      if (same := [entry for entry in found if entry.kind == kind])
                      and all(key not in entry.keys for entry in same)})
    if repository_feed and found and all(entry.pull_request is None for entry in found):
        missing.append("pull_request.id")
    return missing


def event(entry: FeedEntry, pull_request: PullRequest) -> ReviewEvent | None:
    """What the entry says happened to `pull_request`; None when it has no date."""
    if entry.on is None:
        return None
    kind = _kind(entry, pull_request)
    who = entry.who or Account()
    key = (f"comment:{entry.comment}" if kind == "comment" and entry.comment is not None
           else f"{kind}:{entry.on.isoformat()}:{who.uuid or ''}")
    return ReviewEvent(pull_request=pull_request.id, kind=kind, on=entry.on, key=key,
                       user_id=who.uuid, login=who.nickname, name=who.display_name,
                       inline=entry.inline)


def _kind(entry: FeedEntry, pull_request: PullRequest) -> str:
    if entry.kind in ("approval", "changes_requested", "comment"):
        return entry.kind
    if entry.kind != "update":
        return f"other:{entry.kind}"
    if entry.state in _CLOSING:
        return _CLOSING[entry.state]
    if entry.made_ready:
        return "ready"
    created = pull_request.created_on
    if created is not None and entry.on is not None and abs(entry.on - created) <= OPENING_SLACK:
        return "opened"
    return "updated"


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
