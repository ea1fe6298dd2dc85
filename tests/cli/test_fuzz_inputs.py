"""Arbitrary text at every option, argument and environment variable of every command, bytes
that are not UTF-8 among it, and bbpr's own state files (the ledger, its salt, the
credentials file) damaged: never exit 1, never a traceback, never a secret in the output.

The command line runs in this process (as in `test_redaction_property`), against the
session's emulator on 127.0.0.1. Two limits keep the fuzzing on this machine and in its
temporary directory, and nothing else: free text never holds `://` (so it never names a host
to reach), and the URLs it does try point at the emulator or at a closed loopback port, with
fuzzed paths; paths (`--db`, `BBPR_CONFIG_DIR`) are relative, under a temporary working
directory, with HOME and the XDG directories there too. `bbpr emulator` and `bbpr demo` are
left out: a valid set of their options serves until interrupted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
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
NOT_UTF8 = ("\udcff", "\udcfe", "\udc80", "\udce9")
"""Bytes that are not UTF-8, as Python keeps them from argv and the environment."""
not_utf8 = st.lists(st.one_of(st.sampled_from(NOT_UTF8), free_text, likely), min_size=1,
                    max_size=4).map("".join).filter(
    lambda text: any(c in text for c in NOT_UTF8) and "://" not in text)
words = st.one_of(free_text, shaped, likely, likely, not_utf8)
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
             "--max-wait", "--ca-bundle", "--db", "--email", "--username", "--reviewer",
             "--created-since"],
    "view": ["--server", "--email", "--username"],
    "sync": ["--server", "--db", "--concurrency", "--max-wait", "--ca-bundle", "--email",
             "--username"],
    "doctor": ["--server", "--format", "--ca-bundle", "--email", "--username"],
    "auth login": ["--server", "--email", "--username"],
    "auth status": [],
    "auth logout": ["--server"],
}
FLAGS: dict[str, list[str]] = {
    "list": ["--cached", "--with-token", "--debug", "--quiet", "--count", "--draft"],
    "view": ["--with-token", "--debug"],
    "sync": ["--full", "--status", "--with-token", "--debug"],
    "doctor": ["--with-token", "--debug"],
    "auth login": ["--with-token", "--insecure-storage", "--debug"],
    "auth status": ["--debug"],
    "auth logout": ["--debug"],
}
SECRET_VARIABLES = ("BITBUCKET_TOKEN", "BITBUCKET_PASSWORD", "BITBUCKET_OAUTH_CLIENT_SECRET")
OTHER_VARIABLES = ("BITBUCKET_EMAIL", "BITBUCKET_USERNAME", "BITBUCKET_OAUTH_CLIENT_ID")
URL_VARIABLES = ("BITBUCKET_SERVER", "BITBUCKET_API_URL")
SETTING_VARIABLES = ("COLUMNS", "LINES", "BBPR_PAGER", "PAGER", "NO_COLOR", "TERM",
                     "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "SSL_CERT_FILE")
"""Read by bbpr or by httpx. `NO_PROXY` stays 127.0.0.1 and localhost (and `no_proxy` is never
set, since it would win): a proxy, whatever it names, is never gone through, so nothing but
the emulator is ever reached."""
STATE_FILES = ("ledger-salt", "ledger.sqlite", "hosts.toml")


SALTS: tuple[bytes | None, ...] = (None, b"", b"ab" * 32, b"ab" * 31, b" " + b"cd" * 32 + b"\n",
                                  b"zz", b"\xff\xfe")
"""The ledger's salt as a file may hold it (None: a directory in its place), readable or
not (issue 25 item 6)."""
LEDGERS: tuple[bytes | str | None, ...] = (
    None, b"", b"garbage", b"SQLite format 3\x00" + bytes(200),
    "CREATE TABLE spent (key TEXT, at REAL, requests INTEGER)",
    "CREATE TABLE allowances (key TEXT, allowance INTEGER, window REAL, seen_at REAL); "
    "INSERT INTO allowances VALUES ('x', -1, 0, 1e300)")
"""The ledger as a file may hold it: None a directory, text SQL run into a new database."""
HOSTS = (None, b"", b"\xff\xfe\x00", b"hosts = 5", b"[hosts.x]\nkind = 1\n",
         b'[hosts."https://api.bitbucket.org/2.0"]\nflavour = "cloud"\nkind = "api_token"\n'
         b'storage = "file"\nuser = "dana@example.com"\nsecret = [1, 2]\n',
         b'[hosts."' + b"\x1b[2J" + b'"]\nflavour = "x"\n', b"[[hosts]]\n")
"""The credentials file as it may be found (None: a directory in its place)."""
state_files = st.fixed_dictionaries({}, optional={
    "ledger-salt": st.sampled_from(SALTS), "ledger.sqlite": st.sampled_from(LEDGERS),
    "hosts.toml": st.sampled_from(HOSTS)})


def lay_out(files: dict[str, object], state: Path, config: Path) -> None:
    """Put bbpr's own files in the state and config directories as `files` says; nothing
    else is left there from the example before."""
    for directory in (state, config):
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(mode=0o700)
    for name, content in files.items():
        path = (config if name == "hosts.toml" else state) / name
        if content is None:
            path.mkdir()
        elif isinstance(content, str):
            with contextlib.closing(sqlite3.connect(path)) as db:
                db.executescript(content)
        else:
            path.write_bytes(content)
            path.chmod(0o600)


@st.composite
def invocations(draw: st.DrawFn, emu: Emulator
                ) -> tuple[list[str], dict[str, str], str, dict[str, object]]:
    command = draw(st.sampled_from(sorted(COMMANDS)))
    args = command.split()
    if command in ("list", "sync", "doctor", "view"):
        args.append(draw(st.one_of(words, urls(emu))))
    if command == "view":
        args.append(draw(st.one_of(words, st.integers(-2, 300).map(str))))
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
    # Working credentials unless fuzzed away, so that many runs get as far as the server; an
    # access token at times, whose ledger key reads the salt.
    environ = {"BITBUCKET_API_URL": emu.cloud_api_url, "BITBUCKET_EMAIL": emu.demo.email,
               "BITBUCKET_TOKEN": emu.demo.api_token}
    if draw(st.booleans()):
        environ = {"BITBUCKET_API_URL": emu.cloud_api_url,
                   "BITBUCKET_TOKEN": emu.demo.access_token}
    for name in draw(st.lists(st.sampled_from(SECRET_VARIABLES + OTHER_VARIABLES + URL_VARIABLES
                                              + SETTING_VARIABLES + ("BBPR_CONFIG_DIR",)),
                              max_size=3, unique=True)):
        if name in SECRET_VARIABLES:
            environ[name] = draw(secrets)
        elif name in URL_VARIABLES:
            environ[name] = draw(st.one_of(urls(emu), words))
        elif name == "BBPR_CONFIG_DIR":
            environ[name] = draw(relative_paths)
        else:
            environ[name] = draw(words)
    stdin = draw(st.one_of(secrets, st.just("")))
    return args, environ, stdin, draw(state_files)


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
            "BBPR_STATE_DIR": str(tmp_path / "bbpr-state"),
            "NO_PROXY": "127.0.0.1,localhost,::1",
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
    def check(invocation: tuple[list[str], dict[str, str], str, dict[str, object]]) -> None:
        args, environ, stdin, files = invocation
        lay_out(files, Path(sandbox["BBPR_STATE_DIR"]), Path(sandbox["BBPR_CONFIG_DIR"]))
        code, out, err = run_in_process(args, sandbox | environ, stdin)
        output = out + err
        assert code != 1, f"exit 1 for {args} {environ} {files}: {output}"
        assert "Traceback" not in output, output
        assert SECRET_MARK not in output, f"a secret leaked for {args} {environ}: {output}"

    check()
