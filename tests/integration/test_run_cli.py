"""The `rebalancer run / plan / replay` commands against an in-process emulator and disk stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from rebalancer_tools.cli.main import main

pytestmark = pytest.mark.integration

CONFIG = """env: paper
strategies:
  nuclear: {allocation: 0.5}
  tecl: {allocation: 0.5}
data:
  lookback_sessions: 250
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "paper.yaml"
    path.write_text(CONFIG)
    return path


def test_plan_then_run_then_replay(tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = str(tmp_path / "records")
    common = ["--config", str(config), "--records", records, "--at", "2026-11-02T09:35"]
    assert main(["plan", *common]) == 0
    out = capsys.readouterr().out
    assert "planned" in out
    assert "Planned orders (approved by risk):" in out
    assert main(["run", *common]) == 0
    out = capsys.readouterr().out
    assert ": completed" in out
    assert "filled" in out
    assert main(["run", *common]) == 0
    assert "already finished (completed)" in capsys.readouterr().out
    assert main(["replay", "paper-2026-11-02-market-open", "--records", records]) == 0
    assert "identical" in capsys.readouterr().out


def test_a_halt_flag_file_stops_the_run(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = tmp_path / "records"
    (records / "halt").mkdir(parents=True)
    (records / "halt" / "paper").write_text("halt\n")
    assert main(["run", "--config", str(config), "--records", str(records)]) == 1
    assert "halted" in capsys.readouterr().out


def test_bad_config_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("env: paper\nrisk:\n  max_drawdown: 7\n")
    assert main(["run", "--config", str(bad), "--records", str(tmp_path / "r")]) == 2
    assert "risk.max_drawdown" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_replay_of_an_unknown_run_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "paper-2026-01-05-open", "--records", str(tmp_path)]) == 2
    assert "record-missing" in capsys.readouterr().err


def test_rerun_takes_the_days_run_late_but_never_repeats_a_finished_one(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = str(tmp_path / "records")
    late = ["--config", str(config), "--records", records, "--at", "2026-11-02T10:30"]
    assert main(["run", *late]) == 1
    assert "skipped-late" in capsys.readouterr().out
    assert main(["rerun", *late]) == 0
    assert ": completed" in capsys.readouterr().out
    assert main(["rerun", *late]) == 0
    assert "already finished (completed)" in capsys.readouterr().out
