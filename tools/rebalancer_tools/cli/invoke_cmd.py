"""`rebalancer invoke EVENT.json [--function rebalance|health|watchdog] [--env paper]`: run a function's
real handler in-process with the event, as Lambda would, and print its response.

Against moto set AWS_ENDPOINT_URL; against AWS it uses your credentials. The STACK_* variables the
template gives the function are derived from --env unless already set; the config is config/<env>.yaml
unless REBALANCER_CONFIG_FILE says otherwise.

    rebalancer invoke events/scheduled.json
    rebalancer invoke events/health.json --function health
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from rebalancer.aws.resources import ENV_VARS, ENVIRONMENTS
from rebalancer.errors import ConfigError
from rebalancer_tools.local.invoke import FUNCTIONS

OK_STATUSES = {"completed", "no-session", "duplicate", "planned"}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("invoke", help="run a Lambda handler in-process with an event file")
    parser.add_argument(
        "event", type=Path, help="the event (events/scheduled.json, manual.json, health.json)"
    )
    parser.add_argument("--function", choices=FUNCTIONS, default="rebalance")
    parser.add_argument("--env", choices=ENVIRONMENTS, default="paper")
    parser.set_defaults(func=_invoke)


def response_ok(response: dict[str, Any]) -> bool:
    if "ok" in response:
        return bool(response["ok"])
    return response.get("status") in OK_STATUSES


def _stack_environ(env: str) -> dict[str, str]:
    from rebalancer.aws.resources import StackResources
    from rebalancer.state.aws_clients import AwsClients

    variables: dict[str, str] = {}
    if not os.environ.get(ENV_VARS["table"]):
        clients = AwsClients()
        names = StackResources.derive(env, account_id=clients.account_id(), region=clients.region_name)
        variables.update(names.to_environ())
    variables.setdefault(
        "REBALANCER_CONFIG_FILE", os.environ.get("REBALANCER_CONFIG_FILE", f"config/{env}.yaml")
    )
    return variables


def _invoke(args: argparse.Namespace) -> int:
    from rebalancer.aws.entry import reset_runtime
    from rebalancer_tools.local.deploy import patched_environ
    from rebalancer_tools.local.invoke import LocalContext, load_handler

    try:
        event = json.loads(args.event.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ConfigError(f"cannot read the event {args.event}: {err}", code="event-unreadable") from err
    with patched_environ(_stack_environ(args.env)):
        reset_runtime()
        handler = load_handler(args.function)
        response = handler(event, LocalContext.for_function(args.function, args.env))
    print(json.dumps(response, indent=2, default=str))
    return 0 if response_ok(response) else 1
