"""Wire formatting shared by the emulator's routes: Decimal as strings, timestamps, stable ids, errors.

>>> dec_str(Decimal("100000.000"))
'100000'
>>> ApiError(403, 40310000, "insufficient buying power").body()
{'code': 40310000, 'message': 'insufficient buying power'}
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from rebalancer_emulator.clock import NEW_YORK, UTC

_NAMESPACE = uuid.UUID("8a4c3a52-6a4e-4d57-9a55-6d0e3c1f7b21")


def dec_str(value: Decimal) -> str:
    """Plain decimal notation without trailing zeros ("1.5", "100000"), never scientific."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def opt_dec(value: Decimal | None) -> str | None:
    return None if value is None else dec_str(value)


def utc_stamp(instant: dt.datetime | None) -> str | None:
    """RFC 3339 in UTC with microseconds and a Z, as Alpaca writes order timestamps."""
    if instant is None:
        return None
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ny_stamp(instant: dt.datetime) -> str:
    """RFC 3339 with the New York offset, as Alpaca writes the clock."""
    return instant.astimezone(NEW_YORK).isoformat(timespec="seconds")


def stable_id(kind: str, key: str) -> str:
    """A deterministic UUID for an asset, account or order, so runs are reproducible."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


class ApiError(Exception):
    """An error answer in Alpaca's shape: HTTP status plus {"code": int, "message": str, ...}."""

    def __init__(self, status: int, code: int, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, **self.extra}


def unprocessable(message: str, **extra: object) -> ApiError:
    return ApiError(422, 40010001, message, **extra)


def forbidden(message: str, **extra: object) -> ApiError:
    return ApiError(403, 40310000, message, **extra)


def not_found(message: str) -> ApiError:
    return ApiError(404, 40410000, message)


def bad_request(message: str) -> ApiError:
    return ApiError(400, 40010000, message)
