"""On-disk backends: a Store, a HaltFlag and a Notifier under one directory (default `.rebalancer/`).

Layout: `leases/<run_id>.json`, `ledger/<env>/<run_id>.json`, `risk/<env>.json`, `runs/<run_id>/<name>`,
`halt/<env>` (the flag text), `outbox/<n>.txt` (sent messages). Every write is atomic (temp file +
os.replace); lease decisions are serialized by an O_EXCL mutex file, so two processes cannot both win.

    >>> import tempfile
    >>> store = DiskStore(tempfile.mkdtemp())
    >>> store.put_record("paper-2026-01-05-open", "plan.json", b"{}").endswith("plan.json")
    True
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from rebalancer.errors import StateError
from rebalancer.state.base import (
    JsonDict,
    LeaseOutcome,
    LedgerEntry,
    RunKey,
    TradingFlag,
    check_record_name,
)
from rebalancer.state.lease import LeaseRecord, complete, decide_lease, extend

DEFAULT_ROOT = ".rebalancer"
_MUTEX_WAIT_S = 5.0
_MUTEX_STALE_S = 30.0


def atomic_write(path: Path, data: bytes) -> None:
    """Write all of `data` or nothing: a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise StateError(f"cannot write {path}: {err}", code="disk-write-failed", hint="check space") from err


def _read_json(path: Path) -> JsonDict | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as err:
        raise StateError(f"cannot read {path}: {err}", code="disk-read-failed") from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise StateError(f"{path} is not valid JSON: {err}", code="disk-corrupt", where=str(path)) from err
    if not isinstance(data, dict):
        raise StateError(f"{path} does not hold a JSON object", code="disk-corrupt", where=str(path))
    return data


def _write_json(path: Path, data: JsonDict) -> None:
    atomic_write(path, json.dumps(data, sort_keys=True, indent=1).encode())


@contextlib.contextmanager
def _mutex(path: Path) -> Iterator[None]:
    """An exclusive lock file held only for the duration of one read-modify-write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + _MUTEX_WAIT_S
    while True:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            with contextlib.suppress(FileNotFoundError):
                if time.time() - path.stat().st_mtime > _MUTEX_STALE_S:
                    os.unlink(path)  # its holder died mid-update; updates themselves are atomic
                    continue
            if time.monotonic() > deadline:
                raise StateError(
                    f"lock {path} is busy", code="lease-lock-busy", hint="remove it if no run is active"
                ) from None
            time.sleep(0.01)
    try:
        os.close(fd)
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


class DiskStore:
    """A Store in a local directory."""

    def __init__(self, root: str | Path = DEFAULT_ROOT) -> None:
        self.root = Path(root)

    # -- lease --------------------------------------------------------------------------------

    def _lease_path(self, key: RunKey) -> Path:
        return self.root / "leases" / f"{key.run_id}.json"

    def _load_lease(self, key: RunKey) -> LeaseRecord | None:
        data = _read_json(self._lease_path(key))
        return None if data is None else LeaseRecord.from_dict(data)

    def acquire_lease(
        self, key: RunKey, owner: str, now: dt.datetime, ttl: dt.timedelta, *, reopen: bool = False
    ) -> LeaseOutcome:
        path = self._lease_path(key)
        with _mutex(path.with_suffix(".lock")):
            outcome, record = decide_lease(self._load_lease(key), key, owner, now, ttl, reopen=reopen)
            if record is not None:
                _write_json(path, record.to_dict())
        return outcome

    def extend_lease(self, key: RunKey, owner: str, expires_at: dt.datetime) -> None:
        path = self._lease_path(key)
        with _mutex(path.with_suffix(".lock")):
            record = extend(self._load_lease(key), key, owner, expires_at)
            _write_json(path, record.to_dict())

    def complete_lease(self, key: RunKey, owner: str, status: str) -> None:
        path = self._lease_path(key)
        with _mutex(path.with_suffix(".lock")):
            _write_json(path, complete(self._load_lease(key), key, owner, status).to_dict())

    def expire_lease(self, key: RunKey) -> None:
        """Test helper: make a held lease look crashed (expired long ago)."""
        current = self._load_lease(key)
        if current is None:
            raise StateError(f"no lease for {key.run_id}", code="lease-missing")
        past = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        record = LeaseRecord(current.owner, current.attempt, past, current.final_status)
        _write_json(self._lease_path(key), record.to_dict())

    # -- ledger -------------------------------------------------------------------------------

    def record_run(self, entry: LedgerEntry) -> None:
        _write_json(self.root / "ledger" / entry.env / f"{entry.run_id}.json", entry.to_dict())

    def recent_runs(self, env: str, limit: int = 20) -> list[LedgerEntry]:
        folder = self.root / "ledger" / env
        entries = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            data = _read_json(path)
            if data is not None:
                entries.append(LedgerEntry.from_dict(data))
        return sorted(entries, key=lambda e: e.started_at, reverse=True)[:limit]

    # -- risk state ---------------------------------------------------------------------------

    def load_risk_state(self, env: str) -> JsonDict | None:
        return _read_json(self.root / "risk" / f"{env}.json")

    def save_risk_state(self, env: str, state: JsonDict) -> None:
        _write_json(self.root / "risk" / f"{env}.json", state)

    def load_books(self, env: str) -> JsonDict | None:
        return _read_json(self.root / "books" / f"{env}.json")

    def save_books(self, env: str, books: JsonDict) -> None:
        _write_json(self.root / "books" / f"{env}.json", books)

    # -- records ------------------------------------------------------------------------------

    def _run_dir(self, run_id: str) -> Path:
        return self.root / "runs" / check_record_name(run_id)

    def put_record(self, run_id: str, name: str, data: bytes) -> str:
        path = self._run_dir(run_id) / check_record_name(name)
        atomic_write(path, data)
        return str(path)

    def get_record(self, run_id: str, name: str) -> bytes:
        path = self._run_dir(run_id) / check_record_name(name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise StateError(
                f"run {run_id} has no record {name!r} (looked in {path.parent})",
                code="record-missing",
                hint="check --records points at the run's store; the run may have stopped before writing it",
            ) from None

    def list_records(self, run_id: str) -> list[str]:
        folder = self._run_dir(run_id)
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


class DiskHaltFlag:
    """The halt flag as a one-word file; a missing file means `off` (never set)."""

    def __init__(self, root: str | Path = DEFAULT_ROOT, env: str = "paper") -> None:
        self.path = Path(root) / "halt" / env

    def read(self) -> TradingFlag:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return TradingFlag.OFF
        except OSError as err:
            raise StateError(
                f"cannot read halt flag {self.path}: {err}", code="halt-flag-unreadable"
            ) from err
        return TradingFlag.parse(text)

    def write(self, flag: TradingFlag) -> None:
        atomic_write(self.path, f"{flag.value}\n".encode())


class DiskNotifier:
    """Writes each message to `outbox/` (numbered files), for local runs and inspection."""

    def __init__(self, root: str | Path = DEFAULT_ROOT) -> None:
        self.folder = Path(root) / "outbox"

    def send(self, subject: str, body: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        number = len(list(self.folder.glob("*.txt"))) + 1
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        atomic_write(self.folder / f"{number:05d}-{stamp}.txt", f"Subject: {subject}\n\n{body}\n".encode())
