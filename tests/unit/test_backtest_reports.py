import base64
import json
import re

import numpy as np
import pytest

from rebalancer.market.history import PriceHistory
from rebalancer.strategies import load_strategies, specs_from_arguments
from rebalancer.symphony.weights import WeightHistory
from rebalancer_research.backtest.attribution import COSTS, contributions
from rebalancer_research.backtest.options import BacktestOptions
from rebalancer_research.backtest.pipeline import run_backtest, write_outputs
from rebalancer_research.backtest.plots import allocation_frame, monthly_table
from rebalancer_research.backtest.simulate import simulate
from rebalancer_research.backtest.summary import SCHEMA, benchmark_curve
from rebalancer_research.backtest.tables import backtest_table
from rebalancer_research.market.synthetic import synthetic_market

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run():
    strategies = load_strategies(specs_from_arguments(["tecl", "nuclear"], ["tecl=0.6", "nuclear=0.4"]))
    symbols = set().union(*(s.symphony.symbols for s in strategies)) | {"SPY"}
    history = synthetic_market(sorted(symbols), sessions=900)
    return run_backtest(strategies, history, BacktestOptions(slippage_bps=2, fee_bps=1), benchmark="SPY")


def test_contributions_and_costs_add_up_to_the_total_return(run):
    doc = run.document
    parts = sum(info["contribution"] for info in doc["strategies"].values())
    parts += doc["contribution_costs"] + doc["contribution_unattributed"]
    assert parts == pytest.approx(doc["portfolio"]["total_return"], abs=1e-9)
    assert doc["contribution_costs"] < 0


def test_contributions_split_a_shared_symbol_by_what_each_strategy_asked():
    days = ["2024-01-02", "2024-01-03", "2024-01-04"]
    h = PriceHistory.from_columns(days, {"A": [10, 11, 11], "B": [10, 10, 12]})
    a = WeightHistory(h.dates, ("A",), np.ones((3, 1)))
    ab = WeightHistory(h.dates, ("A", "B"), np.full((3, 2), 0.5))
    combined = WeightHistory(h.dates, ("A", "B"), np.array([[0.75, 0.25]] * 3))
    result = simulate(combined, h, BacktestOptions(cash_buffer=0, min_order_notional=0))
    shares = contributions(result, {"a": a, "ab": ab}, {"a": 0.5, "ab": 0.5})
    # Day 1: A +10% on $75k, two thirds asked by "a"; day 2: B +20% on the rebalanced B position.
    a_gain = 75_000 * 0.1
    equity_1 = 100_000 + a_gain
    b_gain = 0.25 * equity_1 * 0.2
    assert shares["a"] == pytest.approx(a_gain * 2 / 3 / 100_000)
    assert shares["ab"] == pytest.approx((a_gain / 3 + b_gain) / 100_000)
    assert shares[COSTS] == 0.0


def test_document_has_the_documented_sections(run):
    doc = json.loads(json.dumps(run.document))  # JSON-able, no NaN
    assert doc["schema"] == SCHEMA
    for key in (
        "total_return",
        "annualized_return",
        "volatility",
        "sharpe",
        "sortino",
        "calmar",
        "max_drawdown",
    ):
        assert key in doc["portfolio"]
        assert key in doc["benchmark"]
    for key in ("max_drawdown_length", "worst_day", "worst_month", "turnover_annual", "exposure"):
        assert key in doc["portfolio"]
    assert set(doc["strategies"]) == {"tecl", "nuclear"}
    assert doc["benchmark"]["symbol"] == "SPY"
    exposure = doc["portfolio"]["exposure"]
    assert sum(e["mean_weight"] for e in exposure.values()) == pytest.approx(0.98, abs=0.01)


def test_benchmark_starts_where_its_prices_start():
    h = PriceHistory.from_columns(["2024-01-02", "2024-01-03", "2024-01-04"], {"X": [np.nan, 10.0, 12.0]})
    curve = benchmark_curve(h, "X", h.dates, 1000.0)
    assert curve.equity.tolist() == [1000.0, 1200.0]


def test_benchmark_keeps_its_last_price_over_a_gap():
    days = ["2024-01-02", "2024-01-03", "2024-01-04"]
    h = PriceHistory.from_columns(days, {"X": [10.0, np.nan, 12.0], "Y": [1.0, 1.0, 1.0]})
    assert benchmark_curve(h, "X", h.dates, 1000.0).equity.tolist() == [1000.0, 1000.0, 1200.0]


def test_outputs_are_pngs_and_one_self_contained_html(run, tmp_path):
    paths = write_outputs(run, tmp_path / "out", title="Test report")
    for name in ("equity", "drawdown", "allocation", "monthly_returns"):
        assert paths[name].read_bytes()[:8] == PNG
    html = paths["html"].read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 4
    assert all(base64.b64decode(image)[:8] == PNG for image in images)
    assert "Test report" in html
    assert "Sharpe" in html
    assert f"{run.document['portfolio']['total_return'] * 100:.2f}%" in html
    assert "<script" not in html  # nothing to fetch or run
    assert json.loads(paths["json"].read_text())["schema"] == SCHEMA


def test_allocation_chart_data_keeps_the_largest_series_and_cash(run):
    frame = allocation_frame(run.result)
    assert frame.columns[-1] == "cash"
    assert len(frame.columns) <= 13
    np.testing.assert_allclose(frame.sum(axis=1), 1.0, atol=1e-9)
    table = monthly_table(run.result)
    assert list(table.columns) == list(range(1, 13))


def test_text_table_lists_portfolio_benchmark_and_strategies(run):
    text = backtest_table(run.document)
    assert "Sharpe" in text
    assert "SPY" in text
    assert "tecl" in text
