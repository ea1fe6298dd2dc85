"""Values bbpr cannot use, from the command line or the environment: bytes that are not
UTF-8 text, control characters in an address, a proxy bbpr cannot go through. Each is exit
2 and one sentence naming the option or the variable (and never showing a secret), before
any request: never the exit 1 of a bug."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bbpr.emulator import Emulator
from bbpr.http.proxies import serving

from ..conftest import bbpr, cloud_environment

NOT_UTF8 = "\udcff\udcfe"
"""The bytes 0xff 0xfe as Python keeps them (surrogateescape); a subprocess gets them back
as the bytes."""


def clean(err: str) -> bool:
    return "Traceback" not in err and "unexpectedly" not in err


@pytest.mark.parametrize("option", ["--author", "--reviewer", "--source", "--destination",
                                    "--query", "--fields", "--repos", "--email", "-R"])
def test_an_option_holding_bytes_that_are_not_text_is_named(emulator: Emulator,
                                                            option: str) -> None:
    before = emulator.request_count
    run = bbpr("list", *(["acme"] if option != "-R" else []), option, f"a{NOT_UTF8}",
               env=cloud_environment(emulator))
    assert run.code == 2, run.err
    assert "'a\\xff\\xfe' holds bytes that are not UTF-8 text" in run.err, run.err
    assert f"'{option}'" in run.err and clean(run.err)
    assert emulator.request_count == before


def test_an_argument_holding_bytes_that_are_not_text_is_named(emulator: Emulator) -> None:
    for args in (["list", f"acme/w{NOT_UTF8}"], ["view", "acme/widgets", NOT_UTF8],
                 ["sync", f"acme{NOT_UTF8}"], ["doctor", f"acme{NOT_UTF8}"]):
        run = bbpr(*args, env=cloud_environment(emulator))
        assert run.code == 2, (args, run.err)
        assert "holds bytes that are not UTF-8 text" in run.err and clean(run.err)


def test_a_path_may_be_any_bytes(emulator: Emulator, tmp_path: Path) -> None:
    db = f"{tmp_path}/copy{NOT_UTF8}.sqlite"
    synced = bbpr("sync", "acme/widgets", "--db", db, env=cloud_environment(emulator))
    assert synced.code == 0, synced.err
    listed = bbpr("list", "acme/widgets", "--cached", "--db", db, "--format", "ids",
                  env=cloud_environment(emulator))
    assert listed.code == 0 and len(listed.out.split()) == len(
        [pr for pr in emulator.pull_requests("acme", "widgets") if pr["state"] == "OPEN"])


@pytest.mark.parametrize("variable", ["BITBUCKET_EMAIL", "BITBUCKET_TOKEN", "BITBUCKET_SERVER",
                                      "BITBUCKET_API_URL", "BITBUCKET_USERNAME"])
@pytest.mark.parametrize("command", ["list", "doctor", "sync"])
def test_a_variable_holding_bytes_that_are_not_text_is_named(
        emulator: Emulator, variable: str, command: str, tmp_path: Path) -> None:
    value = {"BITBUCKET_API_URL": emulator.cloud_api_url,
             "BITBUCKET_SERVER": emulator.datacenter_url}.get(variable, "dana@example.com")
    env = cloud_environment(emulator, **{variable: value + NOT_UTF8})
    if variable == "BITBUCKET_USERNAME":
        env |= {"BITBUCKET_SERVER": emulator.datacenter_url, "BITBUCKET_PASSWORD": "secret"}
        del env["BITBUCKET_TOKEN"]
    repo = "ACME/widgets" if "BITBUCKET_SERVER" in env else "acme/widgets"
    extra = ["--db", str(tmp_path / "copy.sqlite")] if command == "sync" else []
    before = emulator.request_count
    run = bbpr(command, repo, *extra, env=env)
    said = run.out + run.err  # doctor says it in its report, on stdout
    assert run.code == 2, said
    assert variable in said and "bytes that are not UTF-8 text" in said, said
    assert clean(said) and "\\xff" not in said
    assert emulator.request_count == before


@pytest.mark.parametrize("tail", ["\x1b[2J", "/a\tb", "\x7f"])
def test_an_api_address_holding_a_control_character_is_named(emulator: Emulator,
                                                              tail: str) -> None:
    env = cloud_environment(emulator, BITBUCKET_API_URL=emulator.cloud_api_url + tail)
    for command in (["list", "acme/widgets"], ["doctor", "acme/widgets"]):
        run = bbpr(*command, env=env)
        assert run.code == 2, run.err
        assert "BITBUCKET_API_URL holds a control character" in run.out + run.err
        assert clean(run.err) and "\x1b" not in run.out + run.err


@pytest.mark.parametrize(("setting", "words"), [
    ({"ALL_PROXY": "socks5://127.0.0.1:9"}, "ALL_PROXY names a SOCKS proxy, which bbpr goes "
     "through with its socks extra: pip install 'bbpr[socks]'"),
    ({"HTTPS_PROXY": "::bad"}, "HTTPS_PROXY is not a proxy URL bbpr can use (its port is not "
     "a number)"),
    ({"http_proxy": "ftp://proxy.example"}, "http_proxy names a ftp:// proxy"),
    ({"HTTPS_PROXY": "http://dana:hunter2@[::1"}, "HTTPS_PROXY is not a proxy URL"),
])
def test_a_proxy_setting_bbpr_cannot_use_is_named(emulator: Emulator, setting: dict[str, str],
                                                  words: str) -> None:
    if "socks" in str(setting) and importlib.util.find_spec("socksio") is not None:
        pytest.skip("the socks extra is installed here: SOCKS proxies are gone through")
    env = cloud_environment(emulator, **setting)
    env.pop("NO_PROXY")  # else the emulator's 127.0.0.1 bypasses every proxy
    before = emulator.request_count
    for command in (["list", "acme/widgets"], ["doctor", "acme/widgets"]):
        run = bbpr(*command, env=env)
        said = run.out + run.err
        assert run.code == 2, said
        assert words in said and clean(said) and "hunter2" not in said
    assert emulator.request_count == before


def test_a_proxy_that_does_not_answer_is_named_not_the_host_behind_it(
        emulator: Emulator) -> None:
    with socket.socket() as closed:  # a port nothing listens on once it is closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = cloud_environment(emulator, HTTP_PROXY=f"http://dana:hunter2@127.0.0.1:{port}")
    env.pop("NO_PROXY")
    before = emulator.request_count
    run = bbpr("list", "acme/widgets", "--max-wait", "5", env=env)
    assert run.code == 5, run.err
    assert (f"Could not connect to the proxy HTTP_PROXY (127.0.0.1:{port}) to reach "
            f"{emulator.cloud_api_url.split('/')[2]}: the connection was refused or failed. "
            "Check HTTP_PROXY") in run.err
    assert "hunter2" not in run.err and emulator.request_count == before
    # NO_PROXY naming the host: straight to it, as httpx goes.
    direct = bbpr("list", "acme/widgets", env=env | {"no_proxy": "localhost,127.0.0.1"})
    assert direct.code == 0, direct.err


def test_the_proxy_named_is_the_one_httpx_takes() -> None:
    url = "https://api.bitbucket.org/2.0/repositories"
    assert serving(url, {"HTTPS_PROXY": "http://a:b@proxy.example:3128",
                         "ALL_PROXY": "http://other.example"}
                   ) == ("HTTPS_PROXY", "proxy.example:3128")
    assert serving(url, {"https_proxy": "lower.example:8080", "HTTPS_PROXY": "upper.example"}
                   ) == ("https_proxy", "lower.example:8080")  # the lower case wins
    assert serving(url, {"HTTP_PROXY": "http://plain.example",
                         "ALL_PROXY": "socks5://s.example:1080"}
                   ) == ("ALL_PROXY", "s.example:1080")  # HTTP_PROXY is for http:// alone
    assert serving(url, {"HTTPS_PROXY": "proxy.example", "NO_PROXY": ".bitbucket.org"}) is None
    assert serving(url, {"HTTPS_PROXY": "proxy.example", "NO_PROXY": "*"}) is None
    assert serving(url, {"HTTPS_PROXY": "proxy.example", "NO_PROXY": "itbucket.org"}
                   ) == ("HTTPS_PROXY", "proxy.example")
    assert serving(url, {}) is None


@pytest.mark.parametrize("command", [["list", "acme/widgets"], ["doctor", "acme/widgets"],
                                     ["auth", "login", "--email", "dana@example.com",
                                      "--insecure-storage"]])
def test_a_token_on_standard_input_that_is_not_text_is_named(
        emulator: Emulator, command: list[str], tmp_path: Path) -> None:
    """Where the locale's standard input is strict about its encoding (en_US.UTF-8, as
    PYTHONIOENCODING makes it here), bytes that are not UTF-8 cannot be read at all."""
    env = cloud_environment(emulator, PYTHONIOENCODING="utf-8:strict",
                            BBPR_CONFIG_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "bbpr", *command, "--with-token"], env=env,
                          input=b"ATATT\xff\xfe\n", capture_output=True, timeout=60, check=False)
    said = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert done.returncode == 2, said
    assert "standard input holds bytes that are not text" in said and clean(said)
