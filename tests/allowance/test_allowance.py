"""The hourly allowance (issue 18): the ledger, --plan, stopping at the allowance with exit 5,
--wait, resuming a stopped sync, the allowance the server announces, and the emulator's
rolling window. On the emulator as a real server, the CLI as a subprocess, real SQLite."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pexpect
import pytest

from bbpr.allowance.figure import ledger_key, parse_allowance
from bbpr.credentials.kinds import Credentials, Secret
from bbpr.emulator import Emulator
from bbpr.emulator.live import ManualClock
from bbpr.errors import InputError
from bbpr.http import Ledger
from tests import terminal
from tests.conftest import Run, base_environment, bbpr, cloud_environment
from tests.fakes import ACCESS_TOKEN, API_TOKEN

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
    assert "Cost: at least 31 requests (30 not in the local copy" in listed.out
    assert "unknown" in listed.out


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


# --- limits kept whatever the ledger, the state directory or the server's clock -----------


@pytest.mark.parametrize("value", ["10/" + "9" * 400 + "h", "1/99999999999999999999s",
                                   "2/9999999999999h", "9" * 5000, "1000001", "5/0.5s"])
def test_an_allowance_out_of_range_is_refused_with_the_range(value: str) -> None:
    run = bbpr("list", "acme/widgets", "--allowance", value, env=base_environment())
    assert run.code == 2, run.err
    assert "1 to 1,000,000 requests, per a window of 1 s to 24 h" in run.err
    assert "Traceback" not in run.err and len(run.err) < 400


@pytest.mark.parametrize("broken", ["state directory is a file", "ledger is a directory"])
def test_an_allowance_is_kept_when_the_ledger_cannot_be_used(
        workspace: Emulator, tmp_path: Path, broken: str) -> None:
    """Issue 24: `--allowance 20` sent 52 requests, exit 0, with a ledger it could not use."""
    state = tmp_path / "state"
    if broken == "state directory is a file":
        state.write_text("not a directory")
    else:
        (state / "ledger.sqlite").mkdir(parents=True)
    plan = limited(workspace, state, "list", "big", "--state", "all", "--fields", "id,title",
                   "--allowance", "20", "--plan")
    assert plan.code == 0, plan.err
    assert "the request ledger cannot be used" in plan.out
    assert "this run keeps to it by itself" in plan.out
    before = len(workspace.requests)
    run = limited(workspace, state, "list", "big", "--state", "all", "--fields", "id,title",
                  "--allowance", "20")
    assert run.code == 5, run.err
    assert len(workspace.requests) - before == 20
    assert run.err.count("The request ledger cannot be used") == 1, run.err
    assert "keeps to the allowance of 20 requests an hour by itself" in run.err
    assert "allowance of 20 requests an hour is spent" in run.err


@pytest.mark.parametrize("salt", ["zz", "", "a" * 63])
def test_a_damaged_ledger_key_is_replaced_and_said_once(
        fresh_emulator: Emulator, tmp_path: Path, salt: str) -> None:
    (tmp_path / "ledger-salt").write_text(salt)
    env = cloud_environment(fresh_emulator, BITBUCKET_TOKEN=fresh_emulator.demo.access_token,
                            BITBUCKET_EMAIL="", BBPR_STATE_DIR=str(tmp_path))
    first = bbpr("list", "acme/widgets", "--format", "ids", env=env)
    assert first.code == 0, first.err
    assert first.err.count("held no key") == 1, first.err
    key = (tmp_path / "ledger-salt").read_text()
    assert len(key) == 64 and int(key, 16) >= 0
    assert stat.S_IMODE((tmp_path / "ledger-salt").stat().st_mode) == 0o600
    again = bbpr("list", "acme/widgets", "--format", "ids", env=env)
    assert again.code == 0 and "held no key" not in again.err, again.err


@pytest.mark.parametrize("value", ["'abc'", "9e999"])
def test_an_announced_allowance_edited_by_hand_is_ignored(
        fresh_emulator: Emulator, tmp_path: Path, value: str) -> None:
    fresh_emulator.faults.rate_limit_window = (500, 60.0)  # access tokens get the header
    env = cloud_environment(fresh_emulator, BITBUCKET_TOKEN=fresh_emulator.demo.access_token,
                            BITBUCKET_EMAIL="", BBPR_STATE_DIR=str(tmp_path))
    assert bbpr("list", "acme/widgets", "--format", "ids", env=env).code == 0
    plan = bbpr("list", "acme/widgets", "--plan", env=env)
    assert "Allowance: 500 requests an hour (announced" in plan.out, plan.err
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        assert db.execute(f"UPDATE allowances SET allowance = {value}").rowcount == 1
    for args in (["--plan"], ["--format", "ids"]):
        run = bbpr("list", "acme/widgets", *args, env=env)
        assert run.code == 0, run.err
        assert "Traceback" not in run.err and "unexpectedly" not in run.err


def test_the_ledger_is_created_owner_only(fresh_emulator: Emulator, tmp_path: Path) -> None:
    run = limited(fresh_emulator, tmp_path / "state", "list", "acme/widgets", "--format", "ids")
    assert run.code == 0, run.err
    files = sorted((tmp_path / "state").glob("ledger.sqlite*"))  # the WAL goes at the end
    assert files and files[0].name == "ledger.sqlite"
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_server_date_far_in_the_future_is_checked_before_use(
        fresh_emulator: Emulator, tmp_path: Path) -> None:
    """Issue 25: `Date: Fri, 31 Dec 9999 23:59:59 GMT`, then the allowance reached: "year
    10000 is out of range" (exit 1). The date is no clock: the run stops as any other."""
    fresh_emulator.clock = ManualClock(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))
    run = limited(fresh_emulator, tmp_path, "list", "acme/widgets", "--state", "all",
                  "--fields", "id,title", "--allowance", "2")
    assert "Fri, 31 Dec 9999 23:59:59 GMT" in fresh_emulator_date(fresh_emulator)
    assert run.code == 5, run.err
    assert "allowance of 2 requests an hour is spent" in run.err
    assert "requests free up from" in run.err and "unexpectedly" not in run.err
    synced = limited(fresh_emulator, tmp_path, "sync", "acme/widgets", "--db",
                     str(tmp_path / "copy.sqlite"))
    assert synced.code == 0, synced.err


