"""The output boundary on its own, with many examples: server text is shown, never obeyed,
in every format a terminal reads; JSON and CSV keep it exact."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from datetime import UTC, datetime

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bbpr.cli.details_text import as_json, as_text
from bbpr.cli.output import CsvWriter, IdsWriter, JsonWriter, NdjsonWriter, TsvWriter
from bbpr.cli.sanitize import json_text, lines, one_line, shown
from bbpr.cli.table import render
from bbpr.details import PullRequestDetails
from bbpr.models import FIELDS, Participant, PullRequest

TRICKS = ["\x1b[2J", "\x1b]8;;https://evil.example/\x07", "\x1b]52;c;cm0=\x07", "\x07", "\x08",
          "\r", "\n", "\r\n", "\t", "\x9b31m", "\x85", "\x7f", "\x00", "\u202e", "\u2066",
          "\u2069", "\u200e", "\u200f", "\u061c", "\u2028", "\u2029", "\ufeff", "\U000e0041",
          "\u200d", "👨\u200d👩\u200d👧", "[bold]x[/bold]", '"', ",", "\\", "é", "\u00a0"]
"""Escape sequences and invisible characters, more often than chance would pick them."""



def texts(characters: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Text of `characters`, with the tricks above mixed in."""
    pieces = st.one_of(st.text(characters, max_size=6), st.sampled_from(TRICKS))
    return st.lists(pieces, max_size=8).map("".join)


anything = texts(st.characters())
"""Any text at all, lone surrogates included: the terminal formats must cope with it."""
encodable = texts(st.characters(blacklist_categories=("Cs",)))
"""What a server can send in UTF-8 JSON."""

SGR = re.compile(r"\x1b\[[0-9;]*m")
ESCAPED = re.compile(r"\\x([0-9a-f]{2})|\\u([0-9a-f]{4})|\\U([0-9a-f]{8})")
EXAMPLES = settings(max_examples=300, deadline=None)


def obeyed(text: str) -> list[str]:
    """The characters of `text` a terminal would obey or hide (see `bbpr.cli.sanitize`)."""
    return [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs")
            and c not in "\u200c\u200d"]


def unescaped(text: str) -> str:
    return ESCAPED.sub(lambda m: chr(int(next(g for g in m.groups() if g), 16)), text)


@EXAMPLES
@given(anything)
def test_one_line_shows_every_control_and_loses_nothing(text: str) -> None:
    result = one_line(text)
    assert not obeyed(result)
    assert len(result.splitlines()) <= 1
    if "\\" not in text:  # then every escape in the result stands for one character
        assert unescaped(result) == re.sub(r"\r\n|[\t\r\n]", " ", text)


@EXAMPLES
@given(anything)
def test_lines_keeps_line_breaks_only(text: str) -> None:
    result = lines(text)
    assert set(obeyed(result)) <= {"\n"}
    assert result.count("\n") == text.replace("\r\n", "\n").count("\n")


@EXAMPLES
@given(st.text(st.characters(blacklist_categories=("Cc", "Cf", "Zl", "Zp", "Cs"))))
def test_text_a_terminal_only_shows_is_unchanged(text: str) -> None:
    assert shown(text) == one_line(text) == lines(text) == text


@pytest.mark.parametrize(("text", "expected"), [
    ("\x1b[2Jgone", "\\x1b[2Jgone"),
    ("\x9b31m", "\\x9b31m"),
    ("invoice\u202efdp.exe", "invoice\\u202efdp.exe"),
    ("a\u2066b\u2069", "a\\u2066b\\u2069"),
    ("\u200fhidden\u061c", "\\u200fhidden\\u061c"),
    ("tag\U000e0041", "tag\\U000e0041"),
    ("bell\x07back\x08\x7f", "bell\\x07back\\x08\\x7f"),
    ("Lucía 👨\u200d👩\u200d👧 a\u00a0b [bold]", "Lucía 👨\u200d👩\u200d👧 a\u00a0b [bold]"),
])
def test_what_is_shown(text: str, expected: str) -> None:
    assert shown(text) == expected


def test_line_breaks_in_one_line_and_in_lines() -> None:
    assert one_line("a\tb\r\nc\rd\ne\u2028f") == "a b c d e\\u2028f"
    assert lines("a\tb\r\nc\rd\ne\x0bf") == "a b\nc d\ne\\x0bf"


@EXAMPLES
@given(encodable)
def test_json_is_exact_and_harmless(text: str) -> None:
    encoded = json_text(msgspec.json.encode({"title": text}).decode())
    assert json.loads(encoded) == {"title": text}
    assert not obeyed(encoded)


