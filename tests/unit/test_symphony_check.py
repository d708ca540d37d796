"""`rebalancer symphony check FILE...`: parses? symbols, history, sources, unsupported; exit 0 iff usable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rebalancer_tools.cli.main import main

FIXTURES = Path(__file__).parent.parent / "fixtures" / "symphonies"
GOOD = (
    '(defsymphony "Good" {:asset-class "EQUITIES", :rebalance-threshold 0.05}'
    ' (weight-equal [(asset "SPY") (asset "TLT")]))'
)


def _csv(folder: Path, symbol: str, dates: list[str]) -> None:
    rows = "".join(f"{d},{100 + i}\n" for i, d in enumerate(dates))
    (folder / f"{symbol}.csv").write_text("date,adj_close\n" + rows)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "market"
    folder.mkdir()
    days = [f"2024-01-{d:02d}" for d in (2, 3, 4, 5, 8, 9, 10, 11, 12)]
    _csv(folder, "SPY", days)
    _csv(folder, "TLT", days[3:5] + days[6:])  # starts late, one gap (2024-01-09)
    return folder


def test_a_usable_export_exits_0_and_names_its_late_symbol(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.clj"
    good.write_text(GOOD)
    assert main(["symphony", "check", str(good), "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "good.clj: usable" in out
    assert "rebalance threshold:0.05" in out
    assert "TLT limits the start" in out
    assert "TLT from 2024-01-05" in out
    assert "gap: TLT: 1 missing sessions from 2024-01-09 to 2024-01-09" in out
    assert "1 of 1 usable" in out


def test_a_broken_file_or_unsupported_setting_exits_1(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crypto = tmp_path / "crypto.clj"
    crypto.write_text(
        '(defsymphony "C" {:asset-class "CRYPTO", :trading-days 7} (weight-equal [(asset "SPY")]))'
    )
    files = [str(FIXTURES / "broken_unclosed.clj"), str(FIXTURES / "composer_export.clj"), str(crypto)]
    assert main(["symphony", "check", *files, "--data", str(data), "--json"]) == 1
    reports = json.loads(capsys.readouterr().out)
    broken, conflict, other = reports
    assert not broken["parses"]
    assert "broken_unclosed.clj:5:19" in broken["error"]
    assert conflict["parses"]
    assert "rebalance-conflict" in conflict["unsupported"][0]
    csv = conflict["sources"][0]
    assert not csv["usable"]
    assert "UVXY" in csv["missing"]
    assert "asset-class" in other["unsupported"][0]
    assert other["notes"] == ["setting :trading-days 7 is ignored"]


def test_the_history_a_symphony_needs_decides_whether_a_source_suffices(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slow = tmp_path / "slow.clj"
    slow.write_text(
        '(defsymphony "S" {} (if (> (current-price "SPY") (moving-average-price "SPY" {:window 200}))'
        ' [(asset "ZZZZ")] [(asset "TLT")]))'
    )
    assert main(["symphony", "check", str(slow), "--data", str(data), "--json"]) == 1
    [report] = json.loads(capsys.readouterr().out)
    assert report["history_sessions"] >= 200
    assert [s["usable"] for s in report["sources"]] == [False, False]  # CSV lacks ZZZZ; synthetic fakes it
    assert report["sources"][1]["missing"] == ["ZZZZ"]
