"""Emulator building blocks for market realism: the CSV reader, the spread model, the intraday path."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from rebalancer.errors import DataError
from rebalancer_emulator.prices import path_price
from rebalancer_emulator.quotes import SpreadModel
from rebalancer_emulator.series import CsvDirSource, read_series


def test_the_reader_keeps_rows_with_a_close_and_computes_the_adjustment_factor(tmp_path: Path) -> None:
    path = tmp_path / "ABC.csv"
    path.write_text(
        "date,open,close,adj_close,volume\n2024-01-02,9,10,5,100\n2024-01-03,,,,\n2024-01-04,,12,12,\n"
    )
    series = read_series(path, "ABC")
    assert [str(d) for d in series.dates] == ["2024-01-02", "2024-01-04"]
    assert series.factor.tolist() == [0.5, 1.0]
    assert np.isnan(series.high).all()
    assert series.volume[0] == 100


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("day,close\n2024-01-02,1\n", "csv-columns"),
        ("date,open\n2024-01-02,1\n", "csv-columns"),
        ("date,close\n2024-01-03,1\n2024-01-02,1\n", "csv-unsorted"),
        ("date,close\n02/01/2024,1\n", "csv-bad-date"),
        ("date,close\n2024-01-02,abc\n", "csv-unreadable"),
    ],
)
def test_a_bad_file_is_a_data_error_naming_it(tmp_path: Path, text: str, code: str) -> None:
    path = tmp_path / "BAD.csv"
    path.write_text(text)
    with pytest.raises(DataError) as err:
        read_series(path, "BAD")
    assert err.value.code == code
    assert "BAD.csv" in str(err.value)


def test_a_missing_folder_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        CsvDirSource(tmp_path / "nowhere")
    assert err.value.code == "data-dir-missing"


def test_the_spread_is_at_least_one_tick_and_rounds_outwards() -> None:
    spread = SpreadModel(Decimal(2), Decimal("0.01"))
    assert spread.around(Decimal("0.5000")).bid < Decimal("0.5") < spread.around(Decimal("0.5000")).ask
    wide = SpreadModel(Decimal(100), Decimal("0.01")).around(Decimal("10.00"))  # 1% of 10 = 0.10
    assert (wide.bid, wide.ask, wide.far_side("buy"), wide.far_side("sell")) == (
        Decimal("9.95"),
        Decimal("10.05"),
        Decimal("10.05"),
        Decimal("9.95"),
    )


def test_a_down_day_visits_its_high_before_its_low() -> None:
    assert path_price(100.0, 104.0, 97.0, 98.0, 0.25) == 104.0
    assert path_price(100.0, 104.0, 97.0, 98.0, 0.75) == 97.0
    assert (path_price(100.0, 104.0, 97.0, 98.0, 0.0), path_price(100.0, 104.0, 97.0, 98.0, 1.0)) == (
        100.0,
        98.0,
    )
    assert path_price(100.0, float("nan"), float("nan"), 110.0, 0.5) == 105.0  # no range: a straight line
