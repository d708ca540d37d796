"""Fault injection, the request log and the /_emulator control API, seen from real clients."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, OrderStatus, TimeInForce
from alpaca.trading.requests import MarketOrderRequest
from emulator_support import KEY, SECRET, small_history

from rebalancer_emulator import EmulatorConfig, EmulatorServer

pytestmark = pytest.mark.integration

HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}


@pytest.fixture
def emu() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(freeze_clock=True)
    with EmulatorServer(small_history(), start_at="2024-11-26T10:00", config=config) as server:
        yield server


@pytest.fixture
def client(emu: EmulatorServer) -> TradingClient:
    trading = TradingClient(KEY, SECRET, paper=True, url_override=emu.url)
    trading._retry = 0
    return trading


def spy_order(cid: str) -> MarketOrderRequest:
    return MarketOrderRequest(
        symbol="SPY", side=OrderSide.BUY, time_in_force=TimeInForce.DAY, client_order_id=cid, notional=100
    )


def test_a_429_carries_rate_limit_headers_and_passes(emu: EmulatorServer, client: TradingClient) -> None:
    emu.faults.rate_limit("account", times=1, reset_in=30)
    limited = requests.get(f"{emu.url}/v2/account", headers=HEADERS, timeout=5)
    assert limited.status_code == 429
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["X-RateLimit-Reset"]) > 0
    assert limited.headers["X-RateLimit-Limit"] == "200"
    assert client.get_account().cash == "100000"


def test_the_request_log_counts_alpaca_py_retries(emu: EmulatorServer, client: TradingClient) -> None:
    client._retry, client._retry_wait = 2, 0
    emu.faults.rate_limit("clock", times=2)
    assert client.get_clock().is_open
    assert emu.request_log.count("clock") == 3
    assert [r.status for r in emu.request_log] == [429, 429, 200]


def test_a_5xx_has_a_non_json_body(emu: EmulatorServer, client: TradingClient) -> None:
    emu.faults.server_error("positions", status=502)
    with pytest.raises(APIError) as err:
        client.get_all_positions()
    assert err.value.status_code == 502
    with pytest.raises(json.JSONDecodeError):
        _ = err.value.code
    assert client.get_all_positions() == []


def test_a_504_before_processing_places_no_order(emu: EmulatorServer, client: TradingClient) -> None:
    emu.faults.gateway_timeout("submit_order")
    with pytest.raises(APIError) as err:
        client.submit_order(spy_order("never-placed"))
    assert err.value.status_code == 504
    assert "never-placed" not in emu.state.orders_by_client_id


@pytest.mark.parametrize("how", ["504", "reset"])
def test_a_lost_response_leaves_an_order_the_client_can_find(
    emu: EmulatorServer, client: TradingClient, how: str
) -> None:
    emu.faults.lose_response("submit_order", how=how)  # type: ignore[arg-type]
    expected = APIError if how == "504" else requests.ConnectionError
    with pytest.raises(expected):
        client.submit_order(spy_order("ambiguous"))
    found = client.get_order_by_client_id("ambiguous")
    assert found.status == OrderStatus.FILLED
    with pytest.raises(APIError) as err:  # a blind resubmission is refused, never doubled
        client.submit_order(spy_order("ambiguous"))
    assert err.value.status_code == 422
    assert len(emu.state.orders) == 1


def test_a_connection_reset_before_processing(emu: EmulatorServer, client: TradingClient) -> None:
    emu.faults.connection_reset("submit_order")
    with pytest.raises(requests.ConnectionError):
        client.submit_order(spy_order("reset-first"))
    assert emu.state.orders == []
    assert client.submit_order(spy_order("reset-first")).client_order_id == "reset-first"


def test_a_stall_outlasts_the_client_timeout(emu: EmulatorServer) -> None:
    emu.faults.stall("account", seconds=5)
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{emu.url}/v2/account", headers=HEADERS, timeout=0.2)
    assert requests.get(f"{emu.url}/v2/account", headers=HEADERS, timeout=5).status_code == 200


def test_latency_delays_only_the_chosen_endpoint(emu: EmulatorServer) -> None:
    emu.faults.latency("bars", seconds=5, times=1)
    assert requests.get(f"{emu.url}/v2/clock", headers=HEADERS, timeout=1).status_code == 200
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{emu.url}/v2/stocks/bars?symbols=SPY&timeframe=1Day", headers=HEADERS, timeout=0.2)


def test_a_client_that_gave_up_before_the_answer_leaves_no_traceback(
    emu: EmulatorServer, capfd: pytest.CaptureFixture[str]
) -> None:
    """The answer to a request the client stopped waiting for goes nowhere, quietly (it printed a
    BrokenPipeError traceback in the middle of the test output and of a user's emulator log)."""
    emu.faults.latency("account", seconds=0.6, times=3)
    for _ in range(3):
        with pytest.raises(requests.ReadTimeout):
            requests.get(f"{emu.url}/v2/account", headers=HEADERS, timeout=0.1)
    time.sleep(2.0)  # the held requests are processed and answered into closed sockets
    assert requests.get(f"{emu.url}/v2/account", headers=HEADERS, timeout=5).status_code == 200
    assert emu.request_log.count("account") == 4
    assert "Traceback" not in capfd.readouterr().err


def test_reject_the_next_orders(emu: EmulatorServer, client: TradingClient) -> None:
    emu.faults.reject_orders(1, message="account is restricted")
    emu.faults.reject_orders(1, message="rejected after acceptance", status=200)
    with pytest.raises(APIError) as err:
        client.submit_order(spy_order("r1"))
    assert (err.value.status_code, err.value.message) == (403, "account is restricted")
    rejected = client.submit_order(spy_order("r2"))
    assert rejected.status == OrderStatus.REJECTED
    assert rejected.failed_at is not None
    assert client.submit_order(spy_order("r3")).status == OrderStatus.NEW


def test_a_scripted_rejection_keeps_client_order_ids_unique(
    emu: EmulatorServer, client: TradingClient
) -> None:
    placed = client.submit_order(spy_order("r1"))
    emu.faults.reject_orders(1, message="rejected after acceptance", status=200)
    with pytest.raises(APIError) as err:
        client.submit_order(spy_order("r1"))
    assert err.value.status_code == 422
    assert client.get_order_by_client_id("r1").id == placed.id
    assert len(emu.state.orders) == 1


def test_an_enforced_rate_limit(emu: EmulatorServer) -> None:
    with EmulatorServer(small_history(), config=EmulatorConfig(rate_limit_per_minute=2)) as limited:
        statuses = [
            requests.get(f"{limited.url}/v2/clock", headers=HEADERS, timeout=5).status_code for _ in range(3)
        ]
    assert statuses == [200, 200, 429]


def test_the_control_api_scripts_clock_faults_and_account(emu: EmulatorServer) -> None:
    control = f"{emu.url}/_emulator"
    clock = requests.post(
        f"{control}/clock", json={"set": "2024-11-29T09:29", "freeze": True}, timeout=5
    ).json()
    assert (clock["now"], clock["is_open"], clock["frozen"]) == ("2024-11-29T14:29:00+00:00", False, True)
    assert requests.post(f"{control}/clock", json={"advance": 60}, timeout=5).json()["is_open"]
    fault = {"kind": "rate_limit", "endpoint": "trading", "times": 1}
    assert requests.post(f"{control}/faults", json=fault, timeout=5).status_code == 200
    assert requests.get(f"{emu.url}/v2/account", headers=HEADERS, timeout=5).status_code == 429
    seeded = requests.post(
        f"{control}/account",
        json={"cash": "5000", "positions": {"SPY": {"qty": "3", "avg_entry_price": "450"}}},
        timeout=5,
    ).json()
    assert (seeded["cash"], seeded["positions"]) == ("5000", {"SPY": "3"})
    assert emu.state.cash == Decimal(5000)
    log = requests.get(f"{control}/requests", timeout=5).json()
    assert [(r["path"], r["status"]) for r in log] == [("/v2/account", 429)]
    assert requests.delete(f"{control}/requests", timeout=5).json() == []
    bad = requests.post(f"{control}/faults", json={"kind": "meteor"}, timeout=5)
    assert bad.status_code == 400
    assert "unknown fault kind" in bad.json()["message"]
    requests.delete(f"{control}/faults", timeout=5)
    assert emu.faults.rules == []


def test_the_control_api_refuses_bad_values_with_a_400_and_changes_nothing(emu: EmulatorServer) -> None:
    control = f"{emu.url}/_emulator"
    before = emu.clock.now()
    bad = [{"advance": "soon"}, {"advance": None}, {"set": "2024-11-29T09:35", "freeze": "yes"}]
    bad.append({"set": "soon", "advance": 30})
    for body in bad:
        answer = requests.post(f"{control}/clock", json=body, timeout=5)
        assert (answer.status_code, emu.clock.now(), emu.clock.frozen) == (400, before, True), body
    for cash in ("NaN", "Infinity"):
        assert requests.post(f"{control}/account", json={"cash": cash}, timeout=5).status_code == 400
    assert emu.state.cash == Decimal(100000)


def test_the_control_api_freezes_a_running_clock_exactly_at_the_time_it_sets() -> None:
    with EmulatorServer(small_history(), start_at="2024-11-26T10:00") as running:
        body = {"set": "2024-11-29T09:35", "freeze": True}
        clock = requests.post(f"{running.url}/_emulator/clock", json=body, timeout=5).json()
    assert (clock["now"], clock["frozen"]) == ("2024-11-29T14:35:00+00:00", True)
