"""Alpaca keys from Secrets Manager, loaded lazily on first use and cached with a TTL.

The secret holds JSON {"key_id": "...", "secret_key": "..."}. Errors name the secret and what is wrong
with it, never its value; the value is never logged (AlpacaCredentials redacts its repr).

    >>> from rebalancer.state.aws_clients import AwsClients
from rebalancer.state.log_safety import guard_third_party_loggers, redaction_filter
    >>> source = SecretsManagerCredentials("rebalancer/paper/alpaca", clients=AwsClients())
    >>> source.loaded
    False
"""

from __future__ import annotations

import json
from typing import Any

from rebalancer.alpaca.credentials import AlpacaCredentials
from rebalancer.errors import ConfigError
from rebalancer.state.aws_clients import AwsClients
from rebalancer.state.log_safety import guard_third_party_loggers, redaction_filter

DEFAULT_MAX_AGE_S = 300
_PUT_HINT = (
    "aws secretsmanager put-secret-value --secret-id {secret} "
    '--secret-string \'{{"key_id": "...", "secret_key": "..."}}\' (README, Deploy)'
)


class SecretsManagerCredentials:
    def __init__(self, secret_id: str, *, clients: AwsClients, max_age: int = DEFAULT_MAX_AGE_S) -> None:
        self.secret_id = secret_id
        self.max_age = max_age
        self._clients = clients
        self._provider: Any = None

    @property
    def loaded(self) -> bool:
        return self._provider is not None

    def _secrets_provider(self) -> Any:
        if self._provider is None:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider

            self._provider = SecretsProvider(boto3_client=self._clients.client("secretsmanager"))
        return self._provider

    def get(self) -> AlpacaCredentials:
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        hint = _PUT_HINT.format(secret=self.secret_id)
        provider = self._secrets_provider()
        guard_third_party_loggers()  # botocore logs GetSecretValue's body at DEBUG
        try:
            raw = provider.get(self.secret_id, max_age=self.max_age)
        except GetParameterError as err:
            raise ConfigError(
                f"cannot read the Alpaca secret {self.secret_id}: {err}",
                code="secret-unreadable",
                hint=f"create or fill it: {hint}",
                where=self.secret_id,
            ) from None
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        redaction_filter().remember(text)
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None  # the decode error would quote the value: say only that it is not JSON
        if not isinstance(data, dict):
            raise ConfigError(
                f"the Alpaca secret {self.secret_id} is not a JSON object",
                code="secret-malformed",
                hint=hint,
                where=self.secret_id,
            )
        credentials = AlpacaCredentials.from_mapping(data, where=self.secret_id)
        redaction_filter().remember(credentials.secret_key)
        return credentials

    def invalidate(self) -> None:
        """Forget the cached keys (after a rotation or a 401 from Alpaca)."""
        if self._provider is not None:
            self._provider.clear_cache()
