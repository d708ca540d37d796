"""Every command accepts and refuses the same strategies and allocations, with the same reason code.

The same portfolio is given to `signals`, `backtest` and `walkforward` as flags, and to `config check`
and `plan` as a config file (plan starts the in-process emulator, so this lives with the integration
tests). A mistyped ticker is refused everywhere instead of being simulated on made-up prices.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rebalancer_tools.cli.main import main

pytestmark = pytest.mark.integration

TREND = """(defsymphony "Trend" {:parameters {:overbought 79}}
 (weight-equal
  [(if (> (rsi "SPY" {:window 10}) :overbought) [(asset "BIL")] [(asset "SPY")])]))
"""
TYPO = '(defsymphony "Typo" {} (weight-equal [(asset "SPYY")]))\n'

CASES = {
    "fractions": ({"trend": 0.6, "tecl": 0.4}, None),
    "percentages": ({"trend": 60, "tecl": 40}, None),
    "sum-not-one": ({"trend": 0.5, "tecl": 0.4}, "allocations-sum"),
    "zero": ({"trend": 1.0, "tecl": 0.0}, "allocation-not-positive"),
    "negative": ({"trend": 1.2, "tecl": -0.2}, "allocation-not-positive"),
    "unknown-symbol": ({"trend": 0.5, "typo": 0.5}, "symbol-unknown"),
    "no-such-file": ({"trend": 0.5, "nope": 0.5}, "strategy-unknown"),
}
COMMANDS = ("signals", "backtest", "walkforward", "config check", "plan")
CODE = re.compile(r"\(([a-z][a-z0-9_-]*)\)(?:\. Hint|$)", re.MULTILINE)


def _source(tmp_path: Path, name: str) -> str:
    """A built-in's name, or the path of a file in tmp_path (`nope` names no file)."""
    if name == "tecl":
        return "tecl"
    if name in ("trend", "typo"):
        (tmp_path / f"{name}.clj").write_text(TREND if name == "trend" else TYPO)
    return str(tmp_path / f"{name}.clj")


def _flags(tmp_path: Path, allocations: dict[str, float]) -> list[str]:
    flags: list[str] = []
    for name, share in allocations.items():
        flags += ["--strategy", _source(tmp_path, name), "--allocation", f"{name}={share}"]
    return flags


def _config(tmp_path: Path, allocations: dict[str, float]) -> str:
    lines = ["env: paper", "strategies:"]
    for name, share in allocations.items():
        lines.append(f"  {name}: {{source: {_source(tmp_path, name)}, allocation: {share}}}")
    lines += ["data:", "  lookback_sessions: 300", "execution:", "  fill_timeout_seconds: 20"]
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _outcome(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str | None:
    """None when the command accepted the input, else the reason code it gave."""
    status = main(argv)
    captured = capsys.readouterr()
    if status == 0:
        return None
    codes = CODE.findall(captured.err + captured.out)
    assert codes, (argv, captured.out, captured.err)
    return str(codes[0])


def _argv(command: str, tmp_path: Path, allocations: dict[str, float]) -> list[str]:
    if command == "signals":
        return ["signals", *_flags(tmp_path, allocations)]
    if command == "backtest":
        return ["backtest", *_flags(tmp_path, allocations), "--start", "2024-01-02", "--format", "json"]
    if command == "walkforward":
        windows = ["--in-sample", "300", "--out-of-sample", "300", "--start", "2020-01-02"]
        return [
            "walkforward",
            *_flags(tmp_path, allocations),
            "--grid",
            "overbought=70,80",
            "--jobs",
            "1",
            *windows,
        ]
    if command == "config check":
        return ["config", "check", _config(tmp_path, allocations), "--synthetic"]
    return ["plan", "--config", _config(tmp_path, allocations), "--records", str(tmp_path / "records")]


@pytest.mark.parametrize("case", list(CASES))
def test_every_command_accepts_and_refuses_the_same_portfolio(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    allocations, expected = CASES[case]
    outcomes = {command: _outcome(capsys, _argv(command, tmp_path, allocations)) for command in COMMANDS}
    assert outcomes == dict.fromkeys(COMMANDS, expected)


def test_an_unknown_benchmark_is_refused_naming_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "--strategy", "tecl", "--benchmark", "SPYY"]) == 2
    err = capsys.readouterr().err
    assert "unknown symbol: SPYY (in --benchmark)" in err
    assert "(symbol-unknown)" in err
