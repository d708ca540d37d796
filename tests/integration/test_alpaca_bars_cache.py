"""`--data alpaca`: signals and backtest read bars from Alpaca's market data API (the emulator here),
cached on disk so that a second backtest makes no request."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rebalancer.errors import DataError
from rebalancer_emulator import EmulatorServer
from rebalancer_research.market.alpaca_cache import BarsCache, alpaca_fetch
from rebalancer_research.market.synthetic import synthetic_market
from rebalancer_tools.cli.main import main
from rebalancer_tools.local.emulator_session import EMULATOR_KEY, EMULATOR_SECRET

pytestmark = pytest.mark.integration

END = dt.date(2026, 7, 31)
SYMPHONY = (
    '(defsymphony "m" {:rebalance-frequency :monthly}'
    ' (weight-specified [60 40] [(asset "SPY") (asset "TLT")]))'
)


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[EmulatorServer]:
    history = synthetic_market(["SPY", "TLT"], end=END, sessions=800)
    with EmulatorServer(history, start_at=dt.datetime(2026, 8, 3, 9, 0)) as server:
        monkeypatch.setenv("APCA_API_KEY_ID", EMULATOR_KEY)
        monkeypatch.setenv("APCA_API_SECRET_KEY", EMULATOR_SECRET)
        monkeypatch.setenv("APCA_API_DATA_URL", server.url)
        monkeypatch.setenv("REBALANCER_BARS_CACHE", str(tmp_path / "bars"))
        yield server


def test_a_second_backtest_is_served_from_the_disk_cache(
    emulator: EmulatorServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.clj"
    path.write_text(SYMPHONY)
    args = ["backtest", "--data", "alpaca", "--strategy", str(path), "--end", str(END), "--format", "json"]
    args += ["--benchmark", "SPY"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    fetched = emulator.request_log.count("bars")
    assert fetched >= 1
    assert (tmp_path / "bars" / "SPY.csv").is_file()
    assert main(args) == 0
    second = json.loads(capsys.readouterr().out)
    assert emulator.request_log.count("bars") == fetched  # no request at all
    assert second["portfolio"] == first["portfolio"]
    assert first["strategies"]["m"]["rebalance"] == "monthly"


def test_signals_read_alpaca_bars_and_a_new_symbol_fetches_only_itself(
    emulator: EmulatorServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.clj"
    path.write_text(SYMPHONY)
    assert main(["signals", "--data", "alpaca", "--strategy", str(path), "--as-of", str(END)]) == 0
    assert "Alpaca market data" in capsys.readouterr().out
    cache = BarsCache(tmp_path / "bars", alpaca_fetch())
    asked: list[list[str]] = []
    original = cache.fetch

    def spy(symbols, start, end):  # type: ignore[no-untyped-def]
        asked.append(sorted(symbols))
        return original(symbols, start, end)

    cache.fetch = spy
    with pytest.raises(DataError) as err:  # the emulator has no bars for it: named, not swallowed
        cache.load(["SPY", "NOPE"], dt.date(2016, 1, 1), END)
    assert asked == [["NOPE"]]
    assert "NOPE" in str(err.value)


def test_symphony_check_asks_alpaca_for_any_symbol(
    emulator: EmulatorServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.clj"
    path.write_text(SYMPHONY)
    assert main(["symphony", "check", str(path), "--data", "alpaca"]) == 0
    assert "source alpaca: ok" in capsys.readouterr().out


def test_a_profile_in_the_credentials_file_gives_the_keys(
    emulator: EmulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No keys in the environment: REBALANCER_PROFILE picks a section of the credentials file."""
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[emulator]\nAPCA_API_KEY_ID = {EMULATOR_KEY}\nAPCA_API_SECRET_KEY = {EMULATOR_SECRET}\n"
        f"APCA_API_DATA_URL = {emulator.url}\n"
    )
    credentials.chmod(0o600)
    for name in ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "APCA_API_DATA_URL"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("REBALANCER_CREDENTIALS_FILE", str(credentials))
    path = tmp_path / "m.clj"
    path.write_text(SYMPHONY)
    args = ["signals", "--data", "alpaca", "--strategy", str(path), "--as-of", str(END)]

    assert main(args) == 2  # no env keys and no [default] section: refused, naming both ways
    assert "REBALANCER_PROFILE" in capsys.readouterr().err
    assert emulator.request_log.count("bars") == 0

    monkeypatch.setenv("REBALANCER_PROFILE", "emulator")
    assert main(args) == 0
    assert "Alpaca market data" in capsys.readouterr().out
    assert emulator.request_log.count("bars") >= 1
