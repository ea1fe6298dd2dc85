"""B5: review data (reviewers, participants, approvals, change requests) for every pull
request of one Cloud repository of 5,000, at 100 ms a request; then close times apart.

bbpr against what users write instead, on the same emulator: a `requests` loop asking the
list for the same fields (`fields=+values.reviewers,+values.participants`, pagelen 50) and
atlassian-python-api's `pullrequests.each()`, which pages and then fetches every pull
request again to read its participants. Goal: bbpr's requests equal plain B1's,
ceil(N / 50).

Close times (`closed_on`) cost requests on Cloud (its pull requests have none: they are in
the activity feed). Measured apart: bbpr, a loop walking the repository's activity feed,
and a loop asking each closed pull request's own feed (what scripts do).

    python benchmarks/bench_review.py [--prs 5000] [--latency-ms 100] [--library-prs 300]
                                      [--repeat 3] [--no-closed-on]

The one-request-per-pull-request contenders (atlassian-python-api, the per-pull-request
activity loop) run on the first `--library-prs` pull requests; their figures for all of
them are projected from that rate.
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

REVIEW = "id,reviewers,reviewer_logins,participants,approved_by,changes_requested_by"

LOOP = REQUESTS_SESSION + """
url, params = base, {"pagelen": 50, "state": STATES,
                     "fields": "+values.reviewers,+values.participants"}
while url:
    page = session.get(url, params=params).json()
    for pr in page["values"]:
        approved = [p["user"]["display_name"] for p in pr["participants"] if p["approved"]]
        print(pr["id"], [r["display_name"] for r in pr["reviewers"]], approved)
    url, params = page.get("next"), None
""".replace("STATES", repr(STATES))

LIBRARY = ATLASSIAN_EACH + """
    people = list(pr.participants())
    print(pr.id, [p.display_name for p in pr.reviewers()],
          [p.user.display_name for p in people if p.has_approved])
"""

FEED_LOOP = REQUESTS_SESSION + """
closes, url = {}, base + "/activity?pagelen=50"
while url:
    page = session.get(url).json()
    for entry in page["values"]:
        update = entry.get("update")
        if update and update["state"] != "OPEN":
            closes[entry["pull_request"]["id"]] = update["date"]
    url = page.get("next")
for number, moment in sorted(closes.items(), reverse=True):
    print(number, moment)
"""

PER_PR_LOOP = REQUESTS_SESSION + """
import itertools
url, params, closed = base, {"pagelen": 50, "state": STATES[1:]}, []
while url and len(closed) < LIMIT:
    page = session.get(url, params=params).json()
    closed += [pr["id"] for pr in page["values"]]
    url, params = page.get("next"), None
for number in closed[:LIMIT]:
    entries = session.get(f"{base}/{number}/activity", params={"pagelen": 50}).json()["values"]
    moment = next((e["update"]["date"] for e in entries
                   if "update" in e and e["update"]["state"] != "OPEN"), None)
    print(number, moment)
""".replace("STATES", repr(STATES))


def projected(sample: Measure, items: int) -> Measure:
    scale = items / sample.items
    return Measure(sample.name, sample.seconds * scale, round(sample.requests * scale), items,
                   f"projected from {sample.items} pull requests", round(sample.bytes * scale))


def report(title: str, contenders: list[Measure]) -> None:
    rows = [["contender", "wall time", "requests", "bytes", "pull requests", "note"]]
    rows += [[m.name, f"{m.seconds:.2f} s", str(m.requests), f"{m.bytes / 1e6:.1f} MB",
              str(m.items), m.note] for m in contenders]
    print(f"\n{title}\n")
    print(table(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prs", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--library-prs", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3, help="runs of bbpr and the loop")
    parser.add_argument("--no-closed-on", action="store_true",
                        help="skip the close times (the slow part: the feed is read in turn)")
    args = parser.parse_args()
    floor = math.ceil(args.prs / 50)

    with Emulator(prs=args.prs, seed=1, latency_ms=args.latency_ms) as emu:
        env = environment(emu)
        closed = sum(pr.state != "OPEN" for pr in emu.store.repositories[
            ("acme", "widgets")].pull_requests)
        bbpr_run = run(emu, "bbpr", bbpr(
            "list", "acme/widgets", "--state", "all", "--format", "ndjson", "--fields", REVIEW,
            "--concurrency", str(args.concurrency)), env, args.repeat, lines=True)
        loop = run(emu, "requests loop (pagelen 50, +reviewers +participants)", python(LOOP),
                   env, args.repeat, lines=True)
        sample = run(emu, "atlassian-python-api each()",
                     python(LIBRARY % (STATES, args.library_prs)), env, lines=True)
        review = [bbpr_run, loop, projected(sample, args.prs)]
        close_times: list[Measure] = []
        if not args.no_closed_on:
            close_times = [
                run(emu, "bbpr --fields id,closed_on", bbpr(
                    "list", "acme/widgets", "--state", "all", "--format", "tsv", "--fields",
                    "id,closed_on", "--concurrency", str(args.concurrency)), env, lines=True),
                run(emu, "requests loop over the repository's activity feed", python(FEED_LOOP),
                    env, lines=True),
                projected(run(emu, "requests loop over each pull request's activity",
                              python(PER_PR_LOOP.replace("LIMIT", str(args.library_prs))),
                              env, lines=True), closed),
            ]

    for measure in (bbpr_run, loop):
        assert measure.items == args.prs, f"{measure.name} listed {measure.items}"
    print(f"B5: review fields of {args.prs} pull requests ({REVIEW}), "
          f"{args.latency_ms:.0f} ms a request, concurrency {args.concurrency}")
    report("Review fields", review)
    print(f"\nbbpr requests: {bbpr_run.requests} (goal: ceil(N/50) = {floor}, as plain B1)")
    print(f"bbpr vs atlassian-python-api: {review[2].requests / bbpr_run.requests:.0f}x fewer "
          "requests")
    if close_times:
        report(f"Close times (closed_on) of {args.prs} pull requests, {closed} of them closed",
               close_times)
        feed = close_times[0].requests - floor
        print(f"\nbbpr closed_on: {floor} list requests + {feed} of the activity feed "
              f"({feed / args.prs:.2f} a pull request; one per closed pull request would be "
              f"{closed})")


if __name__ == "__main__":
    main()
