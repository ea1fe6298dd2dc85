"""The emulator's command line, once: every option, read from the fields that declare it.

`OPTIONS` lists the switches of `Serving` (where and what to serve), `Faults` and the
quirks of `Settings`, in that order, each with the field it sets and its default. Both
command lines are built from it: `python -m bbpr.emulator` (argparse, in `__main__`) and
`bbpr emulator` (click, in bbpr's `cli.emulator_command`), so they take the same options,
spelt the same, parsed by the same functions, with the same defaults. Each gives back its
values by field name; `chosen` keeps those the user gave, `arguments` checks them together
and makes `serve()`'s keyword arguments, and `console.run` serves them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from .faults import Faults
from .settings import Settings
from .switch import Switch, integer, moment, switch


@dataclass(frozen=True)
class Serving:
    """What `serve()` takes beside faults and quirks: the port, and the data to make."""

    port: int = switch(7990, "--port", "Port on 127.0.0.1 (0 picks a free one).",
                       parse=integer(0, 65535), metavar="PORT")
    prs: int = switch(120, "--prs", "Pull requests in the demo repositories acme/widgets and "
                      "ACME/widgets.", parse=integer(0), metavar="N")
    seed: int = switch(1, "--seed", "Seed of the generated data.", parse=integer(),
                       metavar="N")
    now: datetime | None = switch(  # noqa: RUF009 (switch() is a dataclasses.field)
        None, "--now", "Where the generated data ends (UTC; default: the start of today), "
        "for data that does not move with the calendar.", parse=moment, metavar="DATE")


@dataclass(frozen=True, slots=True)
class Option:
    """One switch and the field of `owner` (`Serving`, `Faults` or `Settings`) it sets."""

    name: str
    owner: type
    default: Any
    switch: Switch

    @property
    def flags(self) -> tuple[str, ...]:
        """Every spelling accepted: the one shown first, then the old ones."""
        return (self.switch.flag, *self.switch.aliases)

    @property
    def default_text(self) -> str | None:
        """The default as one would type it (both command lines parse it as typed, and show
        it in their help); None for a flag, or where the default is to set nothing."""
        value = self.default
        if self.switch.parse is None or value is None or value == frozenset():
            return None
        if isinstance(value, frozenset):
            return ",".join(sorted(value))
        return str(value)


def _declared(owner: type) -> list[Option]:
    return [Option(item.name, owner, item.default, item.metadata["switch"])
            for item in fields(owner) if "switch" in item.metadata]


OPTIONS = (*_declared(Serving), *_declared(Faults), *_declared(Settings))
QUIRKS = tuple(option.name for option in OPTIONS if option.owner is Settings)
"""The `Settings` that make the emulator deviate the way real servers were seen to, and
the hostile text anyone may put in a title."""


def chosen(values: Mapping[str, Any]) -> dict[str, Any]:
    """What the user chose, by field name, from a parser's values by field name: the values
    that are not the default (a flag given sets its switch's value; None is nothing typed
    where the default has no text)."""
    given: dict[str, Any] = {}
    for option in OPTIONS:
        value = values.get(option.name, option.default)
        if option.switch.parse is None:
            if value:
                given[option.name] = option.switch.value
        elif value is not None and value != option.default:
            given[option.name] = value
    return given


def arguments(given: Mapping[str, Any]) -> dict[str, Any]:
    """`serve()`'s keyword arguments for the options given (and `Serving`'s defaults, which
    are not `serve()`'s); ValueError, in a sentence, if they cannot be served together
    (each alone passed its parser already)."""
    if given.get("server_error_burst", 1) != 1 and not (
        given.get("server_error_every") or given.get("server_error_probability")
    ):
        raise ValueError("--error-burst needs --error-every or --error-rate.")
    Faults(**{name: value for name, value in given.items() if _owner(name) is Faults})
    Settings(**{name: value for name, value in given.items() if _owner(name) is Settings})
    serving = {option.name: option.default for option in OPTIONS if option.owner is Serving}
    return serving | dict(given)


def _owner(name: str) -> type:
    return next(option.owner for option in OPTIONS if option.name == name)
