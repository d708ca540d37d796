"""Order planning (pure, Decimal): target weights x equity - current positions -> orders.

Sizing rules (docs/architecture.md, "Planning"):
- target value = weight x equity x (1 - cash_buffer); weights may sum to less than 1 (the rest is cash).
- a held symbol whose target is 0 is closed whole: an exit leg (close_position=True) for the exact held qty
  (the run sends it as a qty sell under its client_order_id, so no dust stays).
- sells: fractionable assets by qty rounded DOWN to 1e-9 share; non-fractionable assets in whole shares
  rounded UP (toward less exposure), capped at the whole shares held.
- buys: fractionable assets by notional rounded DOWN to the cent; non-fractionable assets in whole shares
  rounded DOWN. Buys are sized from the cash available after the sells and scaled down pro rata when they
  would exceed it, so they never exceed buying power.
- an order worth less than min_order_notional is skipped (`below-minimum`); any open order in a symbol
  blocks new orders in it (`open-order-conflict` opposite side, `open-order-pending` same side).

>>> account = Account("acct", "ACTIVE", Decimal(5000), Decimal(10000), Decimal(5000), Decimal(10000))
>>> positions = [Position("SPY", Decimal(10), Decimal(5000), Decimal(500), Decimal(450))]
>>> prices = {"SPY": Decimal(500), "TLT": Decimal(100)}
>>> assets = {s: AssetInfo(s, tradable=True, fractionable=True) for s in prices}
>>> plan = plan_orders({"SPY": 0.3, "TLT": 0.7}, account, positions, prices, assets, PlanOptions())
>>> [(o.symbol, o.side.value, o.qty or o.notional) for o in plan.orders]
[('SPY', 'sell', Decimal('4.120000000')), ('TLT', 'buy', Decimal('6860.00'))]
>>> plan_buys({"SPY": 0.3, "TLT": 0.7}, account, positions, prices, assets, PlanOptions(),
...           buying_power=Decimal(6000)).buys[0].notional                     # after the sells filled
Decimal('6000.00')
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from rebalancer.broker.models import Account, AssetInfo, Order, OrderSide, Position
from rebalancer.portfolio.plan_model import (
    NOTIONAL_QUANTUM,
    QTY_QUANTUM,
    WEIGHT_TOLERANCE,
    OrderReason,
    Plan,
    PlannedOrder,
    PlanningError,
    PlanOptions,
    SkipCode,
    SkippedOrder,
)

__all__ = [
    "Plan",
    "PlanOptions",
    "PlannedOrder",
    "PlanningError",
    "SkipCode",
    "SkippedOrder",
    "available_cash",
    "plan_buys",
    "plan_orders",
    "to_weight",
]

Weight = float | Decimal
_WEIGHT_HINT = "target weights must be finite, non-negative and sum to at most 1 (the rest is cash)"


@dataclass(frozen=True)
class _Line:
    """One symbol's position against its target."""

    symbol: str
    weight: Decimal
    target_value: Decimal
    held: Decimal
    price: Decimal
    position: Position | None

    @property
    def current_value(self) -> Decimal:
        return self.held * self.price

    @property
    def delta(self) -> Decimal:
        return self.target_value - self.current_value

    def order(self, side: OrderSide, reason: str, **size: Decimal | None) -> PlannedOrder:
        return PlannedOrder(
            self.symbol,
            side,
            close_position=reason == OrderReason.EXIT,
            reason=reason,
            price=self.price,
            target_weight=self.weight,
            target_value=self.target_value,
            current_value=self.current_value,
            **size,
        )

    def skip(self, side: OrderSide, code: str, detail: str, notional: Decimal) -> SkippedOrder:
        return SkippedOrder(self.symbol, side, code, detail, max(notional, Decimal(0)))


def to_weight(symbol: str, value: Weight) -> Decimal:
    """A weight as Decimal (floats via their shortest repr); PlanningError when non-finite or negative."""
    if isinstance(value, float) and not math.isfinite(value):
        raise PlanningError(
            f"weight of {symbol} is {value}", code="weight-not-finite", hint=_WEIGHT_HINT, where=symbol
        )
    weight = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    if not weight.is_finite() or weight < 0:
        raise PlanningError(
            f"weight of {symbol} is {weight}", code="weight-negative", hint=_WEIGHT_HINT, where=symbol
        )
    return weight


