"""Turning what users type for filters into a `Query`: states, dates, fields.

Shared by the command line and the library, so `--state merged,declined` and
`state=["merged", "declined"]` mean exactly the same, and so do their mistakes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from .errors import InputError
from .models import FIELDS, STATES, Query, State
from .suggestions import did_you_mean

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
    if not states:
        raise InputError(f"The state is empty; use one or more of {', '.join(STATE_CHOICES)} "
                         "(or leave it out for open pull requests).")
    return frozenset(states)


_STATE_WORDS = {"closed": "merged,declined", "close": "merged,declined",
                "opened": "open", "done": "merged", "rejected": "declined", "any": "all"}
"""Words people use for states, from GitHub and other tools, and what they mean here."""


def _state_hint(word: str) -> str:
    meant = _STATE_WORDS.get(word.lower())
    if meant:
        return f" For {word} pull requests, use --state {meant}."
    return did_you_mean(word.lower(), STATE_CHOICES)


def parse_since(value: str | datetime | None, *, now: datetime | None = None) -> datetime | None:
    """A moment from `2026-01-31`, `2026-01-31T12:00`, `2026-01-31T12:00:00+02:00` or an age
    such as `30min`, `12h`, `7d`, `2w`, `3mo` (30 days), `1y` (365 days). Times without a zone
    are UTC; a bare `m` is refused, since it could mean minutes or months."""
    if value is None or isinstance(value, datetime):
        return _in_range(_as_utc(value), value) if value else None
    text = value.strip()
    age = _AGE.match(text)
    if age and age.group(2) in ("m", "M"):
        raise InputError(f"{value!r} could mean minutes or months: write {age.group(1)}min for "
                         f"minutes or {age.group(1)}mo for months.")
    try:
        if age:
            amount, unit = int(age.group(1)), age.group(2).lower()
            ago = (timedelta(days=amount * _AGE_DAYS[unit]) if unit in _AGE_DAYS
                   else timedelta(**{_AGE_UNITS[unit]: amount}))
            moment = (now or datetime.now(UTC)) - ago
        else:
            moment = _as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        raise InputError(
            f"{value!r} is not a date: use 2026-01-31, 2026-01-31T12:00 (UTC unless a zone is "
            f"given), or {AGE_HELP}."
        ) from None
    return _in_range(moment, value)


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
"""No Bitbucket holds anything older; an older date (`0001-01-01`) would only be refused by
the server as a year it cannot read."""


def _in_range(moment: datetime, given: object) -> datetime:
    if moment < EARLIEST:
        raise InputError(f"{given!s} is before 1970, older than any pull request; leave "
                         "--updated-since out to list them all.")
    return moment


def parse_fields(value: str | Iterable[str] | None, default: Iterable[str]) -> tuple[str, ...]:
    """Validated record field names, in the order given."""
    if value is None:
        return tuple(default)
    words = re.split(r"[,\s]+", value) if isinstance(value, str) else list(value)
    # Any case, and `-` for `_`: `ID,Title` and `source-branch` mean what they say.
    names = tuple(dict.fromkeys(word.strip().lower().replace("-", "_") for word in words
                                if word.strip()))
    unknown = [name for name in names if name not in FIELDS]
    if unknown:
        raise InputError(
            f"Unknown field {', '.join(map(repr, unknown))}.{did_you_mean(unknown[0], FIELDS)} "
            f"Fields are: {', '.join(FIELDS)}."
        )
    if not names:
        raise InputError(f"--fields is empty; fields are: {', '.join(FIELDS)}.")
    return names


def parse_people(values: str | Iterable[str] | None) -> tuple[str, ...]:
    """`--reviewer` values, each one person, in the order given, without repeats. Not split
    on commas: a display name may hold one."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    people = tuple(dict.fromkeys(value.strip() for value in values))
    if "" in people:
        raise InputError("--reviewer is empty; give a nickname or user name, a display name, "
                         "a {UUID}, an account ID or @me.")
    return people


def make_query(
    *,
    state: str | Iterable[str] | None = None,
    author: str | None = None,
    source: str | None = None,
    destination: str | None = None,
    updated_since: str | datetime | None = None,
    created_since: str | datetime | None = None,
    reviewer: str | Iterable[str] | None = None,
    draft: bool | None = None,
    query: str | None = None,
    fields: Iterable[str] | None = None,
) -> Query:
    """A `Query` from user-facing filter values, each checked (types too: the library's
    callers pass anything)."""
    state = _texts("state", state)
    for name, value in (("author", author), ("source", source), ("destination", destination),
                        ("query", query)):
        check_text(name, value)
    if updated_since is not None and not isinstance(updated_since, str | datetime):
        raise InputError(f"updated_since must be a datetime or a text such as '2026-01-31' or "
                         f"'7d', not {type(updated_since).__name__}.")
    fields = _texts("fields", fields)
    return Query(
        states=parse_states(state),
        author=_optional(author),
        source=_optional(source),
        destination=_optional(destination),
        updated_since=parse_since(updated_since),
        created_since=parse_since(created_since),
        reviewers=parse_people(reviewer),
        draft=draft,
        text=_optional(query),
        fields=frozenset(parse_fields(fields, ())) if fields is not None else Query().fields,
    )


def check_text(name: str, value: object) -> None:
    """`value` is a text or None; anything else is the caller's mistake, said plainly."""
    if value is not None and not isinstance(value, str):
        raise InputError(f"{name} must be a text (or None), not {type(value).__name__}.")


def _texts(name: str, value: object) -> str | list[str] | None:
    """A text, a list of texts (from any iterable, read once), or None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Iterable) and not isinstance(value, bytes | Mapping):
        items = list(value)
        if all(isinstance(item, str) for item in items):
            return items
    raise InputError(f"{name} must be a text or a list of texts, not {type(value).__name__}.")


def _optional(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
