"""Bitbucket Cloud's JSON, as far as bbpr reads it, and its translation to `PullRequest`.

The structs name only the keys bbpr uses: msgspec skips the rest of each 4-5 KB pull request
object without building it, which is most of what makes decoding fast.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, TypeAlias, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from ..details import PullRequestDetails
from ..models import Participant, PullRequest, review_fields


class _Named(msgspec.Struct):
    name: str | None = None


class _Hash(msgspec.Struct):
    hash: str | None = None


class _End(msgspec.Struct):
    branch: _Named | None = None
    commit: _Hash | None = None


class Account(msgspec.Struct):
    display_name: str | None = None
    nickname: str | None = None
    uuid: str | None = None
    account_id: str | None = None


class ParticipantItem(msgspec.Struct):
    """An entry of `participants`: reviewers and everyone else who took part."""

    user: Account | None = None
    role: str | None = None
    approved: bool = False
    state: str | None = None
    """"approved", "changes_requested" or null."""


class _Href(msgspec.Struct):
    href: str | None = None


class _Links(msgspec.Struct):
    html: _Href | None = None


T = TypeVar("T")
Sent: TypeAlias = T | UnsetType | None
"""A key that may be absent (UNSET: the server did not send it) or null (it did, empty):
a page on which no record carries a key bbpr asked for is a server withholding it
(see `withheld`), not records that all fail a condition or all have nothing there."""


class PullRequestItem(msgspec.Struct):
    id: int
    title: Sent[str] = UNSET
    state: Sent[str] = UNSET
    author: Sent[Account] = UNSET
    source: Sent[_End] = UNSET
    destination: Sent[_End] = UNSET
    created_on: Sent[str] = UNSET
    updated_on: Sent[str] = UNSET
    """Times as text, read by `moment`: one that is no time costs that time, not the page."""
    links: Sent[_Links] = UNSET
    draft: Sent[bool] = UNSET
    queued: Sent[bool] = UNSET
    description: Sent[str] = UNSET
    comment_count: Sent[int] = UNSET
    task_count: Sent[int] = UNSET
    merge_commit: Sent[_Hash] = UNSET
    closed_by: Sent[Account] = UNSET
    reviewers: Sent[list[Account]] = UNSET
    participants: Sent[list[ParticipantItem]] = UNSET


class _Keyed(msgspec.Struct):
    key: str | None = None


class PullRequestDetailItem(PullRequestItem):
    """The pull request's own URL: the list's fields (reviewers and participants are there
    without asking), and what only `bbpr view` shows."""

    close_source_branch: bool | None = None
    reason: str | None = None


class RepositoryItem(msgspec.Struct):
    """A repository, or a workspace: both have a slug, a name and a UUID."""

    slug: str
    name: str | None = None
    project: _Keyed | None = None
    uuid: str | None = None


class WorkspaceAccess(msgspec.Struct):
    workspace: RepositoryItem


# The envelopes: `values` is required, because `values` and `next` are the only keys Cloud
# promises, and a 200 without them (`{}`, `{"message": "Down for maintenance"}` from a proxy
# or a maintenance window) is not an empty last page: it fails to decode, and `http` retries
# it like a 5xx.


class WorkspacePage(msgspec.Struct):
    values: list[WorkspaceAccess]
    next: str | None = None


class PullRequestPage(msgspec.Struct):
    values: list[PullRequestItem]
    next: str | None = None
    size: int | None = None


class RepositoryPage(msgspec.Struct):
    values: list[RepositoryItem]
    next: str | None = None


class _PullRequestId(msgspec.Struct):
    id: int | None = None


class _Update(msgspec.Struct):
    state: str | None = None
    date: str | None = None
    """Read by `moment`, as the pull requests' times are."""


class ActivityEntry(msgspec.Struct):
    """An activity entry, as far as close times need it: only `update` entries have a
    state; approvals, comments and change requests decode to an empty entry."""

    pull_request: _PullRequestId | None = None
    update: _Update | None = None


class ActivityPage(msgspec.Struct):
    values: list[ActivityEntry] = []
    next: str | None = None


decode_pull_requests = msgspec.json.Decoder(PullRequestPage).decode
decode_pull_request = msgspec.json.Decoder(PullRequestDetailItem).decode
decode_repositories = msgspec.json.Decoder(RepositoryPage).decode
decode_repository = msgspec.json.Decoder(RepositoryItem).decode
decode_account = msgspec.json.Decoder(Account).decode
decode_workspaces = msgspec.json.Decoder(WorkspacePage).decode
decode_activity = msgspec.json.Decoder(ActivityPage).decode


