import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rebalancer.errors import DataError
from rebalancer.market.history import PriceHistory
from rebalancer.symphony.weights import WeightHistory
from rebalancer_research.backtest.options import BacktestOptions, parse_rebalance
from rebalancer_research.backtest.simulate import calendar_rows, simulate

NAN = np.nan
DAYS = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
FREE = {"cash_buffer": 0.0, "min_order_notional": 0.0}


def _history(opens=True) -> PriceHistory:
    return PriceHistory.from_columns(
        DAYS,
        {"A": [10, 11, 12, 12], "B": [20, 20, 10, 10]},
        opens={"A": [10, 10.5, 11.5, 12], "B": [20, 20, 15, NAN]} if opens else None,
    )


def _weights(history: PriceHistory, rows) -> WeightHistory:
    return WeightHistory(history.dates, ("A", "B"), np.array(rows, dtype=float))


SWITCH = [[NAN, NAN], [0.5, 0.5], [1, 0], [1, 0]]


def test_close_mode_trades_at_the_decision_close():
    h = _history()
    r = simulate(_weights(h, SWITCH), h, BacktestOptions(execution="close", **FREE))
    # Starts on the first defined row; 50/50 at the Jan 3 close, A falls to half weight's worth on Jan 4.
    assert [str(d) for d in r.dates] == DAYS[1:]
    expected_jan4 = 50_000 * 12 / 11 + 50_000 * 10 / 20
    np.testing.assert_allclose(r.equity, [100_000, expected_jan4, expected_jan4])
    np.testing.assert_allclose(r.holdings[1], [expected_jan4, 0.0])
    assert r.decision_row.tolist() == [1, 2, 3]


def test_open_mode_trades_at_the_next_open():
    h = _history()
    r = simulate(_weights(h, SWITCH), h, BacktestOptions(execution="open", **FREE))
    # The Jan 3 decision buys at the Jan 4 open (A 11.5, B 15) and is marked at the Jan 4 close.
    jan4 = 50_000 * 12 / 11.5 + 50_000 * 10 / 15
    np.testing.assert_allclose(r.equity, [100_000, jan4, jan4])
    assert r.decision_row.tolist() == [-1, 1, 2]
    assert not r.traded_today[0]


def test_open_mode_falls_back_to_the_decision_close_without_an_open():
    h = _history()
    rows = [[NAN, NAN], [1, 0], [0, 1], [0, 1]]
    r = simulate(_weights(h, rows), h, BacktestOptions(execution="open", **FREE))
    # Jan 4's decision (all B) executes on Jan 5, where B has no open: it buys at Jan 4's close (10),
    # and B closes at 10 on Jan 5, so the equity stays at the Jan 4 close.
    np.testing.assert_allclose(r.equity, [100_000, 100_000 * 12 / 11.5, 100_000 * 12 / 11.5])
    no_opens = _history(opens=False)
    r = simulate(_weights(no_opens, rows), no_opens, BacktestOptions(execution="open", **FREE))
    np.testing.assert_allclose(r.equity, [100_000, 100_000 * 12 / 11, 100_000 * 12 / 11])


def test_slippage_and_fees_are_paid_on_traded_notional():
    h = _history()
    rows = [[1, 0]] * 4
    r = simulate(_weights(h, rows), h, BacktestOptions(slippage_bps=10, fee_bps=5, **FREE))
    # Buys are scaled so that notional x (1 + slippage) x (1 + fee) fits the cash.
    bought = 100_000 / (1.001 * 1.0005)
    np.testing.assert_allclose(r.holdings[0, 0], bought)
    np.testing.assert_allclose(r.costs[0], 100_000 - bought)
    np.testing.assert_allclose(r.equity[-1], bought * 12 / 10)


def test_cash_buffer_keeps_a_fraction_of_equity_in_cash():
    h = _history()
    r = simulate(_weights(h, [[0.5, 0.5]] * 4), h, BacktestOptions(cash_buffer=0.02, min_order_notional=0))
    np.testing.assert_allclose(r.weights_held[0].sum(), 0.98)


def test_orders_below_the_minimum_are_skipped_but_exits_always_trade():
    h = PriceHistory.from_columns(DAYS, {"A": [10, 10, 10, 10], "B": [10, 0.001, 0.001, 0.001]})
    rows = [[0.5, 0.5], [1, 0], [1, 0], [1, 0]]
    r = simulate(_weights(h, rows), h, BacktestOptions(cash_buffer=0, min_order_notional=10))
    # Day 1: B is worth $5; its exit goes through, the $5 top-up of A is below the $10 minimum.
    assert r.holdings[1].tolist() == [50_000.0, 0.0]
    np.testing.assert_allclose(r.traded[1:], [5.0, 0.0, 0.0])
    np.testing.assert_allclose(r.equity[-1] - r.holdings[-1].sum(), 5.0)


