"""Bitbucket Cloud's JSON, as far as bbpr reads it, and its translation to `PullRequest`.

The structs name only the keys bbpr uses: msgspec skips the rest of each 4-5 KB pull request
object without building it, which is most of what makes decoding fast.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from ..details import Participant, PullRequestDetails
from ..models import STATES, PullRequest


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


class _Href(msgspec.Struct):
    href: str | None = None


class _Links(msgspec.Struct):
    html: _Href | None = None


class PullRequestItem(msgspec.Struct):
    id: int
    title: str | None = None
    state: str | None = None
    author: Account | None = None
    source: _End | None = None
    destination: _End | None = None
    created_on: datetime | None = None
    updated_on: datetime | None = None
    links: _Links | None = None
    draft: bool | None = None
    description: str | None = None
    comment_count: int | None = None
    task_count: int | None = None
    merge_commit: _Hash | None = None
    closed_by: Account | None = None


class _Keyed(msgspec.Struct):
    key: str | None = None


class _Participant(msgspec.Struct):
    user: Account | None = None
    role: str | None = None
    approved: bool | None = None
    state: str | None = None


class PullRequestDetailItem(PullRequestItem):
    """The pull request's own URL: the list's fields, and reviewers and participants."""

    participants: list[_Participant] = []
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


decode_pull_requests = msgspec.json.Decoder(PullRequestPage).decode
decode_pull_request = msgspec.json.Decoder(PullRequestDetailItem).decode
decode_repositories = msgspec.json.Decoder(RepositoryPage).decode
decode_repository = msgspec.json.Decoder(RepositoryItem).decode
decode_account = msgspec.json.Decoder(Account).decode
decode_workspaces = msgspec.json.Decoder(WorkspacePage).decode


def to_pull_request(item: PullRequestItem, repository: str) -> PullRequest:
    return PullRequest(
        id=item.id,
        repository=repository,
        title=item.title,
        state=item.state if item.state in STATES else None,
        author=item.author.display_name if item.author else None,
        author_login=item.author.nickname if item.author else None,
        author_id=item.author.uuid if item.author else None,
        author_account_id=item.author.account_id if item.author else None,
        source_branch=_branch(item.source),
        destination_branch=_branch(item.destination),
        created_on=_utc(item.created_on),
        updated_on=_utc(item.updated_on),
        url=item.links.html.href if item.links and item.links.html else None,
        draft=item.draft,
        description=item.description,
        comment_count=item.comment_count,
        task_count=item.task_count,
        source_commit=item.source.commit.hash if item.source and item.source.commit else None,
        destination_commit=(item.destination.commit.hash
                            if item.destination and item.destination.commit else None),
        merge_commit=item.merge_commit.hash if item.merge_commit else None,
        closed_by=item.closed_by.display_name if item.closed_by else None,
    )


def to_details(item: PullRequestDetailItem, repository: str) -> PullRequestDetails:
    participants = tuple(
        Participant(name=p.user.display_name if p.user else None,
                    login=p.user.nickname if p.user else None,
                    role="REVIEWER" if p.role == "REVIEWER" else "PARTICIPANT",
                    verdict="approved" if p.approved or p.state == "approved" else (
                        "changes_requested" if p.state == "changes_requested" else None))
        for p in item.participants)
    return PullRequestDetails(pull_request=to_pull_request(item, repository),
                              participants=participants,
                              close_source_branch=item.close_source_branch,
                              reason=item.reason or None)


def _branch(end: _End | None) -> str | None:
    return end.branch.name if end and end.branch else None


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
