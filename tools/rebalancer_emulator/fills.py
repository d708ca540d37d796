"""Fill models: when an order may fill, at what price, and in how many parts.

- Market orders, "current" fill model (default): while the market is open an order fills at the far side of
  the quote (buys at the ask, sells at the bid, see quotes.py) as of the moment it became fillable; outside
  market hours it waits for the next open and fills against the quote around that session's open.
- "next_open": every market order waits for the next session's open.
- Limit orders rest until the price path (prices.py) makes them marketable: a buy when the ask reaches the
  limit, a sell when the bid does. One that is marketable when it becomes fillable fills at the quote (never
  worse than its limit); one the path reaches later fills at its limit price, at that instant (paths.py).
- Stop orders trigger when the far side reaches the stop (a sell stop: the bid falls to it) and then fill as
  market orders at that instant; stop-limit orders then rest as limit orders from that instant.
Slippage (bps) is added to buys and taken from sells. A multi-part order fills its first part when it
becomes fillable and one more part per poll; parts left at the close of a DAY order expire. A seeded share
of orders (`partial_fill_rate`) fills in two parts.

The engine changes the account only through the `Ledger` it is given (the paper broker), so this module does
not import state.py.

    >>> from rebalancer_emulator.clock import MarketCalendar
    >>> cal = MarketCalendar(dt.date(2024, 11, 1), dt.date(2024, 12, 31))
    >>> t = plan_timing(cal, EmulatorConfig(), dt.datetime(2024, 11, 29, 20, tzinfo=dt.UTC), "day")
    >>> t.fillable_now, t.fillable_at.isoformat()   # after the 13:00 early close: next open, Monday
    (False, '2024-12-02T14:30:00+00:00')
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Protocol

from rebalancer_emulator.clock import MarketCalendar
from rebalancer_emulator.config import EmulatorConfig
from rebalancer_emulator.paths import first_instant
from rebalancer_emulator.prices import PriceModel, to_price
from rebalancer_emulator.quotes import Quote, SpreadModel
from rebalancer_emulator.records import OrderRecord

_NANO_SHARE = Decimal("0.000000001")


class Ledger(Protocol):
    """What the fill engine needs from the account."""

    def held_qty(self, symbol: str) -> Decimal: ...

    def affordable_qty(self, order: OrderRecord, qty: Decimal, price: Decimal) -> Decimal: ...

    def apply_fill(self, order: OrderRecord, qty: Decimal, price: Decimal, instant: dt.datetime) -> None: ...


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


def draws_partial(config: EmulatorConfig, order_key: str) -> bool:
    """Whether this order fills in parts: a draw seeded by (seed, order), so runs repeat exactly."""
    if config.partial_fill_rate <= 0:
        return False
    # A reproducible simulation draw, not a secret: the seeded stdlib generator is the point.
    draw = random.Random(f"{config.seed}:{order_key}").random()  # nosec B311
    return draw < config.partial_fill_rate


class FillEngine:
    """Moves open orders forward: first fill when fillable, further parts per poll, expiry at the close."""

    def __init__(self, prices: PriceModel, config: EmulatorConfig, ledger: Ledger) -> None:
        self.prices = prices
        self.config = config
        self.ledger = ledger
        self.spread = SpreadModel(config.spread_bps, config.min_spread)

    def quote(self, symbol: str, instant: dt.datetime) -> Quote | None:
        mid = self.prices.price_at(symbol, instant)
        return None if mid is None else self.spread.around(mid)

    def with_slippage(self, price: Decimal, side: str) -> Decimal:
        factor = self.config.slippage_bps / Decimal(10_000)
        return to_price(float(price * (1 + factor if side == "buy" else 1 - factor)))

    def far_side(self, symbol: str, side: str, instant: dt.datetime) -> Decimal | None:
        """What a marketable order pays at `instant`: ask (buy) or bid (sell), plus slippage."""
        quote = self.quote(symbol, instant)
        return None if quote is None else self.with_slippage(quote.far_side(side), side)

    def execution_price(self, order: OrderRecord, instant: dt.datetime) -> Decimal | None:
        # At a session's open the model price is that session's open, which is the "next_open" fill.
        price = self.far_side(order.symbol, order.side, instant)
        if price is None or order.limit_price is None:
            return price
        return min(price, order.limit_price) if order.side == "buy" else max(price, order.limit_price)

    def advance(self, order: OrderRecord, now: dt.datetime) -> None:
        """Idempotent for a given `now`: first fill once fillable, then expiry once past the close."""
        if order.parts_filled == 0 and now >= order.fillable_at:
            if order.order_type != "market":
                self._advance_conditional(order, now)
            elif not self._past_expiry(order, order.fillable_at):
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

    # -- limit, stop and stop-limit orders ----------------------------------------------------

    def _advance_conditional(self, order: OrderRecord, now: dt.datetime) -> None:
        """Search the path since the last look: a stop triggers when the price reaches its stop (then fills
        at the far side, or rests as a limit for stop_limit); a limit fills once marketable."""
        start = max(order.checked_until or order.fillable_at, order.fillable_at)
        end = now if order.expires_at is None else min(now, order.expires_at)
        if start > end:
            return
        order.checked_until = end
        calendar = self.prices.calendar
        if order.stop_price is not None and order.triggered_at is None:
            trigger = first_instant(calendar, lambda t: self._stop_reached(order, t), start, end)
            if trigger is None:
                return
            start = order.triggered_at = trigger[0]
            if order.limit_price is None:  # a stop order becomes a market order
                self._fill_part(order, start)
                return
        touch = first_instant(calendar, lambda t: self._marketable(order, t), start, end)
        if touch is not None:
            instant, gapped = touch
            # Marketable when the search began: the quote; crossed later: the limit, at that moment.
            self._fill_part(order, instant, None if gapped else order.limit_price)

    def _marketable(self, order: OrderRecord, instant: dt.datetime) -> bool:
        assert order.limit_price is not None
        price = self.far_side(order.symbol, order.side, instant)
        if price is None:
            return False
        return price <= order.limit_price if order.side == "buy" else price >= order.limit_price

    def _stop_reached(self, order: OrderRecord, instant: dt.datetime) -> bool:
        """A sell stop triggers when the bid falls to the stop, a buy stop when the ask rises to it."""
        assert order.stop_price is not None
        price = self.far_side(order.symbol, order.side, instant)
        if price is None:
            return False
        return price >= order.stop_price if order.side == "buy" else price <= order.stop_price

    # -- parts --------------------------------------------------------------------------------

    def _fill_part(self, order: OrderRecord, instant: dt.datetime, price: Decimal | None = None) -> None:
        price = price if price is not None else self.execution_price(order, instant)
        if price is None or price <= 0:
            return
        if order.target_qty is None:
            order.target_qty = self._target_qty(order, price)
        part = order.parts_filled + 1
        wanted = self._cumulative(order, part) - order.filled_qty
        qty = self.ledger.affordable_qty(order, wanted, price)
        order.parts_filled = part
        if qty > 0:
            self.ledger.apply_fill(order, qty, price, instant)
        if qty < wanted:
            # A cash account cannot pay for (or deliver) all of it: the rest is canceled, never owed.
            order.status = "canceled"
            order.canceled_at = instant
            order.touch(instant)
            return
        done = part >= order.parts or order.filled_qty >= order.target_qty
        order.status = "filled" if done else "partially_filled"
        if done:
            order.filled_at = instant
        order.touch(instant)

    def _target_qty(self, order: OrderRecord, price: Decimal) -> Decimal:
        if order.qty is not None:
            return order.qty
        assert order.notional is not None
        qty = (order.notional / price).quantize(_NANO_SHARE, rounding=ROUND_DOWN)
        if order.side == "sell":
            qty = min(qty, max(self.ledger.held_qty(order.symbol), Decimal(0)))
        return qty

    def _cumulative(self, order: OrderRecord, part: int) -> Decimal:
        assert order.target_qty is not None
        if part >= order.parts:
            return order.target_qty
        step = _NANO_SHARE if self.config.is_fractionable(order.symbol) else Decimal(1)
        return (order.target_qty * part / order.parts).quantize(step, rounding=ROUND_DOWN)
