"""What bbpr does when the server does not do what was asked, through the real command line
(and the library where what it learns about a server is the point): the rung it moves to,
what it costs, and the sentence it ends with when it must stop."""

from __future__ import annotations

import json
import math

import pytest

from bbpr import Client, InputError
from bbpr.emulator import Emulator
from bbpr.emulator.messages import Request, Response, error_response, json_response

from ..conftest import (
    DEMO_PRS,
    bbpr,
    cloud_environment,
    ids_of,
    pull_request_requests,
    q_of,
    truth,
)

REPO = "acme/widgets"


def test_the_default_command_is_exact_where_state_is_dropped_next_to_q(
        emulator: Emulator) -> None:
    """The emulator drops `state` parameters whenever `q` is present, as Cloud was seen to:
    the states must be inside every `q` bbpr sends."""
    assert emulator.settings.state_with_q == "dropped"
    before = len(emulator.requests)
    run = bbpr("list", REPO, "--state", "merged", "--format", "ids",
               env=cloud_environment(emulator))
    assert run.code == 0, run.err
    assert ids_of(run.out) == truth(emulator, "MERGED")
    sent = [q_of(request) for request in pull_request_requests(emulator, before)]
    # The IDs proved from the count ask for other states too (every state, the others).
    assert sent and all(q.startswith(('state = ', '(state = ', '((state = ')) for q in sent)
    assert any(q.startswith('state = "MERGED" AND ') for q in sent)


def test_a_500_on_the_probe_moves_down_a_rung_without_retrying(fresh_emulator: Emulator) -> None:
    fresh_emulator.settings.id_filters = "500"
    before = len(fresh_emulator.requests)
    run = bbpr("list", REPO, "--state", "all", "--format", "ids",
               env=cloud_environment(fresh_emulator))
    assert run.code == 0, run.err
    assert ids_of(run.out) == truth(fresh_emulator)
    requests = pull_request_requests(fresh_emulator, before)
    assert sum("id" in q_of(request) for request in requests) == 1  # the probe, once
    assert len(requests) == 1 + math.ceil(DEMO_PRS / 50)


def test_a_bad_query_of_the_users_is_reported_and_changes_nothing_learnt(
        emulator: Emulator) -> None:
    run = bbpr("list", REPO, "--query", 'title ~ "fix', env=cloud_environment(emulator))
    assert run.code == 2
    assert "rejected the filter" in run.err and "--query" in run.err
    with Client.from_env(cloud_environment(emulator)) as bb:
        with pytest.raises(InputError, match="--query"):
            bb.pull_request_ids(REPO, query="title ~ ")
        before = len(emulator.requests)
        assert bb.pull_request_ids(REPO, state="all") == truth(emulator)
        # still ID ranges: the bad query did not teach the client that `id` is refused
        assert any("AND id " in q_of(r) for r in pull_request_requests(emulator, before))


def test_bbpr_s_own_filter_refused_means_filtering_here(fresh_emulator: Emulator) -> None:
    author = fresh_emulator.pull_requests("acme", "widgets")[0]["author"]

    def refuse_author(request: Request) -> Response | None:
        if request.path.endswith("/pullrequests") and "author." in q_of(request):
            return error_response(400, "Invalid query: author is not filterable")
        return None

    fresh_emulator.hooks.append(refuse_author)
    run = bbpr("list", REPO, "--state", "all", "--author", author["uuid"], "--format", "ids",
               env=cloud_environment(fresh_emulator))
    assert run.code == 0, run.err
    expected = sorted((pr["id"] for pr in fresh_emulator.pull_requests("acme", "widgets")
                       if pr["author"]["uuid"] == author["uuid"]), reverse=True)
    assert expected and ids_of(run.out) == expected


