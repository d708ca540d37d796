"""Replay a recorded run: re-evaluate its recorded inputs and check the targets and plan come out identical.

    >>> report = replay_run(DiskStore(".rebalancer"), "paper-2026-01-05-market-open")  # doctest: +SKIP
    >>> report.identical, report.differences                                           # doctest: +SKIP
    (True, [])

Everything comes from the record: the symphony sources as they were, the bars (checked against their
sha256 digest), account, positions, open orders, assets, limits, risk state and halt flag.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rebalancer.broker.models import Account, AssetInfo, Order, Position
from rebalancer.portfolio.books import net_weights
from rebalancer.portfolio.plan import plan_buys, plan_orders
from rebalancer.portfolio.plan_model import Plan, PlanOptions
from rebalancer.portfolio.risk import RiskLimits, RiskState, TradingState, assess, limit_targets
from rebalancer.run.client_ids import belongs_to_run, made_by_rebalancer
from rebalancer.run.decide import decide
from rebalancer.run.prices import decision_prices
from rebalancer.run.record import RunRecorder
from rebalancer.run.serialize import from_json, to_json
from rebalancer.state.base import RunKey, RunRecords
from rebalancer.strategies import strategies_from_record


@dataclass
class ReplayReport:
    run_id: str
    targets: dict[str, float] = field(default_factory=dict)
    orders: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differences

    def format(self) -> str:
        lines = [f"Replay of {self.run_id}: {'identical' if self.identical else 'DIFFERENT'}"]
        lines.append("Targets: " + ", ".join(f"{s} {w * 100:.2f}%" for s, w in sorted(self.targets.items())))
        lines.append("Plan:")
        lines.extend(f"  {line}" for line in self.orders or ["(no orders)"])
        lines.extend(f"  difference: {d}" for d in self.differences)
        return "\n".join(lines) + "\n"


def replay_run(store: RunRecords, run_id: str) -> ReplayReport:
    recorder = RunRecorder(store, run_id)
    inputs = recorder.get_json("inputs.json")
    report = ReplayReport(run_id)
    history = recorder.get_bars(inputs["bars_digest"])
    strategies = strategies_from_record(inputs["strategies"])
    decision_date = dt.date.fromisoformat(inputs["decision_date"])
    decision = decide(strategies, history, decision_date)
    report.targets = decision.targets
    recorded = recorder.get_json("decision.json")
    _compare(report, "targets", to_json(decision.targets), recorded["targets"])
    _compare(report, "per-strategy weights", to_json(decision.per_strategy), recorded["per_strategy"])
    _compare(report, "traces", to_json(decision.traces), recorded["traces"])
    if recorder.has("plan.json"):
        targets = decision.targets
        if recorder.has("books.json"):  # the per-strategy books' netted targets (run/books_step.py)
            journal = recorder.get_json("books.json")
            equity = from_json(Account, inputs["account"]).equity
            values = [{s: Decimal(v) for s, v in t.items()} for t in journal["targets"].values()]
            targets = {s: float(w) for s, w in net_weights(values, equity).items()}
        _replay_plan(report, recorder, inputs, targets, history)
    return report


def _replay_plan(
    report: ReplayReport,
    recorder: RunRecorder,
    inputs: dict[str, Any],
    targets: dict[str, float],
    history: Any,
) -> None:
    recorded = recorder.get_json("plan.json")
    key_doc = inputs["run_key"]
    key = RunKey(key_doc["env"], dt.date.fromisoformat(key_doc["session_date"]), key_doc["slot"])
    account = from_json(Account, inputs["account"])
    positions = [from_json(Position, p) for p in inputs["positions"]]
    open_orders = [from_json(Order, o) for o in inputs["open_orders"]]
    assets = {s: from_json(AssetInfo, a) for s, a in recorded["assets"].items()}
    options = from_json(PlanOptions, inputs["plan_options"])
    limits = from_json(RiskLimits, inputs["risk_limits"])
    saved_state = inputs.get("risk_state")
    state = RiskState() if saved_state is None else RiskState.from_dict(saved_state)
    universe = recorder.get_json("universe.json")
    prices = decision_prices(history, positions)
    if recorder.has("prices.json"):  # the run sized its orders from the live prices it recorded
        prices = {s: Decimal(str(p)) for s, p in recorder.get_json("prices.json")["live"].items()}
    kept = [
        o
        for o in open_orders
        if belongs_to_run(o.client_order_id, key) or not made_by_rebalancer(o.client_order_id)
    ]
    limited = limit_targets(targets, limits, universe)
    plan = Plan()  # as the run: equity <= 0 sizes nothing and the risk engine halts
    if account.equity > 0:
        plan = plan_orders(limited.weights, account, positions, prices, assets, options, open_orders=kept)
    risk = assess(
        targets,
        plan,
        account,
        positions,
        limits,
        state,
        universe,
        halt_flag=TradingState.from_flag(inputs["flag"]),
        today=key.session_date,
    )
    _compare(report, "plan", plan.to_dict(), recorded["plan"])
    _compare(report, "risk decision", risk.to_dict(), recorded["risk"])
    report.orders = [_describe(o) for o in risk.approved.orders]
    if recorder.has("buys.json"):
        buys_doc = recorder.get_json("buys.json")
        buys = plan_buys(
            limited.weights,
            from_json(Account, buys_doc["account"]),
            [from_json(Position, p) for p in buys_doc["positions"]],
            prices,
            assets,
            options,
            open_orders=[o for o in open_orders if not made_by_rebalancer(o.client_order_id)],
        )
        _compare(report, "buy plan", buys.to_dict(), buys_doc["plan"])


def _describe(order: Any) -> str:
    amount = f"qty {order.qty}" if order.qty is not None else f"${order.notional}"
    return f"{order.side.value} {order.symbol} {amount} ({order.reason})"


def _compare(report: ReplayReport, what: str, replayed: Any, recorded: Any) -> None:
    if _normalize(replayed) != _normalize(recorded):
        report.differences.append(f"{what} differ: replayed {replayed!r} vs recorded {recorded!r}"[:2000])


def _normalize(value: Any) -> Any:
    """JSON round trip, so tuples/lists and Decimal strings compare as the record stores them."""
    import json

    return json.loads(json.dumps(to_json(value), sort_keys=True, default=str))
