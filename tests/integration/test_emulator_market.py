"""The emulator's market data from CSV files: lazy per-symbol loading, real high/low/volume, `adjustment`,
an intraday path inside the day's range, latest data on the simulated clock, and bounded, lock-free
calendar requests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from emulator_support import KEY, SECRET, sessions

from rebalancer_emulator import EmulatorConfig, EmulatorServer
from rebalancer_emulator.clock import NEW_YORK
from rebalancer_emulator.series import CsvDirSource

pytestmark = pytest.mark.integration

HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
TUESDAY = dt.date(2024, 11, 26)


@pytest.fixture
def market_dir(tmp_path: Path) -> Path:
    """ABC: open 100, high 104, low 97, close 102 every day, volume 12345, and a 2% dividend adjustment
    before Tuesday. ONLY: closes only. BAD: a corrupt number (never read unless asked for)."""
    rows = ["date,open,high,low,close,volume,adj_close"]
    for day in sessions():
        adjusted = 102 * (0.98 if day < TUESDAY else 1.0)
        rows.append(f"{day},100,104,97,102,12345,{adjusted}")
    (tmp_path / "ABC.csv").write_text("\n".join(rows) + "\n")
    only = ["date,open,high,low,close,volume,adj_close"] + [f"{d},,,,50,,50" for d in sessions()]
    (tmp_path / "ONLY.csv").write_text("\n".join(only) + "\n")
    (tmp_path / "BAD.csv").write_text("date,close\n2024-11-26,not-a-number\n")
    return tmp_path


@pytest.fixture
def emu(market_dir: Path) -> Iterator[EmulatorServer]:
    source = CsvDirSource(market_dir)
    config = EmulatorConfig(freeze_clock=True)
    with EmulatorServer(source, start_at="2024-11-27T12:00", config=config) as server:
        yield server


def get(emu: EmulatorServer, path: str) -> requests.Response:
    return requests.get(f"{emu.url}{path}", headers=HEADERS, timeout=10)


def test_files_are_read_only_when_their_symbol_is_asked_for(emu: EmulatorServer) -> None:
    source = emu.prices.source
    assert isinstance(source, CsvDirSource)
    assert (source.symbols(), source.loaded) == (("ABC", "BAD", "ONLY"), 0)
    assert get(emu, "/v2/stocks/bars?symbols=ABC&timeframe=1Day&start=2024-11-25").status_code == 200
    assert source.loaded == 1


def test_bars_carry_the_files_high_low_and_volume(emu: EmulatorServer) -> None:
    bars = get(emu, "/v2/stocks/bars?symbols=ABC,ONLY&timeframe=1Day&start=2024-11-25").json()["bars"]
    assert [(b["o"], b["h"], b["l"], b["c"], b["v"]) for b in bars["ABC"]] == [(100, 104, 97, 102, 12345)] * 2
    assert [(b["h"], b["l"]) for b in bars["ONLY"]] == [(50, 50)] * 2  # close-only: the range is the close


def test_adjustment_all_scales_by_the_dividend_factor_and_raw_does_not(emu: EmulatorServer) -> None:
    query = "/v2/stocks/bars?symbols=ABC&timeframe=1Day&start=2024-11-25"
    raw = get(emu, query).json()["bars"]["ABC"]
    adjusted = get(emu, query + "&adjustment=all").json()["bars"]["ABC"]
    assert [b["c"] for b in raw] == [102, 102]
    assert [b["c"] for b in adjusted] == [pytest.approx(102 * 0.98), 102]  # the latest bar is unchanged
    assert [b["v"] for b in adjusted] == [12345, 12345]


def test_the_intraday_price_stays_inside_the_days_high_and_low(emu: EmulatorServer) -> None:
    day = dt.date(2024, 11, 27)
    seen = []
    for minute in range(0, 390, 13):
        instant = dt.datetime.combine(day, dt.time(9, 30), NEW_YORK) + dt.timedelta(minutes=minute)
        price = emu.prices.price_at("ABC", instant)
        assert price is not None
        seen.append(price)
    assert Decimal("97") <= min(seen) < Decimal("98")  # an up day visits its low first, then its high
    assert Decimal("103") < max(seen) <= Decimal("104")
    assert all(Decimal("97") <= p <= Decimal("104") for p in seen)


def test_the_latest_bar_is_the_minute_in_progress_on_the_simulated_clock(emu: EmulatorServer) -> None:
    bar = get(emu, "/v2/stocks/bars/latest?symbols=ABC").json()["bars"]["ABC"]
    assert bar["t"] == "2024-11-27T16:59:00Z"  # 11:59 ET, the minute before the clock's 12:00
    trade = get(emu, "/v2/stocks/trades/latest?symbols=ABC").json()["trades"]["ABC"]
    assert bar["c"] == pytest.approx(trade["p"], abs=0.05)
    emu.clock.set("2024-11-27T18:00")
    after = get(emu, "/v2/stocks/bars/latest?symbols=ABC").json()["bars"]["ABC"]
    assert (after["t"], after["c"]) == ("2024-11-27T20:59:00Z", 102)


def test_a_corrupt_file_is_an_error_for_its_symbol_only(emu: EmulatorServer) -> None:
    assert get(emu, "/v2/stocks/bars?symbols=ONLY&timeframe=1Day&start=2024-11-25").status_code == 200
    with pytest.raises(Exception, match=r"BAD\.csv"):
        emu.prices.series("BAD")


def test_calendar_dates_outside_1970_2029_are_a_422(emu: EmulatorServer) -> None:
    for query in ("start=1600-01-01", "end=2262-05-01", "start=2030-01-01&end=2030-02-01"):
        answer = get(emu, f"/v2/calendar?{query}")
        assert answer.status_code == 422, query
        assert answer.json()["code"] == 40010001
    everything = get(emu, "/v2/calendar?start=1970-01-01&end=2029-12-31").json()
    assert (everything[0]["date"], everything[-1]["date"]) == ("1970-01-02", "2029-12-31")
    assert everything[0]["settlement_date"] == "1970-01-05"


def test_market_data_and_the_calendar_are_answered_while_the_account_is_busy(emu: EmulatorServer) -> None:
    with emu.state.lock:  # as if a slow account request were in progress
        assert get(emu, "/v2/calendar?start=2000-01-01&end=2001-01-01").status_code == 200
        assert get(emu, "/v2/stocks/bars?symbols=ABC&timeframe=1Day").status_code == 200
        assert get(emu, "/v2/stocks/quotes/latest?symbols=ABC").status_code == 200
