"""The records bbpr hands out, the same for Bitbucket Cloud and Data Center.

`PullRequest` is what both APIs are translated into: Data Center values are mapped to Cloud's
names (states upper case, times as UTC datetimes), so nothing above the `cloud` and
`datacenter` modules knows there are two flavours. Fields that were not asked for stay `None`:
bbpr trims what it fetches to what the output needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

State = Literal["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]
STATES: tuple[State, ...] = ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")

Flavour = Literal["cloud", "datacenter"]


class PullRequest(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=False):
    """One pull request. `id` is unique within its repository only."""

    id: int
    repository: str
    """`workspace/repo-slug` on Cloud, `PROJECT/repo-slug` on Data Center."""
    title: str | None = None
    state: State | None = None
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
    description: str | None = None
    comment_count: int | None = None
    task_count: int | None = None
    source_commit: str | None = None
    destination_commit: str | None = None
    merge_commit: str | None = None
    closed_by: str | None = None


FIELDS: tuple[str, ...] = tuple(PullRequest.__struct_fields__)
"""Every field a pull request record can carry, in output order."""

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
    text: str | None = None
    fields: frozenset[str] = frozenset(DEFAULT_FIELDS)
    """The record fields the caller will read: bbpr fetches no more than these."""


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
