"""Lazily created boto3 clients with explicit timeouts and bounded retries (backoff with jitter).

One `AwsClients` per warm container (or per CLI command): each service's client is created on first
use and then reused. Endpoint and credentials come from the usual boto3 sources (AWS_ENDPOINT_URL points
every client at moto locally), unless given here.

    >>> clients = AwsClients(region="us-east-1")
    >>> clients.created
    ()
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rebalancer.errors import StateError
from rebalancer.state.log_safety import guard_third_party_loggers

CONNECT_TIMEOUT_S = 3.05
READ_TIMEOUT_S = 10.0
MAX_ATTEMPTS = 4  # botocore "standard" mode: exponential backoff with jitter, throttles and 5xx only


@dataclass
class AwsClients:
    region: str | None = None
    endpoint_url: str | None = None
    connect_timeout: float = CONNECT_TIMEOUT_S
    read_timeout: float = READ_TIMEOUT_S
    max_attempts: int = MAX_ATTEMPTS
    _clients: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _session: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def client(self, service: str) -> Any:
        """The boto3 client for `service`, created once."""
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._create(service)
            return self._clients[service]

    def _create(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        if self._session is None:
            self._session = boto3.session.Session(region_name=self.region)
        config = Config(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={"mode": "standard", "max_attempts": self.max_attempts},
        )
        client = self._session.client(service, config=config, endpoint_url=self.endpoint_url)
        guard_third_party_loggers()  # the client's modules (and their DEBUG loggers) are loaded now
        return client

    @property
    def created(self) -> tuple[str, ...]:
        return tuple(sorted(self._clients))

    @property
    def region_name(self) -> str:
        """The region the clients use (from the argument or boto3's configuration)."""
        with self._lock:
            if self._session is None:
                import boto3

                self._session = boto3.session.Session(region_name=self.region)
            region = self._session.region_name
        if not region:
            raise StateError(
                "no AWS region configured",
                code="aws-region-missing",
                hint="set AWS_REGION (or AWS_DEFAULT_REGION), or configure a profile with a region",
            )
        return str(region)

    def account_id(self) -> str:
        """The caller's account id (one STS call)."""
        with aws_errors("read the AWS account id", code="aws-identity-failed"):
            return str(self.client("sts").get_caller_identity()["Account"])


def error_code(err: Exception) -> str:
    """The AWS error code of a botocore ClientError ('' for other errors)."""
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


@contextlib.contextmanager
def aws_errors(action: str, *, code: str, hint: str = "") -> Iterator[None]:
    """Turn botocore failures into StateError naming what we tried to do."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as err:
        raise StateError(
            f"cannot {action}: {error_code(err) or 'error'}: {err}",
            code=code,
            hint=hint or "check the resource exists and the role may access it (docs/runbook.md)",
        ) from err
    except BotoCoreError as err:
        raise StateError(
            f"cannot {action}: {err}",
            code=code,
            hint=hint or "check the network, the region and AWS credentials",
        ) from err
