"""`--plan` and the sentence before a run say what the run then spends (issue 24): over
several jobs on a synced workspace, the requests the emulator served are within a tenth of
"about N", or within the range the plan states; a sync that resumes one stopped early is
planned for what it has left; without a copy the plan says the least, and the run spends no
less. On the emulator as a real server, the CLI as a subprocess."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bbpr.emulator import Emulator
from tests.conftest import bbpr, cloud_environment

SIZES = (0, 3, 40, 60, 130, 260, 700)
MIXES = ({"MERGED": 80, "OPEN": 10, "DECLINED": 10}, None, {"OPEN": 60, "MERGED": 40})


Synced = tuple[Emulator, dict[str, str]]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    """A synced workspace of 21 repositories of every size and mix of states."""
    home = tmp_path_factory.mktemp("plans")
    with Emulator(prs=5, seed=21) as emu:
        for number in range(21):
            emu.add_repository("plans", f"repo-{number:02d}", prs=SIZES[number % len(SIZES)],
                               states=MIXES[number % len(MIXES)])
        env = cloud_environment(emu, BBPR_STATE_DIR=str(home / "state"),
                                XDG_DATA_HOME=str(home / "data"))
        synced = bbpr("sync", "plans", env=env)
        assert synced.code == 0, synced.err
        yield emu, env


def planned(out: str) -> tuple[int, int]:
    """The least and most a plan says, a tenth either way of "about N"."""
    said = re.search(r"Cost: (about|at least)? ?([\d,]+)(?: to ([\d,]+))? requests?", out)
    assert said is not None, out
    first = int(said[2].replace(",", ""))
    if said[1] == "about":
        return first - first // 10, first + first // 10
    if said[1] == "at least":
        return first, 10 ** 9
    return first, int(said[3].replace(",", ""))


def spent(emu: Emulator, env: dict[str, str], *args: str) -> int:
    before = len(emu.requests)
    run = bbpr(*args, env=env)
    assert run.code == 0, run.err
    return len(emu.requests) - before


JOBS = [
    ("list", "plans"),
    ("list", "plans", "--state", "merged,declined"),
    ("list", "plans", "--state", "all"),
    ("list", "plans", "--state", "all", "--format", "ids"),
    ("list", "plans", "--state", "merged", "--format", "ids"),
    ("list", "plans", "--state", "all", "--fields", "id,state"),
    ("list", "plans", "--state", "open,merged", "--format", "ids"),
    ("list", "plans/repo-06", "--state", "merged"),
    ("list", "plans/repo-06", "--state", "all", "--format", "ids"),
    ("list", "plans/repo-05", "--state", "all", "--fields", "id,closed_on"),
    ("list", "plans/repo-05", "--state", "all", "--fields", "id,pickup_time"),
    ("list", "plans/repo-06", "--state", "merged", "--fields", "id,approvals"),
    ("list", "plans/repo-13", "--state", "merged", "--format", "ids"),
    ("list", "plans", "--concurrency", "1", "--state", "merged"),
    ("sync", "plans"),
]


@pytest.mark.parametrize("job", JOBS, ids=" ".join)
def test_the_plan_says_what_the_run_spends(workspace: Synced, job: tuple[str, ...]) -> None:
    emu, env = workspace
    plan = bbpr(*job, "--plan", env=env)
    assert plan.code == 0, plan.err
    least, most = planned(plan.out)
    assert least <= spent(emu, env, *job) <= most, plan.out


def test_a_resumed_sync_is_planned_for_what_it_has_left(tmp_path: Path) -> None:
    """Issue 24: a resumed sync was planned to stop after 28 and finished in 27, exit 0."""
    with Emulator(prs=1, seed=3) as emu:
        for number in range(30):
            emu.add_repository("big", f"repo-{number:02d}", prs=20)
        env = cloud_environment(emu, BBPR_STATE_DIR=str(tmp_path / "state"))
        db = str(tmp_path / "copy.sqlite")
        assert bbpr("sync", "big", "--db", db, "--allowance", "12/1h", env=env).code == 5
        fresh = cloud_environment(emu, BBPR_STATE_DIR=str(tmp_path / "fresh"))
        plan = bbpr("sync", "big", "--db", db, "--plan", "--allowance", "25", env=fresh)
        assert "30 repositories (resuming a sync that stopped early: 19 left)" in plan.out
        assert "Cost: about 20 requests." in plan.out, plan.out  # the listing, one each
        assert "Time: it fits in what is left" in plan.out
        assert spent(emu, fresh, "sync", "big", "--db", db, "--allowance", "25") == 20


def test_without_a_copy_the_plan_says_the_least_and_the_run_spends_no_less(
        tmp_path: Path) -> None:
    with Emulator(prs=5, seed=21) as emu:
        for number in range(12):
            emu.add_repository("bare", f"repo-{number:02d}", prs=SIZES[number % len(SIZES)])
        env = cloud_environment(emu, BBPR_STATE_DIR=str(tmp_path),
                                XDG_DATA_HOME=str(tmp_path / "data"))
        job = ("list", "bare", "--state", "merged,declined")
        plan = bbpr(*job, "--plan", env=env)
        assert "Cost: at least 13 requests (12 not in the local copy" in plan.out, plan.out
        assert "`bbpr sync bare` first makes the plan exact" in plan.out
        assert spent(emu, env, *job) >= 13
