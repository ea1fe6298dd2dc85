"""A credential's hourly allowance: what Bitbucket documents for its kind, whose it is (the
ledger key), where the ledger lives, and the `--allowance N[/WINDOW]` a user may give.

Bitbucket Cloud counts requests per rolling hour: 1,000 for a user's API tokens (all of
them together, so the key is the account, not the token), 1,000 for each repository,
project or workspace access token (scaled up to 10,000 on big paid workspaces: the
`X-RateLimit-Limit` header those tokens get says so), 60 for anonymous requests. Data
Center's limiting is optional and configured per server: bbpr assumes nothing there (no
pacing unless `--allowance` or the server's header says), and so for any API address that
is not Bitbucket Cloud's own (an emulator, a proxy), whose limits nobody documented.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import re
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

from ..connect import CLOUD_API_URL
from ..credentials.kinds import Credentials
from ..errors import InputError
from ..http import Pacing

HOUR = 3600.0
DOCUMENTED: dict[str, int] = {
    "api_token": 1000, "app_password": 1000, "oauth_client": 1000, "bearer_token": 1000,
    "access_token": 1000, "anonymous": 60, "password": 1000,
}  # fmt: skip
"""Cloud's hourly allowance per credential kind (an access token's may be scaled up to
10,000: the server's header says so, and 1,000 is the floor until it does)."""
LEDGER_FILE = "ledger.sqlite"
SALT_FILE = "ledger-salt"

_ALLOWANCE = re.compile(r"^\s*(\d+)\s*(?:/\s*(\d+(?:\.\d+)?)?\s*(s|sec|min|h|hour)?)?\s*$")
_UNITS = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "hour": 3600.0}
_DIGITS = 12
"""Digits read of a figure: longer ones are out of range whatever they say."""
MOST_REQUESTS = 1_000_000
"""The most `--allowance` takes: a hundred times Cloud's largest (10,000 an hour)."""
WINDOWS = (1.0, 86_400.0)
"""The shortest and longest window `--allowance` takes, in seconds."""


def state_directory(environ: Mapping[str, str]) -> Path:
    """bbpr's state directory: `$BBPR_STATE_DIR`, else the platform's user state directory."""
    configured = environ.get("BBPR_STATE_DIR", "").strip()
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_state_dir("bbpr"))


def documented(credentials: Credentials, host: str) -> int | None:
    """The hourly allowance Bitbucket documents for this credential on this host; None where
    nothing is documented (Data Center, or an address that is not Bitbucket Cloud's)."""
    if host.rstrip("/") != CLOUD_API_URL:
        return None
    return DOCUMENTED.get(credentials.kind)


