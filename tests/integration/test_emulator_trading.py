"""The emulator's Trading API through the real alpaca-py TradingClient: account, assets, clock, orders."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, OrderStatus, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    ClosePositionRequest,
    GetCalendarRequest,
    GetOrdersRequest,
    MarketOrderRequest,
)
from emulator_support import KEY, SECRET, small_history, spy_close

from rebalancer_emulator import EmulatorConfig, EmulatorServer
from rebalancer_emulator.quotes import SpreadModel

pytestmark = pytest.mark.integration

TUESDAY_10AM = "2024-11-26T10:00"  # 30 minutes into a regular session
AFTER_EARLY_CLOSE = "2024-11-29T14:00"  # the day after Thanksgiving closes at 13:00


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(freeze_clock=True, account_type="cash")
    with EmulatorServer(small_history(), start_at=TUESDAY_10AM, config=config) as server:
        yield server


@pytest.fixture
def client(emu: EmulatorServer) -> TradingClient:
    trading = TradingClient(KEY, SECRET, paper=True, url_override=emu.url)
    trading._retry = 0  # no built-in 3 s retry sleeps in tests
    return trading


def buy(client: TradingClient, cid: str, *, symbol: str = "SPY", **amount: float) -> object:
    return client.submit_order(
        MarketOrderRequest(
            symbol=symbol, side=OrderSide.BUY, time_in_force=TimeInForce.DAY, client_order_id=cid, **amount
        )
    )


def sell(client: TradingClient, cid: str, *, symbol: str = "SPY", **amount: float) -> object:
    return client.submit_order(
        MarketOrderRequest(
            symbol=symbol, side=OrderSide.SELL, time_in_force=TimeInForce.DAY, client_order_id=cid, **amount
        )
    )


def error_body(err: pytest.ExceptionInfo[APIError]) -> dict[str, object]:
    body: dict[str, object] = json.loads(str(err.value))
    return body


def expected_price(day: dt.date, minutes_after_open: int, session_minutes: int = 390) -> Decimal:
    """The ask a market buy pays: the default 2 bps spread around the model (mid) price."""
    close = spy_close(day)
    opened = close - 0.5
    mid = Decimal(str(round(opened + 0.5 * minutes_after_open / session_minutes, 2))).quantize(
        Decimal("0.01")
    )
    return ask(mid)


def ask(mid: Decimal | float) -> Decimal:
    return SpreadModel(Decimal(2), Decimal("0.01")).around(Decimal(str(mid))).ask


def test_a_new_account_holds_100k_cash_and_no_positions(client: TradingClient) -> None:
    account = client.get_account()
    assert (account.cash, account.buying_power, account.equity) == ("100000", "100000", "100000")
    assert account.status.value == "ACTIVE"
    assert client.get_all_positions() == []


def test_a_notional_buy_during_the_session_fills_at_the_current_price(
    emu: EmulatorServer, client: TradingClient
) -> None:
    order = buy(client, "run1-SPY-buy", notional=1000)
    assert order.status == OrderStatus.NEW
    assert (order.notional, order.qty) == ("1000", None)
    filled = client.get_order_by_client_id("run1-SPY-buy")
    price = expected_price(dt.date(2024, 11, 26), 30)
    assert filled.status == OrderStatus.FILLED
    assert Decimal(filled.filled_avg_price) == price
    qty = (Decimal(1000) / price).quantize(Decimal("0.000000001"), rounding="ROUND_DOWN")
    assert Decimal(filled.filled_qty) == qty
    [position] = client.get_all_positions()
    assert (position.symbol, Decimal(position.qty)) == ("SPY", qty)
    assert Decimal(client.get_account().cash) == Decimal(100000) - (qty * price).quantize(Decimal("0.01"))
    assert emu.state.orders_by_client_id["run1-SPY-buy"].status == "filled"


def test_slippage_is_added_to_buys(emu: EmulatorServer) -> None:
    config = EmulatorConfig(freeze_clock=True, slippage_bps=Decimal(100), account_type="cash")
    with EmulatorServer(small_history(), start_at=TUESDAY_10AM, config=config) as slipped:
        trading = TradingClient(KEY, SECRET, paper=True, url_override=slipped.url)
        buy(trading, "slip", qty=1)
        fill = Decimal(trading.get_order_by_client_id("slip").filled_avg_price)
    assert fill == (expected_price(dt.date(2024, 11, 26), 30) * Decimal("1.01")).quantize(Decimal("0.01"))


def test_an_order_after_the_close_waits_for_the_next_open(emu: EmulatorServer, client: TradingClient) -> None:
    emu.clock.set(AFTER_EARLY_CLOSE)
    clock = client.get_clock()
    assert not clock.is_open
    assert clock.next_open.isoformat() == "2024-12-02T09:30:00-05:00"
    order = buy(client, "queued", qty=2)
    assert order.status == OrderStatus.ACCEPTED
    assert client.get_order_by_id(order.id).status == OrderStatus.ACCEPTED
    emu.clock.set("2024-12-02T09:31")
    filled = client.get_order_by_id(order.id)
    assert filled.status == OrderStatus.FILLED
    assert Decimal(filled.filled_avg_price) == ask(spy_close(dt.date(2024, 12, 2)) - 0.5)
    assert filled.filled_at == dt.datetime(2024, 12, 2, 14, 30, tzinfo=dt.UTC)


def test_a_partially_filled_day_order_expires_at_the_close(
    emu: EmulatorServer, client: TradingClient
) -> None:
    emu.faults.partial_fills(parts=4, stop_after=2, orders=1)
    order = buy(client, "partial", qty=8)
    assert client.get_order_by_id(order.id).status == OrderStatus.PARTIALLY_FILLED
    second = client.get_order_by_id(order.id)
    assert (second.status, second.filled_qty) == (OrderStatus.PARTIALLY_FILLED, "4")
    assert client.get_order_by_id(order.id).filled_qty == "4"  # stalled after two parts
    emu.clock.set("2024-11-26T16:00:01")
    expired = client.get_order_by_id(order.id)
    assert (expired.status, expired.filled_qty) == (OrderStatus.EXPIRED, "4")
    assert expired.expired_at == dt.datetime(2024, 11, 26, 21, 0, tzinfo=dt.UTC)
    assert client.get_open_position("SPY").qty == "4"


def test_a_duplicate_client_order_id_is_refused(client: TradingClient) -> None:
    buy(client, "same-id", qty=1)
    with pytest.raises(APIError) as err:
        buy(client, "same-id", qty=1)
    assert err.value.status_code == 422
    assert error_body(err)["message"] == "client_order_id must be unique"


def test_an_opposite_side_open_order_is_a_potential_wash_trade(
    emu: EmulatorServer, client: TradingClient
) -> None:
    emu.state.seed_position("SPY", Decimal(5), Decimal(400))
    emu.clock.set(AFTER_EARLY_CLOSE)
    buy(client, "open-buy", qty=1)
    with pytest.raises(APIError) as err:
        sell(client, "open-sell", qty=1)
    assert err.value.status_code == 403
    assert error_body(err)["message"] == "potential wash trade detected. use complex orders"
    assert err.value.code == 40310000


def test_insufficient_buying_power_and_quantity_are_403(client: TradingClient) -> None:
    with pytest.raises(APIError) as err:
        buy(client, "too-big", notional=200_000)
    assert (err.value.status_code, error_body(err)["message"]) == (403, "insufficient buying power")
    with pytest.raises(APIError) as err:
        sell(client, "no-shares", qty=1)
    body = error_body(err)
    assert err.value.status_code == 403
    assert body["message"] == "insufficient qty available for order (requested: 1, available: 0)"


def test_open_buy_orders_hold_back_buying_power(emu: EmulatorServer, client: TradingClient) -> None:
    emu.clock.set(AFTER_EARLY_CLOSE)
    buy(client, "held", notional=60_000)
    assert client.get_account().buying_power == "40000"
    with pytest.raises(APIError):
        buy(client, "second", symbol="BIL", notional=50_000)


def test_fractional_rules(client: TradingClient) -> None:
    for amount in ({"notional": 100}, {"qty": 1.5}):
        with pytest.raises(APIError) as err:
            buy(client, f"fngu-{len(amount)}-{next(iter(amount))}", symbol="FNGU", **amount)
        assert (err.value.status_code, error_body(err)["message"]) == (
            422,
            "requested asset is not fractionable",
        )
    assert buy(client, "fngu-whole", symbol="FNGU", qty=2).qty == "2"
    with pytest.raises(APIError) as err:
        buy(client, "tiny", notional=0.5)
    assert (err.value.status_code, error_body(err)["message"]) == (403, "cost basis must be >= 1")


def test_assets_carry_tradable_and_fractionable_flags(client: TradingClient) -> None:
    spy, fngu = client.get_asset("SPY"), client.get_asset("FNGU")
    assert (spy.tradable, spy.fractionable, fngu.fractionable) == (True, True, False)
    assert {a.symbol for a in client.get_all_assets()} == {"BIL", "FNGU", "SPY"}
    with pytest.raises(APIError) as err:
        client.get_asset("NOPE")
    assert err.value.status_code == 404


def test_calendar_has_holidays_and_early_closes(client: TradingClient) -> None:
    days = client.get_calendar(GetCalendarRequest(start=dt.date(2024, 11, 27), end=dt.date(2024, 12, 2)))
    assert [d.date for d in days] == [dt.date(2024, 11, 27), dt.date(2024, 11, 29), dt.date(2024, 12, 2)]
    assert [d.close.time() for d in days] == [dt.time(16), dt.time(13), dt.time(16)]


def test_clock_during_a_session(client: TradingClient) -> None:
    clock = client.get_clock()
    assert clock.is_open
    assert clock.timestamp.isoformat() == "2024-11-26T10:00:00-05:00"
    assert clock.next_close.isoformat() == "2024-11-26T16:00:00-05:00"
    assert clock.next_open.isoformat() == "2024-11-27T09:30:00-05:00"


def test_cancel_one_and_cancel_all(emu: EmulatorServer, client: TradingClient) -> None:
    emu.clock.set(AFTER_EARLY_CLOSE)
    first, _ = buy(client, "c1", qty=1), buy(client, "c2", symbol="BIL", qty=1)
    client.cancel_order_by_id(first.id)
    assert client.get_order_by_id(first.id).status == OrderStatus.CANCELED
    with pytest.raises(APIError) as err:
        client.cancel_order_by_id(first.id)
    assert err.value.status_code == 422
    responses = client.cancel_orders()
    assert [r.status for r in responses] == [200]
    assert client.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN)) == []
    assert len(client.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED))) == 2


def test_list_orders_filters_by_symbol_status_and_limit(emu: EmulatorServer, client: TradingClient) -> None:
    emu.clock.set(AFTER_EARLY_CLOSE)
    for i in range(3):
        buy(client, f"spy-{i}", qty=1)
    buy(client, "bil-0", symbol="BIL", qty=1)
    spy = client.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN, symbols=["SPY"]))
    assert [o.client_order_id for o in spy] == ["spy-2", "spy-1", "spy-0"]  # newest first
    assert len(client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=2))) == 2


def test_close_a_position_and_close_all(emu: EmulatorServer, client: TradingClient) -> None:
    emu.state.seed_position("SPY", Decimal(4), Decimal(400))
    emu.state.seed_position("BIL", Decimal(10), Decimal(91))
    half = client.close_position("SPY", ClosePositionRequest(percentage="50"))
    assert (half.side, half.qty) == (OrderSide.SELL, "2")
    assert client.get_open_position("SPY").qty == "2"
    results = client.close_all_positions(cancel_orders=True)
    assert sorted(r.symbol for r in results) == ["BIL", "SPY"]
    assert client.get_all_positions() == []
    with pytest.raises(APIError) as err:
        client.close_position("SPY")
    assert err.value.status_code == 404


def test_requests_need_the_emulator_keys(emu: EmulatorServer) -> None:
    wrong = TradingClient(KEY, "not-the-secret", paper=True, url_override=emu.url)
    with pytest.raises(APIError) as err:
        wrong.get_account()
    assert err.value.status_code == 403
    anonymous = requests.get(f"{emu.url}/v2/account", timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == 40110000


def test_the_next_open_model_fills_at_the_following_sessions_open() -> None:
    config = EmulatorConfig(freeze_clock=True, fill_model="next_open")
    with EmulatorServer(small_history(), start_at=TUESDAY_10AM, config=config) as emu:
        trading = TradingClient(KEY, SECRET, paper=True, url_override=emu.url)
        order = buy(trading, "at-open", qty=1)
        assert order.status == OrderStatus.ACCEPTED
        assert order.expires_at == dt.datetime(2024, 11, 27, 21, 0, tzinfo=dt.UTC)
        emu.clock.set("2024-11-27T12:00")
        filled = trading.get_order_by_id(order.id)
    assert filled.filled_at == dt.datetime(2024, 11, 27, 14, 30, tzinfo=dt.UTC)
    assert Decimal(filled.filled_avg_price) == ask(spy_close(dt.date(2024, 11, 27)) - 0.5)


def test_last_equity_is_the_equity_at_the_previous_close(emu: EmulatorServer, client: TradingClient) -> None:
    buy(client, "hold", qty=10)
    cost = Decimal(client.get_order_by_client_id("hold").filled_avg_price) * 10
    emu.clock.set("2024-11-27T10:00")
    account = client.get_account()
    close_value = Decimal(str(spy_close(dt.date(2024, 11, 26)))) * 10
    assert Decimal(account.last_equity) == Decimal(100000) - cost + close_value
    assert Decimal(account.equity) == Decimal(account.cash) + Decimal(account.long_market_value)
