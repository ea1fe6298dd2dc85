"""Progress on stderr while a listing runs, and a summary line when it ends.

Only for people: shown when stderr is a terminal and `--quiet` is off, never when piped,
so scripts see nothing but their data and errors. rich is imported only then.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from ..models import PullRequest

if TYPE_CHECKING:
    from ..http import Stats


class Progress:
    """Counts what a listing produced; draws it live when there is someone to see it."""

    def __init__(self, what: str, *, show: bool, summary: bool) -> None:
        self.what = what
        self.show = show
        self.summary = summary or show
        self.listed = 0
        self.repositories: set[str] = set()
        self.stats: Stats | None = None
        self.started = time.monotonic()
        self._live: Any = None

    @classmethod
    def for_terminal(cls, what: str, *, quiet: bool, debug: bool) -> Progress:
        return cls(what, show=not quiet and sys.stderr.isatty(), summary=debug)

    def __enter__(self) -> Progress:
        if self.show:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(get_renderable=self._render, console=Console(stderr=True),
                              refresh_per_second=8, transient=True)
            self._live.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._live is not None:
            self._live.stop()

    def page(self, page: list[PullRequest]) -> None:
        self.listed += len(page)
        self.repositories.update(pull_request.repository for pull_request in page)

    def finish(self) -> None:
        """The summary line, once the output is complete."""
        if self.summary:
            print(self.line(done=True), file=sys.stderr)

    def line(self, *, done: bool = False) -> str:
        stats = self.stats
        seconds = time.monotonic() - self.started
        where = (f"{len(self.repositories)} repositories of {self.what}"
                 if len(self.repositories) > 1 else self.what)
        text = f"{self.listed} pull requests of {where}"
        if stats is not None:
            text += f" in {stats.requests} request{'' if stats.requests == 1 else 's'}"
            extras = []
            if stats.retries:
                extras.append(f"{stats.retries} retried")
            if stats.waited:
                extras.append(f"{stats.waited:.1f} s waiting")
            if stats.near_limit:
                extras.append("slowed down near the rate limit")
            text += f" ({', '.join(extras)})" if extras else ""
        return f"{text}, {seconds:.1f} s." if done else f"Listing: {text}, {seconds:.0f} s"

    def _render(self) -> Any:
        from rich.text import Text

        return Text(self.line(), style="dim")
