"""EmulatorServer: an Alpaca-compatible HTTP server on 127.0.0.1 backed by a paper broker.

from alpaca.trading.client import TradingClient
with EmulatorServer(history, start_at="2024-11-29T09:35") as emu:
    emu.clock.freeze()
    client = TradingClient("emulator-key", "emulator-secret", paper=True, url_override=emu.url)
    client.get_account().cash                    # '100000'
    emu.faults.lose_response("submit_order")     # the next order is placed, but the client sees a 504
    emu.request_log.count("submit_order")
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from rebalancer.errors import ConfigError
from rebalancer.market.history import PriceHistory
from rebalancer_emulator.clock import MarketCalendar, SimClock
from rebalancer_emulator.config import EmulatorConfig
from rebalancer_emulator.control_routes import PREFIX, ControlRoutes
from rebalancer_emulator.data_routes import DataRoutes
from rebalancer_emulator.faults import FaultInjector, FaultRule
from rebalancer_emulator.prices import PriceModel
from rebalancer_emulator.routing import RequestContext, RequestLog, RequestRecord, Response, Route
from rebalancer_emulator.series import SeriesSource
from rebalancer_emulator.state import PaperBroker
from rebalancer_emulator.trading_routes import TradingRoutes
from rebalancer_emulator.wire import ApiError

Outcome = Response | Literal["reset", "drop"]
_HTML_ERROR = b"<html><body><h1>%d</h1>The emulator was told to fail this request.</body></html>"
_CALENDAR_SPAN = dt.timedelta(days=3 * 366)
ALPACA_API_PREFIXES = ("/v1/", "/v1beta1/", "/v1beta2/", "/v1beta3/", "/v2/", "/v2beta1/", "/v3/")
NOT_IMPLEMENTED_CODE = 50110000


class _RateWindow:
    """A fixed one-minute window of real time, for X-RateLimit-* headers and optional enforcement."""

    def __init__(self, enforced: int | None, advertised: int) -> None:
        self._lock = threading.Lock()
        self.enforced = enforced
        self.limit = enforced or advertised
        self._start = 0.0
        self._count = 0

    def hit(self) -> tuple[bool, dict[str, str]]:
        with self._lock:
            wall = time.time()
            if wall >= self._start + 60:
                self._start, self._count = wall, 0
            self._count += 1
            allowed = self.enforced is None or self._count <= self.enforced
            remaining = max(self.limit - self._count, 0)
            reset = int(self._start + 60)
        headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(remaining)}
        headers["X-RateLimit-Reset"] = str(reset)
        return allowed, headers


class EmulatorServer:
    """The emulator: `.url`, `.clock`, `.faults`, `.state`, `.request_log`; `start()`/`stop()` or `with`."""

    def __init__(
        self,
        history: PriceHistory | SeriesSource,
        *,
        start_at: dt.datetime | str | None = None,
        port: int = 0,
        key_id: str = "emulator-key",
        secret_key: str = "emulator-secret",
        config: EmulatorConfig | None = None,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.clock = SimClock(start_at, frozen=self.config.freeze_clock)
        today = self.clock.now().date()
        # A lazy source's dates are unknown until a file is read; the calendar widens on demand.
        dated = isinstance(history, PriceHistory) and len(history) > 0
        first = history.first_date if isinstance(history, PriceHistory) and dated else today
        last = history.last_date if isinstance(history, PriceHistory) and dated else today
        calendar = MarketCalendar(min(first, today) - _CALENDAR_SPAN, max(last, today) + _CALENDAR_SPAN)
        self.prices = PriceModel(history, calendar)
        self.faults = FaultInjector()
        self.state = PaperBroker(self.prices, self.clock, self.config, self.faults)
        self.request_log = RequestLog()
        self._routes: list[Route] = [
            *TradingRoutes(self.state, self.faults).routes(),
            *DataRoutes(self.prices, self.faults, self.state.quote).routes(),
        ]
        self._control = ControlRoutes(self.clock, self.faults, self.state, self.request_log)
        self._rate = _RateWindow(self.config.rate_limit_per_minute, self.config.advertised_rate_limit)
        self._credentials = (key_id, secret_key)
        self._requested_port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.url if self._httpd else "not started"
        return f"EmulatorServer({where}, key_id={self._credentials[0]!r})"

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The bare origin to pass as alpaca-py's url_override (no /v2, no trailing slash)."""
        if self._httpd is None:
            raise ConfigError(
                "the emulator is not running", hint="call start() or use it as a context manager"
            )
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def start(self) -> EmulatorServer:
        if self._httpd is not None:
            return self
        self.faults.stop_event.clear()
        httpd = ThreadingHTTPServer(("127.0.0.1", self._requested_port), _make_handler(self))
        httpd.daemon_threads = True
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="alpaca-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self.faults.stop_event.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd, self._thread = None, None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- request handling ---------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        """Answer one HTTP request (header names in lower case); called from the worker threads."""
        split = urlsplit(target)
        path = split.path
        if path.startswith(PREFIX):
            return self._control.handle(method, path, body)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        route, params = self._match(method, path)
        record = RequestRecord(
            method, path, query, dt.datetime.now(dt.UTC), self.clock.now(), route.name if route else "unknown"
        )
        index = self.request_log.append(record)
        if route is None:
            other_methods = any(r.match(r.method, path) is not None for r in self._routes)
            outcome: Outcome = _unrouted(method, path, known_path=other_methods)
        else:
            outcome = self._answer(
                route, headers, RequestContext(method, path, query, params, body, record.sim_time)
            )
        self.request_log.set_status(index, outcome.status if isinstance(outcome, Response) else 0)
        return outcome

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for route in self._routes:
            params = route.match(method, path)
            if params is not None:
                return route, params
        return None, {}

    def _answer(self, route: Route, headers: Mapping[str, str], ctx: RequestContext) -> Outcome:
        denied = self._check_auth(headers)
        if denied is not None:
            return denied
        allowed, rate_headers = self._rate.hit()
        if not allowed:
            return Response(429, {"code": 42910000, "message": "rate limit exceeded"}, rate_headers)
        delay = self.faults.latency_for(route.name, route.group)
        if delay > 0:
            self.faults.stop_event.wait(delay)
        fault = self.faults.take_pre(route.name, route.group)
        if fault is not None:
            return self._pre_fault(fault, rate_headers)
        try:
            if route.locked:
                with self.state.lock:
                    ctx.now = self.state.sync()
                    response = route.handler(ctx)
            else:  # market data and the calendar: no account state, so no wait behind other requests
                response = route.handler(ctx)
        except ApiError as err:
            response = Response(err.status, err.body())
        except Exception as err:  # noqa: BLE001 - the HTTP boundary: a bug answers 500, never a dropped socket
            message = f"emulator error in {route.name}: {type(err).__name__}: {err}"
            response = Response(500, {"code": 50010000, "message": message})
        lost = self.faults.take_lost_response(route.name, route.group)
        if lost is not None:
            return "reset" if lost.how == "reset" else _html(504, rate_headers)
        return Response(response.status, response.body, {**response.headers, **rate_headers})

    def _check_auth(self, headers: Mapping[str, str]) -> Response | None:
        key, secret = headers.get("apca-api-key-id"), headers.get("apca-api-secret-key")
        if not key or not secret:
            return Response(401, {"code": 40110000, "message": "request is not authorized"})
        if (key, secret) != self._credentials:
            return Response(403, {"code": 40310000, "message": "forbidden"})
        return None

    def _pre_fault(self, fault: FaultRule, rate_headers: dict[str, str]) -> Outcome:
        if fault.kind == "rate_limit":
            limited = {**rate_headers, "X-RateLimit-Remaining": "0"}
            limited["X-RateLimit-Reset"] = str(int(time.time() + fault.seconds))
            return Response(429, {"code": 42910000, "message": "rate limit exceeded"}, limited)
        if fault.kind in {"server_error", "gateway_timeout"}:
            return _html(fault.status, rate_headers)
        if fault.kind == "connection_reset":
            return "reset"
        self.faults.stop_event.wait(fault.seconds)
        return "drop"


def _unrouted(method: str, path: str, *, known_path: bool) -> Response:
    """A path the emulator serves with another method answers 405; an Alpaca API path the emulator does
    not implement answers 501 (a code no real error uses), so a bot cannot mistake it for "order not
    found"; anything else is an unknown endpoint (404)."""
    if known_path:
        return Response(405, {"code": 40510000, "message": f"method not allowed: {method} {path}"})
    if path.startswith(ALPACA_API_PREFIXES):
        message = f"not implemented by the emulator: {method} {path} (see docs/emulator.md)"
        return Response(501, {"code": NOT_IMPLEMENTED_CODE, "message": message})
    return Response(404, {"code": 40410000, "message": f"endpoint not found: {method} {path}"})


