"""Hostile text from the server, end to end: arbitrary Unicode, C0 and C1 controls and escape
sequences in every title, description, branch name, display name, nickname and error message
the emulator serves (`Settings.hostile_text`), through every format of every command.

The terminal formats (the table and `bbpr view` on a real pseudo-terminal, with and without
colour; TSV, ids, doctor, auth, messages) hold no character a terminal would obey but bbpr's
own colours, and TSV stays one line a record; CSV parses to one row a record with the exact
text; JSON and NDJSON round-trip exactly, and so does the local copy (`--cached`).
Most runs are in this process; the pseudo-terminal ones, subprocesses, take few examples.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bbpr.cli.output import names
from bbpr.cli.sanitize import one_line
from bbpr.emulator import Emulator
from bbpr.emulator.hostile import SAMPLE

from ..conftest import base_environment, cloud_environment, run_in_process
from ..terminal import run

TEXT_FIELDS = ("title", "description", "author", "author_login", "source_branch",
               "destination_branch", "closed_by", "reviewers", "reviewer_logins",
               "participants", "approved_by", "changes_requested_by")
FIELDS = ",".join(("id", *TEXT_FIELDS))
COPIED = FIELDS.replace(",description", "")
"""What the local copy keeps: descriptions are not."""
TRICKS = ["\x1b[2J", "\x1b]8;;https://evil.example/\x07", "\x1b]52;c;cm0=\x07", "\x1bP", "\x07",
          "\x08", "\r", "\n", "\r\n", "\t", "\x9b31m", "\x9d", "\x85", "\x7f", "\x00", "\u202e",
          "\u2066", "\u2069", "\u200f", "\u061c", "\u2028", "\ufeff", "\U000e0041",
          "[bold]x[/]", '"', ",", "\\", "é", "👨\u200d👩\u200d👧"]
pieces = st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=5),
                   st.sampled_from(TRICKS))
hostile_texts = st.lists(pieces, min_size=1, max_size=6).map("".join)
"""What a server can send (UTF-8: no lone surrogates), tricks mixed in."""

SGR = re.compile(r"\x1b\[[0-9;]*m")
SUBPROCESS = settings(max_examples=5, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])
IN_PROCESS = settings(max_examples=40, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])


def obeyed(text: str) -> set[str]:
    """The characters a terminal would obey or hide (see `bbpr.cli.sanitize`)."""
    return {c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs")
            and c not in "\u200c\u200d"}


@pytest.fixture(scope="module")
def hostile() -> Iterator[Emulator]:
    with Emulator(prs=8, seed=5) as emu:
        yield emu


def flavours(emu: Emulator) -> dict[str, tuple[dict[str, str], str]]:
    """The environment and repository of each flavour."""
    datacenter = {**base_environment(), "BITBUCKET_SERVER": emu.datacenter_url,
                  "BITBUCKET_TOKEN": emu.dc_demo.token}
    return {"cloud": (cloud_environment(emu), "acme/widgets"),
            "datacenter": (datacenter, f"{emu.dc_demo.project}/{emu.dc_demo.repo_slug}")}


@contextlib.contextmanager
def serving(emu: Emulator, text: str | None) -> Iterator[None]:
    emu.settings.hostile_text = text
    try:
        yield
    finally:
        emu.settings.hostile_text = None


def listing(env: dict[str, str], repo: str, *args: str,
            fields: str = FIELDS) -> tuple[int, str, str]:
    return run_in_process(["list", repo, "-s", "all", "--fields", fields, *args], env, "")


@pytest.fixture(scope="module")
def truths(hostile: Emulator) -> dict[str, list[dict[str, Any]]]:
    """Each flavour's records as JSON, before any hostile text."""
    found = {}
    for flavour, (env, repo) in flavours(hostile).items():
        code, out, err = listing(env, repo, "--format", "json")
        assert code == 0, err
        found[flavour] = json.loads(out)
    return found


