"""B1, this bbpr against another checkout of it, runs interleaved on one emulator.

A change that should cost nothing (a check on every record, a new field) is best judged
against the code before it on the same machine at the same moment: absolute times move
with the machine's load, the difference between two interleaved contenders does not.
The emulator honours `state` next to `q` here, so that an older client, which relied on
that, lists the same pull requests as this one.

    python benchmarks/bench_compare.py OTHER_SRC [--prs 5000] [--latency-ms 100] [--repeat 7]

OTHER_SRC is the `src` folder of another checkout, for example one made with
`git worktree add /tmp/before <commit>`: /tmp/before/src.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from harness import Emulator, Measure, bbpr, environment, run, table

HERE = Path(__file__).resolve().parent.parent / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other_src", type=Path)
    parser.add_argument("--prs", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    trees = {"this checkout": HERE, f"other ({args.other_src})": args.other_src.resolve()}
    with Emulator(prs=args.prs, seed=1, latency_ms=args.latency_ms) as emu:
        emu.settings.state_with_q = "applied"
        command = bbpr("list", "acme/widgets", "--state", "all", "--format", "ids")
        runs: dict[str, list[Measure]] = {name: [] for name in trees}
        for _ in range(args.repeat):
            for name, src in trees.items():
                env = environment(emu) | {"PYTHONPATH": str(src)}
                runs[name].append(run(emu, name, command, env))
    rows = [["contender", "median wall time", "requests", "pull requests"]]
    for name, measures in runs.items():
        rows.append([name, f"{statistics.median(m.seconds for m in measures):.3f} s",
                     str(measures[-1].requests), str(measures[-1].items)])
    print(f"B1 side by side: {args.prs} pull requests, {args.latency_ms:g} ms a request, "
          f"{args.repeat} interleaved runs each\n")
    print(table(rows))


if __name__ == "__main__":
    main()
