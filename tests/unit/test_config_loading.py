"""Config loading: precedence, field paths of every problem, unknown keys, live confirmation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from rebalancer.config import (
    ConfigProblems,
    RebalancerConfig,
    check_config,
    load_config,
    load_config_with_sources,
    load_strategies,
)
from rebalancer.portfolio.risk_state import TradingState

REPO = Path(__file__).resolve().parents[2]
PAPER = REPO / "config" / "paper.yaml"
LIVE = REPO / "config" / "live.yaml"


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def codes_by_path(path: Path | None, env: dict[str, str] | None = None, **kw: bool) -> dict[str, str]:
    return {p.path: p.code for p in check_config(path, env=env or {}, **kw)}


def test_shipped_paper_config_loads_with_the_builtin_allocations() -> None:
    config = load_config(PAPER, env={})
    assert config.env == "paper"
    assert config.allocations == {"nuclear": 0.3, "tecl": 0.5, "klm": 0.2}
    assert config.broker_mode == "paper"
    assert not config.is_live


def test_shipped_live_config_is_refused_until_confirmed() -> None:
    assert codes_by_path(LIVE) == {"live_trading_confirmed": "live-not-confirmed"}
    with pytest.raises(ConfigProblems) as err:
        load_config(LIVE, env={})
    assert err.value.code == "live-not-confirmed"
    assert err.value.where == "live_trading_confirmed"
    confirmed = load_config(LIVE, env={"LIVE_TRADING_CONFIRMED": "yes"})
    assert confirmed.is_live
    assert confirmed.live_trading_confirmed
    assert confirmed.notifications.neutral


def test_live_confirmed_in_the_file_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "env: live\nlive_trading_confirmed: true\n")
    assert load_config(path, env={}, verify_strategies=False).broker_mode == "live"


def test_precedence_is_env_over_file_over_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "risk:\n  max_drawdown: 0.4\n  max_daily_loss: 0.1\n")
    env = {"REBALANCER_RISK__MAX_DRAWDOWN": "0.3"}
    loaded = load_config_with_sources(path, env=env, verify_strategies=False)
    risk = loaded.config.risk
    assert (risk.max_drawdown, risk.max_daily_loss, risk.max_turnover) == (
        Decimal("0.3"),
        Decimal("0.1"),
        Decimal(2),
    )
    assert loaded.sources["risk.max_drawdown"] == "env:REBALANCER_RISK__MAX_DRAWDOWN"
    assert loaded.sources["risk.max_daily_loss"] == "file"
    assert loaded.sources["risk.max_turnover"] == "default"


def test_env_vars_are_case_insensitive_and_reach_strategy_entries(tmp_path: Path) -> None:
    env = {
        "rebalancer_execution__cash_buffer": "0.05",
        "REBALANCER_STRATEGIES__TECL__ALLOCATION": "0.4",
        "REBALANCER_STRATEGIES__NUCLEAR__ALLOCATION": "0.4",
        "REBALANCER_MARKET_DATA": "/elsewhere",  # not a setting: ignored
    }
    loaded = load_config_with_sources(None, env=env, verify_strategies=False)
    assert loaded.config.execution.cash_buffer == Decimal("0.05")
    assert loaded.config.allocations == {"nuclear": 0.4, "tecl": 0.4, "klm": 0.2}
    assert loaded.sources["strategies.klm.allocation"] == "default"


def test_process_environment_is_the_default_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REBALANCER_DATA__FEED", "sip")
    assert load_config(PAPER).data.feed == "sip"


def test_unknown_keys_are_refused_in_the_file_and_in_nested_env_vars(tmp_path: Path) -> None:
    path = write(
        tmp_path, "riks: {}\nrisk:\n  max_wieght: 0.5\nstrategies:\n  tecl: {allocation: 1, mode: x}\n"
    )
    problems = codes_by_path(path, env={"REBALANCER_RISKY__X": "1", "REBALANCER_DATA__FEEDS": "iex"})
    assert problems == {
        "riks": "unknown-key",
        "risk.max_wieght": "unknown-key",
        "strategies.tecl.mode": "unknown-key",
        "env:REBALANCER_RISKY__X": "unknown-key",
        "data.feeds": "unknown-key",
    }


def test_every_invalid_value_is_reported_with_its_field_path(tmp_path: Path) -> None:
    text = """