def record(number: int, text: str) -> PullRequest:
    """A pull request with `text` in every text field."""
    person = Participant(name=f"R{text}", login=f"r{text}", role="REVIEWER", approved=True)
    other = Participant(name=f"P{text}", login=f"p{text}")
    values = {name: f"{name}:{text}" for name in (
        "title", "author", "author_login", "author_id", "source_branch", "destination_branch",
        "url", "description", "source_commit", "destination_commit", "merge_commit",
        "closed_by")}
    return PullRequest(
        id=number, repository=f"ws/repo{text}", state="MERGED", draft=False, **values,
        created_on=datetime(2026, 1, 2, tzinfo=UTC), updated_on=datetime(2026, 1, 3, tzinfo=UTC),
        reviewers=(person.name or "",), reviewer_logins=(person.login or "",),
        participants=(other.name or "",), approved_by=(person.name or "",),
        changes_requested_by=(), people=(person, other), comment_count=1, task_count=0)


pages = st.lists(encodable, min_size=1, max_size=4)


@settings(max_examples=150, deadline=None)
@given(pages, st.booleans())
def test_the_table_and_tsv_are_one_harmless_line_a_record(texts: list[str],
                                                          colour: bool) -> None:
    rows = [record(number, text) for number, text in enumerate(texts, 1)]
    table = render(rows, FIELDS, width=100_000, colour=colour)
    assert len(table) == 1 + len(rows)
    for line in table:
        assert not obeyed(SGR.sub("", line)) and (colour or "\x1b" not in line)
    for line, pr in zip(table[1:], rows, strict=True):  # `[bold]` stays text, as all text does
        assert one_line(pr.title or "") in SGR.sub("", line)
    stream = io.StringIO()
    TsvWriter(stream, FIELDS).write(rows)
    IdsWriter(stream, with_repository=True).write(rows)
    out = stream.getvalue()
    assert set(obeyed(out)) <= {"\t", "\n"}
    records = out.split("\n")[:-1]
    assert len(records) == 2 * len(rows)
    assert all(line.count("\t") == len(FIELDS) - 1 for line in records[:len(rows)])
    assert all(line.count("\t") == 1 for line in records[len(rows):])


@settings(max_examples=150, deadline=None)
@given(pages)
def test_csv_and_json_keep_the_exact_text(texts: list[str]) -> None:
    rows = [record(number, text) for number, text in enumerate(texts, 1)]
    fields = ("id", "title", "author", "source_branch", "description", "reviewers")
    stream = io.StringIO()
    writer = CsvWriter(stream, fields)
    writer.write(rows)
    parsed = list(csv.reader(io.StringIO(stream.getvalue(), newline="")))
    assert parsed[0] == list(fields) and len(parsed) == 1 + len(rows)
    for row, pr in zip(parsed[1:], rows, strict=True):
        assert row[1:5] == [pr.title, pr.author, pr.source_branch, pr.description]
    for kind in (JsonWriter, NdjsonWriter):
        stream = io.StringIO()
        json_writer = kind(stream, fields)
        json_writer.write(rows)
        json_writer.close()
        out = stream.getvalue()
        assert not set(obeyed(out)) - {"\n"}
        loaded = (json.loads(out) if kind is JsonWriter
                  else [json.loads(line) for line in out.splitlines()])
        assert [item["title"] for item in loaded] == [pr.title for pr in rows]
        assert [item["reviewers"] for item in loaded] == [list(pr.reviewers or ()) for pr in rows]


def test_a_lone_empty_csv_field_is_a_row_not_a_blank_line() -> None:
    stream = io.StringIO()
    CsvWriter(stream, ("title",)).write([PullRequest(id=1, repository="a/b", title="")])
    assert list(csv.reader(io.StringIO(stream.getvalue()))) == [["title"], [""]]


@settings(max_examples=150, deadline=None)
@given(encodable, st.booleans())
def test_view_shows_and_its_json_keeps(text: str, colour: bool) -> None:
    details = PullRequestDetails(pull_request=record(7, text), reason=f"why{text}")
    page = as_text(details, width=80, colour=colour)
    assert set(obeyed(SGR.sub("", page))) <= {"\n"}
    assert colour or "\x1b" not in page
    body = as_json(details)
    assert not set(obeyed(body)) - {"\n"}
    loaded = json.loads(body)
    assert loaded["title"] == f"title:{text}" and loaded["reason"] == f"why{text}"
    assert loaded["people"][0]["name"] == f"R{text}"
