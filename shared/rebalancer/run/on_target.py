"""Is the account on target after the orders? A run ends `completed` only when it is (pure).

Each symbol's value after trading (the broker's fresh positions) is compared with its target value,
weight x equity x (1 - cash_buffer), using the weights the risk engine approved (limit_targets). A symbol
is off target when the gap exceeds the tolerance: the larger of `tolerance` x equity (default 1%), one
whole share of a non-fractionable asset (whole-share orders cannot do better) and min_order_notional
(smaller orders are skipped on purpose). When buys are not allowed (reducing), only a position above its
target counts.

    >>> from decimal import Decimal as D
    >>> gaps = off_target({"SPY": D("0.5")}, D(1000), {"SPY": D(100)}, {}, tolerance=D("0.01"))
    >>> [g.symbol for g in gaps]
    ['SPY']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.broker.models import OrderSide, Position
from rebalancer.portfolio.plan_model import NOTIONAL_QUANTUM, PlanOptions
from rebalancer.run.result import OrderOutcome


@dataclass(frozen=True)
class Gap:
    symbol: str
    held: Decimal
    target: Decimal
    allowed: Decimal

    def describe(self) -> str:
        held, target = (v.quantize(NOTIONAL_QUANTUM) for v in (self.held, self.target))
        return f"{self.symbol} holds {held} against a target of {target} (tolerance {self.allowed:.2f})"


def off_target(
    weights: Mapping[str, Decimal],
    investable: Decimal,
    held: Mapping[str, Decimal],
    whole_share_prices: Mapping[str, Decimal],
    *,
    tolerance: Decimal,
    min_order_notional: Decimal = Decimal(0),
    buys_allowed: bool = True,
    equity: Decimal | None = None,
) -> list[Gap]:
    """Symbols whose value (`held`, dollars) is further from weight x `investable` than the tolerance.

    `whole_share_prices`: the price of one share of each non-fractionable symbol.
    """
    base = investable if equity is None else equity
    gaps = []
    for symbol in sorted(set(weights) | {s for s, v in held.items() if v > 0}):
        target = weights.get(symbol, Decimal(0)) * investable
        value = held.get(symbol, Decimal(0))
        allowed = max(tolerance * base, whole_share_prices.get(symbol, Decimal(0)), min_order_notional)
        over = value - target > allowed
        under = target - value > allowed
        if over or (under and buys_allowed):
            gaps.append(Gap(symbol, value, target, allowed))
    return gaps


def projected_values(
    positions: Sequence[Position], fills: Sequence[OrderOutcome], prices: Mapping[str, Decimal]
) -> dict[str, Decimal]:
    """Each symbol's value after `fills` (the broker's filled quantities) on top of `positions`, at the
    live `prices` (a held symbol without one: its position's price). Saves re-reading the account."""
    qty = {p.symbol: p.qty for p in positions}
    price = {p.symbol: p.current_price for p in positions}
    for fill in fills:
        sign = 1 if fill.side is OrderSide.BUY else -1
        qty[fill.symbol] = qty.get(fill.symbol, Decimal(0)) + sign * fill.filled_qty
    price.update(prices)
    return {s: q * price.get(s, Decimal(0)) for s, q in qty.items() if q > 0}


def account_gaps(  # noqa: PLR0917 (the account, its values and the plan, in that order)
    equity: Decimal,
    held: Mapping[str, Decimal],
    weights: Mapping[str, Decimal],
    fractionable: Mapping[str, bool],
    prices: Mapping[str, Decimal],
    options: PlanOptions,
    *,
    tolerance: Decimal,
    buys_allowed: bool,
) -> list[Gap]:
    """off_target for an account after its orders: one share of a whole-share asset is tolerated."""
    whole = {s: p for s, p in prices.items() if not fractionable.get(s, True)}
    return off_target(
        weights,
        equity * (1 - options.cash_buffer),
        held,
        whole,
        tolerance=tolerance,
        min_order_notional=options.min_order_notional,
        buys_allowed=buys_allowed,
        equity=equity,
    )
