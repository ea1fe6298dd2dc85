"""`/2.0/repositories/{workspace}/{repo_slug}/pullrequests[/{id}]`.

Choices where Bitbucket's behaviour is unclear, made so that a robust client works:

- States: with `state` parameters (repeatable, case-insensitive; anything but OPEN, MERGED,
  DECLINED or SUPERSEDED is a 400, including `ALL` and comma lists) only those states are
  listed. Without them the default is OPEN only, unless `q` itself compares `state`
  (`q=state="MERGED"` lists merged pull requests, as atlassian-python-api users rely on).
  When both `state` and `q` are present, the `state` parameters are NOT applied: the
  listing is the one `q` alone gives (OPEN only unless `q` compares `state`), as the live
  tests in the facts file saw (`state=MERGED` plus a `q` returned OPEN pull requests).
  `settings.state_with_q = "applied"` makes both apply instead.
- Order: without `sort`, newest first (descending `id`). With `sort=field` / `sort=-field`
  (any comparable field path), ties keep ascending `id`; nulls sort first ascending.
  `settings.sort_ignored` answers every listing, sorted or not, in the server's own order:
  the most recently updated first (the harder order for a client: a pull request that
  changes jumps to the front while the pages are read).
- `id` comparisons in `q`: honoured by default; `settings.id_filters` makes them a 400 or a
  500 (as for fields that exist but cannot be filtered, BCLOUD-22709), or silently ignored
  (the comparison holds for every pull request).
- The live vocabulary, each a switch of `settings`: drafts left out of lists
  (`drafts_hidden`), merge-queued pull requests as `state: QUEUED` or OPEN with
  `queued: true` (`merge_queue`), and a plain `fields=` list that drops `+` entries beside
  it (`mixed_fields`).
- Filtered and sorted listings are cached per query and data version, so paging through
  100,000 pull requests costs one filter and then a slice per page.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..data import NOW, STATES, Account, PullRequest, Repository, Store
from ..messages import ApiError, Request, Response, json_response
from ..settings import Settings
from . import bbql, fields, render
from .access import visible_repository
from .auth import Principal
from .paging import envelope, page_request

HIDDEN_IN_LISTS = ("values.reviewers", "values.participants")
_CACHE_SIZE = 32

Getter = Callable[[PullRequest], object]


def _account_getters(
    prefix: str, pick: Callable[[PullRequest], Account | None]
) -> dict[bbql.Path, Getter]:
    def getter(attribute: str) -> Getter:
        return lambda pr: getattr(pick(pr), attribute, None)

    names = ("uuid", "account_id", "nickname", "display_name")
    fast: dict[bbql.Path, Getter] = {(prefix, name): getter(name) for name in names}
    fast[(prefix, "type")] = lambda pr: "user" if pick(pr) else None
    return fast


# Paths answered straight from the compact record; any other path renders the full object.
_FAST: dict[bbql.Path, Getter] = {
    ("id",): lambda pr: pr.id,
    ("type",): lambda pr: "pullrequest",
    ("title",): lambda pr: pr.title,
    ("state",): lambda pr: pr.state,
    ("draft",): lambda pr: pr.draft,
    ("created_on",): lambda pr: pr.created_on,
    ("updated_on",): lambda pr: pr.updated_on,
    ("comment_count",): lambda pr: pr.comment_count,
    ("task_count",): lambda pr: pr.task_count,
    ("close_source_branch",): lambda pr: pr.close_source_branch,
    ("reason",): render.decline_reason,
    ("source", "branch", "name"): lambda pr: pr.source_branch,
    ("destination", "branch", "name"): lambda pr: pr.destination_branch,
    **_account_getters("author", lambda pr: pr.author),
    **_account_getters("closed_by", lambda pr: pr.closed_by),
}


class PullRequests:
    """The two pull request endpoints over one Store."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._cache: OrderedDict[tuple[Any, ...], list[PullRequest]] = OrderedDict()
        self._schema = self._build_schema()

    def _build_schema(self) -> dict[bbql.Path, str]:
        with self.store.lock:
            repository = next(iter(self.store.repositories.values()))
            accounts = self.store.accounts
        # A merged pull request has every field filled in, so every path gets a kind.
        sample = PullRequest(
            id=1,
            title="sample",
            state="MERGED",
            draft=False,
            author=accounts[0],
            closed_by=accounts[1],
            created_on=NOW,
            updated_on=NOW,
            source_branch="feature/sample-1",
            destination_branch="main",
            comment_count=0,
            task_count=0,
            close_source_branch=True,
            text_seed=0,
        )
        return bbql.schema_of(render.pull_request("", repository, sample, people_from=accounts))

    def list_page(self, request: Request, ws: str, slug: str, principal: Principal) -> Response:
        query = request.query
        api = request.base_url + "/2.0"
        with self.store.lock:
            repository = visible_repository(self.store, principal, ws, slug)
            states = _states(query.get("state", []))
            spec = self._fields(query.get("fields", []))
            paging = page_request(request, self.settings.max_pagelen)
            people = self.store.accounts if spec and _wants_people(spec) else None
            selected = self._select(
                repository, api, states, query.get("q", [""])[-1], query.get("sort", [""])[-1]
            )
            page = selected[paging.start : paging.start + paging.pagelen]
            values = [self._rendered(api, repository, pr, people) for pr in page]
        body = envelope(
            request, values, len(selected), paging, include_size=not self.settings.omit_size
        )
        if "size" in body and self.settings.size_off_by:
            body["size"] = max(0, body["size"] + self.settings.size_off_by)
        hidden = HIDDEN_IN_LISTS if people is not None else ()
        return json_response(200, fields.apply(body, spec, hidden))

    def one(
        self, request: Request, ws: str, slug: str, number: int, principal: Principal
    ) -> Response:
        spec = self._fields(request.query.get("fields", []))
        with self.store.lock:
            repository = visible_repository(self.store, principal, ws, slug)
            records = repository.pull_requests  # index = id - 1
            if not 1 <= number <= len(records) or number in self.settings.missing_ids:
                raise ApiError(404, "No such pull request")
            body = self._rendered(request.base_url + "/2.0", repository, records[number - 1],
                                  self.store.accounts)
        return json_response(200, fields.apply(body, spec))

    def all_rendered(self, repository: Repository, api: str) -> list[dict[str, Any]]:
        """Ground truth for tests: every pull request as the single-PR endpoint renders it."""
        with self.store.lock:
            return [self._rendered(api, repository, pr, self.store.accounts)
                    for pr in repository.pull_requests if pr.id not in self.settings.missing_ids]

    def _rendered(self, api: str, repository: Repository, pr: PullRequest,
                  people: list[Account] | None) -> dict[str, Any]:
        """A pull request as served: `render`'s, with a merge queue where it is switched on."""
        body = render.pull_request(api, repository, pr, people_from=people)
        if self.settings.merge_queue != "off":
            body["queued"] = queued(pr)
            if body["queued"] and self.settings.merge_queue == "state":
                body["state"] = "QUEUED"
        return body

    def _fields(self, values: list[str]) -> fields.FieldSpec | None:
        spec = fields.parse(values)
        if spec and spec.explicit and self.settings.mixed_fields == "plus-dropped":
            return dataclasses.replace(spec, added=())  # the plain list alone applies
        return spec

    def _select(
        self, repository: Repository, api: str, states: frozenset[str] | None, q: str, sort: str
    ) -> list[PullRequest]:
        settings = self.settings
        key = (repository.uuid, self.store.version, api, states, q, sort, settings.id_filters,
               settings.state_with_q, settings.sort_ignored, settings.drafts_hidden,
               settings.missing_ids)  # fmt: skip
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        selected = self._compute(repository, api, states, q, sort)
        self._cache[key] = selected
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return selected

    def _compute(
        self, repository: Repository, api: str, states: frozenset[str] | None, q: str, sort: str
    ) -> list[PullRequest]:
        node = self._query(q) if q else None
        if node is not None and self.settings.state_with_q == "dropped":
            states = None  # as if the parameters were not there: the OPEN default holds
        if states is None and not (node and _mentions_state(node)):
            states = frozenset({"OPEN"})
        records = repository.pull_requests
        if self.settings.missing_ids:
            records = [pr for pr in records if pr.id not in self.settings.missing_ids]
        if states is not None and states != frozenset(STATES):
            records = [pr for pr in records if pr.state in states]
        if node is not None:
            if self.settings.id_filters == "ignored":
                node = _without_id(node)
            low, high = bbql.id_bounds(node)
            start = bisect.bisect_left(records, low, key=_id)
            end = bisect.bisect_right(records, high, key=_id)
            records = [
                pr for pr in records[start:end]
                if bbql.evaluate(node, self._resolver(repository, api, pr))
            ]
        if self._hides_drafts(node):
            records = [pr for pr in records if not pr.draft]
        return self._sorted(repository, api, records, sort)

    def _hides_drafts(self, node: bbql.Node | None) -> bool:
        """BCLOUD-23659: drafts left out of the list, unless `q` names `draft` (or always)."""
        hidden = self.settings.drafts_hidden
        if hidden == "unless-q-names-draft":
            return node is None or not any(c.path == ("draft",) for c in bbql.comparisons(node))
        return hidden == "always"

    def _query(self, q: str) -> bbql.Node:
        try:
            node = bbql.check(bbql.parse(q), self._schema)
        except bbql.QueryError as error:
            raise ApiError(400, str(error)) from None
        refused = self.settings.id_filters
        if refused in ("400", "500") and any(c.path == ("id",) for c in bbql.comparisons(node)):
            if refused == "400":
                raise ApiError(400, 'Field "id" does not support filtering')
            raise ApiError(500, "Something went wrong")
        return node

    def _sorted(
        self, repository: Repository, api: str, records: list[PullRequest], sort: str
    ) -> list[PullRequest]:
        if self.settings.sort_ignored:
            return sorted(records, key=lambda pr: (pr.updated_on, pr.id), reverse=True)
        if not sort:
            return records[::-1]  # records are kept in ascending id order
        descending = sort.startswith("-")
        path = tuple(sort.lstrip("-").split("."))
        if path not in self._schema:
            raise ApiError(400, f'Invalid sort: "{sort.lstrip("-")}" is not a sortable field')

        def sort_key(pr: PullRequest) -> tuple[int, Any]:
            found = [v for v in self._resolver(repository, api, pr)(path) if v is not None]
            return (1, found[0]) if found else (0, 0)

        return sorted(records, key=sort_key, reverse=descending)

    def _resolver(self, repository: Repository, api: str, pr: PullRequest) -> bbql.Resolver:
        full: dict[str, Any] | None = None

        def resolve(path: bbql.Path) -> list[object]:
            nonlocal full
            getter = _FAST.get(path)
            if getter is not None:
                value = getter(pr)
                return [] if value is None else [value]
            if full is None:
                full = render.pull_request(api, repository, pr, people_from=self.store.accounts)
            return bbql.lookup(full, path)

        return resolve


