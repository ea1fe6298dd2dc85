"""Running the real `bbpr` on a real pseudo-terminal (pexpect), for what only a terminal
shows: the table's layout, colours, the pager, the progress line and its erasing."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pexpect


@dataclass
class Screen:
    code: int
    output: str
    """Everything written to the terminal, escape codes included."""

    @property
    def lines(self) -> list[str]:
        """The lines as the screen shows them: what a carriage return went back over (the
        progress line, erased) is gone."""
        return [line.rstrip("\r").rpartition("\r")[2] for line in self.output.split("\n")]


def spawn(command: str, env: dict[str, str], *, columns: int = 80, rows: int = 500,
          cwd: str | None = None) -> pexpect.spawn:
    """`command` (a shell line, `bbpr` standing for this Python's bbpr) on a terminal."""
    line = command.replace("bbpr ", f"{sys.executable} -m bbpr ", 1)
    env = {"TERM": "xterm-256color", **env}
    return pexpect.spawn("/bin/sh", ["-c", line], env=env, dimensions=(rows, columns),
                         encoding="utf-8", codec_errors="replace", timeout=60, cwd=cwd)


def run(command: str, env: dict[str, str], **kwargs: object) -> Screen:
    child = spawn(command, env, **kwargs)  # type: ignore[arg-type]
    output = child.read()
    child.close()
    return Screen(child.exitstatus if child.exitstatus is not None else -1, output)