def parse_allowance(text: str) -> tuple[int, float]:
    """`1000` (an hour), `100/10s`, `5000/1h`: requests, and the window in seconds, within
    `MOST_REQUESTS` and `WINDOWS` (a figure beyond them is a typo, and would overflow the
    arithmetic of times)."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    match = _ALLOWANCE.match(text)
    if match is None or not match[1].strip("0"):
        raise InputError(f"--allowance {shown!r} is not an allowance: give the requests an "
                         "hour (1000), or requests per window (100/10s, 500/5min).")
    if match[2] and not match[3]:
        raise InputError(f"--allowance {shown!r}: say the window's unit (s, min or h), as in "
                         "100/10s.")
    requests = _figure(match[1])
    window = _figure(match[2] or "1") * _UNITS[match[3]] if match[3] else HOUR
    if not (requests <= MOST_REQUESTS and WINDOWS[0] <= window <= WINDOWS[1]):
        raise InputError(f"--allowance {shown!r} is out of range: give 1 to "
                         f"{MOST_REQUESTS:,} requests, per a window of 1 s to 24 h (100/10s, "
                         "5000/1h).")
    return int(requests), window


def _figure(digits: str) -> float:
    """A figure as typed; one too long to be in range reads as infinite."""
    return float(digits) if len(digits) <= _DIGITS else math.inf


def ledger_key(credentials: Credentials, host: str, directory: Path, *,
               on_note: Callable[[str], None] | None = None) -> str:
    """Whose allowance a request spends, as a hash: the host and the account (email, user
    name, OAuth client ID), never a secret. A token with no account to name (an access token)
    is named by a keyed hash of it, with a random key that never leaves this machine's state
    directory, so the ledger alone cannot confirm a guessed token (`on_note` is told when a
    damaged key file is replaced)."""
    user = (credentials.user or "").strip().lower()
    if credentials.kind in ("api_token", "app_password", "password"):
        who = f"user:{user}"
    elif credentials.kind == "oauth_client":
        who = f"oauth:{user}"
    elif credentials.kind == "anonymous" or credentials.secret is None:
        who = "anonymous"
    else:
        token = credentials.secret.reveal().encode()
        salt = _salt(directory, on_note)
        who = "token:" + hmac.new(salt, token, hashlib.sha256).hexdigest()
    identity = f"bbpr-ledger\0{host.rstrip('/')}\0{credentials.kind}\0{who}"
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


def pacing(credentials: Credentials, host: str, environ: Mapping[str, str], *,
           given: str | None = None, wait: bool = False,
           on_wait: Callable[[float], None] | None = None,
           on_note: Callable[[str], None] | None = None) -> Pacing:
    """The ledger and allowance for a run of this credential on this host. A state
    directory that cannot hold the ledger's key leaves the run counting in memory (said
    once to `on_note`, as a damaged key replaced is)."""
    directory = state_directory(environ)
    if given is not None:
        allowance: int | None
        allowance, window = parse_allowance(given)
    else:
        allowance, window = documented(credentials, host), HOUR
    pace = Pacing(directory / LEDGER_FILE, "", allowance, window, given=given is not None,
                  wait=wait, on_wait=on_wait, on_note=on_note)
    try:
        pace.key = ledger_key(credentials, host, directory, on_note=on_note)
    except OSError as error:
        pace.key = secrets.token_hex(16)  # this run's own: it shares nothing with others
        pace.ledger_lost(f"{directory / SALT_FILE}: {error.strerror or error}")
    if given is None:
        ledger = pace.ledger()
        try:
            announced = ledger.announced()  # what the server said last time wins
        finally:
            ledger.close()
        if announced is not None:
            pace.allowance = announced[0]
    return pace


def _salt(directory: Path, on_note: Callable[[str], None] | None) -> bytes:
    """The machine's random key for hashing tokens, made once (create-exclusive, 0600). A
    file that holds no key (emptied, edited) is replaced, and `on_note` told; one that cannot
    be read at all is an `OSError` for the caller."""
    path = directory / SALT_FILE
    try:
        return _read_salt(path)
    except FileNotFoundError:
        damaged = False
    except ValueError:
        damaged = True
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    salt = secrets.token_bytes(32)
    # Written whole under a name of its own, then linked into place (which fails if another
    # bbpr got there first) or moved over a damaged one: nobody reads a half-written key.
    draft = directory / f"{SALT_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(salt.hex())
    try:
        if damaged:
            os.replace(draft, path)
        else:
            os.link(draft, path)
    except FileExistsError:
        pass  # another bbpr made it first: theirs is the key
    finally:
        draft.unlink(missing_ok=True)
    if damaged and on_note is not None:
        on_note(f"The ledger's key file {path} held no key (damaged or edited); bbpr "
                "replaced it, so requests counted before for access tokens no longer count.")
    try:
        return _read_salt(path)
    except ValueError:
        return salt  # damaged again meanwhile: this run keeps its own


def _read_salt(path: Path) -> bytes:
    """The key in the file: 64 hex digits, or `ValueError`."""
    text = path.read_bytes().strip()
    if len(text) != 64:
        raise ValueError("not a key")
    return bytes.fromhex(text.decode("ascii"))
