"""Fan research tasks out over Dask (dask.distributed): an existing cluster, or one embedded on loopback.

Every task is `task(history, item)`. The price history is scattered to the workers once (broadcast), not
pickled into each task; items travel in batches (a few per worker), results stream back as batches
finish and are put back in the items' order, so a fanned-out run returns exactly what the serial run
returns. A task that raises becomes a `TaskFailure`
naming its item; the others go on.

    >>> results = fan_out(score_point, points, history, FanOutSettings(workers=2))  # doctest: +SKIP
    >>> [r for r in results if isinstance(r, TaskFailure)]                          # doctest: +SKIP
    []
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TextIO, TypeVar

from rebalancer.errors import ConfigError, RebalancerError
from rebalancer.market.history import PriceHistory

Item = TypeVar("Item")
Result = TypeVar("Result")
Task = Callable[[PriceHistory, Item], Result]
BATCHES_PER_WORKER = 4


@dataclass(frozen=True)
class FanOutSettings:
    """`scheduler`: a Dask scheduler address (tcp://host:8786); None embeds a local cluster of `workers`
    processes on 127.0.0.1. `workers` 1 without a scheduler runs in this process (the serial reference)."""

    scheduler: str | None = None
    workers: int = 1
    progress: bool = True

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ConfigError(
                f"--jobs must be at least 1, got {self.workers}", code="bad-jobs", hint="use --jobs 1 or more"
            )


def default_workers() -> int:
    """One worker per core, at most 4 (beyond that a laptop's memory, not its cores, runs out first)."""
    return max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class TaskFailure(Generic[Item]):
    """A task that raised: which item, and the error as the user should read it."""

    item: Item
    error: str

    def to_dict(self, describe: Callable[[Item], Any] = str) -> dict[str, Any]:
        return {"item": describe(self.item), "error": self.error}


def fan_out(
    task: Task[Item, Result],
    items: Sequence[Item],
    history: PriceHistory,
    settings: FanOutSettings,
    *,
    stream: TextIO | None = None,
) -> list[Result | TaskFailure[Item]]:
    """`task(history, item)` for every item, in the items' order, failures included in place."""
    bar = ProgressBar(len(items), stream or sys.stderr, enabled=settings.progress)
    if settings.scheduler is None and settings.workers == 1:
        results: list[Result | TaskFailure[Item]] = []
        for item in items:
            results.append(_run_one(task, history, item))
            bar.advance()
        bar.close()
        return results
    with _client(settings) as client:
        return _distributed(client, task, items, history, bar)


def _run_one(task: Task[Item, Result], history: PriceHistory, item: Item) -> Result | TaskFailure[Item]:
    try:
        return task(history, item)
    except RebalancerError as err:  # a typed refusal (bad parameter, missing data) for this item only
        return TaskFailure(item, str(err))
    except (ArithmeticError, ValueError, KeyError, IndexError) as err:
        return TaskFailure(item, f"{type(err).__name__}: {err}")


def _run_batch(
    task: Task[Item, Result], history: PriceHistory, items: Sequence[Item]
) -> list[Result | TaskFailure[Item]]:
    return [_run_one(task, history, item) for item in items]


def batch_size(items: int, workers: int) -> int:
    """Items per Dask task: about BATCHES_PER_WORKER tasks per worker. A backtest takes milliseconds and a
    task's round trip about a millisecond, so one task per item would spend the speed-up on overhead;
    several batches per worker still balance uneven items and stream results back."""
    return max(1, math.ceil(items / (max(1, workers) * BATCHES_PER_WORKER)))


def _distributed(
    client: Any, task: Task[Item, Result], items: Sequence[Item], history: PriceHistory, bar: ProgressBar
) -> list[Result | TaskFailure[Item]]:
    import distributed

    shared = client.scatter(history, broadcast=True)
    workers = len(client.scheduler_info().get("workers", {}))
    size = batch_size(len(items), workers)
    batches = [list(items[i : i + size]) for i in range(0, len(items), size)]
    futures = [client.submit(_run_batch, task, shared, batch, pure=False) for batch in batches]
    order = {future.key: index for index, future in enumerate(futures)}
    results: list[list[Result | TaskFailure[Item]]] = [[] for _ in batches]
    for future in distributed.as_completed(futures):  # type: ignore[no-untyped-call]
        index = order[future.key]
        if future.status == "error":  # the worker died or the task raised outside _run_one's net
            error = future.exception()
            results[index] = [
                TaskFailure(item, f"{type(error).__name__}: {error}") for item in batches[index]
            ]
        else:
            results[index] = future.result()
        future.release()
        bar.advance(len(batches[index]))
    bar.close()
    return [result for batch in results for result in batch]


@contextlib.contextmanager
def _client(settings: FanOutSettings) -> Iterator[Any]:
    try:
        import distributed
    except ImportError as err:
        raise ConfigError(
            "dask.distributed is not installed",
            code="dask-missing",
            hint="install the research extras: pip install -e '.[research]' (or use --jobs 1)",
        ) from err
    if settings.scheduler is not None:
        try:
            client = distributed.Client(settings.scheduler, timeout="20s")  # type: ignore[no-untyped-call]
        except OSError as err:
            raise ConfigError(
                f"cannot reach the Dask scheduler at {settings.scheduler}: {err}",
                code="dask-unreachable",
                hint="check the address (tcp://HOST:8786) and that the scheduler is running",
            ) from err
        with client:
            yield client
        return
    cluster = distributed.LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=settings.workers,
        threads_per_worker=1,  # the engine is numpy-bound; one task per process avoids GIL contention
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # loopback only; a random port never collides
        silence_logs=40,  # ERROR: worker start-up chatter would bury the progress bar
    )
    with cluster, distributed.Client(cluster) as client:  # type: ignore[no-untyped-call]
        yield client


class ProgressBar:
    """`[#####-----] 12/40` on one line of stderr (redrawn in place on a terminal, every 10% otherwise)."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO, *, enabled: bool) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.enabled = enabled and total > 0
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self._last_decile = -1

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        decile = 10 * self.done // self.total
        if self.tty:
            self.stream.write("\r" + self._line())
        elif decile != self._last_decile:
            self.stream.write(self._line() + "\n")
        self._last_decile = decile
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _line(self) -> str:
        filled = self.WIDTH * self.done // self.total
        return f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {self.done}/{self.total}"
