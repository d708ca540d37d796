"""HTTP hygiene for alpaca-py clients: explicit timeouts, no built-in blind retries, typed errors,
and a read-retry policy (exponential backoff with jitter, honouring X-RateLimit-Reset).

alpaca-py sets no timeout and retries POST /v2/orders on 504 by itself; `harden` turns both off so that
retries happen only here, where reads are retried and order submissions are not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from rebalancer.alpaca.ratelimit import RateLimiter
from rebalancer.errors import BrokerError

T = TypeVar("T")

AUTH_HINT = (
    "Alpaca did not accept the keys: check the key id and secret key in the stack's secret, and that they "
    "match the endpoint (paper keys for paper-api.alpaca.markets, live keys for api.alpaca.markets); "
    "see docs/runbook.md, 'auth-failed'"
)
_FORBIDDEN = re.compile(r"^\s*(forbidden|request is not authorized|unauthorized)\.?\s*$", re.IGNORECASE)

RETRYABLE_CODES = frozenset({"rate-limited", "server-error", "timeout", "connection-failed"})


@dataclass(frozen=True)
class Timeouts:
    connect: float = 3.05
    read: float = 10.0


class TimeoutSession(requests.Session):
    """A requests Session whose every request carries (connect, read) timeouts unless given one."""

    def __init__(self, timeouts: Timeouts) -> None:
        super().__init__()
        self.timeouts = timeouts

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", (self.timeouts.connect, self.timeouts.read))
        return super().request(method, url, *args, **kwargs)


def harden(client: Any, timeouts: Timeouts) -> None:
    """Give an alpaca-py REST client timeouts and switch off its own retries (we retry reads ourselves)."""
    client._session = TimeoutSession(timeouts)
    client._retry = 0
    client._retry_codes = []


def translate(exc: Exception, *, action: str, write: bool = True) -> BrokerError:
    """An alpaca-py or requests failure as a BrokerError keeping Alpaca's code and message.

    `write` says whether the request could change the account (an order, a cancel): only there can a 403
    be a trading refusal (buying power, a restricted asset). A 403 on a read, any 401, and a 403 whose
    message is Alpaca's bare "forbidden" are authentication failures (wrong keys, or paper keys on the
    live endpoint and vice versa): `auth-failed`, never `rejected`.
    """
    if isinstance(exc, requests.Timeout):
        return BrokerError(f"{action}: timed out", code="timeout", hint="Alpaca is slow; retried reads")
    if isinstance(exc, requests.ConnectionError):
        return BrokerError(f"{action}: connection failed", code="connection-failed", hint="check the network")
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    body = getattr(response, "text", None) or str(exc)
    broker_code, message = _parse_error_body(body)
    code = _code_for_status(status)
    if status == 403 and (not write or _FORBIDDEN.search(message)):
        code = "auth-failed"
    return BrokerError(
        f"{action}: HTTP {status}: {message}",
        code=code,
        hint=AUTH_HINT if code == "auth-failed" else _hint_for_status(status),
        status=status,
        broker_code=broker_code,
    )


def _parse_error_body(body: str) -> tuple[int | None, str]:
    # alpaca-py's APIError.code json-decodes on access and raises on an HTML 502 page: parse it safely here.
    try:
        data = json.loads(body)
    except ValueError:
        return None, body.strip()[:200] or "empty response"
    if isinstance(data, dict):
        code = data.get("code")
        return (code if isinstance(code, int) else None), str(data.get("message", body))[:500]
    return None, body[:200]


def _code_for_status(status: int | None) -> str:
    if status == 429:
        return "rate-limited"
    if status is not None and status >= 500:
        return "server-error"
    if status == 404:
        return "not-found"
    if status == 401:
        return "auth-failed"
    return "rejected"


def _hint_for_status(status: int | None) -> str:
    if status == 403:
        return "Alpaca refused the request: check buying power, the position, or account permissions"
    if status == 429:
        return "too many requests; the run's rate limiter should prevent this"
    return ""


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, BrokerError) and exc.code in RETRYABLE_CODES


def rate_limit_reset(exc: Exception) -> float | None:
    """The X-RateLimit-Reset epoch of a 429 response, if the server sent one."""
    response = getattr(exc, "response", None)
    if getattr(response, "status_code", None) != 429:
        return None
    headers = getattr(response, "headers", None) or {}
    try:
        return float(headers.get("X-RateLimit-Reset", ""))
    except ValueError:
        return None


class CallPolicy:
    """Runs broker calls through the shared rate limiter; retries reads, never writes."""

    def __init__(
        self,
        limiter: RateLimiter,
        *,
        attempts: int = 5,
        max_backoff: float = 8.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.limiter = limiter
        self.attempts = attempts
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.requests = 0

    def once(self, action: str, call: Callable[[], T], *, write: bool = True) -> T:
        """One request, failures translated; used for order submission (no retry here)."""
        self.limiter.acquire()
        self.requests += 1
        try:
            return call()
        except (requests.RequestException, _alpaca_api_error()) as exc:
            reset = rate_limit_reset(exc)
            if reset is not None:
                self.limiter.pause_until_epoch(reset)
            raise translate(exc, action=action, write=write) from None

    def read(self, action: str, call: Callable[[], T]) -> T:
        """A read, retried with exponential backoff and jitter on 429, 5xx, timeouts and resets."""
        kwargs: dict[str, Any] = {}
        if self.sleep is not None:
            kwargs["sleep"] = self.sleep
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_random_exponential(multiplier=0.25, max=self.max_backoff),
            retry=retry_if_exception(is_retryable),
            reraise=True,
            **kwargs,
        )
        result: T = retrying(self.once, action, call, write=False)
        return result


def _alpaca_api_error() -> type[Exception]:
    from alpaca.common.exceptions import APIError

    error_type: type[Exception] = APIError
    return error_type
