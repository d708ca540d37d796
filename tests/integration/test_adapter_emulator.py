"""The Alpaca adapters against the emulator, through the real alpaca-py client, under every fault.

Each test asserts what the caller sees and, for orders, that the broker holds exactly one order per
client_order_id (never a duplicate).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterator
from decimal import Decimal

import numpy as np
import pytest

from rebalancer.alpaca.broker import AlpacaBroker, OrderRejected
from rebalancer.alpaca.credentials import AlpacaCredentials
from rebalancer.alpaca.http import CallPolicy, Timeouts
from rebalancer.alpaca.market_data import AlpacaMarketData
from rebalancer.alpaca.ratelimit import RateLimiter
from rebalancer.broker.models import OrderRequest, OrderSide, OrderStatus
from rebalancer.errors import BrokerError, DataError
from rebalancer_emulator import EmulatorServer
from rebalancer_research.market.synthetic import synthetic_market

pytestmark = pytest.mark.integration

SYMBOLS = ["BIL", "SPY", "TLT", "FNGU"]
CREDS = AlpacaCredentials("emulator-key", "emulator-secret")
FAST = Timeouts(connect=1.0, read=0.5)


@pytest.fixture(scope="module")
def history():
    return synthetic_market(SYMBOLS, end=dt.date(2024, 11, 26), sessions=300)


@pytest.fixture
def emulator(history) -> Iterator[EmulatorServer]:
    with EmulatorServer(history, start_at="2024-11-27T10:00") as emu:
        emu.clock.freeze()
        yield emu


def _policy() -> CallPolicy:
    return CallPolicy(RateLimiter(10_000), attempts=4, max_backoff=0.05)


@pytest.fixture
def broker(emulator) -> AlpacaBroker:
    return AlpacaBroker(CREDS, base_url=emulator.url, timeouts=FAST, policy=_policy())


@pytest.fixture
def data(emulator) -> AlpacaMarketData:
    return AlpacaMarketData(CREDS, base_url=emulator.url, timeouts=FAST, policy=_policy())


def _buy(cid: str, notional: str = "1000", symbol: str = "SPY") -> OrderRequest:
    return OrderRequest(symbol, OrderSide.BUY, cid, notional=Decimal(notional))


def _orders_with(emulator: EmulatorServer, cid: str) -> int:
    """Orders the broker accepted under this client_order_id (rejections excluded)."""
    return sum(1 for o in emulator.state.orders if o.client_order_id == cid and o.status != "rejected")


# -- reads ------------------------------------------------------------------------------------


def test_reads_return_typed_results(broker):
    account = broker.get_account()
    assert account.cash == Decimal("100000")
    assert account.status == "ACTIVE"
    clock = broker.get_clock()
    assert clock.is_open
    assert clock.timestamp.tzinfo is not None
    assert broker.get_positions() == []
    assert broker.get_asset("FNGU").fractionable is False
    assert set(broker.get_assets(["SPY", "TLT", "SPY"])) == {"SPY", "TLT"}


def test_calendar_is_localized_to_new_york_with_early_close(broker):
    days = broker.get_calendar(dt.date(2024, 11, 25), dt.date(2024, 11, 29))
    assert [d.date.day for d in days] == [25, 26, 27, 29]  # Thanksgiving closed
    friday = days[-1]
    assert friday.is_early_close
    assert friday.close.utcoffset() == dt.timedelta(hours=-5)
    assert friday.close.hour == 13


@pytest.mark.parametrize("fault", ["rate_limit", "server_error_500", "server_error_502", "gateway", "reset"])
def test_reads_survive_transient_faults(emulator, broker, fault):
    if fault == "rate_limit":
        emulator.faults.rate_limit("account", times=2, reset_in=0.0)
    elif fault.startswith("server_error"):
        emulator.faults.server_error("account", status=int(fault[-3:]), times=2)
    elif fault == "gateway":
        emulator.faults.gateway_timeout("account", times=2)
    else:
        emulator.faults.connection_reset("account", times=2)
    assert broker.get_account().cash == Decimal("100000")
    assert emulator.request_log.count("account") == 3


def test_a_stall_longer_than_the_timeout_is_cut_and_retried(emulator, broker):
    emulator.faults.stall("clock", seconds=5.0, times=1)
    assert broker.get_clock().is_open
    assert emulator.request_log.count("clock") == 2


def test_persistent_server_errors_become_a_typed_error(emulator, broker):
    emulator.faults.server_error("positions", status=502, times=None)
    with pytest.raises(BrokerError) as err:
        broker.get_positions()
    assert err.value.code == "server-error"
    assert err.value.status == 502
    assert emulator.request_log.count("positions") == 4  # the policy's attempt budget


class _SkippingTime:
    """Sleeping moves this clock forward instead of waiting."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def wall(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.offset += seconds


