"""Progress on stderr while a listing runs, and a summary line when it ends.

Only for people: the live line shows when stderr is a terminal, `--quiet` is off, and stdout
is that terminal or a file. Into a pipe (`| head`, `| less`) it stays off, as in gh: the
reader writes to the same screen, and a line redrawn under its output would end up glued to
it. Once the first page tells how many pull requests match, the line shows the total and the
time left. It is erased on every way out (the end, an error, Ctrl-C, a closed pipe), and
holds no escape code under `NO_COLOR` or on a dumb terminal: it is then redrawn with a
carriage return and erased with spaces.
"""

from __future__ import annotations

import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..models import PullRequest
from . import terminal
from .common import note
from .sanitize import one_line

if TYPE_CHECKING:
    from ..http import Stats

REDRAW_SECONDS = 0.25
_DIM, _RESET, _ERASE = "\x1b[2m", "\x1b[0m", "\x1b[2K"


class Progress:
    """Counts what a listing produced; draws it live when there is someone to see it."""

    def __init__(self, what: str, *, show: bool, summary: bool,
                 escapes: bool = True) -> None:
        self.what = what
        self.show = show
        self.summary = summary or show
        """The summary line at the end: for a person at the terminal, or for --debug."""
        self.escapes = escapes
        self.listed = 0
        self.repositories: set[str] = set()
        self.stats: Stats | None = None
        self.expected: Callable[[], int | None] = lambda: None
        """How many pull requests the server said match, once it said so."""
        self.started = time.monotonic()
        self.ended: float | None = None
        """When the listing ended (`end`): the summary's time leaves out the pager's."""
        self._lock = threading.Lock()
        self._drawn = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_terminal(cls, what: str, *, quiet: bool, debug: bool) -> Progress:
        someone = not quiet and terminal.is_terminal(sys.stderr)
        return cls(what, show=someone and _stdout_is_seen(), summary=debug or someone,
                   escapes=terminal.escapes_allowed())

    def __enter__(self) -> Progress:
        if self.show:
            self._thread = threading.Thread(target=self._redraw, name="bbpr-progress",
                                            daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._erase()

    @property
    def drawing(self) -> bool:
        """Whether the live line is drawn now (inside `with`, for someone to see): a wait for
        the allowance is then counted down on it rather than said."""
        return self._thread is not None

    def page(self, page: list[PullRequest]) -> None:
        self.listed += len(page)
        self.repositories.update(pull_request.repository for pull_request in page)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Keep the line off the screen while output is written to the same terminal."""
        with self._lock:
            self._erase_locked()
            yield

    def end(self) -> None:
        """The listing is done; what follows (a table in the pager) is the reader's time."""
        self.ended = time.monotonic()

    def finish(self) -> None:
        """The summary line, once the output is complete."""
        if self.summary:
            print(self.line(done=True), file=sys.stderr)

    def line(self, *, done: bool = False) -> str:
        stats = self.stats
        seconds = (self.ended or time.monotonic()) - self.started
        where = one_line(f"{len(self.repositories)} repositories of {self.what}"
                         if len(self.repositories) > 1 else self.what)
        expected = None if done else self.expected()
        count = f"{self.listed} of {expected}" if expected and expected >= self.listed else (
            str(self.listed))
        text = f"{count} {plural(expected or self.listed, 'pull request')}"
        text += f" of {where}"
        if stats is not None:
            text += f" in {stats.requests} {plural(stats.requests, 'request')}"
            extras = []
            if stats.retries:
                extras.append(f"{stats.retries} retried")
            if stats.waited:
                extras.append(f"{stats.waited:.1f} s waiting")
            if stats.near_limit:
                extras.append("slowed down near the rate limit")
            if stats.allowance_wait_until is not None:
                from ..time_words import duration

                left = duration(stats.allowance_wait_until - time.time())
                extras.append(f"waiting for the allowance to free: {left} left")
            text += f" ({', '.join(extras)})" if extras else ""
        if done:
            return f"{text}, {seconds:.1f} s."
        left = _time_left(self.listed, expected, seconds)
        doing = ("Listing" if stats is None or not stats.waiting_for
                 else f"Waiting for {one_line(stats.waiting_for)} to answer")
        return f"{doing}: {text}, {seconds:.0f} s{left}"

    def _redraw(self) -> None:
        while not self._stop.wait(REDRAW_SECONDS):
            with self._lock:
                self._draw_locked()

    def say(self, text: str) -> None:
        """A line for the user while the progress line may be drawn: it goes first, so that
        the two never share a line; the next redraw brings it back below."""
        with self._lock:
            self._erase_locked()
            note(text)

    def _draw_locked(self) -> None:
        text = fit(self.line(), terminal.size(sys.stderr).columns - 1)
        if self.escapes:
            sys.stderr.write(f"\r{_ERASE}{_DIM}{text}{_RESET}")
        else:
            sys.stderr.write("\r" + text.ljust(self._drawn))
        self._drawn = len(text)
        sys.stderr.flush()

    def _erase(self) -> None:
        with self._lock:
            self._erase_locked()

    def _erase_locked(self) -> None:
        if not self._drawn:
            return
        try:
            sys.stderr.write(f"\r{_ERASE}" if self.escapes else "\r" + " " * self._drawn + "\r")
            sys.stderr.flush()
        except OSError:
            pass  # a terminal that went away has nothing left to erase
        self._drawn = 0


def fit(text: str, width: int) -> str:
    """`text` in `width` columns, cut at a space rather than inside a word, and marked."""
    if len(text) <= width:
        return text
    cut = text[:max(width - 3, 0)]
    return (cut.rpartition(" ")[0] or cut).rstrip(",(") + "..."


def plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"


def _time_left(listed: int, expected: int | None, seconds: float) -> str:
    if not expected or listed <= 0 or listed >= expected or seconds < 1:
        return ""
    left = seconds * (expected - listed) / listed
    return f", about {left:.0f} s left" if left < 120 else f", about {left / 60:.0f} min left"


def _stdout_is_seen() -> bool:
    """Whether stdout is the terminal or a file: not a pipe into another program."""
    try:
        mode = os.fstat(sys.stdout.fileno()).st_mode
    except (AttributeError, ValueError, OSError):
        return False
    return stat.S_ISCHR(mode) or stat.S_ISREG(mode)
