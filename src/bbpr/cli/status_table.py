"""`bbpr sync --status` on a terminal: one line a repository, under its host.

What a person looks for is which repositories are synced, how many pull requests, and when;
so those columns keep their width, the host is said once above its repositories instead of
in every row, and the yes/no facts (close times, review events) are words in narrow
columns. Only the repository
name may be cut, and only on a terminal too narrow for the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO

from ..copy.status import Status
from . import terminal
from .sanitize import one_line
from .table import GAP

HEADERS = ("REPOSITORY", "PRS", "LAST PASS (UTC)", "LAST RUN", "CLOSE TIMES", "EVENTS")
_NARROWEST_REPOSITORY = 12


def render(rows: Sequence[Status], width: int) -> list[str]:
    """The lines: a header, then each host and its repositories."""
    from rich.cells import cell_len, set_cell_size

    cells = [[one_line(row.repository), str(row.pull_requests), _when(row.completed_at), _run(row),
              "yes" if row.close_times else "no", "yes" if row.review_events else "no"]
             for row in rows]
    widths = [max([len(header), *(cell_len(row[i]) for row in cells)])
              for i, header in enumerate(HEADERS)]
    excess = sum(widths) + len(GAP) * (len(widths) - 1) - width
    if excess > 0:
        widths[0] = max(_NARROWEST_REPOSITORY, widths[0] - excess)

    def line(values: Sequence[str]) -> str:
        parts = []
        for index, (value, size) in enumerate(zip(values, widths, strict=True)):
            shown = set_cell_size(value, size - 1) + "…" if cell_len(value) > size else value
            parts.append(shown.rjust(size) if index == 1 else set_cell_size(shown, size))
        return GAP.join(parts).rstrip()

    lines = [line(HEADERS)]
    host = None
    for row, values in zip(rows, cells, strict=True):
        if row.host != host:
            host = row.host
            lines.append(f"{one_line(host)}:")
        lines.append(line(values))
    return lines


def show(rows: Sequence[Status], stream: IO[str]) -> None:
    if not rows:
        stream.write("Nothing is synced yet.\n")
        return
    lines = render(rows, terminal.size(stream).columns)
    if terminal.colour(stream):
        lines[0] = f"\x1b[1m{lines[0]}\x1b[0m"
    terminal.show(lines, stream)


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else "never"


def _run(row: Status) -> str:
    if row.last_run_requests is None:
        return ""
    requests = f"{row.last_run_requests} request{'' if row.last_run_requests == 1 else 's'}"
    return requests if row.last_pass_completed else f"{requests}, stopped"
