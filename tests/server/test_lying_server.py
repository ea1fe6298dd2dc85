"""Servers that answer with pages no Bitbucket should send, through the real command line:
IDs of zero, a `next` link that skips or repeats pages, an empty page that says more
follow, IDs far beyond the count, dates at the ends of the calendar, and listings of
repositories whose `next` points back. Each ends with the exact list, or with exit 5 and a
sentence, within a few requests: never a wrong list with exit 0, a loop, or exit 1.

The emulator's `rewrites` change its honest answers, so each test names the one lie it
tells; `--format ids` keeps the output easy to compare with the emulator's truth.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from bbpr.emulator import Emulator
from bbpr.emulator.messages import Request, Response, error_response, json_response

from ..conftest import (
    base_environment,
    bbpr,
    cloud_environment,
    ids_of,
    pull_request_requests,
    q_of,
    truth,
)

REPO = "acme/widgets"
Body = dict[str, Any]


def rewrite_pages(emu: Emulator, suffix: str, change: Callable[[Request, Body], Body]) -> None:
    """Change the JSON of each 200 answer to a path ending in `suffix`."""

    def rewrite(request: Request, response: Response) -> Response:
        if response.status != 200 or not request.path.endswith(suffix):
            return response
        return json_response(200, change(request, json.loads(response.body)))

    emu.rewrites.append(rewrite)


def datacenter_environment(emu: Emulator) -> dict[str, str]:
    return base_environment() | {"BITBUCKET_SERVER": emu.datacenter_url,
                                 "BITBUCKET_TOKEN": emu.dc_demo.token}


def page_number(request: Request) -> int:
    return int(request.query.get("page", ["1"])[-1])


def with_page(url: str, number: int) -> str:
    return re.sub(r"([?&])page=\d+", rf"\g<1>page={number}", url)


# --- Cloud: the ID ranges ---------------------------------------------------------------


@pytest.mark.parametrize("lowest", [0, -3])
def test_an_id_below_one_on_the_probe_means_id_filters_are_not_applied(
        fresh_emulator: Emulator, lowest: int) -> None:
    """The probe asks for `id > 0`: a record with ID 0 or below proves the `id` condition
    was not applied. It was taken for the lowest ID (ranges below it: none) or divided by."""
    emu = fresh_emulator
    emu.settings.omit_size = True  # no count to catch the shortfall afterwards

    def add_record(request: Request, body: Body) -> Body:
        if "id > 0" in q_of(request):
            body["values"].append({"id": lowest, "state": "OPEN"})
        return body

    rewrite_pages(emu, "/pullrequests", add_record)
    run = bbpr("list", REPO, "--state", "all", "--format", "ids", env=cloud_environment(emu))
    assert run.code == 0, run.err
    assert ids_of(run.out) == truth(emu)


def test_an_empty_range_page_that_says_more_follow_is_not_the_end_of_the_range(
        fresh_emulator: Emulator) -> None:
    """An empty page with a `next` link is neither the end of an ID range nor progress."""
    emu = fresh_emulator
    emu.settings.omit_size = True

    def empty(request: Request, body: Body) -> Body:
        if "id >= " in q_of(request) and "page" not in request.query:
            body["values"] = []
            body["next"] = f"{request.base_url}{request.path}?{request.raw_query}&page=2"
        return body

    rewrite_pages(emu, "/pullrequests", empty)
    run = bbpr("list", REPO, "--state", "merged", "--format", "ids", env=cloud_environment(emu))
    assert run.code == 0, run.err
    assert ids_of(run.out) == truth(emu, "MERGED")


@pytest.mark.parametrize("size", ["given", "omitted"])
def test_a_newest_page_without_a_next_link_is_not_taken_for_the_whole_list(
        fresh_emulator: Emulator, size: str) -> None:
    """A full first page with no `next`: the last one only if nothing lies below it."""
    emu = fresh_emulator
    emu.settings.omit_size = size == "omitted"

    def no_next_on_the_probe(request: Request, body: Body) -> Body:
        if "id > 0" in q_of(request):
            body.pop("next", None)
        return body

    rewrite_pages(emu, "/pullrequests", no_next_on_the_probe)
    run = bbpr("list", REPO, "--state", "all", "--format", "ids", env=cloud_environment(emu))
    assert run.code == 0, run.err
    assert ids_of(run.out) == truth(emu)


# --- Cloud: the filtered walk (no `id` filters) -----------------------------------------


@pytest.mark.parametrize("lie", ["skips page 3", "ends at page 2"])
def test_a_filtered_walk_whose_pages_do_not_add_up_to_the_count_says_so(
        fresh_emulator: Emulator, lie: str) -> None:
    emu = fresh_emulator
    emu.settings.id_filters = "400"

    def lie_on_page_2(request: Request, body: Body) -> Body:
        if page_number(request) == 2 and "next" in body:
            if lie == "skips page 3":
                body["next"] = with_page(body["next"], 4)
            else:
                del body["next"]
        return body

    rewrite_pages(emu, "/pullrequests", lie_on_page_2)
    before = len(emu.requests)
    run = bbpr("list", REPO, "--state", "all", "--format", "ids", env=cloud_environment(emu))
    assert run.code == 5, (run.code, run.err)
    assert "incomplete" in run.err
    assert len(pull_request_requests(emu, before)) <= 8


# --- Cloud: the plain walk (sort ignored) -----------------------------------------------


def test_a_plain_walk_does_not_fetch_a_billion_ids_one_by_one(fresh_emulator: Emulator) -> None:
    """The plain walk fetches the IDs that did not come back one by one (Cloud's run
    1..N). A server that sends one ID far beyond the rest cannot be proved complete that
    way: bbpr says so at once instead of asking for every ID (or listing them in memory)."""
    emu = fresh_emulator
    emu.settings.sort_ignored = True

    def far_id(request: Request, body: Body) -> Body:
        if page_number(request) == 1 and body["values"]:
            body["values"][0]["id"] = 10**9
        return body

    rewrite_pages(emu, "/pullrequests", far_id)
    before = len(emu.requests)
    done = subprocess.run([sys.executable, "-m", "bbpr", "list", REPO, "--state", "all",
                           "--format", "ids"], env=cloud_environment(emu),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 5, done.stderr
    assert "could not prove" in done.stderr
    assert len(emu.requests) - before <= 10


@pytest.mark.parametrize("limit", [1, 7, 60])
def test_limit_on_a_server_that_ignores_sort_gives_the_newest(fresh_emulator: Emulator,
                                                              limit: int) -> None:
    """In the server's own order (the most recently updated first), the first N that come
    back are not the N newest: the page that shows the order is wrong is not handed out,
    and the plain walk reads every page before it hands out the newest N."""
    emu = fresh_emulator
    emu.settings.sort_ignored = True
    for number in (3, 5):  # old ones, now the most recently updated: first in that order
        emu.touch("acme", "widgets", number)
    run = bbpr("list", REPO, "--state", "all", "--limit", str(limit), "--format", "ids",
               env=cloud_environment(emu))
    assert run.code == 0, run.err
    assert ids_of(run.out) == truth(emu)[:limit]


# --- dates at the ends of the calendar --------------------------------------------------


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-10:00"])
def test_a_cloud_date_that_utc_would_push_off_the_calendar_is_no_crash(
        fresh_emulator: Emulator, moment: str) -> None:
    def edge_dates(request: Request, body: Body) -> Body:
        for item in body["values"]:
            item["updated_on"] = item["created_on"] = moment
        return body

    rewrite_pages(fresh_emulator, "/pullrequests", edge_dates)
    run = bbpr("list", REPO, "--state", "all", "--format", "json", "--fields", "id,updated_on",
               env=cloud_environment(fresh_emulator))
    assert run.code == 0, run.err
    records = json.loads(run.out)
    assert sorted((record["id"] for record in records), reverse=True) == truth(fresh_emulator)
    assert all(record["updated_on"] is None for record in records)


@pytest.mark.parametrize("milliseconds", [10**16, -(10**15)])
def test_a_data_center_date_beyond_the_years_python_holds_is_no_crash(
        fresh_emulator: Emulator, milliseconds: int) -> None:
    def far_dates(request: Request, body: Body) -> Body:
        for item in body["values"]:
            item["createdDate"] = milliseconds
        return body

    rewrite_pages(fresh_emulator, "/pull-requests", far_dates)
    run = bbpr("list", "ACME/widgets", "--state", "all", "--format", "json", "--fields",
               "id,created_on", env=datacenter_environment(fresh_emulator))
    assert run.code == 0, run.err
    records = json.loads(run.out)
    assert len(records) == len(fresh_emulator.dc_pull_requests("ACME", "widgets"))
    assert all(record["created_on"] is None for record in records)


# --- Data Center ------------------------------------------------------------------------


def dc_truth(emu: Emulator) -> set[int]:
    return {pr["id"] for pr in emu.dc_pull_requests("ACME", "widgets")}


def start_of(request: Request) -> int:
    return int(request.query.get("start", ["0"])[-1])


@pytest.mark.parametrize("first_start", [0, 48])
def test_a_full_page_that_says_it_is_the_last_is_read_past(fresh_emulator: Emulator,
                                                           first_start: int) -> None:
    """`isLastPage` true on a full page, where more follow: one request more tells (an
    honest last page that happens to be full costs that one request, no more)."""
    emu = fresh_emulator
    emu.settings.dc_max_limit = 25

    def last_too_early(request: Request, body: Body) -> Body:
        if start_of(request) >= first_start:
            body["isLastPage"] = True
            body.pop("nextPageStart", None)
        return body

    rewrite_pages(emu, "/pull-requests", last_too_early)
    run = bbpr("list", "ACME/widgets", "--state", "all", "--format", "ids",
               env=datacenter_environment(emu))
    assert run.code == 0, run.err
    assert sorted(ids_of(run.out)) == sorted(dc_truth(emu))


@pytest.mark.parametrize("limit", [-1, 0])
def test_a_page_limit_below_one_is_not_taken_for_the_page_size(fresh_emulator: Emulator,
                                                               limit: int) -> None:
    emu = fresh_emulator
    emu.settings.dc_max_limit = 25
    rewrite_pages(emu, "/pull-requests", lambda request, body: {**body, "limit": limit})
    run = bbpr("list", "ACME/widgets", "--state", "all", "--format", "ids",
               env=datacenter_environment(emu))
    assert run.code == 0, run.err
    assert sorted(ids_of(run.out)) == sorted(dc_truth(emu))


# --- collections other than pull requests -----------------------------------------------


def run_for_a_while(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command line, stopped (and the test failed) if it runs for more than a minute."""
    return subprocess.run([sys.executable, "-m", "bbpr", *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_repositories_by_page_number_whose_next_points_back_end_with_exit_5(
        fresh_emulator: Emulator) -> None:
    emu = fresh_emulator
    for number in range(130):  # two pages of 100
        emu.add_repository("loop", f"repo-{number:03d}", prs=0)

    def refuse_keyset(request: Request) -> Response | None:
        if request.path == "/2.0/repositories/loop" and "q" in request.query:
            return error_response(400, "Invalid query: uuid is not filterable")
        return None

    def back_to_page_1(request: Request, body: Body) -> Body:
        if "next" in body:
            body["next"] = with_page(body["next"], 1)
        return body

    emu.hooks.append(refuse_keyset)
    rewrite_pages(emu, "/repositories/loop", back_to_page_1)
    before = len(emu.requests)
    done = run_for_a_while("list", "loop", "--format", "ids", env=cloud_environment(emu))
    assert done.returncode == 5, done.stderr
    assert "stopped making progress" in done.stderr
    assert len(emu.requests) - before <= 5


def test_doctor_s_list_of_workspaces_whose_next_points_back_ends(
        fresh_emulator: Emulator) -> None:
    """The workspaces are listed to suggest the right one when a workspace is not found."""
    rewrite_pages(fresh_emulator, "/user/workspaces",
                  lambda request, body: {**body, "next": f"{request.base_url}{request.path}"
                                                         "?pagelen=100&page=1"})
    done = run_for_a_while("doctor", "acmee/widgets", env=cloud_environment(fresh_emulator))
    assert done.returncode == 4, done.stderr


def test_doctor_s_list_of_projects_whose_next_page_start_repeats_ends(
        fresh_emulator: Emulator) -> None:
    rewrite_pages(fresh_emulator, "/rest/api/latest/projects",
                  lambda request, body: {**body, "isLastPage": False,
                                         "nextPageStart": start_of(request)})
    done = run_for_a_while("doctor", "ACMEE/widgets", env=datacenter_environment(fresh_emulator))
    assert done.returncode == 4, done.stderr


# --- Links relative to the server's root ------------------------------------------------


@pytest.mark.parametrize("id_filters", ["honoured", "400"])
def test_next_links_relative_to_the_root_are_followed(fresh_emulator: Emulator,
                                                      id_filters: str) -> None:
    """A proxy that rewrites `next` to `/2.0/...` must not send bbpr to `/2.0/2.0/...`."""
    emu = fresh_emulator
    emu.settings.id_filters = id_filters
    origin = emu.cloud_api_url.removesuffix("/2.0")

    def root_relative(request: Request, body: Body) -> Body:
        if isinstance(body.get("next"), str):
            body["next"] = body["next"].removeprefix(origin)
        return body

    rewrite_pages(emu, "/pullrequests", root_relative)
    since = len(emu.requests)
    run = bbpr("list", REPO, "--state", "all", "--format", "ids", env=cloud_environment(emu))
    assert run.code == 0, run.err
    assert ids_of(run.out) == truth(emu)
    assert not any("/2.0/2.0/" in request.path for request in emu.requests[since:])