def test_a_server_that_loops_ends_with_exit_5_not_a_loop(fresh_emulator: Emulator) -> None:
    """Every answer is the same page pointing at a page 2 that is the same page again, but
    for the page number: no request brings anything new."""
    fresh_emulator.settings.id_filters = "400"
    calls = 0

    def same_page(request: Request) -> Response | None:
        nonlocal calls
        if not request.path.endswith("/pullrequests") or "id" in q_of(request):
            return None
        calls += 1
        body = {"values": [{"id": 5, "state": "OPEN"}, {"id": 4, "state": "OPEN"}],
                "size": 2000, "pagelen": 50,
                "next": f"{request.base_url}{request.path}?state=OPEN&page={calls + 1}"}
        return json_response(200, body)

    fresh_emulator.hooks.append(same_page)
    run = bbpr("list", REPO, "--format", "ids", env=cloud_environment(fresh_emulator))
    assert run.code == 5, run.err
    assert "stopped" in run.err and "incomplete" in run.err
    assert calls <= 3  # the first page, and the second that brought nothing new


def test_ignored_id_filters_cost_a_few_requests_not_an_endless_loop(
        fresh_emulator: Emulator) -> None:
    fresh_emulator.settings.id_filters = "ignored"
    before = len(fresh_emulator.requests)
    run = bbpr("list", REPO, "--state", "all", "--format", "json", "--fields", "id,state",
               env=cloud_environment(fresh_emulator))
    assert run.code == 0, run.err
    assert sorted((record["id"] for record in json.loads(run.out)), reverse=True) == truth(
        fresh_emulator)
    assert len(pull_request_requests(fresh_emulator, before)) <= 2 * math.ceil(DEMO_PRS / 50) + 10


def test_a_filtered_walk_reads_a_page_again_when_pull_requests_leave_it(
        fresh_emulator: Emulator) -> None:
    """No `id` filters, `--state open`, and open pull requests merged mid-listing: each
    shifts the later ones up a page; the page before is read again, and none is lost."""
    emu = fresh_emulator
    emu.settings.id_filters = "400"
    slug = emu.add_repository("acme", "busy", prs=180, states={"OPEN": 3, "MERGED": 1})
    open_ids = sorted((pr["id"] for pr in emu.pull_requests("acme", slug)
                       if pr["state"] == "OPEN"), reverse=True)
    assert len(open_ids) > 100
    for number in open_ids[:2]:  # already listed when merged: the rest shift up
        emu.on_pull_request_list(  # the 3rd: the probe (refused), page 1, then page 2
            3, lambda number=number: emu.set_state("acme", slug, number, "MERGED"),
            flavour="cloud")
    before = len(emu.requests)
    # A title needs the records: the walk, not the IDs proved from the count.
    run = bbpr("list", f"acme/{slug}", "--format", "tsv", "--fields", "id,title",
               env=cloud_environment(emu))
    assert run.code == 0, run.err
    listed = [int(line.split("\t")[0]) for line in run.out.splitlines()]
    assert len(listed) == len(set(listed))
    assert set(open_ids[2:]) <= set(listed) <= set(open_ids)
    requests = pull_request_requests(emu, before)
    assert not any(len(request.query.get("state", [])) == 4 for request in requests)
    # the probe, the pages, page 1 again, and a recount to check the total
    assert len(requests) == 1 + math.ceil(len(open_ids) / 50) + 1 + 1


def test_a_query_on_a_server_that_ignores_sort_is_exact_or_says_it_cannot_be(
        fresh_emulator: Emulator) -> None:
    """Only the server can apply a --query, so the IDs prove nothing: quiet, the list is
    exact; when pull requests move meanwhile, bbpr says it could not prove it complete."""
    emu = fresh_emulator
    emu.settings.sort_ignored = True
    query = 'destination.branch.name = "main" OR destination.branch.name != "main"'
    run = bbpr("list", REPO, "--state", "all", "--query", query, "--format", "ids",
               env=cloud_environment(emu))
    assert run.code == 0, run.err
    assert sorted(ids_of(run.out), reverse=True) == truth(emu)
    oldest = min(emu.pull_requests("acme", "widgets"), key=lambda pr: pr["updated_on"])
    emu.on_pull_request_list(3, lambda: emu.touch("acme", "widgets", oldest["id"]),
                             flavour="cloud")
    run = bbpr("list", REPO, "--state", "all", "--query", query, "--format", "ids",
               env=cloud_environment(emu))
    assert run.code == 5
    assert "could not prove" in run.err and "ignores sort" in run.err
