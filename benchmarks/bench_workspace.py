"""B2: every pull request of a Cloud workspace of 200 repositories with 25 each, 100 ms a
request: bbpr against the loop users write (repositories, then each one's pull requests).
Target: bbpr within 1.3x of the floor (100 ms x ceil(requests / concurrency)).

    python benchmarks/bench_workspace.py [--repositories 200] [--prs 25] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import math

from harness import Emulator, bbpr, environment, python, run, table

LOOP = """
import os, requests
session = requests.Session()
session.auth = (os.environ["BITBUCKET_EMAIL"], os.environ["BITBUCKET_TOKEN"])
api = os.environ["BITBUCKET_API_URL"]
url, params = api + "/repositories/bench", {"pagelen": 100}
slugs = []
while url:
    page = session.get(url, params=params).json()
    slugs += [repository["slug"] for repository in page["values"]]
    url, params = page.get("next"), None
for slug in slugs:
    url = api + "/repositories/bench/" + slug + "/pullrequests"
    params = {"pagelen": 50, "state": ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]}
    while url:
        page = session.get(url, params=params).json()
        for pr in page["values"]:
            print(slug, pr["id"])
        url, params = page.get("next"), None
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repositories", type=int, default=200)
    parser.add_argument("--prs", type=int, default=25)
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with Emulator(prs=1, seed=1) as emu:
        for number in range(args.repositories):
            emu.add_repository("bench", f"repo-{number:03d}", prs=args.prs)
        emu.settings.latency_ms = args.latency_ms
        env = environment(emu)
        ours = run(emu, "bbpr", bbpr("list", "bench", "--state", "all", "--format", "ids",
                                     "--concurrency", str(args.concurrency)), env, args.repeat)
        loop = run(emu, "requests loop", python(LOOP), env)
    expected = args.repositories * args.prs
    assert ours.items // 2 == loop.items // 2 == expected, (ours.items, loop.items)
    floor = args.latency_ms / 1000 * math.ceil(ours.requests / args.concurrency)
    print(f"B2: {args.repositories} repositories x {args.prs} pull requests, "
          f"{args.latency_ms:.0f} ms a request, concurrency {args.concurrency}\n")
    print(table([["contender", "wall time", "requests", "pull requests", "note"],
                 *[[m.name, f"{m.seconds:.2f} s", str(m.requests), str(expected), m.note]
                   for m in (ours, loop)]]))
    print(f"\nfloor (latency x ceil(requests / concurrency)): {floor:.2f} s")
    print(f"bbpr vs floor: {ours.seconds / floor:.2f}x (target <= 1.3x)")
    print(f"bbpr vs loop: {loop.seconds / ours.seconds:.1f}x faster")


if __name__ == "__main__":
    main()
