"""What `bbpr demo` and `bbpr emulator` show a newcomer: the demo reads as the real output
does, the emulator prints wrong credentials to practise on, and its data are dated relative
to today."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bbpr.emulator import Emulator

from ..conftest import base_environment, bbpr, cloud_environment
from ..terminal import run as on_terminal


def test_the_demo_reads_as_the_real_output_does() -> None:
    screen = on_terminal("bbpr demo", base_environment() | {"NO_COLOR": "1"}, columns=100)
    assert screen.code == 0, screen.output
    lines = screen.lines
    # One summary per step, the demo's: bbpr's own ("... pull requests of ... in N requests")
    # is not printed beside it.
    assert not [line for line in lines if re.search(r"pull requests of \S+ in \d+ request", line)]
    ids = lines.index("   $ bbpr list acme/widgets --state all --format ids")
    assert lines[ids + 1:ids + 6] == ["   60", "   59", "   58", "   57", "   56"]  # one a line
    assert re.match(r"   \.\.\. 55 more, one a line: 60 IDs in \d+ requests?\.", lines[ids + 6])
    table = lines.index("   $ bbpr list acme/widgets --state merged --format table")
    assert lines[table + 1].startswith("   ID  STATE")  # indented as every step's output
    body = lines[table + 2:lines.index("", table)]
    assert all(line.startswith("   ") and len(line) <= 100 for line in body)
    assert re.match(r"   \d+ pull requests in \d+ requests?\.", body[-1])
    step = "   $ bbpr list acme/widgets --state merged --limit 5 --fields"
    metrics = next(index for index, line in enumerate(lines) if line.startswith(step))
    assert lines[metrics + 1].split() == ["ID", "PICKUP", "TIME", "TIME", "TO", "MERGE",
                                          "APPROVED", "BY"]
    rows = "\n".join(lines[metrics + 2:metrics + 7])
    assert all(re.match(r"   +\d+  ", line) for line in rows.splitlines())  # five rows
    # Durations in the table's short human form, never raw seconds.
    assert re.findall(r"\b\d+(?:\.\d)?[smhd]\b", rows) and not re.search(r"\b\d{4,}\b", rows)
    doctor = next(line for line in lines if "Workspace jobSearchDemo was not found" in line)
    assert doctor.startswith("   ")


PRACTICE = {
    "a token made without scopes": (3, "has no scopes"),
    "a token made for another product (Jira)": (3, "another Atlassian product"),
    "an expired token": (3, "expired"),
    "an app password (removed on 28 July 2026)": (3, "28 July 2026"),
    "the Bitbucket username where the email goes": (2, "is not an email address"),
}


def test_the_emulator_prints_wrong_credentials_to_practise_on() -> None:
    server = subprocess.Popen([sys.executable, "-m", "bbpr", "emulator", "--port", "0",
                               "--prs", "20"], stdout=subprocess.PIPE, text=True,
                              env=base_environment())
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert re.search(r"Cloud API at http://127\.0\.0\.1:\d+/2\.0 ", first)
        exports: dict[str, str] = {}
        practice: dict[str, str] = {}
        while len(practice) < len(PRACTICE):
            line = server.stdout.readline().rstrip("\n")
            assert line, "the banner ended early"
            export = re.match(r"export (BITBUCKET_\w+)=(\S+)$", line)
            if export:
                exports[export.group(1)] = export.group(2)
            case = re.match(r"#   (.+?): (BITBUCKET_\w+=\S+ bbpr doctor acme/widgets)$", line)
            if case:
                practice[case.group(1)] = case.group(2)
        assert set(practice) == set(PRACTICE)
        for label, command in practice.items():
            code, says = PRACTICE[label]
            shell = command.replace("bbpr ", f"{sys.executable} -m bbpr ", 1)
            done = subprocess.run(["/bin/sh", "-c", shell], capture_output=True, text=True,
                                  env=base_environment() | exports, timeout=60, check=False)
            assert done.returncode == code, (label, done.stdout, done.stderr)
            failed = next(line for line in done.stdout.splitlines() if line.startswith("✗"))
            assert says in failed, (label, failed)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_emulator_banner_runs_top_to_bottom() -> None:
    """Every line of the banner, commented ones uncommented, run in order in one shell:
    each command works (the Data Center one after the Cloud exports, too); only the
    practice lines, which are wrong on purpose, are left out."""
    from bbpr.emulator.console import banner

    with Emulator(prs=20, seed=3) as emu:
        script, commands = [], 0
        for line in banner(emu, 20):
            shell = re.sub(r"^# (?=export |unset )|^#   (?=(?:[A-Z_]+=\S+ )*bbpr )", "", line)
            if shell.startswith("#"):
                continue
            if " bbpr " in f" {shell}":
                commands += 1
                shell = re.sub(r"(^| )bbpr ", rf"\1{sys.executable} -m bbpr ", shell, count=1)
                shell += f" --format ids > /dev/null || echo 'failed: {line}'"
            script.append(shell)
        assert commands == 4
        done = subprocess.run(["/bin/sh", "-c", "\n".join(script)], capture_output=True,
                              text=True, env=base_environment(), timeout=120, check=False)
    assert "failed:" not in done.stdout, done.stdout + done.stderr
    assert "Cloud token" not in done.stderr


def test_the_emulator_data_is_dated_relative_to_today(tmp_path: Path) -> None:
    start_of_today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with Emulator(prs=120, seed=5) as emu, Emulator(prs=120, seed=5) as again:
        prs = emu.pull_requests("acme", "widgets")
        def essence(pull_requests: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
            return [(pr["id"], pr["title"], pr["state"], pr["created_on"], pr["updated_on"])
                    for pr in pull_requests]

        # The same seed, the same data (the links differ only by the port).
        assert essence(prs) == essence(again.pull_requests("acme", "widgets"))
        newest = max(datetime.fromisoformat(pr["updated_on"]) for pr in prs)
        assert start_of_today - timedelta(days=1) <= newest <= datetime.now(UTC)
        env = cloud_environment(emu)
        recent = bbpr("list", "acme/widgets", "-s", "all", "--updated-since", "2d",
                      "--format", "ids", env=env)
        since = datetime.now(UTC) - timedelta(days=2)
        expected = sorted((pr["id"] for pr in prs
                           if datetime.fromisoformat(pr["updated_on"]) >= since), reverse=True)
        assert recent.code == 0 and expected and [int(n) for n in recent.out.split()] == expected
        path = tmp_path / "copy.sqlite"
        first = bbpr("sync", "acme/widgets", "--db", str(path), env=env)
        assert first.code == 0 and "120 pull requests stored, 120 read" in first.err
        second = bbpr("sync", "acme/widgets", "--db", str(path), env=env)
        # Only what changed in the last minutes before the newest update is read again.
        again_read = re.search(r", (\d+) read, in 1 request ", second.err)
        assert second.code == 0 and again_read and int(again_read.group(1)) <= 3, second.err
    fixed = datetime(2026, 6, 30, 12, tzinfo=UTC)
    with Emulator(prs=30, seed=5, now=fixed) as pinned:
        moments = [datetime.fromisoformat(pr["updated_on"])
                   for pr in pinned.pull_requests("acme", "widgets")]
        assert max(moments) <= fixed and max(moments) > fixed - timedelta(days=30)
