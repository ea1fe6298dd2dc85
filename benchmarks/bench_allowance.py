"""B8: a workspace bigger than the allowance, on a scaled-down window: a 1,400-repository
workspace, the emulator counting requests per credential in a rolling window of 100 per
10 s (Cloud's 1,000 an hour, scaled). A first `bbpr sync` stops at the allowance (exit 5);
the next, with --wait, resumes what was left and paces itself through the windows; a third
re-syncs the unchanged workspace. Requests spent, 429s received (goal: none, the allowance
being known), and time against the window's floor.

    python benchmarks/bench_allowance.py [--repositories 1400] [--window 100/10]
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import tempfile
import time

from harness import Emulator, bbpr, environment, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repositories", type=int, default=1400)
    parser.add_argument("--window", default="100/10", help="requests/seconds")
    args = parser.parse_args()
    limit, seconds = (float(part) for part in args.window.split("/"))
    allowance = f"{int(limit)}/{seconds:g}s"

    with Emulator(prs=1, seed=1) as emu, tempfile.TemporaryDirectory() as scratch:
        for number in range(args.repositories):
            emu.add_repository("bench", f"repo-{number:04d}", prs=3)
        env = environment(emu)
        db = os.path.join(scratch, "copy.sqlite")
        rows = [["run", "exit", "requests", "429s", "wall time", "window floor", "note"]]
        spent_before = 0  # requests of the window the run starts in, already spent
        for name, extra in [("first sync, stops at the allowance", []),
                            ("second sync, --wait: resumes", ["--wait"]),
                            ("third sync, --wait: unchanged", ["--wait"])]:
            if name.startswith("first"):
                emu.faults.rate_limit_window = (int(limit), seconds)
            since = len(emu.requests)
            started = time.perf_counter()
            done = subprocess.run(bbpr("sync", "bench", "--db", db, "--allowance", allowance,
                                       *extra), env=env, capture_output=True, text=True,
                                  check=False)
            took = time.perf_counter() - started
            served = emu.requests[since:]
            requests = len(served)
            refused = sum(1 for request in served if request.status == 429)
            floor = seconds * max(0, math.ceil((spent_before + requests) / limit) - 1)
            note = done.stderr.strip().splitlines()[-1][:90] if done.stderr.strip() else ""
            rows.append([name, str(done.returncode), str(requests), str(refused),
                         f"{took:.1f} s", f"{floor:.0f} s", note])
            spent_before = requests % int(limit) or int(limit)
    print(f"B8: {args.repositories} repositories x 3 pull requests, a rolling window of "
          f"{int(limit)} requests per {seconds:g} s per credential, --allowance {allowance}\n")
    print(table(rows))


if __name__ == "__main__":
    main()
