"""Small HTTP routing layer: routes, request context, responses and the request log.

>>> route = Route("GET", "/v2/orders/{order_id}", "order", "trading", lambda ctx: Response(200, {}))
>>> route.match("GET", "/v2/orders/abc")
{'order_id': 'abc'}
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rebalancer_emulator.wire import bad_request, unprocessable

JsonValue = Any


@dataclass(frozen=True)
class Response:
    status: int
    body: JsonValue = None
    headers: Mapping[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json"

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body, separators=(",", ":")).encode()


@dataclass
class RequestContext:
    method: str
    path: str
    query: dict[str, str]
    params: dict[str, str]
    body: bytes
    now: dt.datetime

    def json_body(self) -> dict[str, Any]:
        """The body as a JSON object; numbers with a fraction become Decimal (no float rounding)."""
        try:
            value = json.loads(self.body or b"null", parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            raise bad_request("request body format is invalid") from None
        if not isinstance(value, dict):
            raise bad_request("request body format is invalid")
        return value

    def int_param(self, name: str, default: int, *, low: int, high: int) -> int:
        text = self.query.get(name)
        if text is None or text == "":
            return default
        try:
            value = int(text)
        except ValueError:
            raise bad_request(f"invalid {name}: {text!r}") from None
        if not low <= value <= high:
            raise unprocessable(f"{name} must be between {low} and {high}")
        return value


Handler = Callable[[RequestContext], Response]


class Route:
    """A method plus a path template with {name} segments (a segment never contains '/')."""

    def __init__(
        self, method: str, template: str, name: str, group: str, handler: Handler, *, locked: bool = True
    ) -> None:
        self.method = method
        self.template = template
        self.name = name
        self.group = group
        self.handler = handler
        self.locked = locked  # False: reads no account state, answered outside the broker's lock
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self._regex = re.compile(f"^{pattern}$")

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        found = self._regex.match(path)
        return None if found is None else found.groupdict()


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it (`at` is real time, `sim_time` the simulated clock)."""

    method: str
    path: str
    query: dict[str, str]
    at: dt.datetime
    sim_time: dt.datetime
    endpoint: str
    status: int | None = None


class RequestLog:
    """Every API request, in arrival order, for counting round trips. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> int:
        with self._lock:
            self._records.append(record)
            return len(self._records) - 1

    def set_status(self, index: int, status: int) -> None:
        with self._lock:
            self._records[index] = dataclasses.replace(self._records[index], status=status)

    @property
    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def count(self, endpoint: str | None = None, *, method: str | None = None) -> int:
        return sum(
            1
            for r in self.records
            if (endpoint is None or r.endpoint == endpoint) and (method is None or r.method == method)
        )

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self.records)

    def to_json(self) -> list[dict[str, object]]:
        return [
            {
                "method": r.method,
                "path": r.path,
                "query": r.query,
                "at": r.at.isoformat(),
                "sim_time": r.sim_time.isoformat(),
                "endpoint": r.endpoint,
                "status": r.status,
            }
            for r in self.records
        ]
