"""Injected faults: each mode, deterministic from the seed, on both API flavours."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from bbpr.emulator import Emulator, Faults, ManualClock
from bbpr.emulator.__main__ import add_fault_options, fault_options, main


@pytest.fixture(scope="module")
def shared() -> Iterator[Emulator]:
    with Emulator(prs=30, seed=3) as emulator:
        yield emulator


@pytest.fixture
def fe(shared: Emulator) -> Iterator[Emulator]:
    """The module's emulator with faults and clock put back after each test."""
    yield shared
    shared.faults = Faults()
    shared.clock = lambda: datetime.now(UTC)


class Client:
    """Both flavours' pull request lists, with the right credentials."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.cloud = requests.Session()
        self.cloud.auth = (emu.demo.email, emu.demo.api_token)
        self.dc = requests.Session()
        self.dc.auth = (emu.dc_demo.username, emu.dc_demo.password)

    def cloud_list(self, **params: object) -> requests.Response:
        url = f"{self.emu.cloud_api_url}/repositories/acme/widgets/pullrequests"
        return self.cloud.get(url, params=params)

    def dc_list(self, **params: object) -> requests.Response:
        url = f"{self.emu.datacenter_url}/rest/api/latest/projects/ACME/repos/widgets/pull-requests"
        return self.dc.get(url, params=params)

    def statuses(self, count: int, flavour: str = "cloud") -> list[int]:
        call = self.cloud_list if flavour == "cloud" else self.dc_list
        return [call().status_code for _ in range(count)]


def test_latency_and_jitter(fe: Emulator) -> None:
    fe.faults = Faults(latency_ms=40, jitter_ms=60)
    client = Client(fe)
    took = []
    for _ in range(6):
        started = time.monotonic()
        assert client.cloud_list().ok
        took.append(time.monotonic() - started)
    assert all(0.04 <= t < 0.2 for t in took)
    assert max(took) - min(took) > 0.005  # the jitter varies
    fe.settings.latency_ms = 25  # the old knob is an alias
    assert fe.faults.latency_ms == 25.0


def test_rate_limit_every_nth_request(fe: Emulator) -> None:
    client = Client(fe)
    fe.faults = Faults(rate_limit_every=3)
    assert client.statuses(7) == [200, 200, 429, 200, 200, 429, 200]
    fe.faults = Faults(rate_limit_every=3)  # a new Faults restarts the count
    responses = [client.cloud_list() for _ in range(3)]
    limited = responses[2]
    # As Cloud answers (BITBUCKET-FACTS.md): plain text, 46 bytes, no JSON.
    assert limited.headers["Content-Type"].startswith("text/plain")
    assert limited.content == b"Rate limit for this resource has been exceeded"
    assert len(limited.content) == 46
    assert "Retry-After" not in limited.headers
    fe.faults = Faults(rate_limit_every=1, retry_after=2)
    assert client.cloud_list().headers["Retry-After"] == "2"
    fe.faults = Faults(rate_limit_every=1, retry_after=0.5)
    response = client.dc_list()
    assert (response.status_code, response.headers["Retry-After"]) == (429, "0.5")
    assert response.json()["errors"][0]["message"].startswith("Rate limit")


def test_rate_limit_probability_is_reproducible(fe: Emulator) -> None:
    client = Client(fe)
    fe.faults = Faults(rate_limit_probability=0.3)
    first = client.statuses(30)
    fe.faults = Faults(rate_limit_probability=0.3)
    assert client.statuses(30) == first
    assert 3 <= first.count(429) <= 18
    with Emulator(prs=30, seed=3) as twin, Emulator(prs=30, seed=4) as other:
        twin.faults = Faults(rate_limit_probability=0.3)
        other.faults = Faults(rate_limit_probability=0.3)
        assert Client(twin).statuses(30) == first
        assert Client(other).statuses(30) != first


def test_enabling_one_fault_does_not_reshuffle_another(fe: Emulator) -> None:
    client = Client(fe)
    fe.faults = Faults(rate_limit_probability=0.3)
    alone = client.statuses(20)
    fe.faults = Faults(rate_limit_probability=0.3, jitter_ms=1, truncate_probability=0.0)
    assert client.statuses(20) == alone


def test_rolling_window_per_credential(fe: Emulator) -> None:
    fe.clock = clock = ManualClock()
    fe.faults = Faults(rate_limit_window=(3, 60), retry_after=5)
    client = Client(fe)
    assert client.statuses(4) == [200, 200, 200, 429]
    assert client.cloud_list().headers["Retry-After"] == "5"
    assert client.statuses(2, "datacenter") == [200, 200]  # another credential, its own allowance
    clock.advance(30)
    assert client.statuses(1) == [429]
    clock.advance(31)  # the first three are out of the window now
    assert client.statuses(4) == [200, 200, 200, 429]
    assert "X-RateLimit-Limit" not in client.cloud_list().headers  # API tokens are not told


def test_access_tokens_see_the_rate_limit_headers(fe: Emulator) -> None:
    fe.clock = ManualClock()
    fe.faults = Faults(rate_limit_window=(5, 3600))
    url = f"{fe.cloud_api_url}/repositories/acme/widgets/pullrequests"
    headers = {"Authorization": f"Bearer {fe.demo.access_token}"}
    seen = []
    for _ in range(6):
        response = requests.get(url, headers=headers)
        assert response.headers["X-RateLimit-Limit"] == "5"
        assert response.headers["X-RateLimit-Resource"] == "api"
        seen.append((response.status_code, response.headers["X-RateLimit-NearLimit"]))
    assert seen == [(200, "false")] * 4 + [(200, "true"), (429, "true")]


def test_server_error_bursts_every_nth_request(fe: Emulator) -> None:
    client = Client(fe)
    fe.faults = Faults(server_error_every=4, server_error_burst=2, server_error_status=502)
    assert client.statuses(10) == [200, 200, 200, 502, 502, 200, 200, 502, 502, 200]
    fe.faults = Faults(server_error_every=1, server_error_status=500)
    assert client.cloud_list().json() == {"type": "error", "error": {
        "message": "Internal Server Error"}}  # fmt: skip
    response = client.dc_list()
    assert response.status_code == 500 and response.json()["errors"][0]["message"]


def test_server_error_bursts_with_a_probability(fe: Emulator) -> None:
    client = Client(fe)
    fe.faults = Faults(server_error_probability=0.1, server_error_burst=3)
    first = client.statuses(60, "datacenter")
    fe.faults = Faults(server_error_probability=0.1, server_error_burst=3)
    assert client.statuses(60, "datacenter") == first
    runs = "".join("x" if status == 503 else "." for status in first).split(".")
    lengths = [len(run) for run in runs if run]
    assert lengths and all(length >= 3 for length in lengths[:-1])  # the last may be cut off


def test_html_proxy_errors(fe: Emulator) -> None:
    client = Client(fe)
    fe.faults = Faults(html_error_probability=1.0)
    for response in (client.cloud_list(), client.dc_list()):
        assert response.status_code == 502
        assert response.headers["Content-Type"] == "text/html"
        assert "<h1>502 Bad Gateway</h1>" in response.text
    fe.faults = Faults(html_error_probability=1.0, html_error_status=503)
    assert "<h1>503 Service Unavailable</h1>" in client.dc_list().text


def test_dropped_connections(fe: Emulator) -> None:
    client = Client(fe)
    fe.faults = Faults(drop_connection_probability=1.0)
    fe.reset_requests()
    with pytest.raises(requests.ConnectionError):
        client.cloud_list()
    assert fe.requests[-1].status == 0
    fe.faults = Faults(drop_connection_probability=0.5)
    outcomes = []
    for _ in range(12):
        try:
            outcomes.append(client.dc_list().status_code)
        except requests.ConnectionError:
            outcomes.append(0)
    assert 0 in outcomes and 200 in outcomes
    fe.faults = Faults(drop_connection_probability=0.5)
    again = []
    for _ in range(12):
        try:
            again.append(client.dc_list().status_code)
        except requests.ConnectionError:
            again.append(0)
    assert again == outcomes
    assert not fe.errors


def test_truncated_bodies(fe: Emulator) -> None:
    fe.faults = Faults(truncate_probability=1.0)
    port = int(fe.base_url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/rest/api/latest/projects/ACME/repos/widgets/pull-requests",
                       headers={"Authorization": f"Bearer {fe.dc_demo.token}"})  # fmt: skip
    response = connection.getresponse()
    assert response.status == 200
    promised = int(response.headers["Content-Length"])
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert len(caught.value.partial) == promised // 2
    connection.close()
    with pytest.raises(requests.RequestException):
        Client(fe).cloud_list()
    assert not fe.errors


def test_foreign_next_link(fe: Emulator) -> None:
    fe.faults = Faults(foreign_next_link="http://localhost:9")
    client = Client(fe)
    page = client.cloud_list(pagelen=5, state="MERGED").json()
    assert page["next"].startswith("http://localhost:9/2.0/repositories/acme/widgets/pullrequests?")
    assert "state=MERGED" in page["next"] and "page=2" in page["next"]
    repositories = client.cloud.get(f"{fe.cloud_api_url}/repositories/acme", params={"pagelen": 1})
    assert repositories.json()["next"].startswith(fe.cloud_api_url)  # only pull request lists
    assert client.dc_list().ok


def test_oauth_and_web_pages_are_spared_unless_asked(fe: Emulator) -> None:
    def token() -> int:
        return requests.post(f"{fe.base_url}/site/oauth2/access_token",
                             auth=(fe.demo.oauth_client_id, fe.demo.oauth_client_secret),
                             data={"grant_type": "client_credentials"}).status_code  # fmt: skip

    fe.faults = Faults(rate_limit_every=1)
    assert token() == 200
    assert Client(fe).statuses(1) == [429]
    page = requests.get(f"{fe.base_url}/projects/ACME", allow_redirects=False)
    assert page.status_code == 302
    fe.faults = Faults(rate_limit_every=1, include_oauth=True)
    assert token() == 429


def test_faults_are_checked() -> None:
    for bad in ({"rate_limit_probability": 1.5}, {"rate_limit_every": 0},
                {"server_error_status": 404}, {"server_error_burst": 0},
                {"rate_limit_window": (0, 10)}, {"jitter_ms": -1}):  # fmt: skip
        with pytest.raises(ValueError):
            Faults(**bad)  # type: ignore[arg-type]
    assert Faults(rate_limit_every=5, retry_after=1.0).active() == {
        "rate_limit_every": 5, "retry_after": 1.0,
    }  # fmt: skip


def test_command_line_fault_options() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_fault_options(parser)
    args = parser.parse_args(["--rate-limit-every", "5", "--rate-limit-window", "100/3600",
                              "--server-error-probability", "0.1", "--include-oauth",
                              "--foreign-next-link", "http://localhost:9"])  # fmt: skip
    assert fault_options(args) == {
        "rate_limit_every": 5, "rate_limit_window": (100, 3600.0),
        "server_error_probability": 0.1, "include_oauth": True,
        "foreign_next_link": "http://localhost:9",
    }  # fmt: skip
    with pytest.raises(SystemExit):
        main(["--drop-connection-probability", "2"])
    with pytest.raises(SystemExit):
        main(["--rate-limit-window", "lots"])
