"""B4: start-up time. Targets: `bbpr --version` median under 80 ms; `bbpr list --help` and
a usage error under 100 ms. Python's own start (`python -c pass`) is measured beside them,
as the floor, and each command's time over it is the part bbpr answers for (click's import,
timed alone too, is most of it).

    python benchmarks/bench_startup.py [--runs 20]

The commands run in rounds, one of each a round, so that a busy machine slows them alike.
Every process reads compiled bytecode, as an installed bbpr does: where the environment
forbids writing it (PYTHONDONTWRITEBYTECODE), the cache goes to a temporary directory
(PYTHONPYCACHEPREFIX), filled by a first round that is not counted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from harness import table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    script = shutil.which("bbpr") or sys.exit("install bbpr first: the `bbpr` script is timed")
    commands = [
        ("python -c pass", [sys.executable, "-c", "pass"], 0, None),
        ("python -c 'import click'", [sys.executable, "-c", "import click"], 0, None),
        ("bbpr --version", [script, "--version"], 0, 0.080),
        ("bbpr list --help", [script, "list", "--help"], 0, 0.100),
        ("bbpr list acme/widgets --state nope", [script, "list", "acme/widgets", "--state",
                                                 "nope"], 2, 0.100),
        ("bbpr list acme/widgets --stat open", [script, "list", "acme/widgets", "--stat",
                                                "open"], 2, 0.100),
        ("bbpr --help", [script, "--help"], 0, None),
    ]
    with tempfile.TemporaryDirectory(prefix="bbpr-b4-") as cache:
        environ = {key: value for key, value in os.environ.items()
                   if key != "PYTHONDONTWRITEBYTECODE"}
        if "PYTHONDONTWRITEBYTECODE" in os.environ:
            environ["PYTHONPYCACHEPREFIX"] = cache
        times: dict[str, list[float]] = {name: [] for name, *_ in commands}
        for round_number in range(args.runs + 1):
            for name, command, exit_code, _ in commands:
                seconds = _timed(command, exit_code, environ)
                if round_number:  # the first round fills the bytecode cache
                    times[name].append(seconds)
    floor = statistics.median(times["python -c pass"])
    rows = [["command", f"median of {args.runs}", "over python -c pass", "target"]]
    for name, _, _, target in commands:
        seconds = statistics.median(times[name])
        rows.append([name, f"{seconds * 1000:.0f} ms",
                     "" if name == "python -c pass" else f"{(seconds - floor) * 1000:.0f} ms",
                     f"< {target * 1000:.0f} ms" if target else ""])
    print("B4: start-up\n")
    print(table(rows))


def _timed(command: list[str], exit_code: int, environ: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=environ, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != exit_code:
        sys.exit(f"{' '.join(command)} ended with {done.returncode}, not {exit_code}")
    return seconds


if __name__ == "__main__":
    main()
