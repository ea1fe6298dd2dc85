"""The records bbpr hands out, the same for Bitbucket Cloud and Data Center.

`PullRequest` is what both APIs are translated into: Data Center values are mapped to Cloud's
names (states upper case, times as UTC datetimes), so nothing above the `cloud` and
`datacenter` modules knows there are two flavours. Fields that were not asked for stay `None`:
bbpr trims what it fetches to what the output needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypedDict

import msgspec

State = Literal["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]
"""The states a user asks for: the four the list endpoints take."""
STATES: tuple[State, ...] = ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")

OPEN_LIKE = frozenset({"OPEN", "DRAFT", "QUEUED"})
"""States a record may carry that mean "open": Cloud's schema lists DRAFT and QUEUED (a
draft, a pull request in a merge queue) beside the four, and filters treat them as open."""

KNOWN_STATES = OPEN_LIKE | frozenset(STATES)
"""Every state bbpr can place under one of the four."""


def placed_state(state: str | None) -> State | None:
    """Which of the four states a record's state (as the server sent it) falls under; None
    for a state bbpr has never seen, which only `--state all` can list."""
    if state in OPEN_LIKE:
        return "OPEN"
    return next((known for known in STATES if known == state), None)

Flavour = Literal["cloud", "datacenter"]

Role = Literal["REVIEWER", "PARTICIPANT"]


class Participant(msgspec.Struct, frozen=True, kw_only=True):
    """Someone on a pull request other than its author: a requested reviewer, or another
    person who took part (commented, approved without being asked)."""

    name: str | None = None
    """The display name."""
    login: str | None = None
    """Cloud nickname, Data Center user name."""
    id: str | None = None
    """Cloud account UUID in braces, Data Center numeric user ID."""
    account_id: str | None = None
    """The Atlassian account ID (Cloud only)."""
    role: Role = "PARTICIPANT"
    approved: bool = False
    """Their approval stands."""
    changes_requested: bool = False
    """Their "changes requested" (Cloud) or "needs work" (Data Center) stands."""


class PullRequest(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=False):
    """One pull request. `id` is unique within its repository only."""

    id: int
    repository: str
    """`workspace/repo-slug` on Cloud, `PROJECT/repo-slug` on Data Center."""
    title: str | None = None
    state: str | None = None
    """As the server sent it: one of the four, an open-like DRAFT or QUEUED (see
    `OPEN_LIKE`), or a word bbpr has never seen, kept rather than dropped."""
    author: str | None = None
    """The author's display name."""
    author_login: str | None = None
    """The name the author is known by: Cloud nickname, Data Center user name."""
    author_id: str | None = None
    """A stable ID: Cloud account UUID in braces, Data Center numeric user ID."""
    author_account_id: str | None = None
    """Cloud's Atlassian account ID (`557058:...`); None on Data Center."""
    source_branch: str | None = None
    destination_branch: str | None = None
    created_on: datetime | None = None
    updated_on: datetime | None = None
    url: str | None = None
    """The pull request's page in the browser."""
    draft: bool | None = None
    queued: bool | None = None
    """In a merge queue: Cloud's `queued` (or a QUEUED state); None where the server does
    not say, as where merge queues are off, and on Data Center, which has none."""
    description: str | None = None
    comment_count: int | None = None
    task_count: int | None = None
    source_commit: str | None = None
    destination_commit: str | None = None
    merge_commit: str | None = None
    closed_by: str | None = None
    closed_on: datetime | None = None
    """When it was merged or declined (or superseded); None while open, or where Bitbucket
    kept no record of the moment (docs/list.md, "Review data, and what it costs")."""
    reviewers: tuple[str, ...] | None = None
    """The display names of the requested reviewers."""
    reviewer_logins: tuple[str, ...] | None = None
    """The reviewers' Cloud nicknames or Data Center user names, in the same order."""
    participants: tuple[str, ...] | None = None
    """The display names of the others who took part: not the reviewers, not the author."""
    approved_by: tuple[str, ...] | None = None
    """Everyone whose approval stands, reviewers first."""
    changes_requested_by: tuple[str, ...] | None = None
    """Everyone whose "changes requested" (Cloud) or "needs work" (Data Center) stands."""
    # The review metrics (`METRIC_FIELDS`), made from the pull request's review events by
    # the definitions of docs/report.md (`report.metrics`): spans in whole seconds.
    ready_on: datetime | None = None
    """When it was ready for review: created, or made ready where the events show it; None
    while it is a draft."""
    first_review_on: datetime | None = None
    """The first comment, approval or change request by anyone but the author."""
    first_approval_on: datetime | None = None
    merged_on: datetime | None = None
    """`closed_on` of a MERGED pull request."""
    pickup_time: int | None = None
    """`first_review_on - ready_on`, in seconds."""
    review_time: int | None = None
    """`merged_on - first_review_on`, in seconds."""
    time_to_merge: int | None = None
    """`merged_on - ready_on`, in seconds."""
    approvals: int | None = None
    """How many people other than the author approved."""
    review_comments: int | None = None
    """Comments by others than the author."""
    changes_requested: int | None = None
    """How many times someone other than the author requested changes (needs work)."""
    merged_without_approval: bool | None = None
    people: tuple[Participant, ...] | None = None
    """Reviewers, then the other participants, each with role and verdict: the review
    fields above are made from this. Filled when any review field was asked for."""


