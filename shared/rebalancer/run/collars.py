"""Price collars: each order as a marketable DAY limit order at the live price plus a collar.

A market order fills at whatever the book offers; a broken quote or an empty book can fill it at an absurd
price. With `execution.price_collar` set (a fraction, e.g. 0.01), a buy is limited to the live price x
(1 + collar) and a sell to the live price x (1 - collar): it fills at the market as usual, or not at all
beyond the collar (the run cancels it at the fill timeout and reports `partial`).

Alpaca takes notional amounts on market orders only, so a collared notional buy becomes a quantity: the
notional at the live price, 9 decimals, rounded up so the order is never below the $1 minimum. Its buying
power is reserved at the limit, which the cash buffer must cover (the config refuses a collar larger than
the buffer). Limit prices keep Alpaca's tick: cents at or above $1, 4 decimals below; the rounding stays
inside the collar and never makes the order non-marketable.

    >>> from rebalancer.broker.models import OrderSide
    >>> buy = Leg("cid", "SPY", OrderSide.BUY, None, Decimal("1000"), Decimal("400"))
    >>> collared = with_collar(buy, Decimal("0.01"))
    >>> collared.qty, collared.notional, collared.limit_price
    (Decimal('2.500000000'), None, Decimal('404.00'))
    >>> with_collar(buy, None) is buy
    True
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_UP, Decimal

from rebalancer.broker.models import OrderSide
from rebalancer.run.result import Leg

QTY_STEP = Decimal("0.000000001")  # Alpaca's 9 decimals
CENT = Decimal("0.01")
SUB_DOLLAR_TICK = Decimal("0.0001")


def tick(price: Decimal) -> Decimal:
    """Alpaca's price increment: a cent at or above $1, 1/100 of a cent below."""
    return CENT if price >= 1 else SUB_DOLLAR_TICK


def limit_price(side: OrderSide, live: Decimal, collar: Decimal) -> Decimal:
    """The collared limit: at most `collar` away from `live`, on the tick, and at least as good as `live`
    for the other side (a buy's limit is never below the live price, a sell's never above it)."""
    if side is OrderSide.BUY:
        edge = live * (1 + collar)
        step = tick(edge)
        return max(edge.quantize(step, ROUND_FLOOR), live.quantize(step, ROUND_CEILING))
    edge = live * (1 - collar)
    step = tick(edge)
    return min(edge.quantize(step, ROUND_CEILING), live.quantize(step, ROUND_FLOOR))


def with_collar(leg: Leg, collar: Decimal | None) -> Leg:
    """The leg as a collared limit order at its live (decision) price; unchanged without a collar."""
    if collar is None or leg.decision_price <= 0:
        return leg
    qty = leg.qty
    if qty is None:
        assert leg.notional is not None  # a leg has exactly one of qty and notional
        qty = (leg.notional / leg.decision_price).quantize(QTY_STEP, ROUND_UP)
    limit = limit_price(leg.side, leg.decision_price, collar)
    return replace(leg, qty=qty, notional=None, limit_price=limit)
