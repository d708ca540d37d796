"""Trading states, the halt flag mapping, and the persisted risk state's JSON round trip."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from rebalancer.errors import StateError
from rebalancer.portfolio.risk_state import RiskState, TradingState


@pytest.mark.parametrize(
    ("flag", "state"),
    [("off", TradingState.ACTIVE), ("reduce", TradingState.REDUCING), (" HALT ", TradingState.HALTED)],
)
def test_halt_flag_values_map_onto_trading_states(flag: str, state: TradingState) -> None:
    assert TradingState.from_flag(flag) is state


def test_an_unknown_halt_flag_value_is_an_error() -> None:
    with pytest.raises(StateError) as err:
        TradingState.from_flag("pause")
    assert err.value.code == "halt-flag-invalid"


def test_stricter_orders_the_states() -> None:
    assert TradingState.ACTIVE.stricter(TradingState.REDUCING) is TradingState.REDUCING
    assert TradingState.HALTED.stricter(TradingState.REDUCING) is TradingState.HALTED


def test_risk_state_round_trips_through_json_with_decimals_as_strings() -> None:
    state = RiskState(
        high_water_mark=Decimal("12345.678901"),
        consecutive_failures=2,
        tripped=TradingState.HALTED,
        trip_reason="drawdown-tripped",
        tripped_on=dt.date(2026, 3, 2),
        updated_on=dt.date(2026, 3, 3),
    )
    data = json.loads(json.dumps(state.to_dict()))
    assert data["high_water_mark"] == "12345.678901"
    assert RiskState.from_dict(data) == state
    assert RiskState.from_dict({}) == RiskState()
    assert RiskState.from_dict(RiskState().to_dict()) == RiskState()


@pytest.mark.parametrize(
    "data",
    [
        {"high_water_mark": 100.5},
        {"high_water_mark": "NaN"},
        {"high_water_mark": "abc"},
        {"consecutive_failures": -1},
        {"consecutive_failures": True},
        {"tripped": "paused"},
        {"tripped_on": "yesterday"},
        {"surprise": 1},
    ],
)
def test_malformed_risk_state_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(StateError) as err:
        RiskState.from_dict(data)
    assert err.value.code == "risk-state-invalid"


def test_record_run_counts_failures_and_a_success_clears_them() -> None:
    day = dt.date(2026, 3, 2)
    failed = RiskState().record_run(succeeded=False, today=day).record_run(succeeded=False)
    assert failed.consecutive_failures == 2
    assert failed.updated_on == day
    assert failed.record_run(succeeded=True).consecutive_failures == 0


def test_reset_clears_trips_and_can_rebase_the_high_water_mark() -> None:
    state = RiskState(Decimal(100), 4, TradingState.HALTED, "circuit-breaker-open", dt.date(2026, 3, 2))
    cleared = state.reset()
    assert (cleared.tripped, cleared.consecutive_failures, cleared.high_water_mark) == (
        TradingState.ACTIVE,
        0,
        Decimal(100),
    )
    assert state.reset(high_water_mark=Decimal(80)).high_water_mark == Decimal(80)


def test_reset_stamps_the_day_it_was_made_and_otherwise_keeps_the_last_update() -> None:
    """`rebalancer reset-risk` resets without a date: the stored last-update day must survive it."""
    state = RiskState(
        Decimal(100), 3, TradingState.HALTED, "drawdown-tripped", dt.date(2026, 3, 2), dt.date(2026, 3, 4)
    )
    assert state.reset(today=dt.date(2026, 3, 9)).updated_on == dt.date(2026, 3, 9)
    assert state.reset().updated_on == dt.date(2026, 3, 4)
    assert RiskState.from_dict(state.reset().to_dict()) == RiskState(
        high_water_mark=Decimal(100), updated_on=dt.date(2026, 3, 4)
    )


_HINT = "Hint: inspect the stored risk state; reset it deliberately if it cannot be repaired"


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"surprise": 1}, f"unknown risk state keys ['surprise'] (risk-state-invalid). {_HINT}"),
        (
            {"high_water_mark": 100.5},
            "risk state is malformed: a Decimal is stored as a string, not float "
            f"(risk-state-invalid). {_HINT}",
        ),
        (
            {"high_water_mark": "NaN"},
            f"risk state is malformed: 'NaN' is not a finite number (risk-state-invalid). {_HINT}",
        ),
        (
            {"consecutive_failures": -1},
            "risk state is malformed: consecutive_failures must be a non-negative integer, not -1 "
            f"(risk-state-invalid). {_HINT}",
        ),
    ],
)
def test_a_malformed_risk_state_says_what_is_wrong_and_what_to_do(
    data: dict[str, object], shown: str
) -> None:
    """The operator reads this line when a run refuses to trade on a damaged risk state."""
    with pytest.raises(StateError) as err:
        RiskState.from_dict(data)
    assert str(err.value) == shown
