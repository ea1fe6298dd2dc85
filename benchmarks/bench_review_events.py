"""Review events: the requests `bbpr sync --review-events` spends per pull request, a first
sync and a later one, on Cloud and Data Center, beside what Apache DevLake's Bitbucket
collectors spend for the same pull requests.

    python benchmarks/bench_review_events.py [--prs 2000] [--changes 40] [--latency-ms 20]

Against the emulator (a real HTTP server on 127.0.0.1, its generated review timelines:
about ten activity entries a pull request) and the real command line in a subprocess:

1. the first sync with events of a repository of `--prs` pull requests;
2. a later sync after `--changes` pull requests changed (each reviewed, then half of them
   reviewed again, a few merged, a few new), of a copy kept up to date (one re-sync first
   moves the watermark past the pull requests the generated data stacks at its "now").

Each sync's events are checked against the emulator's truth. DevLake's collectors read the
pull request list (50 a page), then each pull request's comments and commits, one request
each (its `pr_comment_collector` and `pr_commit_collector`, a hundred a page): 2 per pull
request, plus the list pages; a later collection, those of the pull requests updated since.
Prints a Markdown table to paste into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from harness import STATE_DIR, Emulator, table

FLAVOURS = {"cloud": ("acme", "widgets"), "datacenter": ("ACME", "widgets")}


def environment(emu: Emulator, flavour: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("BITBUCKET_", "BBPR_"))}
    env |= {"BBPR_CONFIG_DIR": os.devnull, "BBPR_STATE_DIR": STATE_DIR, "NO_PROXY": "127.0.0.1"}
    if flavour == "cloud":
        return env | {"BITBUCKET_API_URL": emu.cloud_api_url,
                      "BITBUCKET_EMAIL": emu.demo.email, "BITBUCKET_TOKEN": emu.demo.api_token}
    return env | {"BITBUCKET_SERVER": emu.datacenter_url, "BITBUCKET_TOKEN": emu.dc_demo.token}


def sync(emu: Emulator, flavour: str, copy: Path) -> tuple[float, Counter[str]]:
    """One `bbpr sync --review-events`: its wall time and its requests, by kind."""
    owner, slug = FLAVOURS[flavour]
    before = len(emu.requests)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bbpr", "sync", f"{owner}/{slug}",
                           "--review-events", "--db", str(copy)],
                          env=environment(emu, flavour), capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bbpr sync failed ({done.returncode}): {done.stderr}")
    kinds = Counter("activity" if "/activit" in request.path else "list"
                    for request in emu.requests[before:])
    return seconds, kinds


def check(emu: Emulator, flavour: str, copy: Path) -> int:
    """The copy's events equal the emulator's truth; how many there are."""
    owner, slug = FLAVOURS[flavour]
    with sqlite3.connect(copy) as db:
        stored = Counter(db.execute(
            "SELECT e.pull_request_id, e.kind, e.happened_on, e.user_id FROM review_events e "
            "JOIN repositories r ON r.id = e.repository_id WHERE r.owner = ?", (owner,)))
    truth = Counter((number, event.kind, event.on.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                     event.user_id)
                    for number, found in emu.review_truth(owner, slug, flavour=flavour).items()
                    for event in found.events)
    if stored != truth:
        raise SystemExit(f"{flavour}: the copy's events differ from the emulator's truth")
    return sum(stored.values())


def change(emu: Emulator, flavour: str, count: int) -> int:
    """Review `count` open pull requests (half of them twice), merge a few, add a few;
    return how many pull requests changed."""
    owner, slug = FLAVOURS[flavour]
    records = (emu.pull_requests(owner, slug) if flavour == "cloud"
               else emu.dc_pull_requests(owner, slug))
    opened = [pr for pr in records if pr["state"] == "OPEN"][:count]
    for index, pr in enumerate(opened):
        author = pr["author"]["nickname"] if flavour == "cloud" else pr["author"]["user"]["name"]
        who = next(name for name in ("mei", "sam", "alex") if name != author)
        emu.review(owner, slug, pr["id"], who, "changes_requested", flavour=flavour)
        if index % 2:
            emu.review(owner, slug, pr["id"], who, "approved", flavour=flavour)
        if index % 10 == 9:
            emu.set_state(owner, slug, pr["id"], "MERGED", flavour=flavour)
    new = max(1, count // 10)
    for _ in range(new):
        emu.create_pull_request(owner, slug, flavour=flavour)
    return len(opened) + new


def devlake(pull_requests: int) -> int:
    return math.ceil(pull_requests / 50) + 2 * pull_requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prs", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=20)
    args = parser.parse_args()
    rows = [["flavour", "sync", "pull requests", "events", "wall time", "requests (list + "
             "activity)", "per pull request", "DevLake", "DevLake per pull request"]]
    with Emulator(prs=args.prs, seed=1, latency_ms=args.latency_ms) as emu, \
            tempfile.TemporaryDirectory() as work:
        for flavour in FLAVOURS:
            copy = Path(work) / f"{flavour}.sqlite"
            seconds, kinds = sync(emu, flavour, copy)
            events = check(emu, flavour, copy)
            spent = sum(kinds.values())
            rows.append([flavour, "first", f"{args.prs:,}", f"{events:,}", f"{seconds:.1f} s",
                         f"{spent:,} ({kinds['list']} + {kinds['activity']})",
                         f"{spent / args.prs:.2f}", f"{devlake(args.prs):,}",
                         f"{devlake(args.prs) / args.prs:.2f}"])
            sync(emu, flavour, copy)  # past the pull requests stacked at the data's "now"
            changed = change(emu, flavour, args.changes)
            seconds, kinds = sync(emu, flavour, copy)
            events = check(emu, flavour, copy)
            spent = sum(kinds.values())
            rows.append([flavour, f"later, {changed} changed", f"{changed}", f"{events:,}",
                         f"{seconds:.1f} s",
                         f"{spent:,} ({kinds['list']} + {kinds['activity']})",
                         f"{spent / changed:.2f}", f"{devlake(changed):,}",
                         f"{devlake(changed) / changed:.2f}"])
    print(f"Review events of {args.prs:,} pull requests, {args.latency_ms:.0f} ms a request; "
          "per pull request: of those read (first), of those changed (later).\n")
    print(table(rows))


if __name__ == "__main__":
    main()