def test_429_pauses_the_shared_limiter_until_the_reset(emulator):
    t = _SkippingTime()
    limiter = RateLimiter(10_000, clock=t.monotonic, sleep=t.sleep, wall_clock=t.wall)
    broker = AlpacaBroker(
        CREDS, base_url=emulator.url, timeouts=FAST, policy=CallPolicy(limiter, sleep=lambda s: None)
    )
    emulator.faults.rate_limit("account", times=1, reset_in=3.0)
    broker.get_account()
    assert t.slept, "the limiter should have waited for X-RateLimit-Reset"
    assert 1.0 <= sum(t.slept) <= 4.0


def test_unknown_client_order_id_is_none_not_an_error(broker):
    assert broker.get_order_by_client_id("never-submitted") is None


# -- orders -----------------------------------------------------------------------------------


def test_submit_fills_and_is_found_by_client_id(emulator, broker):
    order = broker.submit_order(_buy("run-1-spy-buy"))
    assert order.client_order_id == "run-1-spy-buy"
    found = broker.get_order_by_client_id("run-1-spy-buy")
    assert found is not None
    assert found.status is OrderStatus.FILLED
    assert found.filled_qty > 0
    assert broker.get_positions()[0].symbol == "SPY"


@pytest.mark.parametrize("how", ["504", "reset"])
def test_lost_response_resolves_to_the_placed_order_without_duplicating(emulator, broker, how):
    emulator.faults.lose_response("submit_order", how=how)
    order = broker.submit_order(_buy(f"lost-{how}"))
    assert order.client_order_id == f"lost-{how}"
    assert emulator.request_log.count("submit_order") == 1
    assert emulator.request_log.count("order_by_client_id") == 1
    assert _orders_with(emulator, f"lost-{how}") == 1


@pytest.mark.parametrize("fault", ["gateway", "reset", "server_error", "rate_limit"])
def test_unprocessed_submission_is_looked_up_then_posted_once_more(emulator, broker, fault):
    if fault == "gateway":
        emulator.faults.gateway_timeout("submit_order")
    elif fault == "reset":
        emulator.faults.connection_reset("submit_order")
    elif fault == "server_error":
        emulator.faults.server_error("submit_order", status=500)
    else:
        emulator.faults.rate_limit("submit_order", reset_in=0.0)
    order = broker.submit_order(_buy(f"retry-{fault}"))
    assert broker.get_order(order.order_id).status is OrderStatus.FILLED
    assert emulator.request_log.count("submit_order") == 2
    assert emulator.request_log.count("order_by_client_id") == 1
    assert _orders_with(emulator, f"retry-{fault}") == 1


def test_submission_that_stalls_past_the_timeout_never_duplicates(emulator, broker):
    emulator.faults.stall("submit_order", seconds=5.0)
    broker.submit_order(_buy("stalled"))
    assert _orders_with(emulator, "stalled") == 1


def test_resubmitting_a_placed_id_returns_the_existing_order(emulator, broker):
    first = broker.submit_order(_buy("same-id"))
    again = broker.submit_order(_buy("same-id"))
    assert again.order_id == first.order_id
    assert _orders_with(emulator, "same-id") == 1


def test_rejections_are_typed_keep_alpacas_words_and_are_not_retried(emulator, broker):
    emulator.faults.reject_orders(1, message="account is restricted", status=403, code=40310000)
    with pytest.raises(OrderRejected) as err:
        broker.submit_order(_buy("rejected"))
    assert err.value.status == 403
    assert err.value.broker_code == 40310000
    assert "account is restricted" in err.value.message
    assert emulator.request_log.count("submit_order") == 1


