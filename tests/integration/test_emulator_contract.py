"""Fidelity: every emulator response the product relies on passes BOTH the official Alpaca OpenAPI specs
(openapi-core) and alpaca-py's own models (the real clients parse every response below).

The specs are found at $REBALANCER_ALPACA_SPECS or ../shared/specs/alpaca beside the repository.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import (
    StockBarsRequest,
    StockLatestBarRequest,
    StockLatestQuoteRequest,
    StockLatestTradeRequest,
)
from alpaca.data.timeframe import TimeFrame
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    ClosePositionRequest,
    GetCalendarRequest,
    GetOrdersRequest,
    MarketOrderRequest,
)
from emulator_support import KEY, SECRET, small_history

from rebalancer_emulator import EmulatorConfig, EmulatorServer

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SPEC_DIR = Path(os.environ.get("REBALANCER_ALPACA_SPECS", REPO.parent / "shared" / "specs" / "alpaca"))
TRADING_HOST, DATA_HOST = "https://paper-api.alpaca.markets", "https://data.alpaca.markets"


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    query: dict[str, str]
    status: int
    body: bytes
    content_type: str


@pytest.fixture(scope="module")
def specs() -> dict[str, Any]:
    if not (SPEC_DIR / "trading-api.json").is_file():
        pytest.skip(f"Alpaca OpenAPI specs not found in {SPEC_DIR} (set REBALANCER_ALPACA_SPECS)")
    from openapi_core import OpenAPI

    return {
        TRADING_HOST: OpenAPI.from_file_path(str(SPEC_DIR / "trading-api.json")),
        DATA_HOST: OpenAPI.from_file_path(str(SPEC_DIR / "market-data-api.json")),
    }


def recording(session: requests.Session, log: list[Exchange]) -> None:
    def hook(response: requests.Response, *args: object, **kwargs: object) -> None:
        url = urlsplit(response.request.url or "")
        log.append(
            Exchange(
                str(response.request.method),
                url.path,
                dict(parse_qsl(url.query)),
                response.status_code,
                response.content,
                response.headers.get("Content-Type", ""),
            )
        )

    session.hooks["response"].append(hook)


@dataclass(frozen=True)
class Driven:
    exchanges: list[Exchange]
    endpoints: set[str]
    statuses: set[tuple[str, int | None]]


@pytest.fixture(scope="module")
def driven() -> Driven:
    """One emulator session that calls every endpoint, recording each raw response alpaca-py received."""
    log: list[Exchange] = []
    config = EmulatorConfig(freeze_clock=True)
    with EmulatorServer(small_history(), start_at="2024-11-26T10:00", config=config) as emu:
        trading = TradingClient(KEY, SECRET, paper=True, url_override=emu.url)
        data = StockHistoricalDataClient(KEY, SECRET, url_override=emu.url)
        trading._retry = data._retry = 0
        recording(trading._session, log)
        recording(data._session, log)
        drive_every_endpoint(emu, trading, data)
        records = emu.request_log.records
    return Driven(log, {r.endpoint for r in records}, {(r.endpoint, r.status) for r in records})


def drive_every_endpoint(
    emu: EmulatorServer, trading: TradingClient, data: StockHistoricalDataClient
) -> None:
    """Call each endpoint the product uses, in success and in the error cases it must handle."""
    trading.get_account()
    trading.get_clock()
    trading.get_calendar(GetCalendarRequest(start=dt.date(2024, 11, 25), end=dt.date(2024, 12, 3)))
    trading.get_asset("SPY")
    trading.get_all_assets()
    emu.state.seed_position("BIL", Decimal(10), Decimal("91.2"))

    def order(cid: str, side: OrderSide, **amount: float) -> Any:
        request = MarketOrderRequest(
            symbol="SPY", side=side, time_in_force=TimeInForce.DAY, client_order_id=cid, **amount
        )
        return trading.submit_order(request)

    order("contract-notional", OrderSide.BUY, notional=1500.25)
    filled = trading.get_order_by_client_id("contract-notional")
    trading.get_order_by_id(filled.id)
    trading.get_all_positions()
    trading.get_open_position("SPY")
    trading.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, symbols=["SPY", "BIL"], limit=500))
    for cid, amount in (("contract-notional", {"qty": 1.0}), ("contract-big", {"notional": 1e7})):
        with pytest.raises(APIError):
            order(cid, OrderSide.BUY, **amount)
    with pytest.raises(APIError):
        trading.get_order_by_client_id("no-such-order")
    emu.clock.set("2024-11-29T14:00")  # after the early close: orders queue
    queued = order("contract-queued", OrderSide.BUY, qty=2)
    with pytest.raises(APIError):
        order("contract-wash", OrderSide.SELL, qty=1)
    trading.cancel_order_by_id(queued.id)
    order("contract-queued-2", OrderSide.BUY, qty=1)
    trading.cancel_orders()
    trading.close_position("BIL", ClosePositionRequest(percentage="50"))
    trading.close_all_positions(cancel_orders=True)
    with pytest.raises(APIError):
        trading.get_open_position("FNGU")
    with pytest.raises(APIError):
        trading.close_position("FNGU")
    start = dt.datetime(2024, 11, 1, tzinfo=dt.UTC)
    data.get_stock_bars(
        StockBarsRequest(symbol_or_symbols=["SPY", "BIL"], timeframe=TimeFrame.Day, start=start)
    )
    data.get_stock_bars(
        StockBarsRequest(symbol_or_symbols=["SPY", "BIL"], timeframe=TimeFrame.Day, start=start, limit=7)
    )
    data.get_stock_bars(StockBarsRequest(symbol_or_symbols=["QQQ"], timeframe=TimeFrame.Day, start=start))
    data.get_stock_latest_bar(StockLatestBarRequest(symbol_or_symbols=["SPY", "BIL"]))
    data.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols=["SPY", "BIL"]))
    data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols=["SPY", "BIL"]))


def validate(spec: Any, exchange: Exchange) -> None:
    from openapi_core.templating.responses.exceptions import ResponseNotFound
    from openapi_core.testing import MockRequest, MockResponse

    request = MockRequest(spec_host(exchange), exchange.method.lower(), exchange.path, args=exchange.query)
    response = MockResponse(
        exchange.body, status_code=exchange.status, content_type=exchange.content_type or None
    )
    try:
        spec.validate_response(request, response)
    except ResponseNotFound:
        # The spec documents no body for this error status; it must still be Alpaca's error shape.
        assert exchange.status >= 400, exchange
        body = json.loads(exchange.body)
        assert isinstance(body["code"], int), exchange
        assert isinstance(body["message"], str), exchange


def spec_host(exchange: Exchange) -> str:
    return DATA_HOST if exchange.path.startswith("/v2/stocks") else TRADING_HOST


def test_every_response_matches_the_official_spec_and_alpaca_py(
    specs: dict[str, Any], driven: Driven
) -> None:
    failures = []
    for exchange in driven.exchanges:
        try:
            validate(specs[spec_host(exchange)], exchange)
        except Exception as err:  # noqa: BLE001 - collect every mismatch, then fail once with all of them
            failures.append(f"{exchange.method} {exchange.path} {exchange.status}: {err!r}")
    assert failures == []


def test_the_checked_responses_cover_what_the_product_uses(specs: dict[str, Any], driven: Driven) -> None:
    assert driven.endpoints >= {
        "account", "clock", "calendar", "asset", "assets", "submit_order", "order", "order_by_client_id",
        "orders", "cancel_order", "cancel_orders", "positions", "position", "close_position",
        "close_all_positions", "bars", "latest_bars", "latest_trades", "latest_quotes",
    }  # fmt: skip
    wanted = {("submit_order", 422), ("submit_order", 403), ("cancel_orders", 207), ("cancel_order", 204)}
    assert wanted <= driven.statuses


def test_the_oracle_rejects_what_alpaca_py_would_choke_on(specs: dict[str, Any]) -> None:
    """Guard against a vacuous check: a bar without n/vw and an asset without `class` must fail."""
    bar = {"t": "2024-11-26T05:00:00Z", "o": 1.0, "h": 1.0, "l": 1.0, "c": 1.0, "v": 1}
    bars_body = json.dumps({"bars": {"SPY": [bar]}, "next_page_token": None}).encode()
    query = {"symbols": "SPY", "timeframe": "1Day"}
    bad_bars = Exchange("GET", "/v2/stocks/bars", query, 200, bars_body, "application/json")
    asset = {"id": "8319fa42-3329-57cc-a809-f4f18674b984", "asset_class": "us_equity", "symbol": "SPY"}
    bad_asset = Exchange("GET", "/v2/assets/SPY", {}, 200, json.dumps(asset).encode(), "application/json")
    for exchange in (bad_bars, bad_asset):
        with pytest.raises(Exception, match=r"[Vv]alidat|[Rr]equired"):
            validate(specs[spec_host(exchange)], exchange)
