"""`rebalancer demo` (what `make demo` runs): the deployed stack on loopback, with nothing configured.

moto stands in for AWS (the stack's table, bucket, halt flag, secret and topic, created from the same
definitions as template.yaml), the Alpaca emulator for the broker. The real RebalanceFunction handler runs
for a scheduled event: orders reach the emulator, the records S3, the ledger DynamoDB, the report SNS.
Then the same event is delivered again and places nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

from rebalancer.errors import DataError
from rebalancer_tools.local.invoke import repo_root


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="run the Lambda stack locally on moto + the emulator")
    parser.add_argument("--config", type=Path, help="config file (default: config/paper.yaml)")
    parser.add_argument(
        "--verbose", action="store_true", help="also print the handler's JSON logs and metrics"
    )
    parser.set_defaults(func=_demo)


class _Capture:
    """The handler's stdout (Powertools JSON logs and EMF metric blobs), split per invocation."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self._seen = 0

    def new_lines(self) -> list[str]:
        text = self.buffer.getvalue()
        fresh, self._seen = text[self._seen :], len(text)
        return [line for line in fresh.splitlines() if line.strip()]


def _summarize(lines: list[str], verbose: bool) -> str:
    metrics: dict[str, Any] = {}
    logs = 0
    for line in lines:
        try:
            doc = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(doc, dict) and "_aws" in doc:
            for definition in doc["_aws"]["CloudWatchMetrics"]:
                for metric in definition["Metrics"]:
                    value = doc.get(metric["Name"])
                    metrics[metric["Name"]] = (
                        value[0] if isinstance(value, list) and len(value) == 1 else value
                    )
        else:
            logs += 1
    shown = ", ".join(f"{k}={v}" for k, v in sorted(metrics.items()))
    text = f"   handler output: {logs} JSON log lines; EMF metrics: {shown or 'none'}"
    return text + ("".join(f"\n     {line}" for line in lines) if verbose else "")


def _quote(text: str) -> str:
    return "\n".join(f"   | {line}" for line in text.rstrip().splitlines())


def _print_messages(local: Any) -> None:
    for message in local.inbox.messages():
        print(f"   SNS message (what the alert email receives):\n   | Subject: {message.subject}")
        print(_quote(message.body))


def _invoke(local: Any, capture: _Capture, event: dict[str, Any], verbose: bool) -> dict[str, Any]:
    with contextlib.redirect_stdout(capture.buffer):
        response: dict[str, Any] = local.invoke("rebalance", event)
    print(f"   handler response: {response['status']}: {response.get('message', response.get('error'))}")
    print(_summarize(capture.new_lines(), verbose))
    return response


def _demo(args: argparse.Namespace) -> int:
    from rebalancer_tools.local.deploy import local_deployment

    config = args.config or repo_root() / "config" / "paper.yaml"
    capture = _Capture()
    with local_deployment(config, environ={"POWERTOOLS_LOG_LEVEL": "INFO"}) as local:
        names, emulator = local.stack.names, local.emulator
        print("rebalancer demo: the Lambda stack on loopback (nothing configured, no AWS, no Alpaca account)")
        print(f"   moto (AWS) at {local.stack.endpoint}: table {names.table}, bucket {names.bucket},")
        print(f"     halt flag {names.halt_parameter} = off, secret {names.secret}, topic {names.topic_name}")
        clock = f"{local.session.now():%Y-%m-%d %H:%M} UTC"
        print(f"   Alpaca emulator at {emulator.url}: synthetic market, clock {clock}")
        event = local.scheduled_event()
        print(f"\n1) Scheduler -> RebalanceFunction (events/scheduled.json, {event['scheduled_time']})")
        first = _invoke(local, capture, event, args.verbose)
        _print_messages(local)
        run_id = first.get("run_id", "")
        if run_id:
            records = _records(local, run_id)
            print(f"   run record: s3://{names.bucket}/runs/{run_id}/ ({', '.join(records)})")
            for entry in _ledger(local)[:1]:
                print(
                    f"   ledger: {names.table} ledger#{names.env} / {entry.run_id}: {entry.status}, "
                    f"{entry.orders_submitted} submitted, {entry.orders_filled} filled"
                )
        placed = len(emulator.state.orders_by_client_id)
        retry = {**event, "execution_id": "retry-of-" + str(event["execution_id"]), "attempt": "2"}
        print(
            "\n2) The same scheduled time delivered again (a scheduler retry or a duplicate async delivery)"
        )
        second = _invoke(local, capture, retry, args.verbose)
        _print_messages(local)
        after = len(emulator.state.orders_by_client_id)
        verdict = "no order placed twice" if after == placed else "ORDERS PLACED AGAIN"
        print(
            f"   orders at the broker: {placed} after the first delivery, {after} after the second: {verdict}"
        )
        closed = emulator.prices.calendar.last_closed(emulator.clock.now())
        if closed is None:  # the calendar covers 1970-2029; the demo's clock is inside it
            raise DataError(
                "the demo's clock is before the emulator's first session",
                code="calendar-range",
                hint="the emulator's calendar covers 1970-2029",
            )
        decided_on = closed.date
    ok = first.get("status") == "completed" and second.get("status") == "duplicate" and after == placed
    print(what_next(decided_on))
    return 0 if ok else 1


def next_steps(decided_on: dt.date) -> list[tuple[str, str]]:
    """(command, what it shows): each runs locally as printed."""
    return [
        (
            f"rebalancer signals --as-of {decided_on}",
            "the same targets on the same synthetic prices, with each strategy's reasons",
        ),
        ("rebalancer backtest --out /tmp/backtest", "these strategies over the synthetic history"),
        ("rebalancer plan", "a run up to the orders; its records stay in .rebalancer/runs/"),
        ("rebalancer replay RUN_ID", "re-evaluate a recorded run (the id `plan` prints) and compare"),
        ("rebalancer emulator", "an Alpaca emulator: point alpaca-py or your bot at its URL and keys"),
    ]


def what_next(decided_on: dt.date) -> str:
    """The closing lines: where to look next."""
    steps = next_steps(decided_on)
    width = max(len(command) for command, _ in steps)
    lines = ["", f"What next (the run above decided on the close of {decided_on}):"]
    lines += [f"   {command:<{width}}  {text}" for command, text in steps]
    lines.append(f"   {'docs/runbook.md':<{width}}  deploy to AWS with an Alpaca paper account")
    return "\n".join(lines)


def _records(local: Any, run_id: str) -> list[str]:
    from rebalancer.state.s3 import S3RunRecords

    return S3RunRecords(local.stack.names.bucket, clients=local.stack.clients).list_records(run_id)


def _ledger(local: Any) -> list[Any]:
    from rebalancer.state.dynamodb import DynamoDBStore

    store = DynamoDBStore(local.stack.names.table, records=None, clients=local.stack.clients)
    return store.recent_runs(local.stack.names.env, limit=1)