def withheld(items: list[PullRequestItem], keys: frozenset[str]) -> list[str]:
    """Those of `keys` (top-level keys of a pull request) that no record of a non-empty page
    carries: fields the server did not send, though asked for."""
    if not items:
        return []
    return sorted(key for key in keys
                  if all(getattr(item, key) is UNSET for item in items))


def _sent(value: T | UnsetType | None) -> T | None:
    return None if isinstance(value, UnsetType) else value


def to_pull_request(item: PullRequestItem, repository: str) -> PullRequest:
    people = _people(item)
    author, closed_by = _sent(item.author), _sent(item.closed_by)
    source, destination = _sent(item.source), _sent(item.destination)
    links, merge_commit = _sent(item.links), _sent(item.merge_commit)
    return PullRequest(
        id=item.id,
        repository=repository,
        title=_sent(item.title),
        state=_sent(item.state),
        author=author.display_name if author else None,
        author_login=author.nickname if author else None,
        author_id=author.uuid if author else None,
        author_account_id=author.account_id if author else None,
        source_branch=_branch(source),
        destination_branch=_branch(destination),
        created_on=moment(_sent(item.created_on)),
        updated_on=moment(_sent(item.updated_on)),
        url=links.html.href if links and links.html else None,
        draft=_sent(item.draft),
        queued=_queued(item),
        description=_sent(item.description),
        comment_count=_sent(item.comment_count),
        task_count=_sent(item.task_count),
        source_commit=source.commit.hash if source and source.commit else None,
        destination_commit=(destination.commit.hash
                            if destination and destination.commit else None),
        merge_commit=merge_commit.hash if merge_commit else None,
        closed_by=closed_by.display_name if closed_by else None,
        **review_fields(people),
    )


def _queued(item: PullRequestItem) -> bool | None:
    """The flag as sent; a QUEUED state (an older schema's) says it without the flag."""
    queued = _sent(item.queued)
    return True if queued is None and _sent(item.state) == "QUEUED" else queued


def _people(item: PullRequestItem) -> tuple[Participant, ...] | None:
    """The requested reviewers (`reviewers`), then the others in `participants` but the
    author, each with the verdict `participants` gives them. None when neither list came."""
    reviewers, participants = _sent(item.reviewers), _sent(item.participants)
    if reviewers is None and participants is None:
        return None
    entries = participants or []
    if reviewers is None:  # only `participants` came: its roles say who reviews
        reviewers = [entry.user for entry in entries if entry.user and entry.role == "REVIEWER"]
    verdicts = {_key(entry.user): entry for entry in entries if entry.user}
    author = _key(item.author) if item.author else None
    people = [_participant(account, "REVIEWER", verdicts.get(_key(account)))
              for account in reviewers]
    seen = {_key(account) for account in reviewers}
    for entry in entries:
        if entry.user is None or _key(entry.user) in seen or _key(entry.user) == author:
            continue
        seen.add(_key(entry.user))
        people.append(_participant(entry.user, "PARTICIPANT", entry))
    return tuple(people)


def _key(account: Account) -> str | None:
    return account.uuid or account.account_id or account.display_name


def _participant(account: Account, role: Literal["REVIEWER", "PARTICIPANT"],
                 entry: ParticipantItem | None) -> Participant:
    return Participant(
        name=account.display_name, login=account.nickname, id=account.uuid,
        account_id=account.account_id, role=role,
        approved=bool(entry and entry.approved),
        changes_requested=bool(entry and entry.state == "changes_requested"),
    )


def to_details(item: PullRequestDetailItem, repository: str) -> PullRequestDetails:
    return PullRequestDetails(pull_request=to_pull_request(item, repository),
                              close_source_branch=item.close_source_branch,
                              reason=item.reason or None)


def _branch(end: _End | None) -> str | None:
    return end.branch.name if end and end.branch else None


def moment(text: str | None) -> datetime | None:
    """A time the server sent, in UTC (one without a zone taken as UTC); None where it is no
    time (year 10000, a word) or UTC pushes it past year 1 or 9999: unknown, as if missing,
    rather than a whole page refused and asked for again, to the same answer."""
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
