"""`bbpr report --format json|csv|ndjson`: the report's numbers for programs, exact.

JSON is the whole report (every section, `bbpr.report.records.Report`); CSV and NDJSON are
the rows of the `--by` table (one a week, author, reviewer or repository), with the same
fields and values as that section of the JSON. Durations are whole seconds, times ISO-8601
UTC to the microsecond (as `bbpr list` writes them), text exact: control and invisible
characters `\\u`-escaped in JSON, CSV quoted as `bbpr list` quotes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import IO, Any

import msgspec

from ..report.records import Author, Report, RepositoryRow, Reviewer, Week
from .output import csv_row, iso
from .sanitize import json_text

FILE_FORMATS = ("json", "csv", "ndjson")

_SECTIONS: dict[str, tuple[str, type[msgspec.Struct]]] = {
    "week": ("weeks", Week), "author": ("authors", Author), "reviewer": ("reviewers", Reviewer),
    "repository": ("by_repository", RepositoryRow)}
"""The section of the report each `--by` lists, and the record of its rows."""


def plain(report: Report) -> dict[str, Any]:
    """The report as JSON values: times as `iso` writes them."""
    values = msgspec.to_builtins(report, builtin_types=(datetime,))
    return _times(values)  # type: ignore[no-any-return]


def _times(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {key: _times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_times(item) for item in value]
    return value


def rows(report: Report, by: str) -> list[dict[str, Any]]:
    """The `--by` table's rows, as in the JSON."""
    section: list[dict[str, Any]] = plain(report)[_SECTIONS[by][0]]
    return section


def write(report: Report, by: str, output_format: str, stream: IO[str]) -> None:
    if output_format == "json":
        stream.write(_json(plain(report), indent=True) + "\n")
    elif output_format == "ndjson":
        stream.write("".join(_json(row) + "\n" for row in rows(report, by)))
    else:
        found = rows(report, by)
        stream.write(csv_row(list(_SECTIONS[by][1].__struct_fields__)))
        stream.write("".join(csv_row([_text(row[name]) for name in row]) for row in found))
    stream.flush()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json(value: object, *, indent: bool = False) -> str:
    encoded = msgspec.json.encode(value).decode()
    if indent:
        encoded = msgspec.json.format(encoded, indent=2)
    return json_text(encoded)
