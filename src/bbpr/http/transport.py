"""The httpx client itself: the only module of bbpr that imports httpx.

It builds one pinned client per Bitbucket host and drives each try through it, calling on
its neighbours for the rules (`origins`), the waiting (`retries`, `rate_limit`), the words
(`failures`), the trust (`tls`) and the traces (`tracing`), so that httpx stays in one place
and no httpx object, which would carry the Authorization header, ever leaves it.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar
from urllib.parse import urlsplit

import httpx
import msgspec

from .. import _version
from ..errors import ProtocolError
from ..redaction import Redactor
from . import proxies, surrogates
from .authorizers import Authorizer, StaticAuthorizer
from .failures import (
    Failure,
    TransportTrouble,
    failing_server,
    network_failure,
    not_the_api,
    unanswered,
    web_page_instead,
)
from .headers import http_date
from .options import HttpOptions, Stats
from .origins import check_transport_security, netloc_of, origin_of, origin_or_none
from .pacing import Pacer
from .rate_limit import SharedPause
from .response import Reply, Response
from .retries import RETRY_STATUSES, RetryBudget
from .silence import SilenceWatch
from .tls import ssl_context
from .tracing import request_trace, response_trace

T = TypeVar("T")
Params = list[tuple[str, str]]

USER_AGENT = f"bbpr/{_version.__version__}"


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
        self._budget = RetryBudget(self.options, self.stats)
        self._pause = SharedPause(self.options, self.stats, self._budget)
        self._pacer = Pacer(self.options.pacing, self.stats) if self.options.pacing else None
        self._silence = SilenceWatch(self.options, self.stats)
        self._answered = False
        """Whether a 2xx body has decoded yet: the address is the API's."""
        # Origins are pinned: when none is https (an emulator on 127.0.0.1), no TLS can
        # ever be negotiated, and loading a trust store would only slow the start.
        verify = (ssl_context(self.options.ca_bundle)
                  if any(origin.startswith("https:") for origin in self._allowed) else False)
        http2 = _http2_available()
        try:
            self._client = httpx.AsyncClient(
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                timeout=_timeouts(self.options.timeout),
                limits=httpx.Limits(
                    max_connections=self.options.concurrency,
                    max_keepalive_connections=self.options.concurrency,
                ),
                follow_redirects=False, verify=verify, http2=http2,
            )
        except (ImportError, ValueError, httpx.InvalidURL) as error:
            # Made with the environment's proxy settings, which only the user can mend.
            raise proxies.setting_error(os.environ, error) from None

    async def __aenter__(self) -> Http:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._pacer is not None:
            self._pacer.close()
        await self._client.aclose()

    def url(self, path: str) -> str:
        """An absolute URL for an API path such as `/repositories/ws`.

        A link the server gave relative to its root (`/2.0/repositories/...`: Bitbucket sends
        absolute ones, a proxy may not) already carries the base path: it is joined to the
        origin, not appended to the base a second time.
        """
        if "://" in path:
            return path
        base_path = urlsplit(self.base_url).path.rstrip("/")
        if base_path and (path == base_path or path.startswith(base_path + "/")):
            return f"{self.base_url.removesuffix(base_path)}{path}"
        return f"{self.base_url}{path}"

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
        if origin_or_none(url) != self.origin:
            raise ProtocolError(
                f"The server sent a link to another host ({netloc_of(url)}). bbpr does not "
                f"follow it, so your credentials stay with {netloc_of(self.base_url)}."
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
                reply = Reply(response, self._decoded(response, decode))
            except (msgspec.DecodeError, ValueError):
                if "text/html" in response.headers.get("content-type", "") and not self._answered:
                    raise web_page_instead(url) from None
                # Once the API has answered, a web page or a body that is not the endpoint's
                # envelope is a passing fault (a proxy, a maintenance window): retry it.
                failed = not_the_api(url, response, self.redactor)
            else:
                self._answered = True
                return reply
            await self._budget.back_off(attempt, failed)  # outside the `except`: no chained cause

    def _decoded(self, response: Response, decode: Callable[[bytes], T]) -> T:
        """The body decoded; one that holds unpaired surrogates, with U+FFFD in their place
        (`surrogates`), said once a run."""
        try:
            return decode(response.content)
        except (msgspec.DecodeError, ValueError):
            mended = surrogates.replaced(response.content)
            if mended is None:
                raise
            data = decode(mended)
        if not self.stats.unpaired_surrogates and self.options.notice is not None:
            self.options.notice(surrogates.NOTE)
        self.stats.unpaired_surrogates += 1
        return data

    async def post_form(
        self, url: str, form: Mapping[str, str], authorization: str
    ) -> Response:
        """POST a form to an allowed origin (the OAuth token endpoint), with retries."""
        if origin_or_none(url) not in self._allowed:
            raise ProtocolError(f"bbpr does not send credentials to {netloc_of(url)}.")
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
        await self._pause.wait_for_turn()
        if self._pacer is not None and method == "GET":  # the OAuth POST is not the API's
            await self._pacer.take()
        headers = {"Authorization": authorization} if authorization else {}
        request = self._client.build_request(
            method, url, params=None if params is None else httpx.QueryParams(tuple(params)),
            headers=headers, data=form,
        )
        async with self._slots:
            self.stats.requests += 1
            self._trace_request(request)
            timeout = self._budget.attempt_timeout()
            request.extensions["timeout"] = _timeouts(timeout).as_dict()
            started = time.monotonic()
            failure: Failure | None = None
            timed_out = False
            try:
                with self._silence.watching(netloc_of(url), timeout):
                    raw = await self._client.send(request)
                    try:
                        content = await raw.aread()
                    finally:
                        await raw.aclose()
            except httpx.TimeoutException:
                timed_out = True
            except httpx.TransportError as error:
                failure = network_failure(error, _trouble(error), url,
                                          proxies.serving(url, os.environ))
            # Raised here, outside the `except`: an httpx error in the chain (`__context__`)
            # would carry the request, and with it the Authorization header, to anyone who
            # walks the chain of the error bbpr raises.
            if timed_out:
                self._budget.count_lost(started, time.monotonic())
                self.stats.unanswered += 1
                # Said with the run's figures as they stand when it is raised: the last try's.
                failure = Failure(unanswered(netloc_of(url), self.stats, self.options, attempt))
            elif failure is not None:
                self._budget.count_lost(started, time.monotonic())
            if failure is not None:
                if self._budget.may_try_again(attempt, failure.attempts):
                    await self._budget.back_off(attempt, failure.error)
                    return None
                raise failure.error
        response = Response(raw.status_code, raw.headers, content, str(raw.url))
        self._trace_response(raw, content)
        self._pause.note(response.headers)
        if self._pacer is not None:
            self._pacer.note(response.headers)
        self._note_date(response.headers.get("date"))
        if response.status == 429:
            await self._pause.rate_limited(response.headers, attempt)
            return None
        self._pause.lifted()
        if response.status in RETRY_STATUSES and response.status not in answer_at_once:
            await self._budget.back_off(
                attempt, failing_server(url, response.status, raw.reason_phrase)
            )
            return None
        return response

    def _note_date(self, value: str | None) -> None:
        moment = http_date(value)
        if moment is not None and (self.stats.server_date is None
                                   or moment > self.stats.server_date):
            self.stats.server_date = moment

    def _trace_request(self, request: httpx.Request) -> None:
        if self.options.trace is None:
            return
        self.options.trace(self.redactor(request_trace(
            request.method, request.url.raw_path.decode(), request.url.netloc.decode(),
            request.headers.items(),
        )))

    def _trace_response(self, raw: httpx.Response, content: bytes) -> None:
        if self.options.trace is None:
            return
        self.options.trace(self.redactor(response_trace(
            raw.http_version, raw.status_code, raw.reason_phrase, raw.headers.items(), content,
        )))


def _trouble(error: httpx.TransportError) -> TransportTrouble:
    """What kind of transport failure an httpx error is, in words that need no httpx."""
    if isinstance(error, httpx.ProxyError):
        return "proxy"
    if isinstance(error, httpx.ConnectError):
        return "connect"
    return "broken"


def _timeouts(seconds: float) -> httpx.Timeout:
    return httpx.Timeout(seconds, connect=min(10.0, seconds))


def _http2_available() -> bool:
    try:
        import h2  # noqa: F401  (optional: the http2 extra)
    except ImportError:
        return False
    return True
