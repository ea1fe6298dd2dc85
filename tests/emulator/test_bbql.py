"""BBQL `q=` filters: the language itself, then through the pull request endpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from bbpr.emulator import Emulator
from bbpr.emulator.cloud import bbql

ALL_STATES = ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]


# --- the language, without HTTP --------------------------------------------------------

SAMPLE = {
    "id": 7,
    "title": "Fix the Retry loop",
    "state": "MERGED",
    "draft": False,
    "created_on": "2026-03-01T10:00:00.000001+00:00",
    "author": {"nickname": "dana", "uuid": "{1}"},
    "closed_by": None,
    "reviewers": [{"nickname": "alex"}, {"nickname": "mei"}],
}
SCHEMA = {
    **bbql.schema_of(SAMPLE),
    ("closed_by", "nickname"): "string",
}


def matches(query: str, obj: dict[str, Any] = SAMPLE) -> bool:
    node = bbql.check(bbql.parse(query), SCHEMA)
    return bbql.evaluate(node, lambda path: bbql.lookup(obj, path))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('state = "MERGED"', True),
        ('state = "merged"', False),
        ('state != "MERGED"', False),
        ('title ~ "retry"', True),
        ('title !~ "RETRY"', False),
        ("id > 6", True),
        ("id > 7", False),
        ("id >= 7", True),
        ("id < 7", False),
        ("id <= 7", True),
        ("draft = false", True),
        ("draft = true", False),
        ("closed_by.nickname = null", True),
        ("closed_by.nickname != null", False),
        ('author.nickname = "dana"', True),
        ('reviewers.nickname = "mei"', True),
        ('reviewers.nickname != "mei"', False),
        ('reviewers.nickname != "sam"', True),
        ('state IN ("OPEN", "MERGED")', True),
        ('state NOT IN ("OPEN", "MERGED")', False),
        ("id in (1, 2, 7)", True),
        ("created_on > 2026-02-28T23:00:00+00:00", True),
        ("created_on > 2026-03-01T11:00:00+02:00", True),
        ("created_on < 2026-03-01T10:00:00Z", False),
        ("created_on >= 2026-03-01", True),
        ('created_on > "2026-01-01"', True),
        ('state = "OPEN" OR id = 7', True),
        ('state = "OPEN" AND id = 7', False),
        ('state = "OPEN" and id = 7 or draft = false', True),
        ('state = "OPEN" AND (id = 7 OR draft = false)', False),
        ('(state = "OPEN" OR state = "MERGED") AND (id = 7)', True),
        (r'title = "say \"hi\"" OR id = 7', True),
    ],
)
def test_operators(query: str, expected: bool) -> None:
    assert matches(query) is expected


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("", "empty"),
        ('state = "MERGED" AND', "end of the query"),
        ("state =", "a value"),
        ('state "MERGED"', "an operator"),
        ('(state = "MERGED"', '")"'),
        ('state = "MERGED")', "position 17"),
        ("state = MERGED", "a value"),
        ('nope = "x"', '"nope"'),
        ('values.state = "OPEN"', '"values.state"'),
        ('author = "dana"', '"author"'),
        ('id = "7"', "number field"),
        ("title = 3", "string field"),
        ('id ~ "7"', "~"),
        ("draft > true", "booleans"),
        ("id > null", "null"),
        ("created_on > 2026-13-45", "not a datetime"),
        ("created_on > 2026-01-01T00:00:00 00:00", "position"),
        ("state = 'OPEN'", "unexpected"),
        ("id NOT (1)", "IN after NOT"),
    ],
)
def test_errors_name_the_problem(query: str, fragment: str) -> None:
    with pytest.raises(bbql.QueryError, match="Invalid query") as raised:
        bbql.check(bbql.parse(query), SCHEMA)
    assert fragment in str(raised.value)


def test_datetime_literal_is_an_instant() -> None:
    node = bbql.parse("updated_on > 2026-01-01T02:00:00+02:00")
    assert isinstance(node, bbql.Comparison)
    assert node.value == datetime(2026, 1, 1, tzinfo=UTC)


# --- through the API ---------------------------------------------------------------------


def query_ids(follow: Any, url: str, q: str, **params: Any) -> set[int]:
    return {pr["id"] for pr in follow(url, pagelen=50, q=q, **params)}


def in_states(follow: Any, url: str, q: str, states: list[str]) -> set[int]:
    """`q` in `states`: the states go inside `q`, as Cloud drops `state` next to a `q`."""
    either = " OR ".join(f'state = "{state}"' for state in states)
    return query_ids(follow, url, f"({q}) AND ({either})")


def where(truth: list[dict[str, Any]], test: Any) -> set[int]:
    return {pr["id"] for pr in truth if test(pr)}


def test_q_on_state_lifts_the_open_default(follow: Any, pulls_url: str, truth: Any) -> None:
    got = query_ids(follow, pulls_url, 'state = "MERGED" OR state = "DECLINED"')
    assert got == where(truth, lambda pr: pr["state"] in ("MERGED", "DECLINED"))


def test_q_without_state_keeps_the_open_default(follow: Any, pulls_url: str, truth: Any) -> None:
    got = query_ids(follow, pulls_url, 'destination.branch.name = "main"')
    expected = where(
        truth, lambda pr: pr["state"] == "OPEN" and pr["destination"]["branch"]["name"] == "main"
    )
    assert got == expected
    assert expected


def test_with_q_the_state_parameters_are_dropped(follow: Any, pulls_url: str,
                                                 truth: Any) -> None:
    """As live tests saw Cloud do (facts file): `q` alone filters."""
    got = query_ids(follow, pulls_url, 'state = "MERGED" OR state = "OPEN"', state="OPEN")
    assert got == where(truth, lambda pr: pr["state"] in ("MERGED", "OPEN"))
    got = query_ids(follow, pulls_url, "id > 0", state="MERGED")
    assert got == where(truth, lambda pr: pr["state"] == "OPEN")


def test_q_and_state_both_apply_when_set_so(emu: Emulator, follow: Any, pulls_url: str,
                                            truth: Any) -> None:
    emu.settings.state_with_q = "applied"
    try:
        got = query_ids(follow, pulls_url, 'state = "MERGED" OR state = "OPEN"', state="OPEN")
    finally:
        emu.settings.state_with_q = "dropped"
    assert got == where(truth, lambda pr: pr["state"] == "OPEN")


def test_nested_fields_and_datetimes(follow: Any, pulls_url: str, truth: Any) -> None:
    author = truth[0]["author"]
    cutoff = truth[60]["updated_on"]
    q = (
        f'author.uuid = "{author["uuid"]}" AND updated_on > {cutoff} '
        'AND (source.branch.name ~ "feature/" OR source.branch.name ~ "bugfix/")'
    )
    got = in_states(follow, pulls_url, q, ALL_STATES)
    expected = where(
        truth,
        lambda pr: (
            pr["author"]["uuid"] == author["uuid"]
            and datetime.fromisoformat(pr["updated_on"]) > datetime.fromisoformat(cutoff)
        ),
    )
    assert got == expected
    assert expected


@pytest.mark.parametrize(
    ("q", "test"),
    [
        ('title ~ "fix"', lambda pr: "fix" in pr["title"].lower()),
        ("draft = true", lambda pr: pr["draft"]),
        ("comment_count >= 10", lambda pr: pr["comment_count"] >= 10),
        ("id <= 30 AND id > 20", lambda pr: 20 < pr["id"] <= 30),
        ("closed_by.uuid = null", lambda pr: pr["closed_by"] is None),
        ("merge_commit.hash != null", lambda pr: pr["merge_commit"] is not None),
        (
            'author.nickname IN ("dana", "mei")',
            lambda pr: pr["author"]["nickname"] in ("dana", "mei"),
        ),
        (
            'reviewers.nickname = "sam"',
            lambda pr: "sam" in [r["nickname"] for r in pr["reviewers"]],
        ),
        ("created_on < 2026-06-01", lambda pr: pr["created_on"] < "2026-06-01"),
    ],
)
def test_filters_match_ground_truth(
    follow: Any, pulls_url: str, truth: Any, q: str, test: Any
) -> None:
    got = in_states(follow, pulls_url, q, ALL_STATES)
    assert got == where(truth, test)


@pytest.mark.parametrize(
    "q", ['state = "MERGED" AND', "nope = 1", "state = OPEN", 'id = "x"', "((id = 1)"]
)
def test_garbage_is_400_with_a_message(api: requests.Session, pulls_url: str, q: str) -> None:
    response = api.get(pulls_url, params={"q": q})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["message"].startswith("Invalid query")


@pytest.mark.parametrize(("setting", "status"), [("400", 400), ("500", 500)])
def test_id_filters_refused(emu: Emulator, api: requests.Session, pulls_url: str,
                            setting: str, status: int) -> None:
    assert api.get(pulls_url, params={"q": "id > 100"}).status_code == 200
    emu.settings.id_filters = setting
    response = api.get(pulls_url, params={"q": 'state = "OPEN" AND id > 100'})
    assert response.status_code == status
    assert response.json()["type"] == "error"
    assert api.get(pulls_url, params={"q": 'state = "OPEN"'}).status_code == 200


def test_id_filters_ignored(emu: Emulator, follow: Any, pulls_url: str, truth: Any) -> None:
    emu.settings.id_filters = "ignored"
    got = query_ids(follow, pulls_url, 'state = "MERGED" AND id < 10')
    assert got == where(truth, lambda pr: pr["state"] == "MERGED")
    assert max(got) > 10


def test_sort_ignored(emu: Emulator, api: requests.Session, pulls_url: str,
                      truth: Any) -> None:
    emu.settings.sort_ignored = True
    page = api.get(pulls_url, params={"sort": "-id", "pagelen": 50, "state": ALL_STATES,
                                      "fields": "values.id,values.updated_on"}).json()
    got = [(pr["updated_on"], pr["id"]) for pr in page["values"]]
    assert got == sorted(got, reverse=True)
    assert [pr["id"] for pr in page["values"]] != sorted((pr["id"] for pr in page["values"]),
                                                         reverse=True)


def test_repository_list_accepts_q(api: requests.Session, emu: Emulator) -> None:
    url = f"{emu.cloud_api_url}/repositories/acme"
    names = [r["name"] for r in api.get(url, params={"q": 'name ~ "big"'}).json()["values"]]
    assert names == ["Big Repo"]
    slugs = [r["slug"] for r in api.get(url, params={"q": 'slug = "api-gateway"'}).json()["values"]]
    assert slugs == ["api-gateway"]
    full = api.get(url, params={"q": 'full_name = "acme/widgets"'}).json()["values"]
    assert [r["slug"] for r in full] == ["widgets"]
    assert api.get(url, params={"q": "name ="}).status_code == 400
