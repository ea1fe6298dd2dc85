"""The SQLite copy on its own: schema and migrations, writes that only move forward, readers
that work during a write, and the errors of a cached listing. Real files in tmp_path."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from bbpr.asked.targets import parse_target
from bbpr.connect import host_for
from bbpr.copy import reader, schema, status
from bbpr.copy.file import NotCachedError, connect
from bbpr.copy.sync import next_watermark
from bbpr.copy.writer import Writer
from bbpr.errors import InputError
from bbpr.models import STATES, Participant, PullRequest, Query, Repository, State, review_fields

HOST = "https://api.bitbucket.org/2.0"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ALL = Query(states=frozenset(STATES), fields=frozenset(schema.STORED_FIELDS))


def pull_request(number: int, *, title: str = "t", minutes: int = 0,
                 state: State = "OPEN") -> PullRequest:
    return PullRequest(id=number, repository="acme/widgets", title=title, state=state,
                       author="Dana Demo", author_login="dana", author_id="{d}",
                       created_on=T0, updated_on=T0 + timedelta(minutes=minutes), draft=False)


def write(path: Path, *pages: list[PullRequest], complete: bool = True) -> None:
    with Writer(path, HOST, "cloud", "acme/widgets") as writer:
        run = writer.start_run(full=False)
        stored = writer.start_pass(Repository(owner="acme", slug="widgets"), run)
        for page in pages:
            writer.save_page(stored, run, page, requests=1)
        if complete:
            writer.finish_pass(stored, run, watermark=T0, remove_unseen=False, close_times=True)


def read_all(path: Path, query: Query = ALL) -> list[PullRequest]:
    listing = reader.read(path, HOST, parse_target("acme/widgets"), query)
    return [pr for page in listing.pages for pr in page]


def test_a_new_file_is_at_the_current_version_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "copy.sqlite"
    with Writer(path, HOST, "cloud", "acme/widgets"):
        pass
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION >= 1
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"runs", "owners", "repositories", "pull_requests"} <= tables


def test_a_file_from_a_newer_bbpr_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    connect(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    with pytest.raises(InputError, match="newer bbpr") as caught:
        connect(path)
    assert caught.value.exit_code == 2
    assert f"schema version {schema.SCHEMA_VERSION + 1}" in caught.value.message


def test_a_file_that_is_not_sqlite_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\n" * 200)
    with pytest.raises(InputError, match="not a bbpr database"):
        connect(path)
    assert path.read_text().startswith("shopping list")


def test_reading_never_creates_a_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.sqlite"
    with pytest.raises(NotCachedError) as caught:
        read_all(path)
    assert caught.value.exit_code == 4
    assert not path.exists()


def test_rows_only_move_forward(tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    write(path, [pull_request(1, title="new", minutes=5)])
    write(path, [pull_request(1, title="stale", minutes=1)])  # an older version, read late
    assert [pr.title for pr in read_all(path)] == ["new"]
    write(path, [pull_request(1, title="same time, later read", minutes=5)])
    write(path, [pull_request(1, title="newer", minutes=9), pull_request(2)])
    assert [(pr.id, pr.title) for pr in read_all(path)] == [(2, "t"), (1, "newer")]


PEOPLE = (
    Participant(name="Alex Moreau", login="alex", id="{a}", account_id="557058:a",
                role="REVIEWER", approved=True),
    Participant(name="Smith, Jo", login="jo", id="{j}", role="REVIEWER", changes_requested=True),
    Participant(name="Build Bot", login="buildbot", id="{b}", role="PARTICIPANT"),
)


def test_times_flags_and_people_survive_the_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    original = PullRequest(id=3, repository="acme/widgets", state="MERGED", draft=True,
                           created_on=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
                           updated_on=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                           closed_on=datetime(2026, 1, 2, 3, 4, 1, 5, tzinfo=UTC),
                           comment_count=0, merge_commit="abc", **review_fields(PEOPLE))
    alone = PullRequest(id=2, repository="acme/widgets", state="OPEN",
                        **review_fields(()))
    write(path, [original, alone])
    assert read_all(path) == [original, alone]
    assert original.approved_by == ("Alex Moreau",)
    assert original.changes_requested_by == ("Smith, Jo",)
    assert original.participants == ("Build Bot",)
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT pull_request_id, position, role, name, approved FROM "
                          "participants ORDER BY position").fetchall()
    assert rows == [(3, 0, "REVIEWER", "Alex Moreau", 1), (3, 1, "REVIEWER", "Smith, Jo", 0),
                    (3, 2, "PARTICIPANT", "Build Bot", 0)]


def test_people_only_move_forward_and_go_with_their_pull_request(tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    newer = msgspec.structs.replace(pull_request(1, minutes=5), **review_fields(PEOPLE[:1]))
    older = msgspec.structs.replace(pull_request(1, minutes=1), **review_fields(PEOPLE))
    write(path, [newer])
    write(path, [older])
    [found] = read_all(path)
    assert found.people == PEOPLE[:1]
    with Writer(path, HOST, "cloud", "acme/widgets") as writer:
        run = writer.start_run(full=True)
        stored = writer.start_pass(Repository(owner="acme", slug="widgets"), run)
        writer.finish_pass(stored, run, watermark=T0, remove_unseen=True,
                           close_times=True)  # it was deleted
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM participants").fetchone() == (0,)


def test_a_copy_from_before_review_data_is_read_whole_again(tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    with sqlite3.connect(path) as db:  # what bbpr wrote at schema version 1
        db.executescript(schema.MIGRATIONS[0] + "; PRAGMA user_version = 1;")
        db.execute("INSERT INTO runs (id, host, target, full, started_at) "
                   "VALUES (1, ?, 'acme/widgets', 1, 'x')", (HOST,))
        db.execute("INSERT INTO repositories (id, host, flavour, owner, slug, watermark, "
                   "completed_at, last_pass_completed) VALUES (1, ?, 'cloud', 'acme', "
                   "'widgets', '2026-03-01T12:00:00.000000Z', '2026-03-01T12:00:00.000000Z', 1)",
                   (HOST,))
        db.execute("INSERT INTO pull_requests (repository_id, id, state, seen_in_run) "
                   "VALUES (1, 7, 'MERGED', 1)")
    with Writer(path, HOST, "cloud", "acme/widgets") as writer:
        run = writer.start_run(full=False)
        stored = writer.start_pass(Repository(owner="acme", slug="widgets"), run)
    assert stored.watermark is None  # so the next sync is a full one
    assert not stored.close_times  # version 1 kept none: the next sync need not add them
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert db.execute("SELECT closed_on FROM pull_requests").fetchall() == [(None,)]
    with pytest.raises(NotCachedError, match="no full sync has finished since it was made or "
                                             "upgraded"):
        read_all(path)


def test_a_copy_from_schema_2_keeps_its_close_times(tmp_path: Path) -> None:
    """Every sync at version 2 kept close times: a repository it completed has them all."""
    path = tmp_path / "copy.sqlite"
    with sqlite3.connect(path) as db:  # what bbpr wrote at schema version 2
        db.executescript(";".join(schema.MIGRATIONS[:2]) + "; PRAGMA user_version = 2;")
        db.execute("INSERT INTO runs (id, host, target, full, started_at) "
                   "VALUES (1, ?, 'acme', 1, 'x')", (HOST,))
        db.execute("INSERT INTO repositories (id, host, flavour, owner, slug, watermark, "
                   "completed_at, last_pass_completed) VALUES (1, ?, 'cloud', 'acme', "
                   "'widgets', '2026-03-01T12:00:00.000000Z', '2026-03-01T12:00:00.000000Z', 1), "
                   "(2, ?, 'cloud', 'acme', 'gadgets', NULL, NULL, 0)", (HOST, HOST))
        db.execute("INSERT INTO pull_requests (repository_id, id, state, updated_on, closed_on, "
                   "seen_in_run) VALUES (1, 7, 'MERGED', '2026-03-01T11:00:00.000000Z', "
                   "'2026-03-01T10:00:00.000000Z', 1)")
    with pytest.raises(InputError, match="older bbpr"):  # a reader never migrates
        read_all(path)
    with Writer(path, HOST, "cloud", "acme/widgets") as writer:
        run = writer.start_run(full=False)
        stored = writer.start_pass(Repository(owner="acme", slug="widgets"), run)
        never = writer.start_pass(Repository(owner="acme", slug="gadgets"), run)
    assert stored.close_times and stored.watermark == T0  # kept, and not read whole again
    assert not never.close_times  # its first pass never ended: it holds no copy yet
    [found] = read_all(path, Query(states=frozenset(STATES),
                                   fields=frozenset({"id", "closed_on"})))
    assert found.closed_on == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert {row.repository: row.close_times for row in status.status(path)} == {
        "acme/widgets": True, "acme/gadgets": False}


def test_cached_closed_on_needs_a_copy_with_close_times(tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    with Writer(path, HOST, "cloud", "acme/widgets") as writer:
        run = writer.start_run(full=False)
        stored = writer.start_pass(Repository(owner="acme", slug="widgets"), run)
        writer.save_page(stored, run, [pull_request(1, state="MERGED")], requests=1)
        writer.finish_pass(stored, run, watermark=T0, remove_unseen=True, close_times=False)
    closed_on = Query(states=frozenset(STATES), fields=frozenset({"id", "closed_on"}))
    with pytest.raises(InputError, match=re.escape(
            f"run `bbpr sync acme/widgets --db {path} --close-times` once")):
        read_all(path, closed_on)
    others = Query(states=frozenset(STATES), fields=frozenset({"id", "state"}))
    assert [(pr.id, pr.state) for pr in read_all(path, others)] == [(1, "MERGED")]


def test_readers_see_the_last_commit_while_a_sync_writes(tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    write(path, [pull_request(1)])
    writer = connect(path)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE pull_requests SET title = 'half-written'")
    try:
        assert [pr.title for pr in read_all(path)] == ["t"]  # no wait, no lock error
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_first_pass_that_never_finished_is_not_a_copy(tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    write(path, [pull_request(1)], complete=False)
    with pytest.raises(NotCachedError, match=r"incomplete.*bbpr sync acme/widgets"):
        read_all(path)


def test_a_target_never_synced_names_the_command_to_run(tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    write(path, [pull_request(1)])
    with pytest.raises(NotCachedError,  # with the --db that was read
                       match=re.escape(f"run `bbpr sync acme/gadgets --db {path}` first")):
        reader.read(path, HOST, parse_target("acme/gadgets"), ALL)
    # The workspace: one of its repositories is in the copy, synced alone.
    with pytest.raises(NotCachedError, match=re.escape(
            "acme was never synced whole: the copy holds 1 of its repositories, each synced "
            f"alone (acme/widgets). Run `bbpr sync acme --db {path}` first")):
        reader.read(path, HOST, parse_target("acme"), ALL)
    server = "https://git.example.com"
    with pytest.raises(NotCachedError, match=f"bbpr sync ACME/widgets --server {server}"):
        reader.read(path, server, parse_target("ACME/widgets", server=server), ALL)
    with pytest.raises(NotCachedError):  # the same names on another Cloud API address
        reader.read(path, "http://127.0.0.1:9/2.0", parse_target("acme/widgets"), ALL)


@pytest.mark.parametrize(("query", "message"), [
    (Query(text='title ~ "x"'), "BBQL"),
    (Query(fields=frozenset({"id", "description"})), "descriptions"),
    (Query(author="557058:0a1b"), "account ID"),
])
def test_what_the_copy_cannot_answer_is_an_input_error(tmp_path: Path, query: Query,
                                                       message: str) -> None:
    path = tmp_path / "copy.sqlite"
    write(path, [pull_request(1)])
    with pytest.raises(InputError, match=message):
        reader.read(path, HOST, parse_target("acme/widgets"), query)


def test_superseded_alone_on_data_center_is_refused_like_the_live_list(tmp_path: Path) -> None:
    target = parse_target("ACME/widgets", server="https://git.example.com")
    with pytest.raises(InputError, match="no SUPERSEDED"):
        reader.read(tmp_path / "x.sqlite", target.server or "", target,
                   Query(states=frozenset({"SUPERSEDED"})))


def test_the_watermark_is_in_server_time_and_never_moves_back() -> None:
    minute = timedelta(minutes=1)
    assert next_watermark(None, None, minute) is None
    assert next_watermark(T0, None, minute) == T0
    assert next_watermark(None, T0, minute) == T0 - minute
    assert next_watermark(T0, T0 + 10 * minute, minute) == T0 + 9 * minute
    assert next_watermark(T0, T0, 5 * minute) == T0  # an older candidate: keep the later one


def test_host_for_matches_the_clients_host() -> None:
    from bbpr.client import AsyncClient
    from bbpr.credentials.kinds import Credentials

    target = parse_target("acme/widgets")
    for api_url in (None, "http://127.0.0.1:8000/2.0/"):
        client = AsyncClient(api_url=api_url, credentials=Credentials(kind="anonymous"), environ={})
        assert host_for(target, api_url) == client.host
    server = parse_target("ACME/widgets", server="https://git.example.com/bitbucket/")
    assert host_for(server) == "https://git.example.com/bitbucket"


def test_status_tells_a_complete_pass_from_an_interrupted_one(tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    write(path, [pull_request(1), pull_request(2)])
    [done] = status.status(path)
    assert (done.repository, done.pull_requests, done.last_run_requests) == ("acme/widgets", 2, 1)
    assert done.last_pass_completed and done.completed_at is not None
    write(path, [pull_request(3)], complete=False)  # killed after one page
    [interrupted] = status.status(path)
    assert interrupted.pull_requests == 3 and not interrupted.last_pass_completed
    assert interrupted.completed_at == done.completed_at  # the copy is as fresh as then
