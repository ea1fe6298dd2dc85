"""`bbpr demo` and `bbpr emulator`, the two commands a new user runs first."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from ..conftest import base_environment, bbpr


def test_demo_runs_the_main_job_and_exits_0(tmp_path: Path) -> None:
    # The user's own state directory, where the ledger of requests spent would go.
    env = base_environment() | {"XDG_STATE_HOME": str(tmp_path)}
    run = bbpr("demo", env=env)
    assert run.code == 0, run.err
    assert not list(tmp_path.iterdir()), "the demo wrote into the user's state directory"
    assert "--state all --format ids" in run.out
    ids = re.search(r"(\d+) IDs in (\d+) requests", run.out)
    assert ids is not None and int(ids.group(1)) > 50
    merged_table = run.out.split("--state merged --format table")[1].split("\n3. ")[0]
    assert "MERGED" in merged_table and "OPEN" not in merged_table
    review = run.out.split("--fields id,pickup_time,time_to_merge,approved_by --format "
                           "table\n")[1].split("\n\n")[0].splitlines()
    assert review[0].split() == ["ID", "PICKUP", "TIME", "TIME", "TO", "MERGE", "APPROVED", "BY"]
    rows = [line for line in review[1:] if re.match(r"\s+\d+ ", line)]
    # Some merges have no review (the emulator's teams merge without one now and then), and
    # a merge made by a push has no time; most have both, in the table's short form.
    assert len(rows) == 5
    spans = [re.findall(r"\b\d+(?:\.\d)?[mhd](?: \d+m)?\b", row) for row in rows]
    assert sum(len(found) >= 1 for found in spans) >= 4, review
    assert any(len(found) == 2 for found in spans), review
    assert re.search(r"activity feed \(comments, approvals, merges\), which took \d+ "
                     r"requests? more", run.out)
    assert "--server http://127.0.0.1:" in run.out
    assert 'Did you mean jobsearchdemo ("jobSearchDemo")' in run.out


def test_emulator_command_serves_until_interrupted() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "bbpr", "emulator", "--port", "0", "--prs", "75"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=base_environment(),
    )
    try:
        assert server.stdout is not None
        exports: dict[str, str] = {}
        while len(exports) < 3:
            line = server.stdout.readline()
            assert line, server.stderr.read() if server.stderr else "no output"
            found = re.match(r"export (BITBUCKET_\w+)=(\S+)", line.strip())
            if found:
                exports[found.group(1)] = found.group(2).strip("'\"")
        assert exports["BITBUCKET_API_URL"].startswith("http://127.0.0.1:")
        run = bbpr("list", "acme/widgets", "--state", "all", "--format", "ids",
                   env=base_environment() | exports)
        assert run.code == 0, run.err
        assert len(run.out.split()) == 75
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_emulator_command_takes_the_server_quirks() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "bbpr", "emulator", "--port", "0", "--prs", "120",
         "--id-filters", "500", "--sort-ignored", "--no-size", "--changes-every", "4",
         "--changes", "create,merge", "--drafts-hidden", "unless-q-names-draft",
         "--merge-queue", "state", "--mixed-fields", "plus-dropped", "--hostile"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=base_environment(),
    )
    try:
        assert server.stdout is not None
        exports: dict[str, str] = {}
        quirks = ""
        while not quirks:
            line = server.stdout.readline()
            assert line, server.stderr.read() if server.stderr else "no output"
            found = re.match(r"export (BITBUCKET_\w+)=(\S+)", line.strip())
            if found:
                exports[found.group(1)] = found.group(2).strip("'\"")
            if line.startswith("# Quirks: "):
                quirks = line
        assert "id_filters='500'" in quirks and "sort_ignored=True" in quirks
        assert "omit_size=True" in quirks and "changes_every=4" in quirks
        assert "changes='create,merge'" in quirks
        assert "drafts_hidden='unless-q-names-draft'" in quirks
        assert "merge_queue='state'" in quirks and "mixed_fields='plus-dropped'" in quirks
        assert "hostile_text='\\x1b[2J" in quirks and "\x1b" not in quirks  # shown, not obeyed
        run = bbpr("list", "acme/widgets", "--state", "all", "--format", "ids",
                   env=base_environment() | exports)
        assert run.code == 0, run.err
        ids = [int(line) for line in run.out.split()]
        assert len(ids) == len(set(ids)) and set(range(1, 121)) <= set(ids)
        titles = bbpr("list", "acme/widgets", "--fields", "title", env=base_environment() | exports)
        assert "\\x1b[2J" in titles.out and "\x1b" not in titles.out
    finally:
        server.terminate()
        server.wait(timeout=10)
    refused = bbpr("emulator", "--port", "0", "--changes", "explode", env=base_environment())
    assert refused.code == 2 and "changes" in refused.err
