"""Data Center authentication, tokens, visibility, errors and the other endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bbpr.emulator import Emulator

AUTH_FAILED = "Authentication failed. Please check your credentials and try again."
NOT_PERMITTED = "You are not permitted to access this resource"


def error_of(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    body = response.json()
    assert set(body) == {"errors"}
    (error,) = body["errors"]
    assert set(error) == {"context", "message", "exceptionName"}
    return error


def assert_error(response: requests.Response, status: int, exception: str, message: str) -> None:
    error = error_of(response, status)
    assert error["exceptionName"].rsplit(".", 1)[-1] == exception
    assert error["exceptionName"].startswith("com.atlassian.bitbucket.")
    assert (error["context"], error["message"]) == (None, message)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def own() -> Iterator[Emulator]:
    """An emulator of one's own with a second project, for tests that add users or tokens."""
    with Emulator(prs=10, seed=5) as emulator:
        emulator.add_dc_repository("OPS", "Tools", prs=4)
        yield emulator


def test_application_properties_need_no_authentication(dc_api: str) -> None:
    response = requests.get(f"{dc_api}/application-properties")
    assert response.status_code == 200
    assert response.json() == {
        "version": "9.4.3",
        "buildNumber": "9004003",
        "buildDate": "1718950524538",
        "displayName": "Bitbucket",
    }
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert requests.get(dc_api.replace("latest", "1.0") + "/application-properties").ok


def test_basic_auth(emu: Emulator, dc_api: str) -> None:
    url = f"{dc_api}/projects/ACME/repos/widgets"
    demo = emu.dc_demo
    response = requests.get(url, auth=(demo.username, demo.password))
    assert response.status_code == 200
    assert (response.headers["X-AUSERNAME"], response.headers["X-AREQUESTID"][0]) == ("dana", "@")
    for wrong in ((demo.username, "nope"), ("nobody", demo.password), ("DANA", "x")):
        assert_error(requests.get(url, auth=wrong), 401,
                     "IncorrectPasswordAuthenticationException", AUTH_FAILED)  # fmt: skip
    # Even where no authentication is needed, wrong credentials are refused.
    response = requests.get(f"{dc_api}/application-properties", auth=(demo.username, "nope"))
    assert response.status_code == 401


def test_user_names_are_case_insensitive(emu: Emulator, dc_api: str) -> None:
    response = requests.get(f"{dc_api}/projects/ACME", auth=("DaNa", emu.dc_demo.password))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path", ["/projects/ACME", "/projects/ACME/repos", "/projects/ACME/repos/widgets",
             "/projects/ACME/repos/widgets/pull-requests", "/projects/~dana/repos/notes",
             "/projects/ACME/repos/widgets/pull-requests/1", "/projects/ACME/repos/nope"],
)  # fmt: skip
def test_anonymous_on_a_private_project(dc_api: str, path: str) -> None:
    assert_error(requests.get(dc_api + path), 401, "AuthenticationRequiredException",
                 NOT_PERMITTED)  # fmt: skip


def test_anonymous_project_list_is_empty(dc_api: str) -> None:
    assert requests.get(f"{dc_api}/projects").json() == {
        "size": 0, "limit": 25, "isLastPage": True, "values": [], "start": 0,
    }  # fmt: skip


def test_http_access_tokens_as_bearer(emu: Emulator, dc_api: str) -> None:
    url = f"{dc_api}/projects/ACME/repos/widgets/pull-requests"
    assert emu.dc_demo.token.startswith("BBDC-") and len(emu.dc_demo.token) == 49
    assert "-" not in emu.dc_demo.legacy_token and len(emu.dc_demo.legacy_token) == 44
    for token in (emu.dc_demo.token, emu.dc_demo.legacy_token):
        response = requests.get(url, headers=bearer(token))
        assert response.status_code == 200 and response.headers["X-AUSERNAME"] == "dana"
    for token in ("BBDC-nope", emu.dc_demo.token[:-2], emu.demo.access_token, emu.demo.api_token):
        assert_error(requests.get(url, headers=bearer(token)), 401,
                     "IncorrectPasswordAuthenticationException", AUTH_FAILED)  # fmt: skip


