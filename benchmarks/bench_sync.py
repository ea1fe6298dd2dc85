"""`bbpr sync` next to a full re-list, and `bbpr list --cached` of 100,000 pull requests.

    python benchmarks/bench_sync.py [--latency-ms 100] [--prs 5000] [--cached-prs 100000]

Against the emulator (a real HTTP server on 127.0.0.1) with a fixed latency per request, and
the real command line in subprocesses, so every figure includes Python's start-up:

1. the first sync of a repository of `--prs` pull requests, and the same with
   `--close-times` (Cloud's close times come from the activity feed, read page by page);
2. a re-sync after 10 changes (3 new, 3 merged, 2 declined, 2 updated), of a copy kept up to
   date: one earlier change and re-sync move the watermark past the hundred updates that the
   generated data stacks at the emulator's fixed "now" (that first re-sync is shown too);
3. a full re-list, `bbpr list --state all --format ndjson`, what a script would do instead;
4. `bbpr list --cached --format ndjson` of `--cached-prs` pull requests (a Data Center
   repository: its 1000-item pages make the copy quick to build), end to end and the read
   alone (`cached.read`), best of three.

Prints a Markdown table to paste into BENCHMARKS.md, with the command that produced it.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bbpr.asked.filters import make_query
from bbpr.asked.targets import parse_target
from bbpr.cli.output import make_writer
from bbpr.connect import host_for
from bbpr.copy import reader as cached
from bbpr.emulator import Emulator
from bbpr.models import DEFAULT_FIELDS


def bbpr(args: list[str], env: dict[str, str]) -> float:
    """Run the command line in the work directory (`WORK` in `env`), output discarded;
    return its wall time in seconds."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bbpr", *args], env=env, cwd=env["WORK"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bbpr {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return elapsed


def measure(emu: Emulator, rows: list[tuple[str, str, str, str]], what: str,
            args: list[str], env: dict[str, str]) -> None:
    before = emu.request_count
    seconds = bbpr(args, env)
    rows.append((what, "bbpr " + " ".join(args), f"{seconds:.2f} s",
                 str(emu.request_count - before)))
    print(f"  {what}: {seconds:.2f} s", file=sys.stderr)


def ten_changes(emu: Emulator, owner: str, slug: str) -> None:
    ids = [pr["id"] for pr in emu.pull_requests(owner, slug)]
    for number in ids[100:160:20]:
        emu.set_state(owner, slug, number, "MERGED")
    for number in ids[1000:1002]:
        emu.set_state(owner, slug, number, "DECLINED")
    for number in (ids[7], ids[-50]):
        emu.touch(owner, slug, number)
    for _ in range(3):
        emu.create_pull_request(owner, slug)


def environment(emu: Emulator, work: Path) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "PYTHONPATH", "TMPDIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    return env | {"WORK": str(work), "NO_PROXY": "127.0.0.1",
                  "BBPR_CONFIG_DIR": "/nonexistent/bbpr",
                  "BITBUCKET_API_URL": emu.cloud_api_url, "BITBUCKET_EMAIL": emu.demo.email,
                  "BITBUCKET_TOKEN": emu.demo.api_token}


def sync_figures(emu: Emulator, prs: int, work: Path) -> list[tuple[str, str, str, str]]:
    slug = emu.add_repository("acme", "five-k", prs=prs)
    repo, db, env = f"acme/{slug}", "sync.sqlite", environment(emu, work)
    rows: list[tuple[str, str, str, str]] = []
    measure(emu, rows, "first sync", ["sync", repo, "--db", db], env)
    measure(emu, rows, "first sync, --close-times",
            ["sync", repo, "--db", "close-times.sqlite", "--close-times"], env)
    emu.touch("acme", slug, 1)
    measure(emu, rows, "first re-sync, 1 change", ["sync", repo, "--db", db], env)
    ten_changes(emu, "acme", slug)
    measure(emu, rows, "re-sync, 10 changes", ["sync", repo, "--db", db], env)
    measure(emu, rows, "full re-list", ["list", repo, "--state", "all", "--format", "ndjson"],
            env)
    measure(emu, rows, "cached list", ["list", repo, "--state", "all", "--format", "ndjson",
                                       "--cached", "--db", db], env)
    return rows


def cached_figures(emu: Emulator, prs: int, work: Path) -> list[tuple[str, str, str, str]]:
    emu.settings.latency_ms = 0  # building the copy is not what is measured here
    slug = emu.add_dc_repository("ACME", "everything", prs=prs)
    repo, db = f"ACME/{slug}", "cached.sqlite"
    env = {name: value for name, value in environment(emu, work).items()
           if not name.startswith("BITBUCKET_")}
    env |= {"BITBUCKET_SERVER": emu.datacenter_url, "BITBUCKET_TOKEN": emu.dc_demo.token}
    print(f"  building a copy of {prs:,} pull requests...", file=sys.stderr)
    bbpr(["sync", repo, "--db", db], env)
    args = ["list", repo, "--state", "all", "--format", "ndjson", "--cached", "--db", db]
    end_to_end = min(bbpr(args, env) for _ in range(3))
    read, read_and_encode = best_reads(work / db, emu.datacenter_url, repo)
    command = "bbpr " + " ".join(args)
    return [(f"cached list of {prs:,}, end to end", command, f"{end_to_end:.2f} s", "0"),
            (f"... the read alone (cached.read, {prs:,} records)", "", f"{read:.2f} s", "0"),
            ("... the read and NDJSON encoding, in process", "", f"{read_and_encode:.2f} s",
             "0")]


def best_reads(db: Path, server: str, repo: str) -> tuple[float, float]:
    target = parse_target(repo, server=server)
    query = make_query(state="all", fields=DEFAULT_FIELDS)
    reads, encodes = [], []
    for _ in range(3):  # pages are dropped as they go, as the command line does
        started = time.perf_counter()
        count = sum(len(page) for page in cached.read(db, host_for(target), target,
                                                     query).pages)
        reads.append(time.perf_counter() - started)
        assert count > 0
        started = time.perf_counter()
        writer = make_writer("ndjson", DEFAULT_FIELDS, io.StringIO(), several_repositories=False)
        for page in cached.read(db, host_for(target), target, query).pages:
            writer.write(page)
        encodes.append(time.perf_counter() - started)
    return min(reads), min(encodes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--prs", type=int, default=5000)
    parser.add_argument("--cached-prs", type=int, default=100_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work, \
            Emulator(prs=20, seed=2026, latency_ms=options.latency_ms) as emu:
        rows = sync_figures(emu, options.prs, Path(work))
        rows += cached_figures(emu, options.cached_prs, Path(work))
    command = " ".join(["python", "benchmarks/bench_sync.py", *sys.argv[1:]])
    print(f"`{command}`: emulator latency {options.latency_ms:g} ms per request, "
          f"{options.prs:,} pull requests; Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {platform.system()}.\n")
    print("| step | command | wall time | requests |")
    print("|---|---|---:|---:|")
    for what, command_line, seconds, requests in rows:
        shown = f"`{command_line}`" if command_line else ""
        print(f"| {what} | {shown} | {seconds} | {requests} |")


if __name__ == "__main__":
    main()