def queued(pr: PullRequest) -> bool:
    """Whether the pull request is in the merge queue, where the emulator has one: every
    fourth open one that is not a draft."""
    return pr.state == "OPEN" and not pr.draft and pr.id % 4 == 0


def _id(pr: PullRequest) -> int:
    return pr.id


def _states(values: list[str]) -> frozenset[str] | None:
    if not values:
        return None
    states = set()
    for value in values:
        state = value.strip().upper()
        if state not in STATES:
            raise ApiError(
                400,
                f'"{value}" is not a valid pull request state. '
                "Use OPEN, MERGED, DECLINED or SUPERSEDED, repeating the parameter for several.",
            )
        states.add(state)
    return frozenset(states)


def _without_id(node: bbql.Node) -> bbql.Node:
    """`node` with every `id` comparison made to hold for all, as a server that ignores them."""
    if isinstance(node, bbql.Comparison):
        return bbql.Comparison(("id",), ">", 0) if node.path == ("id",) else node
    return bbql.Junction(node.op, tuple(_without_id(term) for term in node.terms))


def _mentions_state(node: bbql.Node) -> bool:
    return any(c.path == ("state",) for c in bbql.comparisons(node))


def _wants_people(spec: fields.FieldSpec) -> bool:
    return spec.mentions("reviewers") or spec.mentions("participants")
