"""`bbpr emulator` and `python -m bbpr.emulator`: one command line, made twice.

Both are built from the switches declared on the fields of `Serving`, `Faults` and
`Settings`; these tests hold them to the same options, the same fields, the same parsing
and the same defaults, old spellings included.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

import click
import pytest

from bbpr.cli.emulator_command import emulator
from bbpr.emulator import Faults, Settings
from bbpr.emulator.__main__ import parser
from bbpr.emulator.command_line import Serving, arguments, chosen
from bbpr.emulator.hostile import SAMPLE, SLUG_SAMPLE

# What to type for each option, and the value the field gets. An option added without a
# line here fails `test_every_option_reads_the_same_on_both_command_lines`.
SAMPLES: dict[str, tuple[list[str], Any]] = {
    "--port": (["0"], 0),
    "--prs": (["7"], 7),
    "--seed": (["9"], 9),
    "--now": (["2026-01-31"], datetime(2026, 1, 31, tzinfo=UTC)),
    "--latency-ms": (["12.5"], 12.5),
    "--jitter-ms": (["3"], 3.0),
    "--rate-limit-every": (["10"], 10),
    "--rate-limit-rate": (["0.25"], 0.25),
    "--retry-after": (["0"], 0.0),
    "--rate-limit-window": (["100/10s"], (100, 10.0)),
    "--error-every": (["4"], 4),
    "--error-rate": (["0.1"], 0.1),
    "--error-burst": (["3"], 3),
    "--error-status": (["500"], 500),
    "--html-error-rate": (["0.2"], 0.2),
    "--html-error-status": (["504"], 504),
    "--drop-rate": (["0.05"], 0.05),
    "--truncate-rate": (["0.5"], 0.5),
    "--foreign-next-link": (["http://localhost:9"], "http://localhost:9"),
    "--not-a-page-from": (["2"], 2),
    "--not-a-page-count": (["5"], 5),
    "--not-a-page-body": (["{}"], "{}"),
    "--include-oauth": ([], True),
    "--state-with-q": (["applied"], "applied"),
    "--id-filters": (["500"], "500"),
    "--sort-ignored": ([], True),
    "--no-size": ([], True),
    "--drafts-hidden": (["always"], "always"),
    "--merge-queue": (["flag"], "flag"),
    "--mixed-fields": (["plus-dropped"], "plus-dropped"),
    "--changes-every": (["3"], 3),
    "--changes": (["create, merge"], frozenset({"create", "merge"})),
    "--dc-order-by": (["id"], "id"),
    "--hostile": ([], SAMPLE),
    "--hostile-slug": ([], SLUG_SAMPLE),
    "--lone-surrogates": ([], True),
    "--hostile-dates": (["past"], "past"),
    "--missing-ids": (["3,7-9"], frozenset({3, 7, 8, 9})),
    "--size-off-by": (["-2"], -2),
    "--ready-in-activity": (["hidden"], "hidden"),
    "--unknown-activity": (["task_created"], "task_created"),
    "--undated-unknown-activity": ([], True),
}
OLD_SPELLINGS = {
    "--rate-limit-probability": "--rate-limit-rate",
    "--server-error-every": "--error-every",
    "--server-error-probability": "--error-rate",
    "--server-error-burst": "--error-burst",
    "--server-error-status": "--error-status",
    "--html-error-probability": "--html-error-rate",
    "--drop-connection-probability": "--drop-rate",
    "--truncate-probability": "--truncate-rate",
    "--omit-size": "--no-size",
}
NOT_THE_EMULATORS = {"--debug", "--quiet", "-q", "--help", "-h"}  # bbpr's, and help


def click_fields() -> dict[str, str]:
    """Each spelling `bbpr emulator` takes, and the field it sets."""
    return {spelling: str(param.name) for param in emulator.params
            if isinstance(param, click.Option)
            for spelling in (*param.opts, *param.secondary_opts)
            if spelling not in NOT_THE_EMULATORS}


def argparse_fields() -> dict[str, str]:
    """Each spelling `python -m bbpr.emulator` takes, and the field it sets (argparse has
    no public list of its options: `_actions` is the one it keeps)."""
    return {spelling: action.dest for action in parser()._actions
            for spelling in action.option_strings if spelling not in NOT_THE_EMULATORS}


def by_click(args: list[str]) -> dict[str, Any]:
    with emulator.make_context("emulator", list(args)) as context:
        return chosen(context.params)


def by_argparse(args: list[str]) -> dict[str, Any]:
    return chosen(vars(parser().parse_args(args)))


def test_both_command_lines_take_the_same_spellings_for_the_same_fields() -> None:
    declared = {item.name for owner in (Serving, Faults, Settings) for item in fields(owner)}
    assert click_fields() == argparse_fields()
    assert set(click_fields().values()) <= declared
    assert set(click_fields()) == set(SAMPLES) | set(OLD_SPELLINGS)
    for old, new in OLD_SPELLINGS.items():
        assert click_fields()[old] == click_fields()[new]


def test_every_option_reads_the_same_on_both_command_lines() -> None:
    for spelling, (typed, value) in SAMPLES.items():
        field = click_fields()[spelling]
        assert by_click([spelling, *typed]) == by_argparse([spelling, *typed]) == {field: value}
    for old, new in OLD_SPELLINGS.items():
        typed, value = SAMPLES[new]
        assert by_click([old, *typed]) == by_argparse([old, *typed]) == by_click([new, *typed])


def test_nothing_typed_is_the_same_defaults_on_both() -> None:
    assert by_click([]) == by_argparse([]) == {}
    served = arguments({})
    assert served == {"port": 7990, "prs": 120, "seed": 1, "now": None}
    # A default typed again is no choice: the banner's Faults and Quirks lines stay empty.
    assert by_click(["--error-burst", "1", "--state-with-q", "dropped"]) == {}
    assert by_argparse(["--error-burst", "1", "--state-with-q", "dropped"]) == {}


@pytest.mark.parametrize("args", [
    ["--error-rate", "2"], ["--error-rate", "x"], ["--port", "70000"], ["--prs", "-1"],
    ["--error-status", "501"], ["--changes", "explode"], ["--missing-ids", "5-2"],
    ["--rate-limit-window", "lots"], ["--now", "yesterday"], ["--id-filters", "maybe"],
    ["--drop-connection-probability", "2"], ["--unknown-activity", "Task-Created"],
    ["--ready-in-activity", "sometimes"],
])  # fmt: skip
def test_a_bad_value_is_refused_by_both(args: list[str]) -> None:
    with pytest.raises(click.BadParameter):
        by_click(args)
    with pytest.raises(SystemExit):
        by_argparse(args)


def test_a_burst_needs_its_trigger_on_both() -> None:
    for given in (by_click(["--error-burst", "3"]), by_argparse(["--error-burst", "3"])):
        with pytest.raises(ValueError, match="--error-burst needs"):
            arguments(given)
    assert arguments(by_argparse(["--error-burst", "3", "--error-every", "5"]))["port"] == 7990


def test_the_old_spellings_work_but_are_not_shown() -> None:
    run = subprocess.run([sys.executable, "-m", "bbpr", "emulator", "--help"],
                         capture_output=True, text=True, timeout=60, check=True)
    argparse_help = parser().format_help()
    for shown in (run.stdout, argparse_help):
        assert "--error-rate" in shown and "--no-size" in shown and "--include-oauth" in shown
        assert not any(old in shown for old in OLD_SPELLINGS)
