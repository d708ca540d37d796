"""The trading rules every simulation kernel applies, and the path a kernel returns.

Rules (the live planner's, portfolio/plan.py, in its order): targets are weight x equity x
(1 - cash_buffer); a sell below min_order_notional is skipped unless it closes a position; sells first;
then every positive delta (those under the minimum included) is scaled by one factor down to the cash
left, when together they exceed it, and only then is a buy below min_order_notional skipped (its cash
stays unspent); slippage moves the price against us and fees are charged on the executed notional.
The planner's whole-share assets and open-order blocks have no counterpart here (fractional shares,
every order fills at once).

    >>> from rebalancer_research.backtest.options import BacktestOptions
    >>> trader = Trader(BacktestOptions(slippage_bps=10, cash_buffer=0.0))
    >>> book = Book({}, 1000.0)
    >>> traded, costs = trader.trade(book, [(0, 1.0)])
    >>> round(book.held[0], 6), round(costs, 6)
    (999.000999, 0.999001)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rebalancer_research.backtest.options import BacktestOptions

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Sessions:
    """What a kernel walks: per session the target weights, whether it may trade, and each symbol's
    growth from the previous close to the trade (`pre`) and from the trade to the close (`post`)."""

    targets: FloatArray
    may_trade: npt.NDArray[np.bool_]
    pre: FloatArray
    post: FloatArray

    def __len__(self) -> int:
        return len(self.targets)

    def part(self, start: int, stop: int | None = None) -> Sessions:
        return Sessions(
            self.targets[start:stop], self.may_trade[start:stop], self.pre[start:stop], self.post[start:stop]
        )


@dataclass(frozen=True, eq=False)
class SessionPath:
    """Per session: equity and holdings at the close, traded notional, costs, whether it traded;
    and the cash at the last close (so a path can be continued)."""

    equity: FloatArray
    holdings: FloatArray
    traded: FloatArray
    costs: FloatArray
    traded_today: npt.NDArray[np.bool_]
    final_cash: float


@dataclass
class Book:
    held: dict[int, float]  # column -> market value, only positions > 0
    cash: float

    def equity(self) -> float:
        return self.cash + sum(self.held.values())


class Trader:
    """Trades a book to target weights under one set of options."""

    def __init__(self, options: BacktestOptions) -> None:
        slip, fee = options.slippage_bps * 1e-4, options.fee_bps * 1e-4
        self.invested = 1.0 - options.cash_buffer
        self.minimum = options.min_order_notional
        self.threshold = options.schedule.threshold if options.schedule.kind == "threshold" else None
        self.sell_rate = (1.0 - slip) * (1.0 - fee)
        self.buy_rate = (1.0 + slip) * (1.0 + fee)

    def needs_trade(self, book: Book, target: list[tuple[int, float]]) -> bool:
        """Threshold rule: a weight drifted more than X from target, or the set of holdings changes."""
        if self.threshold is None:
            return True
        if set(book.held) != {col for col, _ in target}:
            return True
        equity = book.equity()
        drift = max((abs(book.held[col] / equity - w * self.invested) for col, w in target), default=0.0)
        return drift > self.threshold

    def trade(self, book: Book, target: list[tuple[int, float]]) -> tuple[float, float]:
        """Trade to `target`; returns (notional traded at mid price, costs)."""
        held = book.held
        investable = (book.cash + sum(held.values())) * self.invested
        minimum = self.minimum
        sold = 0.0
        wanted = {col for col, _ in target}
        for col in [c for c in held if c not in wanted]:  # full exits always go, whatever their size
            sold += held.pop(col)
        buys = []
        wanted_total = 0.0
        for col, weight in target:
            want = weight * investable
            delta = want - held.get(col, 0.0)
            if delta > 0.0:
                buys.append((col, delta))
                wanted_total += delta
            elif -delta >= minimum and delta < 0.0:
                sold -= delta
                held[col] = want
        cash = book.cash + sold * self.sell_rate
        buy_rate = self.buy_rate
        # As the live planner: every positive delta is scaled by one factor to the cash left after the
        # sells (which may be a hair below 0 after a fully invested day), and only then are the buys
        # under the minimum skipped.
        scale = 1.0
        if wanted_total > 0.0 and wanted_total * buy_rate > cash:
            scale = max(cash, 0.0) / (wanted_total * buy_rate)
        bought = 0.0
        for col, delta in buys:
            amount = delta * scale
            if amount >= minimum and amount > 0.0:
                held[col] = held.get(col, 0.0) + amount
                bought += amount
        book.cash = cash - bought * buy_rate
        return sold + bought, sold * (1.0 - self.sell_rate) + bought * (buy_rate - 1.0)
