"""B1-ids: every pull request ID of one Cloud repository, proved from the count.

For 5,000 and 50,000 pull requests at 100 ms a request, side by side in one run: bbpr
(`--state all --format ids`: the IDs proved from the count, docs/how-bbpr-lists.md), the
same bbpr forced onto its range scan (a field beyond `id`, `created_on`, needs the records:
`ceil(N / 50)` requests), a loop that follows `next` (pagelen 50) and atlassian-python-api
(`each()`: a page, then every pull request again), the last two projected from a sample
where they would take minutes. Then `--state merged` where 80% are merged: the other
states are read and the merged ones inferred. Last, a repository whose IDs have holes
(every 97th of 1,212 missing), beside the plain walk: its pages, and each missing ID asked
for (only that tells a hole from a draft a list leaves out), which bbpr must not exceed.

Goal: at most 3 requests, and within 1.3x of two round trips plus start-up (bbpr's own
time against the same emulator with no latency).

    python benchmarks/bench_ids.py [--sizes 5000,50000] [--latency-ms 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math

from harness import (
    ATLASSIAN_EACH,
    REQUESTS_SESSION,
    STATES,
    Emulator,
    Measure,
    bbpr,
    environment,
    python,
    run,
    table,
)

LOOP = REQUESTS_SESSION + """
import itertools
url, params = base, {"pagelen": 50, "state": STATES}
printed = 0
while url and printed < LIMIT:
    page = session.get(url, params=params).json()
    for pr in page["values"]:
        print(pr["id"])
        printed += 1
    url, params = page.get("next"), None
""".replace("STATES", repr(STATES))

LIBRARY = ATLASSIAN_EACH + """    print(pr.id)
"""
MERGED_80 = {"MERGED": 80.0, "OPEN": 10.0, "DECLINED": 8.0, "SUPERSEDED": 2.0}


def projected(sample: Measure, total: int) -> Measure:
    scale = total / sample.items
    return Measure(sample.name, sample.seconds * scale, round(sample.requests * scale), total,
                   f"projected from {sample.items} pull requests")


def measure_size(prs: int, args: argparse.Namespace) -> list[list[str]]:
    ids = ["list", "acme/widgets", "--state", "all", "--format", "ids"]
    scan = ["list", "acme/widgets", "--state", "all", "--format", "tsv", "--fields",
            "id,created_on"]
    with Emulator(prs=prs, seed=1, latency_ms=0) as emu:
        start_up = run(emu, "start-up", bbpr(*ids), environment(emu), args.repeat)
        emu.settings.latency_ms = args.latency_ms
        env = environment(emu)
        proof = run(emu, "bbpr (IDs proved from the count)", bbpr(*ids), env, args.repeat)
        ranges = run(emu, "bbpr range scan (forced: --fields id,created_on)", bbpr(*scan), env,
                     1 if prs > 10_000 else args.repeat, lines=True)
        loop_items = min(prs, args.loop_prs)
        loop = run(emu, "requests loop (pagelen 50)",
                   python(LOOP.replace("LIMIT", str(loop_items))), env)
        library = run(emu, "atlassian-python-api",
                      python(LIBRARY % (STATES, args.library_prs)), env)
        merged = add_merged_repository(emu, prs)
        merged_run = run(emu, "bbpr --state merged (80% merged)",
                         bbpr("list", f"acme/{merged}", "--state", "merged", "--format", "ids"),
                         env, args.repeat)
        merged_scan = run(emu, "bbpr --state merged, range scan (forced)",
                          bbpr("list", f"acme/{merged}", "--state", "merged", "--format",
                               "tsv", "--fields", "id,created_on"), env, 1, lines=True)
    assert proof.items == prs and ranges.items == prs, (proof.items, ranges.items)
    assert merged_run.items == merged_scan.items
    contenders = [proof, ranges, loop if loop_items == prs else projected(loop, prs),
                  projected(library, prs), merged_run, merged_scan]
    floor = start_up.seconds + 2 * args.latency_ms / 1000
    rows = [[m.name, f"{m.seconds:.2f} s", str(m.requests), str(m.items), m.note]
            for m in contenders]
    rows.append([f"goal: start-up ({start_up.seconds:.2f} s) + two round trips",
                 f"{floor:.2f} s", "<= 3", str(prs),
                 f"bbpr at {proof.seconds / floor:.2f}x (goal <= 1.3x)"])
    return rows


GAPPED = 1212
"""The highest ID of the repository with holes: every 97th is missing, 1,200 are there."""


def measure_holes(args: argparse.Namespace) -> list[list[str]]:
    """Every ID, and every record, of a repository with holes, beside the walks."""
    missing = frozenset(range(97, GAPPED + 1, 97))
    with Emulator(prs=1, seed=1, latency_ms=args.latency_ms) as emu:
        emu.add_repository("acme", "gapped", prs=GAPPED)
        emu.settings.missing_ids = missing
        env = environment(emu)
        ids = run(emu, "bbpr --state all --format ids", bbpr(
            "list", "acme/gapped", "--state", "all", "--format", "ids"), env, args.repeat)
        records = run(emu, "bbpr --state all --fields id,created_on", bbpr(
            "list", "acme/gapped", "--state", "all", "--format", "tsv", "--fields",
            "id,created_on"), env, args.repeat, lines=True)
        loop = run(emu, "requests loop (pagelen 50)", python(
            LOOP.replace("acme/widgets", "acme/gapped").replace("LIMIT", str(GAPPED))), env)
    present = GAPPED - len(missing)
    assert ids.items == records.items == loop.items == present, (ids.items, records.items)
    walk = math.ceil(present / 50) + len(missing) + 1
    rows = [[m.name, f"{m.seconds:.2f} s", str(m.requests), str(m.items), m.note]
            for m in (ids, records, loop)]
    rows.append(["plain walk, proved: its pages, then each missing ID and the one above",
                 "", str(walk), str(present), "what bbpr must not exceed"])
    return rows


def add_merged_repository(emu: Emulator, prs: int) -> str:
    return emu.add_repository("acme", "mostly-merged", prs=prs, states=MERGED_80)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000,50000")
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loop-prs", type=int, default=5000,
                        help="the next-following loop runs on at most this many")
    parser.add_argument("--library-prs", type=int, default=100)
    args = parser.parse_args()
    for prs in (int(size) for size in args.sizes.split(",")):
        print(f"\nB1-ids: {prs} pull requests, {args.latency_ms:.0f} ms a request "
              f"(ceil(N / 50) = {math.ceil(prs / 50)})\n")
        print(table([["contender", "wall time", "requests", "pull requests", "note"],
                     *measure_size(prs, args)]))
    print(f"\nB1-ids with holes: every 97th of {GAPPED} IDs missing, "
          f"{args.latency_ms:.0f} ms a request\n")
    print(table([["contender", "wall time", "requests", "pull requests", "note"],
                 *measure_holes(args)]))


if __name__ == "__main__":
    main()
