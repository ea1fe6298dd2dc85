"""Arbitrary text at every option, argument and environment variable of every command: never
exit 1, never a traceback, never a secret in the output.

The command line runs in this process (as in `test_redaction_property`), against the
session's emulator on 127.0.0.1. Two limits keep the fuzzing on this machine and in its
temporary directory, and nothing else: free text never holds `://` (so it never names a host
to reach), and the URLs it does try point at the emulator or at a closed loopback port, with
fuzzed paths; paths (`--db`, `BBPR_CONFIG_DIR`) are relative, under a temporary working
directory, with HOME and the XDG directories there too. `bbpr emulator` and `bbpr demo` are
left out: a valid set of their options serves until interrupted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bbpr.emulator import Emulator

from ..conftest import base_environment, run_in_process

SECRET_MARK = "Sx9Qz4Lw2Vb7"
"""Ends every fuzzed secret, so that a secret in the output is found whatever it is."""

characters = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
free_text = st.text(characters, max_size=30).filter(lambda text: "://" not in text)
# Spaces, commas, dashes and the characters of names and dates, more often than chance would.
shaped = st.text(st.sampled_from("abcACME-_./~{}<>@:, 0123456789TZdhw+é\n\t'\""), max_size=20)
likely = st.sampled_from(
    ["", " ", "-", "--", "all", "open", "acme", "acme/widgets", "ACME/widgets", "7d", "0", "-1",
     "nan", "inf", "1e309", "9" * 30, "2026-01-31", "@me", "json", "ids", "id,title", "3",
     "merged,declined", "main", "api-*", "dana"])
words = st.one_of(free_text, shaped, likely, likely)
relative_paths = st.text(st.sampled_from("abc._-/ é"), min_size=1, max_size=12).filter(
    lambda path: not path.startswith(("/", "~")) and ".." not in path)
secrets = st.builds(lambda body: body + SECRET_MARK, st.one_of(free_text, st.sampled_from(
    ["ATATT3xFfGF0", "ATCTT3xFfGF0", "BBDC-", "ATBB", ""])))


def urls(emu: Emulator) -> st.SearchStrategy[str]:
    """Loopback URLs only (the emulator, or a closed port), with fuzzed ports and paths."""
    host = emu.base_url.split("://", 1)[1].split(":")[0]
    port = emu.base_url.rsplit(":", 1)[1]
    return st.builds(
        lambda scheme, where, tail: f"{scheme}://{where}{tail}",
        st.sampled_from(["http", "https"]),
        st.sampled_from([f"{host}:{port}", f"{host}:9", f"{host}:{port}abc", f"[::1{port}",
                         f"u:{SECRET_MARK}@{host}:{port}", f"{host}:{port}/2.0"]),
        st.text(st.sampled_from("abc/2.0?#%[]@: "), max_size=12))


COMMANDS: dict[str, list[str]] = {
    "list": ["--server", "--state", "--author", "--source", "--destination", "--updated-since",
             "--query", "--limit", "--format", "--fields", "--repos", "--concurrency",
             "--max-wait", "--ca-bundle", "--db", "--email", "--username"],
    "sync": ["--server", "--db", "--concurrency", "--max-wait", "--ca-bundle", "--email",
             "--username"],
    "doctor": ["--server", "--format", "--ca-bundle", "--email", "--username"],
    "auth login": ["--server", "--email", "--username"],
    "auth status": [],
    "auth logout": ["--server"],
}
FLAGS: dict[str, list[str]] = {
    "list": ["--cached", "--with-token", "--debug", "--quiet"],
    "sync": ["--full", "--status", "--with-token", "--debug"],
    "doctor": ["--with-token", "--debug"],
    "auth login": ["--with-token", "--insecure-storage", "--debug"],
    "auth status": ["--debug"],
    "auth logout": ["--debug"],
}
SECRET_VARIABLES = ("BITBUCKET_TOKEN", "BITBUCKET_PASSWORD", "BITBUCKET_OAUTH_CLIENT_SECRET")
OTHER_VARIABLES = ("BITBUCKET_EMAIL", "BITBUCKET_USERNAME", "BITBUCKET_OAUTH_CLIENT_ID")
URL_VARIABLES = ("BITBUCKET_SERVER", "BITBUCKET_API_URL")


@st.composite
def invocations(draw: st.DrawFn, emu: Emulator) -> tuple[list[str], dict[str, str], str]:
    command = draw(st.sampled_from(sorted(COMMANDS)))
    args = command.split()
    if command in ("list", "sync", "doctor"):
        args.append(draw(st.one_of(words, urls(emu))))
    for option in draw(st.lists(st.sampled_from(COMMANDS[command] or ["--debug"]),
                                max_size=3, unique=True)):
        if option == "--debug":
            args.append(option)
        elif option in ("--db", "--ca-bundle"):
            args += [option, draw(relative_paths)]
        elif option == "--server":
            args += [option, draw(st.one_of(urls(emu), words))]
        else:
            args += [option, draw(words)]
    args += draw(st.lists(st.sampled_from(FLAGS[command]), max_size=2, unique=True))
    # Working credentials unless fuzzed away, so that many runs get as far as the server.
    environ = {"BITBUCKET_API_URL": emu.cloud_api_url, "BITBUCKET_EMAIL": emu.demo.email,
               "BITBUCKET_TOKEN": emu.demo.api_token}
    for name in draw(st.lists(st.sampled_from(SECRET_VARIABLES + OTHER_VARIABLES + URL_VARIABLES
                                              + ("BBPR_CONFIG_DIR",)), max_size=3, unique=True)):
        if name in SECRET_VARIABLES:
            environ[name] = draw(secrets)
        elif name in URL_VARIABLES:
            environ[name] = draw(st.one_of(urls(emu), words))
        elif name == "BBPR_CONFIG_DIR":
            environ[name] = draw(relative_paths)
        else:
            environ[name] = draw(words)
    stdin = draw(st.one_of(secrets, st.just("")))
    return args, environ, stdin


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A working directory, HOME and XDG directories of the test's own; restored after."""
    before = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield base_environment() | {
            "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "BBPR_CONFIG_DIR": str(tmp_path / "bbpr-config"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    finally:
        os.chdir(before)


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_no_input_ends_in_exit_1_a_traceback_or_a_secret(emulator: Emulator,
                                                        sandbox: dict[str, str]) -> None:
    # 300 fixed examples in CI (a few seconds); FUZZ_N=3000 explores afresh, at random.
    explore = os.environ.get("FUZZ_N")
    @settings(max_examples=int(explore or 300), deadline=None, derandomize=not explore,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(invocation=invocations(emulator))
    def check(invocation: tuple[list[str], dict[str, str], str]) -> None:
        args, environ, stdin = invocation
        code, out, err = run_in_process(args, sandbox | environ, stdin)
        output = out + err
        assert code != 1, f"exit 1 for {args} {environ}: {output}"
        assert "Traceback" not in output, output
        assert SECRET_MARK not in output, f"a secret leaked for {args} {environ}: {output}"

    check()
