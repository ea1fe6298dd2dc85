"""`bbpr report` over a generated copy of 50,000 pull requests and 500,000 review events,
beside the same numbers computed by a Python loop over the events.

    python benchmarks/bench_report.py [--prs 50000] [--events-per-pr 10] [--repeat 3]
                                      [--before DIR]
    python benchmarks/bench_report.py --prs 2000 --copy demo.sqlite   # the copy alone

`--before DIR`: also run the bbpr whose source tree is DIR (a `git worktree` of an older
commit, say), side by side, for the figures of a change.

The copy is written once, straight into SQLite through the copy's own migration: a
workspace of 10 repositories, a year of pull requests, each with an author's comments,
reviewers' comments, approvals and change requests spread over minutes to days (seed 23),
and its people as a sync stores them: two requested reviewers and everyone else who took
part, with their verdicts.
Then, each in its own process, start-up included, best of `--repeat`:

1. `bbpr report acme --format json` of the whole year (every pull request in the period);
2. the same on one processor (the process's affinity), so with no second thread counting
   beside the metrics;
3. the same with `--working-days --tz Europe/Berlin` (a Python function per span);
4. the loop: every event read into Python, per pull request the first review by another
   and the merge, then pickup and time-to-merge percentiles (what a script would write);
5. `bbpr report` of a tenth of the copy, to show that memory does not grow with the events;
6. with `--before DIR`, that bbpr's report as in 1.

Wall time and peak memory (the process's maximum resident set) of each. Prints a Markdown
table to paste into BENCHMARKS.md. Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bbpr.copy import schema
from bbpr.copy.file import connect, transaction

HOST = "https://api.bitbucket.org/2.0"
START = datetime(2025, 3, 3, 9, tzinfo=UTC)
PEOPLE = [(f"{{{number:08d}-0000-0000-0000-000000000000}}", f"dev{number}",
           f"Developer {number}") for number in range(40)]
REPOSITORIES = 10

LOOP = r'''
import sqlite3, statistics, sys
connection = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
authors, merged = {}, {}
for repository, number, author, state, created, closed in connection.execute(
        "SELECT repository_id, id, author_id, state, created_on, closed_on FROM pull_requests"):
    authors[repository, number] = (author, created)
    if state == "MERGED":
        merged[repository, number] = closed
first = {}
for repository, number, kind, when, who in connection.execute(
        "SELECT repository_id, pull_request_id, kind, happened_on, user_id FROM review_events"):
    author, created = authors[repository, number]
    if kind in ("comment", "approval", "changes_requested") and who != author \
            and when >= created and (merged.get((repository, number)) is None
                                     or when <= merged[repository, number]):
        if (repository, number) not in first or when < first[repository, number]:
            first[repository, number] = when
from datetime import datetime
def seconds(start, end):
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
pickup = sorted(seconds(authors[key][1], when) for key, when in first.items())
merge = sorted(seconds(authors[key][1], when) for key, when in merged.items() if when)
print(len(pickup), statistics.median(pickup), len(merge), statistics.median(merge))
'''


def generate(path: Path, prs: int, per_pr: int, seed: int = 23) -> int:
    """Write the copy; return the number of events written."""
    chance = random.Random(seed)
    asked = random.Random(seed + 1)  # the reviewers: the events stay those of seed alone
    connection = connect(path)
    events = 0
    per_repository = prs // REPOSITORIES
    with transaction(connection) as db:
        for number in range(1, REPOSITORIES + 1):
            db.execute("INSERT INTO repositories (id, host, flavour, owner, slug, position, "
                       "watermark, completed_at, last_pass_completed, close_times, "
                       "review_events) VALUES (?, ?, 'cloud', 'acme', ?, ?, ?, ?, 1, 1, 1)",
                       (number, HOST, f"repo-{number}", number, schema.to_text(START),
                        schema.to_text(START + timedelta(days=366))))
        db.execute("INSERT INTO owners VALUES (?, 'acme', ?)", (HOST, schema.now()))
        for repository in range(1, REPOSITORIES + 1):
            rows, event_rows, people_rows = [], [], []
            for number in range(1, per_repository + 1):
                author = chance.choice(PEOPLE)
                created = START + timedelta(minutes=chance.randrange(365 * 24 * 60))
                roll = chance.random()
                state = "MERGED" if roll < 0.8 else "DECLINED" if roll < 0.9 else "OPEN"
                moments = sorted(created + timedelta(minutes=int(chance.expovariate(1 / 600)))
                                 for _ in range(per_pr))
                closed = moments[-1] + timedelta(minutes=5) if state != "OPEN" else None
                rows.append((repository, number, f"Change {number}", state, author[2],
                             author[1], author[0], "feature", "main", schema.to_text(created),
                             schema.to_text(closed or moments[-1]),
                             None if closed is None else schema.to_text(closed)))
                verdicts: dict[tuple[str, str, str], set[str]] = {}
                for index, moment in enumerate(moments):
                    who = author if index == 0 else chance.choice(PEOPLE)
                    kind = chance.choices(["comment", "approval", "changes_requested",
                                           "updated"], [6, 2, 1, 1])[0]
                    event_rows.append((repository, number, f"{kind}-{index}", kind,
                                       schema.to_text(moment), who[0], who[1], who[2]))
                    verdicts.setdefault(who, set()).add(kind)
                # Two requested reviewers, then everyone else who took part, as a sync
                # stores them (`participants`), with their verdicts.
                reviewers = asked.sample([person for person in PEOPLE if person != author], 2)
                others = [person for person in verdicts
                          if person != author and person not in reviewers]
                for position, person in enumerate([*reviewers, *others]):
                    done = verdicts.get(person, set())
                    people_rows.append((
                        repository, number, position,
                        "REVIEWER" if position < 2 else "PARTICIPANT", person[2], person[1],
                        person[0], int("approval" in done), int("changes_requested" in done)))
            db.executemany(
                "INSERT INTO pull_requests (repository_id, id, title, state, author, "
                "author_login, author_id, source_branch, destination_branch, created_on, "
                "updated_on, closed_on, seen_in_run) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0)", rows)
            db.executemany(
                "INSERT INTO review_events (repository_id, pull_request_id, event_key, kind, "
                "happened_on, user_id, login, name) VALUES (?,?,?,?,?,?,?,?)", event_rows)
            db.executemany(
                "INSERT INTO participants (repository_id, pull_request_id, position, role, "
                "name, login, user_id, approved, changes_requested) "
                "VALUES (?,?,?,?,?,?,?,?,?)", people_rows)
            events += len(event_rows)
    connection.close()
    return events


def wrapped(command: list[str]) -> list[str]:
    """`command` run so that it prints its own peak memory (MB) on stderr's last line."""
    code = ("import resource, runpy, subprocess, sys\n"
            "done = subprocess.run(sys.argv[1:])\n"
            "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
            "print(f'PEAK {peak:.1f}', file=sys.stderr)\n"
            "sys.exit(done.returncode)\n")
    return [sys.executable, "-c", code, *command]


