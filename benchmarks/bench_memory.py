"""B3: peak memory of `bbpr list --format ndjson`, for 10,000 and 100,000 pull requests.

Output streams as pages arrive, so memory should not grow with the number of pull requests.
Target: peak RSS under 100 MB, and no more for 100,000 than for 10,000. For comparison, the
same for the requests loop users write, which holds the whole list before printing it as
JSON (what a script that builds a list and dumps it does).

    python benchmarks/bench_memory.py [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse

from harness import Emulator, bbpr, environment, peak_rss_mb, python, table

COLLECTING_LOOP = """
import json, os, requests
session = requests.Session()
session.auth = (os.environ["BITBUCKET_EMAIL"], os.environ["BITBUCKET_TOKEN"])
url = os.environ["BITBUCKET_API_URL"] + "/repositories/acme/widgets/pullrequests"
params = {"pagelen": 50, "state": ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]}
pulls = []
while url:
    page = session.get(url, params=params).json()
    pulls += page["values"]
    url, params = page.get("next"), None
print(json.dumps(pulls))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--with-loop", action="store_true",
                        help="also measure the collecting loop (slow at 100,000)")
    args = parser.parse_args()
    rows = [["pull requests", "bbpr --format ndjson", "collecting requests loop"]]
    for size in args.sizes:
        with Emulator(prs=size, seed=1) as emu:
            env = environment(emu)
            ours = peak_rss_mb(bbpr("list", "acme/widgets", "--state", "all", "--format",
                                    "ndjson"), env)
            loop = (f"{peak_rss_mb(python(COLLECTING_LOOP), env):.0f} MB"
                    if args.with_loop else "not run")
        rows.append([f"{size:,}", f"{ours:.0f} MB", loop])
        print(f"{size:,}: bbpr peak RSS {ours:.1f} MB", flush=True)
    print("\nB3: peak resident memory (target: bbpr under 100 MB, flat)\n")
    print(table(rows))


if __name__ == "__main__":
    main()
