"""`bbpr report` through the real command line: every format gives the same numbers, the
terminal shows charts and piped text no escape code, a hostile title stays text, and the
errors (no copy, no events, a missing extra, a bad option) end as the contract says."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import msgspec
import pytest

from bbpr.asked.targets import parse_target
from bbpr.emulator import Emulator
from bbpr.report.numbers import ReportOptions
from bbpr.report.records import Report
from bbpr.report.source import read_report

from ..conftest import base_environment, bbpr, cloud_environment
from ..terminal import run as on_terminal
from .timelines import HOST, Timeline, at, write_copy

HOSTILE = "<script>alert(1)</script> \x1b]52;c;cGF5bG9hZA==\x07 [bold]x[/bold]"
PERIOD = ("--since", "2026-03-01", "--until", "2026-03-21", "--tz", "UTC")


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stories = [Timeline(number, created=number * 10,
                        events=[("alex" if number % 2 else "jo", "comment", number * 11)],
                        merged=number * 11 + 1) for number in (1, 2, 3, 4)]
    stories += [Timeline(5, created=30, title=HOSTILE, reviewers=("priya",)),
                Timeline(6, author="alex", created=24 * 8, events=[("jo", "approval", 24 * 8 + 2)],
                         merged=24 * 8 + 3)]
    return write_copy(tmp_path_factory.mktemp("report") / "copy.sqlite", stories)


def environment(**extra: str) -> dict[str, str]:
    return base_environment() | {"BITBUCKET_API_URL": HOST, "COLUMNS": "160"} | extra


def report(copy: Path, *args: str, **extra: str) -> tuple[int, str, str]:
    done = bbpr("report", "acme/widgets", "--db", str(copy), *PERIOD, *args,
                env=environment(**extra))
    return done.code, done.out, done.err


def test_json_is_the_librarys_report_exactly(copy: Path) -> None:
    code, out, err = report(copy, "--format", "json")
    assert code == 0, err
    found = msgspec.convert(json.loads(out), Report)
    expected = read_report(copy, HOST, parse_target("acme/widgets"), ReportOptions(
        since=at(-33), until=at(24 * 20 - 9)))
    assert found == msgspec.structs.replace(expected, time_zone="UTC")
    assert json.loads(out)["summary"]["pickup_time"] == {
        "count": 5, "p50": 7200, "p75": 10800, "p90": 14400, "mean": 8640}  # 1h 2h 2h 3h 4h
    assert json.loads(out)["since"] == "2026-03-01T00:00:00.000000Z"


@pytest.mark.parametrize("by", ["week", "author", "reviewer", "repository"])
def test_csv_and_ndjson_are_the_rows_of_the_json_section(copy: Path, by: str) -> None:
    _, whole, _ = report(copy, "--format", "json")
    section = json.loads(whole)[{"week": "weeks", "author": "authors", "reviewer": "reviewers",
                                 "repository": "by_repository"}[by]]
    code, lines, err = report(copy, "--format", "ndjson", "--by", by)
    assert code == 0, err
    assert [json.loads(line) for line in lines.splitlines()] == section
    code, table, _ = report(copy, "--format", "csv", "--by", by)
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [list(row) for row in rows[:1]] == [list(section[0])]
    assert rows == [{name: "" if value is None else str(value) for name, value in row.items()}
                    for row in section]


def test_piped_text_is_plain_and_shows_the_hostile_title_as_text(copy: Path) -> None:
    code, out, err = report(copy, "--by", "author")
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "Review report: acme/widgets" in out
    assert "5 opened" not in out and "6 opened, 5 merged" in out
    assert "pickup time" in out and "Authors" in out and "Dana Demo" in out
    assert "<script>alert(1)</script> \\x1b]52;c;cGF5bG9hZA==\\x07 [bold]x[/bold]" in out
    assert "Waiting for a first review (1)" in out


def test_a_terminal_gets_weekly_bars_and_a_trend_line(copy: Path) -> None:
    screen = on_terminal(f"bbpr report acme/widgets --db {copy} {' '.join(PERIOD)}",
                         environment(COLUMNS="120"), columns=120)
    assert screen.code == 0, screen.output
    assert "Opened and merged, by week" in screen.output
    assert "█" in screen.output and "2026-W10" in screen.output
    assert "Time to merge (p50), by week:" in screen.output
    assert "\x1b]52" not in screen.output  # the hostile title's escape is shown, not sent
    no_colour = on_terminal(f"bbpr report acme/widgets --db {copy} {' '.join(PERIOD)}",
                            environment(NO_COLOR="1"), columns=120)
    assert "\x1b[" not in no_colour.output


def test_html_writes_one_page_with_every_text_escaped(copy: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    code, out, err = report(copy, "--html", str(page))
    assert code == 0, err
    assert out == "" and f"to {page}" in err
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.count("<svg") == 5
    assert "Content-Security-Policy" in text
    code, out, _ = report(copy, "--html", "-")
    assert code == 0 and out.startswith("<!DOCTYPE html>")


def test_a_missing_extra_is_said_in_one_sentence(copy: Path, tmp_path: Path) -> None:
    hidden = tmp_path / "hidden"
    (hidden / "vl_convert").mkdir(parents=True)
    (hidden / "vl_convert" / "__init__.py").write_text(
        "raise ImportError('vl_convert is hidden by this test')\n")
    page = tmp_path / "page.html"
    code, out, err = report(copy, "--html", str(page), PYTHONPATH=str(hidden))
    assert code == 2
    assert "pip install 'bbpr[report]'" in err
    assert "Traceback" not in err and not page.exists()
    code, out, err = report(copy, "--format", "json", PYTHONPATH=str(hidden))
    assert code == 0, err  # everything but the page works without it
    assert json.loads(out)["target"] == "acme/widgets"


def test_no_copy_exits_4_naming_the_sync_with_db(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite"
    done = bbpr("report", "acme/widgets", "--db", str(missing), env=environment())
    assert done.code == 4
    assert f"bbpr sync acme/widgets --db {missing} --review-events" in done.err
    assert "request" in done.err and not missing.exists()


def test_a_copy_without_events_exits_2_naming_the_sync(tmp_path: Path) -> None:
    path = write_copy(tmp_path / "c.sqlite", [Timeline(1, merged=3)], review_events=False)
    done = bbpr("report", "acme/widgets", "--db", str(path), env=environment())
    assert done.code == 2
    assert f"`bbpr sync acme/widgets --db {path} --review-events`" in done.err
    assert "Traceback" not in done.err


@pytest.mark.parametrize(("args", "said"), [
    (("--tz", "Mars/Olympus"), "not a time zone"),
    (("--since", "yesterday-ish"), "--since 'yesterday-ish' is not a date"),
    (("--since", "2026-03-10", "--until", "2026-03-01"), "The period is empty"),
    (("--stale", "2026-01-01"), "--stale '2026-01-01' is not an age"),
    (("--by", "team"), "Invalid value for '--by'"),
    (("--format", "jsn"), "Did you mean 'json'?"),
])
def test_bad_options_exit_2_with_one_sentence(copy: Path, args: tuple[str, ...],
                                              said: str) -> None:
    done = bbpr("report", "acme/widgets", "--db", str(copy), *args, env=environment())
    assert done.code == 2
    assert said in done.err and "Traceback" not in done.err


def test_the_report_is_listed_in_help() -> None:
    done = bbpr("--help", env=environment())
    assert "report" in done.out
    done = bbpr("report", "--help", env=environment())
    assert "--working-days" in done.out and "--exclude-user" in done.out


def _sync_keeps_review_events() -> bool:
    from bbpr.cli.sync_command import sync_command

    return any(parameter.name == "review_events" for parameter in sync_command.params)


@pytest.mark.skipif(not _sync_keeps_review_events(),
                    reason="bbpr sync has no --review-events yet (the other half of issue 23)")
def test_sync_first_brings_the_copy_up_to_date_then_reports(emulator: Emulator,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    done = bbpr("report", "acme/widgets", "--db", str(path), "--sync", "--since", "1y",
                "--format", "json", env=cloud_environment(emulator))
    assert done.code == 0, done.err
    assert json.loads(done.out)["repositories"] == ["acme/widgets"]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT review_events FROM repositories WHERE slug = 'widgets'"
                          ).fetchone() == (1,)
