"""What the terminal takes: colour or not, its size, and a pager for long output.

`NO_COLOR` (any non-empty value, see no-color.org) and `TERM=dumb` mean no escape code at
all, on stdout and stderr alike. Long output goes through a pager only when stdout is a
terminal, as gh does: `BBPR_PAGER`, else `PAGER`, else `less -FRX` where it exists; an empty
value or `cat` turns paging off. Piped output is never paged.
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
    columns = int(os.environ.get("COLUMNS") or 0) or measured.columns or 80
    lines = int(os.environ.get("LINES") or 0) or measured.lines
    return os.terminal_size((columns, lines))


def pager_command(environ: Mapping[str, str] | None = None) -> list[str] | None:
    """The pager to run, or None for none."""
    environ = os.environ if environ is None else environ
    for name in ("BBPR_PAGER", "PAGER"):
        if name in environ:
            words = shlex.split(environ[name])
            return None if not words or words == ["cat"] else words
    return ["less", "-FRX"] if shutil.which("less") else None


def show(lines: Sequence[str], stream: IO[str], *, environ: Mapping[str, str] | None = None,
         screen_lines: int | None = None) -> None:
    """Write `lines`, through the pager when they are more than one screen of a terminal."""
    text = "".join(line + "\n" for line in lines)
    command = pager_command(environ) if is_terminal(stream) else None
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
