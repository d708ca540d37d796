import json

import pytest

from rebalancer.errors import ConfigError
from rebalancer.strategies import parse_allocation_items, specs_from_arguments
from rebalancer_tools.cli.main import main

DEMO = """(defsymphony "Parameter demo" {:parameters {:overbought 79}}
 (weight-equal
  [(if (> (rsi "SPY" {:window 10}) :overbought) [(asset "BIL")] [(asset "SPY")])]))
"""


def test_backtest_json_has_metrics_benchmark_and_outputs(capsys, tmp_path):
    costs = ["--execution", "open", "--slippage-bps", "3", "--fee-bps", "1", "--rebalance", "weekly"]
    out = ["--format", "json", "--out", str(tmp_path), "--start", "2020-01-02"]
    code = main(["backtest", "--strategy", "tecl", *costs, *out])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["options"]["execution"] == "open"
    assert doc["options"]["rebalance"] == "weekly"
    assert doc["portfolio"]["start"] >= "2020-01-02"
    assert doc["benchmark"]["symbol"] == "SPY"
    assert doc["strategies"]["tecl"]["allocation"] == 1.0
    assert (tmp_path / "report.html").is_file()
    assert doc["outputs"]["equity"].endswith("equity.png")


def test_backtest_table_with_bias_check(capsys):
    args = ["backtest", "--strategy", "tecl", "--check-bias", "--bias-samples", "3", "--benchmark", "none"]
    assert main([*args, "--start", "2024-01-02"]) == 0
    out = capsys.readouterr().out
    assert "Sharpe" in out
    assert "look-ahead" in out
    assert "pass" in out


def test_backtest_errors_are_typed_with_exit_code_2(capsys):
    assert main(["backtest", "--strategy", "tecl", "--allocation", "klm=1"]) == 2
    assert "allocation" in capsys.readouterr().err
    assert main(["backtest", "--rebalance", "hourly"]) == 2


def test_walkforward_command_prints_a_table(capsys, tmp_path):
    demo = tmp_path / "demo.clj"
    demo.write_text(DEMO)
    args = ["walkforward", "--strategy", str(demo), "--grid", "overbought=70,80", "--jobs", "1"]
    assert main([*args, "--in-sample", "500", "--out-of-sample", "500", "--start", "2016-01-04"]) == 0
    out = capsys.readouterr().out
    assert "OOS sharpe" in out
    assert "stitched out-of-sample" in out
    assert main([*args[:3], "--grid", "nope=1"]) == 2
    assert "nope" in capsys.readouterr().err


def test_allocations_default_and_validate():
    assert {s.name: s.allocation for s in specs_from_arguments([], ["tecl=60", "klm=40"])} == {
        "tecl": 0.6,
        "klm": 0.4,
    }
    specs = specs_from_arguments([], [])
    assert {s.name: s.allocation for s in specs} == {"nuclear": 0.3, "tecl": 0.5, "klm": 0.2}
    assert [s.allocation for s in specs_from_arguments(["tecl", "klm"], [])] == [0.5, 0.5]
    with pytest.raises(ConfigError, match="sum"):
        specs_from_arguments(["tecl", "klm"], ["tecl=0.5", "klm=0.4"])
    with pytest.raises(ConfigError):
        parse_allocation_items(["tecl"])
