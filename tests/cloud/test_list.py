"""`bbpr list` against the Cloud emulator, through the real command line."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import datetime

import pytest

from bbpr.emulator import Emulator

from ..conftest import DEMO_PRS, bbpr, cloud_environment, iso_exact, pull_request_requests

REPO = "acme/widgets"


def truth(emu: Emulator, *states: str, repo: str = REPO) -> list[dict]:
    workspace, slug = repo.split("/")
    return [pr for pr in emu.pull_requests(workspace, slug) if not states or pr["state"] in states]


def ids_of(output: str) -> list[int]:
    return [int(line) for line in output.split()]


def test_all_states_prints_every_id_in_the_fewest_requests(emulator: Emulator) -> None:
    before = len(emulator.requests)
    run = bbpr("list", REPO, "--state", "all", "--format", "ids", env=cloud_environment(emulator))
    assert run.code == 0, run.err
    expected = sorted((pr["id"] for pr in truth(emulator)), reverse=True)
    assert len(expected) == DEMO_PRS
    assert ids_of(run.out) == expected
    # The IDs proved from the count: the newest page and one from the bottom (id_proof).
    assert len(pull_request_requests(emulator, before)) == 2


def test_all_states_with_their_records_in_the_fewest_pages(emulator: Emulator) -> None:
    """Fields beyond id and state need the records: ceil(N / 50) pages, no fewer."""
    before = len(emulator.requests)
    run = bbpr("list", REPO, "--state", "all", "--format", "tsv", "--fields", "id,title",
               env=cloud_environment(emulator))
    assert run.code == 0, run.err
    assert len(run.out.splitlines()) == DEMO_PRS
    assert len(pull_request_requests(emulator, before)) == math.ceil(DEMO_PRS / 50)


def test_no_state_means_open_only_like_the_api(emulator: Emulator) -> None:
    run = bbpr("list", REPO, "--format", "ids", env=cloud_environment(emulator))
    assert run.code == 0, run.err
    assert sorted(ids_of(run.out)) == sorted(pr["id"] for pr in truth(emulator, "OPEN"))


@pytest.mark.parametrize("states", [("merged",), ("declined", "superseded"), ("open,merged",)])
def test_chosen_states(emulator: Emulator, states: tuple[str, ...]) -> None:
    args = [arg for state in states for arg in ("--state", state)]
    run = bbpr("list", REPO, *args, "--format", "ids", env=cloud_environment(emulator))
    assert run.code == 0, run.err
    wanted = {word.upper() for state in states for word in state.split(",")}
    expected = sorted((pr["id"] for pr in truth(emulator, *wanted)), reverse=True)
    assert expected and ids_of(run.out) == expected


def test_json_records_carry_the_contract_fields(emulator: Emulator) -> None:
    run = bbpr("list", REPO, "--state", "all", "--format", "json",
               env=cloud_environment(emulator))
    assert run.code == 0, run.err
    records = json.loads(run.out)
    by_id = {pr["id"]: pr for pr in truth(emulator)}
    assert len(records) == len(by_id)
    for record in records:
        pr = by_id[record["id"]]
        assert set(record) == {"id", "repository", "title", "state", "author", "source_branch",
                               "destination_branch", "created_on", "updated_on", "url"}
        assert record["repository"] == REPO
        assert record["title"] == pr["title"]
        assert record["state"] == pr["state"]
        assert record["author"] == pr["author"]["display_name"]
        assert record["source_branch"] == pr["source"]["branch"]["name"]
        assert record["destination_branch"] == pr["destination"]["branch"]["name"]
        assert record["url"] == pr["links"]["html"]["href"]
        for name in ("created_on", "updated_on"):
            assert record[name].endswith("Z")
            assert record[name] == iso_exact(datetime.fromisoformat(pr[name]))


def test_ndjson_csv_and_tsv_hold_the_same_records(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    fields = "id,state,title,author"
    ndjson = bbpr("list", REPO, "--state", "merged", "--format", "ndjson", "--fields", fields,
                  env=env)
    as_csv = bbpr("list", REPO, "--state", "merged", "--format", "csv", "--fields", fields,
                  env=env)
    tsv = bbpr("list", REPO, "--state", "merged", "--fields", fields, env=env)  # piped: tsv
    assert ndjson.code == as_csv.code == tsv.code == 0
    records = [json.loads(line) for line in ndjson.out.splitlines()]
    assert [list(record) for record in records[:1]] == [["id", "state", "title", "author"]]
    rows = list(csv.DictReader(io.StringIO(as_csv.out)))
    assert [{**row, "id": int(row["id"])} for row in rows] == records
    tsv_rows = [line.split("\t") for line in tsv.out.splitlines()]
    assert [[int(row[0]), *row[1:]] for row in tsv_rows] == [list(r.values()) for r in records]


def test_the_merge_queue_flag_is_a_field_as_draft_is(fresh_emulator: Emulator) -> None:
    env = cloud_environment(fresh_emulator, COLUMNS="120")
    off = bbpr("list", REPO, "--format", "json", "--fields", "id,draft,queued", env=env)
    assert off.code == 0 and {record["queued"] for record in json.loads(off.out)} == {None}
    fresh_emulator.settings.merge_queue = "flag"
    expected = {pr["id"] for pr in truth(fresh_emulator, "OPEN")
                if not pr.get("draft") and pr["id"] % 4 == 0}
    records = json.loads(bbpr("list", REPO, "--json", "id,queued", env=env).out)
    assert {record["id"] for record in records if record["queued"]} == expected
    assert {record["queued"] for record in records} == {True, False}
    tsv = bbpr("list", REPO, "--fields", "id,queued", env=env).out
    assert {int(line.split("\t")[0]) for line in tsv.splitlines()
            if line.endswith("\ttrue")} == expected
    ndjson = bbpr("list", REPO, "--format", "ndjson", "--fields", "id,queued", env=env).out
    assert sum(json.loads(line)["queued"] for line in ndjson.splitlines()) == len(expected)
    table = bbpr("list", REPO, "--format", "table", "--fields", "id,queued", env=env).out
    assert "QUEUED" in table.splitlines()[0] and table.count(" yes\n") == len(expected)
    view = bbpr("view", REPO, str(min(expected)), env=env).out
    assert "(in the merge queue)" in view


def test_table_format(emulator: Emulator) -> None:
    run = bbpr("list", REPO, "--state", "merged", "--format", "table", "--limit", "5",
               env=cloud_environment(emulator) | {"COLUMNS": "160"})
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].split()[:4] == ["ID", "STATE", "TITLE", "AUTHOR"]
    assert len(lines) == 6 and all("MERGED" in line for line in lines[1:])


def test_limit_stops_fetching(emulator: Emulator) -> None:
    before = len(emulator.requests)
    run = bbpr("list", REPO, "--state", "all", "--limit", "7", "--format", "ids",
               env=cloud_environment(emulator))
    assert run.code == 0, run.err
    assert len(ids_of(run.out)) == 7
    assert len(pull_request_requests(emulator, before)) == 1

    before = len(emulator.requests)
    run = bbpr("list", REPO, "--state", "all", "--limit", "120", "--format", "ids",
               env=cloud_environment(emulator))
    assert ids_of(run.out) == sorted((pr["id"] for pr in truth(emulator)), reverse=True)[:120]
    # Three pages' worth: the IDs proved from the count take two requests instead.
    assert len(pull_request_requests(emulator, before)) == 2


def test_filters_match_the_ground_truth(emulator: Emulator) -> None:
    prs = truth(emulator)
    sample = prs[len(prs) // 2]
    author = sample["author"]["nickname"]
    destination = sample["destination"]["branch"]["name"]
    since = sorted(pr["updated_on"] for pr in prs)[len(prs) // 3]
    run = bbpr("list", REPO, "--state", "all", "--author", author, "--destination", destination,
               "--updated-since", since, "--format", "ids", env=cloud_environment(emulator))
    assert run.code == 0, run.err
    expected = {pr["id"] for pr in prs if pr["author"]["nickname"] == author
                and pr["destination"]["branch"]["name"] == destination
                and datetime.fromisoformat(pr["updated_on"]) >= datetime.fromisoformat(since)}
    assert expected and set(ids_of(run.out)) == expected


def test_source_branch_and_raw_bbql(emulator: Emulator) -> None:
    sample = truth(emulator, "MERGED")[3]
    branch = sample["source"]["branch"]["name"]
    run = bbpr("list", REPO, "--state", "all", "--source", branch, "--format", "ids",
               env=cloud_environment(emulator))
    assert ids_of(run.out) == [pr["id"] for pr in truth(emulator)
                               if pr["source"]["branch"]["name"] == branch]
    word = sample["title"].split()[0]
    run = bbpr("list", REPO, "--state", "all", "--query", f'title ~ "{word}"', "--format", "ids",
               env=cloud_environment(emulator))
    assert run.code == 0, run.err
    assert set(ids_of(run.out)) == {pr["id"] for pr in truth(emulator)
                                    if word.lower() in pr["title"].lower()}


def test_a_query_naming_a_state_is_told_the_default_state_applies(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    alone = bbpr("list", REPO, "--query", 'state = "MERGED"', "--format", "ids", env=env)
    assert alone.code == 0 and alone.out == ""
    assert ("--query names a state, but --state was not given, so its default, open, applies "
            "too") in alone.err
    both = bbpr("list", REPO, "--query", 'state = "MERGED"', "--state", "merged", "--format",
                "ids", env=env)
    assert both.code == 0 and set(ids_of(both.out)) == {pr["id"] for pr in truth(emulator,
                                                                                  "MERGED")}
    assert "--query names a state" not in both.err
    open_only = bbpr("list", REPO, "--query", 'state = "OPEN"', "--format", "ids", env=env)
    assert "--query names a state" not in open_only.err


def test_a_pasted_browser_url_works(emulator: Emulator) -> None:
    run = bbpr("list", "https://bitbucket.org/acme/widgets/pull-requests/", "--state", "merged",
               "--format", "ids", env=cloud_environment(emulator))
    assert run.code == 0, run.err
    assert set(ids_of(run.out)) == {pr["id"] for pr in truth(emulator, "MERGED")}


def test_a_pasted_list_page_lists_the_states_it_names(emulator: Emulator) -> None:
    env = cloud_environment(emulator)
    page = "https://bitbucket.org/acme/widgets/pull-requests/"
    merged = {pr["id"] for pr in truth(emulator, "MERGED")}
    for args in (("?state=MERGED",), ("?state=merged", "--state", "MERGED")):
        run = bbpr("list", page + args[0], *args[1:], "--format", "ids", env=env)
        assert run.code == 0, run.err
        assert set(ids_of(run.out)) == merged
    # Several states, as an address edited by hand may name them.
    closed = bbpr("list", page + "?state=MERGED&state=DECLINED", "--format", "ids", env=env)
    assert set(ids_of(closed.out)) == {pr["id"] for pr in truth(emulator, "MERGED", "DECLINED")}
    every = bbpr("list", page + "?state=ALL", "--format", "ids", env=env)
    assert len(ids_of(every.out)) == len(truth(emulator))
    clash = bbpr("list", page + "?state=MERGED", "--state", "open", env=env)
    assert clash.code == 2 and clash.out == ""
    assert "The URL lists state=MERGED and --state says open" in clash.err
    other = bbpr("list", page + "?state=OPEN&author=%7Babc%7D", env=env)
    assert other.code == 2 and "filters by author='{abc}'" in other.err
    count = bbpr("list", page + "?state=MERGED", "--count", env=env)
    assert count.code == 2 and "state=MERGED in the URL" in count.err
    sync = bbpr("sync", page + "?state=MERGED", env=env)
    assert sync.code == 2 and "a sync keeps every state" in sync.err


def test_a_pasted_list_page_in_the_library(emulator: Emulator) -> None:
    from bbpr import Client

    page = "https://bitbucket.org/acme/widgets/pull-requests/?state=DECLINED"
    with Client.from_env(cloud_environment(emulator)) as bb:
        assert set(bb.pull_request_ids(page)) == {pr["id"] for pr in truth(emulator, "DECLINED")}


def test_a_whole_workspace(emulator: Emulator) -> None:
    run = bbpr("list", "acme", "--state", "all", "--format", "ids",
               env=cloud_environment(emulator))
    assert run.code == 0, run.err
    listed = [tuple(line.split("\t")) for line in run.out.splitlines()]
    slugs = sorted({repo for repo, _ in listed})
    assert "acme/widgets" in slugs and "acme/big-repo" in slugs
    expected = [(f"acme/{slug.split('/')[1]}", str(pr["id"])) for slug in slugs
                for pr in sorted(truth(emulator, repo=slug), key=lambda pr: -pr["id"])]
    assert listed == expected


def test_repos_glob_picks_repositories(emulator: Emulator) -> None:
    run = bbpr("list", "acme", "--repos", "big*", "--state", "all", "--format", "ids",
               env=cloud_environment(emulator))
    assert run.code == 0, run.err
    assert {line.split("\t")[0] for line in run.out.splitlines()} == {"acme/big-repo"}


def test_fallback_when_bbql_rejects_id_comparisons(fresh_emulator: Emulator) -> None:
    fresh_emulator.settings.id_filters = "400"
    run = bbpr("list", REPO, "--state", "all", "--format", "ids",
               env=cloud_environment(fresh_emulator))
    assert run.code == 0, run.err
    assert ids_of(run.out) == sorted((pr["id"] for pr in truth(fresh_emulator)), reverse=True)


def test_complete_without_size_in_the_envelope(fresh_emulator: Emulator) -> None:
    fresh_emulator.settings.omit_size = True
    run = bbpr("list", REPO, "--state", "merged", "--format", "ids",
               env=cloud_environment(fresh_emulator))
    assert run.code == 0, run.err
    assert ids_of(run.out) == sorted((pr["id"] for pr in truth(fresh_emulator, "MERGED")),
                                     reverse=True)


def test_sparse_states_are_complete_and_cheap(emulator: Emulator) -> None:
    before = len(emulator.requests)
    run = bbpr("list", REPO, "--state", "declined", "--format", "ids",
               env=cloud_environment(emulator))
    declined = truth(emulator, "DECLINED")
    assert ids_of(run.out) == sorted((pr["id"] for pr in declined), reverse=True)
    spent = len(pull_request_requests(emulator, before))
    assert spent <= math.ceil(len(declined) / 50) + 8
