"""`bbpr auth login|status|logout`, then `bbpr list` with no variables set."""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from bbpr.cli import cli
from bbpr.emulator import Emulator

from ..conftest import base_environment, bbpr
from ..fakes import API_TOKEN, DATACENTER_TOKEN, EMAIL
from ..memory_keyring import MemoryKeyring

NO_KEYRING = "keyring.backends.fail.Keyring"


def login_environment(emu: Emulator, config: Path) -> dict[str, str]:
    """No credential variables: only where the API is, where config lives, and no keyring."""
    return base_environment() | {"BITBUCKET_API_URL": emu.cloud_api_url,
                                 "BBPR_CONFIG_DIR": str(config),
                                 "PYTHON_KEYRING_BACKEND": NO_KEYRING}


def test_login_with_insecure_storage_then_list(emulator: Emulator, tmp_path: Path) -> None:
    env = login_environment(emulator, tmp_path)
    login = bbpr("auth", "login", "--email", emulator.demo.email, "--with-token",
                 "--insecure-storage", env=env, input=emulator.demo.api_token + "\n")
    assert login.code == 0, login.err
    assert "Logged in to" in login.out and "Dana Demo" in login.out
    config = tmp_path / "hosts.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert emulator.demo.api_token not in login.out + login.err

    listed = bbpr("list", "acme/widgets", "--state", "all", "--format", "ids", env=env)
    assert listed.code == 0, listed.err
    assert len(listed.out.split()) == len(emulator.pull_requests("acme", "widgets"))

    status = bbpr("auth", "status", env=env)
    assert status.code == 0, status.out + status.err
    assert "Dana Demo" in status.out and "read:pullrequest:bitbucket" in status.out

    logout = bbpr("auth", "logout", env=env)
    assert logout.code == 0 and "Forgot" in logout.out
    assert "secret" not in config.read_text()
    after = bbpr("list", "acme/widgets", env=env)
    assert after.code == 4


def test_no_keyring_and_no_flag_refuses_before_asking(emulator: Emulator, tmp_path: Path) -> None:
    run = bbpr("auth", "login", "--email", emulator.demo.email, "--with-token",
               env=login_environment(emulator, tmp_path), input=emulator.demo.api_token)
    assert run.code == 2 and "--insecure-storage" in run.err
    assert not (tmp_path / "hosts.toml").exists()


def test_a_refused_token_is_not_stored(emulator: Emulator, tmp_path: Path) -> None:
    wrong = emulator.demo.api_token[:-12] + "AAAA" + emulator.demo.api_token[-8:]
    run = bbpr("auth", "login", "--email", emulator.demo.email, "--with-token",
               "--insecure-storage", env=login_environment(emulator, tmp_path), input=wrong)
    assert run.code == 3 and "refused" in run.err
    assert not (tmp_path / "hosts.toml").exists()


def test_a_token_without_the_pull_request_scope_is_not_stored(emulator: Emulator,
                                                              tmp_path: Path) -> None:
    token = emulator.add_api_token(scopes=("read:repository:bitbucket", "read:user:bitbucket"))
    run = bbpr("auth", "login", "--email", emulator.demo.email, "--with-token",
               "--insecure-storage", env=login_environment(emulator, tmp_path), input=token)
    assert run.code == 3 and "read:pullrequest:bitbucket" in run.err
    assert not (tmp_path / "hosts.toml").exists()


def test_status_fails_for_a_broken_login(emulator: Emulator, tmp_path: Path) -> None:
    env = login_environment(emulator, tmp_path)
    assert bbpr("auth", "login", "--email", emulator.demo.email, "--with-token",
                "--insecure-storage", env=env, input=emulator.demo.api_token).code == 0
    config = tmp_path / "hosts.toml"
    config.write_text(config.read_text().replace(emulator.demo.api_token, "ATATT-revoked"))
    status = bbpr("auth", "status", env=env)
    assert status.code == 3 and "FAILED" in status.out


def test_nothing_configured() -> None:
    status = bbpr("auth", "status", env=base_environment() | {
        "BBPR_CONFIG_DIR": "/nonexistent/bbpr", "PYTHON_KEYRING_BACKEND": NO_KEYRING})
    assert status.code == 3 and "auth login" in status.err


@pytest.mark.parametrize(("setting", "said"), [
    ({"BITBUCKET_API_URL": "ftp://x", "BITBUCKET_EMAIL": EMAIL, "BITBUCKET_TOKEN": API_TOKEN},
     ("the API token for dana@example.com from the environment",
      "FAILED: BITBUCKET_API_URL='ftp://x' is not a URL")),
    ({"BITBUCKET_SERVER": "ftp://x", "BITBUCKET_TOKEN": DATACENTER_TOKEN},
     ("the token from the environment",
      "FAILED: The server address 'ftp://x' (BITBUCKET_SERVER) is not a URL")),
])
def test_status_with_an_address_that_is_no_url_names_it_and_the_credential(
        setting: dict[str, str], said: tuple[str, str]) -> None:
    status = bbpr("auth", "status", env=base_environment() | setting | {
        "BBPR_CONFIG_DIR": "/nonexistent/bbpr", "PYTHON_KEYRING_BACKEND": NO_KEYRING})
    credential, failure = said
    # Bad input, as `bbpr list` ends with it; the credential that is there is named.
    assert status.code == 2, status.out + status.err
    assert f"credential: {credential}" in status.out and failure in status.out
    assert API_TOKEN not in status.out and DATACENTER_TOKEN not in status.out


