"""A host that is slow to answer, said while it happens.

A host that accepts connections and never answers kept a run silent for minutes: every try
waits out its timeout, then the next. Once a try has waited `SAY_AFTER` seconds (or half its
timeout, if that is shorter), the run says so, once, through `HttpOptions.notice` (the
command line prints it on stderr), naming the host and what bbpr will do; and while any try
waits that long, `Stats.waiting_for` names the host, for the progress line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from .failures import still_silent
from .options import HttpOptions, Stats

SAY_AFTER = 10.0
"""Seconds without an answer before the run says so: well within the first timeout."""


class SilenceWatch:
    """Watches each try for an answer that is slow to come."""

    def __init__(self, options: HttpOptions, stats: Stats) -> None:
        self.options = options
        self.stats = stats
        self._said = False
        self._silent = 0
        """Tries that have waited long and are still waiting."""

    @contextmanager
    def watching(self, host: str, timeout: float) -> Iterator[None]:
        """Around one try, whose answer may take up to `timeout` seconds."""
        after = min(SAY_AFTER, timeout / 2)
        fired: list[bool] = []

        def silent() -> None:
            fired.append(True)
            self._silent += 1
            self.stats.waiting_for = host
            if not self._said and self.options.notice is not None:
                self._said = True
                self.options.notice(still_silent(host, after, timeout, self.options))

        handle = asyncio.get_running_loop().call_later(after, silent)
        try:
            yield
        finally:
            handle.cancel()
            if fired:
                self._silent -= 1
                if not self._silent:
                    self.stats.waiting_for = None
