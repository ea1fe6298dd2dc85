"""`python -m bbpr.emulator [--port P] [--prs N] [--seed S] [--latency-ms L]`."""

from __future__ import annotations

import argparse

from .app import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bbpr.emulator",
        description="Serve a local Bitbucket Cloud emulator on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: any free)")
    parser.add_argument("--prs", type=int, default=120, help="pull requests in acme/widgets")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    parser.add_argument("--latency-ms", type=float, default=0, help="delay before each answer")
    args = parser.parse_args(argv)
    serve(port=args.port, prs=args.prs, seed=args.seed, latency_ms=args.latency_ms)


if __name__ == "__main__":
    main()
