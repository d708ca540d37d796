"""Charts people can read: colour-blind-safe and distinct colours, yearly totals, no Python reprs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from rebalancer.strategies import load_strategies, specs_from_arguments
from rebalancer_research.backtest.options import BacktestOptions
from rebalancer_research.backtest.pipeline import BacktestRun, run_backtest
from rebalancer_research.backtest.plots import (
    CASH_COLOR,
    MAX_ALLOCATION_SERIES,
    MONTHLY_CMAP,
    OTHER_COLOR,
    allocation_colors,
    monthly_table,
)
from rebalancer_research.backtest.report_html import options_text, render_html
from rebalancer_research.market.synthetic import synthetic_market


@pytest.fixture(scope="module")
def run() -> BacktestRun:
    strategies = load_strategies(specs_from_arguments(["tecl"], []))
    history = synthetic_market(["BIL", "BSV", "KMLM", "SPXL", "SPY", "SQQQ", "TECL", "TQQQ", "UVXY", "XLK"])
    return run_backtest(strategies, history, BacktestOptions(start=dt.date(2024, 1, 2)), benchmark="SPY")


def test_the_yearly_total_compounds_the_months(run: BacktestRun) -> None:
    table = monthly_table(run.result)
    for year, row in table.iterrows():
        months = row[list(range(1, 13))].dropna().to_numpy() / 100
        assert row["year"] == pytest.approx((np.prod(1 + months) - 1) * 100), year


def test_the_heatmap_is_not_red_green() -> None:
    assert MONTHLY_CMAP not in {"RdYlGn", "RdGn", "PiYG", "PRGn"}


def _distance(a: str, b: str) -> float:
    return float(np.linalg.norm(np.subtract(to_rgb(a), to_rgb(b))))


def test_every_allocation_series_has_its_own_colour() -> None:
    names = [f"S{i}" for i in range(MAX_ALLOCATION_SERIES - 1)] + ["other", "cash"]
    colors = allocation_colors(names)
    assert colors[-2:] == [OTHER_COLOR, CASH_COLOR]
    closest = min(_distance(a, b) for i, a in enumerate(colors) for b in colors[i + 1 :])
    assert closest > 0.2  # tab20's light/dark twins were 0.15 apart
    assert _distance(OTHER_COLOR, CASH_COLOR) > 1.0  # the two greys were 0.55 apart


def test_the_report_states_options_in_words(run: BacktestRun) -> None:
    page = render_html(run.document, {}, title="t")
    assert "=None" not in page
    assert "start=" not in page
    assert "from 2024-01-02, to the last session" in options_text(run.document["options"])
