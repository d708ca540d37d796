"""DynamoDB backend of the Store: run lease, ledger and risk state in the stack's one table.

Items (key attributes `pk`, `sk`; `purge_at` is the table's TTL attribute):
  lease     pk=`lease#<env>`   sk=`<session date>#<slot>`  owner, attempt, expires_at, final_status, token
  ledger    pk=`ledger#<env>`  sk=`<run id>`               entry (JSON), started_at, status
  risk      pk=`risk#<env>`    sk=`state`                  doc (JSON)
  books     pk=`books#<env>`   sk=`state`                  doc (JSON): the per-strategy books
Run records go to S3 (state/s3.py); DynamoDBStore delegates them so that it is a whole Store.

The lease is a read, a decision (the shared rule in state/lease.py) and a conditional write on the item's
write token, retried on contention: of concurrent invocations exactly one wins. A lost response to our own
successful write is recognised by its token, so a retried request can never make us lose our own lease.

    >>> from rebalancer.state.aws_clients import AwsClients
    >>> store = DynamoDBStore("rebalancer-paper-state", records=None, clients=AwsClients())  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from rebalancer.errors import StateError
from rebalancer.state.aws_clients import AwsClients, aws_errors, error_code
from rebalancer.state.base import JsonDict, LeaseOutcome, LedgerEntry, RunKey, RunRecords, check_aware
from rebalancer.state.lease import LeaseRecord, complete, decide_lease, extend, lease_lost

LEASE_PURGE_AFTER = dt.timedelta(days=35)  # long after any scheduler retry or late event could arrive
_CONTENTION_RETRIES = 8
_HINT = "check the table exists (sam deploy) and the function's role may use it"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


class DynamoDBStore:
    """Lease, ledger and risk state in DynamoDB; run records delegated to `records` (S3)."""

    def __init__(self, table: str, *, records: RunRecords | None, clients: AwsClients) -> None:
        self.table = table
        self._records = records
        self._clients = clients

    @property
    def _ddb(self) -> Any:
        return self._clients.client("dynamodb")

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        with aws_errors(f"read {pk}/{sk} from table {self.table}", code="dynamodb-read-failed", hint=_HINT):
            response = self._ddb.get_item(
                TableName=self.table, Key={"pk": _s(pk), "sk": _s(sk)}, ConsistentRead=True
            )
        item = response.get("Item")
        return None if item is None else dict(item)

    # -- lease --------------------------------------------------------------------------------

    @staticmethod
    def _lease_key(key: RunKey) -> tuple[str, str]:
        return f"lease#{key.env}", f"{key.session_date.isoformat()}#{key.slot}"

    @staticmethod
    def _lease_from_item(item: dict[str, Any] | None) -> LeaseRecord | None:
        if item is None:
            return None
        final = item.get("final_status", {}).get("S")
        return LeaseRecord(
            owner=item["owner"]["S"],
            attempt=int(item["attempt"]["N"]),
            expires_at=dt.datetime.fromisoformat(item["expires_at"]["S"]),
            final_status=final,
        )

    def _put_lease(
        self, key: RunKey, record: LeaseRecord, previous: dict[str, Any] | None, now: dt.datetime
    ) -> bool:
        """Write `record` if the item is still `previous`; True when our write is the stored one."""
        pk, sk = self._lease_key(key)
        token = uuid.uuid4().hex
        item = {
            "pk": _s(pk),
            "sk": _s(sk),
            "owner": _s(record.owner),
            "attempt": _n(record.attempt),
            "expires_at": _s(record.expires_at.isoformat()),
            "token": _s(token),
            "purge_at": _n(int((now + LEASE_PURGE_AFTER).timestamp())),
        }
        if record.final_status is not None:
            item["final_status"] = _s(record.final_status)
        if previous is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "#token = :token",
                "ExpressionAttributeNames": {"#token": "token"},
                "ExpressionAttributeValues": {":token": previous["token"]},
            }
        from botocore.exceptions import ClientError

        with aws_errors(f"write the lease of {key.run_id}", code="dynamodb-write-failed", hint=_HINT):
            try:
                self._ddb.put_item(TableName=self.table, Item=item, **condition)
            except ClientError as err:
                if error_code(err) != "ConditionalCheckFailedException":
                    raise
                latest = self._get(pk, sk)
                return latest is not None and latest.get("token", {}).get("S") == token
        return True

    def acquire_lease(
        self, key: RunKey, owner: str, now: dt.datetime, ttl: dt.timedelta, *, reopen: bool = False
    ) -> LeaseOutcome:
        check_aware(now)
        pk, sk = self._lease_key(key)
        for _ in range(_CONTENTION_RETRIES):
            item = self._get(pk, sk)
            outcome, record = decide_lease(self._lease_from_item(item), key, owner, now, ttl, reopen=reopen)
            if record is None or self._put_lease(key, record, item, now):
                return outcome
        raise StateError(
            f"run {key.run_id}: the lease kept changing under us",
            code="lease-contention",
            hint="many invocations raced for one run; check the scheduler and re-run if none completed",
        )

    def extend_lease(self, key: RunKey, owner: str, expires_at: dt.datetime) -> None:
        pk, sk = self._lease_key(key)
        now = dt.datetime.now(dt.UTC)
        for _ in range(_CONTENTION_RETRIES):
            item = self._get(pk, sk)
            record = extend(self._lease_from_item(item), key, owner, expires_at)
            if self._put_lease(key, record, item, now):
                return
        raise lease_lost(key, owner, self._lease_from_item(self._get(pk, sk)))

    def complete_lease(self, key: RunKey, owner: str, status: str) -> None:
        pk, sk = self._lease_key(key)
        now = dt.datetime.now(dt.UTC)
        for _ in range(_CONTENTION_RETRIES):
            item = self._get(pk, sk)
            done = complete(self._lease_from_item(item), key, owner, status)
            if self._put_lease(key, done, item, now):
                return
        raise lease_lost(key, owner, self._lease_from_item(self._get(pk, sk)))

    # -- ledger -------------------------------------------------------------------------------

    def record_run(self, entry: LedgerEntry) -> None:
        item = {
            "pk": _s(f"ledger#{entry.env}"),
            "sk": _s(entry.run_id),
            "entry": _s(json.dumps(entry.to_dict(), sort_keys=True)),
            "started_at": _s(entry.started_at.isoformat()),
            "status": _s(entry.status),
            "session_date": _s(entry.session_date.isoformat()),
        }
        with aws_errors(f"record run {entry.run_id} in the ledger", code="dynamodb-write-failed", hint=_HINT):
            self._ddb.put_item(TableName=self.table, Item=item)

    def recent_runs(self, env: str, limit: int = 20) -> list[LedgerEntry]:
        # One partition per env holds a few hundred runs a year: read it whole, order by started_at.
        entries: list[LedgerEntry] = []
        with aws_errors(f"read the {env} ledger", code="dynamodb-read-failed", hint=_HINT):
            pages = self._ddb.get_paginator("query").paginate(
                TableName=self.table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": _s(f"ledger#{env}")},
                ConsistentRead=True,
            )
            for page in pages:
                entries.extend(
                    LedgerEntry.from_dict(_document(i["entry"]["S"], f"a {env} ledger entry"))
                    for i in page["Items"]
                )
        return sorted(entries, key=lambda e: e.started_at, reverse=True)[:limit]

    # -- risk state ---------------------------------------------------------------------------

    def load_risk_state(self, env: str) -> JsonDict | None:
        item = self._get(f"risk#{env}", "state")
        if item is None:
            return None
        doc = _document(item["doc"]["S"], f"the {env} risk state")
        if not isinstance(doc, dict):
            raise StateError(f"risk state of {env} is not a JSON object", code="risk-state-corrupt")
        return doc

    def save_risk_state(self, env: str, state: JsonDict) -> None:
        item = {"pk": _s(f"risk#{env}"), "sk": _s("state"), "doc": _s(json.dumps(state, sort_keys=True))}
        with aws_errors(f"save the {env} risk state", code="dynamodb-write-failed", hint=_HINT):
            self._ddb.put_item(TableName=self.table, Item=item)

    # -- per-strategy books --------------------------------------------------------------------

    def load_books(self, env: str) -> JsonDict | None:
        item = self._get(f"books#{env}", "state")
        if item is None:
            return None
        doc = _document(item["doc"]["S"], f"the {env} books")
        if not isinstance(doc, dict):
            raise StateError(f"books of {env} are not a JSON object", code="books-corrupt")
        return doc

    def save_books(self, env: str, books: JsonDict) -> None:
        item = {"pk": _s(f"books#{env}"), "sk": _s("state"), "doc": _s(json.dumps(books, sort_keys=True))}
        with aws_errors(f"save the {env} books", code="dynamodb-write-failed", hint=_HINT):
            self._ddb.put_item(TableName=self.table, Item=item)

    # -- records (delegated) ------------------------------------------------------------------

    @property
    def records(self) -> RunRecords:
        if self._records is None:
            raise StateError("this store has no run records backend", code="records-missing-backend")
        return self._records

    def put_record(self, run_id: str, name: str, data: bytes) -> str:
        return self.records.put_record(run_id, name, data)

    def get_record(self, run_id: str, name: str) -> bytes:
        return self.records.get_record(run_id, name)

    def list_records(self, run_id: str) -> list[str]:
        return self.records.list_records(run_id)

    def describe(self) -> dict[str, str]:
        """The table's status (for `rebalancer health`)."""
        with aws_errors(f"describe table {self.table}", code="dynamodb-read-failed", hint=_HINT):
            table = self._ddb.describe_table(TableName=self.table)["Table"]
        return {"name": str(table["TableName"]), "status": str(table["TableStatus"])}


def _document(text: str, what: str) -> Any:
    """A stored JSON document; a corrupt one is a typed error, not a bare JSONDecodeError."""
    try:
        return json.loads(text)
    except ValueError as err:
        raise StateError(
            f"{what} in DynamoDB is not valid JSON: {err}",
            code="dynamodb-corrupt",
            hint="only rebalancer writes these items: inspect or delete the item, then re-run",
        ) from None
