"""The server around the API: lifecycle, counting, latency, determinism, the CLI."""

from __future__ import annotations

import http.client
import io
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from bbpr.emulator import Emulator, RecordedRequest, serve
from bbpr.emulator.messages import Response, text_response

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_base_urls_bind_loopback() -> None:
    with Emulator(prs=5) as emulator:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emulator.base_url)
        assert emulator.cloud_api_url == emulator.base_url + "/2.0"
    with pytest.raises(RuntimeError):
        _ = emulator.base_url


def test_fixed_port_and_restart() -> None:
    first = Emulator(prs=5).start()
    port = int(first.base_url.rsplit(":", 1)[1])
    first.stop()
    with Emulator(prs=5, port=port) as second:
        assert second.base_url.endswith(f":{port}")
        assert requests.get(second.cloud_api_url + "/user").status_code == 401


def test_stop_is_quick_even_with_open_keep_alive_connections() -> None:
    emulator = Emulator(prs=5).start()
    session = requests.Session()
    session.get(emulator.cloud_api_url + "/user")
    started = time.monotonic()
    emulator.stop()
    emulator.stop()  # idempotent
    assert time.monotonic() - started < 2
    session.close()


def test_requests_are_counted_and_recorded() -> None:
    with Emulator(prs=5) as emulator:
        session = requests.Session()
        session.auth = (emulator.demo.email, emulator.demo.api_token)
        answers = [
            session.get(emulator.cloud_api_url + "/repositories/acme/widgets/pullrequests",
                        params={"state": ["OPEN", "MERGED"], "pagelen": 2}),
            session.get(emulator.cloud_api_url + "/repositories/acme/nope"),
            requests.get(emulator.cloud_api_url + "/user", auth=("x", "y")),
        ]  # fmt: skip
        sizes = [len(answer.content) for answer in answers]
        assert emulator.request_count == 3
        assert emulator.requests == [
            RecordedRequest("GET", "/2.0/repositories/acme/widgets/pullrequests",
                            {"state": ["OPEN", "MERGED"], "pagelen": ["2"]}, 200, sizes[0]),
            RecordedRequest("GET", "/2.0/repositories/acme/nope", {}, 404, sizes[1]),
            RecordedRequest("GET", "/2.0/user", {}, 401, sizes[2]),
        ]  # fmt: skip
        assert emulator.demo.api_token not in repr(emulator.requests)
        emulator.reset_requests()
        assert emulator.request_count == 0 and emulator.requests == []


def test_counting_is_thread_safe_and_bursts_are_served_at_once(emu: Emulator) -> None:
    before = emu.request_count
    started = time.monotonic()
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(lambda _: requests.get(emu.cloud_api_url + "/user"), range(64)))
    assert emu.request_count - before == 64
    # A small listen backlog would make some connects wait a second for SYN retransmission.
    assert time.monotonic() - started < 0.8


def test_latency_overlaps_between_concurrent_requests() -> None:
    with Emulator(prs=5, latency_ms=200) as emulator:
        url = emulator.cloud_api_url + "/user"
        started = time.monotonic()
        requests.get(url)
        single = time.monotonic() - started
        started = time.monotonic()
        with ThreadPoolExecutor(5) as pool:
            list(pool.map(lambda _: requests.get(url), range(5)))
        parallel = time.monotonic() - started
    assert single >= 0.2
    assert parallel < 0.6  # five 200 ms requests at once, not one after another


def test_keep_alive_and_content_length(emu: Emulator) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", int(emu.base_url.rsplit(":", 1)[1]))
    for path in ("/2.0/user", "/2.0/nope", "/2.0/repositories/acme/widgets/pullrequests"):
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        assert int(response.headers["Content-Length"]) == len(body)
        assert not response.will_close
    connection.request("HEAD", "/2.0/user")
    head = connection.getresponse()
    assert head.read() == b"" and int(head.headers["Content-Length"]) > 0
    connection.close()


def test_links_follow_the_host_header(api: requests.Session, pulls_url: str) -> None:
    page = api.get(pulls_url, params={"pagelen": 1}, headers={"Host": "bb.test:8080"}).json()
    assert page["next"].startswith("http://bb.test:8080/2.0/repositories/acme/widgets/")
    links = page["values"][0]["links"]
    assert links["self"]["href"].startswith("http://bb.test:8080/2.0/")
    assert links["html"]["href"].startswith("https://bitbucket.org/acme/widgets/pull-requests/")


def test_hooks_can_answer_instead_of_the_api() -> None:
    with Emulator(prs=5) as emulator:
        emulator.hooks.append(
            lambda request: text_response(503, "down") if "pullrequests" in request.path else None
        )
        assert (
            requests.get(
                emulator.cloud_api_url + "/repositories/acme/widgets/pullrequests"
            ).status_code
            == 503
        )
        assert requests.get(emulator.cloud_api_url + "/user").status_code == 401
        assert emulator.request_count == 2


