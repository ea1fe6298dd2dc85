"""The pull request activity feeds: `/pullrequests/activity` (every pull request of a
repository) and `/pullrequests/{id}/activity` (one).

What the spec says (its description of both endpoints, with examples): a paged list of
entries, each with `pull_request` (a short pull request: type, id, title, links) and one of
`update` (a snapshot: title, description, reason, source, destination, state, author, date),
`approval` (date, user, pullrequest), `comment` (a pull request comment) or a change
request. Choices where it says nothing, made so that a robust client works:

- Newest first, across pull requests; ties by pull request id, then kind. A client must
  not depend on it: `settings.activity_oldest_first` turns it round.
- Paged by an opaque cursor: `next` is the request's own URL with `ctx` replaced, and has no
  `size` or `page` (the live feed's envelope has neither). `pagelen` defaults to 10; above
  50 is a 400 "Invalid pagelen", as on the pull request list.
- `fields=` trims entries as everywhere else. `q` is ignored, as live (BCLOUD-21067).
- Change requests are `changes_request` entries shaped like approvals (date, user,
  pullrequest); the spec shows no example.

The entries come from `review`, the same timeline the pull requests' `participants` use.
"""

from __future__ import annotations

import base64
import binascii
import random
from collections import OrderedDict
from typing import Any

from .. import prose
from ..data import PullRequest, Repository, Store
from ..messages import ApiError, Request, Response, json_response
from ..settings import Settings
from . import fields, render, review
from .access import visible_repository
from .auth import Principal

MAX_PAGELEN = 50
DEFAULT_PAGELEN = 10
_KIND_ORDER = {"closed": 4, "approval": 3, "changes_request": 2, "comment": 1, "opened": 0}
_CACHE_SIZE = 8

JsonObject = dict[str, Any]


class Activity:
    """Both activity endpoints over one Store."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._cache: OrderedDict[tuple[str, int], list[review.Event]] = OrderedDict()

    def of_repository(self, request: Request, ws: str, slug: str,
                      principal: Principal) -> Response:
        with self.store.lock:
            repository = visible_repository(self.store, principal, ws, slug)
            return self._page(request, repository, self._events(repository))

    def of_pull_request(self, request: Request, ws: str, slug: str, number: int,
                        principal: Principal) -> Response:
        with self.store.lock:
            repository = visible_repository(self.store, principal, ws, slug)
            if not 1 <= number <= len(repository.pull_requests):
                raise ApiError(404, "No such pull request")
            record = repository.pull_requests[number - 1]
            return self._page(request, repository, _newest_first(
                review.events(record, self.store.accounts)))

    def closed_on(self, repository: Repository) -> dict[int, Any]:
        """Ground truth for tests: the close time the activity shows for each closed pull
        request (None where it shows none)."""
        with self.store.lock:
            return {pr.id: None if review.merged_by_push(pr) else review.closed_on(pr)
                    for pr in repository.pull_requests if pr.state != "OPEN"}

    def _events(self, repository: Repository) -> list[review.Event]:
        key = (repository.uuid, self.store.version)
        cached = self._cache.get(key)
        if cached is None:
            cached = _newest_first([event for pr in repository.pull_requests
                                    for event in review.events(pr, self.store.accounts)])
            self._cache[key] = cached
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return cached

    def _page(self, request: Request, repository: Repository,
              events: list[review.Event]) -> Response:
        if self.settings.activity_oldest_first:
            events = events[::-1]
        pagelen = _pagelen(request)
        start = _offset(request)
        api = request.base_url + "/2.0"
        chosen = events[start : start + pagelen]
        body: JsonObject = {"pagelen": pagelen,
                            "values": [_entry(api, repository, event) for event in chosen]}
        if start + pagelen < len(events):
            body["next"] = _next_url(request, start + pagelen)
        spec = fields.parse(request.query.get("fields", []))
        return json_response(200, fields.apply(body, spec))


def _newest_first(events: list[review.Event]) -> list[review.Event]:
    return sorted(events, key=lambda e: (e.date, e.pr.id, _KIND_ORDER[e.kind], e.number),
                  reverse=True)


def _pagelen(request: Request) -> int:
    values = request.query.get("pagelen")
    try:
        pagelen = int(values[-1]) if values else DEFAULT_PAGELEN
    except ValueError:
        pagelen = 0
    if not 1 <= pagelen <= MAX_PAGELEN:
        raise ApiError(400, "Invalid pagelen")
    return pagelen


def _offset(request: Request) -> int:
    values = request.query.get("ctx")
    if not values:
        return 0
    try:
        return int(base64.urlsafe_b64decode(values[-1].encode()).decode().removeprefix("o"))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "Invalid ctx") from None


def _next_url(request: Request, offset: int) -> str:
    cursor = base64.urlsafe_b64encode(f"o{offset}".encode()).decode()
    kept = [part for part in request.raw_query.split("&")
            if part and part.split("=", 1)[0] != "ctx"]
    return f"{request.base_url}{request.path}?{'&'.join([*kept, f'ctx={cursor}'])}"


def _entry(api: str, repository: Repository, event: review.Event) -> JsonObject:
    pr = event.pr
    stub = _pull_request_stub(api, repository, pr)
    when = render.timestamp(event.date)
    if event.kind in ("opened", "closed"):
        return {"update": _update(api, repository, pr, event), "pull_request": stub}
    if event.kind == "comment":
        return {"comment": _comment(api, repository, event, stub), "pull_request": stub}
    who = render.account(api, event.who)
    return {event.kind: {"date": when, "pullrequest": stub, "user": who}, "pull_request": stub}


def _pull_request_stub(api: str, repository: Repository, pr: PullRequest) -> JsonObject:
    return {
        "type": "pullrequest",
        "id": pr.id,
        "title": pr.title,
        "links": {
            "self": {"href": f"{api}/repositories/{repository.full_name}/pullrequests/{pr.id}"},
            "html": {"href": f"{render.WEB}/{repository.full_name}/pull-requests/{pr.id}"},
        },
    }


def _update(api: str, repository: Repository, pr: PullRequest,
            event: review.Event) -> JsonObject:
    full = render.pull_request(api, repository, pr)
    return {
        "description": full["description"],
        "title": pr.title,
        "destination": full["destination"],
        "reason": full["reason"] if event.kind == "closed" else "",
        "source": full["source"],
        "state": pr.state if event.kind == "closed" else "OPEN",
        "author": full["author"],
        "date": render.timestamp(event.date),
    }


def _comment(api: str, repository: Repository, event: review.Event,
             stub: JsonObject) -> JsonObject:
    pr = event.pr
    number = pr.id * 1000 + event.number
    text = prose.title(random.Random(f"comment/{pr.text_seed}/{event.number}"))  # noqa: S311
    here = f"{api}/repositories/{repository.full_name}/pullrequests/{pr.id}/comments/{number}"
    return {
        "id": number,
        "created_on": render.timestamp(event.date),
        "updated_on": render.timestamp(event.date),
        "content": {"raw": text, "markup": "markdown", "html": prose.paragraph_html(text)},
        "user": render.account(api, event.who),
        "deleted": False,
        "links": {
            "self": {"href": here},
            "html": {"href": f"{render.WEB}/{repository.full_name}/pull-requests/{pr.id}"
                             f"/_/diff#comment-{number}"},
        },
        "pullrequest": stub,
        "type": "pullrequest_comment",
    }
