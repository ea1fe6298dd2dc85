"""Every input a user or a server can get wrong, through the real command line: exit 2 (or
the 3/4/5 docs/exit-codes.md gives), one sentence, never the exit 1 of a bug, never a traceback."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bbpr.emulator import Emulator
from bbpr.emulator.messages import Request, Response

from ..conftest import base_environment, bbpr, cloud_environment


def clean(err: str) -> bool:
    return "Traceback" not in err and "unexpectedly" not in err


@pytest.mark.parametrize(("args", "words"), [
    (["--state", ""], "The state is empty"),
    (["--max-wait", "nan"], "is not a number of seconds"),
    (["--updated-since", "99999999d"], "is not a date"),
    (["--updated-since", "9999-12-31T23:59-12:00"], "is not a date"),
    (["--updated-since", "0001-01-01"], "before 1970"),
    (["--repos", "api-*"], "is one repository"),
    (["--db", "copy.sqlite"], "add --cached"),
])
def test_bad_options_are_exit_2_before_any_request(emulator: Emulator, args: list[str],
                                                   words: str) -> None:
    before = emulator.request_count
    run = bbpr("list", "acme/widgets", *args, env=cloud_environment(emulator))
    assert run.code == 2, run.err
    assert words in run.err and clean(run.err)
    assert emulator.request_count == before


@pytest.mark.parametrize("api_url", ["http://127.0.0.1:abc/2.0", "http://[::1/2.0"])
def test_urls_that_do_not_parse_are_exit_2(api_url: str) -> None:
    for args in (["list", "acme/widgets"], ["doctor", "acme/widgets"]):
        run = bbpr(*args, env=base_environment() | {"BITBUCKET_API_URL": api_url})
        assert run.code == 2, run.err + run.out
        assert "is not a URL" in run.err + run.out and clean(run.err)
    run = bbpr("list", "ACME/widgets", "--server", api_url.removesuffix("/2.0"),
               env=base_environment())
    assert run.code == 2 and "is not a URL" in run.err


@pytest.mark.parametrize(("content", "words"), [
    (b"\xff\xfe not utf-8", "could not be read"),
    (b'hosts = "x"\n', "is damaged"),
    (b'[hosts."http://127.0.0.1:9/2.0"]\nflavour = "cloud"\nkind = "wizard"\n'
     b'storage = "file"\nsecret = "x"\n', "is damaged"),
])
def test_a_damaged_config_file_is_exit_2(tmp_path: Path, content: bytes, words: str) -> None:
    (tmp_path / "hosts.toml").write_bytes(content)
    (tmp_path / "hosts.toml").chmod(0o600)
    env = base_environment() | {"BBPR_CONFIG_DIR": str(tmp_path),
                                "BITBUCKET_API_URL": "http://127.0.0.1:9/2.0"}
    for args in (["list", "acme/widgets"], ["auth", "status"]):
        run = bbpr(*args, env=env)
        assert run.code == 2, (args, run.err)
        assert words in run.err and clean(run.err)


def test_a_config_dir_that_is_a_file_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "config").write_text("not a directory")
    env = base_environment() | {"BBPR_CONFIG_DIR": str(tmp_path / "config"),
                                "BITBUCKET_API_URL": "http://127.0.0.1:9/2.0",
                                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    for args in (["list", "acme/widgets"], ["auth", "status"], ["auth", "logout"]):
        run = bbpr(*args, env=env)
        assert run.code == 2, (args, run.err)
        assert "BBPR_CONFIG_DIR" in run.err and clean(run.err)


def test_the_emulator_on_a_port_in_use_is_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        run = bbpr("emulator", "--port", str(port), env=base_environment())
    assert run.code == 2, run.err
    assert f"Port {port} on 127.0.0.1 is already in use" in run.err and clean(run.err)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(prs=160, seed=4) as emulator:
        yield emulator


def test_a_malformed_retry_after_is_backed_off_and_loses_nothing(emu: Emulator) -> None:
    answered: list[str] = []

    def soon(request: Request) -> Response | None:
        if request.path.endswith("/pullrequests"):
            answered.append(request.path)
            if len(answered) == 2:
                return Response(429, b"Rate limit for this resource has been exceeded.",
                                {"Content-Type": "text/plain", "Retry-After": "soon"})
        return None

    emu.hooks.append(soon)
    run = bbpr("list", "acme/widgets", "--state", "all", "--format", "ids",
               env=cloud_environment(emu))
    assert run.code == 0, run.err
    assert len(run.out.split()) == 160


def test_a_redirect_from_cloud_is_exit_2_and_not_followed(emu: Emulator) -> None:
    def moved(request: Request) -> Response | None:
        if request.path.endswith("/pullrequests"):
            return Response(302, b"", {"Location": "http://localhost:9/elsewhere"})
        return None

    emu.hooks.append(moved)
    run = bbpr("list", "acme/widgets", env=cloud_environment(emu))
    assert run.code == 2, run.err
    assert "bbpr follows no redirects" in run.err and clean(run.err)


def test_a_status_the_api_never_gives_is_exit_5(emu: Emulator) -> None:
    emu.hooks.append(lambda request: Response(418, b"I'm a teapot", {}))
    run = bbpr("list", "acme/widgets", env=cloud_environment(emu))
    assert run.code == 5, run.err
    assert "HTTP 418" in run.err and clean(run.err)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts connections (the kernel does, into the backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_max_wait_bounds_a_server_that_never_answers(silent_port: int, flavour: str) -> None:
    env = base_environment() | {"BBPR_CONFIG_DIR": "/nonexistent/bbpr"}
    if flavour == "cloud":
        env |= {"BITBUCKET_API_URL": f"http://127.0.0.1:{silent_port}/2.0",
                "BITBUCKET_TOKEN": "ATCTT" + "Q" * 40}
        args = ["list", "acme/widgets", "--max-wait", "3"]
    else:
        env |= {"BITBUCKET_TOKEN": "BBDC-" + "Q" * 40}
        args = ["list", "ACME/widgets", "--server", f"http://127.0.0.1:{silent_port}",
                "--max-wait", "3"]
    started = time.monotonic()
    run = bbpr(*args, env=env)
    took = time.monotonic() - started
    assert run.code == 5, run.err
    assert "did not answer" in run.err and clean(run.err)
    assert took < 12, f"--max-wait 3 took {took:.0f} s"
