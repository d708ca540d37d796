"""alpaca-py models -> the product's broker types (Decimal money, aware times)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from rebalancer.broker.models import (
    Account,
    AssetInfo,
    MarketClock,
    Order,
    OrderSide,
    OrderStatus,
    Position,
    TradingDay,
)

NEW_YORK = ZoneInfo("America/New_York")


def dec(value: Any, default: str = "0") -> Decimal:
    """Alpaca sends money as strings; None means absent."""
    return Decimal(default) if value is None or value == "" else Decimal(str(value))


def opt_dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def _enum_value(value: Any) -> str:
    return str(getattr(value, "value", value))


def aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def to_account(raw: Any) -> Account:
    return Account(
        account_id=str(raw.id),
        status=_enum_value(raw.status),
        cash=dec(raw.cash),
        equity=dec(raw.equity),
        buying_power=dec(raw.buying_power),
        last_equity=dec(raw.last_equity, default=str(raw.equity or "0")),
        trading_blocked=bool(raw.trading_blocked),
        account_blocked=bool(raw.account_blocked),
    )


def to_position(raw: Any) -> Position:
    return Position(
        symbol=raw.symbol,
        qty=dec(raw.qty),
        market_value=dec(raw.market_value),
        current_price=dec(raw.current_price),
        avg_entry_price=dec(raw.avg_entry_price),
        qty_available=opt_dec(raw.qty_available),
    )


def to_asset(raw: Any) -> AssetInfo:
    return AssetInfo(
        symbol=raw.symbol,
        tradable=bool(raw.tradable),
        fractionable=bool(raw.fractionable),
        status=_enum_value(raw.status),
    )


def to_order(raw: Any) -> Order:
    submitted = aware(raw.submitted_at) or aware(raw.created_at)
    assert submitted is not None  # alpaca-py requires both fields
    return Order(
        order_id=str(raw.id),
        client_order_id=raw.client_order_id,
        symbol=raw.symbol,
        side=OrderSide(_enum_value(raw.side)),
        status=OrderStatus(_enum_value(raw.status)),
        qty=opt_dec(raw.qty),
        notional=opt_dec(raw.notional),
        filled_qty=dec(raw.filled_qty),
        filled_avg_price=opt_dec(raw.filled_avg_price),
        submitted_at=submitted,
        filled_at=aware(raw.filled_at),
        canceled_at=aware(raw.canceled_at),
    )


def to_clock(raw: Any) -> MarketClock:
    timestamp, next_open, next_close = (aware(raw.timestamp), aware(raw.next_open), aware(raw.next_close))
    assert timestamp is not None
    assert next_open is not None
    assert next_close is not None
    return MarketClock(
        timestamp=timestamp, is_open=bool(raw.is_open), next_open=next_open, next_close=next_close
    )


def to_trading_day(raw: Any) -> TradingDay:
    # alpaca-py builds open/close as naive ET wall-clock times: localize them.
    return TradingDay(
        date=raw.date,
        open=raw.open.replace(tzinfo=NEW_YORK),
        close=raw.close.replace(tzinfo=NEW_YORK),
    )
