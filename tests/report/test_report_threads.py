"""A report read with one thread or with two (the reviews given counted on a second
connection, beside the metrics) is the same report; the two connections read one snapshot
of the copy while a sync writes (`copy.file.open_snapshots`); a failure on either side
stops both."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bbpr.asked.targets import parse_target
from bbpr.copy import schema
from bbpr.copy.file import connect, open_read_only, open_snapshots, transaction
from bbpr.report.metrics import MetricOptions
from bbpr.report.numbers import ReportOptions, _beside
from bbpr.report.records import Report
from bbpr.report.source import read_report
from bbpr.report.working_time import zone_named

from .timelines import HOST, PEOPLE, Timeline, at, write_copy

WEEK = 24 * 7
KINDS = ("comment", "comment", "approval", "changes_requested", "updated", "ready")


def team(seed: int, count: int = 240) -> list[Timeline]:
    """Pull requests in three repositories with events by everyone (and by someone the copy
    cannot name), opened, merged, declined and in draft, over five weeks."""
    chance = random.Random(seed)
    people = [*PEOPLE, "stranger"]
    found = []
    for number in range(1, count + 1):
        created = chance.uniform(-2 * WEEK, 3 * WEEK)
        events = sorted(((chance.choice(people), chance.choice(KINDS),
                          created + chance.expovariate(1 / 20))
                         for _ in range(chance.randrange(0, 9))), key=lambda event: event[2])
        end = created + chance.uniform(1, 2 * WEEK)
        ending = chance.random()
        found.append(Timeline(
            number, author=chance.choice([*PEOPLE]), created=created, events=events,
            merged=end if ending < 0.6 else None,
            declined=end if 0.6 <= ending < 0.7 else None,
            draft=ending > 0.95, reviewers=tuple(chance.sample(["alex", "jo", "priya"], 2)),
            repository=f"acme/{('widgets', 'gadgets', 'gizmos')[number % 3]}"))
    return found


def workspace_copy(path: Path, timelines: list[Timeline]) -> Path:
    """A copy of `timelines`, their repositories listed as a workspace sync lists them."""
    write_copy(path, timelines)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE repositories SET position = id")
        db.execute("INSERT INTO owners VALUES (?, 'acme', '2026-03-01')", (HOST,))
    return path


def report(path: Path, threads: int, **metric_options: object) -> Report:
    options = ReportOptions(since=at(-WEEK), until=at(3 * WEEK),
                            metrics=MetricOptions(**metric_options))  # type: ignore[arg-type]
    return read_report(path, HOST, parse_target("acme"), options, threads=threads)


@pytest.mark.parametrize("metric_options", [
    {},
    {"exclude_users": ("alex", "Build Bot")},
    {"working_days": True, "zone": zone_named("Europe/Berlin")},
])
def test_one_thread_or_two_give_the_same_report(tmp_path: Path,
                                                metric_options: dict[str, object]) -> None:
    path = workspace_copy(tmp_path / "c.sqlite", team(seed=26))
    alone, beside = report(path, 1, **metric_options), report(path, 2, **metric_options)
    assert beside == alone
    # Not two empty reports: reviews given (counted beside) and events without a person.
    assert sum(reviewer.reviewed for reviewer in alone.reviewers) > 50
    assert alone.notes.events_without_person > 0
    assert alone.summary.merged > 50


def count(connection: sqlite3.Connection) -> int:
    return int(connection.execute("SELECT count(*) FROM review_events").fetchone()[0])


def add_event(path: Path, number: int) -> None:
    writer = connect(path)
    try:
        with transaction(writer) as db:
            db.execute("INSERT INTO review_events (repository_id, pull_request_id, event_key, "
                       "kind, happened_on, user_id, login, name) SELECT id, 1, ?, 'comment', "
                       "?, NULL, 'alex', NULL FROM repositories LIMIT 1",
                       (f"added-{number}", schema.to_text(at(1))))
    finally:
        writer.close()


def test_snapshots_hold_one_state_of_the_copy(tmp_path: Path) -> None:
    path = write_copy(tmp_path / "c.sqlite", team(seed=1, count=10))
    connections = open_snapshots(path, 2)
    try:
        assert len(connections) == 2
        before = count(connections[0])
        add_event(path, 1)
        assert [count(connection) for connection in connections] == [before, before]
        fresh = open_read_only(path)
        assert count(fresh) == before + 1
        fresh.close()
    finally:
        for connection in connections:
            connection.close()


def test_snapshots_opened_while_a_sync_commits_agree(tmp_path: Path) -> None:
    path = write_copy(tmp_path / "c.sqlite", team(seed=2, count=10))
    stop = threading.Event()

    def writing() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            add_event(path, number)
            time.sleep(0.001)

    writer = threading.Thread(target=writing)
    writer.start()
    pairs = 0
    try:
        for _ in range(60):
            connections = open_snapshots(path, 3)
            try:
                seen = {count(connection) for connection in connections}
                assert len(seen) == 1, f"one open_snapshots saw {sorted(seen)}"
                pairs += len(connections) > 1
            finally:
                for connection in connections:
                    connection.close()
    finally:
        stop.set()
        writer.join()
    assert pairs > 0  # some tries met no commit between them: the check above had teeth


def test_a_failure_beside_is_raised(tmp_path: Path) -> None:
    path = write_copy(tmp_path / "c.sqlite", team(seed=3, count=5))
    connections = open_snapshots(path, 2)
    try:
        with pytest.raises(sqlite3.OperationalError, match="no such table"), \
                _beside(lambda other: other.execute("SELECT * FROM nowhere"),
                        connections) as waited:
            waited()
    finally:
        for connection in connections:
            connection.close()


def test_a_failure_of_the_report_stops_the_work_beside(tmp_path: Path) -> None:
    path = write_copy(tmp_path / "c.sqlite", team(seed=4, count=5))
    connections = open_snapshots(path, 2)
    endless = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
               "SELECT count(*) FROM n")
    started = time.monotonic()
    try:
        with pytest.raises(ValueError, match="the report failed"), \
                _beside(lambda other: other.execute(endless).fetchone(), connections):
            time.sleep(0.2)  # the endless query is running beside
            raise ValueError("the report failed")
    finally:
        for connection in connections:
            connection.close()
    assert time.monotonic() - started < 10  # interrupted, not waited for
