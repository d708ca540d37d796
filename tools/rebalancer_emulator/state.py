"""The paper broker: cash, positions and the order lifecycle, advanced by the simulated clock.

Every request first calls `sync()`, which fills and expires orders up to the clock's now, so state is a
function of the clock (deterministic under a frozen clock). Inspect it in tests:

    emu.state.cash, emu.state.positions["SPY"].qty, emu.state.orders_by_client_id["cid-1"].status
    emu.state.set_cash(Decimal("5000")); emu.state.seed_position("SPY", Decimal("10"), Decimal("450"))

Order admission (far-side buying power, quantity, shorting, wash trades) is in admission.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from decimal import ROUND_DOWN, Decimal
from typing import Any

from rebalancer_emulator.admission import Admission
from rebalancer_emulator.clock import SimClock
from rebalancer_emulator.config import EmulatorConfig
from rebalancer_emulator.faults import FaultInjector
from rebalancer_emulator.fills import FillEngine, draws_partial, plan_timing
from rebalancer_emulator.prices import PriceModel
from rebalancer_emulator.quotes import Quote
from rebalancer_emulator.records import FillRecord, OrderRecord, PositionRecord
from rebalancer_emulator.rules import OrderBody
from rebalancer_emulator.wire import ApiError, not_found, stable_id, unprocessable

_CENT = Decimal("0.01")


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
        self.fills: list[FillRecord] = []
        self.day_trades: list[tuple[dt.date, str]] = []
        self.last_equity = config.initial_cash
        self._opened_on: dict[str, dt.date] = {}
        self._first_filled_now: set[str] = set()
        self._last_equity_day: dt.date | None = None
        self._sequence = itertools.count(1)
        self._fills = FillEngine(prices, config, self)
        self.admission = Admission(self, self._fills)

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
            self._first_filled_now = set()
            for order in self.orders:
                if order.is_open:
                    unfilled = order.parts_filled == 0
                    self._fills.advance(order, now)
                    if unfilled and order.parts_filled:
                        self._first_filled_now.add(order.id)
            self._snapshot_last_equity(now)
            return now

    def poll(self, order: OrderRecord, now: dt.datetime) -> None:
        """A client looked at this order: a multi-part fill moves one part forward."""
        with self.lock:
            if order.id not in self._first_filled_now:  # a first part and a second never share a look
                self._fills.next_part(order, now)

    def _snapshot_last_equity(self, now: dt.datetime) -> None:
        last = self.prices.calendar.last_closed(now)
        if last is None or last.date == self._last_equity_day:
            return
        if self._last_equity_day is not None:
            self.last_equity = self.equity(last.close)
        self._last_equity_day = last.date

    def quote(self, symbol: str, instant: dt.datetime) -> Quote | None:
        """The bid and ask the fill engine trades against (also what /quotes/latest serves)."""
        return self._fills.quote(symbol, instant)

    # -- money ------------------------------------------------------------------------------

    def market_values(self, instant: dt.datetime) -> tuple[Decimal, Decimal]:
        """(long market value, short market value <= 0) at `instant`."""
        long, short = Decimal(0), Decimal(0)
        for position in self.positions.values():
            price = self.prices.price_at(position.symbol, instant)
            if price is not None:
                value = position.qty * price
                long, short = (long + value, short) if value >= 0 else (long, short + value)
        return long.quantize(_CENT), short.quantize(_CENT)

    def market_value(self, instant: dt.datetime) -> Decimal:
        long, short = self.market_values(instant)
        return long + short

    def equity(self, instant: dt.datetime) -> Decimal:
        return self.cash + self.market_value(instant)

    def buying_power(self, instant: dt.datetime | None = None) -> Decimal:
        """Cash account: cash. Margin: multiplier x equity - |long| - |short| (Reg T with 2x). Both less
        what open buy orders hold back."""
        reserved = sum((o.reserved_cash() for o in self.orders), Decimal(0))
        if self.config.is_margin:
            long, short = self.market_values(instant or self.clock.now())
            base = self.config.multiplier * (self.cash + long + short) - long + short
        else:
            base = self.cash
        return max(base - reserved, Decimal(0)).quantize(_CENT)

    def held_for_orders(self, symbol: str) -> Decimal:
        return sum(
            (
                o.remaining_qty_estimate()
                for o in self.orders
                if o.is_open and o.side == "sell" and o.symbol == symbol and o.parent_id is None
            ),
            Decimal(0),
        )

    def held_qty(self, symbol: str) -> Decimal:
        position = self.positions.get(symbol)
        return position.qty if position else Decimal(0)

    def qty_available(self, symbol: str) -> Decimal:
        return max(self.held_qty(symbol) - self.held_for_orders(symbol), Decimal(0))

    def daytrade_count(self, now: dt.datetime) -> int:
        """Day trades in the last five sessions (today included)."""
        recent = self.prices.calendar.sessions(now.date() - dt.timedelta(days=14), now.date())[-5:]
        days = {s.date for s in recent}
        return sum(1 for day, _ in self.day_trades if day in days)

    # -- orders -----------------------------------------------------------------------------

    def submit(self, body: OrderBody, now: dt.datetime, *, replaces: str | None = None) -> OrderRecord:
        """Accept an order or raise ApiError with Alpaca's status and body."""
        with self.lock:
            self._check_unique(body)
            reserve_price, intent = self.admission.check(body, now)
            timing = plan_timing(self.prices.calendar, self.config, now, body.time_in_force)
            partial = self.faults.take_partial_fill()
            sequence = next(self._sequence)
            parts = partial.parts if partial else self.config.fill_parts
            if partial is None and draws_partial(self.config, f"{sequence}:{body.client_order_id}"):
                parts = max(parts, 2)
            lifecycle: dict[str, Any] = {
                "status": "new" if timing.fillable_now else "accepted",
                "fillable_at": timing.fillable_at,
                "expires_at": timing.expires_at,
                "reserve_price": reserve_price,
                "position_intent": intent,
                "parts": parts,
                "stop_after_parts": partial.stop_after if partial else None,
            }
            order = self._record(body, now, sequence=sequence, replaces=replaces, **lifecycle)
            if body.stop_loss is not None:
                self._add_stop_loss_leg(order, body, now, lifecycle)
            return order

    def _add_stop_loss_leg(
        self, parent: OrderRecord, body: OrderBody, now: dt.datetime, lifecycle: dict[str, Any]
    ) -> None:
        """An oco order's second leg: a stop (or stop-limit) for the same quantity; a fill of either leg
        cancels the other (apply_fill), and it holds no quantity of its own (held_for_orders)."""
        assert body.stop_loss is not None
        stop, limit = body.stop_loss
        leg_body = OrderBody(
            body.symbol,
            body.side,
            body.time_in_force,
            stable_id("leg", parent.client_order_id),
            body.qty,
            None,
            "stop" if limit is None else "stop_limit",
            limit,
            stop,
        )
        leg = self._record(leg_body, now, sequence=next(self._sequence), parent_id=parent.id, **lifecycle)
        parent.order_class = leg.order_class = "oco"
        parent.legs.append(leg)

    def record_rejected(self, body: OrderBody, now: dt.datetime, reason: str) -> OrderRecord:
        """An order the broker took and then rejected (status "rejected"), as a fault can script."""
        with self.lock:
            self._check_unique(body)
            return self._record(
                body,
                now,
                sequence=next(self._sequence),
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

    def _record(self, body: OrderBody, now: dt.datetime, *, sequence: int, **lifecycle: Any) -> OrderRecord:
        """A new order from the request's fields and its lifecycle fields, indexed by both ids."""
        order = OrderRecord(
            id=stable_id("order", f"{sequence}:{body.client_order_id}"),
            client_order_id=body.client_order_id,
            symbol=body.symbol,
            side=body.side,
            time_in_force=body.time_in_force,
            qty=body.qty,
            notional=body.notional,
            submitted_at=now,
            order_type=body.order_type,
            limit_price=body.limit_price,
            stop_price=body.stop_price,
            **lifecycle,
        )
        self.orders.append(order)
        self.orders_by_id[order.id] = order
        self.orders_by_client_id[order.client_order_id] = order
        return order

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
            for linked in [order, *self._oco_siblings(order)]:  # an oco order is canceled as a whole
                if linked.is_open:
                    linked.status = "canceled"
                    linked.canceled_at = now
                    linked.touch(now)
            return order

    def _oco_siblings(self, order: OrderRecord) -> list[OrderRecord]:
        if order.parent_id is not None:
            parent = self.orders_by_id[order.parent_id]
            return [parent, *(leg for leg in parent.legs if leg is not order)]
        return list(order.legs)

    def cancel_all(self, now: dt.datetime) -> list[OrderRecord]:
        with self.lock:
            return [self.cancel(o.id, now) for o in self.orders if o.is_open]

    def replace(self, order_id: str, changes: OrderBody, now: dt.datetime) -> OrderRecord:
        """PATCH /v2/orders/{id}: a new order carrying the changes replaces an open, unfilled one."""
        with self.lock:
            old = self.find(order_id)
            if not old.is_open:
                raise ApiError(422, 42210000, f'order is already in "{old.status}" state')
            if old.filled_qty > 0:
                raise ApiError(422, 42210000, "a partially filled order cannot be replaced in the emulator")
            if old.order_class == "oco":
                raise ApiError(422, 42210000, "the emulator cannot replace oco orders: cancel and resubmit")
            previous = old.status
            old.status = "replaced"  # releases its buying power and held quantity for the check
            try:
                new = self.submit(changes, now, replaces=old.id)
            except ApiError:
                old.status = previous
                raise
            old.replaced_at, old.replaced_by = now, new.id
            old.touch(now)
            return new

    def close_position(
        self, symbol: str, now: dt.datetime, *, qty: Decimal | None = None, percentage: Decimal | None = None
    ) -> OrderRecord:
        """Close all (or `qty`, or `percentage` percent) of a position with a market DAY order."""
        with self.lock:
            position = self.positions.get(symbol)
            if position is None or position.qty == 0:
                raise not_found(f"position not found: {symbol}")
            held = abs(position.qty)
            if percentage is not None:
                qty = (held * percentage / 100).quantize(Decimal("0.000000001"), rounding=ROUND_DOWN)
            amount = held if qty is None else qty
            side = "sell" if position.qty > 0 else "buy"
            body = OrderBody(
                symbol, side, "day", stable_id("close", f"{symbol}:{len(self.orders)}"), amount, None
            )
            return self.submit(body, now)

    # -- fills (the Ledger the FillEngine uses) ---------------------------------------------

    def affordable_qty(self, order: OrderRecord, qty: Decimal, price: Decimal) -> Decimal:
        """All of `qty` on margin; on a cash account only what cash pays for and what is held."""
        if self.config.is_margin or qty <= 0:
            return qty
        step = Decimal("0.000000001") if self.config.is_fractionable(order.symbol) else Decimal(1)
        if order.side == "sell":
            return min(qty, max(self.held_qty(order.symbol), Decimal(0)))
        if qty * price <= self.cash:
            return qty
        return max((self.cash / price).quantize(step, rounding=ROUND_DOWN), Decimal(0))

    def apply_fill(self, order: OrderRecord, qty: Decimal, price: Decimal, instant: dt.datetime) -> None:
        position = self.positions.setdefault(order.symbol, PositionRecord(order.symbol))
        before = position.qty
        signed = qty if order.side == "buy" else -qty
        position.trade(signed, price)
        self.cash += -(signed * price).quantize(_CENT)
        self._count_day_trade(order.symbol, before, position.qty, instant)
        if position.qty == 0:
            del self.positions[order.symbol]
        order.filled_qty += qty
        order.filled_cost += qty * price
        order.touch(instant)
        for sibling in self._oco_siblings(order):  # one leg trading cancels the other
            if sibling.is_open:
                sibling.status, sibling.canceled_at = "canceled", instant
                sibling.touch(instant)
        target = order.target_qty if order.target_qty is not None else order.filled_qty
        leaves = max(target - order.filled_qty, Decimal(0))
        fill_id = stable_id("fill", f"{order.id}:{len(self.fills)}")
        self.fills.append(
            FillRecord(fill_id, order, qty, price, instant, order.filled_qty, leaves, leaves > 0)
        )

    def _count_day_trade(self, symbol: str, before: Decimal, after: Decimal, instant: dt.datetime) -> None:
        """Opening (or adding) and closing (or reducing) the same symbol in one session is a day trade."""
        day = self.prices.calendar.current_or_next(instant).date
        if abs(after) > abs(before) or ((before > 0) != (after > 0) and after != 0):
            self._opened_on[symbol] = day
        if abs(after) < abs(before) and self._opened_on.get(symbol) == day:
            self.day_trades.append((day, symbol))

    def fill_activities(self) -> list[FillRecord]:
        with self.lock:
            return list(self.fills)
