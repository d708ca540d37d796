import datetime as dt
import os
from pathlib import Path

import numpy as np
import pytest

from rebalancer.errors import DataError
from rebalancer_research.market.csv_source import load_csv_dir

HEADER = "date,open,high,low,close,volume,adj_close\n"


def _write(folder: Path, symbol: str, body: str, header: str = HEADER) -> Path:
    path = folder / f"{symbol}.csv"
    path.write_text(header + body)
    return path


@pytest.fixture
def market(tmp_path: Path) -> Path:
    _write(
        tmp_path,
        "SPY",
        "2024-01-02,99,101,98,100,10,50\n2024-01-03,100,102,99,102,10,51\n2024-01-05,,,,104,,52\n",
    )
    _write(tmp_path, "NEW", "2024-01-03,9.5,10,9,10,5,10\n2024-01-04,10,11,10,11,5,11\n")
    (tmp_path / "SOURCES.md").write_text("not a price file")
    return tmp_path


def test_union_of_dates_with_nan_where_a_symbol_has_no_row(market: Path):
    history = load_csv_dir(market)
    assert history.symbols == ("NEW", "SPY")
    assert [str(d) for d in history.dates] == ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
    np.testing.assert_array_equal(history.column("SPY"), [50, 51, np.nan, 52])
    np.testing.assert_array_equal(history.column("NEW"), [np.nan, 10, 11, np.nan])


def test_opens_are_rescaled_onto_the_adjusted_basis(market: Path):
    history = load_csv_dir(market)
    # open 99 with close 100 and adj_close 50 -> 49.5; an empty open stays unknown.
    np.testing.assert_allclose(history.open_column("SPY"), [49.5, 50.0, np.nan, np.nan])
    np.testing.assert_allclose(history.open_column("NEW")[1:3], [9.5, 10.0])


def test_only_requested_symbols_are_loaded(market: Path):
    assert load_csv_dir(market, ["SPY"]).symbols == ("SPY",)


def test_close_column_is_used_when_there_is_no_adj_close(tmp_path: Path):
    _write(tmp_path, "QQQ", "2024-01-02,10\n2024-01-03,11\n", header="date,close\n")
    history = load_csv_dir(tmp_path)
    np.testing.assert_array_equal(history.column("QQQ"), [10, 11])
    assert np.isnan(history.open_column("QQQ")).all()


def test_open_without_adjustment_columns_is_taken_as_is(tmp_path: Path):
    _write(tmp_path, "QQQ", "2024-01-02,9,10\n", header="date,open,close\n")
    assert load_csv_dir(tmp_path).open_column("QQQ").tolist() == [9.0]


def test_every_missing_symbol_is_named(market: Path):
    with pytest.raises(DataError, match="QQQ, TLT") as err:
        load_csv_dir(market, ["SPY", "TLT", "QQQ"])
    assert err.value.code == "symbol-missing"


@pytest.mark.parametrize(
    ("body", "line", "code", "message"),
    [
        ("2024-01-02,1,1,1,1,1,1\n2024-13-01,1,1,1,1,1,1\n", 3, "csv-bad-date", "bad date '2024-13-01'"),
        ("2024-01-02,1,1,1,1,1,abc\n", 2, "csv-bad-price", "adj_close 'abc'"),
        ("2024-01-02,1,1,1,1,1,1\n2024-01-03,1,1,1,1,1,0\n", 3, "csv-bad-price", "adj_close '0'"),
        ("2024-01-02,1,1,1,1,1,-2\n", 2, "csv-bad-price", "not a positive number"),
        ("2024-01-02,1,1,1,1,1,\n", 2, "csv-bad-price", "adj_close ''"),
        ("2024-01-02,x,1,1,1,1,1\n", 2, "csv-bad-price", "open 'x'"),
        ("2024-01-02,1,1,1,1,1,1\n2024-01-02,1,1,1,1,1,1\n", 3, "csv-duplicate-date", "duplicate date"),
        ("2024-01-03,1,1,1,1,1,1\n2024-01-02,1,1,1,1,1,1\n", 3, "csv-unsorted-date", "unsorted date"),
    ],
)
def test_corrupt_row_names_file_and_line(tmp_path: Path, body: str, line: int, code: str, message: str):
    path = _write(tmp_path, "BAD", body)
    with pytest.raises(DataError, match=message) as err:
        load_csv_dir(tmp_path)
    assert err.value.code == code
    assert err.value.where == f"{path}:{line}"
    assert f"BAD.csv line {line}" in str(err.value)


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("date,open\n2024-01-02,1\n", "csv-columns"),
        (HEADER, "csv-empty"),
        ("", "csv-empty"),
        ('date,close\n"2024-01-02,1\n', "csv-unreadable"),
    ],
)
def test_unusable_files_are_clear_errors(tmp_path: Path, content: str, code: str):
    (tmp_path / "BAD.csv").write_text(content)
    with pytest.raises(DataError) as err:
        load_csv_dir(tmp_path)
    assert err.value.code == code
    assert "BAD.csv" in str(err.value)


def test_missing_or_empty_directory(tmp_path: Path):
    with pytest.raises(DataError) as err:
        load_csv_dir(tmp_path / "nope")
    assert err.value.code == "data-dir-missing"
    with pytest.raises(DataError) as err:
        load_csv_dir(tmp_path)
    assert err.value.code == "data-dir-empty"


REAL_DATA = os.environ.get("REBALANCER_MARKET_DATA")


@pytest.mark.skipif(not REAL_DATA, reason="REBALANCER_MARKET_DATA is not set (the Makefile sets it)")
def test_real_market_data_loads_on_the_adjusted_basis():
    history = load_csv_dir(str(REAL_DATA), ["SPY", "SVIX", "TQQQ"])
    assert history.last_date >= dt.date(2026, 7, 31)
    assert history.first_valid_row("SPY") == 0
    svix_start = history.first_valid_row("SVIX")
    assert svix_start is not None
    assert np.isnan(history.column("SVIX")[:svix_start]).all()
    spy_open, spy_close = history.open_column("SPY"), history.column("SPY")
    known = ~np.isnan(spy_open)
    # Opens on the adjusted basis stay within a normal day's gap of the close.
    assert float(np.max(np.abs(spy_open[known] / spy_close[known] - 1))) < 0.25
