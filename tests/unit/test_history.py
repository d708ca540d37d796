import datetime as dt

import numpy as np
import pytest

from rebalancer.errors import DataError
from rebalancer.market.history import PriceHistory


def _history() -> PriceHistory:
    return PriceHistory.from_columns(
        ["2024-01-02", "2024-01-03", "2024-01-04"],
        {"SPY": [470.0, 468.5, 467.0], "NEW": [np.nan, 10.0, 11.0]},
        opens={"SPY": [469.0, 469.5, np.nan]},
    )


def test_symbols_are_sorted_and_columns_follow_them():
    h = _history()
    assert h.symbols == ("NEW", "SPY")
    assert h.column("SPY").tolist() == [470.0, 468.5, 467.0]
    assert np.isnan(h.open_column("NEW")).all()


def test_select_names_every_missing_symbol():
    with pytest.raises(DataError) as err:
        _history().select(["SPY", "QQQ", "TLT"])
    assert "QQQ, TLT" in str(err.value)
    assert err.value.code == "symbol-missing"


def test_slicing_by_date_is_inclusive():
    h = _history()
    assert h.until("2024-01-03").last_date == dt.date(2024, 1, 3)
    assert len(h.between("2024-01-03", None)) == 2
    assert h.from_first_complete_row().first_date == dt.date(2024, 1, 3)


def test_row_of_unknown_date_is_a_clear_error():
    with pytest.raises(DataError, match="not a session"):
        _history().row_of("2024-01-06")


def test_history_is_immutable_and_validated():
    h = _history()
    with pytest.raises(ValueError, match="read-only"):
        h.close[0, 0] = 1.0
    with pytest.raises(DataError, match="strictly increasing"):
        PriceHistory.from_columns(["2024-01-03", "2024-01-02"], {"SPY": [1.0, 2.0]})
