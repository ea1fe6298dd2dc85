"""Data Center responses validate against the schemas of Atlassian's 9.4 OpenAPI file.

`data/dc-schemas.json` holds the needed component schemas and the inline schemas of the
paged responses, extracted unmodified (its `$comment` says where from). The spec's schemas
allow any extra property, which would make this test vacuous, so `strict` forbids every
property a schema does not list (objects whose schema lists none, like `links`, stay
open). The spec also leaves out things every live response has; `live_additions` allows
exactly those, each named, and the last test proves each one is needed.
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

SCHEMAS = Path(__file__).parent / "data" / "dc-schemas.json"
SHA256 = "f7d3f3fa75479476cc6124ddc72ee047866e986f1912bd894ce972597601d755"
INTEGER = {"type": "integer"}


def strict(node: Any) -> Any:
    """Forbid unlisted properties in every schema that lists some."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: strict(value) for key, value in node.items()}
    if node.get("properties"):
        converted.setdefault("additionalProperties", False)
    return converted


def project_schemas(node: Any) -> list[dict[str, Any]]:
    """Every schema of a project, wherever one is nested (repositories, refs, origins)."""
    found = []
    if isinstance(node, dict):
        if {"key", "type", "public"} <= set(node.get("properties", {})):
            found.append(node)
        for value in node.values():
            found.extend(project_schemas(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(project_schemas(item))
    return found


def live_additions(schemas: dict[str, Any]) -> None:
    """What every live response has and the 9.4 spec does not list."""
    participant = {"$ref": "#/components/schemas/RestPullRequestParticipant"}
    pull_request = schemas["RestPullRequest"]["properties"]
    # Every pull request has an author and (unless withProperties=false) properties.
    pull_request["author"] = participant
    merge_result = {"type": "object", "additionalProperties": False, "properties": {
        "outcome": {"type": "string", "enum": ["CLEAN", "CONFLICTED", "UNKNOWN"]},
        "current": {"type": "boolean"}}}  # fmt: skip
    pull_request["properties"] = {"type": "object", "additionalProperties": False, "properties": {
        "mergeResult": merge_result, "resolvedTaskCount": INTEGER, "commentCount": INTEGER,
        "openTaskCount": INTEGER}}  # fmt: skip
    # A personal project names its owner, wherever the project appears.
    owner = schemas["RestPullRequestParticipant"]["properties"]["user"]
    for project in project_schemas(schemas):
        project["properties"]["owner"] = owner
    # `context` is null when the error is not about one parameter.
    schemas["RestErrorMessage"]["properties"]["context"] = {"type": ["string", "null"]}
    schemas["RestPullRequestActivity"]["properties"].update(ACTIVITY_ADDITIONS)


ACTIVITY_ADDITIONS: dict[str, Any] = {
    # What each kind of activity carries beside the four keys the spec lists: a comment
    # (and its anchor, for one on a line of the diff), a rescope's commits.
    "commentAction": {"enum": ["ADDED", "DELETED", "EDITED", "REPLIED"]},
    "comment": {"$ref": "#/components/schemas/RestComment"},
    "commentAnchor": {"$ref": "#/components/schemas/RestCommentThreadDiffAnchor"},
    **{name: {"type": "string"} for name in ("fromHash", "previousFromHash", "toHash",
                                             "previousToHash")},
    **{name: {"type": "object", "additionalProperties": False, "required": ["total"],
              "properties": {"commits": {"type": "array"}, "total": INTEGER}}
       for name in ("added", "removed")},
    # A draft made ready: the emulator's guess (docs/emulator.md), nothing public shows it.
    "draft": {"type": "boolean"},
}


def load(*, additions: bool) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SCHEMAS.read_text(encoding="utf-8"))
    if additions:
        live_additions(document["components"]["schemas"])
    converted: dict[str, Any] = strict(document)
    return converted


@pytest.fixture(scope="session")
def document() -> dict[str, Any]:
    return load(additions=True)


def validate(
    document: dict[str, Any], body: Any, *, component: str = "", response: str = ""
) -> None:
    if component:
        schema = {**document, "$ref": f"#/components/schemas/{component}"}
    else:
        schema = {**document, **document["responses"][response]}
    validator = Draft4Validator(schema)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_the_file_names_its_source() -> None:
    pristine = json.loads(SCHEMAS.read_text(encoding="utf-8"))
    assert SHA256 in pristine["$comment"]
    assert "bitbucket-dc-9.4-openapi.json" in pristine["$comment"]


def test_the_schemas_are_strict(document: dict[str, Any], dc_truth: list[dict[str, Any]]) -> None:
    """Guard against a vacuous pass: a wrong body must fail."""
    for wrong in ({"id": "seven"}, {"createdDate": "yesterday"}, {"state": "SUPERSEDED"},
                  {"surprise": 1}, {"author": {"role": "OWNER"}}):  # fmt: skip
        with pytest.raises(AssertionError):
            validate(document, {**dc_truth[0], **wrong}, component="RestPullRequest")
    with pytest.raises(AssertionError):
        validate(document, {"values": [], "extra": 1}, response="pull request page")


def test_pull_request_pages(
    document: dict[str, Any], dc: requests.Session, dc_pulls_url: str, dc_api: str
) -> None:
    for params in ({"state": "ALL", "limit": 50}, {"state": "ALL", "start": 100},
                   {"withProperties": "false"}):  # fmt: skip
        validate(document, dc.get(dc_pulls_url, params=params).json(), response="pull request page")
    personal = dc.get(f"{dc_api}/projects/~dana/repos/notes/pull-requests", params={"state": "ALL"})
    validate(document, personal.json(), response="pull request page")


def test_each_pull_request(document: dict[str, Any], emu: Emulator) -> None:
    for pr in emu.dc_pull_requests("ACME", "widgets") + emu.dc_pull_requests("~dana", "notes"):
        validate(document, pr, component="RestPullRequest")


def test_projects_and_repositories(
    document: dict[str, Any], dc: requests.Session, dc_api: str
) -> None:
    validate(document, dc.get(f"{dc_api}/projects").json(), response="project page")
    validate(document, dc.get(f"{dc_api}/projects/ACME").json(), component="RestProject")
    validate(document, dc.get(f"{dc_api}/projects/~dana").json(), component="RestProject")
    for path in ("/projects/ACME/repos", "/users/dana/repos", "/projects/~dana/repos"):
        validate(document, dc.get(dc_api + path).json(), response="repository page")
    widgets = dc.get(f"{dc_api}/projects/ACME/repos/widgets").json()
    validate(document, widgets, component="RestRepository")


def test_activity_pages(document: dict[str, Any], emu: Emulator, dc: requests.Session,
                        dc_pulls_url: str, dc_api: str) -> None:
    actions = set()
    for number in range(1, 40):
        page = dc.get(f"{dc_pulls_url}/{number}/activities", params={"limit": 1000}).json()
        validate(document, page, response="activity page")
        actions |= {activity["action"] for activity in page["values"]}
    assert {"OPENED", "COMMENTED", "APPROVED", "REVIEWED", "RESCOPED", "MERGED", "DECLINED",
            "UPDATED"} <= actions
    personal = dc.get(f"{dc_api}/projects/~dana/repos/notes/pull-requests/1/activities")
    validate(document, personal.json(), response="activity page")
    with pytest.raises(AssertionError):
        validate(document, {"values": [{"action": "WAVED"}]}, response="activity page")


def test_application_properties(document: dict[str, Any], dc_api: str) -> None:
    body = requests.get(f"{dc_api}/application-properties").json()
    validate(document, body, component="RestApplicationProperties")


def test_error_bodies(emu: Emulator, document: dict[str, Any], dc: requests.Session,
                      dc_api: str, dc_pulls_url: str) -> None:  # fmt: skip
    bodies = [
        dc.get(f"{dc_api}/projects/NOPE").json(),
        dc.get(f"{dc_pulls_url}/9999").json(),
        dc.get(dc_pulls_url, params={"state": "nope"}).json(),
        dc.get(f"{dc_api}/nope").json(),
        requests.get(dc_pulls_url).json(),
        requests.get(dc_pulls_url, auth=("dana", "wrong")).json(),
        requests.get(dc_pulls_url, headers={"Authorization": "Bearer BBDC-x"}).json(),
    ]
    for body in bodies:
        validate(document, body, response="error")


def test_live_additions_are_all_needed(
    document: dict[str, Any], emu: Emulator, dc: requests.Session, dc_api: str
) -> None:
    """Each allowance is there because the emulator sends it; none is dead weight."""
    pristine = load(additions=False)
    merged = next(pr for pr in emu.dc_pull_requests("ACME", "widgets") if pr["state"] == "MERGED")
    personal = emu.dc_pull_requests("~dana", "notes")[0]
    error = requests.get(f"{dc_api}/projects/ACME").json()
    for body, where in ((merged, "RestPullRequest"), (personal, "RestPullRequest"),
                        (error["errors"][0], "RestErrorMessage")):  # fmt: skip
        with pytest.raises(AssertionError):
            validate(pristine, body, component=where)
    trimmed = copy.deepcopy(merged)
    del trimmed["author"], trimmed["properties"]
    validate(pristine, trimmed, component="RestPullRequest")
    trimmed = copy.deepcopy(personal)
    del trimmed["author"], trimmed["properties"]
    for side in ("fromRef", "toRef"):
        del trimmed[side]["repository"]["project"]["owner"]
    validate(pristine, trimmed, component="RestPullRequest")
    validate(pristine, {**error["errors"][0], "context": "state"}, component="RestErrorMessage")
    activities = [activity for number in range(1, 40) for activity in dc.get(
        f"{dc_api}/projects/ACME/repos/widgets/pull-requests/{number}/activities",
        params={"limit": 1000}).json()["values"]]
    for name in ACTIVITY_ADDITIONS:
        carrying = next(activity for activity in activities if name in activity)
        with pytest.raises(AssertionError):
            validate(pristine, carrying, component="RestPullRequestActivity")
        validate(pristine, {key: value for key, value in carrying.items()
                            if key not in ACTIVITY_ADDITIONS}, component="RestPullRequestActivity")


def test_hostile_text_keeps_every_schema(document: dict[str, Any], emu: Emulator,
                                         dc: requests.Session, dc_api: str,
                                         dc_pulls_url: str) -> None:
    """Control sequences and bidi characters in every free-text field change no shape."""
    emu.settings.hostile_text = SAMPLE
    first = dc.get(dc_pulls_url, params={"state": "ALL"}).json()["values"][0]
    assert first["title"].endswith(SAMPLE) and first["fromRef"]["displayId"].endswith(SAMPLE)
    assert first["fromRef"]["id"] == "refs/heads/" + first["fromRef"]["displayId"]
    user = first["author"]["user"]
    assert user["displayName"].endswith(SAMPLE) and user["name"].endswith(SAMPLE)
    message = dc.get(f"{dc_api}/projects/NOPE").json()["errors"][0]["message"]
    assert message.endswith(SAMPLE)
    test_pull_request_pages(document, dc, dc_pulls_url, dc_api)
    test_projects_and_repositories(document, dc, dc_api)
    test_error_bodies(emu, document, dc, dc_api, dc_pulls_url)