def fresh_emulator_date(emu: Emulator) -> str:
    """The `Date` the emulator sends now."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(emu.cloud_api_url + "/repositories/acme") as response:
            return str(response.headers["Date"])
    except urllib.error.HTTPError as error:  # no credentials: a 401 with the same header
        return str(error.headers["Date"])


def test_plan_against_another_cloud_address_says_it_documents_no_allowance(
        fresh_emulator: Emulator, tmp_path: Path) -> None:
    run = limited(fresh_emulator, tmp_path, "list", "acme/widgets", "--plan")
    assert run.code == 0, run.err
    assert f"{fresh_emulator.cloud_api_url} is not Bitbucket Cloud's own API address, and " \
           "documents no allowance" in run.out
    assert "Data Center" not in run.out


def test_wait_on_a_terminal_never_asks(workspace: Emulator, tmp_path: Path) -> None:
    """Issue 24: `--wait` asked "Go on? [y/N]" and waited for an answer: it is the answer."""
    env = cloud_environment(workspace, BBPR_STATE_DIR=str(tmp_path),
                            XDG_DATA_HOME=str(tmp_path / "data"))
    assert bbpr("sync", "big", env=env).code == 0  # the copy the start-of-run cost comes from
    child = terminal.spawn("bbpr list big --state all --fields id,title --allowance 12/3s "
                           "--wait", env)
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert "needs about" in child.before and "Go on?" not in child.before, child.before
    assert child.exitstatus == 0


@pytest.mark.parametrize("spelling", ["https://API.bitbucket.org/2.0",
                                      "https://api.bitbucket.org:443/2.0",
                                      "HTTPS://api.bitbucket.org/2.0/"])
def test_every_spelling_of_clouds_address_is_cloud(spelling: str, tmp_path: Path) -> None:
    """Issue 24: other spellings turned pacing off and split the ledger and the copy's host."""
    from bbpr.allowance.figure import pacing
    from bbpr.asked.targets import parse_target
    from bbpr.connect import CLOUD_API_URL, Connection, host_for

    dana = Credentials(kind="api_token", user="dana@example.com", secret=Secret(API_TOKEN))
    connection = Connection(credentials=dana, api_url=spelling, environ={})
    assert connection.host == CLOUD_API_URL
    from_environment = Connection(credentials=dana, environ={"BITBUCKET_API_URL": spelling})
    assert from_environment.host == CLOUD_API_URL
    assert host_for(parse_target("acme/widgets"), spelling) == CLOUD_API_URL
    paced = pacing(dana, connection.host, {"BBPR_STATE_DIR": str(tmp_path)})
    assert paced.allowance == 1000  # Cloud's documented figure: paced
    assert paced.key == ledger_key(dana, CLOUD_API_URL, tmp_path)


