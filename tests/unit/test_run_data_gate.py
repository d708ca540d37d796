"""The data gate finds every kind of bad bar and names it with a reason code."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from run_fakes import FakeBroker

from rebalancer.errors import DataError
from rebalancer.market.history import PriceHistory
from rebalancer.run.data_gate import check_bars
from rebalancer.run.guards import fetch_calendar
from rebalancer.strategies.loading import read_strategy
from rebalancer.strategies.symbols import naming_files

TODAY = dt.date(2026, 1, 5)
CALENDAR = fetch_calendar(FakeBroker({}), TODAY, 30)
DAYS = CALENDAR.previous_sessions[-30:]


def _history(spy: list[float], days: list[dt.date] = DAYS) -> PriceHistory:
    return PriceHistory.from_columns(days, {"SPY": spy, "BIL": [90.0] * len(days)})


def _codes(history: PriceHistory, lookback: int = 30) -> list[str]:
    return [p.code for p in check_bars(history, CALENDAR, {"SPY", "BIL"}, lookback).problems]


def test_good_bars_pass_and_are_summarized() -> None:
    quality = check_bars(_history([100.0] * 30), CALENDAR, {"SPY", "BIL"}, 30)
    assert quality.ok
    assert quality.to_dict()["sessions_checked"] == 30
    assert quality.decision_date == dt.date(2026, 1, 2)


@pytest.mark.parametrize(
    ("spy", "code"),
    [
        ([100.0] * 15 + [np.nan] + [100.0] * 14, "symbol-gap"),
        ([100.0] * 29 + [np.nan], "symbol-stale"),
        ([100.0] * 20 + [0.0] + [100.0] * 9, "price-invalid"),
        ([100.0] * 20 + [-3.0] + [100.0] * 9, "price-invalid"),
        ([np.nan] * 30, "symbol-no-prices"),
    ],
)
def test_bad_prices_are_named(spy: list[float], code: str) -> None:
    assert code in _codes(_history(spy))


def test_a_young_symbol_is_noted_not_failed() -> None:
    quality = check_bars(_history([np.nan] * 5 + [100.0] * 25), CALENDAR, {"SPY", "BIL"}, 30)
    assert quality.ok
    assert quality.young_symbols == ["SPY"]


def test_missing_sessions_and_stale_ends_fail() -> None:
    assert "sessions-missing" in _codes(_history([100.0] * 29, DAYS[:10] + DAYS[11:]))
    assert "data-stale" in _codes(_history([100.0] * 29, DAYS[:-1]))


def test_missing_symbols_fail_and_the_error_is_actionable() -> None:
    history = PriceHistory.from_columns(DAYS, {"BIL": [90.0] * 30})
    quality = check_bars(history, CALENDAR, {"SPY", "BIL"}, 30)
    error = quality.to_error()
    assert error.code == "symbol-missing"
    assert "no orders were placed" in error.hint


def test_a_data_error_about_symbols_names_the_files_that_ask_for_them() -> None:

    strategies = [
        read_strategy("one", 0.5, '(defsymphony "A" {} (asset "SMR"))', "strategies/one.clj", {}),
        read_strategy("two", 0.5, '(defsymphony "B" {} (asset "SPY"))', "strategies/two.clj", {}),
    ]
    err = DataError(
        "no bars for SMR, ZZZZ", code="symbol-no-data", hint="check the feed", symbols=["SMR", "ZZZZ"]
    )
    named = naming_files(err, strategies)
    assert named.code == "symbol-no-data"
    assert named.symbols == ("SMR", "ZZZZ")
    assert named.message == "no bars for SMR, ZZZZ: SMR (in strategies/one.clj)"
    assert named.where == "strategies/one.clj"
    assert named.hint == "check the ticker SMR in strategies/one.clj; check the feed"
    unrelated = DataError("no bars", code="symbol-no-data", symbols=["ZZZZ"])
    assert naming_files(unrelated, strategies) is unrelated
