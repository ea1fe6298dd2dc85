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
- Change requests are `changes_requested` entries shaped like approvals (date, user,
  pullrequest), the key public clients of the live feed read (Atlassian's VS Code
  extension, Backstage plugins); the spec shows no example.
- `update` entries: the opening (state OPEN, `draft` as it was opened), a draft made ready
  (state OPEN, `changes: {"draft": {"old": true, "new": false}}`, as a live feed was seen
  to show it in 2026: `settings.ready_in_activity = "hidden"` leaves it out), and the close.
  Their `author` is the pull request's author, as in the spec's example: the feed names no
  actor. Reopening (Cloud has none; `live` can) is an OPEN update.
- A comment on a line of the diff has `inline` (`path`, and the line: `to`).
- `settings.unknown_activity` adds, to every third pull request, an entry of a kind no
  client knows (`{WORD: {date, user}}`), without a date with `unknown_activity_undated`.

The entries come from `review`, the same timeline the pull requests' `participants` use.
"""

from __future__ import annotations

import base64
import binascii
import random
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import prose
from ..data import Account, PullRequest, Repository, Store
from ..messages import ApiError, Request, Response, json_response
from ..settings import Settings
from ..timeline import Happening
from . import fields, render, review
from .access import visible_repository
from .auth import Principal

MAX_PAGELEN = 50
DEFAULT_PAGELEN = 10
_KIND_ORDER = {"closed": 6, "reopened": 6, "approval": 5, "changes_requested": 4, "ready": 3,
               "comment": 2, "opened": 0}
_CACHE_SIZE = 8
_HIDDEN = frozenset({"rescoped", "unapproval"})
"""What Cloud's feeds do not show: pushes, and approvals withdrawn."""

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Shown:
    """One entry of the feeds: a moment of the pull request's timeline, or (`happening`
    None) one of a kind no client knows (`settings.unknown_activity`)."""

    date: datetime
    pr: PullRequest
    happening: Happening | None
    word: str = ""
    """The unknown kind's key."""
    dated: bool = True


class Activity:
    """Both activity endpoints over one Store."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._cache: OrderedDict[tuple[object, ...], list[Shown]] = OrderedDict()

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
                shown(record, self.store.accounts, self.settings)))

    def closed_on(self, repository: Repository) -> dict[int, Any]:
        """Ground truth for tests: the close time the activity shows for each closed pull
        request (None where it shows none)."""
        with self.store.lock:
            return {pr.id: None if review.merged_by_push(pr) else review.closed_on(pr)
                    for pr in repository.pull_requests if pr.state != "OPEN"}

    def _events(self, repository: Repository) -> list[Shown]:
        settings = self.settings
        key = (repository.uuid, self.store.version, settings.ready_in_activity,
               settings.unknown_activity, settings.unknown_activity_undated)
        cached = self._cache.get(key)
        if cached is None:
            cached = _newest_first([entry for pr in repository.pull_requests
                                    for entry in shown(pr, self.store.accounts, settings)])
            self._cache[key] = cached
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return cached

    def _page(self, request: Request, repository: Repository,
              events: list[Shown]) -> Response:
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


def shown(pr: PullRequest, pool: list[Account], settings: Settings) -> list[Shown]:
    """What the feeds show of one pull request, in time order."""
    moments = review.happenings(pr, pool)
    entries = [Shown(happening.on, pr, happening) for happening in moments
               if happening.kind not in _HIDDEN
               and not (happening.kind == "closed" and review.merged_by_push(pr))
               and not (happening.kind == "ready" and settings.ready_in_activity == "hidden")]
    if settings.unknown_activity and pr.id % 3 == 0:
        middle = moments[0].on + (moments[-1].on - moments[0].on) / 2
        entries.append(Shown(middle, pr, None, settings.unknown_activity,
                             dated=not settings.unknown_activity_undated))
    return sorted(entries, key=_order)


def _order(entry: Shown) -> tuple[datetime, int, int, int]:
    happening = entry.happening
    kind_order = 1 if happening is None else _KIND_ORDER[happening.kind]
    return (entry.date, entry.pr.id, kind_order, happening.number if happening else 0)


def _newest_first(entries: list[Shown]) -> list[Shown]:
    return sorted(entries, key=_order, reverse=True)


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


def _entry(api: str, repository: Repository, entry: Shown) -> JsonObject:
    pr, happening = entry.pr, entry.happening
    stub = _pull_request_stub(api, repository, pr)
    when = render.timestamp(entry.date)
    if happening is None:
        body: JsonObject = {"date": when} if entry.dated else {}
        return {entry.word: {**body, "user": render.account(api, pr.author)},
                "pull_request": stub}
    if happening.kind in ("opened", "ready", "closed", "reopened"):
        return {"update": _update(api, repository, pr, happening), "pull_request": stub}
    if happening.kind == "comment":
        return {"comment": _comment(api, repository, pr, happening, stub), "pull_request": stub}
    who = render.account(api, happening.who)
    return {happening.kind: {"date": when, "pullrequest": stub, "user": who},
            "pull_request": stub}


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
            happening: Happening) -> JsonObject:
    full = render.pull_request(api, repository, pr)
    closing = happening.kind == "closed"
    body: JsonObject = {
        "description": full["description"],
        "title": pr.title,
        "destination": full["destination"],
        "reason": full["reason"] if closing else "",
        "source": full["source"],
        "state": happening.state if closing and happening.state else "OPEN",
        "draft": happening.draft,
        "author": full["author"],
        "date": render.timestamp(happening.on),
    }
    if happening.kind == "ready":
        body["changes"] = {"draft": {"old": True, "new": False}}
    return body


def _comment(api: str, repository: Repository, pr: PullRequest, happening: Happening,
             stub: JsonObject) -> JsonObject:
    number = pr.id * 1000 + happening.number
    text = prose.title(random.Random(f"comment/{pr.text_seed}/{happening.number}"))  # noqa: S311
    here = f"{api}/repositories/{repository.full_name}/pullrequests/{pr.id}/comments/{number}"
    body: JsonObject = {
        "id": number,
        "created_on": render.timestamp(happening.on),
        "updated_on": render.timestamp(happening.on),
        "content": {"raw": text, "markup": "markdown", "html": prose.paragraph_html(text)},
        "user": render.account(api, happening.who),
        "deleted": False,
    }
    if happening.inline:
        body["inline"] = {"to": happening.number * 7 % 120 + 1,
                          "path": f"src/{pr.source_branch.rsplit('/', 1)[-1]}.py"}
    body.update({
        "links": {
            "self": {"href": here},
            "html": {"href": f"{render.WEB}/{repository.full_name}/pull-requests/{pr.id}"
                             f"/_/diff#comment-{number}"},
        },
        "pullrequest": stub,
        "type": "pullrequest_comment",
    })
    return body
