"""Alpaca API credentials. The secret never appears in repr, str, logs or exceptions.

>>> creds = AlpacaCredentials("PKTEST", "very-secret")
>>> creds
AlpacaCredentials(key_id='PKTEST', secret_key='***')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rebalancer.errors import ConfigError


@dataclass(frozen=True)
class AlpacaCredentials:
    key_id: str
    secret_key: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.key_id.strip() or not self.secret_key.strip():
            raise ConfigError(
                "Alpaca credentials are incomplete",
                code="credentials-missing",
                hint="set both the key id and the secret key (the secret must hold key_id and secret_key)",
            )

    def __repr__(self) -> str:
        return f"AlpacaCredentials(key_id={self.key_id!r}, secret_key='***')"

    __str__ = __repr__

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], *, where: str = "secret") -> AlpacaCredentials:
        """From a secret's JSON: {"key_id": ..., "secret_key": ...} (APCA_* names accepted too)."""
        key_id = data.get("key_id", data.get("APCA_API_KEY_ID"))
        secret = data.get("secret_key", data.get("APCA_API_SECRET_KEY"))
        if not isinstance(key_id, str) or not isinstance(secret, str):
            raise ConfigError(
                "the Alpaca secret must be a JSON object with string fields key_id and secret_key",
                code="credentials-malformed",
                hint='store {"key_id": "...", "secret_key": "..."} in the secret',
                where=where,
            )
        return cls(key_id, secret)
