"""explain(): the decision path on one date, with the values that decided it, JSON-serializable."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rebalancer.errors import DataError
from rebalancer.market.history import PriceHistory
from rebalancer.symphony.evaluator import evaluate
from rebalancer.symphony.indicators import price_indicator
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
from rebalancer.symphony.trace import evaluate_and_explain, explain

SESSIONS = 60


def _history() -> PriceHistory:
    rng = np.random.default_rng(2)
    symbols = ("AAA", "BBB", "CCC", "SPY", "UVXY")
    closes = 100.0 * np.cumprod(1.0 + rng.normal(0.0, [0.01, 0.02, 0.03, 0.01, 0.05], (SESSIONS, 5)), axis=0)
    dates = np.arange(np.datetime64("2022-03-01"), np.datetime64("2022-03-01") + SESSIONS)
    return PriceHistory(dates, symbols, closes)


def _tree() -> Symphony:
    cond = Comparison(">", IndicatorRef("rsi", 10, "SPY"), 50.0)
    pick = Filter(Metric("cumulative-return", 5), "top", 2, (Asset("AAA"), Asset("BBB"), Asset("CCC")))
    bear = WeightInverseVolatility(5, (Group("calm", (Asset("AAA"),)), Asset("UVXY")))
    return Symphony("t", (), If(cond, (pick,), (WeightSpecified((0.5, 0.5), (bear, Asset("SPY"))),)))


def test_if_step_reports_indicator_threshold_and_branch():
    history = _history()
    day = history.dates[-1]
    steps = explain(_tree(), history, day)
    rsi = price_indicator("rsi", 10, history.column("SPY"))[-1]
    first = steps[0]
    assert first.path == "root/if"
    assert first.description == "rsi(SPY,10) > 50"
    assert first.values == {"rsi(SPY,10)": pytest.approx(rsi), "threshold": 50.0}
    assert first.outcome == bool(rsi > 50)


def test_trace_follows_only_the_branch_taken_and_agrees_with_the_weights():
    history = _history()
    wh = evaluate(_tree(), history)
    seen = set()
    for day in history.dates[20:]:
        steps = explain(_tree(), history, day)
        taken = steps[0].outcome
        seen.add(taken)
        row = wh.row(day)
        kinds = [s.kind for s in steps]
        if taken:
            assert "weight-inverse-volatility" not in kinds
            chosen = next(s for s in steps if s.kind == "filter").outcome
            assert sorted(chosen) == sorted(row)
        else:
            assert "filter" not in kinds
            ivol = next(s for s in steps if s.kind == "weight-inverse-volatility")
            assert ivol.outcome["calm"] == pytest.approx(2 * row.get("AAA", 0.0))
            assert ivol.path == "root/if/else/weight-specified[0]/weight-inverse-volatility[0]"
    assert seen == {True, False}


def test_filter_step_lists_each_candidates_metric():
    history = _history()
    tree = Symphony("f", (), _tree().root.then[0])  # type: ignore[union-attr]
    steps = explain(tree, history, history.dates[-1])
    step = steps[0]
    assert step.kind == "filter"
    assert step.description == "select-top 2 by cumulative-return(5) of [AAA, BBB, CCC]"
    closes = history.close
    expected = {s: (closes[-1, i] / closes[-6, i] - 1) * 100 for i, s in enumerate(("AAA", "BBB", "CCC"))}
    assert step.values == pytest.approx(expected)
    assert step.outcome == sorted(expected, key=lambda s: -expected[s])[:2]
    assert [s.kind for s in steps[1:]] == ["asset", "asset"]


def test_undefined_row_is_reported_and_serializes_nan_as_null():
    history = _history()
    steps = explain(_tree(), history, history.dates[3])
    assert steps[0].outcome == "undefined"
    payload = json.loads(json.dumps([s.to_dict() for s in steps], allow_nan=False))
    assert payload[0]["values"]["rsi(SPY,10)"] is None


def test_to_dict_is_json_for_every_step_kind():
    history = _history()
    tree = Symphony(
        "all",
        (),
        WeightEqual((Group("g", (Asset("SPY"),)), WeightSpecified((0.3, 0.7), (Asset("AAA"), Asset("BBB"))))),
    )
    steps = explain(tree, history, history.dates[-1])
    assert [s.kind for s in steps] == ["weight-equal", "group", "asset", "weight-specified", "asset", "asset"]
    assert steps[3].description == "weight-specified [0.3, 0.7]"
    json.dumps([s.to_dict() for s in steps], allow_nan=False)


def test_date_outside_history_is_a_data_error():
    with pytest.raises(DataError):
        explain(_tree(), _history(), "1999-01-04")


def test_evaluate_and_explain_gives_both_from_one_evaluation():
    history = _history()
    day = history.dates[-1]
    weights, steps = evaluate_and_explain(_tree(), history, day)
    np.testing.assert_array_equal(weights.weights, evaluate(_tree(), history).weights)
    assert [s.to_dict() for s in steps] == [s.to_dict() for s in explain(_tree(), history, day)]
