"""client_order_id (a cross-version contract: a resumed run must find the orders an older version sent)
and WeightHistory, with expectations written out by hand rather than computed by the code under test."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from rebalancer.broker.models import OrderSide
from rebalancer.errors import DataError
from rebalancer.run.client_ids import belongs_to_run, client_order_id, made_by_rebalancer, run_prefix
from rebalancer.state.base import RunKey
from rebalancer.symphony.weights import WeightHistory

KEY = RunKey("paper", dt.date(2026, 1, 5), "open")


# -- client_order_id: pinned literally; any change of format breaks resumes across versions ----------


def test_client_order_ids_are_pinned_literally() -> None:
    # tag = sha256("paper|2026-01-05|open")[:6]; written out so a change of format or hash fails here.
    assert run_prefix(KEY) == "rb-paper-20260105-open-a41f5e-"
    assert client_order_id(KEY, "SPY", OrderSide.BUY, 1) == "rb-paper-20260105-open-a41f5e-SPY-b1"
    assert client_order_id(KEY, "SPY", OrderSide.SELL, 3) == "rb-paper-20260105-open-a41f5e-SPY-s3"
    assert client_order_id(KEY, "BRK.B", OrderSide.BUY) == "rb-paper-20260105-open-a41f5e-BRK.B-b1"
    live = RunKey("live", dt.date(2026, 11, 2), "market-open")
    assert client_order_id(live, "TQQQ", OrderSide.SELL, 2) == "rb-live-20261102-market-open-cb9087-TQQQ-s2"


def test_long_or_unprintable_symbols_become_a_16_character_digest() -> None:
    exactly_24 = "A" * 24
    assert client_order_id(KEY, exactly_24, OrderSide.BUY) == f"rb-paper-20260105-open-a41f5e-{exactly_24}-b1"
    # sha256("A" * 25)[:16] and sha256("SP\nY")[:16], written out.
    assert (
        client_order_id(KEY, "A" * 25, OrderSide.BUY) == "rb-paper-20260105-open-a41f5e-6724431fc312ba42-b1"
    )
    assert (
        client_order_id(KEY, "SP\nY", OrderSide.SELL) == "rb-paper-20260105-open-a41f5e-d3f35d2b1432ee54-s1"
    )
    assert len(client_order_id(KEY, "X" * 500, OrderSide.BUY, 99)) <= 128


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="attempt counts from 1"):
        client_order_id(KEY, "SPY", OrderSide.BUY, 0)


def test_an_order_belongs_to_its_run_only() -> None:
    assert belongs_to_run("rb-paper-20260105-open-a41f5e-SPY-b1", KEY)
    assert not belongs_to_run("rb-paper-20260106-open-a41f5e-SPY-b1", KEY)
    assert not belongs_to_run("rb-live-20260105-open-a41f5e-SPY-b1", KEY)
    assert not belongs_to_run(
        client_order_id(RunKey("paper", dt.date(2026, 1, 5), "close"), "SPY", OrderSide.BUY), KEY
    )


def test_orders_placed_by_hand_are_not_ours() -> None:
    assert made_by_rebalancer("rb-anything")
    assert not made_by_rebalancer("manual-SPY")
    assert not made_by_rebalancer("xrb-paper")


# -- WeightHistory --------------------------------------------------------------------------------

DATES = np.array(["2024-01-02", "2024-01-03", "2024-01-05"], dtype="datetime64[D]")


def _history() -> WeightHistory:
    weights = np.array([[np.nan, np.nan], [0.25, 0.75], [0.0, 1.0]])
    return WeightHistory(DATES, ("BIL", "SPY"), weights)


def test_rows_are_read_by_date_with_zero_weights_left_out() -> None:
    history = _history()
    assert history.row("2024-01-03") == {"BIL": 0.25, "SPY": 0.75}
    assert history.row(dt.date(2024, 1, 5)) == {"SPY": 1.0}
    assert history.valid.tolist() == [False, True, True]
    assert history.first_valid_date == dt.date(2024, 1, 3)
    assert history.last_valid_row() == (dt.date(2024, 1, 5), {"SPY": 1.0})


@pytest.mark.parametrize("day", ["2024-01-01", "2024-01-04", "2024-01-08"])
def test_a_day_outside_the_history_is_refused(day: str) -> None:
    with pytest.raises(DataError) as err:
        _history().row(day)
    assert err.value.code == "date-outside-data"


def test_an_undefined_row_is_refused_not_read_as_cash() -> None:
    with pytest.raises(DataError) as err:
        _history().row("2024-01-02")
    assert err.value.code == "weights-undefined"


def test_a_history_with_no_defined_row() -> None:
    empty = WeightHistory(DATES, (), np.zeros((3, 0)))
    assert empty.valid.tolist() == [False, False, False]
    assert empty.first_valid_date is None
    with pytest.raises(DataError) as err:
        empty.last_valid_row()
    assert err.value.code == "weights-undefined"


def test_the_last_defined_row_is_the_latest_one_not_the_last_row() -> None:
    weights = np.array([[1.0, 0.0], [0.5, 0.5], [np.nan, np.nan]])
    assert WeightHistory(DATES, ("BIL", "SPY"), weights).last_valid_row() == (
        dt.date(2024, 1, 3),
        {"BIL": 0.5, "SPY": 0.5},
    )


def test_a_wrong_shape_is_refused_and_the_matrix_is_read_only() -> None:
    with pytest.raises(DataError) as err:
        WeightHistory(DATES, ("SPY",), np.ones((2, 1)))
    assert err.value.code == "weights-shape"
    history = _history()
    with pytest.raises(ValueError, match="read-only"):
        history.weights[1, 0] = 0.5
    with pytest.raises(ValueError, match="read-only"):
        history.dates[0] = np.datetime64("2020-01-01")
    frame = history.to_frame()
    assert list(frame.columns) == ["BIL", "SPY"]
    assert frame.loc["2024-01-03", "SPY"] == 0.75
