"""Data Center's pull request list: its parameters, filters and order.

Choices where Data Center's behaviour is not documented precisely:

- Order. `order=NEWEST` (the default) lists the most recently UPDATED pull request first,
  `OLDEST` the least recently updated first; ties fall back to the id (descending for
  NEWEST, ascending for OLDEST), so the order is total and deterministic. Sources: the
  OpenAPI says only "NEWEST" / "OLDEST (as in: 'oldest first')" and the javadoc of
  `PullRequestOrder` says "newer pull requests should be shown before older ones"; neither
  names the date, and no public report settles it. The emulator defaults to the update
  time because it is the harder case for a client (a pull request that changes while a
  client pages jumps to page one, so later pages shift and one is never seen); a client
  that survives it survives creation order too. `settings.dc_order_by = "id"` orders by
  id (= creation) instead.
- An unknown `order` value falls back to NEWEST, as `PullRequestOrder.fromString(value,
  default)` does. An unknown `state`, `direction` or `role.N` is a 400.
- `state` is case-insensitive: OPEN (default), DECLINED, MERGED or ALL.
- `at` must be fully qualified (`refs/heads/main`), as the parameter's documentation says;
  a bare branch name matches nothing. It applies to the target branch (INCOMING, the
  default) or to the source branch (OUTGOING).
- `filterText`: a case-insensitive substring of the title or the description.
- Participant filters `username.N` (with optional `role.N`, `approved.N`) are ANDed; the
  numbering must start at 1 and be continuous, later ones are ignored, at most 10 count. A
  filter without a role matches the author, a reviewer or a participant.
- `draft=true|false` filters on the draft flag; any other value counts as false.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..data import PullRequest
from . import render
from .data import DcRepository, DcStore
from .errors import bad_parameter

STATE_CHOICES = ("OPEN", "DECLINED", "MERGED")
ROLES = ("AUTHOR", "REVIEWER", "PARTICIPANT")
MAX_PARTICIPANT_FILTERS = 10
_CACHE_SIZE = 32

Query = dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class ParticipantFilter:
    username: str  # lower case
    role: str | None
    approved: bool | None


@dataclass(frozen=True, slots=True)
class ListQuery:
    states: frozenset[str]
    newest_first: bool
    outgoing: bool
    at: str | None
    draft: bool | None
    filter_text: str | None
    participants: tuple[ParticipantFilter, ...]

    @classmethod
    def parse(cls, query: Query) -> ListQuery:
        return cls(
            states=_states(_last(query, "state") or "OPEN"),
            newest_first=(_last(query, "order") or "NEWEST").upper() != "OLDEST",
            outgoing=_direction(_last(query, "direction") or "INCOMING"),
            at=_last(query, "at") or None,
            draft=None if "draft" not in query else (_last(query, "draft") or "").lower() == "true",
            filter_text=(_last(query, "filterText") or "").lower() or None,
            participants=_participant_filters(query),
        )


def _last(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[-1].strip() if values else None


def _states(value: str) -> frozenset[str]:
    state = value.upper()
    if state == "ALL":
        return frozenset(STATE_CHOICES)
    if state not in STATE_CHOICES:
        raise bad_parameter("state", f"Invalid pull request state '{value}'; use OPEN, "
                            "DECLINED, MERGED or ALL.")  # fmt: skip
    return frozenset({state})


def _direction(value: str) -> bool:
    direction = value.upper()
    if direction not in ("INCOMING", "OUTGOING"):
        raise bad_parameter("direction", f"Invalid direction '{value}'; use INCOMING or OUTGOING.")
    return direction == "OUTGOING"


def _participant_filters(query: Query) -> tuple[ParticipantFilter, ...]:
    filters = []
    for number in range(1, MAX_PARTICIPANT_FILTERS + 1):
        username = _last(query, f"username.{number}")
        if not username:
            break
        role = (_last(query, f"role.{number}") or "").upper() or None
        if role is not None and role not in ROLES:
            raise bad_parameter(f"role.{number}", f"Invalid role '{role}'; use AUTHOR, "
                                "REVIEWER or PARTICIPANT.")  # fmt: skip
        approved = _last(query, f"approved.{number}")
        wanted = None if not approved else approved.lower() == "true"
        filters.append(ParticipantFilter(username.lower(), role, wanted))
    return tuple(filters)


class PullRequestLister:
    """Filters and orders the pull requests of a repository, caching the result per query
    and data version, so paging through many pull requests costs one pass plus a slice."""

    def __init__(self, store: DcStore) -> None:
        self.store = store
        self._cache: OrderedDict[tuple[object, ...], list[PullRequest]] = OrderedDict()

    def select(self, repo: DcRepository, query: ListQuery, order_by: str) -> list[PullRequest]:
        """The matching pull requests in list order. The caller holds the store lock."""
        key = (repo.id, self.store.version, query, order_by)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        selected = [pr for pr in repo.records().values() if self._matches(pr, query)]
        selected.sort(key=_order_key(order_by), reverse=query.newest_first)
        self._cache[key] = selected
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return selected

    def _matches(self, pr: PullRequest, query: ListQuery) -> bool:
        if pr.state not in query.states:
            return False
        if query.draft is not None and pr.draft != query.draft:
            return False
        if query.at is not None:
            branch = pr.source_branch if query.outgoing else pr.destination_branch
            if f"refs/heads/{branch}" != query.at:
                return False
        if query.filter_text is not None:
            text = f"{pr.title}\n{render.description_of(pr)}".lower()
            if query.filter_text not in text:
                return False
        return all(self._involves(pr, wanted) for wanted in query.participants)

    def _involves(self, pr: PullRequest, wanted: ParticipantFilter) -> bool:
        people = render.people("", pr, self.store)
        roles = [("AUTHOR", self.store.user_for(pr.author).name, False)]
        for role in ("reviewers", "participants"):
            roles.extend((p["role"], p["user"]["name"], p["approved"]) for p in people[role])
        return any(
            name.lower() == wanted.username
            and wanted.role in (None, role)
            and wanted.approved in (None, approved)
            for role, name, approved in roles
        )


def _order_key(order_by: str) -> Callable[[PullRequest], Any]:
    if order_by == "id":
        return lambda pr: pr.id
    if order_by == "updated":
        return lambda pr: (pr.updated_on, pr.id)
    raise ValueError(f"settings.dc_order_by must be 'updated' or 'id', not {order_by!r}")
