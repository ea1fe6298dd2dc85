"""SIGKILL `bbpr sync` at many points, across pages, repositories and both flavours, while the
server changes; the next complete run leaves a copy equal to the server's truth."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bbpr.emulator import Emulator
from bbpr.emulator.messages import Request

from ..conftest import base_environment, cloud_environment
from .test_sync import cloud_truth, dc_truth, stored
from .test_sync_review_events import stored as stored_events
from .test_sync_review_events import truth


def environments(emu: Emulator) -> dict[str, dict[str, str]]:
    dc = base_environment() | {"BITBUCKET_SERVER": emu.datacenter_url,
                               "BITBUCKET_TOKEN": emu.dc_demo.token}
    return {"acme": cloud_environment(emu), "ACME": dc}


def start_sync(target: str, path: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bbpr", "sync", target, "--db", str(path), *extra],
        env=env | {"BBPR_CONFIG_DIR": "/nonexistent/bbpr"}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)


def when_request(emu: Emulator, number: int) -> tuple[threading.Event, Callable[[], None]]:
    """An event set when the `number`th request from now arrives at the emulator."""
    arrived, count, lock = threading.Event(), [0], threading.Lock()

    def observe(request: Request) -> None:
        with lock:
            count[0] += 1
            if count[0] == number:
                arrived.set()

    return arrived, emu.on_request(observe)


def change_something(emu: Emulator, rng: random.Random, target: str) -> None:
    if target == "acme":
        slug = rng.choice(["widgets", "big-repo", "infra"])
        ids = [pr["id"] for pr in emu.pull_requests("acme", slug)]
        action = rng.choice(["create", "merge", "decline", "touch"])
        flavour, owner = "cloud", "acme"
    else:
        slug = rng.choice(["widgets", "big-repo"])
        ids = [pr["id"] for pr in emu.dc_pull_requests("ACME", slug)]
        action = rng.choice(["create", "merge", "decline", "touch", "delete"])
        flavour, owner = "datacenter", "ACME"
    if action == "create":
        emu.create_pull_request(owner, slug, flavour=flavour)
    elif action == "delete":
        emu.delete_pull_request(owner, slug, rng.choice(ids))
    elif action == "touch":
        emu.touch(owner, slug, rng.choice(ids), flavour=flavour)
    else:
        state = "MERGED" if action == "merge" else "DECLINED"
        emu.set_state(owner, slug, rng.choice(ids), state, flavour=flavour)


def kill_schedule(rng: random.Random) -> list[tuple[str, bool, int]]:
    """(target, --full, request number): every request of a full pass (about 10: the
    repository list, then the pages of each repository) and of an incremental one (about
    5), on both flavours, in a shuffled order so that kills meet every kind of copy."""
    schedule = [(target, full, number) for target in ("acme", "ACME")
                for full, last in ((True, 10), (False, 4)) for number in range(1, last + 1)]
    rng.shuffle(schedule)
    return schedule


def test_sigkill_at_20_points_then_one_run_completes_the_copy(tmp_path: Path) -> None:
    path, rng = tmp_path / "copy.sqlite", random.Random(20260630)
    with Emulator(prs=260, seed=29, latency_ms=12) as emu:
        emu.settings.dc_max_limit = 40  # Data Center pages of 40: several per repository
        envs = environments(emu)
        killed_at: set[tuple[str, bool, int]] = set()
        for run, (target, full, number) in enumerate(kill_schedule(rng)):
            arrived, stop_watching = when_request(emu, number)
            process = start_sync(target, path, envs[target], *(["--full"] if full else []))
            try:
                while not arrived.wait(timeout=0.01) and process.poll() is None:
                    pass
                time.sleep(rng.uniform(0, 0.01))  # in flight, decoding or writing
                if process.poll() is None:
                    os.kill(process.pid, signal.SIGKILL)
                    killed_at.add((target, full, number))
                assert process.wait(timeout=60) in (0, -signal.SIGKILL), process.stderr
            finally:
                stop_watching()
            with sqlite3.connect(path) as db:
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            if run % 3 == 2:
                change_something(emu, rng, target)
        assert len(killed_at) >= 20, sorted(killed_at)

        for target, full in (("acme", False), ("ACME", True)):  # --full: to see deletions
            done = start_sync(target, path, envs[target], *(["--full"] if full else []))
            assert done.wait(timeout=60) == 0, done.communicate()[1]
        for slug in ("widgets", "big-repo", "infra", "api-gateway"):
            assert stored(path, f"acme/{slug}") == cloud_truth(emu, f"acme/{slug}")
        for slug in ("widgets", "big-repo", "api-gateway"):
            assert stored(path, f"ACME/{slug}") == dc_truth(emu, f"ACME/{slug}")
        with sqlite3.connect(path) as db:  # one row per pull request, however often written
            rows = db.execute("SELECT count(*), count(DISTINCT repository_id || '/' || id) "
                              "FROM pull_requests").fetchone()
        assert rows[0] == rows[1] > 600


def test_sigkill_during_review_events_then_the_next_run_completes_them(tmp_path: Path) -> None:
    """Killed in the first pass that gains review events, and in later ones while the
    server changes (reviews, merges, new pull requests): the copy never claims events it
    lacks, and one run then leaves every pull request's events as the server shows them."""
    path, rng = tmp_path / "copy.sqlite", random.Random(20261206)
    with Emulator(prs=200, seed=31, latency_ms=8) as emu:
        emu.settings.dc_max_limit = 60
        envs = environments(emu)
        for target, flavour, owner in (("acme/widgets", "cloud", "acme"),
                                       ("ACME/widgets", "datacenter", "ACME")):
            env = envs[owner]
            for number in (3, 9, 2, 6, 12, 4):
                arrived, stop_watching = when_request(emu, number)
                process = start_sync(target, path, env, "--review-events")
                try:
                    while not arrived.wait(timeout=0.01) and process.poll() is None:
                        pass
                    time.sleep(rng.uniform(0, 0.01))
                    if process.poll() is None:
                        os.kill(process.pid, signal.SIGKILL)
                    assert process.wait(timeout=60) in (0, -signal.SIGKILL), process.stderr
                finally:
                    stop_watching()
                with sqlite3.connect(path) as db:
                    complete, last = db.execute(
                        "SELECT review_events, last_pass_completed FROM repositories WHERE "
                        "owner = ? AND slug = 'widgets'", (owner,)).fetchone()
                if complete and last:  # it says the events are whole: they are
                    assert stored_events(path, target) == truth(emu, target, flavour)
                review_something(emu, rng, owner, flavour)
            # A pass that completes keeps the choice (as --close-times does), and the next
            # is asked for none: it is remembered.
            for flag in (["--review-events"], []):
                done = start_sync(target, path, env, *flag)
                assert done.wait(timeout=60) == 0, done.communicate()[1]
                assert stored_events(path, target) == truth(emu, target, flavour)
                review_something(emu, rng, owner, flavour)


def review_something(emu: Emulator, rng: random.Random, owner: str, flavour: str) -> None:
    pulls = (emu.pull_requests(owner, "widgets") if flavour == "cloud"
             else emu.dc_pull_requests(owner, "widgets"))
    opened = [pr for pr in pulls if pr["state"] == "OPEN"]
    pr = rng.choice(opened)
    author = pr["author"]["nickname"] if flavour == "cloud" else pr["author"]["user"]["name"]
    who = rng.choice([name for name in ("mei", "sam", "alex", "priya") if name != author])
    action = rng.choice(["approve", "changes", "merge", "create"])
    if action == "merge":
        emu.set_state(owner, "widgets", pr["id"], "MERGED", flavour=flavour)
    elif action == "create":
        emu.create_pull_request(owner, "widgets", flavour=flavour)
    else:
        verdict = "approved" if action == "approve" else "changes_requested"
        emu.review(owner, "widgets", pr["id"], who, verdict, flavour=flavour)