def one_processor() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def run(command: list[str], repeat: int, *, source: Path | None = None,
        single: bool = False) -> tuple[float, float, str]:
    """Best wall time (s) and its peak memory (MB), and what it printed; `source`: the
    source tree whose bbpr runs; `single`: on one processor."""
    best: tuple[float, float, str] | None = None
    environment = {**os.environ, "PYTHONPATH": str(source / "src")} if source else None
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(wrapped(command), capture_output=True, text=True, check=False,
                              env=environment, preexec_fn=one_processor if single else None)
        elapsed = time.perf_counter() - started
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
        peak = float(done.stderr.strip().rsplit("PEAK ", 1)[1])
        if best is None or elapsed < best[0]:
            best = (elapsed, peak, done.stdout)
    assert best is not None
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prs", type=int, default=50_000)
    parser.add_argument("--events-per-pr", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="The source tree of another bbpr to run side by side.")
    parser.add_argument("--copy", type=Path, metavar="PATH",
                        help="Only write the generated copy there (to try `bbpr report "
                             "acme --db PATH` on), and measure nothing.")
    arguments = parser.parse_args()
    if arguments.copy:
        generate(arguments.copy, arguments.prs, arguments.events_per_pr)
        return
    work = Path(tempfile.mkdtemp(prefix="bbpr-bench-report-"))
    big, small = work / "report.sqlite", work / "tenth.sqlite"
    started = time.perf_counter()
    events = generate(big, arguments.prs, arguments.events_per_pr)
    generate(small, arguments.prs // 10, arguments.events_per_pr)
    print(f"copy: {arguments.prs:,} pull requests, {events:,} events, "
          f"{big.stat().st_size / 2**20:.0f} MB, written in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    period = ["--since", "2025-03-01", "--until", "2026-03-31", "--tz", "UTC"]
    bbpr = [sys.executable, "-m", "bbpr", "report", "acme", *period]
    rows = []
    whole = [*bbpr, "--db", str(big), "--format", "json"]
    runs: list[tuple[str, list[str], Path | None, bool]] = [
            ("bbpr report, JSON", whole, None, False),
            ("... on one processor (no thread beside)", whole, None, True),
            ("... --working-days --tz Europe/Berlin",
             [*bbpr[:-2], "--tz", "Europe/Berlin", "--db", str(big), "--format", "json",
              "--working-days"], None, False),
            ("a Python loop over the events (pickup, time to merge)",
             [sys.executable, "-c", LOOP, str(big)], None, False),
            (f"bbpr report of a tenth ({arguments.prs // 10:,} pull requests)",
             [*bbpr, "--db", str(small), "--format", "json"], None, False)]
    if arguments.before:
        runs.append((f"bbpr report, JSON, of {arguments.before}", whole, arguments.before,
                     False))
    for what, command, source, single in runs:
        seconds, peak, out = run(command, arguments.repeat, source=source, single=single)
        if out.startswith("{"):
            report = json.loads(out)
            out = f"{report['summary']['pickup_time']['count']:,} pickups, " \
                  f"{report['summary']['time_to_merge']['count']:,} merges"
        else:
            out = f"{int(out.split()[0]):,} pickups, {int(out.split()[2]):,} merges"
        rows.append((what, f"{seconds:.2f} s", f"{peak:.0f} MB", out))
    print(f"\n`python benchmarks/bench_report.py --prs {arguments.prs} --events-per-pr "
          f"{arguments.events_per_pr}` ({platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cores)\n")
    print("| run | wall time | peak memory | rests on |")
    print("|---|---:|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
