"""`bbpr` and `python -m bbpr`. `bbpr --version` answers from here, before anything heavy
is imported."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from ._version import __version__

        sys.stdout.write(f"bbpr {__version__}\n")
        sys.exit(0)
    from .cli import main as run

    run()


if __name__ == "__main__":
    main()
