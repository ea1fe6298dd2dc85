"""`python -m bbpr.emulator [options]`: the options of `bbpr emulator`, exactly.

They are made from the declarations `command_line.OPTIONS` reads (the switches on the
fields of `Serving`, `Faults` and `Settings`), in three groups; old spellings are accepted
and left out of the help. `--help` lists them all.
"""

from __future__ import annotations

import argparse
from typing import Any

from .command_line import OPTIONS, Option, Serving, arguments, chosen
from .console import PortUnusable, run
from .faults import Faults
from .settings import Settings
from .switch import Parser

_GROUPS = {Serving: ("serving", None), Faults: ("faults", "see bbpr.emulator.Faults; off "
           "by default"), Settings: ("quirks", "see bbpr.emulator.Settings")}  # fmt: skip


def add_options(parser: argparse.ArgumentParser, owner: type) -> None:
    """The switches of `owner`'s fields, as a group of `parser`'s options."""
    group = parser.add_argument_group(*_GROUPS[owner])
    for option in OPTIONS:
        if option.owner is owner:
            _add(group, option)


def add_fault_options(parser: argparse.ArgumentParser) -> None:
    """The faults' switches alone, for a parser of one's own."""
    add_options(parser, Faults)


def fault_options(args: argparse.Namespace) -> dict[str, Any]:
    """The faults given to a parser made with `add_fault_options`, by field name."""
    return chosen(vars(args))


def _add(group: argparse._ArgumentGroup, option: Option) -> None:
    switch = option.switch
    how: dict[str, Any] = {"dest": option.name}
    if switch.parse is None:
        how["action"] = "store_true"
    else:  # a default that is text is parsed as if typed
        how["type"] = _typed(switch.parse)
        how["default"] = option.default_text
        how["choices"] = switch.choices or None
        how["metavar"] = None if switch.choices else switch.metavar
    shown = option.default_text
    group.add_argument(switch.flag, help=switch.help + (f" (default: {shown})" if shown else ""),
                       **how)
    for alias in switch.aliases:
        group.add_argument(alias, help=argparse.SUPPRESS, **how)


def _typed(parse: Parser) -> Parser:
    """`parse`, its ValueError's sentence shown as argparse shows a bad value's."""

    def typed(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return typed


def parser() -> argparse.ArgumentParser:
    """The whole command line: serving, faults and quirks."""
    made = argparse.ArgumentParser(
        prog="python -m bbpr.emulator", usage="%(prog)s [options]",
        description="Serve a local Bitbucket (Cloud and Data Center) on 127.0.0.1 until Ctrl-C.",
    )
    for owner in (Serving, Faults, Settings):
        add_options(made, owner)
    return made


def main(argv: list[str] | None = None) -> None:
    command_line = parser()
    given = chosen(vars(command_line.parse_args(argv)))
    try:
        run(arguments(given))
    except (ValueError, PortUnusable) as error:
        command_line.error(str(error))


if __name__ == "__main__":
    main()