def test_personal_token_as_basic_password(emu: Emulator, dc_api: str) -> None:
    url = f"{dc_api}/projects/~dana/repos/notes/pull-requests"
    assert requests.get(url, auth=("dana", emu.dc_demo.token)).status_code == 200
    assert requests.get(url, auth=("dana", emu.dc_demo.legacy_token)).status_code == 200
    assert requests.get(url, auth=("alex", emu.dc_demo.token)).status_code == 401


def test_cloud_credentials_do_not_work_on_data_center(emu: Emulator, dc_api: str) -> None:
    url = f"{dc_api}/projects/ACME/repos/widgets"
    assert requests.get(url, auth=(emu.demo.email, emu.demo.api_token)).status_code == 401
    assert requests.get(url, headers=bearer(emu.demo.access_token)).status_code == 401


def test_data_center_credentials_do_not_work_on_cloud(emu: Emulator) -> None:
    url = f"{emu.cloud_api_url}/repositories/acme/widgets"
    response = requests.get(url, headers=bearer(emu.dc_demo.token))
    assert response.status_code == 401 and response.json()["type"] == "error"
    assert requests.get(url, auth=("dana", emu.dc_demo.password)).status_code == 401


def test_paths_of_one_flavour_do_not_exist_in_the_other(
    emu: Emulator, dc: requests.Session
) -> None:
    cloud_path = f"{emu.base_url}/rest/2.0/repositories/acme/widgets"
    error = error_of(dc.get(cloud_path), 404)
    assert error["exceptionName"] == "com.sun.jersey.api.NotFoundException"
    assert error["message"] == f"null for uri: {cloud_path}"
    assert error_of(dc.get(f"{emu.base_url}/rest/api/latest/repositories/acme"), 404)
    response = requests.get(f"{emu.cloud_api_url}/projects/ACME/repos/widgets/pull-requests",
                            auth=(emu.demo.email, emu.demo.api_token))  # fmt: skip
    assert response.status_code == 404 and response.json()["type"] == "error"


@pytest.mark.parametrize(
    "path", ["/projects/ACME/repos/widgets/browse", "/projects/ACME/repos/widgets/pull-requests",
             "/plugins/servlet/ssh/account/keys", "/users/dana", "/dashboard"],
)  # fmt: skip
def test_tokens_only_work_on_rest_paths(emu: Emulator, path: str) -> None:
    for token in (emu.dc_demo.token, "BBDC-unknown"):
        response = requests.get(emu.base_url + path + "?at=refs%2Fheads%2Fmain",
                                headers=bearer(token), allow_redirects=False)  # fmt: skip
        assert response.status_code == 302
        assert response.headers["Location"] == (
            f"{emu.base_url}/login?next={path}%3Fat%3Drefs%252Fheads%252Fmain"
        )
    assert requests.get(emu.base_url + path, allow_redirects=False).status_code == 302
    demo = emu.dc_demo
    response = requests.get(emu.base_url + path, auth=(demo.username, demo.password))
    assert response.status_code == 200 and "text/html" in response.headers["Content-Type"]
    assert requests.get(emu.base_url + path, headers=bearer(demo.token)).url.startswith(
        f"{emu.base_url}/login?next="
    )  # a client that follows the redirect lands on the login page, a 200 HTML


def test_not_found_errors(dc: requests.Session, dc_api: str) -> None:
    assert_error(dc.get(f"{dc_api}/projects/NOPE"), 404, "NoSuchProjectException",
                 "Project NOPE does not exist.")  # fmt: skip
    assert_error(dc.get(f"{dc_api}/projects/NOPE/repos/widgets/pull-requests"), 404,
                 "NoSuchProjectException", "Project NOPE does not exist.")  # fmt: skip
    assert_error(dc.get(f"{dc_api}/projects/acme/repos/nope/pull-requests"), 404,
                 "NoSuchRepositoryException", "Repository ACME/nope does not exist.")  # fmt: skip
    message = "Repository ACME/Widgets does not exist."  # slugs are matched exactly
    response = dc.get(f"{dc_api}/projects/ACME/repos/Widgets")
    assert_error(response, 404, "NoSuchRepositoryException", message)
    assert dc.get(f"{dc_api}/users/nobody/repos").status_code == 404
    assert requests.get(f"{dc_api}/projects/NOPE").status_code == 404  # even anonymously


