"""S3 backend of RunRecords: every record of a run under `runs/<run id>/<name>` in the stack's bucket.

The bucket is versioned, so an overwritten record keeps its history (lifecycle rules in template.yaml).

    >>> from rebalancer.state.aws_clients import AwsClients
    >>> records = S3RunRecords("rebalancer-paper-records-123456789012-us-east-1", clients=AwsClients())
    >>> records.key("paper-2026-01-05-open", "plan.json")
    'runs/paper-2026-01-05-open/plan.json'
"""

from __future__ import annotations

from typing import Any

from rebalancer.errors import StateError
from rebalancer.state.aws_clients import AwsClients, aws_errors, error_code
from rebalancer.state.base import check_record_name

_CONTENT_TYPES = {".json": "application/json", ".txt": "text/plain; charset=utf-8", ".csv": "text/csv"}
_HINT = "check the bucket exists (sam deploy) and the function's role may use it"


class S3RunRecords:
    def __init__(self, bucket: str, *, clients: AwsClients, prefix: str = "runs/") -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._clients = clients

    @property
    def _s3(self) -> Any:
        return self._clients.client("s3")

    def key(self, run_id: str, name: str) -> str:
        return f"{self.prefix}{check_record_name(run_id)}/{check_record_name(name)}"

    def location(self, run_id: str, name: str = "") -> str:
        key = self.key(run_id, name) if name else f"{self.prefix}{check_record_name(run_id)}/"
        return f"s3://{self.bucket}/{key}"

    def put_record(self, run_id: str, name: str, data: bytes) -> str:
        key = self.key(run_id, name)
        suffix = name[name.rfind(".") :] if "." in name else ""
        content_type = _CONTENT_TYPES.get(suffix, "application/octet-stream")
        with aws_errors(f"write s3://{self.bucket}/{key}", code="s3-write-failed", hint=_HINT):
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=bytes(data), ContentType=content_type)
        return f"s3://{self.bucket}/{key}"

    def get_record(self, run_id: str, name: str) -> bytes:
        from botocore.exceptions import ClientError

        key = self.key(run_id, name)
        with aws_errors(f"read s3://{self.bucket}/{key}", code="s3-read-failed", hint=_HINT):
            try:
                response = self._s3.get_object(Bucket=self.bucket, Key=key)
            except ClientError as err:
                if error_code(err) in ("NoSuchKey", "404"):
                    raise StateError(
                        f"run {run_id} has no record {name!r} (s3://{self.bucket}/{key})",
                        code="record-missing",
                        hint="list the run's records; the run may have stopped before writing it",
                    ) from None
                raise
            return bytes(response["Body"].read())

    def list_records(self, run_id: str) -> list[str]:
        prefix = f"{self.prefix}{check_record_name(run_id)}/"
        names: list[str] = []
        with aws_errors(f"list s3://{self.bucket}/{prefix}", code="s3-read-failed", hint=_HINT):
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
            for page in pages:
                names.extend(obj["Key"][len(prefix) :] for obj in page.get("Contents", []))
        return sorted(name for name in names if name and "/" not in name)

    def check_reachable(self) -> None:
        """HeadBucket: the bucket exists and we may list it (for `rebalancer health`)."""
        with aws_errors(f"reach bucket {self.bucket}", code="s3-read-failed", hint=_HINT):
            self._s3.head_bucket(Bucket=self.bucket)
