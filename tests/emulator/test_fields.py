"""The `fields=` partial response filter."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from bbpr.emulator.cloud import fields

ALL_STATES = ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]


def get(api: requests.Session, url: str, raw_query: str) -> dict[str, Any]:
    """GET with a query string sent exactly as written (no re-encoding by requests)."""
    response = api.get(f"{url}?{raw_query}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_explicit_list_drops_unnamed_envelope_keys(api: requests.Session, pulls_url: str) -> None:
    body = get(api, pulls_url, "state=MERGED&fields=values.id,values.title")
    assert set(body) == {"values"}
    assert all(set(pr) == {"id", "title"} for pr in body["values"])


def test_explicit_list_keeps_next_when_named(api: requests.Session, pulls_url: str) -> None:
    body = get(api, pulls_url, "state=MERGED&fields=values.id,values.title,next")
    assert set(body) == {"values", "next"}
    follow_up = get(api, body["next"].split("?", 1)[0], body["next"].split("?", 1)[1])
    assert set(follow_up) == {"values", "next"}
    assert {pr["id"] for pr in follow_up["values"]}.isdisjoint(pr["id"] for pr in body["values"])


def test_explicit_nested_paths(api: requests.Session, pulls_url: str) -> None:
    body = get(api, pulls_url, "fields=values.author.nickname,values.source.branch.name,size")
    assert set(body) == {"values", "size"}
    first = body["values"][0]
    assert set(first) == {"author", "source"}
    assert set(first["author"]) == {"nickname"}
    assert first["source"] == {"branch": {"name": first["source"]["branch"]["name"]}}


def test_minus_removes_from_the_default(api: requests.Session, pulls_url: str) -> None:
    body = get(api, pulls_url, "fields=-values.links,-values.summary,-page")
    assert {"size", "pagelen", "next", "values"} <= set(body)
    assert "page" not in body
    first = body["values"][0]
    assert "links" not in first and "summary" not in first
    assert "author" in first and "title" in first


def test_percent_encoded_plus_adds_reviewers(api: requests.Session, pulls_url: str) -> None:
    body = get(api, pulls_url, "fields=%2Bvalues.reviewers,%2Bvalues.participants")
    first = body["values"][0]
    assert isinstance(first["reviewers"], list) and first["reviewers"]
    assert first["participants"][0]["type"] == "participant"
    assert "links" in first and "next" in body


def test_literal_plus_decodes_to_space_and_still_adds(
    api: requests.Session, pulls_url: str
) -> None:
    body = get(api, pulls_url, "fields=+values.reviewers")
    assert "reviewers" in body["values"][0]
    assert "links" in body["values"][0]


def test_plus_in_explicit_mode_is_kept(api: requests.Session, pulls_url: str) -> None:
    body = get(api, pulls_url, "fields=values.id,%2Bvalues.reviewers.nickname")
    first = body["values"][0]
    assert set(first) == {"id", "reviewers"}
    assert all(set(r) == {"nickname"} for r in first["reviewers"])


def test_wildcards(api: requests.Session, pulls_url: str) -> None:
    body = get(api, pulls_url, "fields=values.author.*,values.id")
    first = body["values"][0]
    assert set(first) == {"id", "author"}
    assert set(first["author"]) >= {"uuid", "nickname", "links", "display_name"}
    body = get(api, pulls_url, "fields=values.*.nickname")
    # Open, so closed_by is null; wildcards also reach the hidden reviewers, as live.
    assert set(body["values"][0]) == {"author", "reviewers"}
    assert body["values"][0]["author"] == {"nickname": body["values"][0]["author"]["nickname"]}
    body = get(api, pulls_url, "fields=values.*.branch.name")
    assert set(body["values"][0]) == {"source", "destination"}


def test_single_pull_request_has_reviewers_and_honours_fields(
    api: requests.Session, pulls_url: str
) -> None:
    full = get(api, f"{pulls_url}/5", "")
    assert full["id"] == 5
    assert "reviewers" in full and "participants" in full
    trimmed = get(api, f"{pulls_url}/5", "fields=id,state,author.nickname")
    assert set(trimmed) == {"id", "state", "author"}
    assert set(get(api, f"{pulls_url}/5", "fields=-links,-rendered")) == set(full) - {
        "links",
        "rendered",
    }


def test_fields_on_other_endpoints(api: requests.Session, pulls_url: str) -> None:
    repositories = pulls_url.rsplit("/", 2)[0]
    body = get(api, repositories, "fields=values.slug")
    assert body == {
        "values": [{"slug": s} for s in ["api-gateway", "big-repo", "infra", "widgets"]]
    }


@pytest.mark.parametrize(
    ("values", "explicit", "added", "removed"),
    [
        (["a.b,c"], [("a", "b"), ("c",)], [], []),
        (["+a.b", "-c"], [], [("a", "b")], [("c",)]),
        ([" a.b"], [], [("a", "b")], []),
        (["a, b"], [("a",)], [("b",)], []),
    ],
)
def test_parse(values: list[str], explicit: Any, added: Any, removed: Any) -> None:
    spec = fields.parse(values)
    assert spec is not None
    assert (list(spec.explicit), list(spec.added), list(spec.removed)) == (explicit, added, removed)


def test_parse_nothing() -> None:
    assert fields.parse([]) is None
    assert fields.parse([""]) is None
