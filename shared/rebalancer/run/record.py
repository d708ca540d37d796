"""The run record: every input and decision of a run, written through the Store, enough to replay it.

Records of run `paper-2026-01-05-open`: `inputs.json` (config and its hash, code version, account,
positions, open orders, assets, strategy sources, bars digest), `bars.npz` (compressed), `decision.json`
(per strategy weights and trace, targets), `plan.json` (plan, risk decision), `buys.json` (buy-phase inputs
and plan), `journal-sell.json` / `journal-buy.json` (legs written before they are sent: a resumed run
reconciles them), `orders.json`, `result.json`, `report.txt`.

    >>> recorder = RunRecorder(MemoryStore(), "paper-2026-01-05-open")  # doctest: +SKIP
    >>> recorder.put_json("plan.json", {"sells": []})                   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Sequence
from importlib import metadata
from typing import Any

import numpy as np

from rebalancer.errors import StateError
from rebalancer.market.history import PriceHistory
from rebalancer.run.result import Leg
from rebalancer.run.serialize import to_json
from rebalancer.state.base import RunRecords

BARS = "bars.npz"


def code_version() -> str:
    """The package version, plus the deployed commit when the environment names it."""
    try:
        version = metadata.version("rebalancer")
    except metadata.PackageNotFoundError:
        version = "unknown"
    commit = os.environ.get("REBALANCER_CODE_VERSION", "")
    return f"{version}+{commit}" if commit else version


def bars_to_bytes(history: PriceHistory) -> bytes:
    """A deterministic compressed npz of the bars (same history -> same bytes -> same digest)."""
    buffer = io.BytesIO()
    opens = history.open if history.open is not None else np.empty((0, 0))
    np.savez_compressed(
        buffer,
        dates=history.dates.astype("datetime64[D]").astype(np.int64),
        symbols=np.array(history.symbols, dtype=np.str_),
        close=history.close,
        open=opens,
    )
    return buffer.getvalue()


def bars_from_bytes(data: bytes) -> PriceHistory:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        opens = npz["open"]
        return PriceHistory(
            npz["dates"].astype("datetime64[D]"),
            tuple(str(s) for s in npz["symbols"]),
            npz["close"],
            None if opens.size == 0 else opens,
        )


def bars_digest(history: PriceHistory) -> str:
    """sha256 over the raw arrays (independent of compression)."""
    digest = hashlib.sha256()
    digest.update(history.dates.astype("datetime64[D]").astype(np.int64).tobytes())
    digest.update("\x1f".join(history.symbols).encode())
    digest.update(np.ascontiguousarray(history.close).tobytes())
    if history.open is not None:
        digest.update(np.ascontiguousarray(history.open).tobytes())
    return digest.hexdigest()


class RunRecorder:
    def __init__(self, store: RunRecords, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self.location = ""

    def put_json(self, name: str, value: Any) -> str:
        text = json.dumps(to_json(value), sort_keys=True, indent=1, allow_nan=False)
        self.location = self.store.put_record(self.run_id, name, text.encode())
        return self.location

    def get_json(self, name: str) -> Any:
        data = self.store.get_record(self.run_id, name)
        try:
            return json.loads(data)
        except json.JSONDecodeError as err:
            raise StateError(
                f"record {self.run_id}/{name} is not JSON: {err}",
                code="record-corrupt",
                hint="the record was altered or truncated; restore it from the store's versions",
            ) from err

    def has(self, name: str) -> bool:
        return name in self.store.list_records(self.run_id)

    def put_text(self, name: str, text: str) -> str:
        return self.store.put_record(self.run_id, name, text.encode())

    def put_bars(self, history: PriceHistory) -> str:
        self.store.put_record(self.run_id, BARS, bars_to_bytes(history))
        return bars_digest(history)

    def get_bars(self, expected_digest: str) -> PriceHistory:
        history = bars_from_bytes(self.store.get_record(self.run_id, BARS))
        if bars_digest(history) != expected_digest:
            raise StateError(
                f"bars of run {self.run_id} do not match their recorded digest",
                code="record-digest-mismatch",
                hint="the record was altered or truncated; it cannot be replayed",
            )
        return history

    # -- the journal: legs are written before they are sent ----------------------------------

    def save_legs(self, phase: str, legs: Sequence[Leg]) -> None:
        self.put_json(f"journal-{phase}.json", [leg.to_dict() for leg in legs])

    def load_legs(self, phase: str) -> list[Leg] | None:
        """The legs a previous attempt of this run journaled, or None when it got no further."""
        if not self.has(f"journal-{phase}.json"):
            return None
        return [Leg.from_dict(item) for item in self.get_json(f"journal-{phase}.json")]
