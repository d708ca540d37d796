"""The emulator behaves like an Alpaca paper account: far-side fills and buying power, partial fills,
cash vs margin accounts, limit orders and replace, fill activities and portfolio history."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, OrderStatus, TimeInForce
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest, ReplaceOrderRequest
from emulator_support import KEY, SECRET, small_history, spy_close

from rebalancer_emulator import EmulatorConfig, EmulatorServer
from rebalancer_emulator.quotes import SpreadModel

pytestmark = pytest.mark.integration

TUESDAY_10AM = "2024-11-26T10:00"
HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
SPREAD = SpreadModel(Decimal(2), Decimal("0.01"))
MID_AT_10 = Decimal("559.54")  # SPY's model price 30 minutes into 2024-11-26 (see test_emulator_trading)


def serve(**settings: object) -> EmulatorServer:
    config = EmulatorConfig(freeze_clock=True, **settings)  # type: ignore[arg-type]
    return EmulatorServer(small_history(), start_at=TUESDAY_10AM, config=config)


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    with serve() as server:
        yield server


def client_of(emu: EmulatorServer) -> TradingClient:
    trading = TradingClient(KEY, SECRET, paper=True, url_override=emu.url)
    trading._retry = 0
    return trading


def market(side: OrderSide, cid: str, symbol: str = "SPY", **amount: object) -> MarketOrderRequest:
    return MarketOrderRequest(
        symbol=symbol, side=side, time_in_force=TimeInForce.DAY, client_order_id=cid, **amount
    )


def limit(side: OrderSide, cid: str, price: float, qty: float = 1, **extra: object) -> LimitOrderRequest:
    return LimitOrderRequest(
        symbol="SPY",
        side=side,
        qty=qty,
        limit_price=price,
        time_in_force=extra.pop("tif", TimeInForce.DAY),
        client_order_id=cid,
    )


def test_buys_fill_at_the_ask_and_sells_at_the_bid(emu: EmulatorServer) -> None:
    client = client_of(emu)
    client.submit_order(market(OrderSide.BUY, "b", qty=2))
    assert Decimal(client.get_order_by_client_id("b").filled_avg_price) == SPREAD.around(MID_AT_10).ask
    client.submit_order(market(OrderSide.SELL, "s", qty=1))
    assert Decimal(client.get_order_by_client_id("s").filled_avg_price) == SPREAD.around(MID_AT_10).bid
    quote = requests.get(f"{emu.url}/v2/stocks/quotes/latest?symbols=SPY", headers=HEADERS, timeout=5)
    spy = quote.json()["quotes"]["SPY"]
    assert (Decimal(str(spy["bp"])), Decimal(str(spy["ap"]))) == (
        SPREAD.around(MID_AT_10).bid,
        SPREAD.around(MID_AT_10).ask,
    )


def test_buying_power_is_checked_at_the_ask_so_invest_everything_at_the_mid_is_refused() -> None:
    with serve(account_type="cash") as emu:
        client = client_of(emu)
        emu.state.set_cash(MID_AT_10 * 10)  # exactly ten shares at the mid
        with pytest.raises(APIError) as err:
            client.submit_order(market(OrderSide.BUY, "all-in", qty=10))
        assert err.value.status_code == 403
        assert json.loads(str(err.value))["message"] == "insufficient buying power"
        assert client.submit_order(market(OrderSide.BUY, "nine", qty=9)).status == OrderStatus.NEW


def test_partial_fills_are_seeded_and_happen_at_the_configured_rate() -> None:
    def outcomes(seed: int) -> list[bool]:
        with serve(partial_fill_rate=0.5, seed=seed, initial_cash=Decimal(10**7)) as emu:
            client = client_of(emu)
            seen = []
            for n in range(40):
                client.submit_order(market(OrderSide.BUY, f"o{n}", qty=2))
                seen.append(client.get_order_by_client_id(f"o{n}").status == OrderStatus.PARTIALLY_FILLED)
                client.get_order_by_client_id(f"o{n}")  # the next look fills the rest
            assert all(o.status == "filled" for o in emu.state.orders)
            return seen

    first = outcomes(seed=7)
    assert first == outcomes(seed=7)
    assert 8 <= sum(first) <= 32
    assert first != outcomes(seed=8)


def test_a_cash_account_never_goes_below_zero_when_a_queued_buy_opens_higher() -> None:
    with serve(account_type="cash") as emu:
        client = client_of(emu)
        emu.clock.set("2024-11-29T14:00")  # after the early close: the order waits for Monday's open
        close = Decimal(str(spy_close(dt.date(2024, 11, 29))))
        emu.state.set_cash(SPREAD.around(close).ask * 10)
        order = client.submit_order(market(OrderSide.BUY, "queued", qty=10))
        emu.clock.set("2024-12-02T09:31")  # Monday opens half a dollar above Friday's close
        done = client.get_order_by_id(order.id)
        assert done.status == OrderStatus.CANCELED
        assert 9 < Decimal(done.filled_qty) < 10  # what the cash paid for at the higher open
        assert Decimal(client.get_account().cash) >= 0


def test_a_margin_account_reports_its_multiplier_shorts_and_counts_day_trades(emu: EmulatorServer) -> None:
    client = client_of(emu)
    account = client.get_account()
    assert (account.multiplier, account.shorting_enabled, account.buying_power) == ("2", True, "200000")
    client.submit_order(market(OrderSide.BUY, "in", qty=10))
    client.submit_order(market(OrderSide.SELL, "out", qty=10))
    client.submit_order(market(OrderSide.SELL, "short", symbol="BIL", qty=5))
    position = client.get_open_position("BIL")
    assert (position.side.value, position.qty) == ("short", "-5")
    account = client.get_account()
    assert account.daytrade_count == 1
    assert not account.pattern_day_trader  # FINRA's intraday margin rule replaced the PDT flag
    assert Decimal(account.short_market_value) < 0
    emu.clock.set("2024-12-10T10:00")  # more than five sessions later the day trade has aged out
    assert client.get_account().daytrade_count == 0


def test_a_fractional_or_flipping_short_sale_is_refused(emu: EmulatorServer) -> None:
    client = client_of(emu)
    with pytest.raises(APIError) as err:
        client.submit_order(market(OrderSide.SELL, "frac", symbol="BIL", qty=1.5))
    assert err.value.status_code == 403
    client.submit_order(market(OrderSide.BUY, "long", symbol="BIL", qty=2))
    with pytest.raises(APIError) as err:
        client.submit_order(market(OrderSide.SELL, "flip", symbol="BIL", qty=3))
    assert json.loads(str(err.value))["message"].startswith("insufficient qty available")


def test_a_limit_buy_below_the_market_rests_and_blocks_a_crossing_sell(emu: EmulatorServer) -> None:
    client = client_of(emu)
    order = client.submit_order(limit(OrderSide.BUY, "dip", 559.0, tif=TimeInForce.GTC))
    assert client.get_order_by_id(order.id).status == OrderStatus.NEW  # 559.54 is above the limit
    emu.clock.set("2024-11-27T16:30")  # Wednesday opens at 560.5: never that low; the order rests
    assert client.get_order_by_id(order.id).status == OrderStatus.NEW
    with pytest.raises(APIError) as err:  # a sell limit below the resting buy would trade with it
        client.submit_order(limit(OrderSide.SELL, "take", 500.0, qty=0.5))
    assert json.loads(str(err.value))["message"] == "potential wash trade detected. use complex orders"


def test_a_limit_order_that_the_day_crosses_fills_at_the_limit_at_that_moment() -> None:
    with serve() as emu:
        client = client_of(emu)
        emu.clock.set("2024-11-26T09:35")  # the session moves 559.0 -> 560.0 through the day
        order = client.submit_order(limit(OrderSide.SELL, "up", 559.9, qty=1))
        assert order.status == OrderStatus.NEW
        emu.clock.set("2024-11-26T15:00")
        assert client.get_order_by_id(order.id).status == OrderStatus.NEW  # the bid is still below
        emu.clock.set("2024-11-26T15:59")
        filled = client.get_order_by_id(order.id)
        assert (filled.status, Decimal(filled.filled_avg_price)) == (OrderStatus.FILLED, Decimal("559.9"))
        assert (
            dt.datetime(2024, 11, 26, 19, tzinfo=dt.UTC)
            < filled.filled_at
            < dt.datetime(2024, 11, 26, 21, tzinfo=dt.UTC)
        )


def stop(cid: str, stop_price: float, limit_price: float | None = None) -> dict[str, object]:
    body: dict[str, object] = {"symbol": "SPY", "qty": "1", "side": "sell", "time_in_force": "gtc"}
    body.update(
        client_order_id=cid, type="stop" if limit_price is None else "stop_limit", stop_price=stop_price
    )
    if limit_price is not None:
        body["limit_price"] = limit_price
    return body


def test_a_collar_of_sell_stop_and_sell_limit_protects_a_position(emu: EmulatorServer) -> None:
    client = client_of(emu)
    emu.clock.set("2024-11-26T09:35")  # the day runs 559.0 -> 560.0; a take-profit above it rests
    client.submit_order(market(OrderSide.BUY, "hold", qty=3))
    client.get_order_by_client_id("hold")
    take = client.submit_order(limit(OrderSide.SELL, "take", 565.0, tif=TimeInForce.GTC))
    post = requests.post(f"{emu.url}/v2/orders", json=stop("protect", 559.2), headers=HEADERS, timeout=5)
    assert (post.status_code, post.json()["type"], post.json()["stop_price"]) == (200, "stop", "559.2")
    emu.clock.set("2024-11-26T15:00")
    assert client.get_order_by_client_id("protect").status == OrderStatus.NEW  # the bid never fell to it
    emu.clock.set("2024-12-02T09:31")  # every later session opens higher: neither side trades
    assert {client.get_order_by_id(take.id).status, client.get_order_by_client_id("protect").status} == {
        OrderStatus.NEW
    }


def test_a_stop_triggers_when_the_price_reaches_it_and_a_stop_limit_then_rests_as_a_limit() -> None:
    with serve() as emu:
        client = client_of(emu)
        emu.state.seed_position("SPY", Decimal(5), Decimal(500))
        emu.clock.set("2024-11-26T09:35")
        for body in (stop("buy-stop", 559.8), stop("sl", 559.8, limit_price=561.0)):
            body["side"] = "buy"
            assert requests.post(f"{emu.url}/v2/orders", json=body, headers=HEADERS, timeout=5).ok
        emu.clock.set("2024-11-26T15:59")  # the ask reached 559.8 in the afternoon
        triggered = client.get_order_by_client_id("buy-stop")
        assert triggered.status == OrderStatus.FILLED
        assert Decimal("559.8") <= Decimal(triggered.filled_avg_price) <= Decimal("559.9")
        stop_limit = client.get_order_by_client_id("sl")
        assert stop_limit.status == OrderStatus.FILLED  # triggered, then marketable below its limit
        assert Decimal(stop_limit.filled_avg_price) <= Decimal(561)


def oco(cid: str, take_profit: float, stop_price: float) -> dict[str, object]:
    return {
        "symbol": "SPY", "qty": "3", "side": "sell", "type": "limit", "time_in_force": "gtc",
        "order_class": "oco", "client_order_id": cid,
        "take_profit": {"limit_price": take_profit}, "stop_loss": {"stop_price": stop_price},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("take_profit", "stop_price", "filled_leg", "canceled_leg"),
    [(559.9, 555.0, "limit", "stop"), (570.0, 559.5, "stop", "limit")],
)
def test_an_oco_collar_fills_one_leg_and_cancels_the_other(
    take_profit: float, stop_price: float, filled_leg: str, canceled_leg: str
) -> None:
    with serve() as emu:
        emu.state.seed_position("SPY", Decimal(3), Decimal(500))
        answer = requests.post(
            f"{emu.url}/v2/orders", json=oco("collar", take_profit, stop_price), headers=HEADERS, timeout=5
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["order_class"], body["type"], [leg["type"] for leg in body["legs"]]) == (
            "oco",
            "limit",
            ["stop"],
        )
        emu.clock.set("2024-11-26T15:59")  # the day rises to 560: the take-profit at 559.9 is reached
        orders = {o.order_type: o for o in emu.state.orders}
        client_of(emu).get_order_by_client_id("collar")
        assert (orders[filled_leg].status, orders[canceled_leg].status) == ("filled", "canceled")
        assert "SPY" not in emu.state.positions


def test_oco_needs_both_legs_and_other_classes_are_refused(emu: EmulatorServer) -> None:
    body = oco("bad", 565.0, 555.0)
    del body["stop_loss"]
    answer = requests.post(f"{emu.url}/v2/orders", json=body, headers=HEADERS, timeout=5)
    assert (answer.status_code, answer.json()["message"]) == (422, "oco orders require stop_loss")
    bracket = {**oco("br", 565.0, 555.0), "order_class": "bracket"}
    answer = requests.post(f"{emu.url}/v2/orders", json=bracket, headers=HEADERS, timeout=5)
    assert answer.status_code == 422
    assert answer.json()["message"] == "the emulator does not model bracket orders (simple and oco only)"


def test_replace_makes_a_new_order_and_a_filled_order_cannot_be_replaced(emu: EmulatorServer) -> None:
    client = client_of(emu)
    resting = client.submit_order(limit(OrderSide.BUY, "low", 500.0))
    replaced = client.replace_order_by_id(resting.id, ReplaceOrderRequest(limit_price=501.0, qty=2))
    assert (replaced.replaces, replaced.limit_price, replaced.qty) == (resting.id, "501", "2")
    old = client.get_order_by_id(resting.id)
    assert (old.status, old.replaced_by) == (OrderStatus.REPLACED, replaced.id)
    filled = client.submit_order(market(OrderSide.BUY, "m", symbol="BIL", qty=1))
    client.get_order_by_id(filled.id)
    with pytest.raises(APIError) as err:
        client.replace_order_by_id(filled.id, ReplaceOrderRequest(qty=2))
    assert (err.value.status_code, err.value.code) == (422, 42210000)


def test_unimplemented_endpoints_answer_501_not_a_not_found(emu: EmulatorServer) -> None:
    watchlists = requests.get(f"{emu.url}/v2/watchlists", headers=HEADERS, timeout=5)
    assert (watchlists.status_code, watchlists.json()["code"]) == (501, 50110000)
    missing = requests.get(f"{emu.url}/v2/orders/no-such-order", headers=HEADERS, timeout=5)
    assert (missing.status_code, missing.json()["code"]) == (404, 40410000)
    assert requests.get(f"{emu.url}/nothing", headers=HEADERS, timeout=5).status_code == 404
    for method in ("PUT", "QUERY", "TRACE"):  # any method on a served path: JSON 405, not an HTML 501
        other = requests.request(method, f"{emu.url}/v2/account", headers=HEADERS, timeout=5)
        assert (other.status_code, other.json()["code"]) == (405, 40510000)
    assert requests.head(f"{emu.url}/v2/clock", headers=HEADERS, timeout=5).status_code == 405


def test_portfolio_history_dates_out_of_range_are_a_422_not_a_dropped_connection(emu: EmulatorServer) -> None:
    for query in ("end=1677-01-01T00:00:00Z", "start=2262-05-01", "date_end=0312-03-01"):
        answer = requests.get(f"{emu.url}/v2/account/portfolio/history?{query}", headers=HEADERS, timeout=10)
        assert (answer.status_code, answer.json()["code"]) == (422, 40010001), query


def test_fills_are_account_activities_and_portfolio_history_follows_equity(emu: EmulatorServer) -> None:
    client = client_of(emu)
    client.submit_order(market(OrderSide.BUY, "a", qty=10))
    client.get_order_by_client_id("a")
    emu.clock.set("2024-11-29T15:00")
    activities = requests.get(f"{emu.url}/v2/account/activities/FILL", headers=HEADERS, timeout=5).json()
    fills = [(a["symbol"], a["side"], a["qty"], a["type"]) for a in activities]
    assert fills == [("SPY", "buy", "10", "fill")]
    assert requests.get(f"{emu.url}/v2/account/activities/DIV", headers=HEADERS, timeout=5).json() == []
    history = requests.get(
        f"{emu.url}/v2/account/portfolio/history?period=1W&timeframe=1D", headers=HEADERS, timeout=5
    ).json()
    by_day = dict(zip(history["timestamp"], history["equity"], strict=True))
    ask = SPREAD.around(MID_AT_10).ask
    monday = int(dt.datetime(2024, 11, 25, tzinfo=dt.timezone(dt.timedelta(hours=-5))).timestamp())
    wednesday = int(dt.datetime(2024, 11, 27, tzinfo=dt.timezone(dt.timedelta(hours=-5))).timestamp())
    assert by_day[monday] == 100000.0  # before the buy
    cash = Decimal(100000) - ask * 10
    assert Decimal(str(by_day[wednesday])) == cash + Decimal(str(spy_close(dt.date(2024, 11, 27)))) * 10
