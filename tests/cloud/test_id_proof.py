"""Every pull request ID from the count (`cloud.id_proof`, docs/how-bbpr-lists.md): the
exact IDs in two requests where the proof holds, a search for the holes where IDs are
missing, the smaller side of a state subset, and today's ladder where a check fails, on
every deviation the emulator can show, quiet and while pull requests change. Never an ID
that does not exist, never a missing one with exit 0.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest

from bbpr import Client, GaveUpError
from bbpr.emulator import Emulator
from bbpr.emulator.messages import Request, Response, json_response

from ..conftest import base_environment, bbpr, cloud_environment, ids_of, q_of

PRS = 600
EVERY = {"OPEN", "MERGED", "DECLINED", "SUPERSEDED"}
STATES = {"all": EVERY, "merged": {"MERGED"}, "open": {"OPEN"}}
QUIRKS: dict[str, dict[str, Any]] = {
    "honest": {},
    "id filters refused with 400": {"id_filters": "400"},
    "id filters refused with 500": {"id_filters": "500"},
    "id filters ignored": {"id_filters": "ignored"},
    "sort ignored": {"sort_ignored": True},
    "no size": {"omit_size": True},
    "size too high": {"size_off_by": 7},
    "size too low": {"size_off_by": -3},
    "gaps": {"missing_ids": frozenset({1, 2, 77, 300, 301, 302, 599})},
}
GIVES_UP = {"size too high"}
"""Where the ladder, taking over, cannot prove the list complete: exit 5, never a wrong
list (a count above what exists reads as pull requests lost)."""


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(prs=5, seed=31) as emulator:
        yield emulator


@pytest.fixture
def slug(emu: Emulator, request: pytest.FixtureRequest) -> Iterator[str]:
    """A repository of the test's own; the emulator's settings put back afterwards."""
    names = ("id_filters", "sort_ignored", "omit_size", "size_off_by", "missing_ids",
             "changes_every", "changes")
    saved = {name: getattr(emu.settings, name) for name in names}
    hooks, rewrites = list(emu.hooks), list(emu.rewrites)
    yield emu.add_repository("acme", f"proof-{abs(hash(request.node.nodeid))}", prs=PRS)
    for name, value in saved.items():
        setattr(emu.settings, name, value)
    emu.hooks[:], emu.rewrites[:] = hooks, rewrites


def states_of(emu: Emulator, slug: str) -> dict[int, str]:
    return {pr["id"]: pr["state"] for pr in emu.pull_requests("acme", slug)}


def pull_request_requests(emu: Emulator, since: int) -> int:
    return sum("/pullrequests" in request.path for request in emu.requests[since:])


def listed(emu: Emulator, slug: str, state: str, fields: list[str],
           limit: int | None = None) -> tuple[list[Any], int]:
    start = len(emu.requests)
    with Client.from_env(cloud_environment(emu)) as bb:
        records = list(bb.pull_requests(f"acme/{slug}", state=state, fields=fields,
                                        limit=limit))
    return records, pull_request_requests(emu, start)


def check(records: list[Any], before: dict[int, str], after: dict[int, str],
          wanted: set[str]) -> None:
    """Each once; all that matched throughout; none that never matched."""
    ids = [record.id for record in records]
    assert len(ids) == len(set(ids)), "a pull request was listed twice"
    throughout = {n for n, state in before.items()
                  if state in wanted and after.get(n) in wanted}
    ever = ({n for n, state in before.items() if state in wanted}
            | {n for n, state in after.items() if state in wanted}
            | {n for n in ids if n > max(before)})  # created (and merged) meanwhile
    assert not throughout - set(ids), f"lost {sorted(throughout - set(ids))[:10]}"
    assert not set(ids) - ever, f"listed {sorted(set(ids) - ever)[:10]}, never there"


@pytest.mark.parametrize("changes", [None, 3], ids=["quiet", "changes"])
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("quirk", QUIRKS)
def test_every_deviation_alone_and_while_pull_requests_change(
        emu: Emulator, slug: str, quirk: str, state: str, changes: int | None) -> None:
    for name, value in QUIRKS[quirk].items():
        setattr(emu.settings, name, value)
    before = states_of(emu, slug)
    emu.settings.changes = frozenset({"create", "merge", "update"})
    emu.settings.changes_every = changes
    try:
        records, spent = listed(emu, slug, state, ["id"])
    except GaveUpError as error:
        assert quirk in GIVES_UP, error
        assert "incomplete" in str(error)
        return
    finally:
        emu.settings.changes_every = None
    after = states_of(emu, slug)
    check(records, before, after, STATES[state])
    if changes is None:
        assert sorted(r.id for r in records) == sorted(
            n for n, s in before.items() if s in STATES[state])
    assert spent <= 3 * math.ceil(len(after) / 50) + 10
    if quirk == "honest" and state == "all":
        assert spent == 2  # the newest page, and one from the bottom
    if quirk == "gaps" and state == "all":
        # Seven holes in 600: reading is cheaper, and each missing ID is then asked for by
        # itself (and those above, created meanwhile, until one is not there), since only
        # that tells a gap from a hidden draft.
        assert spent <= math.ceil(PRS / 50) + 7 + 1 + (len(after) - len(before))


@pytest.mark.parametrize("changes", [None, 3], ids=["quiet", "changes"])
def test_a_repository_whose_ids_have_gaps(emu: Emulator, changes: int | None) -> None:
    """A few holes in 2,000: found by counting ranges, the rest proved, in a fraction of
    the 40 pages (and each missing ID asked for by itself: 404, so not listed)."""
    slug = emu.add_repository("acme", f"gaps-{changes}", prs=2000)
    emu.settings.missing_ids = frozenset({3, 1234, 1999})
    try:
        before = states_of(emu, slug)
        emu.settings.changes = frozenset({"create", "merge", "update"})
        emu.settings.changes_every = changes
        records, spent = listed(emu, slug, "all", ["id"])
    finally:
        emu.settings.changes_every = None
        emu.settings.missing_ids = frozenset()
    assert [r.id for r in records] == sorted(before, reverse=True)
    assert spent <= 20


def test_ids_and_states_infer_the_largest_state(emu: Emulator) -> None:
    slug = emu.add_repository("acme", "infer-states", prs=3000)
    before = states_of(emu, slug)
    records, spent = listed(emu, slug, "all", ["id", "state"])
    assert {r.id: r.state for r in records} == before
    largest = max(list(before.values()).count(s) for s in EVERY)
    rest = math.ceil((len(before) - largest) / 50)
    assert spent <= 5 + 1 + 2 * rest + 1
    assert spent < math.ceil(len(before) / 50)


def test_a_state_subset_reads_its_smaller_side(emu: Emulator) -> None:
    """`--state merged` where most are merged: the others are read, the rest inferred."""
    slug = emu.add_repository("acme", "smaller-side", prs=3000,
                              states={"MERGED": 80, "OPEN": 10, "DECLINED": 10})
    before = states_of(emu, slug)
    merged = sorted((n for n, s in before.items() if s == "MERGED"), reverse=True)
    records, spent = listed(emu, slug, "merged", ["id", "state"])
    assert [(r.id, r.state) for r in records] == [(n, "MERGED") for n in merged]
    rest = len(before) - len(merged)
    assert rest < len(merged)
    assert spent <= 3 + 1 + 2 * math.ceil(rest / 50) + 1
    assert spent < math.ceil(len(merged) / 50)


def test_a_state_subset_asks_each_probe_once(emu: Emulator) -> None:
    """Issue 24: `--state merged` at 80% merged sent eight probes before the first page: the
    all-states probe twice, and a count of every state (the states read were proved again)."""
    slug = emu.add_repository("acme", "probes-once", prs=3000,
                              states={"MERGED": 80, "OPEN": 10, "DECLINED": 10})
    before = states_of(emu, slug)
    start = len(emu.requests)
    records, spent = listed(emu, slug, "merged", ["id"])
    assert sorted(r.id for r in records) == sorted(n for n, s in before.items() if s == "MERGED")
    asked = [request for request in emu.requests[start:] if "/pullrequests" in request.path]
    every_state = [request for request in asked
                   if all(f'state = "{state}"' in q_of(request) for state in EVERY)]
    assert len(every_state) == 2  # the newest page of every state, and the page from the bottom
    assert not [request for request in asked if request.query.get("pagelen") == ["1"]]
    rest = sum(1 for state in before.values() if state != "MERGED")
    # The wanted ones' newest page, every state's, the bottom, then the others in ranges
    # side by side (at most one request more a range than their pages).
    assert spent <= 3 + math.ceil(rest / 50) + 8


@pytest.mark.parametrize("fields", [["id"], ["id", "title"]], ids=["ids", "records"])
def test_ids_with_holes_cost_no_more_than_a_walk(emu: Emulator, fields: list[str]) -> None:
    """Issue 24: every 97th ID missing of 1,212 cost 38 requests, more than reading every
    page and asking each missing ID (as only IDs tell a hole from a hidden draft)."""
    slug = emu.add_repository("acme", f"every-97th-{len(fields)}", prs=1212)
    missing = frozenset(range(97, 1213, 97))
    emu.settings.missing_ids = missing
    try:
        records, spent = listed(emu, slug, "all", fields)
    finally:
        emu.settings.missing_ids = frozenset()
    assert [r.id for r in records] == [n for n in range(1212, 0, -1) if n not in missing]
    walk = math.ceil(len(records) / 50) + len(missing) + 1  # and the one above the highest
    assert spent <= walk


def test_limit_takes_the_newest_without_reading_them(emu: Emulator, slug: str) -> None:
    records, spent = listed(emu, slug, "all", ["id"], limit=400)
    assert [r.id for r in records] == list(range(PRS, PRS - 400, -1))
    assert spent == 2


def hide_from_lists(emu: Emulator, hidden: set[int]) -> None:
    """Drafts the lists leave out (BCLOUD-23659): every list answers as if they were not
    there (the emulator's `missing_ids`), but each is there by its own URL."""
    emu.settings.missing_ids = frozenset(hidden)

    def by_id(request: Request) -> Response | None:
        number = request.path.rsplit("/", 1)[-1]
        if "/pullrequests/" in request.path and number.isdigit() and int(number) in hidden:
            return json_response(200, {"id": int(number), "state": "OPEN", "draft": True})
        return None

    emu.hooks.append(by_id)


@pytest.mark.parametrize("changes", [None, 3], ids=["quiet", "changes"])
def test_pull_requests_the_lists_leave_out_are_found_by_their_own_url(
        emu: Emulator, changes: int | None) -> None:
    slug = emu.add_repository("acme", f"hidden-{changes}", prs=2000)
    hidden = {40, 41, 1333}
    hooks = list(emu.hooks)
    before = states_of(emu, slug)
    hide_from_lists(emu, hidden)
    emu.settings.changes = frozenset({"create", "merge", "update"})
    emu.settings.changes_every = changes
    try:
        records, spent = listed(emu, slug, "all", ["id"])
    finally:
        emu.settings.changes_every = None
        emu.settings.missing_ids = frozenset()
        emu.hooks[:] = hooks
    assert [r.id for r in records if r.id <= 2000] == sorted(before, reverse=True)
    assert spent <= 20


@pytest.mark.parametrize("off_by", [PRS, 1, -1, -PRS])
def test_a_size_that_cannot_be_true_is_never_an_invented_id(
        emu: Emulator, slug: str, off_by: int) -> None:
    """Above the highest ID, or below what the pages hold: the ladder takes over, and
    ends with the exact list or with exit 5, never a wrong list with exit 0."""
    emu.settings.size_off_by = off_by
    run = bbpr("list", f"acme/{slug}", "--state", "all", "--format", "ids",
               env=cloud_environment(emu))
    truth = sorted(states_of(emu, slug), reverse=True)
    assert run.code in (0, 5), run.err
    if run.code == 0:
        assert ids_of(run.out) == truth
    else:
        assert "incomplete" in run.err
        assert set(ids_of(run.out)) <= set(truth)


def test_a_count_of_zero_for_a_range_that_holds_pull_requests_is_caught(
        emu: Emulator, slug: str) -> None:
    """A server that counts one range as empty: the IDs it hides are looked up, found,
    and the counts no longer add up; the ladder lists what is there."""
    emu.settings.missing_ids = frozenset({10})

    def lie(request: Request, response: Response) -> Response:
        q = request.query.get("q", [""])[-1]
        if response.status == 200 and "id >= 1 AND" in q and request.query.get(
                "pagelen") == ["1"]:
            body = json.loads(response.body)
            return json_response(200, {**body, "size": 0, "values": []})
        return response

    emu.rewrites.append(lie)
    run = bbpr("list", f"acme/{slug}", "--state", "all", "--format", "ids",
               env=cloud_environment(emu))
    assert run.code == 0, run.err
    assert ids_of(run.out) == sorted(states_of(emu, slug), reverse=True)


def test_a_workspace_costs_about_two_requests_a_repository(emu: Emulator) -> None:
    slugs = [emu.add_repository("proofws", f"repo-{n}", prs=120 + n) for n in range(6)]
    start = len(emu.requests)
    run = bbpr("list", "proofws", "--state", "all", "--format", "ids",
               env=cloud_environment(emu))
    assert run.code == 0, run.err
    expected = [f"proofws/{slug}\t{pr['id']}" for slug in sorted(slugs)
                for pr in reversed(emu.pull_requests("proofws", slug))]
    assert run.out.splitlines() == expected
    assert pull_request_requests(emu, start) == 2 * len(slugs)


def test_the_emulator_command_line_has_the_gap_and_size_switches() -> None:
    run = bbpr("emulator", "--help", env=base_environment())
    assert "--missing-ids" in run.out and "--size-off-by" in run.out
    from bbpr.emulator.__main__ import main

    with pytest.raises(SystemExit):
        main(["--missing-ids", "5-2"])


# --- bbpr list REPO --count ---------------------------------------------------------------


def test_count_per_state_one_request_each(emu: Emulator, slug: str) -> None:
    before = states_of(emu, slug)
    start = len(emu.requests)
    run = bbpr("list", f"acme/{slug}", "--count", "--format", "tsv",
               env=cloud_environment(emu))
    assert run.code == 0, run.err
    expected = [f"{s}\t{list(before.values()).count(s)}"
                for s in ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")]
    assert run.out.splitlines() == [*expected, f"ALL\t{len(before)}"]
    assert f"IDs 1..{len(before)}, none missing" in run.err
    assert pull_request_requests(emu, start) == 5


def test_count_as_json_says_what_it_rests_on(emu: Emulator, slug: str) -> None:
    emu.settings.missing_ids = frozenset({7, 8})
    run = bbpr("list", f"acme/{slug}", "--count", "--format", "json",
               env=cloud_environment(emu))
    assert run.code == 0, run.err
    counted = json.loads(run.out)
    assert counted["total"] == PRS - 2 and counted["highest_id"] == PRS
    assert sum(counted["counts"].values()) == PRS - 2
    assert "2 of the IDs up to it are not in the lists" in counted["rests_on"]


def test_count_without_size_counts_by_listing(emu: Emulator, slug: str) -> None:
    emu.settings.omit_size = True
    run = bbpr("list", f"acme/{slug}", "--count", "--format", "csv",
               env=cloud_environment(emu))
    assert run.code == 0, run.err
    assert run.out.splitlines()[0] == "state,count"
    assert run.out.splitlines()[-1] == f"ALL,{PRS}"
    assert "by listing" in run.err


@pytest.mark.parametrize("quirk", [{"id_filters": "400"}, {"id_filters": "500"},
                                   {"sort_ignored": True}, {"size_off_by": -5},
                                   {"id_filters": "ignored", "sort_ignored": True}])
def test_count_on_a_server_that_deviates_falls_back_as_list_does(
        emu: Emulator, slug: str, quirk: dict[str, object]) -> None:
    """A refused `id` filter is not the user's mistake, and a `size` or an order that the
    answers contradict is not a count: the repository is counted by listing, as `list`
    lists it (issue 24 item 9: exit 2, a wrong highest ID and "-41 of the IDs")."""
    before = states_of(emu, slug)
    for name, value in quirk.items():
        setattr(emu.settings, name, value)
    run = bbpr("list", f"acme/{slug}", "--count", "--format", "json",
               env=cloud_environment(emu))
    assert run.code == 0, run.err
    counted = json.loads(run.out)
    assert counted["counts"] == {s: list(before.values()).count(s)
                                 for s in ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")}
    assert counted["total"] == counted["highest_id"] == PRS
    assert f"IDs 1..{PRS}, none missing" in counted["rests_on"]
    assert not re.search(r"(^|\s)-\d", counted["rests_on"] + run.err)


def test_count_on_a_server_whose_size_is_too_high_says_so_as_list_does(
        emu: Emulator, slug: str) -> None:
    emu.settings.size_off_by = 5
    run = bbpr("list", f"acme/{slug}", "--count", env=cloud_environment(emu))
    listed = bbpr("list", f"acme/{slug}", "-s", "all", "--format", "ids",
                  env=cloud_environment(emu))
    assert run.code == listed.code == 5
    assert "reported 605 matching pull requests" in run.err
    assert not re.search(r"(^|\s)-\d", run.out + run.err)


@pytest.mark.parametrize("extra", [["--format", "ids"], ["--state", "open"],
                                   ["--author", "alex"]])
def test_count_refuses_what_it_cannot_count(emu: Emulator, slug: str,
                                            extra: list[str]) -> None:
    start = len(emu.requests)
    run = bbpr("list", f"acme/{slug}", "--count", *extra, env=cloud_environment(emu))
    assert run.code == 2, run.err
    assert "--count" in run.err
    assert len(emu.requests) == start


def test_count_on_data_center_lists_every_pull_request(emu: Emulator) -> None:
    env = base_environment() | {"BITBUCKET_SERVER": emu.datacenter_url,
                                "BITBUCKET_TOKEN": emu.dc_demo.token}
    run = bbpr("list", "ACME/widgets", "--count", "--format", "ndjson", env=env)
    assert run.code == 0, run.err
    counted = json.loads(run.out)
    truth = [pr["state"] for pr in emu.dc_pull_requests("ACME", "widgets")]
    assert counted["counts"] == {s: truth.count(s) for s in ("OPEN", "DECLINED", "MERGED")}
    assert "listing" in counted["rests_on"] and counted["total"] is None
