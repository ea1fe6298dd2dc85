"""`bbpr report` for people: on a terminal, a short summary with two small charts (weekly
bars, a trend line) drawn from the report's chart descriptions, and its tables; piped, the
same summary and tables as plain text, with no escape code and no chart.

Server text (titles, names, repository names) goes through `sanitize.one_line` and reaches
rich as `Text`, never as markup, so a name holding `[bold]` or an escape sequence is shown.
Long lists are cut at `SHOWN` rows here (`--format json` has them all).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

from ..report import tables
from ..report.charts import Chart, charts
from ..time_words import span
from . import terminal
from .sanitize import one_line

if TYPE_CHECKING:
    from rich.console import Console

    from ..report.records import Report
    from ..report.working_time import Zone

SHOWN = 10
"""Rows of each list of pull requests shown; the rest are counted."""
WEEKS_DRAWN = 12
"""The weekly bars show the last weeks of the period; the trend line all of them."""
BAR = 24
_BLOCKS = " ▏▎▍▌▋▊▉█"
_SPARKS = "▁▂▃▄▅▆▇█"
_COLOURS = {"opened": "cyan", "merged": "magenta"}


def write(report: Report, by: str, zone: Zone, stream: IO[str]) -> None:
    from rich.console import Console

    on_terminal = terminal.is_terminal(stream)
    colour = terminal.colour(stream)
    console = Console(file=stream, width=terminal.size(stream).columns if on_terminal else 120,
                      force_terminal=colour, color_system="standard" if colour else None,
                      no_color=not colour, highlight=False, emoji=False, markup=False,
                      soft_wrap=False)
    _summary(console, report, zone)
    if on_terminal and terminal.escapes_allowed() and report.weeks:
        drawn = {chart.key: chart for chart in charts(report)}
        _bars(console, drawn["throughput"])
        _trend(console, drawn["time_to_merge"])
    _table(console, tables.grouped(report, by))
    for listed in tables.waiting(report):
        _table(console, listed, cut=SHOWN)
    for sentence in tables.notes(report):
        console.print(f"Note: {sentence}", style="dim")
    stream.flush()


def _summary(console: Console, report: Report, zone: Zone) -> None:
    from rich.text import Text

    title = Text("Review report: ", style="bold")
    title.append(one_line(report.target), style="bold")
    console.print(title)
    console.print(f"{tables.period(report, zone)}; from the local copy as of "
                  f"{report.as_of:%Y-%m-%d %H:%M} UTC")
    console.print()
    console.print(tables.counts_line(report).capitalize())
    _table(console, tables.figures(report), heading=False)


def _table(console: Console, table: tables.Table, *, heading: bool = True,
           cut: int | None = None) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    shown = table.rows if cut is None else table.rows[:cut]
    if heading:
        console.print()
        console.print(Text(f"{table.title} ({len(table.rows)})" if cut is not None
                           else table.title, style="bold"))
    if not shown:
        console.print("  none")
        return
    laid = Table(box=box.SIMPLE_HEAD if console.is_terminal else None, show_edge=False,
                 pad_edge=False, header_style="bold" if console.is_terminal else "")
    for index, header in enumerate(table.headers):
        numeric = index in table.numeric
        laid.add_column(header.upper(), justify="right" if numeric else "left",
                        no_wrap=True, overflow="ellipsis",
                        min_width=8 if header == "title" else None,
                        ratio=1 if header == "title" else None)
    for row in shown:
        laid.add_row(*(Text(one_line(value)) for value in row))
    console.print(laid)
    if len(table.rows) > len(shown):
        console.print(f"  ... and {len(table.rows) - len(shown)} more (--format json lists "
                      "them all)")


def _bars(console: Console, chart: Chart) -> None:
    """Each of the last weeks: a bar a series, scaled to the largest value drawn."""
    from rich.table import Table
    from rich.text import Text

    first = max(0, len(chart.categories) - WEEKS_DRAWN)
    largest = max((value or 0 for series in chart.series for value in series.values[first:]),
                  default=0) or 1
    console.print()
    names = " and ".join(series.name for series in chart.series)
    console.print(Text(f"{names.capitalize()}, by week", style="bold"))
    laid = Table(box=None, show_header=False, pad_edge=False)
    laid.add_column("week", no_wrap=True)
    for _ in chart.series:
        laid.add_column(no_wrap=True)
    for index in range(first, len(chart.categories)):
        cells = [Text(chart.categories[index])]
        for series in chart.series:
            value = series.values[index] or 0
            cell = Text(_bar(value / largest * BAR).ljust(BAR),
                        style=_COLOURS.get(series.name, ""))
            cell.append(f" {value:g} {series.name}")
            cells.append(cell)
        laid.add_row(*cells)
    console.print(laid)


def _bar(cells: float) -> str:
    whole, part = divmod(round(cells * 8), 8)
    return "█" * whole + (_BLOCKS[part] if part else "")


def _trend(console: Console, chart: Chart) -> None:
    """The first series as a line of block heights, one a week, blank for a week with none."""
    from rich.text import Text

    series = chart.series[0]
    known = [value for value in series.values if value is not None]
    console.print()
    line = Text(f"{chart.title.split(',')[0]} ({series.name}), by week: ", style="bold")
    if not known:
        line.append("no merge in the period", style="")
        console.print(line)
        return
    low, high = min(known), max(known)
    line.append(sparkline(series.values, low, high), style="green")
    line.append(f"  {span(int(low))} to {span(int(high))}, {chart.categories[0]} to "
                f"{chart.categories[-1]}", style="")
    console.print(line)


def sparkline(values: Sequence[float | None], low: float, high: float) -> str:
    steps = len(_SPARKS) - 1
    return "".join(" " if value is None else
                   _SPARKS[round((value - low) / (high - low) * steps) if high > low else 0]
                   for value in values)
