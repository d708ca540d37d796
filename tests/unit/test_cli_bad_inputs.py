"""Each bad input a new user tried is refused where it enters, with one `error:` line naming the flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rebalancer_research.json_output import strict_json
from rebalancer_tools.cli.main import main

README = Path(__file__).resolve().parents[2] / "README.md"


def _error_line(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    return err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["backtest", "--fee-bps", "nan"], "--fee-bps: costs must be between 0 and 1000 basis points"),
        (["backtest", "--slippage-bps", "20000"], "--slippage-bps: costs must be between 0 and 1000"),
        (["backtest", "--slippage-bps", "-1"], "(bad-costs)"),
        (["backtest", "--initial-equity", "inf"], "--initial-equity: initial equity must be a number > 0"),
        (["backtest", "--min-order", "nan"], "--min-order:"),
        (["walkforward", "--fee-bps", "inf", "--grid", "x=1"], "--fee-bps:"),
        (["backtest", "--out", str(README)], "README.md is a file, not a folder (out-not-folder)"),
        (["backtest", "--out", "/proc/nope"], "cannot create folder /proc/nope"),
        (["plan", "--at", "not-a-time"], "--at: cannot read time 'not-a-time' (bad-time)"),
    ],
)
def test_a_bad_flag_is_one_error_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    assert expected in _error_line(capsys, *argv)


def test_json_never_holds_nan_or_infinity() -> None:
    text = strict_json({"a": float("nan"), "b": [float("inf"), -float("inf"), 1.0], "c": (2.0,)})
    assert json.loads(text) == {"a": None, "b": [None, None, 1.0], "c": [2.0]}


def test_backtest_json_is_strict_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "--strategy", "tecl", "--start", "2026-01-02", "--format", "json"]) == 0
    out = capsys.readouterr().out

    def refuse(constant: str) -> None:
        raise AssertionError(f"bare {constant} in the JSON")

    json.loads(out, parse_constant=refuse)


def test_data_that_is_a_file_is_called_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    err = _error_line(capsys, "signals", "--data", str(README))
    assert "README.md is a file, not a folder of SYMBOL.csv files" in err
