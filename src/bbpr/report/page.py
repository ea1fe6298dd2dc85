"""The report as one self-contained HTML page: the summary, every chart as inline SVG, and
the tables. Nothing in it loads anything: no script, no font, no image from elsewhere, and
a Content-Security-Policy that forbids all of it, so opening the page (or the mail it is
sent in) makes no request at all.

Every text from the server (titles, names, branches, repository names) is escaped; a link
to a pull request is kept only when it is an http(s) address.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from .._version import __version__
from . import tables
from .charts import charts
from .records import Report
from .tables import Table
from .vega import renderer, svg
from .working_time import Zone

POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       margin: 2em auto; max-width: 64em; padding: 0 1em; color: #1d1d1f; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.15em; margin-top: 2em; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { padding: .25em .7em; border-bottom: 1px solid #e3e3e3; text-align: left;
         vertical-align: top; }
th { font-weight: 600; background: #f6f6f6; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(30em, 1fr));
          gap: 0 2em; }
figure { margin: 1em 0 1.5em; } figcaption { font-weight: 600; margin-bottom: .4em; }
.charts svg { max-width: 100%; height: auto; }
.notes li { color: #555; }
"""


def page(report: Report, zone: Zone, by: str) -> str:
    """The whole page, as text (UTF-8 when written)."""
    convert = renderer()  # first: a missing extra is said before any work
    drawn = [(chart.title, chart.key, svg(chart, convert)) for chart in charts(report)]
    title = f"Review report: {report.target}"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{escape(tables.period(report, zone))}; from the local copy as of '
        f"{report.as_of:%Y-%m-%d %H:%M} UTC; made by bbpr {escape(__version__)}.</p>",
        f"<p><strong>{escape(tables.counts_line(report))}</strong></p>",
        _table(tables.figures(report)),
        '<section class="charts">',
        *(f'<figure data-chart="{escape(key)}"><figcaption>{escape(caption)}</figcaption>'
          f"{drawing}</figure>" for caption, key, drawing in drawn),
        "</section>",
        _table(tables.grouped(report, by)),
        *(_table(tables.grouped(report, other)) for other in tables.BY if other != by),
        *(_table(table) for table in tables.waiting(report)),
        _notes(tables.notes(report)),
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def _table(table: Table) -> str:
    head = "".join(_cell("th", header, index in table.numeric)
                   for index, header in enumerate(table.headers))
    rows = []
    for number, row in enumerate(table.rows):
        link = table.links[number] if number < len(table.links) else None
        cells = [_cell("td", value, index in table.numeric, link if index == 0 else None)
                 for index, value in enumerate(row)]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    body = "".join(rows) or (f'<tr><td colspan="{len(table.headers)}">none</td></tr>')
    return (f'<h2>{escape(table.title)}</h2><table data-table="{escape(table.key)}">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _cell(tag: str, value: str, numeric: bool, link: str | None = None) -> str:
    shown = escape(value)
    if link and link.lower().startswith(("https://", "http://")):
        shown = f'<a href="{escape(link, quote=True)}">{shown}</a>'
    return f'<{tag} class="n">{shown}</{tag}>' if numeric else f"<{tag}>{shown}</{tag}>"


def _notes(said: Sequence[str]) -> str:
    if not said:
        return ""
    return ('<h2>Notes</h2><ul class="notes">'
            + "".join(f"<li>{escape(sentence)}</li>" for sentence in said) + "</ul>")
