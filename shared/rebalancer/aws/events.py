"""The events the functions accept, validated (pydantic): anything else is a clear error and no trade.

The scheduler sends the Input written in template.yaml (events/scheduled.json is a copy):
`scheduled_time` is stable across the scheduler's retries, so its New York date (with the configured
slot) is the run's idempotency key; `execution_id` differs per attempt and is logged with every line.
Times must be RFC 3339 text with an offset (a number is refused, never read as a Unix epoch); once the
clock is known, a scheduled time more than FUTURE_SKEW ahead of it is refused (check_scheduled_time);
text fields are bounded (an oversized `execution_id` would be copied into every log line).

    >>> ev = parse_rebalance_event({"source": "schedule", "scheduled_time": "2026-11-23T14:35:00Z",
    ...                             "execution_id": "e1", "attempt": "1"})
    >>> ev.scheduled_time.isoformat(), ev.attempt, ev.dry_run
    ('2026-11-23T14:35:00+00:00', 1, False)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rebalancer.errors import RebalancerError

# The scheduler invokes at the scheduled time or later: a few minutes ahead is clock skew, more is wrong.
FUTURE_SKEW = dt.timedelta(minutes=5)
TIME_TEXT_LIMIT = 40  # "2026-11-23T14:35:00.000000+00:00" is 32
ID_PATTERN = r"^[A-Za-z0-9_.:/-]{1,128}$"  # scheduler execution ids are UUIDs; manual ones are short words
ARN_PATTERN = r"^arn:[A-Za-z0-9_.:/-]{1,2044}$"


class EventError(RebalancerError):
    """The invocation's event is not one this function accepts."""

    default_code = "event-invalid"


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("scheduled_time", mode="before", check_fields=False)
    @classmethod
    def _text(cls, value: Any) -> Any:
        # pydantic would read a number as a Unix epoch: a scheduler's time is always RFC 3339 text.
        if value is None or isinstance(value, dt.datetime):
            return value
        if not isinstance(value, str):
            raise ValueError(f"must be RFC 3339 text, e.g. 2026-11-23T14:35:00Z, not {type(value).__name__}")
        if len(value) > TIME_TEXT_LIMIT:
            raise ValueError(f"must be RFC 3339 text of at most {TIME_TEXT_LIMIT} characters")
        return value

    @field_validator("scheduled_time", check_fields=False)
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("must carry a UTC offset, e.g. 2026-11-23T14:35:00Z")
        return value


class RebalanceEvent(_Event):
    source: Literal["schedule", "manual"]
    scheduled_time: dt.datetime | None = None
    execution_id: str | None = Field(default=None, pattern=ID_PATTERN)
    attempt: int = Field(default=1, ge=1, le=1000)
    schedule_arn: str | None = Field(default=None, pattern=ARN_PATTERN)
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


def check_scheduled_time(event: RebalanceEvent | CheckEvent, now: dt.datetime) -> None:
    """Refuse a scheduled time more than FUTURE_SKEW after `now` (it would run as today's run)."""
    if event.scheduled_time is not None and event.scheduled_time > now + FUTURE_SKEW:
        raise EventError(
            f"scheduled_time {event.scheduled_time.isoformat()} is after now ({now.isoformat()}) "
            f"by more than {int(FUTURE_SKEW.total_seconds() // 60)} minutes",
            code="event-time-in-future",
            hint="the scheduler sends <aws.scheduler.scheduled-time>; by hand, give the time the run was due",
            where="event.scheduled_time",
        )


def _problem(error: Any) -> str:
    """One validation problem, naming the field, never quoting the (possibly huge) value."""
    where = ".".join(str(p) for p in error["loc"]) or "event"
    message = str(error["msg"])
    if error.get("type") == "string_pattern_mismatch":
        message = "must be at most 128 (ARNs 2048) letters, digits or _ . : / -"
    return f"{where}: {message[:200]}"


def example_event_file(function: str) -> str:
    """The shipped event a user can copy (the rebalance function's is the scheduler's, scheduled.json)."""
    return f"events/{'scheduled' if function == 'rebalance' else function}.json"


def _parse(model: type[_Event], event: Any, function: str) -> Any:
    if not isinstance(event, Mapping):
        raise EventError(
            f"the {function} event must be a JSON object, not {type(event).__name__}",
            hint=f"invoke with {example_event_file(function)} as a template",
        )
    try:
        return model.model_validate(dict(event))
    except ValidationError as err:
        problems = "; ".join(_problem(e) for e in err.errors(include_input=False))
        raise EventError(
            f"the {function} event is invalid: {problems}",
            hint=f"compare it with {example_event_file(function)}",
            where="event",
        ) from None


def parse_rebalance_event(event: Any) -> RebalanceEvent:
    result: RebalanceEvent = _parse(RebalanceEvent, event, "rebalance")
    return result


def parse_check_event(event: Any, function: str) -> CheckEvent:
    result: CheckEvent = _parse(CheckEvent, event, function)
    return result
