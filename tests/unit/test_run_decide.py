"""decide(): each strategy's weights and trace on the decision date, from one evaluation per strategy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from run_fakes import make_settings

from rebalancer.errors import DataError
from rebalancer.run.decide import decide
from rebalancer.strategies import load_strategies
from rebalancer.symphony.evaluator import Evaluator, evaluate
from rebalancer.symphony.trace import explain
from rebalancer_research.market.synthetic import synthetic_market

HISTORY = synthetic_market(["SPY", "TLT", "BIL", "GLD"], end=dt.date(2026, 1, 2), sessions=300)
DAY = dt.date(2026, 1, 2)


def test_each_strategy_is_evaluated_once_and_the_trace_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [strategy] = load_strategies(make_settings(tmp_path).strategies)
    expected_weights = evaluate(strategy.symphony, HISTORY).row(DAY)
    expected_trace = [s.to_dict() for s in explain(strategy.symphony, HISTORY, DAY)]
    evaluations: list[int] = []
    original = Evaluator.__init__

    def counting(self: Evaluator, history: object) -> None:
        evaluations.append(1)
        original(self, history)  # type: ignore[arg-type]

    monkeypatch.setattr(Evaluator, "__init__", counting)
    decision = decide([strategy], HISTORY, DAY)
    assert len(evaluations) == 1
    assert decision.per_strategy["test"] == expected_weights
    assert decision.traces["test"] == expected_trace
    assert decision.targets == expected_weights


def test_an_undefined_decision_row_is_a_data_error(tmp_path: Path) -> None:
    strategies = load_strategies(make_settings(tmp_path).strategies)
    short = HISTORY.rows(len(HISTORY) - 10, len(HISTORY))  # too short for the 20-session average
    with pytest.raises(DataError) as caught:
        decide(strategies, short, DAY)
    assert caught.value.code == "indicator-undefined"
    assert "no orders were placed" in caught.value.hint


def test_a_decision_date_outside_the_bars_is_a_data_error(tmp_path: Path) -> None:
    strategies = load_strategies(make_settings(tmp_path).strategies)
    with pytest.raises(DataError) as caught:
        decide(strategies, HISTORY, dt.date(2026, 1, 3))  # a Saturday
    assert caught.value.code == "indicator-undefined"
