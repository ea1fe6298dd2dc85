"""Turning what users type for filters into a `Query`: states, dates, fields.

Shared by the command line and the library, so `--state merged,declined` and
`state=["merged", "declined"]` mean exactly the same, and so do their mistakes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from .errors import InputError
from .models import FIELDS, STATES, Query, State

STATE_CHOICES = ("open", "merged", "declined", "superseded", "all")
_AGE = re.compile(r"^(\d+)\s*(min|m|h|d|w|mo|y)$", re.IGNORECASE)
_AGE_DAYS = {"mo": 30, "y": 365}
"""Months and years as days: "changed in the last 3 months" needs no calendar precision."""
_AGE_UNITS = {"min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
AGE_HELP = "an age: 30min, 12h, 7d, 2w, 3mo, 1y"


def parse_states(values: str | Iterable[str] | None) -> frozenset[State]:
    """`open` (the API's default) when nothing is given; `all` means every state."""
    if values is None:
        return frozenset({"OPEN"})
    if isinstance(values, str):
        values = [values]
    states: set[State] = set()
    for value in values:
        for word in re.split(r"[,\s]+", value.strip()):
            if not word:
                continue
            upper = word.upper()
            if upper == "ALL":
                states.update(STATES)
            elif upper in STATES:
                states.add(upper)
            else:
                raise InputError(f"{word!r} is not a pull request state.{_state_hint(word)} "
                                 f"States: {', '.join(STATE_CHOICES)}.")
    return frozenset(states) or frozenset({"OPEN"})


_STATE_WORDS = {"closed": "merged,declined", "close": "merged,declined",
                "opened": "open", "done": "merged", "rejected": "declined", "any": "all"}
"""Words people use for states, from GitHub and other tools, and what they mean here."""


def _state_hint(word: str) -> str:
    meant = _STATE_WORDS.get(word.lower())
    if meant:
        return f" For {word} pull requests, use --state {meant}."
    return did_you_mean(word.lower(), STATE_CHOICES)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` Did you mean 'title'?` for a near miss, or nothing."""
    import difflib

    near = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean {near[0]!r}?" if near else ""


def parse_since(value: str | datetime | None, *, now: datetime | None = None) -> datetime | None:
    """A moment from `2026-01-31`, `2026-01-31T12:00`, `2026-01-31T12:00:00+02:00` or an age
    such as `30min`, `12h`, `7d`, `2w`, `3mo` (30 days), `1y` (365 days). Times without a zone
    are UTC; a bare `m` is refused, since it could mean minutes or months."""
    if value is None or isinstance(value, datetime):
        return _as_utc(value) if value else None
    text = value.strip()
    age = _AGE.match(text)
    if age:
        amount, unit = int(age.group(1)), age.group(2)
        if unit in ("m", "M"):
            raise InputError(
                f"{value!r} could mean minutes or months: write {amount}min for minutes or "
                f"{amount}mo for months."
            )
        unit = unit.lower()
        if unit in _AGE_DAYS:
            return (now or datetime.now(UTC)) - timedelta(days=amount * _AGE_DAYS[unit])
        return (now or datetime.now(UTC)) - timedelta(**{_AGE_UNITS[unit]: amount})
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"{value!r} is not a date: use 2026-01-31, 2026-01-31T12:00 (UTC unless a zone is "
            f"given), or {AGE_HELP}."
        ) from None
    return _as_utc(moment)


def parse_fields(value: str | Iterable[str] | None, default: Iterable[str]) -> tuple[str, ...]:
    """Validated record field names, in the order given."""
    if value is None:
        return tuple(default)
    words = re.split(r"[,\s]+", value) if isinstance(value, str) else list(value)
    names = tuple(dict.fromkeys(word.strip() for word in words if word.strip()))
    unknown = [name for name in names if name not in FIELDS]
    if unknown:
        raise InputError(
            f"Unknown field {', '.join(map(repr, unknown))}.{did_you_mean(unknown[0], FIELDS)} "
            f"Fields are: {', '.join(FIELDS)}."
        )
    if not names:
        raise InputError(f"--fields is empty; fields are: {', '.join(FIELDS)}.")
    return names


def make_query(
    *,
    state: str | Iterable[str] | None = None,
    author: str | None = None,
    source: str | None = None,
    destination: str | None = None,
    updated_since: str | datetime | None = None,
    query: str | None = None,
    fields: Iterable[str] | None = None,
) -> Query:
    """A `Query` from user-facing filter values, each checked."""
    return Query(
        states=parse_states(state),
        author=_optional(author),
        source=_optional(source),
        destination=_optional(destination),
        updated_since=parse_since(updated_since),
        text=_optional(query),
        fields=frozenset(parse_fields(fields, ())) if fields is not None else Query().fields,
    )


def _optional(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
