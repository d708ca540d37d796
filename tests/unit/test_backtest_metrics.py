import math
import subprocess
import sys

import numpy as np
import pytest

from rebalancer.errors import ConfigError
from rebalancer.portfolio.plan_model import PlanOptions
from rebalancer_research.backtest.metrics import drawdown, exposure, monthly_returns, performance, turnover
from rebalancer_research.backtest.options import BacktestOptions, Rebalance, parse_rebalance, planner_defaults
from rebalancer_research.backtest.simulate import forward_filled


def _days(n: int, start: str = "2024-01-02") -> np.ndarray:
    return np.datetime64(start) + np.arange(n)


def test_return_and_risk_of_a_known_curve():
    returns = np.array([0.01, -0.02, 0.03, -0.01] * 63)  # 252 returns: one year
    equity = 100 * np.concatenate([[1.0], np.cumprod(1 + returns)])
    m = performance(_days(len(equity)), equity)
    total = float(np.prod(1 + returns) - 1)
    assert m["total_return"] == pytest.approx(total)
    assert m["annualized_return"] == pytest.approx(total)  # exactly one year of sessions
    assert m["volatility"] == pytest.approx(returns.std(ddof=1) * math.sqrt(252))
    assert m["sharpe"] == pytest.approx(returns.mean() / returns.std(ddof=1) * math.sqrt(252))
    downside = math.sqrt(np.mean(np.minimum(returns, 0) ** 2))
    assert m["sortino"] == pytest.approx(returns.mean() / downside * math.sqrt(252))
    assert m["calmar"] == pytest.approx(m["annualized_return"] / -m["max_drawdown"])
    assert m["worst_day"]["return"] == pytest.approx(-0.02)


def test_drawdown_depth_dates_and_lengths():
    equity = np.array([100, 120, 90, 60, 100, 130, 125, 140.0])
    days = _days(len(equity))
    m = performance(days, equity)
    assert m["max_drawdown"] == pytest.approx(-0.5)
    assert m["max_drawdown_peak"] == str(days[1])
    assert m["max_drawdown_trough"] == str(days[3])
    assert m["max_drawdown_recovery"] == str(days[5])
    assert m["max_drawdown_length"] == 4  # peak to recovery, in sessions
    assert m["longest_drawdown_length"] == 3
    np.testing.assert_allclose(drawdown(equity)[:4], [0, 0, -0.25, -0.5])


def test_an_unrecovered_drawdown_runs_to_the_end():
    m = performance(_days(4), np.array([100, 90, 80, 85.0]))
    assert m["max_drawdown_recovery"] is None
    assert m["max_drawdown_length"] == 3


def test_a_flat_curve_has_no_ratios():
    m = performance(_days(5), np.full(5, 100.0))
    assert (m["sharpe"], m["sortino"], m["calmar"]) == (None, None, None)
    assert m["total_return"] == 0.0


def test_monthly_returns_chain_from_the_previous_month_end():
    days = np.array(
        ["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-29", "2024-03-01"], dtype="datetime64[D]"
    )
    months = monthly_returns(days, np.array([100, 110, 99, 121, 121.0]))
    assert months == pytest.approx({"2024-01": 0.10, "2024-02": 0.10, "2024-03": 0.0})
    m = performance(days, np.array([100, 110, 99, 88, 88.0]))
    assert m["worst_month"] == {"month": "2024-02", "return": pytest.approx(-0.2)}


def test_turnover_and_exposure():
    t = turnover(np.array([100.0, 0.0, 50.0]), np.array([100.0, 100.0, 100.0]))
    assert t["turnover_total"] == pytest.approx(0.75)
    held = np.array([[0.5, 0.0], [1.0, 0.0], [0.0, 0.0]])
    assert exposure(("A", "B"), held) == {"A": {"mean_weight": 0.5, "time_held": pytest.approx(2 / 3)}}


def test_rebalance_specs_parse_and_reject_nonsense():
    assert parse_rebalance("Weekly") == Rebalance("weekly")
    assert parse_rebalance("threshold:0.1") == Rebalance("threshold", 0.1)
    assert str(Rebalance("threshold", 0.1)) == "threshold:0.1"
    for bad in ("hourly", "threshold:x", "threshold:1.5"):
        with pytest.raises(ConfigError):
            parse_rebalance(bad)


def test_options_default_to_the_live_planner_sizing_rules():
    live = PlanOptions()
    assert planner_defaults() == (float(live.cash_buffer), float(live.min_order_notional))
    options = BacktestOptions()
    assert (options.cash_buffer, options.min_order_notional) == planner_defaults()


@pytest.mark.parametrize(
    "kwargs",
    [{"execution": "noon"}, {"fee_bps": -1}, {"cash_buffer": 1.0}, {"initial_equity": 0}],
)
def test_options_reject_invalid_values(kwargs):
    with pytest.raises(ConfigError):
        BacktestOptions(**kwargs)


def test_the_curve_can_start_from_the_initial_capital():
    # The first session's buy-in cost (100 -> 99) counts when the initial capital is given.
    m = performance(_days(2), np.array([99.0, 108.9]), initial=100.0)
    assert m["total_return"] == pytest.approx(0.089)
    assert m["sessions"] == 2
    assert m["worst_day"] == {"date": str(_days(1)[0]), "return": pytest.approx(-0.01)}
    assert m["monthly_returns"] == {"2024-01": pytest.approx(0.089)}


def test_forward_fill_keeps_leading_gaps():
    values = np.array([[np.nan, 1.0], [2.0, np.nan], [np.nan, np.nan], [3.0, 4.0]])
    filled = forward_filled(values)
    np.testing.assert_array_equal(filled, [[np.nan, 1.0], [2.0, 1.0], [2.0, 1.0], [3.0, 4.0]])


def test_the_library_imports_without_matplotlib():
    code = (
        "import sys; import rebalancer_tools.cli.backtest_cmd, rebalancer_research.backtest.pipeline; "
        "assert 'matplotlib' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