def _html(status: int, headers: dict[str, str]) -> Response:
    return Response(status, raw=_HTML_ERROR % status, headers=headers, content_type="text/html")


def _make_handler(app: EmulatorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "alpaca-emulator"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out as two writes; without this, Nagle + delayed ACK add ~40 ms a request.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

        def do_PATCH(self) -> None:
            self._dispatch("PATCH")

        def __getattr__(self, name: str) -> Callable[[], None]:
            # Any other method (PUT, HEAD, TRACE, QUERY...) gets a JSON 405/501/404, not http.server's
            # HTML 501 that a client would read as a server failure.
            if name.startswith("do_") and name[3:].isupper():
                return lambda: self._dispatch(name[3:])
            raise AttributeError(name)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the request log records every request."""

        def _dispatch(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            outcome = app.handle(method, self.path, headers, body)
            if outcome == "reset":
                self._abort(linger=False)
            elif outcome == "drop":
                self._abort(linger=True)
            elif isinstance(outcome, Response):
                self._write(outcome)

        def _write(self, response: Response) -> None:
            payload = response.payload()
            self.send_response(response.status)
            if payload or response.status != 204:
                self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            try:
                self.end_headers()
                if self.command != "HEAD":  # a HEAD answer has the headers of its body, never the body
                    self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up first (its read timeout ran out during a latency fault): the request
                # was processed and logged; there is no one to answer.
                self.close_connection = True

        def _abort(self, *, linger: bool) -> None:
            """Close without answering: an RST (reset) or a plain FIN (dropped after a stall)."""
            self.close_connection = True
            if not linger:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()

        def finish(self) -> None:
            with contextlib.suppress(OSError, ValueError):  # a fault closed the connection on purpose
                super().finish()

    return Handler
