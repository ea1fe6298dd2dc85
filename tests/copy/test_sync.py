"""`sync` against the emulator (a real HTTP server), Cloud and Data Center: the copy equals the
server's truth after changes, re-syncs cost one or two requests, and the copy answers
listings exactly as the live client does."""

from __future__ import annotations

import asyncio
import math
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bbpr.asked.filters import make_query
from bbpr.client import AsyncClient
from bbpr.connect import Connection
from bbpr.copy import reader, schema
from bbpr.copy.sync import SyncResult, sync
from bbpr.emulator import Emulator
from bbpr.errors import InputError

Row = tuple[str, str, datetime, str, str, str]
"""state, title, updated_on, author login, source branch, destination branch"""


def environment(emu: Emulator, flavour: str) -> dict[str, str]:
    if flavour == "cloud":
        return {"BITBUCKET_API_URL": emu.cloud_api_url, "BITBUCKET_EMAIL": emu.demo.email,
                "BITBUCKET_TOKEN": emu.demo.api_token, "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}
    return {"BITBUCKET_SERVER": emu.datacenter_url, "BITBUCKET_TOKEN": emu.dc_demo.token,
            "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}


def client_for(emu: Emulator, flavour: str) -> AsyncClient:
    return AsyncClient.from_env(environment(emu, flavour))


def sync_now(emu: Emulator, target: str, path: Path, *, flavour: str = "cloud",
             full: bool = False, close_times: bool = False) -> SyncResult:
    async def go() -> SyncResult:
        environ = environment(emu, flavour)
        async with Connection(server=environ.get("BITBUCKET_SERVER"),
                              environ=environ) as connection:
            return await sync(connection.backend, connection.host, connection.target(target),
                              path, full=full, close_times=close_times)

    return asyncio.run(go())


def stored(path: Path, repository: str) -> dict[int, Row]:
    """What the file holds for a repository, read with plain SQL."""
    owner, slug = repository.split("/")
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT p.id, state, title, updated_on, author_login, source_branch, "
            "destination_branch FROM pull_requests p JOIN repositories r "
            "ON r.id = p.repository_id WHERE r.owner = ? AND r.slug = ?", (owner, slug))
        return {row[0]: (row[1], row[2], datetime.fromisoformat(row[3]), *row[4:])
                for row in rows}


def cloud_truth(emu: Emulator, repository: str) -> dict[int, Row]:
    return {pr["id"]: (pr["state"], pr["title"], datetime.fromisoformat(pr["updated_on"]),
                       pr["author"]["nickname"], pr["source"]["branch"]["name"],
                       pr["destination"]["branch"]["name"])
            for pr in emu.pull_requests(*repository.split("/"))}


def dc_truth(emu: Emulator, repository: str) -> dict[int, Row]:
    return {pr["id"]: (pr["state"], pr["title"],
                       datetime.fromtimestamp(pr["updatedDate"] / 1000, tz=UTC),
                       pr["author"]["user"]["name"], pr["fromRef"]["displayId"],
                       pr["toRef"]["displayId"])
            for pr in emu.dc_pull_requests(*repository.split("/"))}


def list_requests(emu: Emulator, since: int) -> int:
    return sum(request.path.endswith(("/pullrequests", "/pull-requests"))
               for request in emu.requests[since:])


@pytest.fixture
def small() -> Iterator[Emulator]:
    with Emulator(prs=237, seed=13) as emu:
        yield emu


def test_cloud_copy_follows_new_merged_declined_and_updated_pull_requests(
        small: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    first = sync_now(small, "acme/widgets", path, close_times=True)
    assert first.repositories[0].full and first.repositories[0].stored == 237
    assert stored(path, "acme/widgets") == cloud_truth(small, "acme/widgets")

    open_ids = [pr["id"] for pr in small.pull_requests("acme", "widgets")
                if pr["state"] == "OPEN"]
    created = [small.create_pull_request("acme", "widgets"),
               small.create_pull_request("acme", "widgets", state="MERGED", author="priya")]
    small.set_state("acme", "widgets", open_ids[0], "MERGED")
    small.set_state("acme", "widgets", open_ids[1], "DECLINED")
    small.set_state("acme", "widgets", open_ids[2], "SUPERSEDED")
    small.touch("acme", "widgets", 1)  # the oldest pull request, commented on today
    before = len(small.requests)
    again = sync_now(small, "acme/widgets", path)  # close times are kept without asking

    truth = cloud_truth(small, "acme/widgets")
    assert stored(path, "acme/widgets") == truth
    assert set(created) <= set(truth) and truth[open_ids[2]][0] == "SUPERSEDED"
    assert not again.repositories[0].full
    # One page of changes, and one of the activity feed: the close times of the four that
    # closed since (the others closed before, and their close times are kept).
    assert len(small.requests) - before == again.requests == 2


def test_data_center_copy_follows_changes_and_full_removes_deleted(small: Emulator,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    sync_now(small, "ACME/widgets", path, flavour="datacenter")
    assert stored(path, "ACME/widgets") == dc_truth(small, "ACME/widgets")

    ids = sorted(dc_truth(small, "ACME/widgets"))
    small.create_pull_request("ACME", "widgets", flavour="datacenter")
    small.set_state("ACME", "widgets", ids[10], "MERGED", flavour="datacenter")
    small.set_state("ACME", "widgets", ids[11], "DECLINED", flavour="datacenter")
    small.touch("ACME", "widgets", ids[0], flavour="datacenter")
    small.delete_pull_request("ACME", "widgets", ids[5])
    sync_now(small, "ACME/widgets", path, flavour="datacenter")
    copy, truth = stored(path, "ACME/widgets"), dc_truth(small, "ACME/widgets")
    assert set(copy) - set(truth) == {ids[5]}  # only a full pass can tell what is gone
    assert {number: copy[number] for number in truth} == truth

    full = sync_now(small, "ACME/widgets", path, flavour="datacenter", full=True)
    assert full.repositories[0].removed == 1
    assert stored(path, "ACME/widgets") == truth


def review_rows(path: Path, repository: str) -> dict[int, tuple[Any, ...]]:
    """Each pull request's close time and people, read with plain SQL."""
    owner, slug = repository.split("/")
    with sqlite3.connect(path) as db:
        closes = dict(db.execute(
            "SELECT p.id, p.closed_on FROM pull_requests p JOIN repositories r "
            "ON r.id = p.repository_id WHERE r.owner = ? AND r.slug = ?", (owner, slug)))
        people: dict[int, list[tuple[Any, ...]]] = {number: [] for number in closes}
        for number, *person in db.execute(
                "SELECT x.pull_request_id, x.role, x.login, x.approved, x.changes_requested "
                "FROM participants x JOIN repositories r ON r.id = x.repository_id "
                "WHERE r.owner = ? AND r.slug = ? ORDER BY x.pull_request_id, x.position",
                (owner, slug)):
            people[number].append(tuple(person))
    return {number: (closes[number] and datetime.fromisoformat(closes[number]),
                     people[number]) for number in closes}


def cloud_review_truth(emu: Emulator, repository: str) -> dict[int, tuple[Any, ...]]:
    closes = emu.cloud_closed_on(*repository.split("/"))
    found = {}
    for pr in emu.pull_requests(*repository.split("/")):
        asked = [r["uuid"] for r in pr["reviewers"]]
        entry = {p["user"]["uuid"]: p for p in pr["participants"]}
        people = [("REVIEWER", r["nickname"], entry[r["uuid"]]["approved"],
                   entry[r["uuid"]]["state"] == "changes_requested") for r in pr["reviewers"]]
        people += [("PARTICIPANT", p["user"]["nickname"], p["approved"],
                    p["state"] == "changes_requested") for p in pr["participants"]
                   if p["user"]["uuid"] not in asked and p["user"]["uuid"] != pr["author"]["uuid"]]
        found[pr["id"]] = (closes.get(pr["id"]), people)
    return found


def dc_review_truth(emu: Emulator, repository: str) -> dict[int, tuple[Any, ...]]:
    found = {}
    for pr in emu.dc_pull_requests(*repository.split("/")):
        people = [(role, p["user"]["name"], p["status"] == "APPROVED",
                   p["status"] == "NEEDS_WORK")
                  for role, group in (("REVIEWER", "reviewers"), ("PARTICIPANT", "participants"))
                  for p in pr[group] if p["user"]["name"] != pr["author"]["user"]["name"]]
        closed = pr.get("closedDate")
        found[pr["id"]] = (closed and datetime.fromtimestamp(closed / 1000, tz=UTC), people)
    return found


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_review_data_and_close_times_follow_reviews_and_merges(
        small: Emulator, tmp_path: Path, flavour: str) -> None:
    """An approval moves `updated_on` (on both flavours), so an incremental sync sees it."""
    owner, truth = ("acme", cloud_review_truth) if flavour == "cloud" else ("ACME",
                                                                           dc_review_truth)
    repository, path = f"{owner}/widgets", tmp_path / "copy.sqlite"
    sync_now(small, repository, path, flavour=flavour, close_times=True)
    assert review_rows(path, repository) == truth(small, repository)
    opened = [number for number, (closed, _) in truth(small, repository).items()
              if closed is None][:3]
    people = {number: found for number, (_, found) in review_rows(path, repository).items()}
    for number in opened:
        reviewer = next(login for role, login, *_ in people[number] if role == "REVIEWER")
        small.review(owner, "widgets", number, reviewer, "changes_requested", flavour=flavour)
    with sqlite3.connect(path) as db:
        [(author,)] = db.execute("SELECT author_login FROM pull_requests WHERE id = ?",
                                 (opened[1],)).fetchall()
    outsider = next(login for login in ("alex", "priya", "mei", "sam", "jonas", "lucia")
                    if login not in {author, *(person[1] for person in people[opened[1]])})
    small.review(owner, "widgets", opened[1], outsider, "approved", flavour=flavour)
    small.set_state(owner, "widgets", opened[2], "MERGED", flavour=flavour)
    before = len(small.requests)
    again = sync_now(small, repository, path, flavour=flavour)
    assert not again.repositories[0].full and len(small.requests) - before <= 2
    copy = review_rows(path, repository)
    assert copy == truth(small, repository)
    assert copy[opened[0]][1][0][3]  # the first reviewer's "changes requested" stands
    assert copy[opened[1]][1][-1][1:3] == (outsider, True)  # a newcomer's approval
    assert copy[opened[2]][0] is not None


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_resync_of_5000_pull_requests_after_10_changes_costs_at_most_2_requests(
        flavour: str, tmp_path: Path) -> None:
    """The issue's target, for a copy that is kept up to date."""
    with Emulator(prs=20, seed=17) as emu:
        if flavour == "cloud":
            owner, truth = "acme", cloud_truth
            slug = emu.add_repository(owner, "huge", prs=5000)
        else:
            owner, truth = "ACME", dc_truth
            slug = emu.add_dc_repository(owner, "huge", prs=5000)
        repository, path = f"{owner}/{slug}", tmp_path / "copy.sqlite"
        sync_now(emu, repository, path, flavour=flavour)
        ids = sorted(stored(path, repository))  # (rendering the truth takes a second)
        # The generated data stacks a hundred updates at one instant (the emulator's fixed
        # "now"), which the safety window re-reads until a later change moves the watermark
        # past it. A copy kept up to date is past it: get there with one change.
        emu.touch(owner, slug, ids[-1], flavour=flavour)
        sync_now(emu, repository, path, flavour=flavour)
        for number in ids[100:3000:1000]:
            emu.set_state(owner, slug, number, "MERGED", flavour=flavour)
        for number in ids[150:3000:1500]:
            emu.set_state(owner, slug, number, "DECLINED", flavour=flavour)
        for number in (ids[7], ids[4321]):
            emu.touch(owner, slug, number, flavour=flavour)
        for _ in range(3):
            emu.create_pull_request(owner, slug, flavour=flavour)
        before = len(emu.requests)
        result = sync_now(emu, repository, path, flavour=flavour)
        assert len(emu.requests) - before == result.requests <= 2
        assert stored(path, repository) == truth(emu, repository)
        assert result.repositories[0].stored == 5003


def test_data_center_reads_everything_when_newest_means_creation_order(
        small: Emulator, tmp_path: Path) -> None:
    """Stopping at `updated_since` is right only if NEWEST sorts by update time; when the
    server sorts by creation, an old pull request updated lately is on the last page."""
    small.settings.dc_max_limit = 25
    small.settings.dc_order_by = "id"
    # Pages overlap by one (deletions show), and one request more proves nothing moved.
    path, pages = tmp_path / "copy.sqlite", math.ceil((237 - 1) / (25 - 1)) + 1
    sync_now(small, "ACME/widgets", path, flavour="datacenter")
    small.set_state("ACME", "widgets", 2, "DECLINED", flavour="datacenter")
    small.touch("ACME", "widgets", 3, flavour="datacenter")
    before = len(small.requests)
    sync_now(small, "ACME/widgets", path, flavour="datacenter")
    assert stored(path, "ACME/widgets") == dc_truth(small, "ACME/widgets")
    assert list_requests(small, before) == pages  # no early stop without proof

    small.settings.dc_order_by = "updated"
    small.touch("ACME", "widgets", 4, flavour="datacenter")
    before = len(small.requests)
    sync_now(small, "ACME/widgets", path, flavour="datacenter")
    assert stored(path, "ACME/widgets") == dc_truth(small, "ACME/widgets")
    assert list_requests(small, before) == 1


def test_a_workspace_sync_follows_its_repository_list(small: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    first = sync_now(small, "acme", path)
    names = [result.repository for result in first.repositories]
    assert names == sorted(names) and "acme/widgets" in names
    small.add_repository("acme", "Zeta", prs=3)
    small.create_pull_request("acme", "big-repo")
    again = sync_now(small, "acme", path)
    assert [(r.repository, r.full) for r in again.repositories] == [
        *((name, False) for name in names), ("acme/zeta", True)]
    for name in (*names, "acme/zeta"):
        assert stored(path, name) == cloud_truth(small, name)


# --- the copy answers like the live listing --------------------------------------------

@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, Path]]:
    # Data ending on a fixed day, which the dated filters below are written against.
    with Emulator(prs=237, seed=7, now=datetime(2026, 6, 30, 12, tzinfo=UTC)) as emu:
        path = tmp_path_factory.mktemp("sync") / "copy.sqlite"
        sync_now(emu, "acme", path, close_times=True)
        sync_now(emu, "ACME", path, flavour="datacenter")
        yield emu, path


def live_and_cached(emu: Emulator, path: Path, flavour: str, target: str,
                    filters: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    fields = filters.pop("fields", ["id", "repository", "title", "state", "author",
                                    "updated_on"])
    limit, repos = filters.pop("limit", None), filters.pop("repos", None)
    if filters.get("reviewer") == "REVIEWER UUID":
        filters["reviewer"] = emu.pull_requests("acme", "widgets")[9]["reviewers"][0]["uuid"]
    if filters.get("source") == "SOURCE OF #7":
        truth = cloud_truth(emu, "acme/widgets") if flavour == "cloud" else dc_truth(
            emu, "ACME/widgets")
        filters["source"] = truth[7][4]

    async def live() -> list[Any]:
        async with client_for(emu, flavour) as client:
            return [pr async for pr in client.pull_requests(
                target, fields=fields, limit=limit, repos=repos, **filters)]

    client = client_for(emu, flavour)
    listing = reader.read(path, client.host, client.target(target),
                          make_query(fields=fields, **filters), limit=limit, repos=repos)
    as_records = [[{name: getattr(pr, name) for name in fields} for pr in listing]
                  for listing in (asyncio.run(live()), [pr for p in listing.pages for pr in p])]
    return as_records[0], as_records[1]


CLOUD_FILTERS: list[dict[str, Any]] = [
    {"state": "all"},
    {"state": "merged"},
    {"state": ["open", "declined"], "destination": "main"},
    {"state": "all", "author": "priya"},
    {"state": "all", "author": "Mei Lin"},
    {"state": "all", "source": "SOURCE OF #7"},
    {"state": "all", "updated_since": "2026-06-20T06:30:15.5"},
    {"state": "all", "limit": 60},
    {"state": "all", "repos": "*i*"},
    {"state": "all", "fields": list(schema.STORED_FIELDS)},
    {"state": "all", "reviewer": "priya", "fields": ["id", "reviewers", "approved_by"]},
    {"state": "all", "reviewer": ["Mei Lin", "alex"], "fields": ["id", "reviewers"]},
    {"state": "all", "reviewer": "REVIEWER UUID", "fields": ["id", "closed_on"]},
    {"state": "all", "reviewer": "PRIYA", "fields": ["id"]},  # any case, as live
    {"state": "all", "author": "lucía fernández"},  # beyond ASCII too
    {"state": "all", "created_since": "2026-06-01T00:00:00", "draft": True},
    {"state": "all", "created_since": "2026-06-20T06:30:15.5"},
    {"state": "open", "draft": False, "fields": ["id", "participants",
                                                 "changes_requested_by"]},
]


@pytest.mark.parametrize("filters", CLOUD_FILTERS)
def test_cloud_cached_listing_equals_the_live_one(synced: tuple[Emulator, Path],
                                                  filters: dict[str, Any]) -> None:
    emu, path = synced
    filters = dict(filters)
    empty = filters.pop("empty", False)
    live, cached = live_and_cached(emu, path, "cloud", "acme", filters)
    assert bool(live) != empty, "a filter that matches nothing proves little"
    assert live == cached


def test_a_part_of_a_name_matches_no_one_and_the_copy_says_so(
        synced: tuple[Emulator, Path]) -> None:
    emu, path = synced
    with pytest.raises(InputError, match=r"--reviewer 'Priy' is the name of no reviewer of a "
                       r"pull request of acme in the local copy.* Did you mean 'Priya Raman'\?"):
        live_and_cached(emu, path, "cloud", "acme", {"state": "all", "reviewer": "Priy"})

    async def live() -> list[Any]:  # a whole workspace is not searched for the name live
        async with client_for(emu, "cloud") as client:
            return [pr async for pr in client.pull_requests("acme", state="all",
                                                            reviewer="Priy")]

    assert asyncio.run(live()) == []


def test_cloud_author_by_uuid_matches_the_live_list(synced: tuple[Emulator, Path]) -> None:
    emu, path = synced
    uuid = emu.pull_requests("acme", "widgets")[0]["author"]["uuid"]
    live, cached = live_and_cached(emu, path, "cloud", "acme/widgets",
                                   {"state": "all", "author": uuid})
    assert live and live == cached


DC_FILTERS: list[dict[str, Any]] = [
    {"state": "all"},
    {"state": "open"},
    {"state": ["merged", "superseded"], "destination": "main"},
    {"state": "all", "author": "PRIYA"},  # user names match in any case
    {"state": "all", "destination": "main", "source": "SOURCE OF #7"},
    {"state": "all", "updated_since": "2026-06-25"},
    {"state": "all", "limit": 30, "repos": "*e*"},
    {"state": "all", "fields": list(schema.STORED_FIELDS)},
    {"state": "all", "reviewer": "PRIYA", "fields": ["id", "reviewers", "approved_by"]},
    {"state": "all", "reviewer": ["mei", "alex"], "created_since": "2026-06-01"},
    {"state": "all", "reviewer": "Mei Lin", "fields": ["id"]},  # the user's display name
    {"state": "all", "draft": True, "fields": ["id", "draft", "closed_on"]},
    {"state": "all", "created_since": "2026-06-25T01:02:03.456789"},
]


@pytest.mark.parametrize("filters", DC_FILTERS)
def test_data_center_cached_listing_equals_the_live_one(synced: tuple[Emulator, Path],
                                                        filters: dict[str, Any]) -> None:
    emu, path = synced
    filters = dict(filters)
    empty = filters.pop("empty", False)
    live, cached = live_and_cached(emu, path, "datacenter", "ACME", filters)
    assert bool(live) != empty, "a filter that matches nothing proves little"
    assert live == cached
