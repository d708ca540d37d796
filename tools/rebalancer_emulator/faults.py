"""Scriptable faults, per endpoint, for tests and the CLI user.

Endpoints are route names (`submit_order`, `order_by_client_id`, `bars`, ... see docs/emulator.md), a group
(`trading`, `data`) or `*`. Each rule fires `times` times (None: until cleared).

    >>> faults = FaultInjector()
    >>> faults.rate_limit("bars", times=2)
    >>> faults.lose_response("submit_order", how="504")
    >>> faults.reject_orders(1, message="account is restricted")
    >>> [r.kind for r in faults.rules]
    ['rate_limit', 'lose_response']
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from rebalancer.errors import ConfigError

PRE_KINDS = ("rate_limit", "server_error", "gateway_timeout", "connection_reset", "stall")
LostHow = Literal["504", "reset"]


@dataclass
class FaultRule:
    kind: str
    endpoint: str
    remaining: int | None
    seconds: float = 0.0
    status: int = 0
    how: str = ""

    def matches(self, endpoint: str, group: str) -> bool:
        return self.endpoint in {"*", endpoint, group} and (self.remaining is None or self.remaining > 0)

    def consume(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1


@dataclass(frozen=True)
class OrderRejection:
    message: str
    status: int
    code: int


@dataclass(frozen=True)
class PartialFill:
    parts: int
    stop_after: int | None


class FaultInjector:
    """Holds the fault script; the server consults it on every request. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rules: list[FaultRule] = []
        self._rejections: list[OrderRejection] = []
        self._partials: list[PartialFill] = []
        self._partial_default: PartialFill | None = None
        self.missing_bar_symbols: set[str] = set()
        self.stale_bar_sessions: dict[str, int] = {}
        self.stop_event = threading.Event()

    # -- scripting --------------------------------------------------------------------------

    def _add(self, rule: FaultRule) -> None:
        with self._lock:
            self.rules.append(rule)

    def latency(self, endpoint: str = "*", seconds: float = 0.2, times: int | None = None) -> None:
        """Delay responses by `seconds` (then answer normally)."""
        self._add(FaultRule("latency", endpoint, times, seconds=seconds))

    def rate_limit(self, endpoint: str = "*", times: int | None = 1, reset_in: float = 60.0) -> None:
        """Answer 429 with X-RateLimit-Limit/Remaining(0)/Reset headers, without processing."""
        self._add(FaultRule("rate_limit", endpoint, times, seconds=reset_in))

    def server_error(self, endpoint: str = "*", status: int = 500, times: int | None = 1) -> None:
        """Answer 500/502/503 with an HTML (non-JSON) body, without processing."""
        self._add(FaultRule("server_error", endpoint, times, status=status))

    def gateway_timeout(self, endpoint: str = "*", times: int | None = 1) -> None:
        """Answer 504 without processing the request."""
        self._add(FaultRule("gateway_timeout", endpoint, times, status=504))

    def connection_reset(self, endpoint: str = "*", times: int | None = 1) -> None:
        """Reset the TCP connection (RST) before processing the request."""
        self._add(FaultRule("connection_reset", endpoint, times))

    def stall(self, endpoint: str = "*", seconds: float = 30.0, times: int | None = 1) -> None:
        """Hold the request for `seconds` (longer than the client's timeout), then drop it unprocessed."""
        self._add(FaultRule("stall", endpoint, times, seconds=seconds))

    def lose_response(
        self, endpoint: str = "submit_order", how: LostHow = "504", times: int | None = 1
    ) -> None:
        """The ambiguous outcome: process the request (the order exists), then answer 504 or reset."""
        if how not in ("504", "reset"):
            raise ConfigError(f"unknown lost-response mode {how!r}", hint="use how='504' or how='reset'")
        self._add(FaultRule("lose_response", endpoint, times, how=how))

    def reject_orders(
        self,
        n: int = 1,
        message: str = "order rejected by the emulator",
        status: int = 403,
        code: int = 40310000,
    ) -> None:
        """Refuse the next `n` order submissions with this HTTP status and Alpaca error body."""
        with self._lock:
            self._rejections.extend(OrderRejection(message, status, code) for _ in range(n))

    def partial_fills(self, parts: int = 2, stop_after: int | None = None, orders: int | None = None) -> None:
        """Fill the next `orders` orders (None: all) in `parts` parts, one per poll; with `stop_after`,
        stop after that many parts so the rest expires at the close."""
        if parts < 1 or (stop_after is not None and not 0 < stop_after <= parts):
            raise ConfigError("partial fills need parts >= 1 and 0 < stop_after <= parts")
        with self._lock:
            if orders is None:
                self._partial_default = PartialFill(parts, stop_after)
            else:
                self._partials.extend(PartialFill(parts, stop_after) for _ in range(orders))

    def missing_bars(self, *symbols: str) -> None:
        """Leave these symbols out of every bars/latest response."""
        with self._lock:
            self.missing_bar_symbols.update(symbols)

    def stale_bars(self, *symbols: str, sessions: int = 1) -> None:
        """Serve these symbols' bars as if their last `sessions` sessions had not arrived yet."""
        with self._lock:
            self.stale_bar_sessions.update(dict.fromkeys(symbols, sessions))

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self._rejections.clear()
            self._partials.clear()
            self._partial_default = None
            self.missing_bar_symbols.clear()
            self.stale_bar_sessions.clear()

    def apply(self, spec: Mapping[str, object]) -> None:
        """Add a fault from a JSON object such as {"kind": "rate_limit", "endpoint": "bars", "times": 2}."""
        params = dict(spec)
        kind = str(params.pop("kind", ""))
        scripts: dict[str, Callable[..., None]] = {
            "latency": self.latency,
            "rate_limit": self.rate_limit,
            "server_error": self.server_error,
            "gateway_timeout": self.gateway_timeout,
            "connection_reset": self.connection_reset,
            "stall": self.stall,
            "lose_response": self.lose_response,
            "reject_orders": self.reject_orders,
            "partial_fills": self.partial_fills,
        }
        if kind in {"missing_bars", "stale_bars"}:
            symbols = [str(s) for s in _as_list(params.pop("symbols", []))]
            if kind == "missing_bars":
                self.missing_bars(*symbols)
            else:
                self.stale_bars(*symbols, sessions=int(str(params.pop("sessions", 1))))
            return
        if kind not in scripts:
            raise ConfigError(f"unknown fault kind {kind!r}", hint=f"use one of {sorted(scripts)}")
        try:
            scripts[kind](**params)
        except TypeError as err:
            raise ConfigError(f"bad parameters for fault {kind!r}: {err}") from None

    # -- consulted by the server ------------------------------------------------------------

    def latency_for(self, endpoint: str, group: str) -> float:
        with self._lock:
            total = 0.0
            for rule in self.rules:
                if rule.kind == "latency" and rule.matches(endpoint, group):
                    rule.consume()
                    total += rule.seconds
            return total

    def take_pre(self, endpoint: str, group: str) -> FaultRule | None:
        """The first pending fault that pre-empts processing, consumed."""
        return self._take(endpoint, group, PRE_KINDS)

    def take_lost_response(self, endpoint: str, group: str) -> FaultRule | None:
        return self._take(endpoint, group, ("lose_response",))

    def _take(self, endpoint: str, group: str, kinds: tuple[str, ...]) -> FaultRule | None:
        with self._lock:
            for rule in self.rules:
                if rule.kind in kinds and rule.matches(endpoint, group):
                    rule.consume()
                    return rule
            return None

    def take_rejection(self) -> OrderRejection | None:
        with self._lock:
            return self._rejections.pop(0) if self._rejections else None

    def take_partial_fill(self) -> PartialFill | None:
        with self._lock:
            return self._partials.pop(0) if self._partials else self._partial_default


def _as_list(value: object) -> list[object]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return list(value)
    raise ConfigError("symbols must be a string or a list of strings")
