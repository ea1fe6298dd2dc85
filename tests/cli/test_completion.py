"""`bbpr completion SHELL`, and the bash script loaded by a real bash, completing commands,
options, states, formats and fields."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import base_environment, bbpr


@pytest.fixture(scope="module")
def on_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a `bbpr` that runs this checkout, as an installed one would."""
    directory = tmp_path_factory.mktemp("bin")
    script = directory / "bbpr"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m bbpr "$@"\n')
    script.chmod(0o755)
    return directory


def complete(on_path: Path, line: str) -> list[str]:
    """What bash offers at the end of `line`, after `eval "$(bbpr completion bash)"`."""
    words = line.split(" ")
    array = " ".join(f"'{word}'" for word in words)
    program = (f'eval "$(bbpr completion bash)"\n'
               f"COMP_WORDS=({array}); COMP_CWORD={len(words) - 1}; COMP_LINE='{line}'; "
               f"COMP_POINT={len(line)}\n"
               "_bbpr_completion bbpr\n"
               'printf "%s\\n" "${COMPREPLY[@]}"\n')
    env = base_environment() | {"PATH": f"{on_path}:{base_environment()['PATH']}"}
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return [word for word in done.stdout.splitlines() if word]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(("line", "expected"), [
    ("bbpr ", {"list", "view", "sync", "doctor", "auth", "completion", "demo", "emulator"}),
    ("bbpr vi", {"view"}),
    ("bbpr list --st", {"--state"}),
    ("bbpr list -s mer", {"merged"}),
    ("bbpr list --state open,de", {"open,declined"}),
    ("bbpr list --format j", {"json"}),
    ("bbpr list --fields id,tit", {"id,title"}),
    ("bbpr list --fields id,pick", {"id,pickup_time"}),
    ("bbpr list --json id,merged_w", {"id,merged_without_approval"}),
    ("bbpr completion ", {"bash", "zsh", "fish"}),
])
def test_bash_completes(on_path: Path, line: str, expected: set[str]) -> None:
    offered = set(complete(on_path, line))
    assert expected <= offered, offered


@pytest.mark.parametrize(("shell", "marker"), [
    ("bash", "complete -o nosort -F"), ("zsh", "compdef"),
    ("fish", "complete --no-files --command bbpr"),
])
def test_scripts(shell: str, marker: str) -> None:
    run = bbpr("completion", shell, env=base_environment())
    assert run.code == 0 and marker in run.out and "_BBPR_COMPLETE" in run.out


def test_an_unknown_shell_is_bad_usage() -> None:
    run = bbpr("completion", "tcsh", env=base_environment())
    assert run.code == 2 and "tcsh" in run.err