def test_a_config_file_others_can_read_is_refused(emulator: Emulator, tmp_path: Path) -> None:
    env = login_environment(emulator, tmp_path)
    assert bbpr("auth", "login", "--email", emulator.demo.email, "--with-token",
                "--insecure-storage", env=env, input=emulator.demo.api_token).code == 0
    (tmp_path / "hosts.toml").chmod(0o644)
    run = bbpr("list", "acme/widgets", env=env)
    assert run.code == 2 and f"chmod 600 {tmp_path / 'hosts.toml'}" in run.err


def test_secrets_are_never_command_line_values(emulator: Emulator, tmp_path: Path) -> None:
    env = login_environment(emulator, tmp_path)
    for args in (["auth", "login", "--token", "x"], ["list", "acme/widgets", "--token", "x"],
                 ["list", "acme/widgets", "--password", "x"]):
        run = bbpr(*args, env=env)
        assert run.code == 2 and "No such option" in run.err


def test_list_with_token_from_stdin(emulator: Emulator) -> None:
    env = base_environment() | {"BITBUCKET_API_URL": emulator.cloud_api_url,
                                "PYTHON_KEYRING_BACKEND": NO_KEYRING,
                                "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}
    run = bbpr("list", "acme/widgets", "--email", emulator.demo.email, "--with-token",
               "--format", "ids", env=env, input=emulator.demo.api_token + "\n")
    assert run.code == 0, run.err
    assert sorted(map(int, run.out.split())) == sorted(
        pr["id"] for pr in emulator.pull_requests("acme", "widgets") if pr["state"] == "OPEN")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def run_in_process(args: list[str], env: dict[str, str], stdin: str = "",
                   capsys: pytest.CaptureFixture[str] | None = None) -> int:
    """Run the CLI in this process, so that it uses the in-memory keyring."""
    saved_env, saved_stdin = dict(os.environ), sys.stdin
    os.environ.clear()
    os.environ.update(env)
    sys.stdin = io.StringIO(stdin)
    try:
        result = cli.main(args=args, prog_name="bbpr", standalone_mode=False)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.stdin = saved_stdin
    return int(result or 0)


def test_login_into_the_keyring_then_list(emulator: Emulator, tmp_path: Path,
                                          memory_keyring: MemoryKeyring,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    env = base_environment() | {"BITBUCKET_API_URL": emulator.cloud_api_url,
                                "BBPR_CONFIG_DIR": str(tmp_path)}
    code = run_in_process(["auth", "login", "--email", emulator.demo.email, "--with-token"],
                          env, stdin=emulator.demo.api_token)
    assert code == 0
    assert "OS keyring" in capsys.readouterr().out
    assert list(memory_keyring.passwords.values()) == [emulator.demo.api_token]
    assert emulator.demo.api_token not in (tmp_path / "hosts.toml").read_text()

    code = run_in_process(["list", "acme/widgets", "--state", "merged", "--format", "ids"], env)
    assert code == 0
    merged = {pr["id"] for pr in emulator.pull_requests("acme", "widgets")
              if pr["state"] == "MERGED"}
    assert {int(line) for line in capsys.readouterr().out.split()} == merged

    assert run_in_process(["auth", "logout"], env) == 0
    assert memory_keyring.passwords == {}


def test_several_hosts_cloud_and_data_center(emulator: Emulator, tmp_path: Path) -> None:
    env = login_environment(emulator, tmp_path)
    cloud = bbpr("auth", "login", "--email", emulator.demo.email, "--with-token",
                 "--insecure-storage", env=env, input=emulator.demo.api_token)
    datacenter = bbpr("auth", "login", "--server", emulator.datacenter_url, "--with-token",
                      "--insecure-storage", env=env, input=emulator.dc_demo.token)
    assert cloud.code == datacenter.code == 0, cloud.err + datacenter.err
    status = bbpr("auth", "status", env=env)
    assert status.code == 0, status.out
    assert emulator.cloud_api_url in status.out and f"{emulator.datacenter_url}\n" in status.out
    listed = bbpr("list", "ACME/widgets", "--server", emulator.datacenter_url, "--state", "all",
                  "--format", "ids", env=env)
    assert listed.code == 0, listed.err
    assert len(listed.out.split()) == len(emulator.dc_pull_requests("ACME", "widgets"))
    assert bbpr("auth", "logout", "--server", emulator.datacenter_url, env=env).code == 0
    assert bbpr("list", "ACME/widgets", "--server", emulator.datacenter_url, env=env).code == 3
    assert bbpr("list", "acme/widgets", env=env).code == 0


def test_status_says_which_credential_is_used(emulator: Emulator, tmp_path: Path) -> None:
    env = login_environment(emulator, tmp_path)
    login = bbpr("auth", "login", "--email", emulator.demo.email, "--with-token",
                 "--insecure-storage", env=env, input=emulator.demo.api_token + "\n")
    assert login.code == 0, login.err
    both = env | {"BITBUCKET_EMAIL": emulator.demo.email,
                  "BITBUCKET_TOKEN": emulator.demo.api_token}
    status = bbpr("auth", "status", env=both)
    assert status.code == 0, status.out + status.err
    assert status.out.count(emulator.cloud_api_url) == 2
    assert "used: yes, the environment comes before stored logins" in status.out
    assert "used: no, while the environment holds a credential" in status.out
    alone = bbpr("auth", "status", env=env)
    assert "used:" not in alone.out
