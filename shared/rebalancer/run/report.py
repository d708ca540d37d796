"""The run report: one plain-text, email-friendly message per run; alerts are separate short messages.

Neutral mode (config `neutral_report`) leaves out every amount: quantities, dollars, prices, slippage.

    >>> subject, body = render_report(result, env="paper", per_strategy={}, neutral=False)  # doctest: +SKIP
    >>> subject                                                                             # doctest: +SKIP
    '[rebalancer paper] 2026-01-05 open: completed, 6 orders, 6 filled'
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from rebalancer.run.result import OrderOutcome, RunResult

HIDDEN = "-"


def render_report(
    result: RunResult, *, env: str, per_strategy: Mapping[str, Mapping[str, float]], neutral: bool
) -> tuple[str, str]:
    day = result.session_date.isoformat() if result.session_date else "?"
    subject = f"[rebalancer {env}] {day}: {result.status.value}"
    if result.outcomes:
        subject += f", {result.orders_submitted} orders, {result.orders_filled} filled"
    lines = [f"Run {result.run_id} (attempt {result.attempt}): {result.status.value}", result.message, ""]
    if per_strategy:
        lines.append("Targets per strategy:")
        for name, weights in per_strategy.items():
            lines.append(f"  {name}: {_weights(weights)}")
        lines.append(f"  combined: {_weights(result.targets)}")
        lines.append("")
    if result.books:
        lines.append("Strategy books:")
        lines.extend(f"  {line}" for line in result.books)
        lines.append("")
    if result.planned and not result.outcomes:
        lines.append("Planned orders (approved by risk):")
        lines.extend(f"  {line}" for line in result.planned)
        lines.append("")
    if result.outcomes:
        lines.append("Orders:")
        lines.extend("  " + _order_line(o, neutral) for o in result.outcomes)
        lines.append("")
    if result.denials:
        lines.append("Risk denials and clips:")
        for d in result.denials:
            symbol = f" {d['symbol']}" if d.get("symbol") else ""
            detail = "" if neutral else f": {d.get('detail', '')}"
            lines.append(f"  [{d['code']}]{symbol}{detail}")
        lines.append("")
    if result.warnings:
        lines.append("Warnings:")
        lines.extend(f"  - {w}" for w in result.warnings)
        lines.append("")
    if result.records_location:
        lines.append(f"Records: {result.records_location}")
    return subject, "\n".join(lines).rstrip() + "\n"


def render_alert(result: RunResult, *, env: str) -> tuple[str, str]:
    day = result.session_date.isoformat() if result.session_date else "?"
    subject = f"[rebalancer {env}] ALERT {day}: {result.status.value}"
    body = f"Run {result.run_id}: {result.status.value}\n{result.message}\n"
    if result.warnings:
        body += "\n" + "\n".join(f"- {w}" for w in result.warnings) + "\n"
    body += "\nSee docs/runbook.md for what to do.\n"
    return subject, body


def describe_planned(
    side: str, symbol: str, qty: Decimal | None, notional: Decimal | None, neutral: bool
) -> str:
    if neutral:
        return f"{side:<4} {symbol}"
    amount = f"qty {_num(qty)}" if qty is not None else f"${_num(notional)}"
    return f"{side:<4} {symbol:<6} {amount}"


def _weights(weights: Mapping[str, float]) -> str:
    if not weights:
        return "all cash"
    return ", ".join(f"{s} {w * 100:.1f}%" for s, w in sorted(weights.items(), key=lambda kv: -kv[1]))


def _order_line(o: OrderOutcome, neutral: bool) -> str:
    status = "not placed" if o.order is None else o.order.status.value
    if o.canceled_at_timeout:
        status += " (canceled at fill timeout)"
    line = f"{o.side.value:<4} {o.symbol:<6} {status}"
    if not neutral:
        amount = f"qty {_num(o.qty)}" if o.qty is not None else f"${_num(o.notional)}"
        if o.limit_price is not None:
            amount += f" limit {_num(o.limit_price)}"
        line += f" | asked {amount}, filled {_num(o.filled_qty)} @ {_num(o.fill_price)}"
        if o.slippage_bps is not None:
            line += f", slippage {o.slippage_bps} bps"
    if o.latency_s is not None:
        line += f", {o.latency_s:.2f} s"
    if o.error:
        line += f" | {o.error}"
    return line


def _num(value: Decimal | None) -> str:
    if value is None:
        return HIDDEN
    return f"{value.normalize():f}"
