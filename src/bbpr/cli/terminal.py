"""What the terminal takes: colour or not, its size, and a pager for long output.

`NO_COLOR` (any non-empty value, see no-color.org) and `TERM=dumb` mean no escape code at
all, on stdout and stderr alike. Long output goes through a pager only when stdout is a
terminal, as gh does: `BBPR_PAGER`, else `PAGER`, else `less -FRX` where it exists; an empty
value or `cat` turns paging off. Piped output is never paged.

These settings are the user's environment, not bbpr's input: a value bbpr cannot use
(`COLUMNS=abc`, a pager command with an unclosed quote) must not cost the output it was
about to show. A size that is not a positive number is ignored, as if unset; a pager that
cannot be read as a command is said once, and the output is printed without it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import IO


def colour(stream: IO[str], environ: Mapping[str, str] | None = None) -> bool:
    """Whether escape codes may be written to `stream`."""
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR") or environ.get("TERM", "") == "dumb":
        return False
    return is_terminal(stream)


def escapes_allowed(environ: Mapping[str, str] | None = None) -> bool:
    """Whether any escape code (cursor moves included) may be written to a terminal."""
    environ = os.environ if environ is None else environ
    return not environ.get("NO_COLOR") and environ.get("TERM", "") != "dumb"


def is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def size(stream: IO[str]) -> os.terminal_size:
    """The terminal's columns and lines (COLUMNS and LINES win, as in shutil)."""
    try:
        measured = os.get_terminal_size(stream.fileno())
    except (AttributeError, ValueError, OSError):
        return shutil.get_terminal_size((120, 24))
    # A pseudo-terminal nobody sized says 0 x 0: then 80 columns, and no paging (see show).
    columns = _dimension("COLUMNS") or measured.columns or 80
    lines = _dimension("LINES") or measured.lines
    return os.terminal_size((columns, lines))


_LARGEST = 10_000
"""More columns or lines than any screen has: a larger value is a mistake, not a size."""


def _dimension(name: str) -> int | None:
    """`COLUMNS` or `LINES` when it is a whole number from 1 to `_LARGEST`; else None."""
    text = os.environ.get(name, "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= _LARGEST else None


class PagerError(Exception):
    """The pager setting cannot be read as a command; the message says which and why."""


def pager_command(environ: Mapping[str, str] | None = None) -> list[str] | None:
    """The pager to run, or None for none; `PagerError` for a setting that is no command."""
    environ = os.environ if environ is None else environ
    for name in ("BBPR_PAGER", "PAGER"):
        if name in environ:
            try:
                words = shlex.split(environ[name])
            except ValueError as error:  # an unclosed quote, a lone escape at the end
                raise PagerError(f"{name} is not a command bbpr can run ({error}); the output "
                                 f"is printed without a pager. Fix or unset {name}.") from None
            return None if not words or words == ["cat"] else words
    return ["less", "-FRX"] if shutil.which("less") else None


def show(lines: Sequence[str], stream: IO[str], *, environ: Mapping[str, str] | None = None,
         screen_lines: int | None = None) -> None:
    """Write `lines`, through the pager when they are more than one screen of a terminal."""
    text = "".join(line + "\n" for line in lines)
    try:
        command = pager_command(environ) if is_terminal(stream) else None
    except PagerError as error:
        from .common import note

        note(str(error))
        command = None
    screen = screen_lines or size(stream).lines
    if command is None or not screen or len(lines) < screen:
        stream.write(text)
        stream.flush()
        return
    stream.flush()
    pager_environ = dict(os.environ if environ is None else environ)
    pager_environ.setdefault("LESS", "FRX")  # colours through, no screen clearing, as gh
    try:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, env=pager_environ,  # noqa: S603
                                   encoding="utf-8", errors="replace")
    except OSError:  # the pager named does not exist: the output still matters more
        stream.write(text)
        stream.flush()
        return
    assert process.stdin is not None
    try:
        process.stdin.write(text)
        process.stdin.close()
    except BrokenPipeError:
        pass  # the user quit the pager before the end: that is not a failure
    try:
        process.wait()
    except KeyboardInterrupt:  # Ctrl-C belongs to the pager (less ignores it): wait for it
        process.wait()
