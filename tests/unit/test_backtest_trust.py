import numpy as np
import pytest

from rebalancer.symphony.library import BUILTIN_NAMES, resolve_strategy
from rebalancer.symphony.reader import load_symphony
from rebalancer.symphony.weights import WeightHistory
from rebalancer_research.backtest import bias
from rebalancer_research.backtest.bias import look_ahead_check, sample_rows, warmup_check
from rebalancer_research.market.synthetic import synthetic_market


@pytest.fixture(scope="module")
def market():
    return synthetic_market(None, sessions=1500)


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_builtin_weights_never_look_ahead(name, market):
    symphony = load_symphony(resolve_strategy(name))
    report = look_ahead_check(symphony, market, samples=4, seed=1)
    assert len(report.checked_dates) >= 3
    assert report.passed, report.mismatches
    assert report.to_dict()["max_difference"] == 0.0


def test_look_ahead_check_catches_a_peeking_engine(market, monkeypatch):
    symphony = load_symphony(resolve_strategy("tecl"))
    honest = bias.evaluate

    def peeking(s, history):
        weights = honest(s, history)
        # Splits between the first two holdings by the LAST close it is given: the future, on full data.
        peek = history.close[-1, 0] % 0.5
        rows = np.full(weights.weights.shape, np.nan)
        rows[weights.valid] = 0.0
        rows[weights.valid, 0] = 1.0 - peek
        rows[weights.valid, 1] = peek
        return WeightHistory(weights.dates, weights.symbols, rows)

    monkeypatch.setattr(bias, "evaluate", peeking)
    report = look_ahead_check(symphony, market, samples=4)
    assert not report.passed
    assert report.to_dict()["mismatches"]


def test_sample_rows_cover_both_ends_and_are_reproducible():
    candidates = np.arange(100, 200)
    rows = sample_rows(candidates, 8, seed=3)
    assert rows[0] == 100
    assert rows[-1] == 199
    assert rows == sample_rows(candidates, 8, seed=3)
    assert sample_rows(np.array([], dtype=int), 8, seed=3) == []


def test_warmup_check_reports_rsi_dependence_on_the_start(market):
    symphony = load_symphony(resolve_strategy("tecl"))
    report = warmup_check(symphony, market, offsets=(100, 400))
    assert [v.offset for v in report.variants] == [100, 400]
    unstable = report.unstable_indicators()
    assert "rsi(SPY,10)" in unstable
    assert "moving-average-price(SPY,200)" not in unstable  # a window, not a recursion
    # After RSI's own warm-up (10 x window) the start hardly matters any more.
    assert all(v["after_warmup"] < 0.05 < v["max"] for k, v in unstable.items() if k.startswith("rsi"))
    doc = report.to_dict()
    assert doc["required_history"] == report.required_history
    assert doc["variants"][0]["first_date"] == str(market.dates[100])
