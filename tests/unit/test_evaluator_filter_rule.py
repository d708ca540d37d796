"""A filter is one child of its parent: its picks share its weight equally, whatever the parent.

Evidence (Composer's recorded holdings of a Nuclear variant that writes
`(weight-inverse-volatility 90 [(filter (moving-average-return 90) (select-top 3) [...])])`): on 9 of 9
recorded days the three picks were held at 1/3 each (2026-01-20: BWXT 0.334, LEU 0.333, OKLO 0.333), not
in proportion to their inverse volatilities. docs/strategy-language.md, "Filters", states the rule.
"""

from pathlib import Path

import numpy as np
import pytest
from corpus_data import LAST_COMPLETE, market_dir

from rebalancer.market.history import PriceHistory
from rebalancer.symphony.eval_groups import rank_select, row_order
from rebalancer.symphony.evaluator import evaluate
from rebalancer.symphony.indicators import daily_returns
from rebalancer.symphony.nodes import (
    Asset,
    Filter,
    Metric,
    Symphony,
    WeightEqual,
    WeightInverseVolatility,
    WeightSpecified,
)
from rebalancer.symphony.reader import load_symphony
from rebalancer_research.market.csv_source import load_csv_dir

REPO = Path(__file__).resolve().parents[2]

SESSIONS = 12
DATES = [str(d) for d in np.arange(np.datetime64("2024-01-01"), np.datetime64("2024-01-01") + SESSIONS)]


def _history(**closes: list[float]) -> PriceHistory:
    return PriceHistory.from_columns(DATES, closes)


def _zigzag(step: float, drift: float = 0.0) -> list[float]:
    """A price that alternates up and down by `step` (its volatility) around a drift."""
    return [100.0 * (1 + drift) ** i * (1 + (step if i % 2 else 0.0)) for i in range(SESSIONS)]


def _three_picks() -> tuple[PriceHistory, Filter]:
    # A, B, C rise (different volatilities); D falls: top 3 by 3-day return is A, B, C.
    h = _history(A=_zigzag(0.01, 0.02), B=_zigzag(0.04, 0.03), C=_zigzag(0.08, 0.05), D=_zigzag(0.01, -0.02))
    top3 = Filter(Metric("moving-average-return", 3), "top", 3, tuple(Asset(s) for s in "ABCD"))
    return h, top3


def test_inverse_volatility_over_one_filter_holds_its_picks_equally():
    h, top3 = _three_picks()
    row = evaluate(Symphony("n", (), WeightInverseVolatility(3, (top3,))), h).row(DATES[-1])
    assert row == pytest.approx({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3}, abs=1e-12)


def test_inverse_volatility_weights_a_filter_by_its_own_return_stream():
    # [filter, X]: the filter is one child whose volatility is that of its equal-weight picks' stream.
    h, top3 = _three_picks()
    h = _history(**{s: h.column(s).tolist() for s in "ABCD"}, X=_zigzag(0.02, 0.01))
    row = evaluate(Symphony("n", (), WeightInverseVolatility(3, (top3, Asset("X")))), h).row(DATES[-1])
    picks = np.column_stack([daily_returns(h.column(s)) for s in "ABC"]).mean(axis=1)
    vol_filter = np.std(picks[-3:], ddof=1)
    vol_x = np.std(daily_returns(h.column("X"))[-3:], ddof=1)
    share = (1 / vol_filter) / (1 / vol_filter + 1 / vol_x)
    expected = {"A": share / 3, "B": share / 3, "C": share / 3, "X": 1 - share}
    assert row == pytest.approx(expected, abs=1e-12)


def test_weight_equal_gives_a_filter_one_share_beside_its_siblings():
    h, top3 = _three_picks()
    h = _history(**{s: h.column(s).tolist() for s in "ABCD"}, X=_zigzag(0.0))
    row = evaluate(Symphony("n", (), WeightEqual((top3, Asset("X")))), h).row(DATES[-1])
    assert row == pytest.approx({"A": 1 / 6, "B": 1 / 6, "C": 1 / 6, "X": 1 / 2}, abs=1e-12)


def test_weight_specified_gives_a_filter_its_weight_split_among_its_picks():
    h, top3 = _three_picks()
    h = _history(**{s: h.column(s).tolist() for s in "ABCD"}, X=_zigzag(0.0))
    row = evaluate(Symphony("n", (), WeightSpecified((0.6, 0.4), (top3, Asset("X")))), h).row(DATES[-1])
    assert row == pytest.approx({"A": 0.2, "B": 0.2, "C": 0.2, "X": 0.4}, abs=1e-12)


def test_a_filter_among_a_filters_candidates_is_ranked_as_one_candidate():
    # The inner filter (top 1 of A, D: A) is one candidate ranked by its own stream (A's returns):
    # the outer top 1 by 3-day return between it and C picks C (C rises faster than A).
    h, _ = _three_picks()
    inner = Filter(Metric("moving-average-return", 3), "top", 1, (Asset("A"), Asset("D")))
    outer = Filter(Metric("moving-average-return", 3), "top", 1, (inner, Asset("C")))
    assert evaluate(Symphony("n", (), outer), h).row(DATES[-1]) == {"C": 1.0}
    outer_bottom = Filter(Metric("moving-average-return", 3), "bottom", 1, (inner, Asset("C")))
    assert evaluate(Symphony("n", (), outer_bottom), h).row(DATES[-1]) == {"A": 1.0}


@pytest.mark.parametrize("path", ["tests/fixtures/composer_corpus/nuclear.clj", "strategies/nuclear.clj"])
def test_nuclear_matches_composers_recorded_holdings_on_2026_01_20(path: str):
    # Composer recorded BWXT 0.334, LEU 0.333, OKLO 0.333 (the public export writes
    # (weight-inverse-volatility 90 [(filter (moving-average-return 90) (select-top 3) [...])])).
    directory = market_dir()
    if directory is None:
        pytest.skip("REBALANCER_MARKET_DATA is not set (the Makefile sets it)")
    symphony = load_symphony(REPO / path)
    history = load_csv_dir(directory, sorted(symphony.symbols)).until(LAST_COMPLETE)
    row = evaluate(symphony, history).row("2026-01-20")
    assert row == pytest.approx({"BWXT": 1 / 3, "LEU": 1 / 3, "OKLO": 1 / 3}, abs=1e-12)


def test_ranking_takes_ties_at_the_kth_value_in_name_order_and_all_when_fewer_than_k():
    metrics = np.array([[3.0, 2.0, 2.0, 2.0, 1.0], [1.0, 1.0, 1.0, 1.0, 1.0], [5.0, 4.0, 3.0, 2.0, 1.0]])
    present = np.array([[True] * 5, [True] * 5, [False, False, True, False, True]])
    names = ("E", "D", "C", "B", "A")
    top, _ = rank_select(metrics, present, names, 3, top=True)
    # row 0: E (3) is better; three tie at 2 for two places: B and C by name. Row 1: all tie: A, B, C.
    assert top.tolist()[:2] == [[True, False, True, True, False], [False, False, True, True, True]]
    assert top.tolist()[2] == [False, False, True, False, True]  # fewer than 3 present: both
    bottom, defined = rank_select(metrics, present, names, 2, top=False)
    assert bottom.tolist()[0] == [False, False, False, True, True]  # A (1), then B wins the tie at 2
    assert defined.tolist() == [True, True, True]
    assert row_order(metrics[0], present[0], names, top=True) == [0, 3, 2, 1, 4]
