"""Whole-share buys refused for buying power are re-sized once, smaller, instead of failing all day.

A whole-share quantity is sized from the live price, but the price can move between the quote and the
order (an opening gap): the broker then refuses the buy for insufficient buying power, and the same
quantity would be refused on every retry. The refused leg is re-sized from the account's buying power
now and a fresh live price, with a 0.5% margin for the market order's fill price (or the collar, when
larger: a collared buy reserves buying power at its limit), and sent once under the next leg number of
its symbol (a new client_order_id: the refused one made no order).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import ROUND_FLOOR, Decimal

from rebalancer.broker.base import Broker
from rebalancer.broker.models import OrderSide
from rebalancer.market.base import MarketData
from rebalancer.portfolio.plan_model import PlannedOrder
from rebalancer.run.collars import with_collar
from rebalancer.run.execution import Executor
from rebalancer.run.result import Leg, OrderOutcome

PRICE_MARGIN = Decimal("1.005")


def buying_power_refusal(outcome: OrderOutcome) -> bool:
    return (
        outcome.order is None
        and outcome.side is OrderSide.BUY
        and outcome.qty is not None
        and outcome.error.startswith("order-rejected")
        and "buying power" in outcome.error.lower()
    )


def resize_refused(
    outcomes: list[OrderOutcome],
    *,
    broker: Broker,
    market_data: MarketData,
    executor: Executor,
    collar: Decimal | None,
    next_id: Callable[[Leg], str],
    journal: Callable[[list[Leg]], None],
) -> tuple[list[OrderOutcome], list[str]]:
    """The outcomes with each refused whole-share buy replaced by its smaller re-send, and warnings."""
    refused = [o for o in outcomes if buying_power_refusal(o)]
    if not refused:
        return outcomes, []
    account = broker.get_account()
    available = max(Decimal(0), min(account.buying_power, account.cash))
    live = market_data.latest_prices(sorted({o.symbol for o in refused}))
    retries: list[Leg] = []
    notes = []
    for outcome in refused:
        price = live.get(outcome.symbol)
        assert outcome.qty is not None  # buying_power_refusal checked it
        if price is None or price <= 0:
            notes.append(f"{outcome.symbol}: refused for buying power and no live price to re-size it")
            continue
        # A collared buy reserves buying power at its limit, beyond the live price by up to the collar.
        margin = max(PRICE_MARGIN, 1 + (collar or 0))
        qty = min(outcome.qty - 1, (available / (price * margin)).to_integral_value(ROUND_FLOOR))
        if qty < 1:
            notes.append(f"{outcome.symbol}: refused for buying power; not even one share fits now")
            continue
        available -= qty * price * margin
        leg = with_collar(Leg(next_id(outcome), outcome.symbol, OrderSide.BUY, qty, None, price), collar)
        retries.append(leg)
        notes.append(f"{outcome.symbol}: buy of {outcome.qty} refused for buying power; re-sized to {qty}")
    if not retries:
        return outcomes, notes
    journal(retries)
    sent = {o.symbol: o for o in executor.execute(retries, step="buy-resized")}
    return [sent.get(o.symbol, o) if buying_power_refusal(o) else o for o in outcomes], notes


def cap_to_approved(buys: tuple[PlannedOrder, ...], approved: tuple[PlannedOrder, ...]) -> list[PlannedOrder]:
    """Buys re-sized from actual buying power, never larger than (or outside) what risk approved."""
    limits = {o.symbol: o for o in approved}
    capped = []
    for order in buys:
        ok = limits.get(order.symbol)
        if ok is None or order.side is not OrderSide.BUY:
            continue
        if order.notional is not None:
            ceiling = ok.notional if ok.notional is not None else ok.estimated_notional
            capped.append(_resize(order, notional=min(order.notional, ceiling)))
        elif order.qty is not None and ok.qty is not None:
            capped.append(_resize(order, qty=min(order.qty, ok.qty)))
    return [o for o in capped if (o.notional or o.qty or Decimal(0)) > 0]


def _resize(
    order: PlannedOrder, *, notional: Decimal | None = None, qty: Decimal | None = None
) -> PlannedOrder:
    return replace(order, notional=notional, qty=qty)
