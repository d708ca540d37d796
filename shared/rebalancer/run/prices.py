"""Price plausibility: every price that sizes an order is checked against the broker's live price.

The data gate refuses NaN, zero, negative and infinite closes, but a positive glitch (1e-300, x100, /100)
is a valid number. Before any order, each symbol the run may trade has three prices: the decision close
(the last daily bar), the live price (latest trade from the market data API) and, when held, the
position's current price. Each must be within `max_ratio` of the live price (ratio = larger / smaller);
otherwise the run refuses to trade (DataError `price-implausible`, fail closed, alert), naming the symbol
and both prices. A symbol with no live price is refused too (`price-missing`).

Default band (ExecutionSettings.max_price_ratio = 3): the largest one-day moves of the leveraged ETFs in
the project's data (461 symbols, close to next open or next close) are SOXS x2.27 (2025-04-09), UVXY x1.67
(2024-08-05), SOXL x1.63 (2020-03-16); only SVXY's 2018-02-06 collapse (x0.16) is wider, and a run that
day should stop for a human. A factor of 3 admits every other real move and refuses any decimal glitch
(x10 and beyond). Orders are then sized from the live price, not yesterday's close.

    >>> from decimal import Decimal as D
    >>> [p.code for p in check_prices({"SPY": D("5")}, {}, {"SPY": D("500")}, D(3))]
    ['price-implausible']
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal

from rebalancer.broker.models import Position
from rebalancer.errors import DataError
from rebalancer.market.base import MarketData
from rebalancer.market.history import PriceHistory


@dataclass(frozen=True)
class PriceProblem:
    code: str
    symbol: str
    detail: str


def check_prices(
    decision: Mapping[str, Decimal],
    positions: Mapping[str, Decimal],
    live: Mapping[str, Decimal],
    max_ratio: Decimal,
    symbols: Collection[str] | None = None,
) -> list[PriceProblem]:
    """Every symbol (default: all in `decision` or `positions`) whose prices disagree with the live one."""
    wanted = sorted(set(decision) | set(positions) if symbols is None else set(symbols))
    problems = []
    for symbol in wanted:
        now = live.get(symbol)
        if now is None or not now.is_finite() or now <= 0:
            problems.append(PriceProblem("price-missing", symbol, f"{symbol}: no live price ({now})"))
            continue
        for what, price in (("decision close", decision.get(symbol)), ("position", positions.get(symbol))):
            if price is not None and not _within(price, now, max_ratio):
                detail = f"{symbol}: {what} price {price} vs live price {now} (allowed ratio {max_ratio})"
                problems.append(PriceProblem("price-implausible", symbol, detail))
    return problems


def _within(price: Decimal, live: Decimal, max_ratio: Decimal) -> bool:
    if not price.is_finite() or price <= 0:
        return False
    return max(price, live) <= max_ratio * min(price, live)


def live_prices(market_data: MarketData, symbols: Collection[str]) -> dict[str, Decimal]:
    return market_data.latest_prices(sorted(symbols))


def refuse(problems: list[PriceProblem]) -> DataError:
    """The run's error for implausible prices: every problem, first code first."""
    first = problems[0]
    details = "; ".join(p.detail for p in problems)
    return DataError(
        f"{first.code}: {details}",
        code=first.code,
        hint=(
            "no orders were placed; compare the bars with the broker's prices (a glitch in the data feed?), "
            "then re-run with `rebalancer rerun` (docs/runbook.md, 'Prices refused')"
        ),
        where=first.symbol,
    )


def decision_prices(history: PriceHistory, positions: list[Position]) -> dict[str, Decimal]:
    """The decision price of each symbol: the last close, else the position's current price."""
    prices = {p.symbol: p.current_price for p in positions if p.current_price > 0}
    if len(history):
        last = history.close[-1]
        for i, symbol in enumerate(history.symbols):
            value = float(last[i])
            if math.isfinite(value) and value > 0:
                prices[symbol] = Decimal(repr(value))
    return prices
