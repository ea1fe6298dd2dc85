"""`python -m bbpr.emulator [--port P] [--prs N] [--seed S] [--latency-ms L] [fault options]
[quirk options]`.

Every field of `Faults` is an option of the same name (`--rate-limit-every 10`,
`--server-error-probability 0.1`, `--rate-limit-window 100/10s`, `--include-oauth`...), and
so is every server quirk of `Settings` (`--id-filters 500`, `--sort-ignored`, `--omit-size`,
`--drafts-hidden always`, `--merge-queue state`, `--mixed-fields plus-dropped`,
`--changes-every 3 --changes delete,update`...).
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from typing import Any

from .console import QUIRKS, parse_id_list, serve
from .faults import Faults
from .hostile import SAMPLE
from .settings import (
    CHANGES,
    DRAFTS_HIDDEN,
    ID_FILTERS,
    MERGE_QUEUE,
    MIXED_FIELDS,
    STATE_WITH_Q,
    Settings,
)


def _window(value: str) -> tuple[int, float]:
    """`100/10s`, `1000/1h`, `5/2min`, or bare seconds: `100/3600`."""
    limit, _, window = value.partition("/")
    unit = next((name for name in ("min", "s", "h") if window.endswith(name)), "")
    scale = {"": 1.0, "s": 1.0, "min": 60.0, "h": 3600.0}[unit]
    try:
        return int(limit), float(window.removesuffix(unit)) * scale
    except ValueError:
        raise argparse.ArgumentTypeError("use LIMIT/WINDOW, e.g. 100/10s or 1000/1h") from None


# Field annotations are strings (postponed evaluation): map each to a parser.
_PARSERS: dict[str, Any] = {
    "float": float, "float | None": float, "int": int, "int | None": int,
    "str": str, "str | None": str, "tuple[int, float] | None": _window,
}  # fmt: skip


def add_fault_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("faults", "see bbpr.emulator.Faults; off by default")
    for item in fields(Faults):
        if item.name == "latency_ms":
            continue
        flag = "--" + item.name.replace("_", "-")
        if item.type == "bool":
            group.add_argument(flag, action="store_true", default=None)
        else:
            group.add_argument(flag, type=_PARSERS[str(item.type)], default=None)


def fault_options(args: argparse.Namespace) -> dict[str, Any]:
    names = [item.name for item in fields(Faults) if item.name != "latency_ms"]
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def add_quirk_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("quirks", "see bbpr.emulator.Settings")
    group.add_argument("--state-with-q", choices=STATE_WITH_Q, default=None)
    group.add_argument("--id-filters", choices=ID_FILTERS, default=None)
    group.add_argument("--sort-ignored", action="store_true", default=None)
    group.add_argument("--omit-size", action="store_true", default=None)
    group.add_argument("--drafts-hidden", choices=DRAFTS_HIDDEN, default=None)
    group.add_argument("--merge-queue", choices=MERGE_QUEUE, default=None)
    group.add_argument("--mixed-fields", choices=MIXED_FIELDS, default=None)
    group.add_argument("--changes-every", type=int, default=None, metavar="N")
    group.add_argument("--changes", default=None, metavar="LIST",
                       type=lambda value: frozenset(value.replace(" ", "").split(",")),
                       help=f"some of {','.join(CHANGES)}")
    group.add_argument("--dc-order-by", choices=("updated", "id"), default=None)
    group.add_argument("--hostile", dest="hostile_text", action="store_const", const=SAMPLE,
                       default=None, help="control sequences, C1 and bidi characters in every "
                       "title, description, branch, name and error message")
    group.add_argument("--missing-ids", type=parse_id_list, default=None, metavar="LIST",
                       help="Cloud IDs that do not exist, e.g. 3,7,100-120 (a repository "
                            "whose numbers have gaps)")
    group.add_argument("--size-off-by", type=int, default=None, metavar="N",
                       help="Cloud pages give a size N off the truth (negative: too low)")


def quirk_options(args: argparse.Namespace) -> dict[str, Any]:
    return {name: getattr(args, name) for name in QUIRKS if getattr(args, name) is not None}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bbpr.emulator",
        description="Serve a local Bitbucket (Cloud and Data Center) on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: any free)")
    parser.add_argument("--prs", type=int, default=120, help="pull requests in acme/widgets")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    parser.add_argument("--latency-ms", type=float, default=0, help="delay before each answer")
    add_fault_options(parser)
    add_quirk_options(parser)
    args = parser.parse_args(argv)
    try:
        faults = fault_options(args)
        Faults(**faults)
        quirks = quirk_options(args)
        Settings(**quirks)
    except ValueError as error:
        parser.error(str(error))
    serve(port=args.port, prs=args.prs, seed=args.seed, latency_ms=args.latency_ms, **faults,
          **quirks)


if __name__ == "__main__":
    main()