def test_a_crash_is_a_500_in_bitbucket_shape() -> None:
    def explode(request: Any) -> None:
        raise RuntimeError("boom")

    with Emulator(prs=5) as emulator:
        emulator.hooks.append(explode)
        response = requests.get(emulator.cloud_api_url + "/user")
        assert response.status_code == 500
        assert response.json() == {"type": "error", "error": {"message": "Something went wrong"}}
        assert "boom" in emulator.errors[-1]
        assert emulator.requests[-1].status == 500


def test_a_crash_is_worded_by_the_api_whose_path_it_is() -> None:
    """Each API registers how it words a crash; paths no API owns get the host's (Cloud's)."""

    def explode(request: Any) -> None:
        raise RuntimeError("boom")

    with Emulator(prs=5) as emulator:
        emulator.hooks.append(explode)
        dc = requests.get(emulator.datacenter_url + "/rest/api/latest/projects")
        assert dc.status_code == 500
        assert dc.json() == {"errors": [{"context": None, "message": "An internal error "
                                         "occurred.", "exceptionName": None}]}
        cloud = requests.get(emulator.cloud_api_url + "/repositories/acme")
        assert cloud.status_code == 500 and "X-Request-Id" in cloud.headers
        assert cloud.json()["error"]["message"] == "Something went wrong"
        login = requests.get(emulator.base_url + "/login", allow_redirects=False)
        assert login.status_code == 500 and login.json()["type"] == "error"
        assert len(emulator.errors) == 3


def test_same_seed_same_data() -> None:
    one, two, other = Emulator(prs=60, seed=7), Emulator(prs=60, seed=7), Emulator(prs=60, seed=8)
    assert one.pull_requests("acme", "widgets") == two.pull_requests("acme", "widgets")
    assert one.pull_requests("acme", "big-repo") == two.pull_requests("acme", "big-repo")
    assert one.demo == two.demo
    assert one.pull_requests("acme", "widgets") != other.pull_requests("acme", "widgets")
    assert one.demo.api_token != other.demo.api_token


def test_same_seed_same_responses() -> None:
    bodies = []
    for _ in range(2):
        with Emulator(prs=30, seed=4) as emulator:
            response = requests.get(
                emulator.cloud_api_url + "/repositories/acme/widgets/pullrequests",
                auth=(emulator.demo.email, emulator.demo.api_token),
                params={"state": "MERGED"},
            )
            bodies.append(response.text.replace(emulator.base_url, "BASE"))
    assert bodies[0] == bodies[1]


def test_add_repository() -> None:
    with Emulator(prs=5) as emulator:
        slug = emulator.add_repository("acme", "Mobile App", prs=12, states={"OPEN": 1})
        assert slug == "mobile-app"
        assert len(emulator.pull_requests("acme", slug)) == 12
        response = requests.get(
            f"{emulator.cloud_api_url}/repositories/acme/{slug}/pullrequests",
            auth=(emulator.demo.email, emulator.demo.api_token),
            params={"pagelen": 50},
        )
        assert response.json()["size"] == 12
        assert emulator.add_repository("newco", "Tools", prs=3, slug="tooling") == "tooling"
        assert [pr["id"] for pr in emulator.pull_requests("newco", "tooling")] == [1, 2, 3]
        with pytest.raises(ValueError, match="already exists"):
            emulator.add_repository("acme", "mobile app")
        with pytest.raises(ValueError, match="states"):
            emulator.add_repository("acme", "x", states={"ALL": 1})


def test_serve_prints_shell_lines_and_stops_on_ctrl_c() -> None:
    out = io.StringIO()
    answers: list[int] = []

    def use_then_interrupt() -> None:
        time.sleep(0.3)
        url = re.search(r"^export BITBUCKET_API_URL=(\S+)$", out.getvalue(), re.M)
        if url:
            answers.append(requests.get(url[1] + "/user").status_code)
        os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C does

    threading.Thread(target=use_then_interrupt, daemon=True).start()
    serve(prs=5, out=out)  # returns, instead of raising KeyboardInterrupt
    text = out.getvalue()
    assert answers == [401]
    assert re.search(r"^export BITBUCKET_API_URL=http://127\.0\.0\.1:\d+/2\.0$", text, re.M)
    assert re.search(r"^export BITBUCKET_EMAIL=dana@example\.com$", text, re.M)
    assert re.search(r"^export BITBUCKET_TOKEN=ATATT3xFfGF0\S+$", text, re.M)
    assert all(line.startswith(("#", "export ")) for line in text.splitlines())


