"""Responses validate against Bitbucket Cloud's OpenAPI schemas.

`data/cloud-schemas.json` holds the needed component schemas, extracted unmodified from the
OpenAPI 3.0 file (its `$comment` says where from). OpenAPI 3.0 is not quite JSON Schema, so
`nullable` is translated here. The spec is older than the live service, which sends a few
things it does not list; `LIVE_ADDITIONS` allows exactly those, each named, so that
everything else is still checked strictly (`additionalProperties: false` included).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from jsonschema import Draft4Validator

from bbpr.emulator import Emulator
from bbpr.emulator.hostile import SAMPLE

SCHEMAS = Path(__file__).parent / "data" / "cloud-schemas.json"
LINK = {"$ref": "#/components/schemas/link"}
RENDERED_TYPE = {"type": "string", "enum": ["rendered"]}
ALL_STATES = ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]


def _properties(schemas: dict[str, Any], name: str) -> dict[str, Any]:
    schema = schemas[name]
    part = schema["allOf"][1] if "allOf" in schema else schema
    properties: dict[str, Any] = part["properties"]
    return properties


def live_additions(schemas: dict[str, Any]) -> None:
    """What the live service sends beyond the (older) spec."""
    pull_request = _properties(schemas, "pullrequest")
    # Newer pull request links.
    pull_request["links"]["properties"].update({"request-changes": LINK, "statuses": LINK})
    # `rendered` has title and description besides reason, each (and `summary`) typed.
    reason = pull_request["rendered"]["properties"]["reason"]
    reason["properties"]["type"] = RENDERED_TYPE
    pull_request["rendered"]["properties"].update(title=reason, description=reason)
    pull_request["summary"]["properties"]["type"] = RENDERED_TYPE
    # Commits carry `type` and `links`; open pull requests have null merge_commit/closed_by.
    commit_extras = {"type": {"type": "string"}, "links": {"type": "object"}}
    pull_request["merge_commit"]["properties"].update(commit_extras)
    pull_request["merge_commit"]["nullable"] = True
    pull_request["closed_by"] = {**pull_request["closed_by"], "nullable": True}
    schemas["pullrequest_endpoint"]["properties"]["commit"]["properties"].update(commit_extras)
    # The newer schema's states and booleans (see the facts file, "States and drafts"):
    # a merge-queued pull request may come as QUEUED.
    pull_request["state"]["enum"] = [*pull_request["state"]["enum"], "DRAFT", "QUEUED"]
    pull_request.update(draft={"type": "boolean"}, queued={"type": "boolean"})
    # Newer repository links; projects link to themselves.
    repository_links = _properties(schemas, "repository")["links"]["properties"]
    repository_links.update(branches=LINK, tags=LINK, source=LINK)
    _properties(schemas, "project")["links"]["properties"]["self"] = LINK
    # A reviewer who has done nothing yet has `participated_on: null` (the spec's own
    # description says so; seen live in Commit451/skyhook#189).
    participated_on = _properties(schemas, "participant")["participated_on"]
    participated_on["nullable"] = True
    # A missing-scope 403 details granted/required scopes as an object, not a string.
    error = schemas["error"]["properties"]["error"]["properties"]
    error["detail"] = {"anyOf": [error["detail"], {"type": "object"}]}


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema: `nullable`, and enums that list null, accept null."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: to_json_schema(value) for key, value in node.items() if key != "nullable"}
    if None in converted.get("enum", []) and isinstance(converted.get("type"), str):
        converted["type"] = [converted["type"], "null"]
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@pytest.fixture(scope="session")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMAS.read_text(encoding="utf-8"))
    live_additions(loaded["components"]["schemas"])
    converted: dict[str, Any] = to_json_schema(loaded)
    return converted


def validate(document: dict[str, Any], name: str, body: Any) -> None:
    schema = {**document, "$ref": f"#/components/schemas/{name}"}
    validator = Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_the_schemas_are_strict(document: dict[str, Any]) -> None:
    """Guard against a vacuous pass: a wrong body must fail."""
    with pytest.raises(AssertionError):
        validate(document, "pullrequest", {"type": "pullrequest", "id": "seven"})
    with pytest.raises(AssertionError):
        validate(document, "paginated_pullrequests", {"values": [], "extra": 1})
    with pytest.raises(AssertionError, match="date-time"):
        validate(document, "pullrequest", {"type": "pullrequest", "created_on": "yesterday"})
    pristine = json.loads(SCHEMAS.read_text(encoding="utf-8"))
    assert pristine["$comment"].startswith("Subset of components.schemas")


def test_list_page(document: dict[str, Any], api: requests.Session, pulls_url: str) -> None:
    for params in (
        {"state": ALL_STATES, "pagelen": 50, "page": 2},
        {"state": ALL_STATES, "pagelen": 50, "fields": "+values.reviewers,+values.participants"},
    ):
        page = api.get(pulls_url, params=params).json()
        validate(document, "paginated_pullrequests", page)


@pytest.mark.parametrize("queue", ["state", "flag"])
def test_merge_queued_pull_requests(document: dict[str, Any], emu: Emulator,
                                    api: requests.Session, pulls_url: str, queue: str) -> None:
    """The live vocabulary validates too: QUEUED, and `queued` beside `draft`."""
    emu.settings.merge_queue = queue
    try:
        page = api.get(pulls_url, params={"state": "OPEN", "pagelen": 50}).json()
    finally:
        emu.settings.merge_queue = "off"
    validate(document, "paginated_pullrequests", page)
    queued = [pr for pr in page["values"] if pr["queued"]]
    assert queued and all(pr["state"] == ("QUEUED" if queue == "state" else "OPEN")
                          for pr in queued)
    with pytest.raises(AssertionError):
        validate(document, "pullrequest", {**queued[0], "state": "ON_HOLD"})


def test_each_pull_request(document: dict[str, Any], truth: list[dict[str, Any]]) -> None:
    for pr in truth:
        validate(document, "pullrequest", pr)


def test_error_bodies(
    document: dict[str, Any], emu: Emulator, api: requests.Session, pulls_url: str
) -> None:
    bodies = [
        api.get(f"{emu.cloud_api_url}/repositories/acme/nope").json(),
        api.get(pulls_url, params={"pagelen": 51}).json(),
        api.get(pulls_url, params={"q": "nope = 1"}).json(),
        api.get(f"{emu.cloud_api_url}/nope").json(),
        requests.get(pulls_url, headers={"Authorization": f"Bearer {emu.demo.api_token}"}).json(),
        requests.get(pulls_url, auth=(emu.demo.email, emu.add_api_token(()))).json(),
    ]
    for body in bodies:
        validate(document, "error", body)


def test_repositories(document: dict[str, Any], emu: Emulator, api: requests.Session) -> None:
    page = api.get(f"{emu.cloud_api_url}/repositories/acme").json()
    validate(document, "paginated_repositories", page)
    repository = api.get(f"{emu.cloud_api_url}/repositories/jobsearchdemo/job-search").json()
    validate(document, "repository", repository)


def test_workspace_and_user(document: dict[str, Any], emu: Emulator, api: requests.Session) -> None:
    validate(document, "workspace", api.get(f"{emu.cloud_api_url}/workspaces/acme").json())
    validate(document, "user", api.get(f"{emu.cloud_api_url}/user").json())
    for access in api.get(f"{emu.cloud_api_url}/user/workspaces").json()["values"]:
        validate(document, "workspace", access["workspace"])


def test_live_additions_are_all_needed(
    document: dict[str, Any], truth: list[dict[str, Any]]
) -> None:
    """Each allowance is there because the emulator sends it; none is dead weight."""
    strict = to_json_schema(json.loads(SCHEMAS.read_text(encoding="utf-8")))
    # A merged one whose every participant took part (an idle reviewer's null is the last
    # allowance, checked apart below).
    merged = next(pr for pr in truth if pr["state"] == "MERGED"
                  and all(p["participated_on"] for p in pr["participants"]))
    opened = next(pr for pr in truth if pr["state"] == "OPEN")
    for pr in (merged, opened):
        with pytest.raises(AssertionError):
            validate(strict, "pullrequest", pr)
    trimmed = copy.deepcopy(merged)
    for key in ("request-changes", "statuses"):
        del trimmed["links"][key]
    trimmed["rendered"] = {
        "reason": {k: v for k, v in merged["rendered"]["reason"].items() if k != "type"}
    }
    del trimmed["summary"]["type"]
    for side in ("source", "destination", "merge_commit"):
        commit = trimmed[side]["commit"] if side != "merge_commit" else trimmed[side]
        del commit["type"], commit["links"]
    validate(strict, "pullrequest", trimmed)
    idle = next(pr for pr in truth
                if any(p["participated_on"] is None for p in pr["participants"]))
    with pytest.raises(AssertionError, match="participated_on"):
        validate(strict, "participant", next(p for p in idle["participants"]
                                             if p["participated_on"] is None))


def activity_entry_schema() -> dict[str, Any]:
    """An entry of the activity feeds. The spec gives these no schema of their own, only
    examples in the endpoints' description; each part is checked against the component
    the examples show it to be."""
    ref = {"$ref": "#/components/schemas/pullrequest"}
    account = {"$ref": "#/components/schemas/account"}
    date = {"type": "string", "format": "date-time"}
    verdict = {"type": "object", "additionalProperties": False,
               "required": ["date", "user", "pullrequest"],
               "properties": {"date": date, "user": account, "pullrequest": ref}}
    endpoint = {"$ref": "#/components/schemas/pullrequest_endpoint"}
    update = {"type": "object", "additionalProperties": False,
              "required": ["state", "date", "author"],
              "properties": {"state": {"enum": ALL_STATES}, "date": date, "author": account,
                             "title": {"type": "string"}, "description": {"type": "string"},
                             "reason": {"type": "string"}, "source": endpoint,
                             "destination": endpoint, "draft": {"type": "boolean"},
                             # A draft made ready, as a live feed showed it in 2026.
                             "changes": {"type": "object", "additionalProperties": False,
                                         "properties": {"draft": {
                                             "type": "object", "additionalProperties": False,
                                             "required": ["old", "new"],
                                             "properties": {"old": {"type": "boolean"},
                                                            "new": {"type": "boolean"}}}}}}}
    return {"type": "object", "additionalProperties": False, "required": ["pull_request"],
            "minProperties": 2, "maxProperties": 2,
            "properties": {"pull_request": ref, "update": update, "approval": verdict,
                           "changes_requested": verdict,
                           "comment": {"$ref": "#/components/schemas/pullrequest_comment"}}}


def test_activity_feeds(document: dict[str, Any], emu: Emulator, api: requests.Session,
                        pulls_url: str) -> None:
    schemas = document["components"]["schemas"]
    schemas["activity_entry"] = activity_entry_schema()
    schemas["activity_page"] = {
        "type": "object", "additionalProperties": False, "required": ["values", "pagelen"],
        "properties": {"values": {"type": "array",
                                  "items": {"$ref": "#/components/schemas/activity_entry"}},
                       "pagelen": {"type": "integer"},
                       "next": {"type": "string", "format": "uri"}}}
    seen = set()
    url: str | None = f"{pulls_url}/activity?pagelen=50"
    while url:
        page = api.get(url).json()
        validate(document, "activity_page", page)
        seen.update(next(key for key in entry if key != "pull_request")
                    for entry in page["values"])
        url = page.get("next")
    assert seen == {"update", "approval", "changes_requested", "comment"}
    validate(document, "activity_page", api.get(f"{pulls_url}/7/activity").json())
    with pytest.raises(AssertionError):
        validate(document, "activity_entry", {"pull_request": {"type": "pullrequest"}})


def test_hostile_text_keeps_every_schema(document: dict[str, Any], emu: Emulator,
                                         api: requests.Session, pulls_url: str) -> None:
    """Control sequences and bidi characters in every free-text field change no shape."""
    emu.settings.hostile_text = SAMPLE
    page = api.get(pulls_url, params={"fields": "+values.reviewers,+values.participants"})
    first = page.json()["values"][0]
    assert first["title"].endswith(SAMPLE) and first["source"]["branch"]["name"].endswith(SAMPLE)
    assert first["author"]["display_name"].endswith(SAMPLE)
    assert api.get(f"{emu.cloud_api_url}/nope").json()["error"]["message"].endswith(SAMPLE)
    test_list_page(document, api, pulls_url)
    test_error_bodies(document, emu, api, pulls_url)
    test_workspace_and_user(document, emu, api)
    test_activity_feeds(document, emu, api, pulls_url)
