"""The HTTP layer: a quiet `ThreadingHTTPServer` on 127.0.0.1 and a dispatcher.

The dispatcher is the one place every request passes through: it tells the observers
(tests that change data when a request arrives), asks the fault injector what this request
meets (latency, 429, 5xx, a dropped or truncated answer...), runs the per-request hooks (a
hook may answer instead of the API), routes, lets the rewrites change the API's answer (a
server that lies in ways no setting names, for tests), turns stray exceptions into the API's 500
body, puts hostile text in the answer when asked (see `hostile`), and counts and records
every request, errors included. Each API flavour contributes its routes and its areas
(the paths it owns, and how it words a fault's or a crash's answer there: `messages.Area`),
so Data Center's `/rest` and Cloud's `/2.0` share one server that knows neither's envelope.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import socket
import ssl
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from . import hostile
from .faults import FaultInjector
from .messages import ApiError, Area, ErrorRenderer, Request, Response, error_response
from .settings import Settings

Handler = Callable[[Request, re.Match[str]], Response]
Hook = Callable[[Request], Response | None]
Rewrite = Callable[[Request, Response], Response]
Observer = Callable[[Request], None]

NO_API_HERE = (
    "There is no API hosted at this URL.\n\nFor information about our API's, please refer "
    "to the documentation at: https://developer.atlassian.com/bitbucket/api/2/reference/"
)


@dataclass(frozen=True, slots=True)
class Route:
    method: str  # or "*": any method, tried only when no other route matches the path
    pattern: re.Pattern[str]  # matched against the whole, still percent-encoded, path
    handler: Handler


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """What a test may inspect about a served request; never its Authorization header.

    `status` is 0 for a request whose connection was dropped without an answer; `size` is
    the length of the body answered (what the benchmarks add up as bytes moved)."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    size: int = 0


