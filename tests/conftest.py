"""Fixtures shared by the tests: a real emulator on 127.0.0.1, and the real CLI in a
subprocess, with an environment that holds only what each test gives it."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bbpr.emulator import Emulator

STATE_DIR = tempfile.mkdtemp(prefix="bbpr-state-")
"""bbpr's state directory (the allowance ledger) for every test: never the user's own."""
os.environ["BBPR_STATE_DIR"] = STATE_DIR  # for the CLI run in-process, and the library

DEMO_PRS = 237
"""Not a multiple of 50, so that the last page is a partial one."""


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator(prs=DEMO_PRS, seed=7) as emu:
        yield emu


@pytest.fixture
def fresh_emulator() -> Iterator[Emulator]:
    """An emulator of one's own, for tests that change its settings or data."""
    with Emulator(prs=DEMO_PRS, seed=11) as emu:
        yield emu


def base_environment() -> dict[str, str]:
    """The process environment without anything that could reach a real Bitbucket."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR", "PYTHONPATH")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env["BBPR_PAGER"] = "cat"  # a test on a terminal must not wait in `less`
    env["BBPR_STATE_DIR"] = STATE_DIR
    return env


def cloud_environment(emu: Emulator, **extra: str) -> dict[str, str]:
    env = base_environment()
    env.update(BITBUCKET_API_URL=emu.cloud_api_url, BITBUCKET_EMAIL=emu.demo.email,
               BITBUCKET_TOKEN=emu.demo.api_token)
    env.update(extra)
    return {name: value for name, value in env.items() if value != ""}


def flavour_environment(emu: Emulator, flavour: str, **extra: str) -> dict[str, str]:
    """The demo account of one flavour of `emu`, and no configuration file."""
    if flavour == "cloud":
        return cloud_environment(emu, BBPR_CONFIG_DIR="/nonexistent/bbpr", **extra)
    return base_environment() | {"BITBUCKET_SERVER": emu.datacenter_url,
                                 "BITBUCKET_TOKEN": emu.dc_demo.token,
                                 "BBPR_CONFIG_DIR": "/nonexistent/bbpr"} | extra


@dataclass
class Run:
    code: int
    out: str
    err: str


def bbpr(*args: str, env: dict[str, str], input: str | None = None, **kwargs: Any) -> Run:
    """Run the real `bbpr` command line in a subprocess."""
    done = subprocess.run(
        [sys.executable, "-m", "bbpr", *args], env=env, input=input, capture_output=True,
        text=True, timeout=120, check=False, **kwargs,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def pull_request_requests(emu: Emulator, since: int = 0) -> list[Any]:
    """The pull request list requests the emulator served after position `since`."""
    return [request for request in emu.requests[since:]
            if request.path.endswith("/pullrequests")]


def ids_of(output: str) -> list[int]:
    return [int(line) for line in output.split()]


def truth(emu: Emulator, *states: str) -> list[int]:
    return sorted((pr["id"] for pr in emu.pull_requests("acme", "widgets")
                   if not states or pr["state"] in states), reverse=True)


def iso_exact(moment: datetime | None) -> str | None:
    """A time as bbpr prints it: UTC, to the microsecond."""
    return moment and moment.astimezone(UTC).isoformat(timespec="microseconds").replace(
        "+00:00", "Z")


def q_of(request: Any) -> str:
    return request.query.get("q", [""])[-1]


def run_in_process(args: list[str], env: dict[str, str], stdin: str) -> tuple[int, str, str]:
    """Run the CLI in this process with exactly `env` and `stdin`; its exit code, stdout and
    stderr. Much faster than a subprocess, for property tests that run it hundreds of times."""
    from bbpr.cli import _run

    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_stdin = dict(os.environ), sys.stdin
    os.environ.clear()
    os.environ.update(env)
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = _run(args)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.stdin = saved_stdin
    return code, out.getvalue(), err.getvalue()