def available_cash(account: Account) -> Decimal:
    """Cash the plan may spend: never margin (the smaller of cash and buying power), never negative."""
    return max(Decimal(0), min(account.cash, account.buying_power))


def plan_orders(  # noqa: PLR0917 (the agreed interface is positional)
    targets: Mapping[str, Weight],
    account: Account,
    positions: Sequence[Position],
    prices: Mapping[str, Decimal],
    assets: Mapping[str, AssetInfo],
    options: PlanOptions,
    *,
    open_orders: Collection[Order] = (),
) -> Plan:
    """Sells and buys that move `positions` to `targets` (symbol -> weight of equity)."""
    lines = _lines(targets, account, positions, prices, options)
    open_sides = _open_sides(open_orders)
    sells: list[PlannedOrder] = []
    skipped: list[SkippedOrder] = [
        SkippedOrder(p.symbol, OrderSide.BUY, SkipCode.SHORT_POSITION, f"short position {p.qty} left alone")
        for p in positions
        if p.qty < 0
    ]
    for line in lines:
        if line.held > 0 and (line.weight == 0 or line.delta < 0):  # an exit needs no price
            outcome = _sell(line, assets.get(line.symbol), open_sides.get(line.symbol, set()), options)
            if isinstance(outcome, PlannedOrder):
                sells.append(outcome)
            else:
                skipped.append(outcome)
    proceeds = sum((o.estimated_notional for o in sells), Decimal(0))
    buys = _buys(lines, assets, open_sides, options, available_cash(account) + proceeds)
    return Plan(
        sells=tuple(sells),
        buys=buys.buys,
        skipped=tuple(skipped) + buys.skipped,
        buy_budget=buys.buy_budget,
        buy_scale=buys.buy_scale,
    )


def plan_buys(  # noqa: PLR0917 (mirrors plan_orders)
    targets: Mapping[str, Weight],
    account: Account,
    positions: Sequence[Position],
    prices: Mapping[str, Decimal],
    assets: Mapping[str, AssetInfo],
    options: PlanOptions,
    *,
    buying_power: Decimal | None = None,
    open_orders: Collection[Order] = (),
) -> Plan:
    """Only the buys, sized from `buying_power` (default: the account's available cash).

    The run calls this after the sells have filled, with the fresh account, positions and buying power.
    """
    lines = _lines(targets, account, positions, prices, options)
    budget = available_cash(account) if buying_power is None else max(Decimal(0), buying_power)
    return _buys(lines, assets, _open_sides(open_orders), options, budget)


def _lines(
    targets: Mapping[str, Weight],
    account: Account,
    positions: Sequence[Position],
    prices: Mapping[str, Decimal],
    options: PlanOptions,
) -> list[_Line]:
    weights = {symbol: to_weight(symbol, value) for symbol, value in targets.items()}
    total = sum(weights.values(), Decimal(0))
    if total > 1 + WEIGHT_TOLERANCE:
        raise PlanningError(
            f"target weights sum to {total} > 1", code="weights-exceed-one", hint=_WEIGHT_HINT
        )
    if account.equity <= 0:
        raise PlanningError(
            f"account equity is {account.equity}",
            code="equity-nonpositive",
            hint="fund the account; nothing can be sized from zero equity",
        )
    investable = account.equity * (1 - options.cash_buffer)
    held = {p.symbol: p for p in positions if p.qty > 0}
    lines = []
    for symbol in sorted(set(weights) | set(held)):
        position = held.get(symbol)
        price = prices.get(symbol) or (position.current_price if position else Decimal(0))
        weight = weights.get(symbol, Decimal(0))
        qty = position.qty if position else Decimal(0)
        lines.append(_Line(symbol, weight, weight * investable, qty, price, position))
    return lines


def _open_sides(open_orders: Collection[Order]) -> dict[str, set[OrderSide]]:
    sides: dict[str, set[OrderSide]] = {}
    for order in open_orders:
        if order.status.is_open:
            sides.setdefault(order.symbol, set()).add(order.side)
    return sides


