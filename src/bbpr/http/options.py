"""What a caller may tune about the network, and what a run cost.

Plain data, apart from the client that reads and fills it, so that the CLI, the library and
the benchmarks can build options and read the counts without touching httpx.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pacing import Pacing


@dataclass
class HttpOptions:
    """How hard to push and how long to persist."""

    concurrency: int = 8
    timeout: float = 30.0
    max_attempts: int = 6
    """Tries per request, the first included."""
    max_wait: float = 600.0
    """Seconds the whole run may spend waiting before giving up: back-off, rate-limit pauses,
    and tries that timed out or failed (each try's timeout is capped by what is left)."""
    backoff: float = 0.5
    """The first back-off in seconds; it doubles with each retry, with full jitter."""
    ca_bundle: str | None = None
    trace: Callable[[str], None] | None = None
    """Receives `--debug` text, already redacted."""
    pacing: Pacing | None = None
    """Count requests in the ledger and keep within the allowance (the command line sets it;
    a library user may)."""
    notice: Callable[[str], None] | None = None
    """Receives what the user should know while the run goes, each once a run: a host that
    has not answered a try for a while, and what bbpr will do (`silence`); a field mended
    (`surrogates`). The command line prints it on stderr, clear of the progress line."""


@dataclass
class Stats:
    """What a run cost, for the summary line and the benchmarks."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    waited: float = 0.0
    near_limit: bool = False
    """The server said the rate limit is near (X-RateLimit-NearLimit): requests are spaced."""
    unpaired_surrogates: int = 0
    """Answers whose unpaired surrogates became U+FFFD (see `surrogates`)."""
    server_date: datetime | None = None
    """The newest `Date` the server sent: its own clock, which `sync` caps watermarks at."""
    allowance: int | None = None
    """The requests the credential may spend in the window, where known (see `pacing`)."""
    allowance_wait_until: float | None = None
    """While waiting for the allowance (`--wait`): when the wait ends (epoch seconds)."""
    allowance_waited: bool = False
    waiting_for: str | None = None
    """A host that has not answered a try for a while, as long as it has not (`silence`)."""
    unanswered: int = 0
    """Tries that timed out without an answer."""
