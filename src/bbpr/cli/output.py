"""Output formats for pull request records: table, tsv, csv, json, ndjson, ids.

Every writer takes pages as they arrive and writes them at once, so a long listing shows its
first lines after the first request, and memory does not grow with the number of pull
requests, except for the table, which needs every row to size its columns. JSON is written as
an array opened before the first page and closed only after the last one: an interrupted run
leaves JSON that does not parse, never a shorter list that does.

Server text is data: the table, TSV and ids show its control characters (see `sanitize`);
JSON, NDJSON and CSV keep it exact, CSV quoted so that every record is one row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO, Any, Protocol

import msgspec

from ..models import PullRequest
from .sanitize import json_text, one_line

FORMATS = ("table", "tsv", "csv", "json", "ndjson", "ids")
TABLE_FIELDS = ("id", "state", "title", "author", "source_branch", "updated_on")

_encode = msgspec.json.Encoder().encode


class Writer(Protocol):
    def write(self, page: Sequence[PullRequest]) -> None: ...

    def close(self) -> None:
        """Finish the output after the last page (only called when the listing completed)."""
        ...


def make_writer(format: str, fields: Sequence[str], stream: IO[str], *,
                several_repositories: bool) -> Writer:
    if format == "ids":
        return IdsWriter(stream, with_repository=several_repositories)
    if format == "table":
        return TableWriter(stream, fields, several_repositories=several_repositories)
    if format == "tsv":
        return TsvWriter(stream, fields)
    if format == "csv":
        return CsvWriter(stream, fields)
    if format == "json":
        return JsonWriter(stream, fields)
    return NdjsonWriter(stream, fields)


def record(pull_request: PullRequest, fields: Sequence[str]) -> dict[str, Any]:
    """The fields for JSON: times as `iso` writes them, the rest as they are."""
    return {name: _for_json(getattr(pull_request, name)) for name in fields}


def _for_json(value: object) -> object:
    return iso(value) if isinstance(value, datetime) else value


def text(value: object) -> str:
    """A field as plain text: ISO-8601 UTC times, lower-case booleans, empty for missing,
    lists as `names(...)`."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return names(value)
    return str(value)


def names(values: tuple[str, ...]) -> str:
    """A list of names in one cell: joined by ", ", with a comma or backslash that is part
    of a name escaped by a backslash, so that `Smith\\, Jo, Alex Moreau` is two names and
    the list can always be split back."""
    return ", ".join(value.replace("\\", "\\\\").replace(",", "\\,") for value in values)


def iso(moment: datetime) -> str:
    """To the microsecond, always: exact (Cloud gives microseconds, Data Center milliseconds,
    a server whole seconds; none is rounded away) and one width, so that times line up and
    sort as text (`12:00:00Z` would sort after `12:00:00.5Z`)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class IdsWriter:
    """Bare IDs, one a line; `repository<TAB>id` when several repositories are listed, since
    an ID is unique within its repository only."""

    def __init__(self, stream: IO[str], *, with_repository: bool) -> None:
        self.stream = stream
        self.with_repository = with_repository

    def write(self, page: Sequence[PullRequest]) -> None:
        if self.with_repository:
            lines = [f"{one_line(pr.repository)}\t{pr.id}\n" for pr in page]
        else:
            lines = [f"{pr.id}\n" for pr in page]
        self.stream.write("".join(lines))
        self.stream.flush()

    def close(self) -> None:
        pass


class TsvWriter:
    """Tab-separated, no header (like `gh pr list` when piped): easy to `cut` and `sort`."""

    def __init__(self, stream: IO[str], fields: Sequence[str]) -> None:
        self.stream = stream
        self.fields = fields

    def write(self, page: Sequence[PullRequest]) -> None:
        lines = ["\t".join(one_line(text(getattr(pr, name))) for name in self.fields) + "\n"
                 for pr in page]
        self.stream.write("".join(lines))
        self.stream.flush()

    def close(self) -> None:
        pass


class CsvWriter:
    """RFC 4180 CSV with a header row, lines ending in `\n`, the text exact. Python's csv
    module quotes a field holding a bare `\r` only when `\r` is in its line terminator,
    and RFC 4180 readers end a record there: bbpr quotes every field that holds `\r`,
    `\n`, a quote or a comma, so that every pull request is one row."""

    def __init__(self, stream: IO[str], fields: Sequence[str]) -> None:
        self.stream = stream
        self.fields = fields
        stream.write(csv_row(fields))

    def write(self, page: Sequence[PullRequest]) -> None:
        self.stream.write("".join(csv_row([text(getattr(pr, name)) for name in self.fields])
                                  for pr in page))
        self.stream.flush()

    def close(self) -> None:
        pass


class NdjsonWriter:
    def __init__(self, stream: IO[str], fields: Sequence[str]) -> None:
        self.stream = stream
        self.fields = fields

    def write(self, page: Sequence[PullRequest]) -> None:
        self.stream.write("".join(_json(record(pr, self.fields)) + "\n" for pr in page))
        self.stream.flush()

    def close(self) -> None:
        pass


class JsonWriter:
    def __init__(self, stream: IO[str], fields: Sequence[str]) -> None:
        self.stream = stream
        self.fields = fields
        self.first = True
        stream.write("[")

    def write(self, page: Sequence[PullRequest]) -> None:
        parts = []
        for pr in page:
            parts.append("\n  " if self.first else ",\n  ")
            parts.append(_json(record(pr, self.fields)))
            self.first = False
        self.stream.write("".join(parts))
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("]\n" if self.first else "\n]\n")
        self.stream.flush()


class TableWriter:
    """A table for people, laid out once every row is in (see `table`), paged when long."""

    def __init__(self, stream: IO[str], fields: Sequence[str], *,
                 several_repositories: bool = False) -> None:
        self.stream = stream
        self.fields = fields
        self.several_repositories = several_repositories
        self.rows: list[PullRequest] = []

    def write(self, page: Sequence[PullRequest]) -> None:
        self.rows.extend(page)

    def close(self) -> None:
        from . import table, terminal

        if not self.rows:
            self.stream.write("No pull requests match.\n")
            return
        lines = table.render(self.rows, self.fields, width=terminal.size(self.stream).columns,
                             colour=terminal.colour(self.stream),
                             several_repositories=self.several_repositories)
        terminal.show(lines, self.stream)


_QUOTED = re.compile(r'[",\r\n]')


def csv_row(values: Sequence[str]) -> str:
    """One CSV line; a lone empty field is quoted, or the row would be a blank line, which
    readers skip."""
    if len(values) == 1 and not values[0]:
        return '""\n'
    return ",".join(_csv_field(value) for value in values) + "\n"


def _csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if _QUOTED.search(value) else value


def _json(record: dict[str, Any]) -> str:
    """A record as JSON: exact text, its invisible and control characters `\\u`-escaped."""
    return json_text(_encode(record).decode())
