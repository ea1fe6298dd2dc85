"""Keeping a run within its credential's allowance: every request is counted in the ledger
before it is sent, and one that would go over either waits for the window to free or is
not sent at all (`AllowanceSpent`, exit 5), so that a known allowance earns no 429.

The allowance is the caller's figure (`--allowance`, or the documented one for the
credential's kind) until the server announces its own (`X-RateLimit-Limit`, sent to access
tokens only), which then wins unless the user gave one. With no figure at all (Data Center,
which may not limit) requests are still counted, so that `--plan` can say what was spent.
A ledger whose file cannot be used counts in memory: the run keeps its allowance by itself,
and says once that other processes' requests are not counted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import AllowanceSpent
from ..time_words import clock, duration, per
from .headers import http_date
from .ledger import MOST_ANNOUNCED, Ledger
from .options import Stats


@dataclass
class Pacing:
    """How a run keeps within its allowance (plain data, filled by the caller)."""

    ledger_path: Path
    key: str
    """The credential's ledger key: a hash of its identity, never of its secret alone."""
    allowance: int | None
    window: float = 3600.0
    given: bool = False
    """The user gave the allowance (`--allowance`): the server's header does not replace it."""
    wait: bool = False
    """Wait for the window to free (`--wait`) rather than stop at the allowance."""
    on_wait: Callable[[float], None] | None = None
    """Told the local time (epoch seconds) a wait ends, as it begins."""
    on_note: Callable[[str], None] | None = None
    """Told, once, a sentence for the user: the ledger's file cannot be used."""
    lost: str | None = None
    """Why the ledger's file is not used (then every ledger of the run counts in memory)."""

    def ledger(self) -> Ledger:
        return Ledger(None if self.lost else self.ledger_path, self.key, self.window,
                      on_lost=self.ledger_lost)

    def ledger_lost(self, why: str) -> None:
        """The ledger's file failed: say so once, and keep the rest of the run in memory."""
        if self.lost is not None:
            return
        self.lost = why
        if self.on_note is None:
            return
        if self.allowance is None:
            self.on_note(f"The request ledger cannot be used ({why}); this run's requests "
                         "are not counted for later runs.")
        else:
            self.on_note(f"The request ledger cannot be used ({why}), so this run keeps to "
                         f"the allowance of {self.allowance:,} requests {per(self.window)} by "
                         "itself, without counting what other bbpr runs spend.")


class Pacer:
    """One `Http`'s use of the ledger."""

    def __init__(self, pacing: Pacing, stats: Stats) -> None:
        self.pacing = pacing
        self.stats = stats
        self.ledger = pacing.ledger()
        stats.allowance = pacing.allowance

    def close(self) -> None:
        self.ledger.close()

    async def take(self) -> None:
        """Count the next request, after waiting for room (or raise `AllowanceSpent`)."""
        while True:
            delay = self.ledger.take(self.stats.allowance)
            if delay <= 0:
                self.stats.allowance_wait_until = None
                return
            free_at = time.time() + delay
            if not self.pacing.wait:
                raise AllowanceSpent(spent_sentence(self.stats.allowance or 0,
                                                    self.pacing.window, free_at), free_at)
            if self.stats.allowance_wait_until is None or (
                    free_at > self.stats.allowance_wait_until + 1):
                self.stats.allowance_wait_until = free_at
                if self.pacing.on_wait is not None:
                    self.pacing.on_wait(free_at)
            await asyncio.sleep(delay)
            self.stats.allowance_waited = True

    def note(self, headers: Mapping[str, str]) -> None:
        """Learn the announced allowance, and how far the server's clock is from ours."""
        moment = http_date(headers.get("date"))
        if moment is not None:
            self.ledger.check_clock(moment.timestamp())
        announced = _number(headers.get("x-ratelimit-limit"))
        if announced is None or self.pacing.given or announced == self.stats.allowance:
            return
        self.stats.allowance = announced
        self.ledger.announce(announced)


def spent_sentence(allowance: int, window: float, free_at: float) -> str:
    return (f"This credential's allowance of {allowance:,} requests {per(window)} is spent "
            f"(counting every bbpr run of the last {duration(window)}), so bbpr stopped before "
            f"Bitbucket would refuse; requests free up from {clock(free_at)}. Run it again "
            "then, or add --wait to wait for the allowance.")


def _number(value: str | None) -> int | None:
    """A header's allowance, if it is one to believe."""
    text = (value or "").strip()
    if not text.isdigit() or len(text) > len(str(MOST_ANNOUNCED)):
        return None
    number = int(text)
    return number if 0 < number <= MOST_ANNOUNCED else None
