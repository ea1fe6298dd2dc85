"""B4: start-up time. Targets: `bbpr --version` median under 80 ms, `bbpr list --help` under
150 ms. Python's own start (`python -c pass`) is measured beside them, as the floor.

    python benchmarks/bench_startup.py [--runs 20]
"""

from __future__ import annotations

import argparse
import shutil
import sys

from harness import median_seconds, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    script = shutil.which("bbpr") or sys.exit("install bbpr first: the `bbpr` script is timed")
    commands = [
        ("python -c pass", [sys.executable, "-c", "pass"], None),
        ("bbpr --version", [script, "--version"], 0.080),
        ("bbpr list --help", [script, "list", "--help"], 0.150),
        ("bbpr --help", [script, "--help"], None),
    ]
    rows = [["command", f"median of {args.runs}", "target"]]
    for name, command, target in commands:
        seconds = median_seconds(command, args.runs)
        rows.append([name, f"{seconds * 1000:.0f} ms",
                     f"< {target * 1000:.0f} ms" if target else ""])
    print("B4: start-up\n")
    print(table(rows))


if __name__ == "__main__":
    main()
