"""The paper broker's mutable records (orders, positions) and their Alpaca JSON form.

Tests inspect these through `EmulatorServer.state`, e.g.
`emu.state.orders_by_client_id["run-1-SPY-buy"].status == "filled"`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from rebalancer_emulator.wire import dec_str, opt_dec, stable_id, utc_stamp

OPEN_STATUSES = frozenset({"new", "accepted", "pending_new", "partially_filled"})


@dataclass
class OrderRecord:
    """One market order and its lifecycle. Quantities and money are Decimal."""

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
        return self.remaining_qty_estimate() * self.reserve_price

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
            "replaced_at": None,
            "replaced_by": None,
            "replaces": None,
            "asset_id": stable_id("asset", self.symbol),
            "symbol": self.symbol,
            "asset_class": "us_equity",
            "notional": opt_dec(self.notional),
            "qty": opt_dec(self.qty),
            "filled_qty": dec_str(self.filled_qty),
            "filled_avg_price": opt_dec(self.filled_avg_price),
            "order_class": "",
            "order_type": "market",
            "type": "market",
            "side": self.side,
            "position_intent": "buy_to_open" if self.side == "buy" else "sell_to_close",
            "time_in_force": self.time_in_force,
            "limit_price": None,
            "stop_price": None,
            "status": self.status,
            "extended_hours": False,
            "legs": None,
            "trail_percent": None,
            "trail_price": None,
            "hwm": None,
            "subtag": None,
            "source": None,
        }


@dataclass
class PositionRecord:
    """A long position; `cost` is the total cost basis, so avg entry = cost / qty."""

    symbol: str
    qty: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)

    @property
    def avg_entry_price(self) -> Decimal:
        if self.qty == 0:
            return Decimal(0)
        return (self.cost / self.qty).quantize(Decimal("0.0001"))

    def buy(self, qty: Decimal, price: Decimal) -> None:
        self.qty += qty
        self.cost += qty * price

    def sell(self, qty: Decimal) -> None:
        if self.qty > 0:
            self.cost -= self.cost * qty / self.qty
        self.qty -= qty

    def to_json(
        self,
        *,
        exchange: str,
        current: Decimal,
        lastday: Decimal,
        available: Decimal,
    ) -> dict[str, object]:
        market_value = (self.qty * current).quantize(Decimal("0.01"))
        cost_basis = self.cost.quantize(Decimal("0.01"))
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
            "side": "long",
            "market_value": dec_str(market_value),
            "cost_basis": dec_str(cost_basis),
            "unrealized_pl": dec_str(unrealized),
            "unrealized_plpc": _ratio(unrealized, cost_basis),
            "unrealized_intraday_pl": dec_str(intraday),
            "unrealized_intraday_plpc": _ratio(intraday, lastday_value),
            "current_price": dec_str(current),
            "lastday_price": dec_str(lastday),
            "change_today": _ratio(current - lastday, lastday),
        }


def _ratio(part: Decimal, whole: Decimal) -> str:
    if whole == 0:
        return "0"
    return dec_str((part / whole).quantize(Decimal("0.0000000001")))
