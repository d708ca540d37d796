"""`rebalancer config check` and `rebalancer config show`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rebalancer_tools.cli.main import main

REPO = Path(__file__).resolve().parents[2]
PAPER = str(REPO / "config" / "paper.yaml")
LIVE = str(REPO / "config" / "live.yaml")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIVE_TRADING_CONFIRMED", "REBALANCER_ENV", "REBALANCER_RISK__MAX_DRAWDOWN"):
        monkeypatch.delenv(name, raising=False)


def test_check_passes_the_shipped_paper_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", PAPER]) == 0
    out = capsys.readouterr().out
    assert "OK" in out
    assert "nuclear 0.3, tecl 0.5, klm 0.2" in out


def test_check_lists_every_problem_and_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("env: live\nrisk: {max_drawdown: 3}\nbogus: 1\n", encoding="utf-8")
    assert main(["config", "check", str(path), "--skip-strategies"]) == 1
    out = capsys.readouterr().out
    assert "3 problems" in out
    for field in ("risk.max_drawdown", "bogus", "live_trading_confirmed"):
        assert f"  {field}: " in out


def test_check_reports_the_live_config_as_unconfirmed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", LIVE]) == 1
    assert "live-not-confirmed" in capsys.readouterr().out


def test_show_prints_each_value_with_its_source(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REBALANCER_RISK__MAX_DRAWDOWN", "0.25")
    assert main(["config", "show", "--config", PAPER]) == 0
    lines = capsys.readouterr().out.splitlines()
    by_key = {line.split(" = ")[0]: line for line in lines[1:]}
    assert by_key["risk.max_drawdown"].endswith("# env:REBALANCER_RISK__MAX_DRAWDOWN")
    assert '"0.25"' in by_key["risk.max_drawdown"]
    assert by_key["risk.max_daily_loss"].endswith("# file")
    assert by_key["live_trading_confirmed"].endswith("# default")


def test_show_json_and_defaults_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "show", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["config"]["execution"]["cash_buffer"] == "0.02"
    assert set(data["sources"].values()) == {"default"}


def test_show_refuses_an_invalid_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "show", "--config", LIVE]) == 2
    assert "live-not-confirmed" in capsys.readouterr().err