def test_the_copy_is_found_whatever_the_spelling_of_the_api_address(
        fresh_emulator: Emulator, tmp_path: Path) -> None:
    db = str(tmp_path / "copy.sqlite")
    synced = limited(fresh_emulator, tmp_path, "sync", "acme/widgets", "--db", db)
    assert synced.code == 0, synced.err
    shouted = fresh_emulator.cloud_api_url.replace("http://", "HTTP://") + "/"
    env = cloud_environment(fresh_emulator, BBPR_STATE_DIR=str(tmp_path),
                            BITBUCKET_API_URL=shouted)
    cached = bbpr("list", "acme/widgets", "--cached", "--db", db, "--state", "all",
                  "--format", "ids", env=env)
    assert cached.code == 0, cached.err
    assert len(cached.out.split()) == len(fresh_emulator.pull_requests("acme", "widgets"))


def test_a_stopped_list_says_what_goes_on_and_never_that_a_later_run_does(
        workspace: Emulator, tmp_path: Path) -> None:
    """Issue 24: "a later run goes on from there" was said of a list, which starts over."""
    env = cloud_environment(workspace, BBPR_STATE_DIR=str(tmp_path),
                            XDG_DATA_HOME=str(tmp_path / "data"))
    job = ("list", "big", "--state", "all", "--fields", "id,title", "--allowance", "8")
    plan = bbpr(*job, "--plan", env=env)
    assert "Without --wait it stops after 7 requests (exit 5), and a list starts over on " \
           "every run, so only --wait finishes it (or `bbpr sync big`, which goes on where " \
           "it stopped, then `bbpr list big --cached`)" in plan.out, plan.out
    stopped = bbpr(*job, env=env)
    assert stopped.code == 5, stopped.err
    assert "A list starts over on every run: add --wait to finish it in one, or run " \
           "`bbpr sync big`, which goes on where it stopped, then `bbpr list big --cached`." \
           in stopped.err
    assert "goes on from there" not in plan.out + stopped.err
    one = bbpr("list", "big/repo-00", "--state", "all", "--fields", "id,title",
               "--allowance", "8", env=env)  # the window is spent
    assert one.code == 5, one.err
    assert "A list starts over on every run: add --wait to finish it in one." in one.err
    # With the copy's counts, the sentence before the run says the same.
    assert bbpr("sync", "big", env=cloud_environment(
        workspace, BBPR_STATE_DIR=str(tmp_path / "3"), XDG_DATA_HOME=str(tmp_path / "data"))
                ).code == 0
    warned = bbpr(*job, env=env)
    assert "it will stop when they are spent (exit 5), and a list starts over on every run" \
           in warned.err, warned.err


def test_one_request_is_not_plural(emulator: Emulator, tmp_path: Path) -> None:
    plan = limited(emulator, tmp_path, "list", "acme/widgets", "--limit", "1", "--plan")
    assert plan.code == 0 and "Cost: about 1 request." in plan.out
    assert "1 requests" not in plan.out
