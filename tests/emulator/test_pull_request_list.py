"""The pull request list: states, paging, `next` links, sorting, envelope."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from bbpr.emulator import Emulator

ALL_STATES = ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]


def ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in items]


def with_state(truth: list[dict[str, Any]], *states: str) -> set[int]:
    return {pr["id"] for pr in truth if pr["state"] in states}


def test_data_has_every_state(truth: list[dict[str, Any]]) -> None:
    counts = {state: len(with_state(truth, state)) for state in ALL_STATES}
    assert all(counts.values()), counts
    assert counts["MERGED"] > counts["OPEN"] > counts["SUPERSEDED"]


def test_default_lists_only_open(
    api: requests.Session, pulls_url: str, follow: Any, truth: Any
) -> None:
    items = follow(pulls_url, pagelen=50)
    assert {item["state"] for item in items} == {"OPEN"}
    assert set(ids(items)) == with_state(truth, "OPEN")


def test_repeated_state_lists_the_union(follow: Any, pulls_url: str, truth: Any) -> None:
    items = follow(pulls_url, pagelen=50, state=["MERGED", "declined"])
    assert set(ids(items)) == with_state(truth, "MERGED", "DECLINED")


def test_every_state_lists_everything_exactly_once(follow: Any, pulls_url: str, truth: Any) -> None:
    items = follow(pulls_url, pagelen=50, state=ALL_STATES)
    assert sorted(ids(items)) == [pr["id"] for pr in truth] == list(range(1, 121))


@pytest.mark.parametrize("state", ["ALL", "OPEN,MERGED", ""])
def test_unknown_state_is_400(api: requests.Session, pulls_url: str, state: str) -> None:
    response = api.get(pulls_url, params={"state": state})
    assert response.status_code == 400
    assert response.json()["type"] == "error"


@pytest.mark.parametrize("pagelen", [51, 100, 0, -1, "ten"])
def test_bad_pagelen_is_400_invalid_pagelen(
    api: requests.Session, pulls_url: str, pagelen: Any
) -> None:
    response = api.get(pulls_url, params={"pagelen": pagelen})
    assert response.status_code == 400
    assert response.json() == {"type": "error", "error": {"message": "Invalid pagelen"}}


def test_max_pagelen_is_a_setting(emu: Emulator, api: requests.Session, pulls_url: str) -> None:
    assert api.get(pulls_url, params={"pagelen": 50}).status_code == 200
    emu.settings.max_pagelen = 20
    assert api.get(pulls_url, params={"pagelen": 21}).status_code == 400


def test_envelope_of_first_page(api: requests.Session, pulls_url: str, truth: Any) -> None:
    page = api.get(pulls_url, params={"state": ALL_STATES}).json()
    assert page["pagelen"] == 10
    assert page["size"] == 120
    assert page["page"] == 1
    assert len(page["values"]) == 10
    assert "previous" not in page
    assert page["next"].startswith(pulls_url + "?")


def test_next_preserves_every_other_parameter(api: requests.Session, pulls_url: str) -> None:
    params = {
        "state": ["MERGED", "OPEN"],
        "pagelen": "5",
        "q": 'title ~ "a"',
        "sort": "-updated_on",
        "fields": "+values.reviewers,-values.links",
    }
    page = api.get(pulls_url, params=params).json()
    parts = urlsplit(page["next"])
    assert parts.netloc == urlsplit(pulls_url).netloc
    sent = parse_qs(parts.query)
    assert sent.pop("page") == ["2"]
    assert sent == {
        key: value if isinstance(value, list) else [value] for key, value in params.items()
    }
    second = api.get(page["next"]).json()
    assert second["page"] == 2
    assert second["previous"].endswith("page=1")
    assert "reviewers" in second["values"][0]
    assert "links" not in second["values"][0]


def test_page_parameter_selects_a_page(api: requests.Session, pulls_url: str) -> None:
    params: dict[str, Any] = {"state": ALL_STATES, "pagelen": 7}
    first = ids(api.get(pulls_url, params=params).json()["values"])
    third = api.get(pulls_url, params={**params, "page": 3}).json()
    assert third["page"] == 3
    everything = ids(
        api.get(pulls_url, params={"state": ALL_STATES, "pagelen": 50}).json()["values"]
    )
    assert first == everything[:7]
    assert ids(third["values"]) == everything[14:21]


def test_last_page_has_no_next(api: requests.Session, pulls_url: str) -> None:
    last = api.get(pulls_url, params={"state": ALL_STATES, "pagelen": 50, "page": 3}).json()
    assert len(last["values"]) == 20
    assert "next" not in last
    assert "previous" in last


def test_page_beyond_the_end_is_empty_not_404(api: requests.Session, pulls_url: str) -> None:
    response = api.get(pulls_url, params={"state": ALL_STATES, "pagelen": 50, "page": 9})
    assert response.status_code == 200
    assert response.json()["values"] == []
    assert "next" not in response.json()


@pytest.mark.parametrize("page", ["0", "-2", "two"])
def test_bad_page_is_400(api: requests.Session, pulls_url: str, page: str) -> None:
    assert api.get(pulls_url, params={"page": page}).status_code == 400


def test_omit_size_setting(
    emu: Emulator, api: requests.Session, pulls_url: str, follow: Any, truth: Any
) -> None:
    emu.settings.omit_size = True
    page = api.get(pulls_url).json()
    assert "size" not in page
    assert set(ids(follow(pulls_url, pagelen=50))) == with_state(truth, "OPEN")


def test_default_order_is_newest_first(api: requests.Session, pulls_url: str) -> None:
    values = api.get(pulls_url, params={"state": ALL_STATES, "pagelen": 50}).json()["values"]
    assert ids(values) == list(range(120, 70, -1))


@pytest.mark.parametrize("field", ["id", "created_on", "updated_on", "title", "author.nickname"])
def test_sort_ascending_and_descending(follow: Any, pulls_url: str, truth: Any, field: str) -> None:
    def key(pr: dict[str, Any]) -> Any:
        value: Any = pr
        for part in field.split("."):
            value = value[part]
        return value

    ascending = follow(pulls_url, pagelen=50, state=ALL_STATES, sort=field)
    descending = follow(pulls_url, pagelen=50, state=ALL_STATES, sort=f"-{field}")
    assert [key(pr) for pr in ascending] == sorted(key(pr) for pr in truth)
    assert [key(pr) for pr in descending] == sorted((key(pr) for pr in truth), reverse=True)
    assert sorted(ids(ascending)) == list(range(1, 121))


def test_sort_ties_keep_ascending_id(follow: Any, pulls_url: str) -> None:
    items = follow(pulls_url, pagelen=50, state=ALL_STATES, sort="state")
    merged = [pr["id"] for pr in items if pr["state"] == "MERGED"]
    assert merged == sorted(merged)
    assert [pr["state"] for pr in items] == sorted(pr["state"] for pr in items)


def test_sort_on_unknown_field_is_400(api: requests.Session, pulls_url: str) -> None:
    response = api.get(pulls_url, params={"sort": "-nope"})
    assert response.status_code == 400
    assert "nope" in response.json()["error"]["message"]


def test_list_page_pull_requests_are_4_to_5_kb(api: requests.Session, pulls_url: str) -> None:
    values = api.get(pulls_url, params={"state": ALL_STATES, "pagelen": 50}).json()["values"]
    sizes = [len(json.dumps(pr)) for pr in values]
    assert 4000 <= sum(sizes) / len(sizes) <= 5000, sizes
    assert min(sizes) > 3000


def test_list_pages_leave_out_reviewers_and_participants(
    api: requests.Session, pulls_url: str
) -> None:
    values = api.get(pulls_url, params={"state": ALL_STATES}).json()["values"]
    assert all("reviewers" not in pr and "participants" not in pr for pr in values)


def test_trailing_slash_is_the_same_endpoint(api: requests.Session, pulls_url: str) -> None:
    plain = api.get(pulls_url).json()
    slashed = api.get(pulls_url + "/").json()
    assert ids(plain["values"]) == ids(slashed["values"])
    assert "/pullrequests/?" in slashed["next"]


def test_size_counts_the_selection(api: requests.Session, pulls_url: str, truth: Any) -> None:
    page = api.get(pulls_url, params={"state": "MERGED"}).json()
    assert page["size"] == len(with_state(truth, "MERGED"))


def test_a_large_repository_pages_quickly() -> None:
    with Emulator(prs=3000, seed=5) as big, requests.Session() as session:
        session.auth = (big.demo.email, big.demo.api_token)
        url = f"{big.cloud_api_url}/repositories/acme/widgets/pullrequests"
        params: dict[str, Any] = {"state": ALL_STATES, "pagelen": 50}
        seen: list[int] = []
        response = session.get(url, params=params)
        while True:
            page = response.json()
            seen.extend(ids(page["values"]))
            if "next" not in page:
                break
            response = session.get(page["next"])
        assert sorted(seen) == list(range(1, 3001))
        assert big.request_count == 60


# --- the live vocabulary: drafts hidden, merge queues, fields= forms mixed ------------------

DRAFT_Q = 'state = "OPEN" AND (draft = true OR draft = false)'


@pytest.mark.parametrize("hidden", ["no", "unless-q-names-draft", "always"])
def test_drafts_hidden(emu: Emulator, follow: Any, pulls_url: str, truth: Any,
                       api: requests.Session, hidden: str) -> None:
    """BCLOUD-23659: drafts left out of the list (and of `size`) unless `q` names `draft`,
    or always; the pull request's own URL still has them."""
    emu.settings.drafts_hidden = hidden
    drafts = {pr["id"] for pr in truth if pr["draft"]}
    everything = with_state(truth, "OPEN")
    assert drafts and drafts < everything
    plain = set(ids(follow(pulls_url, pagelen=50)))
    named = set(ids(follow(pulls_url, pagelen=50, q=DRAFT_Q)))
    assert plain == (everything if hidden == "no" else everything - drafts)
    assert named == (everything if hidden != "always" else everything - drafts)
    size = api.get(pulls_url, params={"pagelen": 1}).json()["size"]
    assert size == len(plain)
    assert api.get(f"{pulls_url}/{min(drafts)}").json()["draft"] is True


