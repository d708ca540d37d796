"""The emulator's Market Data API through alpaca-py's data client: bars, paging, no look-ahead."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import requests
from alpaca.data.enums import Adjustment, DataFeed
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest, StockLatestQuoteRequest, StockLatestTradeRequest
from alpaca.data.timeframe import TimeFrame
from emulator_support import KEY, SECRET, small_history, spy_close

from rebalancer_emulator import EmulatorConfig, EmulatorServer

pytestmark = pytest.mark.integration

HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
NOV_1 = dt.datetime(2024, 11, 1, tzinfo=dt.UTC)


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(freeze_clock=True)
    with EmulatorServer(small_history(), start_at="2024-11-26T10:00", config=config) as server:
        yield server


@pytest.fixture
def data(emu: EmulatorServer) -> StockHistoricalDataClient:
    client = StockHistoricalDataClient(KEY, SECRET, url_override=emu.url)
    client._retry = 0
    return client


def daily(symbols: list[str], **kwargs: object) -> StockBarsRequest:
    return StockBarsRequest(symbol_or_symbols=symbols, timeframe=TimeFrame.Day, **kwargs)


def test_bars_stop_at_the_last_closed_session(emu: EmulatorServer, data: StockHistoricalDataClient) -> None:
    bars = data.get_stock_bars(daily(["SPY"], start=NOV_1, adjustment=Adjustment.ALL, feed=DataFeed.IEX))
    spy = bars.data["SPY"]
    assert spy[-1].timestamp == dt.datetime(
        2024, 11, 25, 5, 0, tzinfo=dt.UTC
    )  # today's session is still open
    assert spy[-1].close == spy_close(dt.date(2024, 11, 25))
    assert spy[0].timestamp == dt.datetime(2024, 11, 1, 4, 0, tzinfo=dt.UTC)  # EDT midnight
    emu.clock.set("2024-11-26T16:00")
    assert data.get_stock_bars(daily(["SPY"], start=NOV_1)).data["SPY"][-1].timestamp.day == 26


def test_a_small_page_size_pages_across_symbols(emu: EmulatorServer) -> None:
    url = f"{emu.url}/v2/stocks/bars"
    params = {
        "symbols": "SPY,BIL",
        "timeframe": "1Day",
        "start": "2024-11-18",
        "end": "2024-11-22",
        "limit": "3",
    }
    pages, token = [], None
    while True:
        page = requests.get(
            url, params={**params, **({"page_token": token} if token else {})}, headers=HEADERS, timeout=5
        )
        body = page.json()
        pages.append({s: len(b) for s, b in body["bars"].items()})
        token = body["next_page_token"]
        if token is None:
            break
    assert pages == [{"BIL": 3}, {"BIL": 2, "SPY": 1}, {"SPY": 3}, {"SPY": 1}]


def test_the_sdk_merges_pages_and_limit_counts_all_symbols(data: StockHistoricalDataClient) -> None:
    everything = data.get_stock_bars(daily(["SPY", "BIL"], start=NOV_1))
    assert len(everything.data["SPY"]) == len(everything.data["BIL"]) == 17
    limited = data.get_stock_bars(daily(["SPY", "BIL"], start=NOV_1, limit=20))
    assert (len(limited.data["BIL"]), len(limited.data["SPY"])) == (17, 3)


def test_unknown_and_missing_symbols_give_empty_bars_not_null(emu: EmulatorServer) -> None:
    emu.faults.missing_bars("BIL")
    body = requests.get(
        f"{emu.url}/v2/stocks/bars",
        params={"symbols": "QQQ,BIL", "timeframe": "1Day", "start": "2024-11-01"},
        headers=HEADERS,
        timeout=5,
    ).json()
    assert body == {"bars": {}, "next_page_token": None, "currency": "USD"}


def test_stale_bars_hold_back_the_latest_sessions(
    emu: EmulatorServer, data: StockHistoricalDataClient
) -> None:
    emu.faults.stale_bars("SPY", sessions=2)
    bars = data.get_stock_bars(daily(["SPY", "BIL"], start=NOV_1)).data
    assert bars["BIL"][-1].timestamp.date() == dt.date(2024, 11, 25)
    assert bars["SPY"][-1].timestamp.date() == dt.date(2024, 11, 21)


def test_bars_reject_intraday_timeframes_and_bad_parameters(emu: EmulatorServer) -> None:
    base = {"symbols": "SPY", "timeframe": "1Day"}
    for bad in ({"timeframe": "1Min"}, {"adjustment": "sometimes"}, {"feed": "nasdaq"}, {"limit": "20000"}):
        answer = requests.get(f"{emu.url}/v2/stocks/bars", params={**base, **bad}, headers=HEADERS, timeout=5)
        assert answer.status_code in {400, 422}, bad
        assert "message" in answer.json()


def test_latest_trade_and_quote_follow_the_session_price(
    emu: EmulatorServer, data: StockHistoricalDataClient
) -> None:
    trade = data.get_stock_latest_trade(
        StockLatestTradeRequest(symbol_or_symbols=["SPY"], feed=DataFeed.IEX)
    )["SPY"]
    opened = spy_close(dt.date(2024, 11, 26)) - 0.5
    assert trade.price == round(opened + 0.5 * 30 / 390, 2)
    quote = data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=["SPY"]))["SPY"]
    assert quote.bid_price < trade.price < quote.ask_price
    emu.clock.set("2024-11-26T20:00")
    after = data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols=["SPY"]))["SPY"]
    assert after.price == spy_close(dt.date(2024, 11, 26))
    assert after.timestamp == dt.datetime(2024, 11, 26, 21, 0, tzinfo=dt.UTC)


def test_a_request_without_symbols_is_refused(emu: EmulatorServer) -> None:
    answer = requests.get(f"{emu.url}/v2/stocks/trades/latest", headers=HEADERS, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["message"] == "missing symbols"


def test_pages_that_end_on_a_symbol_boundary_and_descending_order(emu: EmulatorServer) -> None:
    params = {
        "symbols": "SPY,BIL",
        "timeframe": "1Day",
        "start": "2024-11-18",
        "end": "2024-11-22",
        "limit": "5",
    }
    first = requests.get(
        f"{emu.url}/v2/stocks/bars", params={**params, "sort": "desc"}, headers=HEADERS, timeout=5
    )
    body = first.json()
    assert list(body["bars"]) == ["BIL"]
    assert [b["t"][:10] for b in body["bars"]["BIL"]] == [
        "2024-11-22",
        "2024-11-21",
        "2024-11-20",
        "2024-11-19",
        "2024-11-18",
    ]
    params.update(sort="desc", page_token=body["next_page_token"])
    second = requests.get(f"{emu.url}/v2/stocks/bars", params=params, headers=HEADERS, timeout=5).json()
    assert [b["c"] for b in second["bars"]["SPY"]] == [
        spy_close(dt.date(2024, 11, d)) for d in (22, 21, 20, 19, 18)
    ]
    assert second["next_page_token"] is None
    bad = requests.get(
        f"{emu.url}/v2/stocks/bars",
        params={**params, "page_token": "bm9wZXxub3Bl"},
        headers=HEADERS,
        timeout=5,
    )
    assert bad.status_code == 400
