"""The rebalance event is checked before anything runs: no far-future times, no numbers read as epochs,
no oversized fields copied into every log line; the run's key comes from the scheduled time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from run_fakes import FakeBroker, et, make_ports, make_settings

from rebalancer.aws.events import EventError, check_scheduled_time, parse_rebalance_event
from rebalancer.run import run
from rebalancer_research.market.synthetic import synthetic_market

NOW = dt.datetime(2026, 11, 2, 14, 36, tzinfo=dt.UTC)


def _event(**fields: object) -> dict[str, object]:
    return {"source": "schedule", "scheduled_time": "2026-11-02T14:35:00Z", **fields}


def test_a_scheduled_time_far_in_the_future_is_refused() -> None:
    event = parse_rebalance_event(_event(scheduled_time="2099-11-02T14:35:00Z"))
    with pytest.raises(EventError) as err:
        check_scheduled_time(event, NOW)
    assert err.value.code == "event-time-in-future"
    assert "2099-11-02" in err.value.message


def test_a_scheduled_time_a_little_ahead_of_the_clock_is_clock_skew_and_accepted() -> None:
    event = parse_rebalance_event(_event(scheduled_time="2026-11-02T14:37:00Z"))
    check_scheduled_time(event, NOW)  # one minute ahead of this machine's clock
    check_scheduled_time(parse_rebalance_event({"source": "manual"}), NOW)


@pytest.mark.parametrize("value", [1793630100, 1793630100.0, True, ["2026-11-02T14:35:00Z"]])
def test_a_scheduled_time_that_is_not_text_is_refused(value: object) -> None:
    with pytest.raises(EventError, match="scheduled_time") as err:
        parse_rebalance_event(_event(scheduled_time=value))
    assert "text" in err.value.message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("execution_id", "x" * (10 * 1024 * 1024)),
        ("execution_id", "line\nbreak"),
        ("schedule_arn", "arn:" + "a" * 5000),
        ("scheduled_time", "2026-11-02T14:35:00Z" + " " * 1000),
    ],
)
def test_oversized_or_odd_fields_are_refused_and_not_echoed(field: str, value: str) -> None:
    with pytest.raises(EventError) as err:
        parse_rebalance_event(_event(**{field: value}))
    assert field in err.value.message
    assert len(str(err.value)) < 2000


def test_the_run_key_comes_from_the_scheduled_time_not_the_clock(tmp_path: Path) -> None:
    # The scheduler's retry of a 23:50 Sunday schedule arrives at 00:05 Monday: it is still Sunday's run.
    history = synthetic_market(["SPY", "TLT", "BIL", "GLD", "XOM"], end=dt.date(2026, 1, 2), sessions=300)
    now = et("2026-01-05", "00:05")
    ports, _ = make_ports(FakeBroker({"SPY": history.close[-1, 0]}), history, now)
    result = run(make_settings(tmp_path), ports, now, scheduled_at=et("2026-01-04", "23:50"))
    assert result.run_id.startswith("paper-2026-01-04-")