FIELDS: tuple[str, ...] = tuple(name for name in PullRequest.__struct_fields__
                                if name != "people")
"""Every field a pull request record can carry, in output order (`people` is structured,
so it is the library's alone)."""

REVIEW_FIELDS = frozenset({"reviewers", "reviewer_logins", "participants", "approved_by",
                           "changes_requested_by"})
"""The fields made from `PullRequest.people`."""

METRIC_FIELDS = frozenset({"ready_on", "first_review_on", "first_approval_on", "merged_on",
                           "pickup_time", "review_time", "time_to_merge", "approvals",
                           "review_comments", "changes_requested", "merged_without_approval"})
"""The review metrics: made from the review events (docs/report.md), never sent by a server."""
SPAN_FIELDS = frozenset({"pickup_time", "review_time", "time_to_merge"})
"""The metrics that are durations, in whole seconds."""


class ReviewFields(TypedDict, total=False):
    people: tuple[Participant, ...]
    reviewers: tuple[str, ...]
    reviewer_logins: tuple[str, ...]
    participants: tuple[str, ...]
    approved_by: tuple[str, ...]
    changes_requested_by: tuple[str, ...]


def review_fields(people: tuple[Participant, ...] | None) -> ReviewFields:
    """`people` and the review fields made from them (reviewers first), as `PullRequest`
    keyword arguments; none for None. The one place where both flavours and the local copy
    agree on what each field means."""
    if people is None:
        return {}
    reviewers = [person for person in people if person.role == "REVIEWER"]
    return {
        "people": people,
        "reviewers": tuple(person.name or "" for person in reviewers),
        "reviewer_logins": tuple(person.login or "" for person in reviewers),
        "participants": tuple(person.name or "" for person in people
                              if person.role == "PARTICIPANT"),
        "approved_by": tuple(person.name or "" for person in people if person.approved),
        "changes_requested_by": tuple(person.name or "" for person in people
                                      if person.changes_requested),
    }

EVENT_KINDS: tuple[str, ...] = (
    "opened", "ready", "comment", "approval", "unapproval", "changes_requested", "updated",
    "rescoped", "merged", "declined", "superseded", "reopened",
)
"""bbpr's words for what happened to a pull request, in both flavours: `ready` is a draft
made ready for review, `changes_requested` Cloud's change request or Data Center's "needs
work", `unapproval` an approval taken back (Data Center shows it), `rescoped` new commits
(Data Center). An event of a kind bbpr does not know is kept as `other:` and the server's
word for it."""


class ReviewEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One thing that happened to a pull request, as its activity feed tells it."""

    pull_request: int
    kind: str
    """One of `EVENT_KINDS`, or `other:` and the server's word."""
    on: datetime
    """When (UTC)."""
    key: str
    """What makes it one event, whichever page or feed it was read from: a comment's ID,
    else its kind, time and who."""
    user_id: str | None = None
    """Who: Cloud account UUID in braces, Data Center numeric user ID (as `author_id`)."""
    login: str | None = None
    name: str | None = None
    inline: bool | None = None
    """For a comment: on a line of the diff (True) or on the pull request (False)."""


DEFAULT_FIELDS: tuple[str, ...] = (
    "id",
    "repository",
    "title",
    "state",
    "author",
    "source_branch",
    "destination_branch",
    "created_on",
    "updated_on",
    "url",
)
"""The fields of JSON, NDJSON, CSV and TSV records unless `--fields` says otherwise."""


class Repository(msgspec.Struct, frozen=True, kw_only=True):
    """A repository as bbpr addresses it: its owner (workspace or project key) and slug."""

    owner: str
    slug: str
    name: str | None = None
    project: str | None = None
    """The Cloud project key the repository belongs to, where the listing tells it."""

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.slug}"


class Query(msgspec.Struct, frozen=True, kw_only=True):
    """Which pull requests to list, in flavour-neutral terms.

    `author`, `source` and `destination` are matched exactly; `text` is a raw filter in the
    server's own language (BBQL on Cloud) and is passed through untouched.
    """

    states: frozenset[State] = frozenset({"OPEN"})
    author: str | None = None
    source: str | None = None
    destination: str | None = None
    updated_since: datetime | None = None
    created_since: datetime | None = None
    reviewers: tuple[str, ...] = ()
    """People who must all be among the requested reviewers, each as the user gave them
    (nickname or user name, display name, `{uuid}`, account ID)."""
    draft: bool | None = None
    """Only drafts (True), only pull requests that are not drafts (False), or both (None)."""
    text: str | None = None
    fields: frozenset[str] = frozenset(DEFAULT_FIELDS)
    """The record fields the caller will read: bbpr fetches no more than these."""
    exclude_users: tuple[str, ...] = ()
    """Accounts (logins, display names or user IDs: a bot) whose review events the review
    metrics among `fields` leave out (`--exclude-user`); no filter of pull requests."""


class Owner(msgspec.Struct, frozen=True, kw_only=True):
    """A Cloud workspace or a Data Center project, as a credential sees it."""

    key: str
    """The workspace ID, or the project key."""
    name: str | None = None


class ScopeCheck(msgspec.Struct, frozen=True, kw_only=True):
    """Scopes a credential lacks: those the task needs, and those that only help."""

    missing_required: tuple[str, ...] = ()
    missing_useful: tuple[str, ...] = ()
    problem: str | None = None
    """What is wrong, in words, as in "the token has no scopes"; None when nothing is."""


class Person(msgspec.Struct, frozen=True, kw_only=True):
    """A user as a server's user search returns them (Data Center)."""

    login: str
    """The user name person filters take."""
    name: str | None = None
    """The display name."""
    email: str | None = None


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    """Who the server says the credential belongs to, and what it may do."""

    server: str
    """What answered: "Bitbucket Cloud", "Bitbucket Data Center 9.4.3"."""
    name: str | None = None
    login: str | None = None
    scopes: frozenset[str] | None = None
    """The scopes granted, where the server tells them (Cloud)."""
    credential_type: str | None = None
    user_id: str | None = None
    """What person filters take for this user: the Cloud account UUID, the Data Center login."""
    note: str | None = None
    """Why `name` is unknown, when it is."""


class StateCounts(msgspec.Struct, frozen=True, kw_only=True):
    """How many pull requests a repository holds in each state (`bbpr list --count`), and
    what the numbers rest on."""

    repository: str
    counts: dict[str, int]
    """Per state, in the order of `STATES`."""
    total: int | None = None
    """Every state at once, as the server counts it (Cloud); None where it gives no count."""
    highest_id: int | None = None
    """The highest pull request ID (Cloud); with `total`, the proof of `1..highest_id`."""
    rests_on: str = ""
    """In words: the server's counts, or a listing, and what the two numbers prove."""
