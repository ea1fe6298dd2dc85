"""A `Query` in Bitbucket Cloud's terms: `state` parameters, BBQL for `q`, and `fields=`."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from ..asked.matching import author_kind, fields_to_check
from ..models import REVIEW_FIELDS, STATES, Query, State

PAGELEN = 50
"""The pull request endpoint rejects more than 50 with 400 "Invalid pagelen"."""
EVERY_STATE: frozenset[State] = frozenset(STATES)

_PATHS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "repository": (),
    "title": ("title",),
    "state": ("state",),
    "author": ("author.display_name",),
    "author_login": ("author.nickname",),
    "author_id": ("author.uuid",),
    "author_account_id": ("author.account_id",),
    "source_branch": ("source.branch.name",),
    "destination_branch": ("destination.branch.name",),
    "created_on": ("created_on",),
    "updated_on": ("updated_on",),
    "url": ("links.html.href",),
    "draft": ("draft",),
    "queued": ("queued", "state"),
    "description": ("description",),
    "comment_count": ("comment_count",),
    "task_count": ("task_count",),
    "source_commit": ("source.commit.hash",),
    "destination_commit": ("destination.commit.hash",),
    "merge_commit": ("merge_commit.hash",),
    "closed_by": ("closed_by.display_name",),
    # The close time comes from the activity feed (see `activity`), which needs these.
    "closed_on": ("state", "created_on"),
    # `participants` lists the author too when they comment: the UUID tells them apart.
    **dict.fromkeys(REVIEW_FIELDS, ("author.uuid",)),
}
"""Which parts of Cloud's pull request object each record field is made from."""

_ACCOUNT_KEYS = ("display_name", "nickname", "uuid", "account_id")
_REVIEW_PATHS = (*(f"reviewers.{key}" for key in _ACCOUNT_KEYS),
                 *(f"participants.user.{key}" for key in _ACCOUNT_KEYS),
                 "participants.role", "participants.approved", "participants.state")
"""The parts of `reviewers` and `participants` the review fields read, for a plain list:
their accounts' links, most of their bytes, stay behind."""

FIELDS_FORMS = ("plain", "additive")
"""The two documented forms of `fields=`, one at a time (what Cloud does with both mixed
in one value is undocumented): a plain list naming every key needed, the envelope's
included ("only return" these), else the additive form alone (`+values.reviewers`, added
to the default rendering, which has every other key). Tried in this order, per server:
the plain list is smaller; a server that withholds a key from it gets the other."""


def fields_parameter(query: Query, prefix: str = "values.", form: str = "plain") -> str:
    """`fields=` naming only what the records need and what their checks read (see
    `matching`), plus the envelope keys paging reads (for a page: `prefix` "values.").
    In the additive `form`, only what the default leaves out: "" for nothing."""
    needed = query.fields | fields_to_check(query)
    if "OPEN" in query.states:
        needed |= {"draft"}  # not needed back, but a draft listed shows drafts are not hidden
    if form == "additive":
        added = ("reviewers", "participants") if needed & REVIEW_FIELDS else ()
        return ",".join(f"+{prefix}{key}" for key in added)
    paths = {"values.id", "next", "size", "page", "pagelen"} if prefix else {"id"}
    for name in needed:
        paths.update(f"{prefix}{path}" for path in _PATHS[name])
    if needed & REVIEW_FIELDS:
        paths.update(f"{prefix}{path}" for path in _REVIEW_PATHS)
    return ",".join(sorted(paths))


_NULL_WHILE_OPEN = frozenset({"merge_commit", "closed_by"})
"""Objects that are null on open pull requests: a plain list naming a key inside one
(`values.merge_commit.hash`) may bring no such key on a page of open ones, rightly."""


_WHERE_QUEUES_ARE = frozenset({"queued"})
"""Cloud's schema has `queued`, but a server without merge queues may leave it out: its
absence is no key withheld."""


