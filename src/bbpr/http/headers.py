"""Reading the response headers bbpr acts on: `Retry-After` and `Date`.

Servers and proxies send these in more than one form, and sometimes malformed; the parsing
lives apart so that a bad header means "as if absent", never a crash in the middle of a try.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import UTC, datetime

YEARS = (1971, 9000)
"""The years of a `Date` bbpr takes: any moment in them can be moved by days either way."""


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from a number or an HTTP date; None when absent or unreadable (a
    malformed `Retry-After: soon` is no reason to stop: back off as without one)."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        moment = http_date(value)
        return None if moment is None else max(0.0, moment.timestamp() - time.time())
    return max(0.0, seconds) if math.isfinite(seconds) else None


def http_date(value: str | None) -> datetime | None:
    """An HTTP date (`Date`, `Retry-After`) as an aware datetime, or None if it is not one,
    or not one to compute with: a year outside `YEARS` (`Fri, 31 Dec 9999 23:59:59 GMT`
    plus a window is no date; no server's clock says year 1)."""
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if not YEARS[0] <= moment.year <= YEARS[1]:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
