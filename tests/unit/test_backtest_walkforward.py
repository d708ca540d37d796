import pytest

from rebalancer.errors import ConfigError
from rebalancer.strategies import specs_from_arguments
from rebalancer_research.backtest.options import BacktestOptions
from rebalancer_research.backtest.walkforward import (
    WalkForwardSettings,
    _choose,
    grid_points,
    parse_grid,
    walk_forward,
    windows,
)
from rebalancer_research.market.synthetic import synthetic_market

DEMO = """(defsymphony "Parameter demo" {:parameters {:overbought 79 :bull-window 200}}
 (weight-equal
  [(if (> (current-price "SPY") (moving-average-price "SPY" {:window :bull-window}))
    [(if (> (rsi "SPY" {:window 10}) :overbought) [(asset "BIL")] [(asset "SPY")])]
    [(asset "BIL")])]))
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("wf") / "demo.clj"
    path.write_text(DEMO)
    return path


@pytest.fixture(scope="module")
def market():
    return synthetic_market(["SPY", "BIL"], sessions=1100)


def test_grid_parsing_and_points():
    grid = parse_grid(["overbought=75,79", "bull-window=150,200,250"])
    assert grid == {"overbought": [75.0, 79.0], "bull-window": [150.0, 200.0, 250.0]}
    points = grid_points(grid)
    assert len(points) == 6
    assert points[0] == {"overbought": 75.0, "bull-window": 150.0}
    for bad in ("overbought", "overbought=", "overbought=a,b", "=1"):
        with pytest.raises(ConfigError):
            parse_grid([bad])


def test_windows_roll_by_the_out_of_sample_length():
    settings = WalkForwardSettings(in_sample=100, out_of_sample=50)
    assert windows(0, 259, settings) == [
        (0, 99, 100, 149),
        (50, 149, 150, 199),
        (100, 199, 200, 249),
        (150, 249, 250, 259),
    ]
    assert windows(0, 99, settings) == []


def test_selection_takes_the_best_in_sample_score_and_ignores_undefined():
    per_point = [
        {"in_sample": {"sharpe": None}},
        {"in_sample": {"sharpe": 0.5}},
        {"in_sample": {"sharpe": 0.5}},
    ]
    assert _choose(per_point, "sharpe") == 1  # first of equals


def test_settings_reject_unknown_metrics():
    with pytest.raises(ConfigError):
        WalkForwardSettings(metric="luck")


def test_walk_forward_reports_in_and_out_of_sample_per_window(demo, market):
    specs = specs_from_arguments([str(demo)], [])
    grid = parse_grid(["overbought=70,80", "bull-window=50,100"])
    settings = WalkForwardSettings(in_sample=300, out_of_sample=200, metric="sharpe")
    report = walk_forward(specs, market, grid, settings, BacktestOptions())
    assert report["summary"]["windows"] == len(report["windows"]) >= 2
    first = report["windows"][0]
    assert first["chosen"] in grid_points(grid)
    assert first["in_sample"][1] < first["out_of_sample"][0]
    assert 1 <= first["out_of_sample_rank"] <= 4
    assert set(first["out_of_sample_metrics"]) >= {"sharpe", "total_return", "max_drawdown"}
    assert report["summary"]["out_of_sample_stitched"]["total_return"] is not None
    # The same report from two worker processes.
    parallel = walk_forward(
        specs, market, grid, WalkForwardSettings(300, 200, "sharpe", jobs=2), BacktestOptions()
    )
    assert parallel["windows"] == report["windows"]


def test_walk_forward_needs_room_for_one_window(demo, market):
    specs = specs_from_arguments([str(demo)], [])
    with pytest.raises(ConfigError) as err:
        walk_forward(specs, market, {"overbought": [70.0]}, WalkForwardSettings(5000, 100), BacktestOptions())
    assert err.value.code == "walkforward-too-short"
