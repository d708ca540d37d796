"""The events the functions accept, validated (pydantic): anything else is a clear error and no trade.

The scheduler sends the Input written in template.yaml (events/scheduled.json is a copy):
`scheduled_time` is stable across the scheduler's retries, so it is the run's idempotency key;
`execution_id` differs per attempt and becomes the log correlation id.

    >>> ev = parse_rebalance_event({"source": "schedule", "scheduled_time": "2026-11-23T14:35:00Z",
    ...                             "execution_id": "e1", "attempt": "1"})
    >>> ev.scheduled_time.isoformat(), ev.attempt, ev.dry_run
    ('2026-11-23T14:35:00+00:00', 1, False)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from rebalancer.errors import RebalancerError


class EventError(RebalancerError):
    """The invocation's event is not one this function accepts."""

    default_code = "event-invalid"


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("scheduled_time", check_fields=False)
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("must carry a UTC offset, e.g. 2026-11-23T14:35:00Z")
        return value


class RebalanceEvent(_Event):
    source: Literal["schedule", "manual"]
    scheduled_time: dt.datetime | None = None
    execution_id: str | None = None
    attempt: int = 1
    schedule_arn: str | None = None
    dry_run: bool = False
    # An operator's retry of today's run after a failure without orders (docs/runbook.md, "Rerun").
    rerun: bool = False

    @model_validator(mode="after")
    def _schedule_has_its_time(self) -> RebalanceEvent:
        if self.source == "schedule" and self.scheduled_time is None:
            raise ValueError("a scheduled event must carry scheduled_time (<aws.scheduler.scheduled-time>)")
        if self.source == "schedule" and self.dry_run:
            raise ValueError("a scheduled event cannot be a dry run")
        if self.source == "schedule" and self.rerun:
            raise ValueError("a scheduled event cannot be a rerun (an operator invokes one by hand)")
        return self


class CheckEvent(_Event):
    """The health check's and the watchdog's event: scheduled or on demand."""

    source: Literal["schedule", "manual"]
    scheduled_time: dt.datetime | None = None


def _parse(model: type[_Event], event: Any, function: str) -> Any:
    if not isinstance(event, Mapping):
        raise EventError(
            f"the {function} event must be a JSON object, not {type(event).__name__}",
            hint=f"invoke with events/{function}.json as a template",
        )
    try:
        return model.model_validate(dict(event))
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}" for e in err.errors()
        )
        raise EventError(
            f"the {function} event is invalid: {problems}",
            hint=f"compare it with events/{'scheduled' if function == 'rebalance' else function}.json",
            where="event",
        ) from None


def parse_rebalance_event(event: Any) -> RebalanceEvent:
    result: RebalanceEvent = _parse(RebalanceEvent, event, "rebalance")
    return result


def parse_check_event(event: Any, function: str) -> CheckEvent:
    result: CheckEvent = _parse(CheckEvent, event, function)
    return result
