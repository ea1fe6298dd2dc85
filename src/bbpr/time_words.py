"""Waits, windows and moments in words for people: `1 h 05 min`, `per 10 s`, `14:32:05`.

A leaf (no import from the rest of bbpr), so that the progress line and the messages of the
network layer can both use it without loading the network layer to start.
"""

from __future__ import annotations

from datetime import datetime


def per(window: float) -> str:
    return "an hour" if window == 3600 else f"per {duration(window)}"


def duration(seconds: float) -> str:
    """`1 h 05 min`, `4 min 10 s`, `9 s`: a wait or a window, in words for people."""
    seconds = max(0, round(seconds))
    if seconds >= 3600:
        hours, rest = divmod(seconds, 3600)
        return f"{hours} h {rest // 60:02d} min" if rest >= 60 else f"{hours} h"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s" if seconds % 60 else (
            f"{seconds // 60} min")
    return f"{seconds} s"


def clock(moment: float) -> str:
    """A local time of day (with the date when it is not today); words, never an error, for
    a moment no calendar holds (a server's date far off, a clock gone wrong)."""
    try:
        local = datetime.fromtimestamp(moment).astimezone()
    except (OverflowError, OSError, ValueError):
        return "a moment out of the calendar's range"
    today = datetime.now().astimezone().date()
    return local.strftime("%H:%M:%S" if local.date() == today else "%Y-%m-%d %H:%M:%S")


def span(seconds: int | None) -> str:
    """A metric's span, short, for tables: `45s`, `12m`, `3h 20m`, `2.1d`; empty for none."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{seconds / 86400:.1f}".removesuffix(".0") + "d"
