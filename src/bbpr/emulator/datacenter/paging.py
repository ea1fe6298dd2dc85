"""Data Center's paged collections: `start` and `limit` in, the page envelope out.

The envelope is `{size, limit, isLastPage, values, start}` plus `nextPageStart` when
`isLastPage` is false; `size` counts the values of THIS page (Cloud's `size` is the total).
`limit` defaults to 25; above the server's cap (`settings.dc_max_limit`, 1000 on a default
install) it is silently lowered, and the envelope's `limit` says what was used, so a client
must page by `nextPageStart`, never by its own arithmetic. A `start` beyond the end is an
empty last page, not an error. A `start` or `limit` that is not a number, or a negative
`start` or non-positive `limit`, is a 400 (the emulator's choice: not documented).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import bad_parameter

DEFAULT_LIMIT = 25


@dataclass(frozen=True, slots=True)
class Page:
    start: int
    limit: int

    def window(self, items: Sequence[Any]) -> list[Any]:
        """This page's part of `items` (the whole, already ordered, collection)."""
        return list(items[self.start : self.start + self.limit])

    def envelope(self, values: list[Any], total: int) -> dict[str, Any]:
        """The body around this page's (rendered) `values`; `total` counts the collection."""
        last = self.start + self.limit >= total
        body: dict[str, Any] = {
            "size": len(values),
            "limit": self.limit,
            "isLastPage": last,
            "values": values,
            "start": self.start,
        }
        if not last:
            body["nextPageStart"] = self.start + len(values)
        return body


def page_of(query: dict[str, list[str]], max_limit: int) -> Page:
    start = _integer(query, "start", 0)
    limit = _integer(query, "limit", DEFAULT_LIMIT)
    if start < 0:
        raise bad_parameter("start", "The page start must be zero or more.")
    if limit < 1:
        raise bad_parameter("limit", "The page limit must be one or more.")
    return Page(start, min(limit, max(1, max_limit)))


def _integer(query: dict[str, list[str]], name: str, default: int) -> int:
    values = query.get(name)
    if not values or not values[-1].strip():
        return default
    try:
        return int(values[-1])
    except ValueError:
        raise bad_parameter(name, f"The {name} parameter must be a number.") from None
