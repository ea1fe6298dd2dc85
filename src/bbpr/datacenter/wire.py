"""Bitbucket Data Center's JSON, as far as bbpr reads it, and its translation to `PullRequest`:
epoch-millisecond dates become UTC datetimes, `fromRef`/`toRef` become branch names, the
author's user becomes `author`, `author_login` and `author_id`, and `links.self` the `url`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import msgspec

from ..details import PullRequestDetails
from ..models import Participant, PullRequest, State, review_fields

DATACENTER_STATES: tuple[State, ...] = ("OPEN", "MERGED", "DECLINED")


class User(msgspec.Struct):
    id: int | None = None
    name: str | None = None
    displayName: str | None = None
    emailAddress: str | None = None


class UserPage(msgspec.Struct):
    values: list[User] = []


class _Participant(msgspec.Struct):
    user: User | None = None
    role: str | None = None
    approved: bool = False
    status: str | None = None
    """APPROVED, NEEDS_WORK or UNAPPROVED."""


class _Ref(msgspec.Struct):
    displayId: str | None = None
    latestCommit: str | None = None
    repository: RepositoryItem | None = None


class _Href(msgspec.Struct):
    href: str


class _Links(msgspec.Struct):
    self: list[_Href] = []


class _Properties(msgspec.Struct):
    commentCount: int | None = None
    openTaskCount: int | None = None


class PullRequestItem(msgspec.Struct):
    id: int
    title: str | None = None
    description: str | None = None
    state: str | None = None
    draft: bool | None = None
    createdDate: int | None = None
    updatedDate: int | None = None
    closedDate: int | None = None
    author: _Participant | None = None
    reviewers: list[_Participant] | None = None
    participants: list[_Participant] | None = None
    fromRef: _Ref | None = None
    toRef: _Ref | None = None
    links: _Links | None = None
    properties: _Properties | None = None


# The envelopes: `values` and `isLastPage` are required, because Data Center always sends
# them, and a 200 without them (`{}`, a maintenance message from a proxy) is not a last
# page: it fails to decode, and `http` retries it like a 5xx.


class PullRequestPage(msgspec.Struct):
    values: list[PullRequestItem]
    isLastPage: bool
    nextPageStart: int | None = None
    limit: int | None = None
    """The page size the server used (it caps what was asked for)."""


class _ProjectKey(msgspec.Struct):
    key: str


class RepositoryItem(msgspec.Struct):
    slug: str
    name: str | None = None
    project: _ProjectKey | None = None

    def owner(self, typed: str) -> str:
        """The project key as the server spells it (`ACME` for a typed `acme`)."""
        return self.project.key if self.project else typed


class RepositoryPage(msgspec.Struct):
    values: list[RepositoryItem]
    isLastPage: bool
    nextPageStart: int | None = None


decode_pull_requests = msgspec.json.Decoder(PullRequestPage).decode
decode_pull_request = msgspec.json.Decoder(PullRequestItem).decode


class ApplicationProperties(msgspec.Struct):
    version: str
    """Every Bitbucket sends it: a body without one is not the server's answer."""
    displayName: str | None = None


class Project(msgspec.Struct):
    key: str
    name: str | None = None


class ProjectPage(msgspec.Struct):
    values: list[Project]
    isLastPage: bool
    nextPageStart: int | None = None


class _CommentId(msgspec.Struct):
    id: int | None = None


class ActivityItem(msgspec.Struct):
    """One activity of a pull request, as far as an event reads it."""

    id: int | None = None
    action: str | None = None
    createdDate: int | None = None
    user: User | None = None
    commentAction: str | None = None
    """ADDED, REPLIED, EDITED or DELETED, on COMMENTED."""
    comment: _CommentId | None = None
    commentAnchor: dict[str, object] | None = None
    """Where a comment on a line of the diff is."""
    draft: bool | None = None
    """On UPDATED: what the draft flag became, where the server says (see `activities`)."""


class ActivityPage(msgspec.Struct):
    values: list[ActivityItem]
    isLastPage: bool
    nextPageStart: int | None = None
    limit: int | None = None


decode_activities = msgspec.json.Decoder(ActivityPage).decode
decode_properties = msgspec.json.Decoder(ApplicationProperties).decode
decode_projects = msgspec.json.Decoder(ProjectPage).decode
decode_repository = msgspec.json.Decoder(RepositoryItem).decode
decode_user = msgspec.json.Decoder(User).decode
decode_users = msgspec.json.Decoder(UserPage).decode
decode_repositories = msgspec.json.Decoder(RepositoryPage).decode


def to_pull_request(item: PullRequestItem, repository: str) -> PullRequest:
    """Review fields and the close time included: every record carries them."""
    user = item.author.user if item.author else None
    people = _people(item, user)
    return PullRequest(
        id=item.id,
        repository=repository,
        title=item.title,
        state=item.state,  # kept as sent, one bbpr never saw included (see `matching`)
        author=user.displayName if user else None,
        author_login=user.name if user else None,
        author_id=str(user.id) if user and user.id is not None else None,
        source_branch=item.fromRef.displayId if item.fromRef else None,
        destination_branch=item.toRef.displayId if item.toRef else None,
        created_on=from_epoch_ms(item.createdDate),
        updated_on=from_epoch_ms(item.updatedDate),
        url=item.links.self[0].href if item.links and item.links.self else None,
        draft=item.draft,
        description=item.description,
        comment_count=item.properties.commentCount if item.properties else None,
        task_count=item.properties.openTaskCount if item.properties else None,
        source_commit=item.fromRef.latestCommit if item.fromRef else None,
        destination_commit=item.toRef.latestCommit if item.toRef else None,
        closed_on=from_epoch_ms(item.closedDate),
        **review_fields(people),
    )


def _people(item: PullRequestItem, author: User | None) -> tuple[Participant, ...]:
    """Reviewers, then the other participants but the author."""
    author_id = author.id if author else None
    people = [_participant(entry, "REVIEWER") for entry in item.reviewers or [] if entry.user]
    people += [_participant(entry, "PARTICIPANT") for entry in item.participants or []
               if entry.user and (entry.user.id is None or entry.user.id != author_id)]
    return tuple(people)


def _participant(entry: _Participant, role: Literal["REVIEWER", "PARTICIPANT"]) -> Participant:
    user = entry.user or User()
    return Participant(
        name=user.displayName, login=user.name,
        id=None if user.id is None else str(user.id), role=role,
        approved=entry.status == "APPROVED" or (entry.status is None and entry.approved),
        changes_requested=entry.status == "NEEDS_WORK",
    )


def to_details(item: PullRequestItem, repository: str) -> PullRequestDetails:
    """A pull request at its own URL: the same as in a list page, people included."""
    return PullRequestDetails(pull_request=to_pull_request(item, repository))


def from_epoch_ms(value: int | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):  # a server's date beyond year 9999: unknown
        return None
