"""Execution: place a batch of legs in parallel, wait for fills by polling with backoff, cancel leftovers.

Every leg carries its deterministic client_order_id. A resumed run first looks each leg up by that id and
only submits the ones the broker has never seen, so nothing is ever placed twice.

    executor = Executor(broker, ExecutionSettings(), sleep=time.sleep, monotonic=time.monotonic)
    outcomes = executor.execute(legs, step="sell")
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from rebalancer.broker.base import Broker
from rebalancer.broker.models import Order
from rebalancer.errors import BrokerError
from rebalancer.run.result import Leg, OrderOutcome
from rebalancer.run.settings import ExecutionSettings

# Adapter error codes after which posting the same client_order_id again is safe (the broker refuses a
# second order under one id, and the adapter then finds the first).
RETRYABLE = frozenset({"submit-failed", "rate-limited"})
# Codes that settle a submission: a refusal, or a rate limit (never processed). Any other error (a
# timeout, a 5xx, no order found *yet* after an unanswered POST: submit-failed, a re-post refused after
# one: submit-ambiguous) leaves it unknown whether the broker took the order: it is looked up again
# after `settle_s`, and every leg without an order is looked up once more before the run reports.
SETTLED = frozenset({"rate-limited", "order-rejected"})

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Tracked:
    leg: Leg
    order: Order | None = None
    error: str = ""
    submitted_at: float | None = None
    done_at: float | None = None
    canceled_at_timeout: bool = False
    unknown: bool = False  # the submission's outcome is not known: look the order up again
    held: bool = False  # deliberately not sent (`hold`): the broker cannot have it
    adopted: bool = False  # found at the broker after its submission looked refused or lost

    def outcome(self) -> OrderOutcome:
        latency = None
        if self.order is not None and self.order.filled_qty > 0 and self.submitted_at is not None:
            latency = max(0.0, (self.done_at or self.submitted_at) - self.submitted_at)
        leg = self.leg
        return OrderOutcome(
            leg.client_order_id,
            leg.symbol,
            leg.side,
            leg.qty,
            leg.notional,
            leg.decision_price,
            leg.limit_price,
            order=self.order,
            error=self.error,
            latency_s=latency,
            canceled_at_timeout=self.canceled_at_timeout,
            adopted=self.adopted,
        )


class Executor:
    def __init__(
        self,
        broker: Broker,
        settings: ExecutionSettings,
        *,
        sleep: Callable[[float], None],
        monotonic: Callable[[], float],
        on_step: Callable[[str], None] | None = None,
    ) -> None:
        self.broker = broker
        self.settings = settings
        self.sleep = sleep
        self.monotonic = monotonic
        self.on_step = on_step or _no_step

    def parallel(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """fn over items on a small thread pool (the adapter's rate limiter bounds the request rate)."""
        if len(items) <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.settings.max_parallel, len(items))) as pool:
            return list(pool.map(fn, items))

    # -- stale orders -------------------------------------------------------------------------

    def cancel_orders(self, orders: Sequence[Order]) -> list[Order]:
        """Cancel these open orders and wait until the broker reports each one closed."""
        self.parallel(lambda order: self.broker.cancel_order(order.order_id), list(orders))
        tracked = [_Tracked(_leg_of(order), order, submitted_at=self.monotonic()) for order in orders]
        self._wait(tracked, timeout=self.settings.fill_timeout_s)
        still_open = [t.order for t in tracked if t.order is not None and t.order.status.is_open]
        if still_open:
            raise BrokerError(
                f"{len(still_open)} stale orders did not cancel: {', '.join(o.symbol for o in still_open)}",
                code="cancel-stuck",
                hint="cancel them in the Alpaca dashboard, then re-run",
            )
        return [t.order for t in tracked if t.order is not None]

    # -- a batch of legs ----------------------------------------------------------------------

    def execute(
        self, legs: Sequence[Leg], *, step: str, reconcile: bool = False, hold: str = ""
    ) -> list[OrderOutcome]:
        """Submit (or, when `reconcile`, first find) every leg, wait for fills, cancel what is left.

        With `hold` (a reason), legs the broker has never seen are not sent; found ones are still tracked.
        """
        tracked = [_Tracked(leg) for leg in legs]
        if reconcile:
            self.parallel(self._find, tracked)
        unsent = [t for t in tracked if t.order is None]
        if hold:
            for t in unsent:
                t.error, t.held = f"not-sent: {hold}", True
        else:
            self.parallel(lambda t: self._submit(t, step), unsent)
            # Resolve unknown outcomes by client_order_id, never by posting again, and only once the
            # broker has had time to process a POST still in flight. If the broker cannot answer, its
            # BrokerError ends the run and a resumed run reconciles the journal.
            unknown = [t for t in unsent if t.unknown and t.order is None]
            if unknown:
                self.sleep(self.settings.settle_s)
                self.parallel(self._find, unknown)
        self._wait([t for t in tracked if t.order is not None], timeout=self.settings.fill_timeout_s)
        self._cancel_leftovers(tracked)
        self._last_look(tracked)
        return [t.outcome() for t in tracked]

    def _last_look(self, tracked: Sequence[_Tracked]) -> None:
        """Every leg the broker might have but the record does not is looked up once more, after the fill
        wait: a POST that outlived its answer and arrived late is adopted (waited for, then canceled if
        still open) instead of being reported as never placed."""
        missing = [t for t in tracked if t.order is None and not t.held]
        self.parallel(self._find, missing)
        late = [t for t in missing if t.order is not None]
        for t in late:
            t.adopted = True
        self._wait(late, timeout=self.settings.fill_timeout_s)
        self._cancel_leftovers(late)

    def _find(self, tracked: _Tracked) -> None:
        found = self.broker.get_order_by_client_id(tracked.leg.client_order_id)
        if found is not None:
            tracked.order = found
            if tracked.submitted_at is None:
                tracked.submitted_at = self.monotonic()
            tracked.error = ""

    def _submit(self, tracked: _Tracked, step: str) -> None:
        tracked.submitted_at = self.monotonic()
        delay = self.settings.poll_initial_s * 4
        for attempt in range(self.settings.submit_retries + 1):
            try:
                tracked.order = self.broker.submit_order(tracked.leg.request())
                tracked.error = ""
                break
            except BrokerError as err:
                tracked.error = f"{err.code}: {err.message}"
                tracked.unknown = tracked.unknown or err.code not in SETTLED
                if err.code not in RETRYABLE or attempt == self.settings.submit_retries:
                    break
            # The broker confirmed it has no order under this id, so posting the same id again is safe:
            # if it did arrive meanwhile, the broker refuses the duplicate id and the adapter finds it.
            self.sleep(delay)
            delay *= 2
        if tracked.order is not None and not tracked.order.status.is_open:
            tracked.done_at = self.monotonic()
        self.on_step(f"{step}-submitted:{tracked.leg.symbol}")

    def _wait(self, tracked: Sequence[_Tracked], *, timeout: float) -> None:
        """Poll until every order is closed or the timeout passes: one open-orders list per round."""
        deadline = self.monotonic() + timeout
        delay = self.settings.poll_initial_s
        while True:
            pending = [t for t in tracked if t.order is not None and t.order.status.is_open]
            if not pending:
                return
            remaining = deadline - self.monotonic()
            if remaining <= 0:
                return
            self.sleep(min(delay, remaining))
            delay = min(delay * 1.6, self.settings.poll_max_s)
            self._refresh(pending)

    def _refresh(self, pending: Sequence[_Tracked]) -> None:
        open_now = {o.order_id: o for o in self.broker.list_open_orders()}
        closed = []
        for t in pending:
            assert t.order is not None
            if t.order.order_id in open_now:
                t.order = open_now[t.order.order_id]
            else:
                closed.append(t)
        finals = self.parallel(lambda t: self.broker.get_order(_order_id(t)), closed)
        now = self.monotonic()
        for t, order in zip(closed, finals, strict=True):
            t.order = order
            if not order.status.is_open:
                t.done_at = now

    def _cancel_leftovers(self, tracked: Sequence[_Tracked]) -> None:
        leftovers = [t for t in tracked if t.order is not None and t.order.status.is_open]
        if not leftovers:
            return
        self.parallel(lambda t: self.broker.cancel_order(_order_id(t)), leftovers)
        for t in leftovers:
            t.canceled_at_timeout = True
        self._wait(leftovers, timeout=max(self.settings.poll_max_s * 4, 10.0))


def _no_step(step: str) -> None:  # noqa: ARG001
    return None


def _order_id(tracked: _Tracked) -> str:
    assert tracked.order is not None
    return tracked.order.order_id


def _leg_of(order: Order) -> Leg:
    return Leg(order.client_order_id, order.symbol, order.side, order.qty, order.notional, Decimal(0))
