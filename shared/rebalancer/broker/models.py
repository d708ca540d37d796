"""Broker domain types: what the Broker port returns, independent of alpaca-py.

Money and quantities are Decimal. Times are timezone-aware (UTC or America/New_York).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderStatus(StrEnum):
    NEW = "new"
    PENDING_NEW = "pending_new"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    DONE_FOR_DAY = "done_for_day"
    CANCELED = "canceled"
    PENDING_CANCEL = "pending_cancel"
    EXPIRED = "expired"
    REJECTED = "rejected"
    REPLACED = "replaced"
    SUSPENDED = "suspended"
    HELD = "held"

    @property
    def is_open(self) -> bool:
        return self not in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
        OrderStatus.REJECTED,
        OrderStatus.REPLACED,
    }
)


@dataclass(frozen=True)
class Account:
    account_id: str
    status: str
    cash: Decimal
    equity: Decimal
    buying_power: Decimal
    last_equity: Decimal
    trading_blocked: bool = False
    account_blocked: bool = False


@dataclass(frozen=True)
class Position:
    symbol: str
    qty: Decimal
    market_value: Decimal
    current_price: Decimal
    avg_entry_price: Decimal
    qty_available: Decimal | None = None


@dataclass(frozen=True)
class AssetInfo:
    symbol: str
    tradable: bool
    fractionable: bool
    status: str = "active"


@dataclass(frozen=True)
class OrderRequest:
    """A DAY order by quantity or by notional (exactly one of them): a market order, or with
    `limit_price` a limit order (by quantity only: Alpaca takes notional amounts on market orders only)."""

    symbol: str
    side: OrderSide
    client_order_id: str
    qty: Decimal | None = None
    notional: Decimal | None = None
    limit_price: Decimal | None = None

    def __post_init__(self) -> None:
        if (self.qty is None) == (self.notional is None):
            raise ValueError("an order needs exactly one of qty and notional")
        if self.limit_price is not None and (self.qty is None or self.limit_price <= 0):
            raise ValueError("a limit order needs a qty and a positive limit price")
        if len(self.client_order_id) > 128:
            raise ValueError("client_order_id is limited to 128 characters")


@dataclass(frozen=True)
class Order:
    order_id: str
    client_order_id: str
    symbol: str
    side: OrderSide
    status: OrderStatus
    qty: Decimal | None
    notional: Decimal | None
    filled_qty: Decimal
    filled_avg_price: Decimal | None
    submitted_at: dt.datetime
    filled_at: dt.datetime | None = None
    canceled_at: dt.datetime | None = None

    @property
    def filled_notional(self) -> Decimal:
        if self.filled_avg_price is None:
            return Decimal(0)
        return self.filled_qty * self.filled_avg_price


@dataclass(frozen=True)
class MarketClock:
    timestamp: dt.datetime
    is_open: bool
    next_open: dt.datetime
    next_close: dt.datetime


@dataclass(frozen=True)
class TradingDay:
    """One session of the exchange calendar; open and close are aware America/New_York times."""

    date: dt.date
    open: dt.datetime
    close: dt.datetime

    @property
    def is_early_close(self) -> bool:
        return self.close.hour < 16
