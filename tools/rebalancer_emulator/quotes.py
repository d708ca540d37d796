"""Bid and ask around the model price: the spread model buys and sells fill against.

The full spread is `spread_bps` of the mid, at least `min_spread` (one cent by default), rounded outwards to
the tick (a cent at or above $1, $0.0001 below), so the ask is never below and the bid never above the mid.

    >>> SpreadModel(Decimal("2"), Decimal("0.01")).around(Decimal("100.00"))
    Quote(bid=Decimal('99.99'), ask=Decimal('100.01'))
    >>> SpreadModel(Decimal("2"), Decimal("0.01")).around(Decimal("600.00"))   # 2 bps of 600 = 0.12
    Quote(bid=Decimal('599.94'), ask=Decimal('600.06'))
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

_CENT = Decimal("0.01")
_TICK = Decimal("0.0001")


@dataclass(frozen=True)
class Quote:
    bid: Decimal
    ask: Decimal

    def far_side(self, side: str) -> Decimal:
        """The price a marketable order pays: the ask for a buy, the bid for a sell."""
        return self.ask if side == "buy" else self.bid


@dataclass(frozen=True)
class SpreadModel:
    bps: Decimal
    minimum: Decimal

    def around(self, mid: Decimal) -> Quote:
        half = max(mid * self.bps / Decimal(20_000), self.minimum / 2)
        tick = _CENT if mid >= 1 else _TICK
        bid = max((mid - half).quantize(tick, rounding=ROUND_FLOOR), tick)
        ask = (mid + half).quantize(tick, rounding=ROUND_CEILING)
        return Quote(bid=min(bid, mid), ask=max(ask, mid))