def sent_keys(query: Query) -> frozenset[str]:
    """The keys of a pull request that must come back for the records the query needs: a
    page on which no record carries one of them is a server withholding it."""
    needed = query.fields | fields_to_check(query)
    keys = {path.split(".")[0] for name in needed for path in _PATHS[name]}
    if needed & REVIEW_FIELDS:
        keys |= {"reviewers", "participants"}
    return frozenset(keys - _NULL_WHILE_OPEN - _WHERE_QUEUES_ARE)


def bbql(states: frozenset[State], conditions: list[str], *extra: str | None) -> str:
    """The `q` to send: the state condition first, always. Cloud has been seen to drop the
    `state` parameters whenever `q` is present (see the facts file), so any `q` bbpr sends,
    an `id` range or a recount included, carries the states itself."""
    return " AND ".join([state_condition(states), *conditions, *(e for e in extra if e)])


def filter_conditions(query: Query) -> list[str]:
    """The query's filters other than its states, in BBQL, each a kind of condition the
    server may refuse or ignore; the user's own `--query` comes last, in parentheses."""
    conditions: list[str] = []
    if query.author:
        conditions.append(_person_condition("author", query.author))
    if query.source:
        conditions.append(f"source.branch.name = {quote(query.source)}")
    if query.destination:
        conditions.append(f"destination.branch.name = {quote(query.destination)}")
    if query.updated_since:
        conditions.append(f"updated_on >= {bbql_datetime(query.updated_since)}")
    conditions += review_conditions(query)
    if query.text:
        conditions.append(f"({query.text})")
    return conditions


def state_condition(states: frozenset[State]) -> str:
    """The states in BBQL. OPEN brings drafts explicitly: Atlassian's bug BCLOUD-23659 saw
    the list leave every draft out unless `q` names `draft`, and this is its workaround."""
    terms = [OPEN_CONDITION if state == "OPEN" else f"state = {quote(state)}"
             for state in STATES if state in states]
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


OPEN_CONDITION = '(state = "OPEN" AND (draft = true OR draft = false))'


def listing_q(states: frozenset[State], conditions: list[str]) -> str | None:
    """The `q` of a listing without `id` conditions: None only where nothing needs one (no
    filter, no OPEN: a `state=OPEN` without `q` may leave the drafts out)."""
    return bbql(states, conditions) if conditions or "OPEN" in states else None


def as_sent(query: Query) -> Query:
    """`query` as the server compares it: BBQL datetimes go to the second, so the records'
    check uses the moment that was sent, not a finer one the server never saw."""
    return msgspec.structs.replace(query, **{
        name: moment.replace(microsecond=0) for name in ("updated_since", "created_since")
        if (moment := getattr(query, name)) is not None})


def _person_condition(field: str, who: str) -> str:
    """`author` or `reviewers` (`field`) being the person `who` names: by UUID, account ID,
    or else nickname or display name in any case. `~` (contains, ignoring case) is the only
    BBQL comparison that ignores case: each record is then checked for the whole name
    (`matching`), so `Jonas` does not list `Jonas Becker`'s."""
    kind = author_kind(who)
    if kind == "uuid":
        return f"{field}.uuid = {quote('{' + who.strip().strip('{}').lower() + '}')}"
    if kind == "account_id":
        return f"{field}.account_id = {quote(who.strip())}"
    return f"({field}.nickname ~ {quote(who)} OR {field}.display_name ~ {quote(who)})"


def review_conditions(query: Query) -> list[str]:
    """`--reviewer` (each one a reviewer), `--created-since` and `--draft` in BBQL."""
    conditions = [_person_condition("reviewers", who) for who in query.reviewers]
    if query.created_since:
        # Whole seconds, rounded down: the server may return a little more, never less;
        # every record is checked against the exact moment afterwards.
        conditions.append(f"created_on >= {bbql_datetime(query.created_since)}")
    if query.draft is not None:
        conditions.append(f"draft = {'true' if query.draft else 'false'}")
    return conditions



def quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def bbql_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