def expected(records: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """The records once every free-text field ends with `text`."""
    def extended(value: Any) -> Any:
        if isinstance(value, str):
            return value + text
        return [item + text for item in value] if isinstance(value, list) else value

    return [{name: extended(value) for name, value in record.items()} for record in records]


def harmless(output: str, allowed: str = "\n") -> None:
    assert obeyed(output) <= set(allowed), obeyed(output) - set(allowed)


@IN_PROCESS
@given(text=hostile_texts)
@example(text=SAMPLE)
def test_every_listing_format(hostile: Emulator, truths: dict[str, list[dict[str, Any]]],
                              text: str) -> None:
    for flavour, (env, repo) in flavours(hostile).items():
        records = expected(truths[flavour], text)
        with serving(hostile, text):
            outputs = {kind: listing(env, repo, "--format", kind)
                       for kind in ("json", "ndjson", "csv", "tsv", "table")}
        for code, _, err in outputs.values():
            assert code == 0, err
            harmless(err)
        assert json.loads(outputs["json"][1]) == records
        assert [json.loads(line) for line in outputs["ndjson"][1].splitlines()] == records
        rows = list(csv.DictReader(io.StringIO(outputs["csv"][1], newline="")))
        assert len(rows) == len(records)
        for row, record in zip(rows, records, strict=True):
            assert row == {name: names(tuple(value)) if isinstance(value, list) else
                           "" if value is None else str(value) for name, value in record.items()}
        tsv = outputs["tsv"][1]
        harmless(tsv, "\t\n")
        assert [line.count("\t") for line in tsv.split("\n")] == [len(TEXT_FIELDS)] * len(
            records) + [0]
        table = outputs["table"][1]
        harmless(table)
        assert len(table.splitlines()) == 1 + len(records)


@IN_PROCESS
@given(text=hostile_texts)
@example(text=SAMPLE)
def test_the_local_copy_view_messages_doctor_and_auth(hostile: Emulator, text: str) -> None:
    env, repo = flavours(hostile)["cloud"]
    number = max(pr["id"] for pr in hostile.pull_requests("acme", "widgets"))
    truth = next(pr for pr in hostile.pull_requests("acme", "widgets") if pr["id"] == number)
    with serving(hostile, text), tempfile.TemporaryDirectory() as directory:
        db = f"{directory}/copy.sqlite"
        live = {kind: listing(env, repo, "--format", kind, fields=COPIED)
                for kind in ("json", "tsv")}
        synced = run_in_process(["sync", repo, "--db", db], env, "")
        cached = {kind: listing(env, repo, "--cached", "--db", db, "--format", kind,
                                fields=COPIED) for kind in ("json", "tsv")}
        view_json = run_in_process(["view", repo, str(number), "--format", "json"], env, "")
        view_text = run_in_process(["view", repo, str(number)], env, "")
        refused = listing(env, repo, "--query", "title ~")
        datacenter_env, _ = flavours(hostile)["datacenter"]
        missing = run_in_process(["list", "ACME/nope"], datacenter_env, "")
        doctor = run_in_process(["doctor", repo], env, "")
        auth = run_in_process(["auth", "status"], env, "")
    assert synced[0] == 0, synced[2]
    assert cached == live  # the copy keeps the exact text, shown through the same boundary
    assert json.loads(view_json[1])["title"] == truth["title"] + text
    assert view_text[0] == 0 and one_line(truth["title"] + text) in view_text[1]
    assert refused[0] == 2 and missing[0] == 4 and doctor[0] == 0 and auth[0] == 0
    for _, out, err in (synced, view_text, refused, missing, doctor, auth):
        harmless(out + err)
    assert "HTTP 400" in refused[2] and "Logged in" in doctor[1] + auth[1]


@SUBPROCESS
@given(text=hostile_texts)
@example(text=SAMPLE)
def test_the_table_and_view_on_a_terminal(hostile: Emulator, text: str) -> None:
    env, repo = flavours(hostile)["cloud"]
    number = max(pr["id"] for pr in hostile.pull_requests("acme", "widgets"))
    title = next(pr["title"] for pr in hostile.pull_requests("acme", "widgets")
                 if pr["id"] == number)
    with serving(hostile, text):
        for colour in ({}, {"NO_COLOR": "1"}):
            table = run(f"bbpr list {repo} -s all -q", {**env, **colour}, columns=1000)
            view = run(f"bbpr view {repo} {number}", {**env, **colour}, columns=1000)
            for screen in (table, view):
                assert screen.code == 0, screen.output
                if colour:
                    assert "\x1b" not in screen.output
                else:
                    assert SGR.search(screen.output)
                shown = SGR.sub("", screen.output).replace("\r\n", "\n")
                harmless(shown)
            assert one_line(title + text) in SGR.sub("", view.output)
            assert len(table.output.strip().splitlines()) == 1 + len(
                hostile.pull_requests("acme", "widgets"))
