"""Conformance: a bounded schemathesis run against both official Alpaca specs (every operation the emulator
implements, generated and coverage-phase requests, including other methods) finds 0 server errors and 0
schema violations; and the official alpaca-py client drives a trading day end to end.

The specs are found at $REBALANCER_ALPACA_SPECS or ../shared/specs/alpaca beside the repository; without
them (or without schemathesis) the spec run is skipped with the reason. Bounded: examples, coverage and
fuzzing phases, 5 examples per operation, seed 1, one worker.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from alpaca.data.historical import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest, StockLatestQuoteRequest
from alpaca.data.timeframe import TimeFrame
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, OrderStatus, TimeInForce
from alpaca.trading.requests import (
    GetPortfolioHistoryRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
)
from emulator_support import KEY, SECRET, small_history

from rebalancer_emulator import EmulatorConfig, EmulatorServer

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SPEC_DIR = Path(os.environ.get("REBALANCER_ALPACA_SPECS", REPO.parent / "shared" / "specs" / "alpaca"))
IMPLEMENTED = {
    "trading-api.json": r"^/v2/(account|account/activities|account/activities/\{activity_type\}"
    r"|account/portfolio/history|assets|assets/\{symbol_or_asset_id\}|calendar|clock|orders"
    r"|orders/\{order_id\}|orders:by_client_order_id|positions|positions/\{symbol_or_asset_id\})$",
    "market-data-api.json": r"^/v2/stocks/(bars|bars/latest|trades/latest|quotes/latest)$",
}


def schemathesis_cli() -> str:
    pytest.importorskip("schemathesis", reason="schemathesis is a dev dependency (pip install -e '.[dev]')")
    found = shutil.which("st", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the schemathesis 'st' command is not installed beside this Python")
    return found


@pytest.mark.parametrize("spec", sorted(IMPLEMENTED))
def test_a_bounded_schemathesis_run_finds_no_server_error_and_no_schema_violation(
    spec: str, tmp_path: Path
) -> None:
    if not (SPEC_DIR / spec).is_file():
        pytest.skip(f"Alpaca OpenAPI spec {spec} not found in {SPEC_DIR} (set REBALANCER_ALPACA_SPECS)")
    command = schemathesis_cli()
    config = EmulatorConfig(freeze_clock=True)
    with EmulatorServer(small_history(), start_at="2024-11-26T10:00", config=config) as emu:
        arguments = [
            *("run", str(SPEC_DIR / spec), "--url", emu.url),
            *("-H", f"APCA-API-KEY-ID: {KEY}", "-H", f"APCA-API-SECRET-KEY: {SECRET}"),
            *("--include-path-regex", IMPLEMENTED[spec], "--phases", "examples,coverage,fuzzing"),
            *("--checks", "not_a_server_error,response_schema_conformance"),
            *("--max-examples", "5", "--seed", "1", "--workers", "1", "--generation-database", "none"),
            *("--no-color", "--request-timeout", "20"),
        ]
        run = subprocess.run(
            [command, *arguments],
            capture_output=True,
            text=True,
            cwd=tmp_path,  # its .schemathesis cache stays out of the checkout
            timeout=300,
            check=False,
        )
    summary = run.stdout[run.stdout.find("SUMMARY") :]
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert "Tested:" in summary
    assert " passed" in summary
    assert "failure" not in summary
    assert "error" not in summary.lower()


def test_alpaca_py_drives_a_trading_day_end_to_end() -> None:
    config = EmulatorConfig(freeze_clock=True)
    with EmulatorServer(small_history(), start_at="2024-11-26T09:00", config=config) as emu:
        trading = TradingClient(KEY, SECRET, paper=True, url_override=emu.url)
        data = StockHistoricalDataClient(KEY, SECRET, url_override=emu.url)
        trading._retry = data._retry = 0
        assert not trading.get_clock().is_open  # before the open: look at yesterday's bars
        bars = data.get_stock_bars(
            StockBarsRequest(
                symbol_or_symbols=["SPY"], timeframe=TimeFrame.Day, start=dt.datetime(2024, 11, 1)
            )
        )
        assert bars["SPY"][-1].timestamp.date() == dt.date(2024, 11, 25)
        queued = trading.submit_order(
            MarketOrderRequest(symbol="SPY", qty=10, side=OrderSide.BUY, time_in_force=TimeInForce.DAY)
        )
        assert queued.status == OrderStatus.ACCEPTED
        emu.clock.set("2024-11-26T09:45")
        assert trading.get_clock().is_open
        assert trading.get_order_by_id(queued.id).status == OrderStatus.FILLED
        quote = data.get_stock_latest_quote(StockLatestQuoteRequest(symbol_or_symbols="BIL"))["BIL"]
        resting = trading.submit_order(
            LimitOrderRequest(
                symbol="BIL", qty=20, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
                limit_price=round(quote.bid_price - 1, 2),
            )
        )  # fmt: skip
        moved = trading.replace_order_by_id(resting.id, ReplaceOrderRequest(limit_price=quote.ask_price))
        assert trading.get_order_by_id(moved.id).status == OrderStatus.FILLED
        sell = trading.submit_order(
            MarketOrderRequest(symbol="SPY", qty=4, side=OrderSide.SELL, time_in_force=TimeInForce.DAY)
        )
        assert Decimal(trading.get_order_by_id(sell.id).filled_qty) == 4
        emu.clock.set("2024-11-26T16:05")
        assert {p.symbol: p.qty for p in trading.get_all_positions()} == {"BIL": "20", "SPY": "6"}
        account = trading.get_account()
        assert account.daytrade_count == 1  # SPY bought and sold in one session
        emu.clock.set("2024-11-27T09:00")
        history = trading.get_portfolio_history(GetPortfolioHistoryRequest(period="1W", timeframe="1D"))
        assert history.equity[-1] == pytest.approx(float(trading.get_account().equity), abs=0.01)
        activities = requests.get(
            f"{emu.url}/v2/account/activities",
            headers={"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET},
            timeout=10,
        ).json()
        assert [(a["symbol"], a["side"]) for a in activities] == [
            ("SPY", "sell"),
            ("BIL", "buy"),
            ("SPY", "buy"),
        ]
