"""The whole stack on loopback: moto (the stack's resources, created from aws/resources.py), the Alpaca
emulator on the synthetic market, and the environment the template gives the functions, so that the real
handlers run unchanged. `make demo` and the stack's integration tests use it.

    >>> with local_deployment(Path("config/paper.yaml")) as local:           # doctest: +SKIP
    ...     response = local.invoke("rebalance", local.scheduled_event())
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rebalancer.aws.entry import reset_runtime
from rebalancer_tools.local.invoke import LocalContext, load_handler, repo_root
from rebalancer_tools.local.moto import LocalStack, TopicInbox, local_environ, moto_server


@contextlib.contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set variables for the duration (this process only), then restore the previous values."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@dataclass
class LocalDeployment:
    stack: LocalStack
    session: Any  # rebalancer_tools.local.emulator_session.BrokerSession (with .emulator)
    inbox: TopicInbox
    config_file: Path

    @property
    def emulator(self) -> Any:
        return self.session.emulator

    def scheduled_event(self, at: dt.datetime | None = None, *, attempt: int = 1) -> dict[str, Any]:
        """events/scheduled.json with the scheduled time set to `at` (default: the emulator's now)."""
        event: dict[str, Any] = json.loads((repo_root() / "events" / "scheduled.json").read_text())
        moment = (at or self.session.now()).astimezone(dt.UTC)
        event["scheduled_time"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        event["execution_id"] = str(uuid.uuid4())
        event["attempt"] = str(attempt)
        return event

    def invoke(self, function: str, event: Any) -> dict[str, Any]:
        handler = load_handler(function)
        return handler(event, LocalContext.for_function(function, self.stack.names.env))


def _emulator_scope(config_file: Path) -> tuple[set[str], int]:
    """The symbols the configured strategies need and how many sessions of history to serve."""
    from rebalancer.config.loader import load_config_with_sources
    from rebalancer.run.config_bridge import settings_from_config
    from rebalancer_tools.local.emulator_session import emulator_scope

    symbols, sessions = emulator_scope(settings_from_config(load_config_with_sources(config_file)))
    return symbols | {"SPY"}, sessions


@contextlib.contextmanager
def local_deployment(
    config_file: Path,
    *,
    at: dt.datetime | None = None,
    secret: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Iterator[LocalDeployment]:
    """moto + emulator + the stack's resources + the functions' environment; all undone afterwards.

    `secret` fills the Alpaca secret (default: the emulator's keys); `environ` adds or overrides
    variables (e.g. a REBALANCER_* setting).
    """
    from rebalancer_tools.local.emulator_session import (
        DEFAULT_AT,
        EMULATOR_KEY,
        EMULATOR_SECRET,
        emulator_session,
    )

    symbols, sessions = _emulator_scope(config_file)
    keys = {"key_id": EMULATOR_KEY, "secret_key": EMULATOR_SECRET} if secret is None else secret
    with (
        moto_server() as endpoint,
        emulator_session(at=at or DEFAULT_AT, symbols=symbols, sessions=sessions) as session,
    ):
        stack = LocalStack.at(endpoint)
        variables = {
            **local_environ(endpoint),
            **stack.names.to_environ(),
            "REBALANCER_CONFIG_FILE": str(config_file),
            "REBALANCER_BROKER__BASE_URL": session.emulator.url,
            "REBALANCER_BROKER__DATA_BASE_URL": session.emulator.url,
            "STACK_CLOCK": "broker",  # the emulator's simulated time is "now"
            "POWERTOOLS_SERVICE_NAME": "rebalancer",
            **(environ or {}),
        }
        with patched_environ(variables):
            stack.reset(secret=dict(keys))
            inbox = TopicInbox(stack.names.topic_arn, stack.clients)
            reset_runtime()
            try:
                yield LocalDeployment(stack, session, inbox, config_file)
            finally:
                reset_runtime()
