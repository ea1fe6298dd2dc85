"""The one door to the network: the only module that imports httpx.

Everything that must hold for every request lives here, so no caller can forget it:
- origin pinning: requests go only to the API's own origin (plus an explicit allow-list, such
  as the OAuth token endpoint), redirects are never followed, and credentials are attached
  only to the API origin. A `next` link to another host is refused before anything is sent.
- one limiter for the whole run: at most `concurrency` requests in flight, and a 429 pauses
  every worker, not just the one that hit it.
- retries for what retrying can fix (429, 5xx, dropped connections, bodies cut short), with
  exponential back-off and jitter, capped per request and in total time.
- `--debug` traces in the style of `curl -v`, passed through the redactor.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx
import msgspec

from . import _version
from .errors import BbprError, InputError, NetworkError, ProtocolError, RateLimitError, ServerError
from .redaction import Redactor

T = TypeVar("T")
Params = list[tuple[str, str]]

RETRY_STATUSES = frozenset({500, 502, 503, 504})
NEAR_LIMIT_SPACING = 0.5
"""Seconds between request starts once the server warns that its rate limit is near."""
USER_AGENT = f"bbpr/{_version.__version__}"
MIN_ATTEMPT_TIMEOUT = 2.0
"""Seconds a try may always take, however little of `max_wait` is left."""


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


@dataclass
class Stats:
    """What a run cost, for the summary line and the benchmarks."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    waited: float = 0.0
    near_limit: bool = False
    """The server said the rate limit is near (X-RateLimit-NearLimit): requests are spaced."""
    server_date: datetime | None = None
    """The newest `Date` the server sent: its own clock, which `sync` caps watermarks at."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    content: bytes
    url: str

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON (error bodies are often text)."""
        if "json" not in self.headers.get("content-type", ""):
            return None
        try:
            return json.loads(self.content)
        except ValueError:
            return None


@dataclass(frozen=True)
class Reply(Generic[T]):
    """A response, and its body decoded when the status was 2xx."""

    response: Response
    data: T | None = None


class Authorizer(Protocol):
    """Supplies the `Authorization` header, fetching or refreshing a token where needed."""

    async def authorization(self, http: Http) -> str | None: ...

    def forget(self) -> bool:
        """Drop a cached token after a 401; True when asking for a new one may help."""
        ...


@dataclass(frozen=True)
class StaticAuthorizer:
    header: str | None

    async def authorization(self, http: Http) -> str | None:
        return self.header

    def forget(self) -> bool:
        return False


def origin_of(url: str) -> str:
    split = urlsplit(url)
    port = split.port or {"http": 80, "https": 443}.get(split.scheme, 0)
    return f"{split.scheme}://{(split.hostname or '').lower()}:{port}"


def _origin_or_none(url: str) -> str | None:
    """The origin of a URL the server sent; None for one that does not parse (a port that
    is not a number, a bracket left open), which matches no allowed origin."""
    try:
        return origin_of(url)
    except ValueError:
        return None


def _netloc(url: str) -> str:
    try:
        return urlsplit(url).netloc or url[:80]
    except ValueError:
        return url.split("://", 1)[-1].split("/", 1)[0][:80]


def check_transport_security(url: str) -> None:
    """Refuse plain http except to this machine: credentials must not cross a network in clear."""
    split = urlsplit(url)
    if split.scheme == "https":
        return
    if split.scheme == "http" and split.hostname in ("127.0.0.1", "localhost", "::1"):
        return
    raise InputError(
        f"{url} is not an https:// address; bbpr sends credentials only over https, or over "
        "plain http to this machine (127.0.0.1 or localhost)."
    )


@dataclass
class _Pause:
    """The shared rate-limit pause: every worker waits until `until` (loop time)."""

    until: float = 0.0
    consecutive: int = 0
    next_start: float = 0.0
    """Near the limit, the earliest time the next request may start."""


