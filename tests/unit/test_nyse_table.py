"""The precomputed NYSE closures give exactly exchange_calendars' XNYS sessions over the whole table."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np

from rebalancer_research.market import nyse_closures
from rebalancer_research.market.synthetic import _exchange_calendar_sessions, nyse_sessions


def test_the_table_matches_exchange_calendars_day_for_day() -> None:
    # To regenerate after a calendar change: the weekdays between FIRST_DAY and LAST_DAY that are not in
    # xcals.get_calendar("XNYS", ...).sessions are CLOSED_WEEKDAYS.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _exchange_calendar_sessions(nyse_closures.FIRST_DAY, nyse_closures.LAST_DAY)
    table = nyse_closures.sessions_between(nyse_closures.FIRST_DAY, nyse_closures.LAST_DAY)
    np.testing.assert_array_equal(table, expected)


def test_beyond_the_table_the_calendar_is_built() -> None:
    days = nyse_sessions(dt.date(2031, 1, 10), 10)
    assert str(days[-1]) == "2031-01-10"
    assert "2031-01-01" not in {str(d) for d in days}