def test_python_dash_m_serves_until_interrupted() -> None:
    environment = {**os.environ, "PYTHONPATH": SRC}
    command = [
        sys.executable,
        "-m",
        "bbpr.emulator",
        "--prs",
        "7",
        "--seed",
        "2",
        "--latency-ms",
        "1",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment) as process:
        assert process.stdout is not None
        lines = {}
        for line in process.stdout:
            if line.startswith("export "):
                name, _, value = line[len("export ") :].strip().partition("=")
                lines[name] = value
            if len(lines) == 3:
                break
        response = requests.get(
            lines["BITBUCKET_API_URL"] + "/repositories/acme/widgets/pullrequests",
            auth=(lines["BITBUCKET_EMAIL"], lines["BITBUCKET_TOKEN"]),
            params={"state": ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]},
        )
        assert response.json()["size"] == 7
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_client_disconnects_are_quiet_but_crashes_are_recorded(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with Emulator(prs=5, latency_ms=150) as emulator:
        port = int(emulator.base_url.rsplit(":", 1)[1])
        for _ in range(3):  # hang up (with a reset) before the answer is written
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(b"GET /2.0/user HTTP/1.1\r\nHost: x\r\n\r\n")
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
        time.sleep(0.4)
        emulator.settings.latency_ms = 0
        emulator.hooks.append(lambda request: Response(200, "not bytes"))  # type: ignore[arg-type]
        with pytest.raises(requests.RequestException):  # headers went out, the body did not
            requests.get(emulator.cloud_api_url + "/user")
        time.sleep(0.1)
        assert len(emulator.errors) == 1 and "TypeError" in emulator.errors[0]
    assert "Exception occurred" not in capfd.readouterr().err


def test_a_crash_under_rest_is_a_500_in_data_center_shape() -> None:
    def explode(request: Any) -> None:
        raise RuntimeError("boom")

    with Emulator(prs=5) as emulator:
        emulator.hooks.append(explode)
        response = requests.get(emulator.datacenter_url + "/rest/api/latest/projects")
        assert response.status_code == 500
        (error,) = response.json()["errors"]
        assert error["message"] and "boom" in emulator.errors[-1]


def test_serve_prints_the_data_center_hints_as_comments() -> None:
    out = io.StringIO()
    answers: list[int] = []

    def use_then_interrupt() -> None:
        time.sleep(0.3)
        text = out.getvalue()
        server = re.search(r"^# export BITBUCKET_SERVER=(\S+)$", text, re.M)
        token = re.search(r"^# export BITBUCKET_TOKEN=(BBDC-\S+)$", text, re.M)
        if server and token:
            url = server[1] + "/rest/api/latest/projects/ACME/repos/widgets/pull-requests"
            headers = {"Authorization": f"Bearer {token[1]}"}
            answers.append(requests.get(url, headers=headers).status_code)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=use_then_interrupt, daemon=True).start()
    serve(prs=5, out=out)
    text = out.getvalue()
    assert answers == [200]
    assert re.search(r"^#   BITBUCKET_TOKEN=BBDC-\S+ bbpr list ACME/widgets --server "
                     r"http://127\.0\.0\.1:\d+$", text, re.M)  # fmt: skip
    assert re.search(r"^# unset BITBUCKET_TOKEN; export BITBUCKET_USERNAME=dana "
                     r"BITBUCKET_PASSWORD=dana-\S+$", text, re.M)  # fmt: skip
    exports = [line for line in text.splitlines() if line.startswith("export ")]
    assert [line.split("=")[0] for line in exports] == [
        "export BITBUCKET_API_URL", "export BITBUCKET_EMAIL", "export BITBUCKET_TOKEN",
    ]  # fmt: skip


def test_serve_takes_fault_options() -> None:
    out = io.StringIO()
    answers: list[int] = []

    def use_then_interrupt() -> None:
        time.sleep(0.3)
        url = re.search(r"^export BITBUCKET_API_URL=(\S+)$", out.getvalue(), re.M)
        if url:
            answers.extend(requests.get(url[1] + "/user").status_code for _ in range(4))
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=use_then_interrupt, daemon=True).start()
    serve(prs=5, out=out, rate_limit_every=2, retry_after=1)
    assert answers == [401, 429, 401, 429]
    assert "# Faults: rate_limit_every=2, retry_after=1" in out.getvalue()
    with pytest.raises(TypeError):
        serve(prs=5, out=out, error_rate=0.5)
    with pytest.raises(ValueError):
        serve(prs=5, out=out, drop_connection_probability=3)


def test_serve_takes_quirk_options() -> None:
    out = io.StringIO()
    answers: list[int] = []

    def use_then_interrupt() -> None:
        time.sleep(0.3)
        text = out.getvalue()
        url = re.search(r"^export BITBUCKET_API_URL=(\S+)$", text, re.M)
        email = re.search(r"^export BITBUCKET_EMAIL=(\S+)$", text, re.M)
        token = re.search(r"^export BITBUCKET_TOKEN=(\S+)$", text, re.M)
        if url and email and token:
            answers.append(requests.get(url[1] + "/repositories/acme/widgets/pullrequests",
                                        params={"q": "id > 1"},
                                        auth=(email[1], token[1])).status_code)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=use_then_interrupt, daemon=True).start()
    serve(prs=5, out=out, id_filters="500", sort_ignored=True)
    assert answers == [500]
    assert "# Quirks: id_filters='500', sort_ignored=True" in out.getvalue()
    with pytest.raises(ValueError):
        serve(prs=5, out=out, id_filters="maybe")
