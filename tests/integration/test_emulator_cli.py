"""`rebalancer emulator`: starts, prints the URL and keys, serves alpaca-py, stops on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from alpaca.trading.client import TradingClient
from emulator_support import KEY, SECRET

from rebalancer_emulator.series import CsvDirSource
from rebalancer_tools.cli.emulator_cmd import build_server, run_emulator
from rebalancer_tools.cli.main import build_parser

pytestmark = pytest.mark.integration

URL = re.compile(r"url:\s+(http://127\.0\.0\.1:\d+)")


def wait_for_url(read: Callable[[], str]) -> str:
    deadline = time.monotonic() + 60
    text = ""
    while time.monotonic() < deadline:
        text += read()
        found = URL.search(text)
        if found:
            return found.group(1)
        time.sleep(0.05)
    raise AssertionError(f"the emulator printed no URL: {text!r}")


def test_the_command_serves_synthetic_prices_until_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(
        [
            "emulator",
            "--port",
            "0",
            "--synthetic",
            "--start-at",
            "2024-11-29T09:35",
            "--freeze",
            "--cash",
            "2500",
        ]
    )
    stop = threading.Event()
    worker = threading.Thread(target=run_emulator, args=(args, stop), daemon=True)
    worker.start()
    try:
        url = wait_for_url(lambda: capsys.readouterr().out)
        client = TradingClient(KEY, SECRET, paper=True, url_override=url)
        assert client.get_account().cash == "2500"
        clock = client.get_clock()
        assert clock.timestamp.isoformat() == "2024-11-29T09:35:00-05:00"
        assert clock.is_open
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery differs on Windows")
def test_ctrl_c_stops_the_process(tmp_path: Path) -> None:
    (tmp_path / "SPY.csv").write_text("date,open,close\n2024-11-26,500,501\n2024-11-27,501,503\n")
    command = [
        sys.executable,
        "-m",
        "rebalancer_tools.cli.main",
        "emulator",
        "--port",
        "0",
        "--data",
        str(tmp_path),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        url = wait_for_url(process.stdout.readline)
        assert "emulator-secret" not in requests.get(f"{url}/_emulator/clock", timeout=5).text
        bars = requests.get(
            f"{url}/v2/stocks/bars",
            params={"symbols": "SPY", "timeframe": "1Day", "start": "2024-11-01"},
            headers={"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET},
            timeout=5,
        ).json()
        assert [b["c"] for b in bars["bars"]["SPY"]] == [501, 503]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_csv_folder_is_served_lazily_with_the_paper_account_flags(tmp_path: Path) -> None:
    (tmp_path / "SPY.csv").write_text("date,close\n2024-11-25,100\n2024-11-26,101\n")
    (tmp_path / "QQQ.csv").write_text("date,close\n2024-11-25,400\n2024-11-26,401\n")
    flags = ["--port", "0", "--data", str(tmp_path), "--start-at", "2024-11-27T10:00", "--freeze"]
    flags += ["--account-type", "cash", "--partial-fill-rate", "0"]
    args = build_parser().parse_args(["emulator", *flags])
    server, described = build_server(args)
    source = server.prices.source
    assert isinstance(source, CsvDirSource)
    assert (source.symbols(), source.loaded, "first use" in described) == (("QQQ", "SPY"), 0, True)
    assert (server.config.account_type, server.config.partial_fill_rate) == ("cash", 0.0)
    with server:
        bars = requests.get(
            f"{server.url}/v2/stocks/bars?symbols=SPY&timeframe=1Day&start=2024-11-25",
            headers={"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET},
            timeout=10,
        ).json()["bars"]
    assert [b["c"] for b in bars["SPY"]] == [100, 101]
    assert source.loaded == 1  # QQQ was never read
