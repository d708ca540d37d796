"""The paper broker's mutable records (orders, positions, fills) and their Alpaca JSON form.

Tests inspect these through `EmulatorServer.state`, e.g.
`emu.state.orders_by_client_id["run-1-SPY-buy"].status == "filled"`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from rebalancer_emulator.wire import dec_str, opt_dec, stable_id, utc_stamp

OPEN_STATUSES = frozenset({"new", "accepted", "pending_new", "partially_filled"})
_CENT = Decimal("0.01")


@dataclass
class OrderRecord:
    """One market, limit, stop or stop-limit order and its lifecycle. Quantities and money are Decimal."""

    id: str
    client_order_id: str
    symbol: str
    side: str
    time_in_force: str
    qty: Decimal | None
    notional: Decimal | None
    status: str
    submitted_at: dt.datetime
    fillable_at: dt.datetime
    expires_at: dt.datetime | None
    reserve_price: Decimal
    order_type: str = "market"
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    position_intent: str = ""
    parts: int = 1
    stop_after_parts: int | None = None
    parts_filled: int = 0
    target_qty: Decimal | None = None
    filled_qty: Decimal = Decimal(0)
    filled_cost: Decimal = Decimal(0)
    updated_at: dt.datetime | None = None
    filled_at: dt.datetime | None = None
    canceled_at: dt.datetime | None = None
    expired_at: dt.datetime | None = None
    failed_at: dt.datetime | None = None
    reject_reason: str | None = None
    replaced_at: dt.datetime | None = None
    replaced_by: str | None = None
    replaces: str | None = None
    checked_until: dt.datetime | None = None  # a limit/stop order was checked against the path up to here
    triggered_at: dt.datetime | None = None  # when a stop or stop-limit order's stop was reached
    order_class: str = ""
    legs: list[OrderRecord] = field(default_factory=list)  # an oco order's stop-loss leg
    parent_id: str | None = None  # set on a leg

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def filled_avg_price(self) -> Decimal | None:
        if self.filled_qty == 0:
            return None
        return (self.filled_cost / self.filled_qty).quantize(Decimal("0.0001"))

    def remaining_qty_estimate(self) -> Decimal:
        """Shares still to trade (notional orders: estimated at the price seen on submission)."""
        if self.target_qty is not None:
            return self.target_qty - self.filled_qty
        if self.qty is not None:
            return self.qty - self.filled_qty
        assert self.notional is not None
        return max(self.notional - self.filled_cost, Decimal(0)) / self.reserve_price

    def reserved_cash(self) -> Decimal:
        """Buying power an open buy order holds back."""
        if not self.is_open or self.side != "buy":
            return Decimal(0)
        if self.notional is not None:
            return max(self.notional - self.filled_cost, Decimal(0))
        return self.remaining_qty_estimate() * (self.limit_price or self.stop_price or self.reserve_price)

    def touch(self, instant: dt.datetime) -> None:
        self.updated_at = instant

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "client_order_id": self.client_order_id,
            "created_at": utc_stamp(self.submitted_at),
            "updated_at": utc_stamp(self.updated_at or self.submitted_at),
            "submitted_at": utc_stamp(self.submitted_at),
            "filled_at": utc_stamp(self.filled_at),
            "expired_at": utc_stamp(self.expired_at),
            "expires_at": utc_stamp(self.expires_at),
            "canceled_at": utc_stamp(self.canceled_at),
            "failed_at": utc_stamp(self.failed_at),
            "replaced_at": utc_stamp(self.replaced_at),
            "replaced_by": self.replaced_by,
            "replaces": self.replaces,
            "asset_id": stable_id("asset", self.symbol),
            "symbol": self.symbol,
            "asset_class": "us_equity",
            "notional": opt_dec(self.notional),
            "qty": opt_dec(self.qty),
            "filled_qty": dec_str(self.filled_qty),
            "filled_avg_price": opt_dec(self.filled_avg_price),
            "order_class": self.order_class,
            "order_type": self.order_type,
            "type": self.order_type,
            "side": self.side,
            "position_intent": self.position_intent
            or ("buy_to_open" if self.side == "buy" else "sell_to_close"),
            "time_in_force": self.time_in_force,
            "limit_price": opt_dec(self.limit_price),
            "stop_price": opt_dec(self.stop_price),
            "status": self.status,
            "extended_hours": False,
            "legs": [leg.to_json() for leg in self.legs] or None,
            "trail_percent": None,
            "trail_price": None,
            "hwm": None,
            "subtag": None,
            "source": None,
        }


@dataclass
class PositionRecord:
    """A position, long (qty > 0) or short (qty < 0); `cost` is the signed cost basis (avg = cost / qty)."""

    symbol: str
    qty: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)

    @property
    def avg_entry_price(self) -> Decimal:
        if self.qty == 0:
            return Decimal(0)
        return (self.cost / self.qty).quantize(Decimal("0.0001"))

    def buy(self, qty: Decimal, price: Decimal) -> None:
        self.trade(qty, price)

    def sell(self, qty: Decimal, price: Decimal) -> None:
        self.trade(-qty, price)

    def trade(self, signed_qty: Decimal, price: Decimal) -> None:
        """Add a signed quantity: adding to the side held adds cost; reducing keeps the average entry and
        a trade through zero opens the other side at `price`."""
        if self.qty == 0 or (self.qty > 0) == (signed_qty > 0):
            self.qty += signed_qty
            self.cost += signed_qty * price
            return
        closing = min(abs(signed_qty), abs(self.qty))
        self.cost -= self.cost * closing / abs(self.qty)
        self.qty += signed_qty
        if abs(signed_qty) > closing:
            self.cost = self.qty * price

    def to_json(
        self,
        *,
        exchange: str,
        current: Decimal,
        lastday: Decimal,
        available: Decimal,
    ) -> dict[str, object]:
        market_value = (self.qty * current).quantize(_CENT)
        cost_basis = self.cost.quantize(_CENT)
        unrealized = market_value - cost_basis
        intraday = (self.qty * (current - lastday)).quantize(Decimal("0.01"))
        lastday_value = self.qty * lastday
        return {
            "asset_id": stable_id("asset", self.symbol),
            "symbol": self.symbol,
            "exchange": exchange,
            "asset_class": "us_equity",
            "asset_marginable": True,
            "avg_entry_price": dec_str(self.avg_entry_price),
            "qty": dec_str(self.qty),
            "qty_available": dec_str(available),
            "side": "long" if self.qty >= 0 else "short",
            "market_value": dec_str(market_value),
            "cost_basis": dec_str(cost_basis),
            "unrealized_pl": dec_str(unrealized),
            "unrealized_plpc": _ratio(unrealized, abs(cost_basis)),
            "unrealized_intraday_pl": dec_str(intraday),
            "unrealized_intraday_plpc": _ratio(intraday, abs(lastday_value)),
            "current_price": dec_str(current),
            "lastday_price": dec_str(lastday),
            "change_today": _ratio(current - lastday, lastday),
        }


@dataclass(frozen=True)
class FillRecord:
    """One execution, as GET /v2/account/activities reports it (activity_type FILL)."""

    id: str
    order: OrderRecord
    qty: Decimal
    price: Decimal
    at: dt.datetime
    cum_qty: Decimal
    leaves_qty: Decimal
    partial: bool

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "activity_type": "FILL",
            "transaction_time": utc_stamp(self.at),
            "type": "partial_fill" if self.partial else "fill",
            "price": dec_str(self.price),
            "qty": dec_str(self.qty),
            "side": self.order.side,
            "symbol": self.order.symbol,
            "leaves_qty": dec_str(self.leaves_qty),
            "order_id": self.order.id,
            "cum_qty": dec_str(self.cum_qty),
            "order_status": "partially_filled" if self.partial else "filled",
        }


def _ratio(part: Decimal, whole: Decimal) -> str:
    if whole == 0:
        return "0"
    return dec_str((part / whole).quantize(Decimal("0.0000000001")))
