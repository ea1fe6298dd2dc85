"""Secrets stay secret: the config file is never written through a file that is not bbpr's
own, URLs with a user or password in them are refused without being repeated, and no error a
caller can catch holds a credential anywhere in its chain."""

from __future__ import annotations

import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bbpr import Client, GaveUpError
from bbpr.credentials.kinds import Credentials, Secret
from bbpr.emulator import Emulator
from bbpr.http import HttpOptions

from ..conftest import base_environment, bbpr

NO_KEYRING = "keyring.backends.fail.Keyring"
PASSWORD = "hunter2-Secret-9f8e7d"


def login_environment(emu: Emulator, config: Path) -> dict[str, str]:
    return base_environment() | {"BITBUCKET_API_URL": emu.cloud_api_url,
                                 "BBPR_CONFIG_DIR": str(config),
                                 "PYTHON_KEYRING_BACKEND": NO_KEYRING}


def login(emu: Emulator, config: Path) -> None:
    run = bbpr("auth", "login", "--email", emu.demo.email, "--with-token", "--insecure-storage",
               env=login_environment(emu, config), input=emu.demo.api_token + "\n")
    assert run.code == 0, run.err


def test_a_stale_temporary_file_does_not_make_the_config_readable(emulator: Emulator,
                                                                  tmp_path: Path) -> None:
    stale = tmp_path / "hosts.tmp"
    stale.write_text("left over\n")
    stale.chmod(0o644)
    login(emulator, tmp_path)
    config = tmp_path / "hosts.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert emulator.demo.api_token in config.read_text()
    assert stale.read_text() == "left over\n"  # never written through
    assert sorted(path.name for path in tmp_path.iterdir()) == ["hosts.tmp", "hosts.toml"]


def test_a_planted_link_is_not_followed_when_the_config_is_written(emulator: Emulator,
                                                                   tmp_path: Path) -> None:
    victim = tmp_path / "elsewhere.txt"
    victim.write_text("mine\n")
    config_dir = tmp_path / "config"
    config_dir.mkdir(mode=0o700)
    for name in ("hosts.tmp", ".hosts.tmp"):
        (config_dir / name).symlink_to(victim)
    login(emulator, config_dir)
    assert victim.read_text() == "mine\n"
    assert stat.S_IMODE((config_dir / "hosts.toml").stat().st_mode) == 0o600


@pytest.mark.parametrize("where", ["--server", "BITBUCKET_SERVER", "BITBUCKET_API_URL",
                                   "pasted URL"])
@pytest.mark.parametrize("command", ["list", "sync", "doctor"])
def test_a_url_with_a_password_is_refused_without_repeating_it(
        emulator: Emulator, tmp_path: Path, where: str, command: str) -> None:
    env = base_environment() | {"BBPR_CONFIG_DIR": str(tmp_path / "config"),
                                "BITBUCKET_TOKEN": "BBDC-" + "Q" * 40}
    host = emulator.base_url.split("://", 1)[1]
    with_password = f"http://dana:{PASSWORD}@{host}"
    target = "ACME/widgets"
    args: list[str] = []
    if where == "--server":
        args = ["--server", with_password]
    elif where == "BITBUCKET_SERVER":
        env["BITBUCKET_SERVER"] = with_password
    elif where == "BITBUCKET_API_URL":
        env |= {"BITBUCKET_API_URL": with_password + "/2.0", "BITBUCKET_TOKEN": "ATCTT" + "Q" * 40}
        target = "acme/widgets"
    else:
        target = f"{with_password}/projects/ACME/repos/widgets/browse"
    db = tmp_path / "copy.sqlite"
    extra = ["--db", str(db)] if command == "sync" else []
    before = emulator.request_count
    run = bbpr(command, target, *args, *extra, env=env)
    assert run.code == 2, run.err
    assert "has a user name or password in it" in run.err + run.out  # doctor: on stdout
    for leak in (PASSWORD, PASSWORD[:8], "dana:"):
        assert leak not in run.err + run.out
    assert not db.exists()
    assert emulator.request_count == before  # refused before any request


def chain(error: BaseException) -> Iterator[BaseException]:
    seen: list[BaseException] = []
    stack = [error]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.append(current)
        yield current
        stack += [link for link in (current.__cause__, current.__context__) if link is not None]


def everything_in(error: BaseException) -> str:
    """What an error reporter that walks the chain could capture: each link's text, its
    attributes, and the headers of any request or response it holds."""
    parts = []
    for link in chain(error):
        parts += [str(link), repr(link), repr(link.args), repr(vars(link))]
        for name in ("request", "response", "_request"):
            held = getattr(link, name, None) if name in vars(link) else None
            if held is not None and hasattr(held, "headers"):
                parts.append(repr(dict(held.headers)))
    return "\n".join(parts)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


@pytest.mark.parametrize("failure", ["refused", "no answer"])
def test_no_error_in_the_chain_keeps_the_credential(failure: str, silent_port: int) -> None:
    token = "ATATT3xFfGF0" + "kQ9" * 20 + "=1A2B3C4D"
    credentials = Credentials(kind="api_token", user="dana@example.com", secret=Secret(token))
    port = 9 if failure == "refused" else silent_port
    caught: BaseException | None = None
    with Client(credentials=credentials, api_url=f"http://127.0.0.1:{port}/2.0",
                options=HttpOptions(max_wait=1, timeout=1)) as bb:
        try:
            bb.pull_request_ids("acme/widgets")
        except GaveUpError as error:
            caught = error
    assert caught is not None
    text = everything_in(caught)
    assert token not in text
    basic = credentials.authorization()
    assert basic is not None and basic.split()[1] not in text
    assert not any(type(link).__module__.startswith("httpx") for link in chain(caught))


def test_a_token_with_letters_outside_ascii_is_exit_2() -> None:
    env = base_environment() | {"BITBUCKET_API_URL": "http://127.0.0.1:9/2.0",
                                "BITBUCKET_TOKEN": "ATCTT" + "é" * 30,
                                "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}
    run = bbpr("list", "acme/widgets", env=env)
    assert run.code == 2, run.err
    assert "damaged when copied" in run.err
