"""`bbpr list` against the Data Center emulator, through the real command line."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bbpr.emulator import Emulator
from bbpr.emulator.messages import Request, Response

from ..conftest import Run, base_environment, bbpr, iso_exact

WIDGETS = "ACME/widgets"


def dc_environment(emu: Emulator, **extra: str) -> dict[str, str]:
    env = base_environment() | {"BITBUCKET_SERVER": emu.datacenter_url,
                                "BITBUCKET_TOKEN": emu.dc_demo.token,
                                "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}
    env.update(extra)
    return {name: value for name, value in env.items() if value}


def dc_list(emu: Emulator, *args: str, **extra: str) -> Run:
    return bbpr("list", *args, env=dc_environment(emu, **extra))


def truth(emu: Emulator, *states: str, repo: str = WIDGETS) -> list[dict]:
    key, slug = repo.split("/")
    return [pr for pr in emu.dc_pull_requests(key, slug) if not states or pr["state"] in states]


def pull_request_requests(emu: Emulator, since: int) -> int:
    return sum(r.path.endswith("/pull-requests") for r in emu.requests[since:])


@pytest.fixture
def capped() -> Iterator[Emulator]:
    with Emulator(prs=237, seed=5) as emu:
        emu.settings.dc_max_limit = 25
        yield emu


def test_every_id_in_ceil_n_over_the_cap_requests(emulator: Emulator) -> None:
    before = len(emulator.requests)
    run = dc_list(emulator, WIDGETS, "--state", "all", "--format", "ids")
    assert run.code == 0, run.err
    expected = sorted(pr["id"] for pr in truth(emulator))
    assert sorted(map(int, run.out.split())) == expected
    assert len(run.out.split()) == len(expected)
    assert pull_request_requests(emulator, before) == math.ceil(len(expected) / 1000)


def test_a_server_that_caps_at_25_is_still_complete(capped: Emulator) -> None:
    before = len(capped.requests)
    run = dc_list(capped, WIDGETS, "--state", "all", "--format", "ids")
    assert run.code == 0, run.err
    ids = list(map(int, run.out.split()))
    assert sorted(ids) == sorted(pr["id"] for pr in truth(capped))
    assert len(ids) == len(set(ids)) == 237
    # Pages overlap by one record (to see deletions), and one more request proves that
    # nothing moved to the front behind the reader.
    assert pull_request_requests(capped, before) == math.ceil((237 - 1) / (25 - 1)) + 1


@pytest.mark.parametrize(("args", "states"), [
    ((), {"OPEN"}), (("--state", "merged"), {"MERGED"}),
    (("--state", "declined,open"), {"DECLINED", "OPEN"}),
])
def test_states(emulator: Emulator, args: tuple[str, ...], states: set[str]) -> None:
    run = dc_list(emulator, WIDGETS, *args, "--format", "ids")
    assert run.code == 0, run.err
    assert sorted(map(int, run.out.split())) == sorted(pr["id"] for pr in truth(emulator, *states))


def test_json_has_cloud_field_names_and_kinds(emulator: Emulator) -> None:
    run = dc_list(emulator, WIDGETS, "--state", "all", "--format", "json", "--fields",
                  "id,repository,title,state,author,author_login,source_branch,"
                  "destination_branch,created_on,updated_on,url")
    assert run.code == 0, run.err
    records = {record["id"]: record for record in json.loads(run.out)}
    for pr in truth(emulator):
        record = records[pr["id"]]
        assert record["repository"] == WIDGETS
        assert record["title"] == pr["title"]
        assert record["state"] == pr["state"]
        assert record["author"] == pr["author"]["user"]["displayName"]
        assert record["author_login"] == pr["author"]["user"]["name"]
        assert record["source_branch"] == pr["fromRef"]["displayId"]
        assert record["destination_branch"] == pr["toRef"]["displayId"]
        assert record["url"] == pr["links"]["self"][0]["href"]
        created = datetime.fromtimestamp(pr["createdDate"] / 1000, tz=UTC)
        assert record["created_on"].endswith("Z")
        assert record["created_on"] == iso_exact(created)


def test_filters(emulator: Emulator) -> None:
    prs = truth(emulator)
    sample = prs[len(prs) // 2]
    author = sample["author"]["user"]["name"]
    run = dc_list(emulator, WIDGETS, "--state", "all", "--author", author, "--format", "ids")
    assert sorted(map(int, run.out.split())) == sorted(
        pr["id"] for pr in prs if pr["author"]["user"]["name"] == author)
    destination = sample["toRef"]["displayId"]
    source = sample["fromRef"]["displayId"]
    run = dc_list(emulator, WIDGETS, "--state", "all", "--destination", destination,
                  "--source", source, "--format", "ids")
    assert sorted(map(int, run.out.split())) == sorted(
        pr["id"] for pr in prs if pr["toRef"]["displayId"] == destination
        and pr["fromRef"]["displayId"] == source)
    since = sorted(pr["updatedDate"] for pr in prs)[len(prs) // 2]
    moment = datetime.fromtimestamp(since / 1000, tz=UTC).isoformat()
    run = dc_list(emulator, WIDGETS, "--state", "all", "--updated-since", moment,
                  "--format", "ids")
    assert sorted(map(int, run.out.split())) == sorted(
        pr["id"] for pr in prs if pr["updatedDate"] >= since)


def test_personal_repository_and_pasted_urls(emulator: Emulator) -> None:
    expected = sorted(pr["id"] for pr in truth(emulator, repo="~dana/notes"))
    for target in ("~dana/notes", f"{emulator.datacenter_url}/users/dana/repos/notes/browse"):
        run = dc_list(emulator, target, "--state", "all", "--format", "ids")
        assert run.code == 0, run.err
        assert sorted(map(int, run.out.split())) == expected
    url = f"{emulator.datacenter_url}/projects/ACME/repos/widgets/pull-requests"
    run = bbpr("list", url, "--state", "all", "--format", "ids",
               env=dc_environment(emulator, BITBUCKET_SERVER=""))
    assert run.code == 0, run.err
    assert len(run.out.split()) == len(truth(emulator))


def test_a_pasted_list_page_lists_the_states_it_names(emulator: Emulator) -> None:
    page = f"{emulator.datacenter_url}/projects/ACME/repos/widgets/pull-requests"
    env = dc_environment(emulator, BITBUCKET_SERVER="")
    for state in ("DECLINED", "MERGED"):
        run = bbpr("list", f"{page}?state={state}", "--format", "ids", env=env)
        assert run.code == 0, run.err
        assert sorted(map(int, run.out.split())) == sorted(
            pr["id"] for pr in truth(emulator, state))
    every = bbpr("list", f"{page}?state=ALL", "--format", "ids", env=env)
    assert len(every.out.split()) == len(truth(emulator))
    other = bbpr("list", f"{page}?state=OPEN&reviewer=dana", env=env)
    assert other.code == 2 and "filters by reviewer='dana'" in other.err


def test_data_center_has_no_merge_queue_flag(emulator: Emulator) -> None:
    run = dc_list(emulator, WIDGETS, "--state", "all", "--json", "id,draft,queued")
    assert run.code == 0, run.err
    records = json.loads(run.out)
    assert len(records) == len(truth(emulator))
    assert {record["queued"] for record in records} == {None}


def test_a_whole_project(emulator: Emulator) -> None:
    run = dc_list(emulator, "ACME", "--state", "all", "--format", "ids")
    assert run.code == 0, run.err
    repositories = {line.split("\t")[0] for line in run.out.splitlines()}
    assert repositories == {"ACME/widgets", "ACME/api-gateway", "ACME/big-repo"}
    assert len(run.out.splitlines()) == sum(
        len(truth(emulator, repo=repository)) for repository in repositories)


def test_password_and_legacy_token(emulator: Emulator) -> None:
    with_password = dc_list(emulator, WIDGETS, "--format", "ids", BITBUCKET_TOKEN="",
                            BITBUCKET_USERNAME=emulator.dc_demo.username,
                            BITBUCKET_PASSWORD=emulator.dc_demo.password)
    legacy = dc_list(emulator, WIDGETS, "--format", "ids",
                     BITBUCKET_TOKEN=emulator.dc_demo.legacy_token)
    assert with_password.code == legacy.code == 0
    assert with_password.out == legacy.out != ""


@pytest.mark.parametrize(("target", "extra", "code", "words"), [
    ("NOPE/widgets", {}, 4, "Project NOPE does not exist"),
    ("ACME/nope", {}, 4, "ACME/nope does not exist"),
    (WIDGETS, {"BITBUCKET_TOKEN": "", "BITBUCKET_USERNAME": "dana",
               "BITBUCKET_PASSWORD": "wrong"}, 3, "user name or password is wrong"),
    (WIDGETS, {"BITBUCKET_TOKEN": "BBDC-" + "x" * 44}, 3, "wrong, expired or revoked"),
    (WIDGETS, {"BITBUCKET_TOKEN": ""}, 3, "wants credentials"),
])
def test_errors(emulator: Emulator, target: str, extra: dict[str, str], code: int,
                words: str) -> None:
    run = dc_list(emulator, target, **extra)
    assert run.code == code, run.err
    assert words in run.err and "Traceback" not in run.err


@pytest.mark.parametrize(("args", "words"), [
    (("--state", "superseded"), "no SUPERSEDED state"),
    (("--query", 'title ~ "x"'), "only Bitbucket Cloud"),
])
def test_cloud_only_filters_are_refused(emulator: Emulator, args: tuple[str, ...],
                                        words: str) -> None:
    run = dc_list(emulator, WIDGETS, *args)
    assert run.code == 2 and words in run.err


def test_unlicensed_server(fresh_emulator: Emulator) -> None:
    fresh_emulator.settings.dc_unlicensed = True
    run = dc_list(fresh_emulator, WIDGETS)
    assert run.code == 3 and "licens" in run.err


def test_a_redirect_to_the_login_page(fresh_emulator: Emulator) -> None:
    def single_sign_on(request: Request) -> Response | None:
        if request.path.startswith("/rest/api/latest/projects"):
            return Response(302, headers={"Location": f"{request.base_url}/login?next=/"})
        return None

    fresh_emulator.hooks.append(single_sign_on)
    run = dc_list(fresh_emulator, WIDGETS)
    assert run.code == 3 and "login page" in run.err and "/rest" in run.err


def test_a_cloud_token_is_refused_before_any_request(emulator: Emulator) -> None:
    before = emulator.request_count
    run = dc_list(emulator, WIDGETS, BITBUCKET_TOKEN=emulator.demo.api_token,
                  BITBUCKET_EMAIL=emulator.demo.email)
    assert run.code == 2 and "Data Center does not accept it" in run.err
    assert emulator.request_count == before
