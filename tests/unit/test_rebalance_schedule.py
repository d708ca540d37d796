"""Composer's rebalance settings as a pure rule: does strategy S trade on session t?"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebalancer.config.loader import load_config_with_sources
from rebalancer.config.problems import ConfigProblems
from rebalancer.errors import StrategyError
from rebalancer.run.config_bridge import settings_from_config
from rebalancer.strategies import load_strategies
from rebalancer.strategies.schedule import (
    Schedule,
    calendar_due,
    parse_schedule,
    rebalance_due,
    schedule_from_settings,
)
from rebalancer.symphony.reader import read_symphony


def _settings(text: str) -> Schedule:
    symphony = read_symphony(f'(defsymphony "s" {text} (weight-equal [(asset "SPY")]))', filename="s.clj")
    return schedule_from_settings(symphony.settings, "s.clj")


def test_a_composer_export_declares_its_schedule_in_the_settings_map() -> None:
    assert _settings('{:asset-class "EQUITIES", :rebalance-frequency :monthly}') == Schedule("monthly")
    assert _settings('{:asset-class "EQUITIES", :rebalance-threshold 0.05}') == Schedule("none", 0.05)
    assert _settings('{:asset-class "EQUITIES"}') == Schedule("daily")
    assert _settings("{:rebalance-frequency :none, :rebalance-threshold 0.1}") == Schedule("none", 0.1)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{:rebalance-frequency :fortnightly}", "bad-rebalance"),
        ("{:rebalance-threshold 1.5}", "bad-rebalance-threshold"),
        ("{:rebalance-frequency :daily, :rebalance-threshold 0.05}", "rebalance-conflict"),
    ],
)
def test_bad_settings_are_refused_naming_the_file(text: str, code: str) -> None:
    with pytest.raises(StrategyError) as err:
        _settings(text)
    assert err.value.code == code
    assert err.value.where == "s.clj"


def test_a_monthly_strategy_trades_on_the_first_session_of_each_month_only() -> None:
    last = dt.date(2024, 1, 2)
    assert not calendar_due("monthly", dt.date(2024, 1, 31), last)
    assert calendar_due("monthly", dt.date(2024, 2, 1), last)
    # A missed first session: the next run in the month still trades.
    assert calendar_due("monthly", dt.date(2024, 2, 5), last)


@pytest.mark.parametrize(
    ("frequency", "last", "today", "due"),
    [
        ("weekly", dt.date(2024, 1, 5), dt.date(2024, 1, 8), True),  # Friday -> Monday
        ("weekly", dt.date(2024, 1, 8), dt.date(2024, 1, 12), False),
        ("weekly", dt.date(2024, 12, 30), dt.date(2025, 1, 3), False),  # ISO week spans the new year
        ("quarterly", dt.date(2024, 1, 2), dt.date(2024, 3, 28), False),
        ("quarterly", dt.date(2024, 3, 28), dt.date(2024, 4, 1), True),
        ("yearly", dt.date(2024, 1, 2), dt.date(2024, 12, 31), False),
        ("yearly", dt.date(2024, 12, 31), dt.date(2025, 1, 2), True),
        ("none", dt.date(2020, 1, 2), dt.date(2024, 1, 2), False),
        ("daily", dt.date(2024, 1, 2), dt.date(2024, 1, 3), True),
        ("daily", dt.date(2024, 1, 2), dt.date(2024, 1, 2), False),  # a second run the same session
    ],
)
def test_calendar_periods(frequency: str, last: dt.date, today: dt.date, due: bool) -> None:
    assert calendar_due(frequency, today, last) is due


@given(
    st.sampled_from(["none", "daily", "weekly", "monthly", "quarterly", "yearly"]),
    st.dates(dt.date(2000, 1, 1), dt.date(2040, 1, 1)),
)
def test_a_strategy_never_traded_is_always_due(frequency: str, today: dt.date) -> None:
    assert rebalance_due(Schedule(frequency), today, None, {}, {}).due  # type: ignore[arg-type]


@given(st.lists(st.dates(dt.date(2000, 1, 1), dt.date(2030, 1, 1)), min_size=2, max_size=400, unique=True))
def test_a_monthly_strategy_trades_at_most_once_a_month(sessions: list[dt.date]) -> None:
    last: dt.date | None = None
    traded: list[dt.date] = []
    for day in sorted(sessions):
        if calendar_due("monthly", day, last):
            traded.append(day)
            last = day
    months = [(d.year, d.month) for d in traded]
    assert len(months) == len(set(months))
    assert len(months) == len({(d.year, d.month) for d in sessions})


def test_the_threshold_corridor_trades_only_beyond_the_band_or_on_a_branch_switch() -> None:
    corridor = Schedule("none", 0.05)
    today, last = dt.date(2024, 5, 2), dt.date(2024, 5, 1)
    targets = {"A": 0.5, "B": 0.5}
    assert not rebalance_due(corridor, today, last, targets, {"A": 0.54, "B": 0.46}).due
    beyond = rebalance_due(corridor, today, last, targets, {"A": 0.56, "B": 0.44})
    assert beyond.due
    assert "beyond" in beyond.reason
    switch = rebalance_due(corridor, today, last, {"A": 0.5, "C": 0.5}, {"A": 0.5, "B": 0.5})
    assert switch.due
    assert "branch" in switch.reason


def test_overrides_parse_like_the_backtest_option() -> None:
    assert parse_schedule("threshold:0.1") == Schedule("none", 0.1)
    assert parse_schedule("Quarterly") == Schedule("quarterly")
    with pytest.raises(StrategyError):
        parse_schedule("biweekly", "strategies.tecl.rebalance")


def test_the_config_overrides_a_files_schedule_per_strategy(tmp_path: Path) -> None:
    (tmp_path / "m.clj").write_text(
        '(defsymphony "m" {:rebalance-frequency :monthly} (weight-equal [(asset "SPY")]))'
    )
    config = tmp_path / "config.yaml"
    config.write_text(
        "env: paper\nstrategies:\n"
        "  m: {source: m.clj, allocation: 0.5, rebalance: 'threshold:0.1'}\n"
        "  n: {source: m.clj, allocation: 0.5}\n"
    )
    strategies = load_strategies(settings_from_config(load_config_with_sources(config)).strategies)
    assert [(s.name, s.schedule) for s in strategies] == [
        ("m", Schedule("none", 0.1)),
        ("n", Schedule("monthly")),
    ]
    assert strategies[0].to_dict()["rebalance"] == "threshold:0.1"  # recorded for replay
    config.write_text(
        "env: paper\nstrategies:\n  m: {source: m.clj, allocation: 1, rebalance: fortnightly}\n"
    )
    with pytest.raises(ConfigProblems) as err:
        load_config_with_sources(config)
    assert "strategies.m.rebalance" in str(err.value)
