"""Whether a pull request meets a query: the check every scan applies to every record.

bbpr never trusts a server to have applied a filter (docs/server-assumptions.md, "What bbpr
assumes of the server, and how it checks"): Cloud has been seen to drop the `state`
parameters when a `q` is present, and to answer filters it cannot apply with a 500 or by
ignoring them. So each record that comes back is checked here against what was asked, a
record that fails is dropped, and the names of the failed conditions tell the scan what the
server ignored.

Flavour-neutral and pure: the checks read `PullRequest` fields only, never wire structs,
and `fields_to_check` names those fields so that every scan asks the server for them.
Comparisons are tolerant where servers are (user names and IDs ignore case and braces),
so that a check never drops a record the server rightly returned.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..models import STATES, Participant, PullRequest, Query, placed_state

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def failed_conditions(pull_request: PullRequest, query: Query) -> frozenset[str]:
    """The names of `query`'s conditions that `pull_request` does not meet; empty means it
    matches. A field the record lacks fails its condition: it cannot be shown to hold."""
    return frozenset(name for name, holds in _CHECKS if holds(pull_request, query) is False)


def fields_to_check(query: Query) -> frozenset[str]:
    """The record fields the checks of `query` read, to be fetched besides `query.fields`.

    Only what the query's conditions need, so that `--format ids` stays cheap.
    """
    needed = {"id", "state"}
    if query.author:
        needed |= _author_fields(query.author)
    if query.source:
        needed.add("source_branch")
    if query.destination:
        needed.add("destination_branch")
    if query.updated_since is not None:
        needed.add("updated_on")
    if query.created_since is not None:
        needed.add("created_on")
    if query.reviewers:
        needed.add("reviewers")  # which brings `people`, where the checks look
    if query.draft is not None:
        needed.add("draft")
    return frozenset(needed)


def author_kind(author: str) -> str:
    """How an `--author` value names a person: "uuid" (`{...}` or bare), "account_id"
    (Atlassian account IDs, `557058:...` or 24 hex digits) or "name" (login or display name).
    """
    key = author.strip().strip("{}").lower()
    if _UUID.match(key):
        return "uuid"
    if ":" in author or re.fullmatch(r"[0-9a-f]{24}", key):
        return "account_id"
    return "name"


def _author_fields(author: str) -> set[str]:
    kind = author_kind(author)
    if kind == "uuid":
        return {"author_id"}
    if kind == "account_id":
        return {"author_account_id"}
    return {"author", "author_login"}


def asks_every_state(query: Query) -> bool:
    """`--state all`: every record whatever its state, one bbpr never saw included."""
    return query.states >= frozenset(STATES)


def unplaced_state(pull_request: PullRequest, query: Query) -> bool:
    """Whether the record's state is one bbpr cannot place under the states asked for (a
    state it never saw, or none): neither listed nor dropped, but said (see `listing`)."""
    return not asks_every_state(query) and placed_state(pull_request.state) is None


def _state(pull_request: PullRequest, query: Query) -> bool | None:
    if asks_every_state(query):
        return True
    placed = placed_state(pull_request.state)
    return None if placed is None else placed in query.states


def _author(pull_request: PullRequest, query: Query) -> bool | None:
    if not query.author:
        return None
    kind = author_kind(query.author)
    wanted = _id_key(query.author)
    if kind == "uuid":
        return _id_key(pull_request.author_id) == wanted
    if kind == "account_id":
        return _id_key(pull_request.author_account_id) == wanted
    names = (pull_request.author_login, pull_request.author)
    return any(name is not None and name.casefold() == query.author.casefold() for name in names)


def _source(pull_request: PullRequest, query: Query) -> bool | None:
    return None if not query.source else pull_request.source_branch == query.source


def _destination(pull_request: PullRequest, query: Query) -> bool | None:
    return None if not query.destination else pull_request.destination_branch == query.destination


def _updated_since(pull_request: PullRequest, query: Query) -> bool | None:
    if query.updated_since is None:
        return None
    return pull_request.updated_on is not None and pull_request.updated_on >= query.updated_since


def _created_since(pull_request: PullRequest, query: Query) -> bool | None:
    if query.created_since is None:
        return None
    return pull_request.created_on is not None and pull_request.created_on >= query.created_since


def _reviewer(pull_request: PullRequest, query: Query) -> bool | None:
    """Every person named must be among the requested reviewers."""
    if not query.reviewers:
        return None
    if pull_request.people is None:
        return False
    reviewers = [person for person in pull_request.people if person.role == "REVIEWER"]
    return all(any(is_person(who, person) for person in reviewers) for who in query.reviewers)


def is_person(who: str, person: Participant) -> bool:
    """Whether a WHO value (as for `--author`) names this participant."""
    kind = author_kind(who)
    if kind == "uuid":
        return _id_key(person.id) == _id_key(who)
    if kind == "account_id":
        return _id_key(person.account_id) == _id_key(who)
    return any(name is not None and name.casefold() == who.casefold()
               for name in (person.login, person.name))


def _draft(pull_request: PullRequest, query: Query) -> bool | None:
    if query.draft is None:
        return None
    # No `draft` at all: a server without drafts. A DRAFT state is a draft whatever the flag.
    is_draft = bool(pull_request.draft) or pull_request.state == "DRAFT"
    return is_draft == query.draft


def _id_key(value: str | None) -> str | None:
    """An ID as servers compare it: without braces or surrounding space, in lower case."""
    return None if value is None else value.strip().strip("{}").lower()


_CHECKS: tuple[tuple[str, Callable[[PullRequest, Query], bool | None]], ...] = (
    ("state", _state),
    ("author", _author),
    ("source", _source),
    ("destination", _destination),
    ("updated_since", _updated_since),
    ("created_since", _created_since),
    ("reviewer", _reviewer),
    ("draft", _draft),
)
"""Each condition's name and its check: True holds, False fails, None is not asked."""
