"""Progress and the summary line go to stderr on a terminal only; piped runs stay silent."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from bbpr.emulator import Emulator

from ..conftest import bbpr, cloud_environment


def run_with_terminal_stderr(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run bbpr with stdout piped and stderr on a pseudo-terminal."""
    main, child = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "bbpr", *args], env=env,
                               stdout=subprocess.PIPE, stderr=child)
    os.close(child)
    out = process.communicate(timeout=60)[0].decode()
    err = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    os.close(main)
    return process.returncode, out, err.decode(errors="replace")


def test_a_terminal_gets_a_summary_and_no_live_line_into_a_pipe(emulator: Emulator) -> None:
    code, out, err = run_with_terminal_stderr(
        ["list", "acme/widgets", "--state", "all", "--format", "ids"],
        cloud_environment(emulator))
    total = len(emulator.pull_requests("acme", "widgets"))
    assert code == 0 and len(out.split()) == total
    assert "Listing:" not in err  # the reader of the pipe shares the screen (see progress)
    # The IDs proved from the count: two requests.
    assert f"{total} pull requests of acme/widgets in 2 requests" in err


def test_one_is_not_plural(emulator: Emulator) -> None:
    code, _, err = run_with_terminal_stderr(
        ["list", "acme/widgets", "--limit", "1", "--format", "ids"], cloud_environment(emulator))
    assert code == 0 and "1 pull request of acme/widgets in 1 request," in err


def test_quiet_silences_the_terminal(emulator: Emulator) -> None:
    code, _, err = run_with_terminal_stderr(
        ["list", "acme/widgets", "--quiet", "--format", "ids"], cloud_environment(emulator))
    assert code == 0 and "pull requests" not in err


def test_piped_runs_print_nothing_but_data(emulator: Emulator) -> None:
    run = bbpr("list", "acme/widgets", "--format", "ids", env=cloud_environment(emulator))
    assert run.code == 0 and run.err == ""


def test_debug_prints_the_summary_even_when_piped(emulator: Emulator) -> None:
    run = bbpr("list", "acme", "--state", "all", "--format", "ids", "--debug",
               env=cloud_environment(emulator))
    assert run.code == 0
    assert run.err.rstrip().splitlines()[-1].startswith(
        f"{len(run.out.splitlines())} pull requests of 4 repositories of acme in ")


def test_the_summary_time_leaves_out_the_pager(emulator: Emulator) -> None:
    from ..terminal import run as on_terminal

    env = cloud_environment(emulator, BBPR_PAGER="sh -c 'sleep 3; cat'")
    screen = on_terminal("bbpr list acme/widgets --state all --format table", env, rows=20)
    assert screen.code == 0
    summary = next(line for line in screen.lines if "pull requests of acme/widgets in" in line)
    seconds = float(summary.rsplit(", ", 1)[1].removesuffix(" s."))
    assert seconds < 3, summary  # the three seconds in the pager are the reader's


def test_the_line_is_cut_at_a_word_on_a_narrow_terminal() -> None:
    from bbpr.cli.progress import fit

    line = "Listing: 120 of 237 pull requests of acme/widgets in 3 requests (2 retried), 2 s"
    assert fit(line, 200) == line
    for width in range(20, len(line)):
        cut = fit(line, width)
        assert len(cut) <= width and cut.endswith("...")
        assert line.startswith(cut.removesuffix("...")) and line[len(cut) - 3] in " ,("
