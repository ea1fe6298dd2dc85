"""B1: every pull request ID of one Cloud repository of 5,000, at 100 ms a request.

bbpr against what users write instead (a loop that follows `next` with pagelen 50) and
atlassian-python-api, side by side, against the same emulator. Targets: bbpr at least 6x
faster than the loop, within 1.3x of the floor (100 ms x ceil(requests / concurrency)), and
at most ceil(N / 50) + 3 requests.

    python benchmarks/bench_list.py [--prs 5000] [--latency-ms 100] [--library-prs 300]
                                    [--repeat 3]

atlassian-python-api's `pullrequests.each()` asks for every pull request again, one request
each, after paging: too slow to run on 5,000 at 100 ms a request. It runs on the first
`--library-prs` pull requests, and its time for all of them is projected from that rate.

Then the cost of each fallback rung (docs/server-assumptions.md): the same listing,
`--state all` and `--state merged`, against an emulator that deviates the way Cloud was seen
to (`--no-rungs` skips it).
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

RUNGS = [
    ("1 ID ranges (honest server)", {}),
    ("2 filtered walk (id filters refused: 400)", {"id_filters": "400"}),
    ("2 filtered walk (id filters refused: 500)", {"id_filters": "500"}),
    ("2 filtered walk (id filters ignored)", {"id_filters": "ignored"}),
    ("3 plain walk (sort ignored)", {"sort_ignored": True}),
    ("1 ID ranges, no size", {"omit_size": True}),
]

LOOP = REQUESTS_SESSION + """
url, params = base, {"pagelen": 50, "state": STATES}
while url:
    page = session.get(url, params=params).json()
    for pr in page["values"]:
        print(pr["id"])
    url, params = page.get("next"), None
""".replace("STATES", repr(STATES))

LIBRARY = ATLASSIAN_EACH + """    print(pr.id)
"""


RECORDS = ("--format", "tsv", "--fields", "id,created_on")
"""A field beyond `id`, so that the records are read: bare IDs are proved from the count in
two requests (B1-ids, `bench_ids.py`); this measures reading every page."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prs", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--library-prs", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3, help="runs of bbpr and the loop")
    parser.add_argument("--no-rungs", dest="rungs", action="store_false",
                        help="skip the cost of the fallback rungs")
    args = parser.parse_args()

    with Emulator(prs=args.prs, seed=1, latency_ms=args.latency_ms) as emu:
        env = environment(emu)
        contenders = [
            run(emu, "bbpr", bbpr("list", "acme/widgets", "--state", "all", *RECORDS,
                                  "--concurrency", str(args.concurrency)), env, args.repeat,
                lines=True),
            run(emu, "requests loop (pagelen 50)", python(LOOP), env, args.repeat),
        ]
        sample = run(emu, "atlassian-python-api", python(LIBRARY % (STATES, args.library_prs)),
                     env)
    scale = args.prs / sample.items
    contenders.append(Measure(sample.name, sample.seconds * scale, round(sample.requests * scale),
                              args.prs, f"projected from {sample.items} pull requests"))
    for measure in contenders[:2]:
        assert measure.items == args.prs, f"{measure.name} listed {measure.items}"

    bbpr_run, loop = contenders[0], contenders[1]
    floor = args.latency_ms / 1000 * math.ceil(bbpr_run.requests / args.concurrency)
    rows = [["contender", "wall time", "requests", "pull requests", "note"]]
    rows += [[m.name, f"{m.seconds:.2f} s", str(m.requests), str(m.items), m.note]
             for m in contenders]
    print(f"B1: {args.prs} pull requests, {args.latency_ms:.0f} ms a request, "
          f"concurrency {args.concurrency}\n")
    print(table(rows))
    print(f"\nfloor (latency x ceil(requests / concurrency)): {floor:.2f} s")
    print(f"bbpr vs floor: {bbpr_run.seconds / floor:.2f}x (target <= 1.3x)")
    print(f"bbpr vs loop: {loop.seconds / bbpr_run.seconds:.1f}x faster (target >= 6x)")
    print(f"bbpr requests: {bbpr_run.requests} (target <= ceil(N/50) + 3 = "
          f"{math.ceil(args.prs / 50) + 3})")
    if args.rungs:
        print(f"\nThe fallback rungs, {args.prs} pull requests, {args.latency_ms:.0f} ms a "
              "request (one run each)\n")
        print(table(rung_costs(args)))


def rung_costs(args: argparse.Namespace) -> list[list[str]]:
    rows = [["server", "state", "wall time", "requests", "pull requests", "vs floor"]]
    with Emulator(prs=args.prs, seed=1, latency_ms=args.latency_ms) as emu:
        env = environment(emu)
        truth = {pr["id"]: pr["state"] for pr in emu.pull_requests("acme", "widgets")}
        for name, quirks in RUNGS:
            for key, value in {"id_filters": "honoured", "sort_ignored": False,
                               "omit_size": False, **quirks}.items():
                setattr(emu.settings, key, value)
            for state in ("all", "merged"):
                command = bbpr("list", "acme/widgets", "--state", state, *RECORDS,
                               "--concurrency", str(args.concurrency))
                measure = run(emu, "bbpr", command, env, lines=True)
                expected = sum(state == "all" or found == "MERGED" for found in truth.values())
                assert measure.items == expected, f"{name}: {measure.items} != {expected}"
                floor = args.latency_ms / 1000 * math.ceil(measure.requests / args.concurrency)
                rows.append([name, state, f"{measure.seconds:.2f} s", str(measure.requests),
                             str(measure.items), f"{measure.seconds / floor:.2f}x"])
    return rows


if __name__ == "__main__":
    main()
