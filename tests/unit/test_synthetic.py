import datetime as dt

import exchange_calendars as xcals
import numpy as np
import pytest

from rebalancer.errors import DataError
from rebalancer_research.market.synthetic import synthetic_market
from rebalancer_research.market.synthetic_universe import UNIVERSE, public_symbols


@pytest.fixture(scope="module")
def market():
    return synthetic_market(sessions=1500)


def _returns(prices: np.ndarray) -> np.ndarray:
    return prices[1:] / prices[:-1] - 1


@pytest.mark.filterwarnings("ignore:Series.values returning")  # inside exchange_calendars
def test_sessions_are_real_nyse_sessions_ending_at_or_before_end():
    history = synthetic_market(["SPY"], end=dt.date(2024, 12, 28), sessions=260)
    assert history.last_date == dt.date(2024, 12, 27)  # the 28th is a Saturday
    calendar = xcals.get_calendar("XNYS", start="2023-01-01", end="2024-12-31")
    expected = calendar.sessions.values.astype("datetime64[D]")
    expected = expected[expected <= np.datetime64("2024-12-28")][-260:]
    np.testing.assert_array_equal(history.dates, expected)
    assert np.datetime64("2024-12-25") not in history.dates


def test_default_market_covers_every_known_symbol_over_4000_sessions():
    history = synthetic_market()
    assert history.symbols == public_symbols()
    assert len(history) == 4000
    assert history.last_date == dt.date(2026, 10, 30)
    assert np.isfinite(history.close).all()
    assert (history.close > 0).all()
    assert history.open is not None
    assert (history.open > 0).all()


def test_same_seed_same_prices_and_other_seeds_differ():
    a = synthetic_market(["SPY", "UVXY"], sessions=300, seed=3)
    b = synthetic_market(["SPY", "UVXY"], sessions=300, seed=3)
    c = synthetic_market(["SPY", "UVXY"], sessions=300, seed=4)
    np.testing.assert_array_equal(a.close, b.close)
    assert not np.allclose(a.close, c.close)


def test_a_symbol_does_not_depend_on_which_others_are_requested(market):
    alone = synthetic_market(["TQQQ"], sessions=1500)
    np.testing.assert_array_equal(alone.column("TQQQ"), market.column("TQQQ"))


@pytest.mark.parametrize(
    ("fund", "underlying", "leverage"),
    [("TQQQ", "QQQ", 3), ("SQQQ", "QQQ", -3), ("PSQ", "QQQ", -1), ("TECL", "XLK", 3), ("TMF", "TLT", 3)],
)
def test_leveraged_funds_track_a_multiple_of_the_underlying_daily_return(market, fund, underlying, leverage):
    fund_r, base_r = _returns(market.column(fund)), _returns(market.column(underlying))
    fee = 0.0095 / 252
    uncapped = leverage * base_r - fee > -0.95
    np.testing.assert_allclose(fund_r[uncapped], (leverage * base_r - fee)[uncapped], atol=1e-12)


def test_volatility_spikes_when_the_market_crashes_and_decays_otherwise(market):
    spy, uvxy, svxy = (_returns(market.column(s)) for s in ("SPY", "UVXY", "SVXY"))
    assert np.corrcoef(spy, uvxy)[0, 1] < -0.5
    assert uvxy[spy < -0.03].mean() > 0.05  # big down days: volatility jumps
    calm = np.abs(spy) < 0.005
    assert uvxy[calm].mean() < 0  # calm days: roll decay
    assert svxy[spy < -0.03].mean() < 0
    # Over years a long-volatility note loses most of its value.
    assert market.column("UVXY")[-1] < 0.1 * market.column("UVXY")[0]


def test_market_has_bull_and_crash_stretches(market):
    spy = market.column("SPY")
    sma200 = np.convolve(spy, np.ones(200) / 200, mode="valid")
    above = spy[199:] > sma200
    assert 0.2 < above.mean() < 0.95
    peak = np.maximum.accumulate(spy)
    assert (1 - spy / peak).max() > 0.15  # at least one real drawdown


def test_opens_gap_a_little_from_the_previous_close(market):
    spy_open, spy_close = market.open_column("SPY"), market.column("SPY")
    gap = spy_open[1:] / spy_close[:-1] - 1
    assert 0 < np.abs(gap).mean() < 0.01
    assert np.abs(gap).max() < 0.1


def test_unknown_symbols_are_generated_as_generic_stocks():
    history = synthetic_market(["ZZZZ", "SPY"], sessions=300)
    assert history.symbols == ("SPY", "ZZZZ")
    assert (history.column("ZZZZ") > 0).all()


def test_universe_underlyings_exist():
    for spec in UNIVERSE.values():
        underlying = getattr(spec, "underlying", None)
        assert underlying is None or underlying in UNIVERSE


@pytest.mark.parametrize("sessions", [1, 100_000])
def test_impossible_session_counts_are_clear_errors(sessions):
    with pytest.raises(DataError) as err:
        synthetic_market(["SPY"], sessions=sessions)
    assert err.value.code == "synthetic-bad-args"
