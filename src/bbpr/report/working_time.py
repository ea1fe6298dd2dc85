"""Time zones and working time: which zone a report counts in, and how long a span lasts
when only Monday to Friday count (`--working-days`).

A span's working time is the elapsed time of its part that falls on a Monday to Friday of
the zone's calendar: each local day runs from one local midnight to the next, as the zone's
rules place them, and counts whole or not at all. The elapsed time is real time (UTC), so a
weekday on which the clocks move is 23 or 25 hours long, and a span across a weekend loses
exactly the 48 (or 47, 49) hours from Saturday's midnight to Monday's.

A leaf: the report's SQL calls `working_seconds` through a function registered with SQLite.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import InputError

_WEEK = timedelta(days=7)
_DAY = timedelta(days=1)
MICROSECONDS = 1_000_000


class Zone:
    """A time zone and the name it goes by in reports (`Europe/Berlin`, `UTC`)."""

    def __init__(self, name: str, rules: tzinfo) -> None:
        self.name = name
        self.rules = rules
        self._midnights: dict[date, datetime] = {}

    def __repr__(self) -> str:
        return f"Zone({self.name!r})"

    def midnight(self, day: date) -> datetime:
        """The first moment of `day` in this zone, in UTC (where the clocks skip midnight,
        the moment they jump: a day begins when its first local minute does). Kept once
        found: a report asks for the same few hundred days again for every span."""
        found = self._midnights.get(day)
        if found is None:
            found = self._midnights[day] = datetime.combine(
                day, time(), tzinfo=self.rules).astimezone(UTC)
        return found

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(self.rules).date()


UTC_ZONE = Zone("UTC", UTC)


def zone_named(name: str) -> Zone:
    """`--tz NAME`: an IANA zone (`Europe/Berlin`), or `UTC`."""
    text = name.strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return UTC_ZONE
    try:
        return Zone(text, ZoneInfo(text))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError(f"{name!r} is not a time zone bbpr knows: give an IANA name such as "
                         "Europe/Berlin, America/New_York or UTC.") from None


def local_zone() -> Zone:
    """The zone of this machine: `TZ` where it names an IANA zone, else /etc/localtime (its
    IANA name from where it points, where it is a link), else a fixed offset from UTC, the
    one in force now (then a report across a change of the clocks is off by an hour: say
    `--tz`)."""
    named = os.environ.get("TZ", "").lstrip(":")
    if named:
        try:
            return zone_named(named)
        except InputError:
            pass
    localtime = Path("/etc/localtime")
    try:
        with localtime.open("rb") as file:
            rules = ZoneInfo.from_file(file)
    except OSError:
        offset = datetime.now().astimezone().tzinfo or UTC
        return Zone(datetime.now(offset).strftime("UTC%z"), offset)
    target = str(localtime.resolve())
    name = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "local time"
    return Zone(name, rules)


def working_seconds(start: datetime, end: datetime, zone: Zone) -> int:
    """Whole seconds (rounded down) of [start, end) that fall on a Monday to Friday of
    `zone`; 0 for a span that does not go forward."""
    if end <= start:
        return 0
    total = timedelta()
    day = zone.day_of(start)
    last = zone.day_of(end)
    while day <= last:
        if day.weekday() == 0 and day + _WEEK <= last:
            # A whole week at once: Monday's midnight to Saturday's.
            total += _overlap(start, end, zone.midnight(day), zone.midnight(day + 5 * _DAY))
            day += _WEEK
            continue
        if day.weekday() < 5:
            total += _overlap(start, end, zone.midnight(day), zone.midnight(day + _DAY))
        day += _DAY
    return (total.days * 86400 * MICROSECONDS + total.seconds * MICROSECONDS
            + total.microseconds) // MICROSECONDS


def _overlap(start: datetime, end: datetime, begins: datetime, ends: datetime) -> timedelta:
    """How much of [begins, ends) lies in [start, end): all four in UTC, so that the
    difference is elapsed time, not the clock's."""
    later = max(start, begins)
    earlier = min(end, ends)
    return earlier - later if earlier > later else timedelta()


def from_copy_text(text: str) -> datetime:
    """A time as the copy stores it (`schema.to_text`, in UTC: `Z`), in UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)
