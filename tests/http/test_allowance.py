"""The hourly allowance (issue 18): the ledger, --plan, stopping at the allowance with exit 5,
--wait, resuming a stopped sync, the allowance the server announces, and the emulator's
rolling window. On the emulator as a real server, the CLI as a subprocess, real SQLite."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bbpr.allowance import ledger_key, parse_allowance
from bbpr.credentials import Credentials, Secret
from bbpr.emulator import Emulator
from bbpr.errors import InputError
from bbpr.http import Ledger
from tests.conftest import Run, bbpr, cloud_environment
from tests.fakes import ACCESS_TOKEN

REPOSITORIES = 30


@pytest.fixture
def workspace() -> Iterator[Emulator]:
    with Emulator(prs=1, seed=3) as emu:
        for number in range(REPOSITORIES):
            emu.add_repository("big", f"repo-{number:02d}", prs=20)
        yield emu


def limited(emu: Emulator, state: Path, *args: str) -> Run:
    env = cloud_environment(emu, BBPR_STATE_DIR=str(state))
    return bbpr(*args, env=env)


def rate_limited(emu: Emulator, since: int = 0) -> int:
    return sum(1 for request in emu.requests[since:] if request.status == 429)


def test_sync_stops_at_the_allowance_then_resumes_what_was_left(
        workspace: Emulator, tmp_path: Path) -> None:
    workspace.faults.rate_limit_window = (12, 60.0)
    db = str(tmp_path / "copy.sqlite")
    stopped = limited(workspace, tmp_path, "sync", "big", "--db", db, "--allowance", "12/60s")
    assert stopped.code == 5, stopped.err
    assert "allowance of 12 requests per 1 min is spent" in stopped.err
    assert f"11 of {REPOSITORIES} repositories of big are synced, {REPOSITORIES - 11} left" in (
        stopped.err)
    assert rate_limited(workspace) == 0  # a known allowance earns no 429
    assert len(workspace.requests) == 12
    # The next run, with room again, syncs the repositories left first, and only those.
    workspace.faults.rate_limit_window = None
    before = len(workspace.requests)
    resumed = limited(workspace, tmp_path, "sync", "big", "--db", db, "--allowance", "1000/1s")
    assert resumed.code == 0, resumed.err
    assert f"11 of {REPOSITORIES} repositories were synced then; syncing the 19 left" in (
        resumed.err)
    assert len(workspace.requests) - before == 1 + 19  # the listing, then one each
    # Then a sync starts over: every unchanged repository costs one request.
    before = len(workspace.requests)
    again = limited(workspace, tmp_path, "sync", "big", "--db", db, "--allowance", "1000/1s")
    assert again.code == 0, again.err
    assert len(workspace.requests) - before == 1 + REPOSITORIES


def test_wait_paces_the_run_within_the_window(workspace: Emulator, tmp_path: Path) -> None:
    workspace.faults.rate_limit_window = (12, 3.0)
    started = time.monotonic()
    run = limited(workspace, tmp_path, "list", "big", "--state", "all", "--format", "ids",
                  "--allowance", "12/3s", "--wait")
    assert run.code == 0, run.err
    assert len(run.out.splitlines()) == REPOSITORIES * 20
    assert rate_limited(workspace) == 0
    # 31 requests, 12 per 3 s: two full windows waited at least; a line in the log says so.
    assert time.monotonic() - started >= 6.0
    assert "waiting" in run.err and "(--wait)" in run.err


def test_plan_spends_only_the_repository_listing(workspace: Emulator, tmp_path: Path) -> None:
    db = str(tmp_path / "copy.sqlite")
    assert limited(workspace, tmp_path, "sync", "big", "--db", db).code == 0
    before = len(workspace.requests)
    run = limited(workspace, tmp_path, "sync", "big", "--db", db, "--plan",
                  "--allowance", "40/1h")
    assert run.code == 0, run.err
    assert len(workspace.requests) - before == 1  # 30 repositories: one page of them
    assert f"Plan for bbpr sync big: {REPOSITORIES} repositories." in run.out
    assert f"Cost: about {REPOSITORIES + 1} requests." in run.out  # one each, and the listing
    assert "Allowance: 40 requests an hour (given with --allowance); 32 spent" in run.out
    assert "Without --wait it stops after" in run.out
    listed = limited(workspace, tmp_path, "list", "big", "--state", "all", "--plan",
                     "--fields", "id,closed_on")
    assert listed.code == 0, listed.err
    # 20 pull requests each: a page, and their close times from the activity feed.
    assert "Cost: about " in listed.out and "unknown" in listed.out


def test_a_job_over_the_allowance_says_so_first_and_never_asks_without_a_terminal(
        workspace: Emulator, tmp_path: Path) -> None:
    db = str(tmp_path / "copy.sqlite")
    assert limited(workspace, tmp_path, "sync", "big", "--db", db, "--close-times").code == 0
    fresh = tmp_path / "fresh"  # a ledger with the whole allowance left
    run = limited(workspace, fresh, "sync", "big", "--db", db, "--full", "--close-times",
                  "--allowance", "100/1h")
    assert run.code == 5, run.err  # stdin is no terminal: no question, no hang
    assert "This bbpr sync big needs about 151 requests" in run.err
    assert "100 of this credential's 100 an hour are left: it will stop when they are spent" in (
        run.err)
    assert "repositories of big are synced" in run.err


def test_an_access_token_learns_its_allowance_from_the_server(
        fresh_emulator: Emulator, tmp_path: Path) -> None:
    fresh_emulator.faults.rate_limit_window = (3, 60.0)
    env = cloud_environment(fresh_emulator, BITBUCKET_TOKEN=fresh_emulator.demo.access_token,
                            BITBUCKET_EMAIL="", BBPR_STATE_DIR=str(tmp_path))
    # Titles need the pages (bare IDs would be proved in two requests, within the three).
    run = bbpr("list", "acme/widgets", "--state", "all", "--fields", "id,title", env=env)
    assert run.code == 5, run.err
    assert "allowance of 3 requests an hour is spent" in run.err
    assert "incomplete" in run.err
    assert rate_limited(fresh_emulator) == 0
    # The next run knows the figure before its first request.
    plan = bbpr("list", "acme/widgets", "--plan", env=env)
    assert "Allowance: 3 requests an hour (announced by Bitbucket in X-RateLimit-Limit)" in (
        plan.out), plan.err


def test_the_ledger_is_shared_by_processes_and_never_overspent(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    taker = (f"from pathlib import Path\nfrom bbpr.http import Ledger\n"
             f"ledger = Ledger(Path({str(path)!r}), 'k', 3600)\n"
             "print(sum(ledger.take(150) == 0 for _ in range(100)))\n")
    processes = [subprocess.Popen([sys.executable, "-c", taker], stdout=subprocess.PIPE,
                                  text=True) for _ in range(3)]
    taken = [int(process.communicate(timeout=60)[0]) for process in processes]
    assert sum(taken) == 150
    ledger = Ledger(path, "k", 3600)
    assert ledger.spent() == 150
    assert ledger.take(150) > 3000  # the next frees when the first leaves the hour
    assert Ledger(path, "other", 3600).spent() == 0


def test_a_clock_set_back_counts_more_never_less(tmp_path: Path) -> None:
    now = [1_000_000.0]
    ledger = Ledger(tmp_path / "ledger.sqlite", "k", 3600, clock=lambda: now[0])
    for _ in range(5):
        assert ledger.take(10) == 0
    now[0] -= 7200  # the clock went back two hours: the five are still counted
    assert ledger.spent() == 5
    now[0] += 7200 + 3600 + 3  # an hour after they were sent, they are gone
    assert ledger.spent() == 0


def test_the_ledger_key_names_the_account_never_the_secret(tmp_path: Path) -> None:
    host = "https://api.bitbucket.org/2.0"
    one = Credentials(kind="api_token", user="dana@example.com", secret=Secret("ATATT" + "a" * 40))
    other = Credentials(kind="api_token", user="Dana@example.com", secret=Secret("ATATT" + "b" * 9))
    # All API tokens of a user share one allowance: one key.
    assert ledger_key(one, host, tmp_path) == ledger_key(other, host, tmp_path)
    token = Credentials(kind="access_token", secret=Secret(ACCESS_TOKEN))
    key = ledger_key(token, host, tmp_path)
    assert ACCESS_TOKEN[:8] not in key and len(key) == 32
    assert key != ledger_key(Credentials(kind="access_token", secret=Secret(ACCESS_TOKEN + "x")),
                             host, tmp_path)
    assert (tmp_path / "ledger-salt").stat().st_mode & 0o777 == 0o600
    assert ledger_key(one, "https://other.example/2.0", tmp_path) != ledger_key(one, host,
                                                                                 tmp_path)


@pytest.mark.parametrize(("text", "expected"), [
    ("1000", (1000, 3600.0)), ("100/10s", (100, 10.0)), ("5/2min", (5, 120.0)),
    ("5000/1h", (5000, 3600.0)), ("100/h", (100, 3600.0))])
def test_allowance_forms(text: str, expected: tuple[int, float]) -> None:
    assert parse_allowance(text) == expected


@pytest.mark.parametrize("text", ["0", "-3", "ten", "100/10", "100/0s", ""])
def test_allowance_mistakes(text: str) -> None:
    with pytest.raises(InputError):
        parse_allowance(text)


def test_emulator_switch_reaches_bbpr_emulator(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bbpr", "emulator", "--port", "0", "--rate-limit-window",
         "2/30s"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:  # the banner is printed whole, faults included
            lines.append(line)
            if "rate_limit_window" in line or len(lines) > 40:
                break
        text = "".join(lines)
        assert "rate_limit_window" in text and "(2, 30.0)" in text, text
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_plan_counts_every_id_as_proved_from_the_count(tmp_path: Path) -> None:
    """Every state's IDs alone cost the newest page and one from the bottom, not a page a
    fifty: the plan says what the listing will spend."""
    with Emulator(prs=500, seed=3) as emu:  # no copy: the plan probes the count
        env = cloud_environment(emu, BBPR_STATE_DIR=str(tmp_path))
        ids = bbpr("list", "acme/widgets", "--state", "all", "--format", "ids", "--plan",
                   env=env)
        assert ids.code == 0, ids.err
        assert "Cost: about 2 requests." in ids.out
        titles = bbpr("list", "acme/widgets", "--state", "all", "--fields", "id,title",
                      "--plan", env=env)
        assert titles.code == 0, titles.err
        assert "Cost: about 10 requests." in titles.out


def test_one_request_is_not_plural(emulator: Emulator, tmp_path: Path) -> None:
    plan = limited(emulator, tmp_path, "list", "acme/widgets", "--limit", "1", "--plan")
    assert plan.code == 0 and "Cost: about 1 request." in plan.out
    assert "1 requests" not in plan.out
