"""The backtest's float trading rule (rebalancer_research/backtest/rules.py, Trader) and the live
planner (portfolio/plan.py, Decimal) agree on random books: the same symbols are sold, exited and
bought, and every position ends within a cent (the planner rounds notionals down to the cent and
quantities down to 1e-9 share; the backtest trades exact floats).

Both kernels that are not this book (dense rows, the linear solver) are checked against it in
tests/unit/test_backtest_kernel.py, so a rule change in either engine fails here or there.
Cases where some order sits within two cents of the minimum are left out: there the rounding decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rebalancer.broker.models import Account, AssetInfo, OrderSide, Position
from rebalancer.portfolio.plan import PlanOptions, plan_orders
from rebalancer_research.backtest.options import BacktestOptions
from rebalancer_research.backtest.rules import Book, Trader

SYMBOLS = ("A", "B", "C", "D")
CENT = 0.01


@dataclass(frozen=True)
class Case:
    cash: Decimal
    qty: dict[str, Decimal]
    prices: dict[str, Decimal]
    weights: dict[str, float]
    buffer: Decimal
    minimum: Decimal

    @property
    def values(self) -> dict[str, Decimal]:
        return {s: q * self.prices[s] for s, q in self.qty.items()}

    @property
    def equity(self) -> Decimal:
        return self.cash + sum(self.values.values(), Decimal(0))

    def deltas(self) -> dict[str, float]:
        investable = float(self.equity) * (1 - float(self.buffer))
        symbols = set(self.weights) | set(self.qty)
        return {s: self.weights.get(s, 0.0) * investable - float(self.values.get(s, 0)) for s in symbols}


@st.composite
def cases(draw: st.DrawFn) -> Case:
    prices = {s: draw(st.decimals(Decimal(1), Decimal(500), places=2)) for s in SYMBOLS}
    held = draw(st.sets(st.sampled_from(SYMBOLS)))
    qty = {s: draw(st.decimals(Decimal("0.01"), Decimal(100), places=2)) for s in sorted(held)}
    raw = {s: draw(st.floats(0.0, 1.0)) for s in draw(st.sets(st.sampled_from(SYMBOLS), min_size=1))}
    total = sum(raw.values())
    weights = {s: round(w / total, 6) if total > 1 else round(w, 6) for s, w in raw.items()}
    weights = {s: w for s, w in weights.items() if w > 0}
    scale = sum(weights.values())
    if scale > 1:
        weights = {s: w / scale for s, w in weights.items()}
    return Case(
        cash=draw(st.decimals(Decimal(0), Decimal(20000), places=2)),
        qty=qty,
        prices=prices,
        weights=weights,
        buffer=draw(st.sampled_from([Decimal(0), Decimal("0.02"), Decimal("0.05")])),
        minimum=draw(st.sampled_from([Decimal(1), Decimal(5), Decimal(25)])),
    )


def backtest_values(case: Case) -> dict[str, float]:
    columns = {s: i for i, s in enumerate(SYMBOLS)}
    options = BacktestOptions(cash_buffer=float(case.buffer), min_order_notional=float(case.minimum))
    book = Book({columns[s]: float(v) for s, v in case.values.items()}, float(case.cash))
    Trader(options).trade(book, [(columns[s], w) for s, w in sorted(case.weights.items())])
    return {s: book.held.get(columns[s], 0.0) for s in SYMBOLS}


def planner_values(case: Case) -> dict[str, float]:
    account = Account("acct", "ACTIVE", case.cash, case.equity, case.cash, case.equity)
    positions = [
        Position(s, q, q * case.prices[s], case.prices[s], case.prices[s]) for s, q in case.qty.items()
    ]
    assets = {s: AssetInfo(s, tradable=True, fractionable=True) for s in SYMBOLS}
    plan = plan_orders(
        case.weights, account, positions, case.prices, assets, PlanOptions(case.buffer, case.minimum)
    )
    values = {s: float(case.values.get(s, 0)) for s in SYMBOLS}
    for order in plan.orders:
        amount = float(order.estimated_notional)
        values[order.symbol] += amount if order.side is OrderSide.BUY else -amount
    return values


def needs_scaling(case: Case) -> bool:
    """Would the buys exceed the cash after the sells (the one regime the two rules size differently)?"""
    minimum = float(case.minimum)
    deltas = case.deltas()
    sold = sum(-d for s, d in deltas.items() if d < 0 and (-d >= minimum or s not in case.weights))
    return sum(d for d in deltas.values() if d > 0) > float(case.cash) + sold - CENT


def near_the_minimum(case: Case) -> bool:
    return any(abs(abs(d) - float(case.minimum)) < 2 * CENT for d in case.deltas().values())


@settings(max_examples=300, deadline=None)
@given(cases())
def test_backtest_and_planner_trade_the_same_book_the_same_way(case: Case) -> None:
    assume(case.equity > 0 and not near_the_minimum(case) and not needs_scaling(case))
    ours, live = backtest_values(case), planner_values(case)
    for symbol in SYMBOLS:
        assert ours[symbol] == pytest.approx(live[symbol], abs=CENT), (symbol, case)


@pytest.mark.xfail(
    strict=True,
    reason="known drift: when buys exceed the cash, the planner scales over every positive delta and then "
    "skips scaled buys under the minimum; the backtest skips sub-minimum deltas first, then scales",
)
def test_when_buys_must_be_scaled_the_rules_differ() -> None:
    # Equity 10,003 (9,000 cash; C worth 1,003 is kept: its 2.70 excess is under the 5 minimum).
    # Buys want 8,998.70 of A and 4.00 of B with 9,000 of cash. The planner scales both by
    # 9,000 / 9,002.70, then skips B (under the minimum): A gets 8,996.00. The backtest drops B first,
    # so A alone fits the cash and gets 8,998.70: 2.70 more than the live run would buy.
    case = Case(
        cash=Decimal(9000),
        qty={"C": Decimal("10.03")},
        prices={"A": Decimal(10), "B": Decimal(10), "C": Decimal(100), "D": Decimal(10)},
        weights={"A": 0.8996, "B": 0.0004, "C": 0.1},
        buffer=Decimal(0),
        minimum=Decimal(5),
    )
    ours, live = backtest_values(case), planner_values(case)
    assert live["A"] == pytest.approx(8996.00, abs=CENT)
    assert ours["A"] == pytest.approx(live["A"], abs=CENT)
