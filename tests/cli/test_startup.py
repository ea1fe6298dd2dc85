"""`--version`, `--help` and a usage error stay fast: a command loads what it needs when it
runs, so that `bbpr list --help` imports neither the HTTP stack, rich, asyncio, the emulator,
the other commands nor the allowance's decision (a room's `__init__` loads none of its
modules: `allowance/choice` alone is loaded with the options) (B4 in BENCHMARKS.md times
them)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("httpx", "rich", "asyncio", "bbpr.client", "bbpr.http", "bbpr.allowance.decision",
         "bbpr.emulator", "bbpr.cli.demo_command", "bbpr.cli.emulator_command")

PROBE = """
import sys
from bbpr.cli import _run
_run({args!r})
print(sorted(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize("args", [
    ["list", "--help"], ["pr", "list", "--help"], ["view", "--help"], ["sync", "--help"],
    ["list", "acme/widgets", "--state", "nope"], ["list", "acme/widgets", "--stat", "open"],
    ["list", "acme/widgets", "--limit", "0"],
])
def test_help_and_usage_errors_import_nothing_heavy(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr


@pytest.mark.parametrize("args", [["--help"], ["demo", "--help"]])
def test_help_imports_no_http_or_rich(args: list[str]) -> None:
    probe = PROBE.format(args=args, heavy=("httpx", "rich", "bbpr.client", "bbpr.http"))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_version_answers_without_click() -> None:
    probe = ("import sys, runpy; sys.argv = ['bbpr', '--version']\n"
             "try:\n    runpy.run_module('bbpr', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print('click' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.startswith("bbpr ")
    assert done.stderr.strip() == "False"