class Dispatcher:
    """Routes requests to handlers; counts, records and delays them."""

    def __init__(
        self, settings: Settings, home: ErrorRenderer, faults: FaultInjector | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """`home` words the crashes on paths no API's area claims (the host's own); `clock`
        is the server's time, which every answer's `Date` header tells."""
        self.settings = settings
        self.home = home
        self.clock = clock or _wall_clock
        self.faults = faults or FaultInjector(lambda: settings.faults, 0, _wall_clock)
        self.routes: list[Route] = []
        self.areas: list[Area] = []
        self.hooks: list[Hook] = []
        self.rewrites: list[Rewrite] = []
        self.observers: list[Observer] = []
        self.errors: list[str] = []  # tracebacks of handler crashes, for debugging tests
        self._lock = threading.Lock()
        self._count = 0
        self._recorded: list[RecordedRequest] = []

    def add_api(self, routes: Iterable[Route], areas: Iterable[Area]) -> None:
        self.routes.extend(routes)
        self.areas.extend(areas)

    def area(self, path: str) -> Area | None:
        return next((area for area in self.areas if area.prefix.match(path)), None)

    @property
    def request_count(self) -> int:
        with self._lock:
            return self._count

    @property
    def recorded(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._recorded)

    def reset(self) -> None:
        with self._lock:
            self._count = 0
            self._recorded.clear()

    def dispatch(self, request: Request) -> Response:
        status, size = 500, 0
        try:
            response = self._serve(request)
            status, size = response.status, len(response.body)
            return response
        finally:
            self._record(request, status, size)

    def _serve(self, request: Request) -> Response:
        try:
            for observer in list(self.observers):
                observer(request)
            plan = self.faults.before(request, self.area(request.path))
        except Exception:
            return self._crashed(request)
        started = time.monotonic()
        response = plan.answer or self._respond(request)
        # Latency is the time to the answer, work included, as a remote server's would be.
        remaining = plan.delay - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        response = self.faults.after(request, response, plan)
        return self._hostile(request, response)

    def _hostile(self, request: Request, response: Response) -> Response:
        """The answer as the hostile settings make it leave (see `hostile`)."""
        settings = self.settings
        if settings.hostile_slug:
            response = hostile.rename_slugs(request.path, response, settings.hostile_slug)
        if settings.hostile_text:
            response = hostile.rewrite(response, settings.hostile_text)
        if settings.lone_surrogates:
            response = hostile.with_lone_surrogates(response)
        if settings.hostile_dates:
            response = hostile.at_the_edge_of_time(response, settings.hostile_dates)
        return response

    def _record(self, request: Request, status: int, size: int) -> None:
        query = parse_qs(request.raw_query, keep_blank_values=True)
        entry = RecordedRequest(request.method, request.path, query, status, size)
        with self._lock:
            self._count += 1
            self._recorded.append(entry)

    def _respond(self, request: Request) -> Response:
        try:
            for hook in list(self.hooks):
                answer = hook(request)
                if answer is not None:
                    return answer
            response = self._route(request)
            for rewrite in list(self.rewrites):
                response = rewrite(request, response)
            return response
        except ApiError as error:
            return error.response()
        except Exception:
            return self._crashed(request)

    def _crashed(self, request: Request) -> Response:
        self.errors.append(traceback.format_exc())
        area = self.area(request.path)
        return (area.errors if area else self.home).crashed()

    def _route(self, request: Request) -> Response:
        allowed = []
        fallback = None
        for route in self.routes:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            if route.method == request.method:
                return route.handler(request, match)
            if route.method == "*":
                fallback = fallback or (route, match)
            else:
                allowed.append(route.method)
        if allowed:
            return error_response(
                405, f"Method {request.method} not allowed", headers={"Allow": ", ".join(allowed)}
            )
        if fallback is not None:
            return fallback[0].handler(request, fallback[1])
        raise ApiError(404, "Resource not found", NO_API_HERE)


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 makes a burst of parallel connects wait a whole
    # second for SYN retransmission; clients that open many connections must not pay that.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """socketserver prints a traceback to stderr for anything that escapes a handler. A
        client hanging up before its answer is written is normal (timeouts, cancelled
        requests, fault tests), so that stays quiet; anything else is a real crash and is
        recorded in `errors`, where tests look."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        self.dispatcher.errors.append(traceback.format_exc())

    def close_connections(self) -> None:
        """Hang up on idle keep-alive clients, so that stop() leaves no thread behind."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 120  # idle keep-alive connections are closed after this many seconds
    server: _Server

    def version_string(self) -> str:
        return "bbpr-emulator"

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header: the emulator's clock (a test may set it far ahead)."""
        moment = self.server.dispatcher.clock() if timestamp is None else None
        return email.utils.formatdate(
            moment.timestamp() if moment is not None else timestamp, usegmt=True)

    def do_GET(self) -> None:
        self._serve(self.command)

    def do_HEAD(self) -> None:
        self._serve("GET", send_body=False)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self, method: str, send_body: bool = True) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        path, _, raw_query = self.path.partition("?")
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        request = Request(
            method=method,
            path=path,
            raw_query=raw_query,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            base_url=f"http://{host}",
        )
        response = self.server.dispatcher.dispatch(request)
        if response.transport == "drop":
            self.close_connection = True  # hang up without a word
            return
        if "Date" in response.headers:  # the answer's own (a hostile one): not ours as well
            self.log_request(response.status)
            self.send_response_only(response.status)
            self.send_header("Server", self.version_string())
        else:
            self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        body = response.body
        if response.transport == "truncate":
            self.close_connection = True  # promised the whole body, send half, hang up
            body = body[: len(body) // 2]
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence: the test output must not fill with access logs."""


class HttpServer:
    """Owns the listening socket and the serving thread."""

    def __init__(self, dispatcher: Dispatcher, port: int = 0,
                 tls: ssl.SSLContext | None = None) -> None:
        self._server = _Server(("127.0.0.1", port), dispatcher)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"bbpr-emulator:{self.port}",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=5)