env: production
risk: {max_drawdown: 1.5, max_orders_per_run: 0, drawdown_action: ignore}
execution: {cash_buffer: -0.1, min_order_notional: 0.5, slot: "Market Open"}
data: {feed: nasdaq, lookback_sessions: 10}
broker: {base_url: "ftp://x"}
notifications: {neutral: maybe}
"""
    problems = codes_by_path(write(tmp_path, text), verify_strategies=False)
    assert set(problems) == {
        "env",
        "risk.max_drawdown",
        "risk.max_orders_per_run",
        "risk.drawdown_action",
        "execution.cash_buffer",
        "execution.min_order_notional",
        "execution.slot",
        "data.feed",
        "data.lookback_sessions",
        "broker.base_url",
        "notifications.neutral",
    }


def test_problems_message_lists_all_of_them(tmp_path: Path) -> None:
    path = write(tmp_path, "risk: {max_drawdown: 2}\ndata: {feed: x}\n")
    with pytest.raises(ConfigProblems) as err:
        load_config(path, env={}, verify_strategies=False)
    assert len(err.value.problems) == 2
    assert "risk.max_drawdown" in str(err.value)
    assert "data.feed" in str(err.value)
    assert err.value.code == "config-invalid"


def test_allocations_must_sum_to_one(tmp_path: Path) -> None:
    path = write(tmp_path, "strategies:\n  nuclear: {allocation: 0.3}\n  tecl: {allocation: 0.6}\n")
    assert codes_by_path(path, verify_strategies=False) == {"strategies": "allocations-sum"}
    exact = write(
        tmp_path, "strategies:\n  a: {source: tecl, allocation: 0.1}\n  b: {source: klm, allocation: 0.9}\n"
    )
    assert codes_by_path(exact) == {}
    empty = write(tmp_path, "strategies: {}\n")
    assert codes_by_path(empty, verify_strategies=False) == {"strategies": "no-strategies"}


def test_a_file_lists_its_own_strategies_without_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "strategies:\n  tecl: {allocation: 1}\n")
    assert load_config(path, env={}).allocations == {"tecl": 1.0}


def test_cross_field_checks_still_run_when_another_section_is_invalid(tmp_path: Path) -> None:
    path = write(tmp_path, "env: live\ndata: {feed: x}\nstrategies:\n  tecl: {allocation: 0.5}\n")
    assert codes_by_path(path) == {
        "data.feed": "literal_error",
        "strategies": "allocations-sum",
        "live_trading_confirmed": "live-not-confirmed",
    }


def test_broker_mode_must_match_env_and_limits_must_be_consistent(tmp_path: Path) -> None:
    text = "broker: {mode: live}\nrisk: {max_order_notional: 5}\nexecution: {min_order_notional: 10}\n"
    assert codes_by_path(write(tmp_path, text), verify_strategies=False) == {
        "broker.mode": "broker-env-mismatch",
        "live_trading_confirmed": "live-not-confirmed",
        "risk.max_order_notional": "limits-inconsistent",
    }


def test_strategy_files_are_parsed_relative_to_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies" / "broken.clj").write_text('(defsymphony "X" {} (weight-equal [(asset', "utf-8")
    text = (
        "strategies:\n  mine: {source: strategies/broken.clj, allocation: 0.5}\n"
        "  gone: {source: no.clj, allocation: 0.5}\n"
    )
    problems = check_config(write(tmp_path, text), env={})
    by_path = {p.path: p for p in problems}
    assert set(by_path) == {"strategies.mine.source", "strategies.gone.source"}
    assert "broken.clj:1:" in by_path["strategies.mine.source"].message
    assert by_path["strategies.gone.source"].code == "strategy-unknown"


def test_lookback_shorter_than_a_strategy_needs_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "data: {lookback_sessions: 100}\n")
    problems = check_config(path, env={})
    assert {p.path for p in problems} == {"data.lookback_sessions"}
    assert all(p.code == "lookback-too-short" for p in problems)


def test_load_strategies_returns_every_symphony_or_every_problem(tmp_path: Path) -> None:
    config = load_config(PAPER, env={})
    assert sorted(load_strategies(config, base_dir=PAPER.parent, env={})) == ["klm", "nuclear", "tecl"]
    bad = RebalancerConfig.model_validate({"strategies": {"a": {"source": "x.clj", "allocation": 1}}})
    with pytest.raises(ConfigProblems) as err:
        load_strategies(bad, base_dir=tmp_path, env={})
    assert err.value.where == "strategies.a.source"


@pytest.mark.parametrize(
    ("text", "code", "where"),
    [
        ("risk: [1, 2\n", "yaml-invalid", "c.yaml:2:1"),
        ("- a\n- b\n", "config-not-mapping", "c.yaml"),
        ("risk: {max_drawdown: 0.3}\nrisk: {max_drawdown: 0.9}\n", "yaml-invalid", "c.yaml:2:1"),
    ],
)
def test_unreadable_files_are_one_located_problem(tmp_path: Path, text: str, code: str, where: str) -> None:
    [problem] = check_config(write(tmp_path, text), env={})
    assert problem.code == code
    assert problem.path.endswith(where)


def test_missing_file_and_empty_file(tmp_path: Path) -> None:
    [problem] = check_config(tmp_path / "nope.yaml", env={})
    assert problem.code == "config-not-found"
    [empty] = check_config(write(tmp_path, "# nothing\n"), env={})
    assert empty.code == "config-empty"  # a blank file is a mistake; no --config means the defaults
    assert load_config(None, env={}).allocations["tecl"] == 0.5


def test_bad_json_in_a_complex_env_var_is_a_problem() -> None:
    problems = codes_by_path(None, env={"REBALANCER_RISK": "{not json"})
    assert problems == {"env:REBALANCER_RISK": "env-invalid"}


def test_strategy_names_are_restricted(tmp_path: Path) -> None:
    path = write(tmp_path, "strategies:\n  'My Strategy': {source: tecl, allocation: 1}\n")
    assert codes_by_path(path) == {"strategies": "value_error"}


def test_sections_convert_to_engine_inputs() -> None:
    config = load_config(LIVE, env={"LIVE_TRADING_CONFIRMED": "yes"})
    limits = config.risk.to_limits()
    assert limits.max_drawdown == Decimal("0.4")
    assert limits.drawdown_action is TradingState.HALTED
    assert limits.daily_loss_action is TradingState.REDUCING
    options = config.execution.to_plan_options()
    assert (options.cash_buffer, options.min_order_notional) == (Decimal("0.02"), Decimal("1.00"))


def test_constructing_the_model_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REBALANCER_ENV", "live")
    assert RebalancerConfig().env == "paper"
