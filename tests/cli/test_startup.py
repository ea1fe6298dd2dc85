"""`--version` and `--help` stay fast: they must not import the HTTP stack or rich."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
from bbpr.cli import cli
try:
    cli.main({args!r}, prog_name="bbpr", standalone_mode=False)
except SystemExit:
    pass
print(sorted(m for m in ("httpx", "rich", "bbpr.client", "bbpr.http") if m in sys.modules))
"""


@pytest.mark.parametrize("args", [["--help"], ["list", "--help"], ["demo", "--help"]])
def test_help_imports_no_http_or_rich(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True,
                          text=True, check=True)
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
