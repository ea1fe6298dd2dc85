"""`serve()`: run an emulator in the foreground and tell the user how to point bbpr at it;
`run()`: the same for both command lines (see `command_line`).

The printed lines are shell: comments, and `export` lines for Cloud that a user can paste
(or `eval`) as they are. The Data Center hints are comments, so that pasting the whole
output never sets BITBUCKET_SERVER beside the Cloud variables by accident (bbpr would then
pick Data Center); each Data Center line, uncommented, is a working `export` too. Run top
to bottom, commented lines included, every command works (`banner`).
"""

from __future__ import annotations

import errno
import shlex
import sys
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TextIO

from .app import Emulator
from .command_line import QUIRKS
from .faults import Faults
from .settings import Settings
from .switch import id_list


class PortUnusable(Exception):
    """The port asked for cannot be bound; the message says what to do instead."""


def serve(
    port: int = 0,
    prs: int = 120,
    seed: int = 1,
    latency_ms: float = 0,
    *,
    out: TextIO | None = None,
    now: datetime | None = None,
    **options: Any,
) -> None:
    """Run an emulator in the foreground until Ctrl-C; print how to point bbpr at it.

    `options` are `Faults` fields by name (`jitter_ms=50, rate_limit_every=10,
    retry_after=1, server_error_probability=0.1, drop_connection_probability=0.05...`)
    and the server quirks of `Settings` named in `QUIRKS` (`id_filters="500"`,
    `sort_ignored=True`, `changes_every=3`...); an unknown name is a TypeError and a
    meaningless value a ValueError, before serving.
    """
    out = out or sys.stdout
    quirks = {name: options.pop(name) for name in QUIRKS if name in options}
    Settings(**quirks)  # checks them before anything is served
    chosen = Faults(latency_ms=float(latency_ms), **options)
    with Emulator(prs=prs, seed=seed, port=port, now=now) as emulator:
        emulator.faults = chosen
        for name, value in quirks.items():
            setattr(emulator.settings, name, value)
        print("\n".join(banner(emulator, prs)), file=out, flush=True)
        stop = threading.Event()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            print("# Stopped.", file=out, flush=True)


def run(arguments: Mapping[str, Any]) -> None:
    """`serve()` what a command line chose (`command_line.arguments`), until Ctrl-C."""
    try:
        serve(**arguments)
    except OSError as error:  # binding the port: in use, or reserved for root
        port = arguments.get("port")
        reason = ("is already in use" if error.errno == errno.EADDRINUSE
                  else f"cannot be used ({error.strerror or error})")
        raise PortUnusable(f"Port {port} on 127.0.0.1 {reason}; pick another with --port, or "
                           "--port 0 for any free one.") from None


def banner(emulator: Emulator, prs: int) -> list[str]:
    """Blocks in the order they work when run top to bottom: Cloud's exports and a command,
    the practice lines (each sets its one variable), then Data Center, first as a command
    that carries its own token (so it works after the Cloud exports), then as exports that
    take over the shell."""
    demo, dc = emulator.demo, emulator.dc_demo
    server = emulator.datacenter_url
    repo = f"{demo.workspace}/{demo.repo_slug}"
    return [
        f"# Bitbucket emulator (Ctrl-C to stop): Cloud API at {emulator.cloud_api_url} "
        f"(the base, /2.0 included), Data Center at {server}",
        f"# Demo repository: {repo} ({prs} pull requests). Bitbucket Cloud, in this shell:",
        f"export BITBUCKET_API_URL={shlex.quote(emulator.cloud_api_url)}",
        f"export BITBUCKET_EMAIL={shlex.quote(demo.email)}",
        f"export BITBUCKET_TOKEN={shlex.quote(demo.api_token)}",
        f"#   bbpr list {repo} --state all",
        f"# Repository access token (Bearer): {demo.access_token}",
        f"# OAuth consumer: {demo.oauth_client_id} / {demo.oauth_client_secret}",
        *practice_lines(emulator),
        f"# Data Center (REST under {server}/rest/api/latest; personal repository "
        f"{dc.personal_repo}), its token given with the command, so that it works after the "
        "Cloud exports too:",
        f"#   BITBUCKET_TOKEN={shlex.quote(dc.token)} bbpr list {dc.project}/{dc.repo_slug} "
        f"--server {shlex.quote(server)}",
        "# Or Data Center for this shell (BITBUCKET_SERVER takes over from the Cloud variables):",
        f"# export BITBUCKET_SERVER={shlex.quote(server)}",
        f"# export BITBUCKET_TOKEN={shlex.quote(dc.token)}",
        f"#   bbpr list {dc.project}/{dc.repo_slug}",
        "# Or a user name and password instead of the token:",
        f"# unset BITBUCKET_TOKEN; export BITBUCKET_USERNAME={shlex.quote(dc.username)}"
        f" BITBUCKET_PASSWORD={shlex.quote(dc.password)}",
        f"#   bbpr list {dc.project}/{dc.repo_slug}",
        *faults_line(emulator.faults),
        *quirks_line(emulator.settings),
    ]


def practice_lines(emulator: Emulator) -> list[str]:
    """Wrong credentials, each labelled, as commands to paste: what `bbpr doctor` (or any
    command) says about the troubleshooting cases users meet, tried without an account."""
    demo = emulator.demo
    repo = f"{demo.workspace}/{demo.repo_slug}"
    cases = [
        ("a token made without scopes", "BITBUCKET_TOKEN", emulator.add_api_token(scopes=())),
        ("a token made for another product (Jira)", "BITBUCKET_TOKEN",
         emulator.add_api_token(scopes=("read:jira-work", "read:jira-user"))),
        ("an expired token", "BITBUCKET_TOKEN", emulator.add_api_token(expired=True)),
        ("an app password (removed on 28 July 2026)", "BITBUCKET_TOKEN", demo.app_password),
        ("the Bitbucket username where the email goes", "BITBUCKET_EMAIL", demo.username),
    ]
    return ["# Practice: wrong credentials, to see what bbpr says about each (after the Cloud "
            "exports above):",
            *(f"#   {label}: {name}={shlex.quote(value)} bbpr doctor {repo}"
              for label, name, value in cases)]


def quirks_line(settings: Settings) -> list[str]:
    default = Settings()
    changed = {name: getattr(settings, name) for name in QUIRKS
               if getattr(settings, name) != getattr(default, name)}
    if "changes" in changed:
        changed["changes"] = ",".join(sorted(changed["changes"]))
    if "missing_ids" in changed:
        changed["missing_ids"] = id_list(changed["missing_ids"])
    if not changed:
        return []
    return ["# Quirks: " + ", ".join(f"{name}={value!r}" for name, value in changed.items())]


def faults_line(faults: Faults) -> list[str]:
    active = faults.active()
    if not active:
        return []
    return ["# Faults: " + ", ".join(f"{name}={value!r}" for name, value in active.items())]
