"""Node semantics of the vectorized evaluator on small hand-made histories."""

import numpy as np
import pytest

from rebalancer.errors import DataError
from rebalancer.market.history import PriceHistory
from rebalancer.symphony.evaluator import evaluate
from rebalancer.symphony.nodes import (
    Asset,
    Comparison,
    Filter,
    Group,
    If,
    IndicatorRef,
    Metric,
    Symphony,
    WeightEqual,
    WeightInverseVolatility,
    WeightSpecified,
)

DATES = [f"2024-01-{d:02d}" for d in range(2, 12)]


def _history(**closes: list[float]) -> PriceHistory:
    return PriceHistory.from_columns(DATES[: len(next(iter(closes.values())))], closes)


def _sym(root) -> Symphony:
    return Symphony("t", (), root)


def _flat(n: int = 6, start: float = 100.0, step: float = 1.0) -> list[float]:
    return [start + step * i for i in range(n)]


def test_asset_is_fully_held_and_undefined_before_its_first_price():
    h = _history(NEW=[np.nan, np.nan, 10.0, 11.0])
    wh = evaluate(_sym(Asset("NEW")), h)
    assert wh.valid.tolist() == [False, False, True, True]
    assert wh.row("2024-01-05") == {"NEW": 1.0}


def test_weight_equal_counts_a_child_listed_twice_twice():
    h = _history(A=_flat(), B=_flat())
    wh = evaluate(_sym(WeightEqual((Asset("A"), Asset("A"), Asset("B")))), h)
    row = wh.row(DATES[0])
    assert row["A"] == pytest.approx(2 / 3, abs=1e-12)
    assert row["B"] == pytest.approx(1 / 3, abs=1e-12)


def test_weight_specified_keeps_fixed_fractions():
    h = _history(UVXY=_flat(), BTAL=_flat())
    wh = evaluate(_sym(WeightSpecified((0.75, 0.25), (Asset("UVXY"), Asset("BTAL")))), h)
    assert wh.row(DATES[3]) == {"BTAL": 0.25, "UVXY": 0.75}


def test_if_takes_then_branch_where_true_and_is_undefined_where_indicator_is_nan():
    spy = [100.0, 101.0, 100.0, 103.0, 102.0]
    h = _history(SPY=spy, UP=_flat(5), DOWN=_flat(5))
    cond = Comparison(">", IndicatorRef("cumulative-return", 1, "SPY"), 0.0)
    wh = evaluate(_sym(If(cond, (Asset("UP"),), (Asset("DOWN"),))), h)
    assert not wh.valid[0]
    assert [wh.row(d) for d in DATES[1:5]] == [{"UP": 1.0}, {"DOWN": 1.0}, {"UP": 1.0}, {"DOWN": 1.0}]


def test_untaken_branch_may_be_undefined():
    h = _history(SPY=[100.0, 101.0, 102.0], LATE=[np.nan, np.nan, np.nan], BIL=[1.0, 1.0, 1.0])
    cond = Comparison(">", IndicatorRef("current-price", None, "SPY"), 0.0)
    wh = evaluate(_sym(If(cond, (Asset("BIL"),), (Asset("LATE"),))), h)
    assert wh.valid.all()


def test_missing_symbol_is_a_data_error_naming_it():
    h = _history(SPY=_flat())
    with pytest.raises(DataError, match="QQQ"):
        evaluate(_sym(WeightEqual((Asset("SPY"), Asset("QQQ")))), h)


def test_filter_ranks_assets_and_breaks_ties_by_ticker():
    # B and C have the same 1-day return: C loses the tie to B by name.
    h = _history(A=[10.0, 10.5], B=[10.0, 11.0], C=[20.0, 22.0])
    top = Filter(Metric("cumulative-return", 1), "top", 1, (Asset("C"), Asset("A"), Asset("B")))
    assert evaluate(_sym(top), h).row(DATES[1]) == {"B": 1.0}
    bottom2 = Filter(Metric("cumulative-return", 1), "bottom", 2, (Asset("C"), Asset("A"), Asset("B")))
    assert evaluate(_sym(bottom2), h).row(DATES[1]) == {"A": 0.5, "B": 0.5}


def test_a_filter_is_one_child_whose_picks_share_its_weight():
    # Composer's rule (docs/strategy-language.md, "Filters"): weight-equal over [filter, X] gives the
    # filter 1/2 and X 1/2; the filter's two picks split its half. (It once spliced the picks in: 1/3 each.)
    h = _history(A=[10.0, 11.0], B=[10.0, 12.0], C=[10.0, 9.0], X=[5.0, 5.0])
    pick2 = Filter(Metric("cumulative-return", 1), "top", 2, (Asset("A"), Asset("B"), Asset("C")))
    row = evaluate(_sym(WeightEqual((pick2, Asset("X")))), h).row(DATES[1])
    assert row == pytest.approx({"A": 1 / 4, "B": 1 / 4, "X": 1 / 2})


def test_inverse_volatility_weights_assets_by_their_own_returns():
    a = [100.0, 101.0, 100.0, 101.0]
    b = [100.0, 102.0, 100.0, 102.0]
    h = _history(A=a, B=b)
    wh = evaluate(_sym(WeightInverseVolatility(2, (Asset("A"), Asset("B")))), h)
    sd = {k: np.std(np.diff(v)[-2:] / np.asarray(v)[-3:-1], ddof=1) for k, v in {"A": a, "B": b}.items()}
    inv = {k: 1 / s for k, s in sd.items()}
    expected = {k: v / sum(inv.values()) for k, v in inv.items()}
    assert wh.row(DATES[3]) == pytest.approx(expected, abs=1e-12)
    assert not wh.valid[:2].any()


def test_group_filter_uses_the_groups_own_return_stream():
    # G1 switches from the wild asset W to the calm asset C on the last day; its own stream over the
    # last 3 days is still wild, so a filter by stdev-return picks G1 although it now holds C.
    w = [100.0, 110.0, 95.0, 115.0, 90.0, 91.0]
    c = [100.0, 100.1, 100.2, 100.1, 100.2, 100.3]
    m = [100.0, 103.0, 100.0, 103.0, 100.0, 103.0]
    switch = [1.0, 1.0, 1.0, 1.0, 1.0, -1.0]
    h = _history(W=w, C=c, M=m, SIG=[x + 10 for x in switch])
    cond = Comparison(">", IndicatorRef("current-price", None, "SIG"), 10.0)
    g1 = Group("g1", (If(cond, (Asset("W"),), (Asset("C"),)),))
    g2 = Group("g2", (Asset("M"),))
    wh = evaluate(_sym(Filter(Metric("stdev-return", 3), "top", 1, (g2, g1))), h)
    assert wh.row(DATES[5]) == {"C": 1.0}
    assert wh.row(DATES[4]) == {"W": 1.0}
