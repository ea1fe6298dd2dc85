"""A command-line switch of the emulator, declared once, on the field it sets.

`switch()` is a dataclass field whose metadata holds a `Switch`: its flag, help, parser,
choices and the old spellings still accepted. `Serving`, `Faults` and `Settings` declare
their switches this way, and `command_line` reads them; from there `python -m bbpr.emulator`
(argparse) and `bbpr emulator` (click, in bbpr's cli: the emulator imports no click) build
the same options, with the same spellings, parsers and defaults (the field's default).

A parser takes the text typed and returns the value, or raises ValueError with a sentence
the user can act on; both command lines show that sentence. Standard library only, and
light: `bbpr` reads the switches when it starts, whatever the command.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Parser = Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class Switch:
    """How one field is set from a command line.

    `parse` None makes a flag that takes no value and sets the field to `value`; `choices`
    are the words a value may be; `aliases` are old spellings, accepted but not shown in
    the help, so scripts written for them keep working.
    """

    flag: str
    help: str
    parse: Parser | None = None
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    aliases: tuple[str, ...] = ()
    value: Any = True


def switch(default: Any, flag: str, help: str, **options: Any) -> Any:
    """A dataclass field with `default`, set on the command line by `flag` (see `Switch`)."""
    return field(default=default, metadata={"switch": Switch(flag, help, **options)})


def integer(low: int | None = None, high: int | None = None) -> Parser:
    """Whole numbers, from `low` and up to `high` when given."""
    return _bounded(int, "a whole number", low, high)


def number(low: float | None = None, high: float | None = None) -> Parser:
    """Numbers with a fraction or not, from `low` and up to `high` when given."""
    return _bounded(float, "a number", low, high)


def one_of(values: Iterable[int]) -> Parser:
    """A whole number among `values` (an HTTP status)."""
    allowed = tuple(sorted(values))

    def parse(text: str) -> int:
        value: int = integer()(text)
        if value not in allowed:
            raise ValueError(f"{text!r} is not one of {', '.join(map(str, allowed))}.")
        return value

    return parse


def words(allowed: tuple[str, ...]) -> Parser:
    """A comma-separated set of some of `allowed` (spaces and empty entries ignored)."""

    def parse(text: str) -> frozenset[str]:
        chosen = frozenset(word.strip() for word in text.split(",") if word.strip())
        unknown = sorted(chosen - set(allowed))
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: not among {','.join(allowed)}.")
        return chosen

    return parse


def window(text: str) -> tuple[int, float]:
    """`100/10s`, `1000/1h`, `5/2min`, or bare seconds (`100/3600`): requests, seconds."""
    count, _, span = text.partition("/")
    unit = next((name for name in ("min", "s", "h") if span.endswith(name)), "")
    scale = {"": 1.0, "s": 1.0, "min": 60.0, "h": 3600.0}[unit]
    try:
        requests, seconds = int(count), float(span.removesuffix(unit) or "nan") * scale
    except ValueError:
        requests, seconds = 0, 0.0
    if requests < 1 or not seconds > 0:
        raise ValueError(f"{text!r} is not N/WINDOW, such as 100/10s or 1000/1h.")
    return requests, seconds


def parse_id_list(text: str) -> frozenset[int]:
    """`3,7,100-120` as a set of IDs: what `--missing-ids` takes. ValueError if it is not."""
    found: set[int] = set()
    for part in (part.strip() for part in text.split(",")):
        if not part:
            continue
        low, _, high = part.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            first, last = 0, 0
        if first < 1 or last < first:
            raise ValueError(f"{part!r} is not an ID or a range of IDs (1 and above)")
        found.update(range(first, last + 1))
    return frozenset(found)


def id_list(ids: frozenset[int]) -> str:
    """The IDs back in the form `parse_id_list` reads, runs as ranges."""
    parts: list[str] = []
    for number in sorted(ids):
        if parts and parts[-1].split("-")[-1] == str(number - 1):
            parts[-1] = f"{parts[-1].split('-')[0]}-{number}"
        else:
            parts.append(str(number))
    return ",".join(parts)


def moment(text: str) -> datetime:
    """`2026-01-31` or `2026-01-31T12:00:00`, in UTC."""
    for form in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, form).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date such as 2026-01-31 or 2026-01-31T12:00:00.")


def _bounded(kind: Callable[[str], Any], name: str, low: Any, high: Any) -> Parser:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = math.nan
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{text!r} is not {name}.")
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = (f"between {low} and {high}" if low is not None and high is not None
                      else f"{low} or more" if low is not None else f"{high} or less")
            raise ValueError(f"{text} is not {bounds}.")
        return value

    return parse
