"""Injected faults: what a client's retry, back-off and validation code must survive.

`Faults` is plain configuration (settable from tests, `serve()` and both command lines,
whose switches its fields declare); `FaultInjector` is the per-emulator machinery the
dispatcher consults on every request. Faults apply to API requests only (`/2.0/...` and
`/rest/...`, plus the OAuth token endpoint when `include_oauth` is set); latency and jitter
apply to every request, as the old `settings.latency_ms` did. Which paths are an API's, and
how its 429s and 5xx are worded, each API says (`messages.Area`): this module knows no
envelope.

Reproducible: one RNG, seeded from the emulator's seed, makes the same number of draws for
every API request whatever is enabled, and counters number API requests from 1. So the
same requests, in the same order, meet the same faults run after run. Assigning a new
`Faults` object (`emu.faults = Faults(...)`) restarts the numbering and the RNG.

Order of precedence for one request: rate limit (429), server error burst (JSON 5xx), HTML
proxy error, dropped connection, a 200 that is not a page; otherwise the API answers, and
may then be truncated or have its `next` link pointed elsewhere.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from .messages import Area, Request, Response, encode_json
from .switch import integer, number, one_of, switch, window

CLOUD_PULL_REQUEST_LIST = re.compile(r"/2\.0/repositories/[^/]+/[^/]+/pullrequests/?")
_STATUS_TEXT = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                504: "Gateway Timeout"}  # fmt: skip


@dataclass
class Faults:
    """What to inject; every field is read per request, so tests may change it at any time.

    Each field is a command-line switch too (`switch`); the names below are the fields'.

    - `latency_ms`, `jitter_ms`: delay every answer by latency plus a uniform extra in
      [0, jitter) (all requests, OAuth included; the delay overlaps between requests).
    - `rate_limit_every`: every Nth API request answers 429; `rate_limit_probability`: any
      request does with this probability. `retry_after`: seconds sent as `Retry-After` on
      every 429 (none when None: Bitbucket does not promise one).
    - `rate_limit_window`: `(limit, seconds)`, a rolling window per credential (Basic user,
      Bearer token, or anonymous) on the emulator's clock; requests beyond `limit` in the
      last `seconds` get 429. Cloud repository/project/workspace access tokens (Bearer
      `ATCTT...`) also get `X-RateLimit-Limit`, `X-RateLimit-Resource: api` and
      `X-RateLimit-NearLimit` ("true" when under 20% of the limit remains), on every answer.
    - `server_error_every` / `server_error_probability`: a burst of `server_error_burst`
      consecutive JSON errors with status `server_error_status` (500, 502, 503 or 504)
      starts at every Nth API request (requests N..N+K-1, 2N..2N+K-1, ...) / with this
      probability.
    - `html_error_probability`: a proxy's HTML error page with `html_error_status`.
    - `drop_connection_probability`: close the connection without answering.
    - `truncate_probability`: send the headers (full `Content-Length`) and half the body,
      then close.
    - `foreign_next_link`: an origin (e.g. `http://localhost:9`) that replaces the
      emulator's in the `next` link of Cloud pull request list pages; a client must refuse
      to send credentials there.
    - `not_a_page_from`, `not_a_page_count`: API requests number N..N+K-1 answer 200 with
      `not_a_page_body`, JSON that is no page of any endpoint (`{}`, or the maintenance
      message a proxy or a maintenance window gives), where a client must not see an
      empty last page. Numbered, not drawn, so the random sequence stays as it was.
    - `include_oauth`: apply the faults to `POST /site/oauth2/access_token` too.
    """

    latency_ms: float = switch(0.0, "--latency-ms", "Delay added to every response, in "
                               "milliseconds.", parse=number(0), metavar="MS")
    jitter_ms: float = switch(0.0, "--jitter-ms", "A random extra delay of up to this many "
                              "milliseconds.", parse=number(0), metavar="MS")
    rate_limit_every: int | None = switch(None, "--rate-limit-every", "Answer every Nth API "
                                          "request with 429.", parse=integer(1), metavar="N")
    rate_limit_probability: float = switch(
        0.0, "--rate-limit-rate", "Answer API requests with 429 with this probability.",
        parse=number(0, 1), metavar="P", aliases=("--rate-limit-probability",))
    retry_after: float | None = switch(
        None, "--retry-after", "Send Retry-After with each 429 (default: none, as Cloud often "
        "does).", parse=number(0), metavar="SECONDS")
    rate_limit_window: tuple[int, float] | None = switch(
        None, "--rate-limit-window", "A rolling window per credential, as Cloud counts: at "
        "most N requests per WINDOW (100/10s, 1000/1h); beyond it 429, plain text, no "
        "Retry-After.", parse=window, metavar="N/WINDOW")
    server_error_every: int | None = switch(
        None, "--error-every", "Start a burst of 5xx errors every Nth API request.",
        parse=integer(1), metavar="N", aliases=("--server-error-every",))
    server_error_probability: float = switch(
        0.0, "--error-rate", "Start a burst of 5xx errors with this probability.",
        parse=number(0, 1), metavar="P", aliases=("--server-error-probability",))
    server_error_burst: int = switch(
        1, "--error-burst", "Consecutive 5xx answers in a burst.", parse=integer(1),
        metavar="K", aliases=("--server-error-burst",))
    server_error_status: int = switch(
        503, "--error-status", "The status of those 5xx answers.", parse=one_of(_STATUS_TEXT),
        metavar="STATUS", aliases=("--server-error-status",))
    html_error_probability: float = switch(
        0.0, "--html-error-rate", "Answer with a proxy's HTML error page with this "
        "probability.", parse=number(0, 1), metavar="P", aliases=("--html-error-probability",))
    html_error_status: int = switch(
        502, "--html-error-status", "The status of that page.", parse=one_of(_STATUS_TEXT),
        metavar="STATUS")
    drop_connection_probability: float = switch(
        0.0, "--drop-rate", "Close the connection without answering with this probability.",
        parse=number(0, 1), metavar="P", aliases=("--drop-connection-probability",))
    truncate_probability: float = switch(
        0.0, "--truncate-rate", "Cut response bodies short with this probability.",
        parse=number(0, 1), metavar="P", aliases=("--truncate-probability",))
    foreign_next_link: str | None = switch(
        None, "--foreign-next-link", "Point the next links of Cloud pull request pages at "
        "this origin (http://localhost:9), where no credentials may go.", parse=str,
        metavar="URL")
    not_a_page_from: int | None = switch(
        None, "--not-a-page-from", "API requests from the Nth on answer 200 with JSON that "
        "is no page.", parse=integer(1), metavar="N")
    not_a_page_count: int = switch(1, "--not-a-page-count", "How many do, from "
                                   "--not-a-page-from.", parse=integer(1), metavar="K")
    not_a_page_body: str = switch('{"message": "Down for maintenance"}', "--not-a-page-body",
                                  "The JSON they answer.", parse=str, metavar="JSON")
    include_oauth: bool = switch(False, "--include-oauth", "Faults reach the OAuth token "
                                 "endpoint too.")

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Raise ValueError for settings that cannot mean anything."""
        for name in ("latency_ms", "jitter_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be zero or more")
        for name in ("rate_limit_every", "server_error_every"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be 1 or more (or None)")
        for item in fields(self):
            if item.name.endswith("_probability") and not 0 <= getattr(self, item.name) <= 1:
                raise ValueError(f"{item.name} must be between 0 and 1")
        if self.not_a_page_from is not None and self.not_a_page_from < 1:
            raise ValueError("not_a_page_from must be 1 or more (or None)")
        if self.not_a_page_count < 1:
            raise ValueError("not_a_page_count must be 1 or more")
        if self.server_error_burst < 1:
            raise ValueError("server_error_burst must be 1 or more")
        for name in ("server_error_status", "html_error_status"):
            if getattr(self, name) not in _STATUS_TEXT:
                raise ValueError(f"{name} must be one of {sorted(_STATUS_TEXT)}")
        window = self.rate_limit_window
        if window is not None and (len(window) != 2 or window[0] < 1 or window[1] <= 0):
            raise ValueError("rate_limit_window must be (limit >= 1, seconds > 0)")

    def active(self) -> dict[str, Any]:
        """The fields that differ from their defaults (what `serve()` prints)."""
        return {
            item.name: getattr(self, item.name)
            for item in fields(self)
            if getattr(self, item.name) != item.default
        }


@dataclass
class Plan:
    """What the injector decided for one request, before the API runs."""

    delay: float = 0.0  # seconds
    answer: Response | None = None  # answer instead of the API
    truncate: bool = False
    headers: dict[str, str] = field(default_factory=dict)  # add to whatever is answered


@dataclass
class _State:
    faults: Faults | None = None
    number: int = 0  # API requests seen, numbered from 1
    burst_left: int = 0
    windows: dict[str, deque[float]] = field(default_factory=dict)


class FaultInjector:
    """Decides, per request, which fault (if any) it meets; thread-safe."""

    def __init__(self, faults: Callable[[], Faults], seed: int, clock: Callable[[], datetime]):
        self._faults = faults
        self._seed = seed
        self._clock = clock
        self._lock = threading.Lock()
        self._state = _State()
        self._rng = random.Random()  # noqa: S311 (seeded in _restart: faults must replay)

    def before(self, request: Request, area: Area | None) -> Plan:
        """`area`: the API whose path this is (None: no API's, and no fault reaches it)."""
        with self._lock:
            faults = self._faults()
            if faults is not self._state.faults:
                self._restart(faults)
            plan = Plan(delay=(faults.latency_ms + self._rng.random() * faults.jitter_ms) / 1000)
            if area is None or (area.token_endpoint and not faults.include_oauth):
                return plan
            self._state.number += 1
            draws = [self._rng.random() for _ in range(5)]
            plan.answer = self._answer(request, area, faults, draws, plan.headers)
            plan.truncate = plan.answer is None and draws[4] < faults.truncate_probability
        return plan

    def after(self, request: Request, response: Response, plan: Plan) -> Response:
        for name, value in plan.headers.items():
            response.headers.setdefault(name, value)
        if plan.truncate:
            response.transport = "truncate"
        foreign = self._faults().foreign_next_link
        if foreign and response.status == 200 and CLOUD_PULL_REQUEST_LIST.fullmatch(request.path):
            response.body = _point_next_at(response.body, foreign)
        return response

    def _restart(self, faults: Faults) -> None:
        self._state = _State(faults)
        self._rng.seed(f"bbpr-emulator/{self._seed}/faults")

    def _answer(
        self,
        request: Request,
        area: Area,
        faults: Faults,
        draws: list[float],
        headers: dict[str, str],
    ) -> Response | None:
        state = self._state
        every = faults.rate_limit_every
        if (every and state.number % every == 0) or draws[0] < faults.rate_limit_probability:
            return area.errors.rate_limited(_retry_after(faults))
        if faults.rate_limit_window and not self._within_window(request, faults, headers):
            return area.errors.rate_limited(_retry_after(faults))
        if self._server_error(faults, draws[1]):
            status = faults.server_error_status
            return area.errors.server_error(status, _STATUS_TEXT[status])
        if draws[2] < faults.html_error_probability:
            return _html_error(faults.html_error_status)
        if draws[3] < faults.drop_connection_probability:
            return Response(0, transport="drop")
        first = faults.not_a_page_from
        if first is not None and first <= state.number < first + faults.not_a_page_count:
            return Response(200, faults.not_a_page_body.encode(),
                            {"Content-Type": "application/json"})
        return None

    def _server_error(self, faults: Faults, draw: float) -> bool:
        state = self._state
        if state.burst_left > 0:
            state.burst_left -= 1
            return True
        every, burst = faults.server_error_every, faults.server_error_burst
        if every and state.number >= every and state.number % every < burst:
            return True
        if draw < faults.server_error_probability:
            state.burst_left = burst - 1
            return True
        return False

    def _within_window(self, request: Request, faults: Faults, headers: dict[str, str]) -> bool:
        assert faults.rate_limit_window is not None
        limit, seconds = faults.rate_limit_window
        authorization = request.header("authorization") or ""
        now = self._clock().timestamp()
        window = self._state.windows.setdefault(_caller(authorization), deque())
        while window and window[0] <= now - seconds:
            window.popleft()
        allowed = len(window) < limit
        if allowed:
            window.append(now)
        if authorization.startswith("Bearer ATCTT"):  # only access tokens are told
            near = limit - len(window) < 0.2 * limit
            headers.update({"X-RateLimit-Limit": str(limit), "X-RateLimit-Resource": "api",
                            "X-RateLimit-NearLimit": "true" if near else "false"})  # fmt: skip
        return allowed


def _caller(authorization: str) -> str:
    """Whose allowance a request uses: the Basic user, the Bearer token, or anonymous."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "basic":
        try:
            user = base64.b64decode(value.strip()).decode("utf-8", "replace").partition(":")[0]
        except (binascii.Error, ValueError):
            user = value
        return "user:" + user.lower()
    return f"token:{value.strip()}" if value else "anonymous"


def _retry_after(faults: Faults) -> dict[str, str]:
    if faults.retry_after is None:
        return {}
    seconds = faults.retry_after
    return {"Retry-After": str(int(seconds)) if seconds == int(seconds) else str(seconds)}


def _html_error(status: int) -> Response:
    title = f"{status} {_STATUS_TEXT[status]}"
    page = (
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1>\n"
        "<p>The proxy server received an invalid response from an upstream server.</p>\n"
        "<hr><address>nginx</address></body></html>\n"
    )
    return Response(status, page.encode(), {"Content-Type": "text/html"})


def _point_next_at(body: bytes, origin: str) -> bytes:
    page = json.loads(body)
    if "next" not in page:
        return body
    parts = urlsplit(page["next"])
    page["next"] = origin.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
    return encode_json(page)
