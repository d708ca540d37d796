"""The human-readable (table) form of `rebalancer signals`: per strategy the decisions that mattered and
its weights, then the combined portfolio with each strategy's contribution.

Runs of three or more false tests collapse into one line (an overbought chain where nothing fired
reads as "no  11 tests: ..."), so the lines left are the ones that decided the holdings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from rebalancer.symphony.trace import TraceStep

if TYPE_CHECKING:
    from rebalancer_tools.cli.signals_cmd import Signals, StrategySignal

WIDTH = 100
COLLAPSE_FALSE_RUNS = 3


def format_table(signals: Signals) -> str:
    lines = [f"Signals for {signals.as_of.isoformat()} - {signals.source}", ""]
    for strategy in signals.strategies:
        lines.extend(_strategy_block(strategy))
        lines.append("")
    lines.extend(_portfolio_block(signals))
    return "\n".join(lines) + "\n"


def _strategy_block(strategy: StrategySignal) -> list[str]:
    header = f"{strategy.name.upper()}  {_pct(strategy.allocation)} of the portfolio  ({strategy.title})"
    lines = [header, "  why:"]
    lines.extend(f"    {line}" for line in decision_lines(strategy.trace))
    lines.append("  holds:")
    lines.extend(f"    {symbol:<6} {_pct(weight):>8}" for symbol, weight in _by_weight(strategy.weights))
    return lines


def _portfolio_block(signals: Signals) -> list[str]:
    lines = [
        "PORTFOLIO  (allocation-weighted sum of the strategies)",
        f"    {'symbol':<6} {'weight':>8}   from",
    ]
    for symbol, weight in _by_weight(signals.portfolio):
        parts = [
            f"{s.name} {_pct(s.allocation * s.weights[symbol])}"
            for s in signals.strategies
            if symbol in s.weights and s.allocation > 0
        ]
        lines.append(f"    {symbol:<6} {_pct(weight):>8}   {', '.join(parts)}")
    lines.append(f"    {'total':<6} {_pct(sum(signals.portfolio.values())):>8}")
    return lines


def decision_lines(trace: Iterable[TraceStep]) -> list[str]:
    """One line per decision that mattered: true tests, collapsed false runs, filters, groups."""
    lines: list[str] = []
    false_run: list[TraceStep] = []
    for step in trace:
        if step.kind == "if" and step.outcome is False:
            false_run.append(step)
            continue
        lines.extend(_false_lines(false_run))
        false_run = []
        lines.extend(_step_lines(step))
    lines.extend(_false_lines(false_run))
    return lines


def _false_lines(run: list[TraceStep]) -> Iterator[str]:
    """A long run of false tests collapses, except its last one: the test whose else-branch was taken."""
    if len(run) >= COLLAPSE_FALSE_RUNS:
        names = ", ".join(step.description for step in run[:-1])
        yield _clip(f"no    {len(run) - 1} tests: {names}")
        run = run[-1:]
    for step in run:
        yield _condition_line("no", step)


def _step_lines(step: TraceStep) -> Iterator[str]:
    if step.kind == "if":
        yield _condition_line("yes" if step.outcome is True else str(step.outcome), step)
    elif step.kind == "filter":
        chosen = step.outcome if isinstance(step.outcome, list) else [str(step.outcome)]
        values = ", ".join(f"{name} {_number(step.values[name])}" for name in chosen if name in step.values)
        head, _, _ = step.description.partition(" of [")
        yield _clip(f"pick  {', '.join(chosen):<16} {head} of {len(step.values)}: {values}")
    elif step.kind == "weight-inverse-volatility":
        vols = ", ".join(f"{name} {_number(vol)}" for name, vol in step.values.items())
        yield _clip(f"vol   {step.description}: volatility {vols}")
    elif step.kind == "group":
        yield f"in    {step.description}"


def _condition_line(verdict: str, step: TraceStep) -> str:
    values = " vs ".join(_number(v) for v in step.values.values())
    return _clip(f"{verdict:<5} {step.description:<56} {values}")


def _number(value: float) -> str:
    return "undefined" if math.isnan(value) else f"{value:.2f}"


def _clip(line: str) -> str:
    return line if len(line) <= WIDTH else line[: WIDTH - 3] + "..."


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.2f}%"


def _by_weight(weights: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(weights.items(), key=lambda item: (-item[1], item[0]))
