"""What the benchmarks share: an emulator in this process, contenders in their own.

The emulator runs in a thread of the benchmark process; bbpr and every program it is
compared with run as separate processes, so none of them shares an interpreter lock with
the server, and each is measured from start to exit, start-up included. Requests are
counted by the emulator, which sees them all.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from bbpr.emulator import Emulator

STATE_DIR = tempfile.mkdtemp(prefix="bbpr-bench-state-")
"""bbpr's state directory (the allowance ledger) for the benchmark's runs."""
STATES = ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]
"""Every Cloud state: what the contenders ask for, since the API's default is OPEN only."""

REQUESTS_SESSION = """
import os, requests
session = requests.Session()
session.auth = (os.environ["BITBUCKET_EMAIL"], os.environ["BITBUCKET_TOKEN"])
base = os.environ["BITBUCKET_API_URL"] + "/repositories/acme/widgets/pullrequests"
"""
"""The start of every `requests` loop: a session with the demo credentials, and `base`."""

ATLASSIAN_EACH = """
import itertools, os
from atlassian.bitbucket import Cloud
cloud = Cloud(url=os.environ["BITBUCKET_API_URL"].removesuffix("/2.0"),
              username=os.environ["BITBUCKET_EMAIL"], password=os.environ["BITBUCKET_TOKEN"])
pulls = cloud.repositories.get("acme", "widgets").pullrequests
states = " OR ".join('state="%%s"' %% state for state in %r)
for pr in itertools.islice(pulls.each(q=states), %d):
"""
"""atlassian-python-api's `each()` over every state, up to a count: `% (STATES, count)`,
then the loop's body, indented."""

@dataclass
class Measure:
    name: str
    seconds: float
    requests: int
    items: int
    note: str = ""
    bytes: int = 0
    """Response bodies the emulator sent, in bytes (of the last run)."""


def environment(emu: Emulator) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("BITBUCKET_", "BBPR_"))}
    return env | {"BITBUCKET_API_URL": emu.cloud_api_url, "BITBUCKET_EMAIL": emu.demo.email,
                  "BITBUCKET_TOKEN": emu.demo.api_token, "BBPR_CONFIG_DIR": os.devnull,
                  "BBPR_STATE_DIR": STATE_DIR,
                  "NO_PROXY": "127.0.0.1"}


def run(emu: Emulator, name: str, command: list[str], env: dict[str, str],
        repeat: int = 1, *, lines: bool = False) -> Measure:
    """Run a contender `repeat` times; its median wall time, the requests, the bytes and the
    words it printed (one per pull request; with `lines`, lines) of its last run."""
    times = []
    for _ in range(repeat):
        before = emu.request_count
        since = len(emu.requests)
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{name} failed ({done.returncode}): {done.stderr[-2000:]}")
    items = len(done.stdout.splitlines() if lines else done.stdout.split())
    return Measure(name, statistics.median(times), emu.request_count - before, items,
                   f"median of {repeat}" if repeat > 1 else "",
                   sum(request.size for request in emu.requests[since:]))


def bbpr(*args: str) -> list[str]:
    return [sys.executable, "-m", "bbpr", *args]


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def peak_rss_mb(command: list[str], env: dict[str, str]) -> float:
    """The peak resident memory of a command, in MB, measured by a fresh parent."""
    probe = (
        "import resource, subprocess, sys\n"
        f"done = subprocess.run({command!r}, stdout=subprocess.DEVNULL)\n"
        "assert done.returncode == 0, done.returncode\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                         text=True, check=True).stdout
    return int(out.strip()) / 1024


def median_seconds(command: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


__all__ = ["Emulator", "Measure", "resource"]
