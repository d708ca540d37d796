"""A resumed run settles what its earlier attempts sent before it plans anything.

An attempt journals its legs before sending them. After a crash (or an operator's rerun) the next
attempt first looks every journaled leg up by client_order_id:
- a leg the broker has is waited for until it fills or the fill timeout passes, then canceled if still
  open: its fills are in the positions the new plan starts from, so the buy budget is what actually
  filled, and the leg is reported with this run's outcomes;
- a leg the broker never saw is dropped: the new plan re-sizes it from the settled account. The crashed
  process cannot still be sending it: its lease outlived the function (run/holds.py).
New legs take the next free number of their (symbol, side) after the legs the broker has, so no id is
ever reused for a second order and no quantity is traded twice.

    >>> settled = settle(executor, recorder, resumed=True)        # doctest: +SKIP
    >>> settled.attempt_for("SPY", OrderSide.SELL)                 # doctest: +SKIP
    2
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rebalancer.broker.models import OrderSide
from rebalancer.run.execution import Executor
from rebalancer.run.record import RunRecorder
from rebalancer.run.result import Leg, OrderOutcome

PHASES = ("sell", "buy")


@dataclass
class Settled:
    outcomes: list[OrderOutcome] = field(default_factory=list)  # earlier legs the broker has, final
    kept: dict[str, list[Leg]] = field(default_factory=dict)  # phase -> those legs, kept in the journal
    dropped: list[Leg] = field(default_factory=list)  # journaled, never seen by the broker

    def attempt_for(self, symbol: str, side: OrderSide) -> int:
        """The leg number of this run's next order in (symbol, side): above every one the broker has."""
        used = [leg_number(o.client_order_id) for o in self.outcomes if (o.symbol, o.side) == (symbol, side)]
        return max(used, default=0) + 1

    def journal(self, phase: str, fresh: list[Leg]) -> list[Leg]:
        return self.kept.get(phase, []) + fresh


def leg_number(client_id: str) -> int:
    """The n of an id ending in -s<n> or -b<n> (run/client_ids.py)."""
    tail = client_id.rsplit("-", 1)[-1]
    return int(tail[1:]) if tail[1:].isdigit() else 1


def settle(executor: Executor, recorder: RunRecorder, *, resumed: bool) -> Settled:
    """Wait for (then cancel what is left of) every journaled leg the broker has; drop the others."""
    if not resumed:
        return Settled()
    journals = {phase: recorder.load_legs(phase) or [] for phase in PHASES}
    legs = [leg for phase in PHASES for leg in journals[phase]]
    if not legs:
        return Settled()
    outcomes = executor.execute(legs, step="settle", reconcile=True, hold="re-planned by this attempt")
    seen = {o.client_order_id for o in outcomes if o.order is not None}
    return Settled(
        outcomes=[o for o in outcomes if o.order is not None],
        kept={phase: [leg for leg in journals[phase] if leg.client_order_id in seen] for phase in PHASES},
        dropped=[leg for leg in legs if leg.client_order_id not in seen],
    )