def test_insufficient_buying_power_is_a_rejection(emulator, broker):
    with pytest.raises(OrderRejected) as err:
        broker.submit_order(_buy("too-big", notional="250000"))
    assert err.value.status == 403
    assert "buying power" in err.value.message


def test_fractional_order_on_non_fractionable_asset_is_rejected(broker):
    with pytest.raises(OrderRejected, match="fractionable"):
        broker.submit_order(OrderRequest("FNGU", OrderSide.BUY, "fngu-frac", qty=Decimal("1.5")))


def test_persistent_outage_on_submit_is_a_clear_failure_with_no_order(emulator, broker):
    emulator.faults.gateway_timeout("submit_order", times=None)
    with pytest.raises(BrokerError) as err:
        broker.submit_order(_buy("outage"))
    assert err.value.code == "submit-failed"
    assert _orders_with(emulator, "outage") == 0


def test_partial_fills_progress_over_polls(emulator, broker):
    emulator.faults.partial_fills(parts=3, orders=1)
    order = broker.submit_order(OrderRequest("SPY", OrderSide.BUY, "partial", qty=Decimal("3")))
    seen = {broker.get_order(order.order_id).status for _ in range(4)}
    assert OrderStatus.PARTIALLY_FILLED in seen
    assert broker.get_order(order.order_id).status is OrderStatus.FILLED


def test_open_orders_listing_and_cancel(emulator, broker):
    emulator.clock.set("2024-11-27T18:00")  # after the close: orders queue for the next open
    order = broker.submit_order(_buy("queued"))
    assert order.status.is_open
    assert [o.client_order_id for o in broker.list_open_orders(["SPY"])] == ["queued"]
    broker.cancel_order(order.order_id)
    broker.cancel_order(order.order_id)  # already canceled: not an error
    assert broker.list_open_orders() == []


# -- market data ------------------------------------------------------------------------------


def test_bars_come_in_one_batched_request_and_match_the_source(emulator, data, history):
    got = data.daily_history(SYMBOLS, dt.date(2024, 1, 1), dt.date(2024, 11, 26))
    assert data.pages_fetched == 1
    assert emulator.request_log.count("bars") == 1
    expected = history.between("2024-01-01", "2024-11-26").select(SYMBOLS)
    assert got.symbols == expected.symbols
    np.testing.assert_array_equal(got.dates, expected.dates)
    # Alpaca quotes prices to 4 decimals; the emulator rounds the same way.
    np.testing.assert_allclose(got.close, expected.close, rtol=0, atol=5.1e-5)


def test_pagination_follows_every_page(emulator, history):
    data = AlpacaMarketData(CREDS, base_url=emulator.url, timeouts=FAST, policy=_policy(), page_size=100)
    got = data.daily_history(SYMBOLS, dt.date(2024, 1, 1), dt.date(2024, 11, 26))
    bars = int(np.isfinite(got.close).sum())
    assert data.pages_fetched == math.ceil(bars / 100)
    assert got.last_date == dt.date(2024, 11, 26)


def test_bars_retry_through_faults(emulator, data):
    emulator.faults.rate_limit("bars", times=1, reset_in=0.0)
    emulator.faults.server_error("bars", status=502, times=1)
    got = data.daily_history(["SPY"], dt.date(2024, 11, 1), dt.date(2024, 11, 26))
    assert got.last_date == dt.date(2024, 11, 26)
    assert emulator.request_log.count("bars") == 3


def test_missing_symbols_are_all_named(emulator, data):
    emulator.faults.missing_bars("TLT", "BIL")
    with pytest.raises(DataError) as err:
        data.daily_history(SYMBOLS, dt.date(2024, 11, 1), dt.date(2024, 11, 26))
    assert "BIL, TLT" in str(err.value)
    assert err.value.code == "symbol-no-data"


def test_stale_bars_show_as_an_earlier_last_date(emulator, data):
    emulator.faults.stale_bars("TLT", sessions=2)
    got = data.daily_history(["SPY", "TLT"], dt.date(2024, 11, 1), dt.date(2024, 11, 26))
    tlt = got.column("TLT")
    assert np.isnan(tlt[-2:]).all()
    assert not np.isnan(got.column("SPY")[-1])