def test_threshold_rebalances_only_on_drift_or_a_branch_switch():
    h = PriceHistory.from_columns(DAYS, {"A": [10, 10.5, 13, 13], "B": [10, 10, 10, 10]})
    rows = [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5], [0, 1]]
    opts = BacktestOptions(rebalance=parse_rebalance("threshold:0.05"), **FREE)
    r = simulate(_weights(h, rows), h, opts)
    # Day 1: A at 51.2% (drift 1.2%) -> hold; day 2: 56.5% -> trade back; day 3: switch -> trade.
    assert r.traded_today.tolist() == [True, False, True, True]
    np.testing.assert_allclose(r.weights_held[2], [0.5, 0.5])


def test_calendar_schedules_trade_on_the_first_session_of_each_period():
    dates = np.array(
        ["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02", "2024-02-05"], dtype="datetime64[D]"
    )
    assert calendar_rows(dates, parse_rebalance("monthly")).tolist() == [True, False, True, False, False]
    assert calendar_rows(dates, parse_rebalance("weekly")).tolist() == [True, False, False, False, True]


def test_weekly_schedule_holds_between_rebalances():
    dates = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09"]
    h = PriceHistory.from_columns(dates, {"A": [10.0] * 6, "B": [10.0] * 6})
    rows = [[1, 0]] + [[0, 1]] * 5
    r = simulate(_weights(h, rows), h, BacktestOptions(rebalance=parse_rebalance("weekly"), **FREE))
    assert r.traded_today.tolist() == [True, False, False, False, True, False]
    assert r.weights_held[3].tolist() == [1.0, 0.0]
    assert r.weights_held[4].tolist() == [0.0, 1.0]


def test_start_and_end_bound_the_backtest():
    h = _history()
    opts = BacktestOptions(start=dt.date(2024, 1, 4), end=dt.date(2024, 1, 4), **FREE)
    r = simulate(_weights(h, SWITCH), h, opts)
    assert [str(d) for d in r.dates] == ["2024-01-04"]


def test_the_backtest_starts_after_the_last_undefined_decision():
    h = _history()
    r = simulate(_weights(h, [[1, 0], [NAN, NAN], [0, 1], [0, 1]]), h, BacktestOptions(**FREE))
    assert [str(d) for d in r.dates] == DAYS[2:]
    assert r.traded_today.all()


def test_no_defined_row_is_an_error():
    h = _history()
    with pytest.raises(DataError, match="no session") as err:
        simulate(_weights(h, [[NAN, NAN]] * 4), h, BacktestOptions())
    assert err.value.code == "backtest-empty"


def test_weights_from_another_history_are_rejected():
    h = _history()
    with pytest.raises(DataError) as err:
        simulate(_weights(h.rows(0, 3), SWITCH[:3]), h, BacktestOptions())
    assert err.value.code == "backtest-misaligned"


def test_the_backtest_starts_once_every_symbol_it_may_hold_has_a_price():
    h = PriceHistory.from_columns(DAYS, {"A": [10, 11, 12, 12], "B": [NAN, NAN, 10, 10]})
    r = simulate(_weights(h, [[0.5, 0.5]] * 4), h, BacktestOptions())
    assert str(r.dates[0]) == "2024-01-04"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.5, 2.0), min_size=12, max_size=12),
    st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6),
    st.sampled_from(["close", "open"]),
    st.floats(0, 50),
)
def test_equity_change_is_market_profit_minus_costs(moves, splits, execution, bps):
    closes = np.cumprod(np.asarray(moves).reshape(6, 2), axis=0) * 10
    opens = closes * 1.01
    days = [str(np.datetime64("2024-03-04") + i) for i in range(6)]
    h = PriceHistory.from_columns(
        days, {"A": closes[:, 0], "B": closes[:, 1]}, {"A": opens[:, 0], "B": opens[:, 1]}
    )
    rows = [[s, 1 - s] for s in splits]
    r = simulate(_weights(h, rows), h, BacktestOptions(execution, slippage_bps=bps, fee_bps=bps))
    np.testing.assert_allclose(r.equity[-1] - 100_000, r.pnl().sum() - r.costs.sum(), atol=1e-6)
    assert (r.holdings >= -1e-9).all()
    assert (r.equity - r.holdings.sum(axis=1) >= -1e-6).all()  # cash never goes negative
