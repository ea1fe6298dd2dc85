"""The table for people: columns sized to what they hold, the title giving way first.

IDs, states, dates, URLs and commits are never cut (a cut URL cannot be clicked, a cut date
is a different date); when the terminal is narrow, the title shrinks first, then names and
branches. When more than one repository is listed, a repository column says whose each ID
is. Colour only where the caller says the terminal takes it (see `terminal.colour`), added
after the cells' server text is made harmless (see `sanitize`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from ..models import SPAN_FIELDS, PullRequest
from ..time_words import span
from .sanitize import one_line

GAP = "  "
ELLIPSIS = "…"
GIVES_WAY = ("title", "description", "author", "closed_by", "author_login", "source_branch",
             "destination_branch", "repository")
"""Columns that may be cut, the first to give way first."""
_NARROWEST = {"title": 12, "description": 12}
_DEFAULT_NARROWEST = 8

_RIGHT = frozenset({"id", "approvals", "review_comments", "changes_requested", *SPAN_FIELDS})
"""Numbers aligned on their last digit."""

_BOLD, _RESET = "\x1b[1m", "\x1b[0m"
STATE_COLOURS = {"OPEN": "\x1b[32m", "MERGED": "\x1b[35m", "DECLINED": "\x1b[31m",
                 "SUPERSEDED": "\x1b[33m"}


def columns_for(fields: Sequence[str], *, several: bool) -> tuple[str, ...]:
    """The fields, with `repository` first when several repositories are listed: whatever
    the rows turn out to be, so that a workspace's table always has the same columns."""
    if several and "repository" not in fields:
        return ("repository", *fields)
    return tuple(fields)


def render(rows: Sequence[PullRequest], fields: Sequence[str], *, width: int,
           colour: bool, several_repositories: bool = False) -> list[str]:
    """The table's lines, header first, none wider than `width` unless the columns that
    are never cut need more."""
    from rich.cells import cell_len

    names = columns_for(fields, several=several_repositories)
    headers = [name.replace("_", " ").upper() for name in names]
    cells = [[cell(pr, name) for name in names] for pr in rows]
    widths = [max([cell_len(header), *(cell_len(row[i]) for row in cells)])
              for i, header in enumerate(headers)]
    _fit(names, widths, width)
    lines = [_line(headers, widths, names, header=True, colour=colour)]
    lines += [_line(row, widths, names, header=False, colour=colour) for row in cells]
    return lines


def _fit(names: Sequence[str], widths: list[int], width: int) -> None:
    """Narrow the columns that may give way, in order, until the line fits."""
    excess = sum(widths) + len(GAP) * (len(widths) - 1) - width
    for name in GIVES_WAY:
        if excess <= 0:
            return
        if name not in names:
            continue
        index = names.index(name)
        narrowest = _NARROWEST.get(name, _DEFAULT_NARROWEST)
        cut = min(excess, max(0, widths[index] - narrowest))
        widths[index] -= cut
        excess -= cut


def _line(values: Sequence[str], widths: Sequence[int], names: Sequence[str], *,
          header: bool, colour: bool) -> str:
    parts = []
    for value, width, name in zip(values, widths, names, strict=True):
        text = _cut(value, width)
        padded = text.rjust(width) if name in _RIGHT else _pad(text, width)
        if colour and header:
            padded = f"{_BOLD}{padded}{_RESET}"
        elif colour and name == "state" and value in STATE_COLOURS:
            padded = f"{STATE_COLOURS[value]}{padded}{_RESET}"
        parts.append(padded)
    return GAP.join(parts).rstrip()


def _cut(text: str, width: int) -> str:
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(0, width - 1)) + ELLIPSIS


def _pad(text: str, width: int) -> str:
    from rich.cells import cell_len

    return text + " " * (width - cell_len(text))


def cell(pr: PullRequest, name: str) -> str:
    value = getattr(pr, name)
    if value is None:
        return ""
    if name in SPAN_FIELDS:
        return span(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        value = ", ".join(map(str, value))
    return one_line(str(value))
