"""One rate limit for the whole run: a 429 pauses every worker, not just the one that hit it.

The limit is the credential's, shared by all requests in flight, so waiting out a 429 in
one worker while the others keep spending the same allowance would only earn more 429s.
Once the server warns that the limit is near, request starts are also spaced out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from ..errors import RateLimitError
from .headers import retry_after
from .options import HttpOptions, Stats
from .retries import RetryBudget

NEAR_LIMIT_SPACING = 0.5
"""Seconds between request starts once the server warns that its rate limit is near."""


class SharedPause:
    """The shared rate-limit pause: every worker waits until `until` (loop time)."""

    def __init__(self, options: HttpOptions, stats: Stats, budget: RetryBudget) -> None:
        self.options = options
        self.stats = stats
        self.budget = budget
        self.until = 0.0
        self.consecutive = 0
        self.next_start = 0.0
        """Near the limit, the earliest time the next request may start."""

    async def wait_for_turn(self) -> None:
        """Wait out a rate-limit pause; near the limit, also space requests out."""
        loop = asyncio.get_running_loop()
        while (delay := self.until - loop.time()) > 0:
            await asyncio.sleep(delay)
        if self.stats.near_limit:
            start = max(loop.time(), self.next_start)
            self.next_start = start + NEAR_LIMIT_SPACING
            await asyncio.sleep(start - loop.time())

    def note(self, headers: Mapping[str, str]) -> None:
        """Take note of the server's warning that the limit is near (X-RateLimit-NearLimit)."""
        if headers.get("x-ratelimit-nearlimit", "").lower() == "true":
            self.stats.near_limit = True

    def lifted(self) -> None:
        """An answer other than 429 came: the next 429 starts the back-off afresh."""
        self.consecutive = 0

    async def rate_limited(self, headers: Mapping[str, str], attempt: int) -> None:
        """Pause every worker: honour Retry-After when given, else back off exponentially."""
        self.stats.rate_limited += 1
        self.consecutive += 1
        delay = retry_after(headers)
        if delay is None:
            delay = self.budget.backoff_delay(self.consecutive)
        give_up = RateLimitError(
            f"Bitbucket's rate limit for this credential is used up (HTTP 429), and waiting "
            f"{self.stats.waited:.0f} s did not lift it. The Cloud limit is 1,000 requests an hour "
            "per user; wait and run again, or use an access token, which has its own allowance."
        )
        if attempt >= self.options.max_attempts * 2:
            raise give_up
        # Workers hitting 429 together share one pause: only its extension counts as waiting.
        now = asyncio.get_running_loop().time()
        until = max(self.until, now + delay)
        self.budget.schedule_wait(until - max(self.until, now), give_up)
        self.until = until
        self.stats.retries += 1
