"""The table, colours, pager and progress line, Ctrl-C and the note of a list cut by `--limit`,
on a real pseudo-terminal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len

from bbpr.emulator import Emulator

from ..conftest import bbpr, cloud_environment
from ..terminal import run, spawn
from ..terminal import run as on_terminal

ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
ROW = re.compile(r"\s*\d+\s+(OPEN|MERGED|DECLINED|SUPERSEDED)\b")
"""A row of the table of one repository, without its escape codes."""


def visible(text: str) -> str:
    return ESCAPE.sub("", text)


def table_env(emu: Emulator, **extra: str) -> dict[str, str]:
    return cloud_environment(emu, BBPR_PAGER="cat", **extra)


@pytest.mark.parametrize("columns", [80, 160])
def test_a_workspace_table_fits_and_cuts_only_titles(emulator: Emulator, columns: int) -> None:
    screen = run("bbpr list acme -s all", table_env(emulator), columns=columns)
    assert screen.code == 0, screen.output
    lines = [visible(line) for line in screen.lines if line.strip()]
    header = lines[0].split()
    assert header[:2] == ["REPOSITORY", "ID"] and "UPDATED" in header
    rows = [line for line in lines[1:] if line.startswith("acme/")]
    assert lines[-1].startswith(f"{len(rows)} pull requests of 4 repositories of acme in ")
    truth = {(f"acme/{slug}", pr["id"]): pr for slug in ("widgets",)
             for pr in emulator.pull_requests("acme", slug)}
    assert len(rows) == sum(len(emulator.pull_requests("acme", r)) for r in
                            {line.split()[0].split("/")[1] for line in rows})
    for line in rows:
        assert cell_len(line) <= columns, line
        repository, number, state = line.split()[:3]
        assert state in ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")
        assert re.search(r"\d{4}-\d{2}-\d{2}$", line), line  # the date is whole
        pr = truth.get((repository, int(number)))
        if pr is not None and columns == 160:
            assert pr["title"][:40].split()[0] in line
    cut = sum("…" in line for line in rows)
    if columns == 80:
        assert cut > 0
    else:
        assert cut < len(rows)


def test_one_repository_has_no_repository_column(emulator: Emulator) -> None:
    screen = run("bbpr list acme/widgets -L 5", table_env(emulator))
    assert visible(screen.lines[0]).split()[0] == "ID"


def test_urls_are_never_cut(emulator: Emulator) -> None:
    screen = run("bbpr list acme -s all --fields id,title,url", table_env(emulator), columns=80)
    assert screen.code == 0
    urls = re.findall(r"https://\S+", visible(screen.output))
    assert urls and all(re.search(r"/pull-requests/\d+$", url) for url in urls)


def test_states_in_colour_and_no_color_removes_every_escape(emulator: Emulator) -> None:
    coloured = run("bbpr list acme/widgets -s all -L 40", table_env(emulator))
    assert "\x1b[32mOPEN" in coloured.output and "\x1b[1m" in coloured.output
    plain = run("bbpr list acme/widgets -s all -L 40", table_env(emulator, NO_COLOR="1"))
    assert plain.code == 0 and "\x1b" not in plain.output
    def table(text: str) -> list[str]:  # without the summary line and its timing
        return [line for line in text.splitlines() if " pull requests of " not in line]

    assert table(visible(coloured.output)) == table(plain.output)
    dumb = run("bbpr list acme/widgets -s all -L 40", table_env(emulator, TERM="dumb"))
    assert "\x1b" not in dumb.output


def test_a_long_table_goes_through_the_pager(emulator: Emulator, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    env = cloud_environment(emulator, BBPR_PAGER=f"sh -c 'cat > {paged}'")
    screen = run("bbpr list acme/widgets -s all", env, rows=24)
    assert screen.code == 0
    text = paged.read_text()
    assert text.startswith("\x1b[1m") and len(text.splitlines()) == 1 + len(
        emulator.pull_requests("acme", "widgets"))
    assert "MERGED" not in visible(screen.output)
    short = tmp_path / "short.txt"
    env = cloud_environment(emulator, BBPR_PAGER=f"sh -c 'cat > {short}'")
    screen = run("bbpr list acme/widgets -s all -L 5", env, rows=24)
    assert not short.exists() and "ID" in screen.output


def test_piped_output_is_never_paged(emulator: Emulator, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    run_ = bbpr("list", "acme/widgets", "-s", "all", "--format", "table",
                env=cloud_environment(emulator, BBPR_PAGER=f"sh -c 'cat > {paged}'"))
    assert run_.code == 0 and not paged.exists() and "\x1b" not in run_.out


@pytest.fixture
def slow() -> Iterator[Emulator]:
    with Emulator(prs=400, seed=3, latency_ms=250) as emu:
        yield emu


def test_progress_shows_the_total_and_is_erased(slow: Emulator, tmp_path: Path) -> None:
    screen = run(f"bbpr list acme/widgets -s all --concurrency 1 --format ids > {tmp_path}/o",
                 cloud_environment(slow))
    assert screen.code == 0
    total = len(slow.pull_requests("acme", "widgets"))
    assert f" of {total} pull requests of acme/widgets" in screen.output
    last = screen.output.rindex("Listing:")
    assert "\r\x1b[2K" in screen.output[last:]
    summary = visible(screen.output).strip().splitlines()[-1]
    assert summary.startswith(f"{total} pull requests of acme/widgets in ")


def test_progress_without_escapes_under_no_color(slow: Emulator, tmp_path: Path) -> None:
    screen = run(f"bbpr list acme/widgets -s all --concurrency 1 --format ids > {tmp_path}/o",
                 cloud_environment(slow, NO_COLOR="1"))
    assert screen.code == 0 and "Listing:" in screen.output
    assert "\x1b" not in screen.output


def test_progress_is_erased_on_ctrl_c(slow: Emulator, tmp_path: Path) -> None:
    child = spawn(f"bbpr list acme/widgets -s all --concurrency 1 --format ids > {tmp_path}/o",
                  cloud_environment(slow))
    child.expect("Listing:")
    child.sendintr()
    rest = child.read()
    child.close()
    assert child.exitstatus == 130 or child.signalstatus is not None
    assert rest.index("\r\x1b[2K") < rest.index("Interrupted.")


def test_no_progress_glued_to_the_output_of_head(slow: Emulator) -> None:
    # A --query keeps the listing long (the IDs proved from the count would end it at once).
    screen = run("bbpr list acme/widgets -s all --concurrency 1 --format ids --query 'id > 0'"
                 " | head -3",
                 cloud_environment(slow))
    lines = [line for line in screen.lines if line.strip()]
    assert len(lines) == 3 and all(line.strip().isdigit() for line in lines), lines
    assert "Listing" not in screen.output


def test_ctrl_c_after_some_output_says_the_output_is_incomplete(tmp_path: Path) -> None:
    with Emulator(prs=400, seed=3, latency_ms=250) as slow:
        out = tmp_path / "ids"
        # Titles need the pages (bare IDs would be proved in two requests, before any Ctrl-C).
        child = spawn(f"bbpr list acme/widgets -s all --concurrency 1 --fields id,title > {out}",
                      cloud_environment(slow))
        child.expect(r"Listing: [1-9]\d* of \d+")  # some pages are out: stop it now
        child.sendintr()
        rest = child.read()
        child.close()
    written = len(out.read_text().splitlines())
    assert 0 < written < 400
    assert f"{written} pull requests were written before the interruption; the output is " \
           "incomplete." in rest
    assert rest.index("incomplete") < rest.index("Interrupted.")
    assert child.exitstatus == 130 or child.signalstatus is not None  # sh is interrupted too


def test_ctrl_c_before_a_table_is_laid_out_says_nothing_was_written(tmp_path: Path) -> None:
    with Emulator(prs=400, seed=3, latency_ms=250) as slow:
        child = spawn("bbpr list acme/widgets -s all --concurrency 1",
                      cloud_environment(slow, BBPR_PAGER="cat"))
        child.expect(r"Listing: [1-9]\d* of \d+")
        child.sendintr()
        rest = child.read()
        child.close()
    assert "Interrupted." in rest and "were written" not in rest and "ID  STATE" not in rest


def test_a_workspace_table_has_a_repository_column_whatever_the_rows(
        emulator: Emulator) -> None:
    env = cloud_environment(emulator, BBPR_PAGER="cat")
    first = bbpr("list", "acme", "-s", "all", "-L", "4", "--format", "ids", env=env)
    assert len({line.split("\t")[0] for line in first.out.splitlines()}) == 1  # one repository
    screen = on_terminal("bbpr list acme -s all -L 4", env, columns=120)
    assert screen.code == 0, screen.output
    assert ESCAPE.sub("", screen.lines[0]).split()[:2] == ["REPOSITORY", "ID"]
    one = on_terminal("bbpr list acme/widgets -L 4", env, columns=120)
    assert ESCAPE.sub("", one.lines[0]).split()[0] == "ID"


def test_a_list_cut_by_limit_says_so_on_a_terminal(emulator: Emulator) -> None:
    env = cloud_environment(emulator, BBPR_PAGER="cat")
    total = len(emulator.pull_requests("acme", "widgets"))
    screen = on_terminal("bbpr list acme/widgets -s all -L 8", env, columns=120)
    assert screen.code == 0
    assert f"Showing 8 of {total} pull requests: --limit stopped the list." in screen.output
    workspace = on_terminal("bbpr list acme -s all -L 8", env, columns=120)
    assert "Showing the first 8 pull requests: --limit stopped the list" in workspace.output
    whole = on_terminal(f"bbpr list acme/widgets -s all -L {total + 5}", env, columns=120)
    assert "Showing" not in whole.output
    piped = bbpr("list", "acme/widgets", "-s", "all", "-L", "8", env=env)
    assert piped.code == 0 and "Showing" not in piped.err and len(piped.out.splitlines()) == 8


@pytest.mark.parametrize("size", [{"COLUMNS": "abc"}, {"LINES": "x"}, {"COLUMNS": "-5"},
                                  {"COLUMNS": "99999999999999999999"}, {"LINES": "1.5"}])
def test_a_terminal_size_that_is_not_a_number_is_ignored(emulator: Emulator,
                                                         size: dict[str, str]) -> None:
    screen = run("bbpr list acme/widgets -s all -L 6", table_env(emulator, **size), columns=90)
    assert screen.code == 0, screen.output
    rows = [visible(line) for line in screen.lines if ROW.match(visible(line))]
    assert len(rows) == 6 and all(cell_len(row) <= 90 for row in rows), screen.output


@pytest.mark.parametrize("pager", ['"x', "less 'unclosed", "trailing\\"])
def test_a_pager_setting_that_is_no_command_is_said_and_the_table_printed(
        emulator: Emulator, pager: str) -> None:
    env = cloud_environment(emulator, BBPR_PAGER=pager)
    screen = run("bbpr list acme/widgets -s all", env, rows=24, columns=120)
    assert screen.code == 0, screen.output
    assert "BBPR_PAGER is not a command bbpr can run" in screen.output
    assert "printed without a pager" in screen.output
    rows = [line for line in screen.lines if ROW.match(visible(line))]
    assert len(rows) == len(emulator.pull_requests("acme", "widgets"))
    quiet = run("bbpr list acme/widgets -s all -q", env, rows=24, columns=120)
    assert quiet.code == 0 and "BBPR_PAGER" not in quiet.output
