"""The CSV loader's typed fast path reads clean files exactly as the text path does, and steps aside for
anything unusual so the text path's located errors stay the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rebalancer.errors import DataError
from rebalancer_research.market import csv_source
from rebalancer_research.market.csv_source import read_symbol_csv, read_typed

HEADER = "date,open,high,low,close,volume,adj_close\n"
CLEAN = "2024-01-02,99,101,98,100,10,50\n2024-01-03,100,102,99,102,10,51\n2024-01-05,,,,104,,52\n"


def _file(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "SPY.csv"
    path.write_text(header + body)
    return path


def _text_path(path: Path, monkeypatch: pytest.MonkeyPatch) -> csv_source.SymbolSeries:
    monkeypatch.setattr(csv_source, "read_typed", lambda *_: None)
    return read_symbol_csv(path)


@pytest.mark.parametrize(
    ("header", "body"),
    [
        (HEADER, CLEAN),
        ("Date, Open, Close\n", "2024-01-02, 10, 11\n2024-01-03, 11, 12\n"),
        ("date,adj_close\n", "2024-01-02,10\n"),
        ("\ufeffdate,close\n", "2024-01-02,10\n"),
    ],
)
def test_a_clean_file_reads_the_same_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, header: str, body: str
) -> None:
    path = _file(tmp_path, body, header)
    fast = read_typed(path, "SPY")
    assert fast is not None
    slow = _text_path(path, monkeypatch)
    np.testing.assert_array_equal(fast.dates, slow.dates)
    np.testing.assert_array_equal(fast.close, slow.close)
    np.testing.assert_array_equal(fast.open, slow.open)


@pytest.mark.parametrize(
    ("body", "code", "line"),
    [
        ("2024-01-02,99,101,98,100,10,50\n2024-01-03,1,1,1,abc,1,51\n", "csv-bad-price", 3),
        ("2024-01-02,99,101,98,100,10,50\n2024-01-03,1,1,1,1,1,\n", "csv-bad-price", 3),
        ("2024-01-02,99,101,98,100,10,50\n2024-01-03,1,1,1,1,1,-5\n", "csv-bad-price", 3),
        ("2024-01-02,99,101,98,100,10,50\n2024/01/03,1,1,1,1,1,5\n", "csv-bad-date", 3),
        ("2024-01-03,99,101,98,100,10,50\n2024-01-02,1,1,1,1,1,5\n", "csv-unsorted-date", 3),
        ("2024-01-02,99,101,98,100,10,50\n2024-01-02,1,1,1,1,1,5\n", "csv-duplicate-date", 3),
    ],
)
def test_a_corrupt_file_is_refused_at_its_line(tmp_path: Path, body: str, code: str, line: int) -> None:
    path = _file(tmp_path, body)
    with pytest.raises(DataError) as err:
        read_symbol_csv(path)
    assert err.value.code == code
    assert err.value.where == f"{path}:{line}"
