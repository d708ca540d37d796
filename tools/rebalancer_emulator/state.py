"""The paper broker: cash, positions and the order lifecycle, advanced by the simulated clock.

Every request first calls `sync()`, which fills and expires orders up to the clock's now, so state is a
function of the clock (deterministic under a frozen clock). Inspect it in tests:

    emu.state.cash, emu.state.positions["SPY"].qty, emu.state.orders_by_client_id["cid-1"].status
    emu.state.set_cash(Decimal("5000")); emu.state.seed_position("SPY", Decimal("10"), Decimal("450"))
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from decimal import Decimal
from typing import Any

from rebalancer_emulator.clock import SimClock
from rebalancer_emulator.config import EmulatorConfig
from rebalancer_emulator.faults import FaultInjector
from rebalancer_emulator.fills import FillEngine, plan_timing
from rebalancer_emulator.prices import PriceModel
from rebalancer_emulator.records import OrderRecord, PositionRecord
from rebalancer_emulator.rules import OrderBody, check_not_too_small
from rebalancer_emulator.wire import ApiError, forbidden, not_found, stable_id, unprocessable


class PaperBroker:
    """One emulated paper account. All mutation happens under `lock` (the server holds it per request)."""

    def __init__(
        self, prices: PriceModel, clock: SimClock, config: EmulatorConfig, faults: FaultInjector
    ) -> None:
        self.lock = threading.RLock()
        self.prices = prices
        self.clock = clock
        self.config = config
        self.faults = faults
        self.cash = config.initial_cash
        self.positions: dict[str, PositionRecord] = {}
        self.orders: list[OrderRecord] = []
        self.orders_by_id: dict[str, OrderRecord] = {}
        self.orders_by_client_id: dict[str, OrderRecord] = {}
        self.last_equity = config.initial_cash
        self._last_equity_day: dt.date | None = None
        self._sequence = itertools.count(1)
        self._fills = FillEngine(prices, config, self)

    # -- test helpers -----------------------------------------------------------------------

    def set_cash(self, cash: Decimal) -> None:
        with self.lock:
            self.cash = cash

    def seed_position(self, symbol: str, qty: Decimal, avg_entry_price: Decimal) -> None:
        """Put a position in the account without an order (cash is not touched)."""
        with self.lock:
            position = self.positions.setdefault(symbol, PositionRecord(symbol))
            position.buy(qty, avg_entry_price)

    # -- clock-driven processing ------------------------------------------------------------

    def sync(self) -> dt.datetime:
        """Fill and expire orders up to now; return now."""
        with self.lock:
            now = self.clock.now()
            for order in self.orders:
                if order.is_open:
                    self._fills.advance(order, now)
            self._snapshot_last_equity(now)
            return now

    def poll(self, order: OrderRecord, now: dt.datetime) -> None:
        """A client looked at this order: a multi-part fill moves one part forward."""
        with self.lock:
            self._fills.next_part(order, now)

    def _snapshot_last_equity(self, now: dt.datetime) -> None:
        last = self.prices.calendar.last_closed(now)
        if last is None or last.date == self._last_equity_day:
            return
        if self._last_equity_day is not None:
            self.last_equity = self.equity(last.close)
        self._last_equity_day = last.date

    # -- money ------------------------------------------------------------------------------

    def market_value(self, instant: dt.datetime) -> Decimal:
        total = Decimal(0)
        for position in self.positions.values():
            price = self.prices.price_at(position.symbol, instant)
            if price is not None:
                total += position.qty * price
        return total.quantize(Decimal("0.01"))

    def equity(self, instant: dt.datetime) -> Decimal:
        return self.cash + self.market_value(instant)

    def buying_power(self) -> Decimal:
        reserved = sum((o.reserved_cash() for o in self.orders), Decimal(0))
        return max(self.cash * self.config.buying_power_multiplier - reserved, Decimal(0)).quantize(
            Decimal("0.01")
        )

    def held_for_orders(self, symbol: str) -> Decimal:
        return sum(
            (
                o.remaining_qty_estimate()
                for o in self.orders
                if o.is_open and o.side == "sell" and o.symbol == symbol
            ),
            Decimal(0),
        )

    def qty_available(self, symbol: str) -> Decimal:
        position = self.positions.get(symbol)
        held = self.held_for_orders(symbol)
        return max((position.qty if position else Decimal(0)) - held, Decimal(0))

    # -- orders -----------------------------------------------------------------------------

    def submit(self, body: OrderBody, now: dt.datetime) -> OrderRecord:
        """Accept an order or raise ApiError with Alpaca's status and body."""
        with self.lock:
            self._check_unique(body)
            price = self.prices.price_at(body.symbol, now)
            if price is None:
                raise unprocessable(
                    f"no price for {body.symbol} at {now.isoformat()}: the emulator's data starts later"
                )
            self._check_wash_trade(body)
            reserve_price = self._fills.with_slippage(price, body.side)
            self._check_funds(body, reserve_price)
            timing = plan_timing(self.prices.calendar, self.config, now, body.time_in_force)
            partial = self.faults.take_partial_fill()
            return self._record(
                body,
                now,
                status="new" if timing.fillable_now else "accepted",
                fillable_at=timing.fillable_at,
                expires_at=timing.expires_at,
                reserve_price=reserve_price,
                parts=partial.parts if partial else self.config.fill_parts,
                stop_after_parts=partial.stop_after if partial else None,
            )

    def record_rejected(self, body: OrderBody, now: dt.datetime, reason: str) -> OrderRecord:
        """An order the broker took and then rejected (status "rejected"), as a fault can script."""
        with self.lock:
            self._check_unique(body)
            return self._record(
                body,
                now,
                status="rejected",
                fillable_at=now,
                expires_at=None,
                reserve_price=Decimal(1),
                failed_at=now,
                reject_reason=reason,
            )

    def _check_unique(self, body: OrderBody) -> None:
        if body.client_order_id in self.orders_by_client_id:
            raise unprocessable("client_order_id must be unique")

    def _record(self, body: OrderBody, now: dt.datetime, **lifecycle: Any) -> OrderRecord:
        """A new order from the request's fields and its lifecycle fields, indexed by both ids."""
        order = OrderRecord(
            id=stable_id("order", f"{next(self._sequence)}:{body.client_order_id}"),
            client_order_id=body.client_order_id,
            symbol=body.symbol,
            side=body.side,
            time_in_force=body.time_in_force,
            qty=body.qty,
            notional=body.notional,
            submitted_at=now,
            **lifecycle,
        )
        self.orders.append(order)
        self.orders_by_id[order.id] = order
        self.orders_by_client_id[order.client_order_id] = order
        return order

    def _check_wash_trade(self, body: OrderBody) -> None:
        for other in self.orders:
            if other.is_open and other.symbol == body.symbol and other.side != body.side:
                raise forbidden(
                    "potential wash trade detected. use complex orders",
                    existing_order_id=other.id,
                    reject_reason="opposite side market/stop order exists",
                )

    def _check_funds(self, body: OrderBody, price: Decimal) -> None:
        if body.side == "buy":
            cost = body.notional if body.notional is not None else (body.qty or Decimal(0)) * price
            if body.qty is not None and body.qty != body.qty.to_integral_value():
                check_not_too_small(cost)
            available = self.buying_power()
            if cost > available:
                raise forbidden(
                    "insufficient buying power",
                    buying_power=str(available),
                    cost_basis=str(cost.quantize(Decimal("0.01"))),
                )
            return
        requested = body.qty if body.qty is not None else (body.notional or Decimal(0)) / price
        available = self.qty_available(body.symbol)
        if requested > available:
            position = self.positions.get(body.symbol)
            raise forbidden(
                f"insufficient qty available for order (requested: {_plain(requested)}, "
                f"available: {_plain(available)})",
                available=_plain(available),
                existing_qty=_plain(position.qty if position else Decimal(0)),
                held_for_orders=_plain(self.held_for_orders(body.symbol)),
                symbol=body.symbol,
            )

    def find(self, order_id: str) -> OrderRecord:
        order = self.orders_by_id.get(order_id)
        if order is None:
            raise not_found("order not found")
        return order

    def cancel(self, order_id: str, now: dt.datetime) -> OrderRecord:
        with self.lock:
            order = self.find(order_id)
            if not order.is_open:
                raise ApiError(422, 42210000, f'order is already in "{order.status}" state')
            order.status = "canceled"
            order.canceled_at = now
            order.touch(now)
            return order

    def cancel_all(self, now: dt.datetime) -> list[OrderRecord]:
        with self.lock:
            return [self.cancel(o.id, now) for o in self.orders if o.is_open]

    def close_position(
        self, symbol: str, now: dt.datetime, *, qty: Decimal | None = None, percentage: Decimal | None = None
    ) -> OrderRecord:
        """Sell all (or `qty`, or `percentage` percent) of a position with a market DAY order."""
        with self.lock:
            position = self.positions.get(symbol)
            if position is None or position.qty == 0:
                raise not_found(f"position not found: {symbol}")
            if percentage is not None:
                qty = (position.qty * percentage / 100).quantize(
                    Decimal("0.000000001"), rounding="ROUND_DOWN"
                )
            amount = position.qty if qty is None else qty
            body = OrderBody(
                symbol, "sell", "day", stable_id("close", f"{symbol}:{len(self.orders)}"), amount, None
            )
            return self.submit(body, now)

    # -- fills (called by FillEngine) -------------------------------------------------------

    def apply_fill(self, order: OrderRecord, qty: Decimal, price: Decimal, instant: dt.datetime) -> None:
        position = self.positions.setdefault(order.symbol, PositionRecord(order.symbol))
        if order.side == "buy":
            position.buy(qty, price)
            self.cash -= (qty * price).quantize(Decimal("0.01"))
        else:
            position.sell(qty)
            self.cash += (qty * price).quantize(Decimal("0.01"))
        if position.qty == 0:
            del self.positions[order.symbol]
        order.filled_qty += qty
        order.filled_cost += qty * price
        order.touch(instant)


def _plain(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.000000001")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
