"""When to try again, how long to wait first, and when waiting has cost enough.

Every wait of a run (back-off, rate-limit pauses, tries that timed out or failed) is drawn
from one budget, `HttpOptions.max_wait`, so that `--max-wait` bounds what the user waits in
total, however many requests are retrying at once.
"""

from __future__ import annotations

import asyncio
import random

from ..errors import BbprError
from .options import HttpOptions, Stats

RETRY_STATUSES = frozenset({500, 502, 503, 504})
MIN_ATTEMPT_TIMEOUT = 2.0
"""Seconds a try may always take, however little of `max_wait` is left."""


class RetryBudget:
    """Back-off with jitter, and the run's waiting counted against `max_wait`."""

    def __init__(self, options: HttpOptions, stats: Stats) -> None:
        self.options = options
        self.stats = stats
        self._lost_until = 0.0
        """The end of the latest failed try counted as waiting (monotonic clock)."""

    async def back_off(self, attempt: int, give_up: BbprError) -> None:
        """Wait before try `attempt + 1`, or raise `give_up` when no try or time is left."""
        if attempt >= self.options.max_attempts:
            raise give_up
        delay = self.backoff_delay(attempt)
        self.schedule_wait(delay, give_up)
        self.stats.retries += 1
        await asyncio.sleep(delay)

    def schedule_wait(self, delay: float, give_up: BbprError) -> None:
        """Count a wait against the budget, or raise `give_up` when it would overrun it."""
        if self.stats.waited + delay > self.options.max_wait:
            raise give_up
        self.stats.waited += delay

    def attempt_timeout(self) -> float:
        """How long one try may take: the timeout, but no longer than what `max_wait` has
        left, since a try that times out is time spent waiting (with a floor, so that a
        nearly spent budget still lets an answering server answer)."""
        left = self.options.max_wait - self.stats.waited
        return min(self.options.timeout, max(left, MIN_ATTEMPT_TIMEOUT))

    def count_lost(self, started: float, ended: float) -> None:
        """Count the time a failed try took as waiting; tries failing side by side count
        once (the union of their times), as the user's clock sees them."""
        lost = max(0.0, ended - max(started, self._lost_until))
        self._lost_until = max(self._lost_until, ended)
        self.stats.waited += lost

    def may_try_again(self, attempt: int, attempts: int | None) -> bool:
        """Whether a failed try is worth another, given the tries its kind of failure
        deserves (`attempts`; None: as many as the options allow) and the time left."""
        allowed = min(attempts or self.options.max_attempts, self.options.max_attempts)
        return attempt < allowed and not self._out_of_time()

    def _out_of_time(self) -> bool:
        return self.stats.waited >= self.options.max_wait

    def backoff_delay(self, attempt: int) -> float:
        ceiling = min(60.0, self.options.backoff * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (jitter, not crypto)