def _blocked(
    line: _Line, side: OrderSide, asset: AssetInfo | None, open_sides: set[OrderSide], notional: Decimal
) -> SkippedOrder | None:
    """Why no order in this symbol may be placed now, if any reason applies."""
    if open_sides - {side}:
        return line.skip(side, SkipCode.OPEN_ORDER_CONFLICT, "an opposite-side order is open", notional)
    if side in open_sides:
        return line.skip(side, SkipCode.OPEN_ORDER_PENDING, "a same-side order is already open", notional)
    if asset is None:
        return line.skip(side, SkipCode.ASSET_UNKNOWN, "no asset information from the broker", notional)
    if not asset.tradable or asset.status != "active":
        detail = f"asset is {asset.status}, tradable={asset.tradable}"
        return line.skip(side, SkipCode.NOT_TRADABLE, detail, notional)
    return None


def _sell(
    line: _Line, asset: AssetInfo | None, open_sides: set[OrderSide], options: PlanOptions
) -> PlannedOrder | SkippedOrder:
    side = OrderSide.SELL
    if line.weight == 0:
        notional = line.current_value
        if line.price <= 0 and line.position is not None:
            notional = abs(line.position.market_value)
        blocked = _blocked(line, side, asset, open_sides, notional)
        return blocked or line.order(side, OrderReason.EXIT, qty=line.held)
    excess = -line.delta
    blocked = _blocked(line, side, asset, open_sides, excess)
    if blocked is not None:
        return blocked
    # Here price > 0: a position worth more than its (non-negative) target has a positive price.
    assert asset is not None  # _blocked returned None
    available = line.held
    if line.position is not None and line.position.qty_available is not None:
        available = min(available, line.position.qty_available)
    if asset.fractionable:
        qty = min((excess / line.price).quantize(QTY_QUANTUM, ROUND_FLOOR), available)
    else:
        whole_held = available.to_integral_value(ROUND_FLOOR)
        qty = min((excess / line.price).to_integral_value(ROUND_CEILING), whole_held)
    if qty <= 0:
        return line.skip(side, SkipCode.BELOW_ONE_SHARE, "the sell rounds to zero shares", excess)
    if qty * line.price < options.min_order_notional:
        return line.skip(side, SkipCode.BELOW_MINIMUM, f"< {options.min_order_notional}", qty * line.price)
    return line.order(side, OrderReason.REDUCE, qty=qty)


def _buys(
    lines: Sequence[_Line],
    assets: Mapping[str, AssetInfo],
    open_sides: Mapping[str, set[OrderSide]],
    options: PlanOptions,
    budget: Decimal,
) -> Plan:
    side = OrderSide.BUY
    wanted: list[_Line] = []
    skipped: list[SkippedOrder] = []
    for line in lines:
        if line.delta <= 0:
            continue
        sides = open_sides.get(line.symbol, set())
        blocked = _blocked(line, side, assets.get(line.symbol), sides, line.delta)
        if blocked is None and line.price <= 0:
            blocked = line.skip(side, SkipCode.NO_PRICE, "no positive price to size the buy", line.delta)
        if blocked is not None:
            skipped.append(blocked)
        else:
            wanted.append(line)
    total = sum((line.delta for line in wanted), Decimal(0))
    scale = min(Decimal(1), budget / total) if total > 0 else Decimal(1)
    buys: list[PlannedOrder] = []
    for line in wanted:
        outcome = _buy(line, assets[line.symbol], line.delta * scale, options)
        if isinstance(outcome, PlannedOrder):
            buys.append(outcome)
        else:
            skipped.append(outcome)
    return Plan(buys=tuple(buys), skipped=tuple(skipped), buy_budget=budget, buy_scale=scale)


def _buy(line: _Line, asset: AssetInfo, amount: Decimal, options: PlanOptions) -> PlannedOrder | SkippedOrder:
    side = OrderSide.BUY
    if amount <= 0:
        return line.skip(side, SkipCode.NO_BUYING_POWER, "no cash left for this buy", line.delta)
    if asset.fractionable:
        notional = amount.quantize(NOTIONAL_QUANTUM, ROUND_FLOOR)
        if notional < options.min_order_notional or notional <= 0:
            return line.skip(side, SkipCode.BELOW_MINIMUM, f"< {options.min_order_notional}", amount)
        return line.order(side, OrderReason.INCREASE, notional=notional)
    qty = (amount / line.price).to_integral_value(ROUND_FLOOR)
    if qty <= 0:
        return line.skip(side, SkipCode.BELOW_ONE_SHARE, "less than one whole share", amount)
    if qty * line.price < options.min_order_notional:
        return line.skip(side, SkipCode.BELOW_MINIMUM, f"< {options.min_order_notional}", qty * line.price)
    return line.order(side, OrderReason.INCREASE, qty=qty)
