"""Sweeps, screens and walk-forward on a real Dask cluster of two worker processes on loopback give the
serial run's results: same numbers, same order. A task that fails is reported with its parameters and
the others still finish."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rebalancer.strategies import specs_from_arguments
from rebalancer_research.backtest.options import BacktestOptions
from rebalancer_research.backtest.ranking import screen, sweep
from rebalancer_research.backtest.walkforward import WalkForwardSettings, parse_grid, walk_forward
from rebalancer_research.fanout import FanOutSettings, TaskFailure, fan_out
from rebalancer_research.market.synthetic import synthetic_market
from rebalancer_tools.cli.main import main

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.integration

TUNABLE = """(defsymphony "Tunable" {:parameters {:overbought 79 :bull-window 200}}
 (if (> (current-price "SPY") (moving-average-price "SPY" {:window :bull-window}))
   [(if (> (rsi "SPY" {:window 10}) :overbought) [(asset "BIL")] [(asset "SPY")])]
   [(asset "BIL")]))
"""
MOMENTUM = """(defsymphony "Momentum" {}
 (filter (cumulative-return {:window 60}) (select-top 1) [(asset "SPY") (asset "TLT") (asset "BIL")]))
"""
NEEDS_QQQ = """(defsymphony "Needs QQQ" {} (weight-equal [(asset "QQQ") (asset "SPY")]))
"""


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    ) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def market():
    return synthetic_market(["SPY", "BIL", "TLT"], sessions=1200)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("symphonies")
    paths = {}
    for name, text in (("tunable", TUNABLE), ("momentum", MOMENTUM), ("needs_qqq", NEEDS_QQQ)):
        paths[name] = folder / f"{name}.clj"
        paths[name].write_text(text)
    return paths


def _serial() -> FanOutSettings:
    return FanOutSettings(workers=1, progress=False)


def _on(cluster: str) -> FanOutSettings:
    return FanOutSettings(scheduler=cluster, workers=2, progress=False)


def test_a_sweep_on_two_workers_equals_the_serial_sweep(cluster, market, files):
    specs = specs_from_arguments([str(files["tunable"])], [])
    grid = parse_grid(["overbought=70,75,80,85", "bull-window=50,100,150"])
    serial = sweep(specs, market, grid, BacktestOptions(), metric="sharpe", fan=_serial())
    fanned = sweep(specs, market, grid, BacktestOptions(), metric="sharpe", fan=_on(cluster))
    assert len(serial.candidates) == 12
    assert fanned.document == serial.document
    sharpe = [row["sharpe"] for row in serial.document["ranking"]]
    assert sharpe == sorted(sharpe, reverse=True)


def test_a_failing_grid_point_is_reported_with_its_parameters_and_the_rest_ranked(cluster, market, files):
    specs = specs_from_arguments([str(files["tunable"])], [])
    grid = parse_grid(["bull-window=0,100,150"])  # a window of 0 is refused by the reader
    ranking = sweep(specs, market, grid, BacktestOptions(), metric="sharpe", fan=_on(cluster))
    assert {tuple(c.params.values()) for c in ranking.candidates} == {(100.0,), (150.0,)}
    assert len(ranking.failures) == 1
    assert ranking.failures[0]["params"] == {"bull-window": 0.0}
    assert "window" in ranking.failures[0]["error"]


def test_a_screen_ranks_the_files_and_a_file_without_data_fails_alone(cluster, market, files):
    paths = [files["tunable"], files["momentum"], files["needs_qqq"]]
    serial = screen(paths, market, BacktestOptions(), metric="calmar", fan=_serial())
    fanned = screen(paths, market, BacktestOptions(), metric="calmar", fan=_on(cluster))
    assert fanned.document == serial.document
    assert sorted(c.label for c in serial.candidates) == ["momentum", "tunable"]
    assert serial.failures == [{"file": str(files["needs_qqq"]), "error": serial.failures[0]["error"]}]
    assert "QQQ" in serial.failures[0]["error"]


def test_walk_forward_on_two_workers_equals_the_serial_run(cluster, market, files):
    specs = specs_from_arguments([str(files["tunable"])], [])
    grid = parse_grid(["overbought=70,80", "bull-window=50,100"])
    serial = walk_forward(specs, market, grid, WalkForwardSettings(300, 200), BacktestOptions())
    settings = WalkForwardSettings(300, 200, jobs=2, scheduler=cluster)
    fanned = walk_forward(specs, market, grid, settings, BacktestOptions())
    assert fanned["windows"] == serial["windows"]
    assert fanned["summary"] == serial["summary"]


def test_fan_out_keeps_the_items_order_and_turns_a_raise_into_a_failure(cluster, market):
    results = fan_out(_square_or_fail, [3, -1, 2, 5], market, _on(cluster))
    assert [results[0], results[2], results[3]] == [9, 4, 25]
    assert isinstance(results[1], TaskFailure)
    assert results[1].item == -1
    assert "negative" in results[1].error


def _square_or_fail(history, item: int) -> int:
    if item < 0:
        raise ValueError(f"negative item {item}")
    return item * item


def test_the_screen_command_writes_json_csv_and_chart_on_the_embedded_cluster(tmp_path, files, capsys):
    out = tmp_path / "screen"
    code = main(
        [
            *("screen", str(files["tunable"]), str(files["momentum"])),
            *("--jobs", "2", "--out", str(out), "--metric", "sharpe", "--no-progress"),
        ]
    )
    assert code == 0
    document = json.loads((out / "screen.json").read_text())
    assert [row["rank"] for row in document["ranking"]] == [1, 2]
    lines = (out / "ranking.csv").read_text().splitlines()
    assert lines[0].startswith("rank,label,")
    assert len(lines) == 3
    assert (out / "ranking.png").stat().st_size > 10_000
    assert "momentum" in capsys.readouterr().out


def test_the_sweep_command_exits_1_and_lists_failed_points(tmp_path: Path, files, capsys):
    code = main(
        [
            *("sweep", "--strategy", str(files["tunable"]), "--grid", "bull-window=0,120"),
            *("--jobs", "1", "--format", "json", "--no-progress"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    document = json.loads(captured.out)
    assert [row["params"] for row in document["ranking"]] == [{"bull-window": 120.0}]
    assert "bull-window" in captured.err