@pytest.mark.parametrize("queue", ["state", "flag"])
def test_merge_queued_pull_requests_are_open_to_filters(
        emu: Emulator, follow: Any, pulls_url: str, truth: Any, queue: str) -> None:
    emu.settings.merge_queue = queue
    items = follow(pulls_url, pagelen=50, q='state = "OPEN"')
    assert set(ids(items)) == with_state(truth, "OPEN")
    queued = [item for item in items if item["queued"]]
    assert queued and all(item["draft"] is False and item["id"] % 4 == 0 for item in queued)
    assert {item["state"] for item in queued} == {"QUEUED" if queue == "state" else "OPEN"}
    assert all(not item["queued"] for item in follow(pulls_url, pagelen=50, state="MERGED"))


@pytest.mark.parametrize("mixed", ["kept", "plus-dropped"])
def test_a_plain_fields_list_with_plus_entries_beside_it(
        emu: Emulator, api: requests.Session, pulls_url: str, mixed: str) -> None:
    emu.settings.mixed_fields = mixed
    fields = "values.id,next,+values.reviewers"
    page = api.get(pulls_url, params={"pagelen": 5, "fields": fields}).json()
    assert all(("reviewers" in item) is (mixed == "kept") for item in page["values"])
    additive = api.get(pulls_url, params={"pagelen": 5, "fields": "+values.reviewers"}).json()
    assert all("reviewers" in item and "title" in item for item in additive["values"])
