"""A host that accepts connections and never answers: the run says so early (one line on
stderr, within the first timeout, piped or not), the progress line names the host it waits
for, and the sentence it gives up with holds the real figures."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from bbpr.errors import NetworkError
from bbpr.http import Http, HttpOptions

from ..conftest import base_environment
from ..fakes import API_TOKEN
from ..terminal import run as on_terminal


@pytest.fixture
def silent_host() -> Iterator[str]:
    """`host:port` of a socket that listens and never accepts: the kernel completes the
    connections, and no answer ever comes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def environment(host: str) -> dict[str, str]:
    return base_environment() | {"BITBUCKET_API_URL": f"http://{host}/2.0",
                                 "BITBUCKET_EMAIL": "dana@example.com",
                                 "BITBUCKET_TOKEN": API_TOKEN,
                                 "BBPR_CONFIG_DIR": "/nonexistent/bbpr"}


def test_piped_the_run_says_early_which_host_is_silent_and_gives_up_with_figures(
        silent_host: str) -> None:
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "bbpr", "list", "acme/widgets",
                                "--max-wait", "4", "--format", "ids"],
                               env=environment(silent_host), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    first = process.stderr.readline()
    said_after = time.monotonic() - started
    rest = process.stderr.read()
    assert process.wait(timeout=60) == 5
    assert said_after < 4, "said within the first try's timeout, before giving up"
    assert first.startswith(f"{silent_host} has not answered in 2 s. bbpr waits up to 4 s for "
                            "an answer, and tries again, up to 6 tries a request, until 4 s "
                            "have gone to waiting in all (--max-wait).")
    assert re.fullmatch(
        rf"{re.escape(silent_host)} did not answer: 1 try went unanswered, 4 s of waiting in "
        r"all, and bbpr gave up as --max-wait \(4 s\) left no time to try again\. .+\n", rest)
    assert "several times" not in rest


def test_the_progress_line_names_the_host_it_waits_for(silent_host: str) -> None:
    screen = on_terminal("bbpr list acme/widgets --max-wait 4 --format ids > /dev/null",
                         environment(silent_host))
    assert screen.code == 5
    assert f"Waiting for {silent_host} to answer: 0 pull requests" in screen.output
    # The line saying so early is a line of its own: the progress line was erased first.
    said = next(line for line in screen.lines if "has not answered" in line)
    assert re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", said).startswith(
        f"{silent_host} has not answered in 2 s.")


def test_every_try_timed_out_is_counted_and_said_once(silent_host: str) -> None:
    said: list[str] = []
    options = HttpOptions(timeout=1.0, max_attempts=2, backoff=0.01, notice=said.append)

    async def ask() -> None:
        http = Http(f"http://{silent_host}/2.0", options=options)
        try:
            await http.get("/user", decode=lambda body: body)
        finally:
            await http.aclose()

    with pytest.raises(NetworkError) as raised:
        asyncio.run(ask())
    assert raised.value.message.startswith(
        f"{silent_host} did not answer: 2 tries went unanswered, 2 s of waiting in all, and "
        "bbpr gave up after 2 tries of one request.")
    assert said == [f"{silent_host} has not answered in 0 s. bbpr waits up to 1 s for an "
                    "answer, and tries again, up to 2 tries a request, until 600 s have gone "
                    "to waiting in all (--max-wait)."]
