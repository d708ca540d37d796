"""Data problems are reported by symbol and date: a bad tick is an error at its line, a gap or an early end
is a warning, and a backtest that cannot start names what blocks it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rebalancer.errors import DataError
from rebalancer_research.market.csv_source import load_csv_dir
from rebalancer_research.market.quality import data_warnings
from rebalancer_tools.cli.main import main

STRATEGY = '(defsymphony "pair" {} (weight-equal [(asset "SPY" nil) (asset "TLT" nil)]))\n'


def _days(n: int) -> list[str]:
    return [str(d) for d in np.busday_offset("2024-01-02", np.arange(n), roll="forward")]


def _write(folder: Path, symbol: str, closes: dict[str, float]) -> None:
    rows = "".join(f"{day},{close}\n" for day, close in closes.items())
    (folder / f"{symbol}.csv").write_text("date,close\n" + rows)


def _market(folder: Path, n: int = 40) -> list[str]:
    days = _days(n)
    _write(folder, "SPY", {d: 100.0 + i for i, d in enumerate(days)})
    _write(folder, "TLT", {d: 90.0 - i * 0.1 for i, d in enumerate(days)})
    return days


def test_a_thousandfold_tick_is_an_error_at_its_line(tmp_path: Path) -> None:
    days = _market(tmp_path)
    closes = dict.fromkeys(days, 100.0)
    closes[days[10]] = 100_000.0
    _write(tmp_path, "SPY", closes)
    with pytest.raises(DataError) as err:
        load_csv_dir(tmp_path)
    assert err.value.code == "csv-bad-tick"
    assert err.value.where == f"{tmp_path / 'SPY.csv'}:12"
    assert days[10] in err.value.message


def test_a_real_crash_that_does_not_revert_is_data(tmp_path: Path) -> None:
    days = _market(tmp_path)
    _write(tmp_path, "SPY", {d: 100.0 if i < 10 else 5.0 for i, d in enumerate(days)})
    assert np.nanmin(load_csv_dir(tmp_path).column("SPY")) == 5.0


def test_gaps_and_early_ends_are_warnings_by_symbol_and_date(tmp_path: Path) -> None:
    days = _market(tmp_path)
    _write(tmp_path, "SPY", {d: 100.0 for i, d in enumerate(days) if not 20 <= i < 25})
    _write(tmp_path, "TLT", dict.fromkeys(days[:-3], 90.0))
    [gap, stale] = data_warnings(load_csv_dir(tmp_path))
    assert gap.startswith(
        f"warning: SPY has no price on 5 session(s) that other symbols have, between {days[20]}"
    )
    assert stale.startswith(f"warning: TLT's data ends {days[-4]}, 3 session(s) before the others' last")


def test_the_backtest_warns_about_a_gap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    days = _market(tmp_path)
    _write(tmp_path, "SPY", {d: 100.0 + i for i, d in enumerate(days) if i != 30})
    (tmp_path / "pair.clj").write_text(STRATEGY)
    argv = [
        "backtest",
        "--data",
        str(tmp_path),
        "--strategy",
        str(tmp_path / "pair.clj"),
        "--benchmark",
        "none",
    ]
    assert main(argv) == 0
    assert f"warning: SPY has no price on 1 session(s) that other symbols have, between {days[30]}" in (
        capsys.readouterr().err
    )


def test_an_empty_backtest_names_the_symbol_that_blocks_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    days = _market(tmp_path)
    _write(tmp_path, "TLT", dict.fromkeys(days[:-1], 90.0))
    (tmp_path / "pair.clj").write_text(STRATEGY)
    argv = [
        "backtest",
        "--data",
        str(tmp_path),
        "--strategy",
        str(tmp_path / "pair.clj"),
        "--benchmark",
        "none",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "(backtest-empty)" in err
    assert f"blocked by TLT (no price on {days[-1]})" in err