class Http:
    """A pinned, rate-limited, retrying HTTP client for one Bitbucket host."""

    def __init__(
        self,
        base_url: str,
        *,
        authorizer: Authorizer | None = None,
        options: HttpOptions | None = None,
        redactor: Redactor | None = None,
        extra_origins: Iterable[str] = (),
    ) -> None:
        check_transport_security(base_url)
        self.base_url = base_url.rstrip("/")
        self.origin = origin_of(self.base_url)
        self.options = options or HttpOptions()
        self.redactor = redactor or Redactor()
        self.stats = Stats()
        self._authorizer = authorizer or StaticAuthorizer(None)
        self._allowed = {self.origin, *(origin_of(url) for url in extra_origins)}
        self._slots = asyncio.Semaphore(self.options.concurrency)
        self._pause = _Pause()
        self._answered = False
        """Whether a 2xx body has decoded yet: the address is the API's."""
        self._lost_until = 0.0
        """The end of the latest failed try counted as waiting (monotonic clock)."""
        self._client = httpx.AsyncClient(
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=_timeouts(self.options.timeout),
            limits=httpx.Limits(
                max_connections=self.options.concurrency,
                max_keepalive_connections=self.options.concurrency,
            ),
            follow_redirects=False,
            # Origins are pinned: when none is https (an emulator on 127.0.0.1), no TLS can
            # ever be negotiated, and loading a trust store would only slow the start.
            verify=(_ssl_context(self.options.ca_bundle)
                    if any(origin.startswith("https:") for origin in self._allowed) else False),
            http2=_http2_available(),
        )

    async def __aenter__(self) -> Http:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    def url(self, path: str) -> str:
        """An absolute URL for an API path such as `/repositories/ws`."""
        return path if "://" in path else f"{self.base_url}{path}"

    async def get(
        self, url: str, params: Params | None = None, *, decode: Callable[[bytes], T],
        answer_at_once: frozenset[int] = frozenset(),
    ) -> Reply[T]:
        """GET with the API's credentials; `decode` runs on 2xx bodies.

        A 2xx body that does not decode is treated like a 5xx and retried: it is what a body
        cut short, a proxy's HTML page or JSON that is not the endpoint's envelope (`{}`,
        `{"message": "Down for maintenance"}`) looks like. Only a web page before the API
        ever answered is a mistake of the user's: the address is not the API's. Statuses in
        `answer_at_once` are handed back without retrying: a probe's 500 can mean "this
        filter is not supported here", which retrying would only pay for.
        """
        url = self.url(url)
        if _origin_or_none(url) != self.origin:
            raise ProtocolError(
                f"The server sent a link to another host ({_netloc(url)}). bbpr does not "
                f"follow it, so your credentials stay with {_netloc(self.base_url)}."
            )
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            authorization = await self._authorizer.authorization(self)
            response = await self._send("GET", url, params, authorization, attempt,
                                        answer_at_once=answer_at_once)
            if response is None:
                continue
            if response.status == 401 and not refreshed and self._authorizer.forget():
                refreshed = True
                continue
            if not 200 <= response.status < 300:
                return Reply(response)
            try:
                reply = Reply(response, decode(response.content))
            except (msgspec.DecodeError, ValueError):
                if "text/html" in response.headers.get("content-type", "") and not self._answered:
                    raise InputError(
                        f"{urlsplit(url).netloc} answered with a web page instead of its API's "
                        "JSON: the address is not the API's, or a single sign-on proxy answered. "
                        "Check --server or BITBUCKET_API_URL."
                    ) from None
                # Once the API has answered, a web page or a body that is not the endpoint's
                # envelope is a passing fault (a proxy, a maintenance window): retry it.
                failed = _not_the_api(url, response, self.redactor)
            else:
                self._answered = True
                return reply
            await self._back_off(attempt, failed)  # outside the `except`: no chained cause

    async def post_form(
        self, url: str, form: Mapping[str, str], authorization: str
    ) -> Response:
        """POST a form to an allowed origin (the OAuth token endpoint), with retries."""
        if _origin_or_none(url) not in self._allowed:
            raise ProtocolError(f"bbpr does not send credentials to {_netloc(url)}.")
        attempt = 0
        while True:
            attempt += 1
            response = await self._send("POST", url, None, authorization, attempt, form=form)
            if response is not None:
                return response

    async def _send(
        self,
        method: str,
        url: str,
        params: Params | None,
        authorization: str | None,
        attempt: int,
        *,
        form: Mapping[str, str] | None = None,
        answer_at_once: frozenset[int] = frozenset(),
    ) -> Response | None:
        """One try. Returns None when the try failed in a way worth retrying (after waiting)."""
        await self._wait_for_turn()
        headers = {"Authorization": authorization} if authorization else {}
        request = self._client.build_request(
            method, url, params=None if params is None else httpx.QueryParams(tuple(params)),
            headers=headers, data=form,
        )
        async with self._slots:
            self.stats.requests += 1
            self._trace_request(request)
            timeout = self._attempt_timeout()
            request.extensions["timeout"] = _timeouts(timeout).as_dict()
            started = time.monotonic()
            failure: _Failure | None = None
            try:
                raw = await self._client.send(request)
                try:
                    content = await raw.aread()
                finally:
                    await raw.aclose()
            except httpx.TransportError as error:
                failure = _network_error(error, url, timeout)
            # Raised here, outside the `except`: an httpx error in the chain (`__context__`)
            # would carry the request, and with it the Authorization header, to anyone who
            # walks the chain of the error bbpr raises.
            if failure is not None:
                self._count_lost(started, time.monotonic())
                if attempt < min(failure.attempts or self.options.max_attempts,
                                 self.options.max_attempts) and not self._out_of_time():
                    await self._back_off(attempt, failure.error)
                    return None
                raise failure.error
        response = Response(raw.status_code, raw.headers, content, str(raw.url))
        self._trace_response(raw, content)
        if response.headers.get("x-ratelimit-nearlimit", "").lower() == "true":
            self.stats.near_limit = True
        self._note_date(response.headers.get("date"))
        if response.status == 429:
            await self._rate_limited(response, attempt)
            return None
        self._pause.consecutive = 0
        if response.status in RETRY_STATUSES and response.status not in answer_at_once:
            await self._back_off(attempt, ServerError(
                f"{urlsplit(url).netloc} kept failing with HTTP {response.status} "
                f"({raw.reason_phrase}); it may be down or overloaded. Try again later."
            ))
            return None
        return response

    def _note_date(self, value: str | None) -> None:
        moment = _http_date(value)
        if moment is not None and (self.stats.server_date is None
                                   or moment > self.stats.server_date):
            self.stats.server_date = moment

    async def _wait_for_turn(self) -> None:
        """Wait out a rate-limit pause; near the limit, also space requests out."""
        loop = asyncio.get_running_loop()
        while (delay := self._pause.until - loop.time()) > 0:
            await asyncio.sleep(delay)
        if self.stats.near_limit:
            start = max(loop.time(), self._pause.next_start)
            self._pause.next_start = start + NEAR_LIMIT_SPACING
            await asyncio.sleep(start - loop.time())

    async def _rate_limited(self, response: Response, attempt: int) -> None:
        """Pause every worker: honour Retry-After when given, else back off exponentially."""
        self.stats.rate_limited += 1
        self._pause.consecutive += 1
        delay = _retry_after(response.headers)
        if delay is None:
            delay = self._backoff_delay(self._pause.consecutive)
        give_up = RateLimitError(
            f"Bitbucket's rate limit for this credential is used up (HTTP 429), and waiting "
            f"{self.stats.waited:.0f} s did not lift it. The Cloud limit is 1,000 requests an hour "
            "per user; wait and run again, or use an access token, which has its own allowance."
        )
        if attempt >= self.options.max_attempts * 2:
            raise give_up
        # Workers hitting 429 together share one pause: only its extension counts as waiting.
        now = asyncio.get_running_loop().time()
        until = max(self._pause.until, now + delay)
        self._schedule_wait(until - max(self._pause.until, now), give_up)
        self._pause.until = until
        self.stats.retries += 1

    async def _back_off(self, attempt: int, give_up: BbprError) -> None:
        if attempt >= self.options.max_attempts:
            raise give_up
        delay = self._backoff_delay(attempt)
        self._schedule_wait(delay, give_up)
        self.stats.retries += 1
        await asyncio.sleep(delay)

    def _schedule_wait(self, delay: float, give_up: BbprError) -> None:
        if self.stats.waited + delay > self.options.max_wait:
            raise give_up
        self.stats.waited += delay

    def _attempt_timeout(self) -> float:
        """How long one try may take: the timeout, but no longer than what `max_wait` has
        left, since a try that times out is time spent waiting (with a floor, so that a
        nearly spent budget still lets an answering server answer)."""
        left = self.options.max_wait - self.stats.waited
        return min(self.options.timeout, max(left, MIN_ATTEMPT_TIMEOUT))

    def _count_lost(self, started: float, ended: float) -> None:
        """Count the time a failed try took as waiting; tries failing side by side count
        once (the union of their times), as the user's clock sees them."""
        lost = max(0.0, ended - max(started, self._lost_until))
        self._lost_until = max(self._lost_until, ended)
        self.stats.waited += lost

    def _out_of_time(self) -> bool:
        return self.stats.waited >= self.options.max_wait

    def _backoff_delay(self, attempt: int) -> float:
        ceiling = min(60.0, self.options.backoff * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (jitter, not crypto)

    def _trace_request(self, request: httpx.Request) -> None:
        if self.options.trace is None:
            return
        lines = [f"> {request.method} {request.url.raw_path.decode()} HTTP/1.1",
                 f"> Host: {request.url.netloc.decode()}"]
        lines += [f"> {name}: {value}" for name, value in request.headers.items()
                  if name.lower() != "host"]
        self.options.trace(self.redactor("\n".join([*lines, ">"])))

    def _trace_response(self, raw: httpx.Response, content: bytes) -> None:
        if self.options.trace is None:
            return
        lines = [f"< {raw.http_version} {raw.status_code} {raw.reason_phrase}"]
        lines += [f"< {name}: {value}" for name, value in raw.headers.items()]
        body = content[:2000].decode("utf-8", "replace")
        more = f"\n[... {len(content) - 2000} more bytes]" if len(content) > 2000 else ""
        self.options.trace(self.redactor("\n".join([*lines, "<", body + more, ""])))


def _not_the_api(url: str, response: Response, redactor: Redactor) -> ServerError:
    """The error to give up with when 2xx bodies kept failing to decode."""
    where = f"{urlsplit(url).netloc} answered {url.split('?', maxsplit=1)[0]}"
    body = response.json()
    if body is None:
        return ServerError(f"{where} with something that is not its API's JSON (a body cut "
                           "short, or a proxy's error page), several times.")
    said = body.get("message") if isinstance(body, dict) else None
    told = f" saying {redactor(said[:120])!r}" if isinstance(said, str) and said else ""
    return ServerError(f"{where} with JSON that is not a page of its API{told}, several times "
                       "(a proxy or a maintenance window?). Try again later.")


@dataclass(frozen=True)
class _Failure:
    error: BbprError
    attempts: int | None = None
    """How many tries this kind of failure deserves; None: as many as the options allow."""


def _network_error(error: httpx.TransportError, url: str, timeout: float) -> _Failure:
    """Name a transport failure in the user's terms, and say whether retrying can help."""
    host = urlsplit(url).netloc
    chain = _causes(error)
    if any(isinstance(cause, ssl.SSLCertVerificationError) for cause in chain):
        return _Failure(NetworkError(
            f"The TLS certificate of {host} could not be verified. If your company uses its own "
            "certificate authority, pass --ca-bundle PATH or set SSL_CERT_FILE to its PEM file."
        ), attempts=1)
    if any(isinstance(cause, ssl.SSLError) for cause in chain):
        return _Failure(NetworkError(
            f"The TLS handshake with {host} failed. Check that the URL is right and that no proxy "
            "intercepts the connection."
        ), attempts=1)
    text = " ".join(str(cause) for cause in chain).lower()
    if "name or service not known" in text or "nodename nor servname" in text or (
        "temporary failure in name resolution" in text
    ) or "getaddrinfo failed" in text:
        return _Failure(NetworkError(
            f"The host name {urlsplit(url).hostname} could not be resolved. Check the URL for "
            "typos, and your network or VPN."
        ), attempts=1)
    if isinstance(error, httpx.ProxyError):
        return _Failure(NetworkError(
            f"The proxy refused the connection to {host}. Check HTTPS_PROXY and NO_PROXY."
        ), attempts=1)
    if isinstance(error, httpx.TimeoutException):
        return _Failure(NetworkError(
            f"{host} did not answer within {timeout:.0f} s, several times. Check your network, "
            "or try again later."
        ))
    if isinstance(error, httpx.ConnectError):
        return _Failure(NetworkError(
            f"Could not connect to {host}: the connection was refused or failed. Check the URL "
            "and that the server is running."
        ), attempts=2)  # a refused connection is rarely a blip: one more try, not six
    return _Failure(NetworkError(
        f"The connection to {host} broke, several times, before a whole answer arrived. Check "
        "your network, or try again later."
    ))


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from a number or an HTTP date; None when absent or unreadable (a
    malformed `Retry-After: soon` is no reason to stop: back off as without one)."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        moment = _http_date(value)
        return None if moment is None else max(0.0, moment.timestamp() - time.time())
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _http_date(value: str | None) -> datetime | None:
    """An HTTP date (`Date`, `Retry-After`) as an aware datetime, or None if it is not one."""
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _timeouts(seconds: float) -> httpx.Timeout:
    return httpx.Timeout(seconds, connect=min(10.0, seconds))


def _ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    """Whom to trust: --ca-bundle, else SSL_CERT_FILE / SSL_CERT_DIR, else the OS trust store.

    The OS store (through truststore) is what makes a company's own certificate authority
    work with no configuration, as it does in the browser.
    """
    cafile = ca_bundle or os.environ.get("SSL_CERT_FILE") or None
    capath = None if cafile else os.environ.get("SSL_CERT_DIR") or None
    if cafile or capath:
        try:
            return ssl.create_default_context(cafile=cafile, capath=capath)
        except (OSError, ssl.SSLError) as error:
            where = "--ca-bundle" if ca_bundle else "SSL_CERT_FILE/SSL_CERT_DIR"
            raise InputError(
                f"Could not read the certificates in {cafile or capath} ({where}): {error}."
            ) from None
    import truststore

    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _http2_available() -> bool:
    try:
        import h2  # noqa: F401  (optional: the http2 extra)
    except ImportError:
        return False
    return True
