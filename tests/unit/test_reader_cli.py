"""`rebalancer symphony show`: prints the normalized tree or JSON; a broken file is a clear error, exit 2."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rebalancer.symphony.library import builtin_strategy_paths
from rebalancer.symphony.reader import read_symphony
from rebalancer_tools.cli.main import main

FIXTURES = Path(__file__).parent.parent / "fixtures" / "symphonies"


def test_show_prints_a_tree_that_reads_back(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "composer_export.clj"
    assert main(["symphony", "show", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("; holdings: BIL BTAL BWXT LEU OKLO SMR SQQQ UVXY\n; signals: SPY\n")
    assert read_symphony(out).holdings == {"BIL", "BTAL", "BWXT", "LEU", "OKLO", "SMR", "SQQQ", "UVXY"}


def test_show_json_with_parameter_override(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "parameters.clj"
    assert (
        main(["symphony", "show", str(path), "--json", "--param", "overbought=81.5", "--param", "top-k=1"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["parameters"]["overbought"] == 81.5
    assert data["root"]["then"][0]["condition"]["rhs"] == 81.5


@pytest.mark.parametrize("bad", ["overbought", "=3", "overbought=high"])
def test_bad_param_override_is_a_clear_error(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["symphony", "show", str(FIXTURES / "parameters.clj"), "--param", bad]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --param: cannot read parameter override")


def test_broken_file_exits_2_with_location_and_no_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "broken_unclosed.clj"
    assert main(["symphony", "show", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: {path}:5:19: mismatched brackets")
    assert "Traceback" not in captured.err


def test_broken_file_through_the_real_entry_point() -> None:
    path = FIXTURES / "broken_unclosed.clj"
    proc = subprocess.run(
        [sys.executable, "-m", "rebalancer_tools.cli.main", "symphony", "show", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "mismatched brackets" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_show_accepts_a_builtin_name(capsys: pytest.CaptureFixture[str]) -> None:
    if not builtin_strategy_paths()["tecl"].is_file():
        pytest.skip("strategies/tecl.clj is not there")
    assert main(["symphony", "show", "tecl"]) == 0
    out = capsys.readouterr().out
    assert '(defsymphony "TECL For The Long Term (v7)"' in out
    assert "; signals: KMLM SPXL SPY TQQQ UVXY XLK" in out
