"""A live config talks to Alpaca over https only, unless a loudly named override says otherwise, and only
a real boolean confirms live trading."""

from __future__ import annotations

from pathlib import Path

import pytest

from rebalancer.config import check_config, load_config

LIVE = "env: live\nlive_trading_confirmed: true\n"


def _codes(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> dict[str, str]:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return {p.path: p.code for p in check_config(path, env=env or {}, verify_strategies=False)}


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("base_url", "http://api.alpaca.markets"),
        ("base_url", "https://alpaca.example.com"),
        ("base_url", "https://paper-api.alpaca.markets"),  # paper host, live keys
        ("base_url", "http://127.0.0.1:8765"),
        ("data_base_url", "http://data.alpaca.markets"),
        ("data_base_url", "https://data.alpaca.markets.evil.example"),
    ],
)
def test_a_live_config_refuses_plain_http_and_foreign_hosts(tmp_path: Path, field: str, url: str) -> None:
    codes = _codes(tmp_path, f"{LIVE}broker:\n  {field}: {url}\n")
    assert codes == {f"broker.{field}": "broker-url-unsafe"}


def test_a_live_config_accepts_alpacas_own_https_hosts(tmp_path: Path) -> None:
    text = f"{LIVE}broker:\n  base_url: https://api.alpaca.markets\n  data_base_url: https://data.alpaca.markets\n"
    assert _codes(tmp_path, text) == {}


def test_the_loud_override_allows_another_https_host_but_never_plain_http_off_loopback(
    tmp_path: Path,
) -> None:
    override = "  unsafe_allow_non_alpaca_hosts: true\n"
    proxy = f"{LIVE}broker:\n  base_url: https://alpaca-proxy.internal.example\n{override}"
    assert _codes(tmp_path, proxy) == {}
    cleartext = f"{LIVE}broker:\n  base_url: http://alpaca-proxy.internal.example\n{override}"
    assert _codes(tmp_path, cleartext) == {"broker.base_url": "broker-url-unsafe"}


def test_a_paper_config_may_use_the_local_emulator_but_not_cleartext_elsewhere(tmp_path: Path) -> None:
    assert _codes(tmp_path, "env: paper\nbroker:\n  base_url: http://127.0.0.1:8765\n") == {}
    assert _codes(tmp_path, "env: paper\nbroker:\n  base_url: http://alpaca.example.com\n") == {
        "broker.base_url": "broker-url-unsafe"
    }


@pytest.mark.parametrize("value", ['"yes"', "yes", "'true'", "1", "on", '"y"'])
def test_only_a_real_boolean_confirms_live_trading_in_the_file(tmp_path: Path, value: str) -> None:
    codes = _codes(tmp_path, f"env: live\nlive_trading_confirmed: {value}\n")
    assert list(codes) == ["live_trading_confirmed"]


@pytest.mark.parametrize("value", ["Yes", "YES", "true", "1", " yes"])
def test_the_stack_confirmation_variable_is_exactly_yes_or_no(tmp_path: Path, value: str) -> None:
    codes = _codes(tmp_path, "env: live\n", env={"LIVE_TRADING_CONFIRMED": value})
    assert codes == {"live_trading_confirmed": "confirmation-invalid"}


def test_the_settings_variable_is_exactly_true_or_false(tmp_path: Path) -> None:
    assert _codes(tmp_path, "env: live\n", env={"REBALANCER_LIVE_TRADING_CONFIRMED": "yes"}) == {
        "live_trading_confirmed": "confirmation-invalid"
    }
    path = tmp_path / "c.yaml"
    assert load_config(path, env={"REBALANCER_LIVE_TRADING_CONFIRMED": "true"}, verify_strategies=False)
    assert load_config(path, env={"LIVE_TRADING_CONFIRMED": "yes"}, verify_strategies=False).is_live
