"""Page-numbered collections: `page` and `pagelen` parameters, envelopes, `next` links.

Bitbucket Cloud's `next` is an opaque absolute URL; here it is the request's own URL with
`page` replaced, every other parameter kept byte for byte as the client sent it (including
`fields`, `q`, `sort` and repeated `state`), so that following `next` repeats the query.

A `page` beyond the last one answers 200 with an empty `values` (and a `previous` link),
not 404: a client must stop on a missing `next`, never on an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..messages import ApiError, Request

DEFAULT_PAGELEN = 10


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int
    pagelen: int

    @property
    def start(self) -> int:
        return (self.page - 1) * self.pagelen


def page_request(request: Request, max_pagelen: int) -> PageRequest:
    """Read `page` and `pagelen`; 400 "Invalid pagelen" / "Invalid page" when out of range."""
    query = request.query
    pagelen = _integer(query.get("pagelen"), DEFAULT_PAGELEN)
    if pagelen is None or not 1 <= pagelen <= max_pagelen:
        raise ApiError(400, "Invalid pagelen")
    page = _integer(query.get("page"), 1)
    if page is None or page < 1:
        raise ApiError(400, "Invalid page")
    return PageRequest(page, pagelen)


def _integer(values: list[str] | None, default: int) -> int | None:
    if not values:
        return default
    try:
        return int(values[-1])
    except ValueError:
        return None


def envelope(
    request: Request,
    items: Sequence[Any],
    total: int,
    paging: PageRequest,
    *,
    include_size: bool = True,
) -> dict[str, Any]:
    """The paged body around one page of already rendered `items`."""
    body: dict[str, Any] = {"values": list(items), "pagelen": paging.pagelen}
    if include_size:
        body["size"] = total
    body["page"] = paging.page
    if paging.start + paging.pagelen < total:
        body["next"] = page_url(request, paging.page + 1)
    if paging.page > 1:
        body["previous"] = page_url(request, paging.page - 1)
    return body


def page_url(request: Request, page: int) -> str:
    kept = [part for part in request.raw_query.split("&") if part and not _is_page(part)]
    query = "&".join([*kept, f"page={page}"])
    return f"{request.base_url}{request.path}?{query}"


def _is_page(part: str) -> bool:
    return part.split("=", 1)[0] == "page"
