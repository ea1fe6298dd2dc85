"""The words of `bbpr report` for time: the period (`--since`, `--until`) and `--stale`.

A date alone is a whole day of the report's time zone: `--since 2026-01-05` starts at its
midnight there, `--until 2026-03-31` ends after that day (so that both days are in). A time
without a zone is in the report's zone too; an age (`30d`, `12w`) counts back from now.
With no `--since`, the period is the `DEFAULT_WEEKS` weeks before its end.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from ..asked.filters import AGE_HELP, parse_since
from ..errors import InputError
from .working_time import Zone

DEFAULT_WEEKS = 12
_AGE = re.compile(r"^\s*\d+\s*[A-Za-z]+\s*$")


def period(since: str | datetime | None, until: str | datetime | None, zone: Zone, *,
           now: datetime) -> tuple[datetime, datetime]:
    """[since, until) in UTC; `until` defaults to `now`."""
    end = now if until is None else moment(until, zone, now=now, end=True, option="--until")
    start = (end - timedelta(weeks=DEFAULT_WEEKS) if since is None
             else moment(since, zone, now=now, end=False, option="--since"))
    if start >= end:
        raise InputError(f"The period is empty: --since ({start:%Y-%m-%d %H:%M} UTC) is not "
                         f"before --until ({end:%Y-%m-%d %H:%M} UTC).")
    return start, end


def moment(value: str | datetime, zone: Zone, *, now: datetime, end: bool,
           option: str) -> datetime:
    """One bound of the period (see the module's docstring); `end` for `--until`."""
    if isinstance(value, datetime):
        given = value if value.tzinfo else value.replace(tzinfo=zone.rules)
        return given.astimezone(UTC)
    text = value.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None and len(text) == 10:
        return zone.midnight(day + timedelta(days=1) if end else day)
    try:
        written = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        written = None
    if written is not None:
        return moment(written, zone, now=now, end=end, option=option)
    try:
        found = parse_since(text, now=now)
    except InputError:
        raise InputError(f"{option} {value!r} is not a date: use 2026-01-31, 2026-01-31T12:00 "
                         f"(in the report's time zone unless one is given), or {AGE_HELP}."
                         ) from None
    assert found is not None
    return found


def stale(value: str) -> timedelta:
    """`--stale AGE`: `7d`, `36h`, `2w`."""
    if not _AGE.match(value):
        raise InputError(f"--stale {value!r} is not an age: use 7d, 36h or 2w.")
    now = datetime(3000, 1, 1, tzinfo=UTC)  # any moment: only the difference counts
    found = parse_since(value, now=now)
    assert found is not None
    return now - found
