"""The emulator's own control API under /_emulator/ (no auth, not in the request log).

For subprocess tests and CLI users who cannot reach the Python objects:

    curl -X POST localhost:8765/_emulator/clock -d '{"set": "2024-11-29T09:35", "freeze": true}'
    curl -X POST localhost:8765/_emulator/clock -d '{"advance": 30}'
    curl -X POST localhost:8765/_emulator/faults -d '{"kind": "rate_limit", "endpoint": "bars", "times": 2}'
    curl -X DELETE localhost:8765/_emulator/faults
    curl localhost:8765/_emulator/requests        # the request log; DELETE clears it
    curl localhost:8765/_emulator/state           # cash, positions, orders
    curl -X POST localhost:8765/_emulator/account \\
         -d '{"cash": "5000", "positions": {"SPY": {"qty": "3", "avg_entry_price": "450"}}}'
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from rebalancer.errors import ConfigError
from rebalancer_emulator.clock import SimClock, parse_instant
from rebalancer_emulator.faults import FaultInjector
from rebalancer_emulator.routing import RequestLog, Response
from rebalancer_emulator.state import PaperBroker
from rebalancer_emulator.wire import dec_str

PREFIX = "/_emulator/"


class ControlRoutes:
    def __init__(self, clock: SimClock, faults: FaultInjector, state: PaperBroker, log: RequestLog) -> None:
        self.clock = clock
        self.faults = faults
        self.state = state
        self.log = log

    def handle(self, method: str, path: str, body: bytes) -> Response:
        try:
            payload = _json_object(body)
            return self._dispatch(method, path.removeprefix(PREFIX).strip("/"), payload)
        except ConfigError as err:
            return Response(400, {"message": str(err)})

    def _dispatch(self, method: str, name: str, payload: dict[str, Any]) -> Response:
        if name == "clock":
            if method == "POST":
                self._set_clock(payload)
            return Response(200, self._clock_json())
        if name == "faults" and method == "POST":
            self.faults.apply(payload)
            return Response(200, {"ok": True})
        if name == "faults" and method == "DELETE":
            self.faults.clear()
            return Response(200, {"ok": True})
        if name == "requests":
            if method == "DELETE":
                self.log.clear()
            return Response(200, self.log.to_json())
        if name == "state" and method == "GET":
            return Response(200, self._state_json())
        if name == "account" and method == "POST":
            self._seed_account(payload)
            return Response(200, self._state_json())
        return Response(404, {"message": f"no control endpoint {method} {PREFIX}{name}"})

    def _set_clock(self, payload: dict[str, Any]) -> None:
        # Every value is checked before the clock moves, so a refused request changes nothing.
        freeze = payload.get("freeze")
        if freeze is not None and not isinstance(freeze, bool):
            raise ConfigError(f"freeze must be true or false, got {freeze!r}", where="freeze")
        instant = parse_instant(str(payload["set"])) if "set" in payload else None
        advance = _decimal(payload["advance"], "advance") if "advance" in payload else None
        if freeze is True:  # first, so that a set or an advance lands exactly, not a few µs later
            self.clock.freeze()
        if instant is not None:
            self.clock.set(instant)
        if advance is not None:
            self.clock.advance(float(advance))
        if freeze is False:
            self.clock.unfreeze()

    def _clock_json(self) -> dict[str, object]:
        now = self.clock.now()
        return {
            "now": now.isoformat(),
            "frozen": self.clock.frozen,
            "is_open": self.state.prices.calendar.is_open(now),
        }

    def _state_json(self) -> dict[str, object]:
        with self.state.lock:
            self.state.sync()
            return {
                "cash": dec_str(self.state.cash),
                "positions": {s: dec_str(p.qty) for s, p in sorted(self.state.positions.items())},
                "orders": [o.to_json() for o in self.state.orders],
            }

    def _seed_account(self, payload: dict[str, Any]) -> None:
        if "cash" in payload:
            self.state.set_cash(_decimal(payload["cash"], "cash"))
        positions = payload.get("positions", {})
        if not isinstance(positions, dict):
            raise ConfigError("positions must be an object {SYMBOL: {qty, avg_entry_price}}")
        for symbol, spec in positions.items():
            if not isinstance(spec, dict):
                raise ConfigError(f"position {symbol} must be an object with qty and avg_entry_price")
            self.state.seed_position(
                str(symbol).upper(),
                _decimal(spec.get("qty"), f"positions.{symbol}.qty"),
                _decimal(spec.get("avg_entry_price"), f"positions.{symbol}.avg_entry_price"),
            )


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except ValueError:
        raise ConfigError("control request body must be JSON") from None
    if not isinstance(value, dict):
        raise ConfigError("control request body must be a JSON object")
    return value


def _decimal(value: object, where: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise ConfigError(f"{where} must be a number, got {value!r}", where=where)
    return number