def test_projects_and_repositories(emu: Emulator, dc: requests.Session, dc_api: str) -> None:
    projects = dc.get(f"{dc_api}/projects").json()
    assert [p["key"] for p in projects["values"]] == ["ACME"]  # personal projects not listed
    acme = dc.get(f"{dc_api}/projects/acme").json()
    assert acme == projects["values"][0]
    summary = (acme["key"], acme["name"], acme["type"], acme["public"])
    assert summary == ("ACME", "Acme", "NORMAL", False)
    assert acme["links"]["self"][0]["href"] == f"{emu.datacenter_url}/projects/ACME"
    repos = dc.get(f"{dc_api}/projects/ACME/repos").json()
    assert [r["slug"] for r in repos["values"]] == ["api-gateway", "big-repo", "widgets"]
    assert [r["name"] for r in repos["values"]] == ["API Gateway", "Big Repo", "widgets"]
    widgets = dc.get(f"{dc_api}/projects/ACME/repos/widgets").json()
    assert widgets == repos["values"][2]
    assert widgets["links"]["self"][0]["href"] == (
        f"{emu.datacenter_url}/projects/ACME/repos/widgets/browse"
    )
    page = dc.get(f"{dc_api}/projects/ACME/repos", params={"limit": 2}).json()
    assert (page["size"], page["isLastPage"], page["nextPageStart"]) == (2, False, 2)
    notes = dc.get(f"{dc_api}/users/dana/repos").json()["values"]
    assert [(r["slug"], r["project"]["key"]) for r in notes] == [("notes", "~DANA")]
    assert notes[0]["links"]["self"][0]["href"].endswith("/users/dana/repos/notes/browse")
    assert dc.get(f"{dc_api}/projects", params={"name": "acm"}).json()["size"] == 1
    assert dc.get(f"{dc_api}/projects", params={"name": "zzz"}).json()["size"] == 0
    assert dc.get(f"{dc_api}/projects", params={"permission": "REPO_NOPE"}).status_code == 400


def test_project_token(own: Emulator) -> None:
    api = f"{own.datacenter_url}/rest/api/latest"
    token = own.add_dc_token(project="acme")
    assert token.startswith("BBDC-")
    headers = bearer(token)
    assert requests.get(f"{api}/projects/ACME/repos/widgets/pull-requests", headers=headers).ok
    assert requests.get(f"{api}/projects/ACME/repos", headers=headers).json()["size"] == 3
    assert [p["key"] for p in requests.get(f"{api}/projects", headers=headers).json()["values"]] \
        == ["ACME"]  # fmt: skip
    for path in ("/projects/OPS", "/projects/OPS/repos/tools/pull-requests",
                 "/projects/~dana/repos/notes"):  # fmt: skip
        assert_error(requests.get(api + path, headers=headers), 401, "AuthorisationException",
                     NOT_PERMITTED)  # fmt: skip
    assert requests.get(f"{api}/projects/NOPE", headers=headers).status_code == 404
    # Bearer only: as a Basic password it is just a wrong password.
    assert requests.get(f"{api}/projects/ACME", auth=("dana", token)).status_code == 401


def test_repository_token(own: Emulator) -> None:
    api = f"{own.datacenter_url}/rest/api/latest"
    headers = bearer(own.add_dc_token(project="ACME", repo="widgets", permission="REPO_WRITE"))
    assert requests.get(f"{api}/projects/ACME/repos/widgets/pull-requests", headers=headers).ok
    assert requests.get(f"{api}/projects/ACME", headers=headers).ok
    listed = requests.get(f"{api}/projects/ACME/repos", headers=headers).json()["values"]
    assert [r["slug"] for r in listed] == ["widgets"]
    for path in ("/projects/ACME/repos/big-repo", "/projects/OPS/repos/tools/pull-requests"):
        assert_error(requests.get(api + path, headers=headers), 401, "AuthorisationException",
                     NOT_PERMITTED)  # fmt: skip


