"""`bbpr emulator`: serve the built-in Bitbucket emulator until interrupted.

Its options are made from the emulator's own declarations (`emulator.command_line.OPTIONS`),
as `python -m bbpr.emulator`'s are, so the two take the same options: same spellings, same
parsers, same defaults. Old spellings are accepted and left out of the help.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..emulator.command_line import OPTIONS, arguments, chosen
from ..emulator.switch import Parser
from ..errors import InputError
from .common import global_options

F = TypeVar("F", bound=Callable[..., Any])


def _parsed(parse: Parser) -> Callable[[click.Context, click.Parameter, str | None], Any]:
    """A callback reading the text with the switch's own parser; its ValueError is the
    user's mistake, in the parser's words."""

    def callback(ctx: click.Context, param: click.Parameter, text: str | None) -> Any:
        if text is None:
            return None
        try:
            return parse(text)
        except ValueError as error:
            raise click.BadParameter(str(error), ctx, param) from None

    return callback


class _Switch(click.Option):
    """An option whose help and errors show its first spelling only: the others are old."""

    def get_error_hint(self, ctx: click.Context | None) -> str:
        return f"'{self.opts[0]}'"

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        if record is None:
            return None
        spec, help = record
        for old in self.opts[1:]:
            spec = spec.replace(f", {old}", "").replace(f"{old}, ", "")
        return spec, help


def _options(function: F) -> F:
    for option in reversed(OPTIONS):
        switch = option.switch
        how: dict[str, Any] = {"help": switch.help, "cls": _Switch}
        if switch.parse is None:
            how["is_flag"] = True
        else:
            how["default"] = option.default_text  # parsed as if typed, as argparse does
            how["show_default"] = option.default_text is not None
            if switch.choices:
                how["type"] = click.Choice(switch.choices)
            else:
                how.update(callback=_parsed(switch.parse), metavar=switch.metavar)
        function = click.option(*option.flags, option.name, **how)(function)
    return function


@click.command(short_help="A local Bitbucket (Cloud and Data Center).")
@_options
@global_options
def emulator(**values: Any) -> int:
    """Run a local Bitbucket emulator: Cloud under /2.0, Data Center under /rest.

    It prints its URLs and working demo credentials, then serves on 127.0.0.1 until
    interrupted. Point bbpr, curl or any Bitbucket client at it. The fault options make it
    misbehave the way real servers and networks do, reproducibly for a given --seed; the
    quirk options make it deviate the way the real Bitbucket was seen to.
    """
    from ..emulator.console import PortUnusable, run

    try:
        served = arguments(chosen(values))
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    try:
        run(served)
    except PortUnusable as error:
        raise InputError(str(error)) from None
    return 0
