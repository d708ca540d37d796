"""Fill models: when a market order may fill, at what price, and in how many parts.

- "current" (default): while the market is open an order fills at the current model price (see prices.py)
  as of the moment it became fillable; outside market hours it waits for the next open and fills there.
- "next_open": every order waits for the next session's open and fills at that session's open.
Slippage (bps) is added to buys and taken from sells. A multi-part order fills its first part when it
becomes fillable and one more part per poll; parts left at the close of a DAY order expire.

    >>> from rebalancer_emulator.clock import MarketCalendar
    >>> cal = MarketCalendar(dt.date(2024, 11, 1), dt.date(2024, 12, 31))
    >>> t = plan_timing(cal, EmulatorConfig(), dt.datetime(2024, 11, 29, 20, tzinfo=dt.UTC), "day")
    >>> t.fillable_now, t.fillable_at.isoformat()   # after the 13:00 early close: next open, Monday
    (False, '2024-12-02T14:30:00+00:00')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from rebalancer_emulator.clock import MarketCalendar
from rebalancer_emulator.config import EmulatorConfig
from rebalancer_emulator.prices import PriceModel, to_price
from rebalancer_emulator.records import OrderRecord

if TYPE_CHECKING:
    from rebalancer_emulator.state import PaperBroker

_NANO_SHARE = Decimal("0.000000001")


@dataclass(frozen=True)
class OrderTiming:
    fillable_now: bool
    fillable_at: dt.datetime
    expires_at: dt.datetime | None


def plan_timing(calendar: MarketCalendar, config: EmulatorConfig, now: dt.datetime, tif: str) -> OrderTiming:
    """When an order submitted at `now` becomes fillable, and when a DAY order expires."""
    session = calendar.current_or_next(now)
    in_session = session.open <= now < session.close
    if config.fill_model == "next_open" and in_session:
        session = calendar.next_after(session)
    fillable_now = in_session and config.fill_model == "current"
    start = now if fillable_now else session.open
    return OrderTiming(
        fillable_now=fillable_now,
        fillable_at=start + config.fill_delay,
        expires_at=session.close if tif == "day" else None,
    )


class FillEngine:
    """Moves open orders forward: first fill when fillable, further parts per poll, expiry at the close."""

    def __init__(self, prices: PriceModel, config: EmulatorConfig, broker: PaperBroker) -> None:
        self.prices = prices
        self.config = config
        self.broker = broker

    def with_slippage(self, price: Decimal, side: str) -> Decimal:
        factor = self.config.slippage_bps / Decimal(10_000)
        return to_price(float(price * (1 + factor if side == "buy" else 1 - factor)))

    def execution_price(self, order: OrderRecord, instant: dt.datetime) -> Decimal | None:
        # At a session's open the model price is that session's open, which is the "next_open" fill.
        base = self.prices.price_at(order.symbol, instant)
        return None if base is None else self.with_slippage(base, order.side)

    def advance(self, order: OrderRecord, now: dt.datetime) -> None:
        """Idempotent for a given `now`: first fill once fillable, then expiry once past the close."""
        if (
            order.parts_filled == 0
            and now >= order.fillable_at
            and not self._past_expiry(order, order.fillable_at)
        ):
            self._fill_part(order, order.fillable_at)
        if order.is_open and order.expires_at is not None and now >= order.expires_at:
            order.status = "expired"
            order.expired_at = order.expires_at
            order.touch(order.expires_at)

    def next_part(self, order: OrderRecord, now: dt.datetime) -> None:
        if not order.is_open or order.parts_filled == 0 or self._past_expiry(order, now):
            return
        if order.stop_after_parts is not None and order.parts_filled >= order.stop_after_parts:
            return
        self._fill_part(order, now)

    @staticmethod
    def _past_expiry(order: OrderRecord, instant: dt.datetime) -> bool:
        return order.expires_at is not None and instant >= order.expires_at

    def _fill_part(self, order: OrderRecord, instant: dt.datetime) -> None:
        price = self.execution_price(order, instant)
        if price is None or price <= 0:
            return
        if order.target_qty is None:
            order.target_qty = self._target_qty(order, price)
        part = order.parts_filled + 1
        cumulative = self._cumulative(order, part)
        qty = cumulative - order.filled_qty
        if order.side == "sell":
            held = self.broker.positions.get(order.symbol)
            qty = min(qty, held.qty if held else Decimal(0))
        order.parts_filled = part
        if qty > 0:
            self.broker.apply_fill(order, qty, price, instant)
        done = part >= order.parts or order.filled_qty >= order.target_qty
        order.status = "filled" if done else "partially_filled"
        if done:
            order.filled_at = instant

    def _target_qty(self, order: OrderRecord, price: Decimal) -> Decimal:
        if order.qty is not None:
            return order.qty
        assert order.notional is not None
        qty = (order.notional / price).quantize(_NANO_SHARE, rounding=ROUND_DOWN)
        if order.side == "sell":
            held = self.broker.positions.get(order.symbol)
            qty = min(qty, held.qty if held else Decimal(0))
        return qty

    def _cumulative(self, order: OrderRecord, part: int) -> Decimal:
        assert order.target_qty is not None
        if part >= order.parts:
            return order.target_qty
        step = _NANO_SHARE if self.config.is_fractionable(order.symbol) else Decimal(1)
        return (order.target_qty * part / order.parts).quantize(step, rounding=ROUND_DOWN)