def test_add_dc_token_checks_its_arguments(own: Emulator) -> None:
    personal = own.add_dc_token(username="alex", permission="PROJECT_READ")
    response = requests.get(f"{own.datacenter_url}/rest/api/latest/projects/OPS",
                            headers=bearer(personal))  # fmt: skip
    assert response.headers["X-AUSERNAME"] == "alex"
    with pytest.raises(ValueError):
        own.add_dc_token(repo="widgets")
    with pytest.raises(ValueError):
        own.add_dc_token(project="ACME", username="dana")
    with pytest.raises(ValueError):
        own.add_dc_token(permission="ALL_OF_IT")
    with pytest.raises(KeyError):
        own.add_dc_token(project="NOPE")
    with pytest.raises(KeyError):
        own.add_dc_token(project="ACME", repo="nope")
    with pytest.raises(KeyError):
        own.add_dc_token(username="nobody")


def test_added_users_and_personal_projects(own: Emulator) -> None:
    api = f"{own.datacenter_url}/rest/api/latest"
    own.add_dc_user("erin", "s3cret", display_name="Erin Example")
    erin = ("erin", "s3cret")
    assert requests.get(f"{api}/projects/OPS/repos/tools/pull-requests", auth=erin).ok
    assert_error(requests.get(f"{api}/projects/~dana/repos/notes", auth=erin), 401,
                 "AuthorisationException", NOT_PERMITTED)  # fmt: skip
    own.add_dc_repository("~erin", "scratch", prs=2)
    response = requests.get(f"{api}/projects/~erin/repos/scratch/pull-requests", auth=erin,
                            params={"state": "ALL"})  # fmt: skip
    assert response.json()["size"] == 2
    assert requests.get(f"{api}/projects/~ERIN", auth=erin).json()["name"] == "Erin Example"
    dana = (own.dc_demo.username, own.dc_demo.password)
    assert requests.get(f"{api}/projects/~erin/repos/scratch", auth=dana).status_code == 401
    with pytest.raises(ValueError):
        own.add_dc_user("ERIN", "again")
    with pytest.raises(KeyError):
        own.add_dc_repository("~nobody", "x")


def test_users_without_a_licence_seat(own: Emulator) -> None:
    api = f"{own.datacenter_url}/rest/api/latest"
    own.add_dc_user("frank", "pw", licensed=False)
    response = requests.get(f"{api}/projects/ACME", auth=("frank", "pw"))
    error = error_of(response, 401)
    assert error["exceptionName"] == "com.atlassian.bitbucket.auth.NoAccessAuthenticationException"
    assert "licen" in error["message"]
    assert requests.get(f"{api}/projects/ACME", auth=("frank", "wrong")).status_code == 401
    assert error_of(requests.get(f"{api}/projects/ACME", auth=("frank", "wrong")), 401)[
        "exceptionName"
    ].endswith("IncorrectPasswordAuthenticationException")


def test_unlicensed_server(emu: Emulator, dc: requests.Session, dc_api: str) -> None:
    emu.settings.dc_unlicensed = True
    for session in (dc, requests.Session()):
        session.headers.update(bearer(emu.dc_demo.token) if session is not dc else {})
        error = error_of(session.get(f"{dc_api}/projects/ACME/repos/widgets/pull-requests"), 401)
        assert error["exceptionName"].endswith(".NoAccessAuthenticationException")
    assert dc.get(f"{dc_api}/application-properties").status_code == 200  # still tells its version
    anonymous = requests.get(f"{dc_api}/projects/ACME")
    assert error_of(anonymous, 401)["exceptionName"].endswith(".AuthenticationRequiredException")
    wrong = requests.get(f"{dc_api}/projects/ACME", auth=("dana", "wrong"))
    assert error_of(wrong, 401)["exceptionName"].endswith(
        ".IncorrectPasswordAuthenticationException"
    )
