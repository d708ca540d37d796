import json
import os
from pathlib import Path

import numpy as np
import pytest

from rebalancer.strategies import load_strategies, specs_from_arguments
from rebalancer_research.market.synthetic import synthetic_market
from rebalancer_tools.cli.main import main
from rebalancer_tools.cli.signals_cmd import compute_signals

REAL_DATA = os.environ.get("REBALANCER_MARKET_DATA")


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["signals", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_has_the_agreed_shape_and_combines_by_allocation(capsys):
    code, out, _ = _run(capsys, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"as_of", "strategies", "portfolio"}
    assert data["as_of"] == "2026-10-30"
    assert list(data["strategies"]) == ["nuclear", "tecl", "klm"]
    allocations = {"nuclear": 0.3, "tecl": 0.5, "klm": 0.2}
    expected: dict[str, float] = {}
    for name, strategy in data["strategies"].items():
        assert set(strategy) == {"weights", "trace"}
        assert sum(strategy["weights"].values()) == pytest.approx(1.0, abs=1e-9)
        assert all(w > 0 for w in strategy["weights"].values())
        assert {"path", "kind", "description", "values", "outcome"} <= set(strategy["trace"][0])
        for symbol, weight in strategy["weights"].items():
            expected[symbol] = expected.get(symbol, 0.0) + allocations[name] * weight
    assert set(data["portfolio"]) == {"weights"}
    assert data["portfolio"]["weights"] == pytest.approx(expected, rel=1e-12)


def test_table_shows_each_strategy_its_reasons_and_the_portfolio(capsys):
    code, out, _ = _run(capsys)
    assert code == 0
    assert out.startswith("Signals for 2026-10-30 - synthetic market")
    for header in ("NUCLEAR  30.00% of the portfolio", "TECL  50.00%", "KLM  20.00%", "PORTFOLIO"):
        assert header in out
    assert "current-price(SPY) > moving-average-price(SPY,200)" in out
    assert "select-top 1 by stdev-return(5)" in out
    assert out.rstrip().endswith("total   100.00%")


def test_as_of_decides_on_that_session_only(capsys):
    code, out, _ = _run(capsys, "--as-of", "2024-06-28", "--strategy", "tecl", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["as_of"] == "2024-06-28"
    # The same decision as evaluating a history that ends that day.
    strategies = load_strategies(specs_from_arguments(["tecl"], []))
    market = synthetic_market(strategies[0].symphony.symbols).until("2024-06-28")
    direct = compute_signals(strategies, market)
    assert data["strategies"]["tecl"]["weights"] == direct.strategies[0].weights
    assert data["portfolio"]["weights"] == direct.portfolio


def test_custom_strategy_file_named_by_its_stem_with_equal_shares(tmp_path: Path, capsys):
    mine = tmp_path / "cash.clj"
    mine.write_text('(defsymphony "Cash" {} (weight-equal [(asset "BIL")]))')
    code, out, _ = _run(capsys, "--strategy", "tecl", "--strategy", str(mine), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["strategies"]["cash"]["weights"] == {"BIL": 1.0}
    tecl = data["strategies"]["tecl"]["weights"]
    assert data["portfolio"]["weights"]["BIL"] == pytest.approx(0.5 + 0.5 * tecl.get("BIL", 0.0))


def _write_csv(folder: Path, symbol: str, dates, closes) -> None:
    rows = "".join(f"{d},{c}\n" for d, c in zip(dates, closes, strict=True))
    (folder / f"{symbol}.csv").write_text("date,close\n" + rows)


@pytest.fixture
def small_data(tmp_path: Path) -> Path:
    """CSV data for the cash strategy and a strategy on SPY with a 200-session SMA."""
    market = synthetic_market(["SPY", "BIL"], sessions=260)
    dates = [str(d) for d in market.dates]
    _write_csv(tmp_path, "SPY", dates, market.column("SPY"))
    closes = market.column("BIL").copy()
    closes[:100] = np.nan  # BIL starts later
    _write_csv(tmp_path, "BIL", dates[100:], closes[100:])
    (tmp_path / "trend.clj").write_text(
        '(defsymphony "Trend" {} (if (> (current-price "SPY") (moving-average-price "SPY" {:window 200}))'
        ' [(asset "SPY")] [(asset "BIL")]))'
    )
    return tmp_path


def test_csv_data_directory(small_data: Path, capsys):
    code, out, _ = _run(capsys, "--data", str(small_data), "--strategy", str(small_data / "trend.clj"))
    assert code == 0
    assert "TREND  100.00% of the portfolio" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--strategy", "nope"], "strategy-unknown", "unknown strategy 'nope'"),
        (["--allocation", "nuclear=0.5", "--allocation", "tecl=0.3", "--allocation", "klm=0.1"],
         "allocations-sum", "sum to"),
        (["--allocation", "tecl"], "bad-allocation", "cannot read allocation"),
        (["--allocation", "tecl=half"], "bad-allocation", "cannot read allocation"),
        (["--strategy", "tecl", "--allocation", "klm=1"], "allocation-unknown-strategy", "klm"),
        (["--as-of", "2026-13-01"], "bad-date", "cannot read date"),
        (["--as-of", "1999-01-04"], "date-outside-data", "not a session"),
        (["--as-of", "2026-10-31"], "date-outside-data", "not a session"),  # a Saturday
        (["--strategy", "tecl", "--as-of", "2010-12-10"], "insufficient-history", "too little history"),
        (["--strategy", "tecl", "--strategy", "tecl"], "strategy-duplicate", "two strategies"),
    ],
)  # fmt: skip
def test_errors_are_one_clear_message_and_exit_2(capsys, args, code, message):
    status, out, err = _run(capsys, *args)
    assert status == 2
    assert out == ""
    assert err.startswith("error: ")
    assert message in err
    assert f"({code})" in err
    assert len(err.strip().splitlines()) == 1


def test_unknown_symbol_on_the_synthetic_market(tmp_path: Path, capsys):
    bad = tmp_path / "typo.clj"
    bad.write_text('(defsymphony "Typo" {} (weight-equal [(asset "SPYY")]))')
    status, _, err = _run(capsys, "--strategy", str(bad))
    assert status == 2
    assert f"unknown symbol: SPYY (in {bad})" in err
    assert "(symbol-unknown)" in err


def test_data_missing_for_a_needed_symbol(small_data: Path, capsys):
    args = ["--data", str(small_data), "--strategy", str(small_data / "trend.clj")]
    status, _, err = _run(capsys, *args, "--as-of", str(synthetic_market(["SPY"], sessions=260).dates[50]))
    assert status == 2
    assert "needs BIL, which have no price" in err
    (small_data / "BIL.csv").unlink()
    status, _, err = _run(capsys, *args)
    assert status == 2
    assert f"unknown symbol: BIL (in {small_data / 'trend.clj'}): the data folder" in err
    assert "(symbol-unknown)" in err


@pytest.mark.skipif(not REAL_DATA, reason="REBALANCER_MARKET_DATA is not set (the Makefile sets it)")
def test_real_data_signals_up_to_the_last_complete_session(capsys):
    code, out, err = _run(capsys, "--data", str(REAL_DATA), "--as-of", "2026-07-31", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["as_of"] == "2026-07-31"
    assert sum(data["portfolio"]["weights"].values()) == pytest.approx(1.0, abs=1e-9)
    assert "note: klm" in err  # FNGU's file is short: the warm-up shortfall is reported, not hidden


def test_each_strategy_is_evaluated_once(monkeypatch):
    from rebalancer.symphony.evaluator import Evaluator

    strategies = load_strategies(specs_from_arguments(["tecl"], []))
    market = synthetic_market(strategies[0].symphony.symbols)
    expected = compute_signals(strategies, market)
    evaluations = []
    original = Evaluator.__init__

    def counting(self, history):
        evaluations.append(1)
        original(self, history)

    monkeypatch.setattr(Evaluator, "__init__", counting)
    signals = compute_signals(strategies, market)
    assert len(evaluations) == 1
    assert signals.portfolio == expected.portfolio
    assert [s.trace for s in signals.strategies] == [s.trace for s in expected.strategies]
