"""`bbpr emulator`: serve the built-in Bitbucket emulator until interrupted."""

from __future__ import annotations

import click

from .common import global_options


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=7990, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--prs", type=click.IntRange(min=0), default=120, show_default=True,
              help="Pull requests in the demo repository acme/widgets.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated data.")
@click.option("--latency-ms", type=click.IntRange(min=0), default=0, show_default=True,
              help="Delay added to every response, in milliseconds.")
@global_options
def emulator(port: int, prs: int, seed: int, latency_ms: int) -> int:
    """Run a local Bitbucket emulator (Cloud API under /2.0).

    It prints its API URL and working demo credentials, then serves on 127.0.0.1 until
    interrupted. Point bbpr, curl or any Bitbucket client at it.
    """
    from ..emulator import serve

    serve(port=port, prs=prs, seed=seed, latency_ms=latency_ms)
    return 0
