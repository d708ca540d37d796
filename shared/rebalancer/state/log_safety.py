"""Third-party loggers never print a secret, at any level.

botocore at DEBUG logs every response body (GetSecretValue's holds the Alpaca keys) and every request's
parameters (PutSecretValue's); an operator who sets the root logger or AWS_LAMBDA_LOG_LEVEL to DEBUG
would get the keys in CloudWatch. A filter on the botocore, boto3, urllib3, s3transfer and Powertools'
internal loggers rewrites any record that carries secret material (a SecretString/SecretBinary field,
a secret_key, Alpaca's secret header, or a secret value this process has loaded) into a one-line notice.
Filters run
on the logger that creates a record, so every such logger gets one: `guard_third_party_loggers` is
called after each client is created (its modules, hence their loggers, exist by then) and before every
secret read.

    >>> body = (b'{"SecretString": "x"}',)
    >>> record = logging.LogRecord("botocore.parsers", 10, "", 0, "Response body:\\n%r", body, None)
    >>> _ = redaction_filter().filter(record)
    >>> record.getMessage()
    '[rebalancer redacted a botocore.parsers log message that carried secret material]'
"""

from __future__ import annotations

import functools
import logging
import threading

THIRD_PARTY_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "aws_lambda_powertools")
SECRET_MARKERS = ("secretstring", "secretbinary", "secret_key", "apca-api-secret-key")
MIN_REMEMBERED = 8  # shorter values would redact ordinary words


class SecretRedactingFilter(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._values: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def remember(self, value: str) -> None:
        """Redact records that contain `value` from now on (the secrets this process loaded)."""
        if len(value) >= MIN_REMEMBERED:
            with self._lock:
                self._values = self._values | {value}

    def carries_secret(self, text: str) -> bool:
        lowered = text.lower()
        return any(marker in lowered for marker in SECRET_MARKERS) or any(v in text for v in self._values)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: logging reports it itself; show no args
            text = str(record.msg)
            record.args = None
        if self.carries_secret(text):
            record.msg = f"[rebalancer redacted a {record.name} log message that carried secret material]"
            record.args = None
        return True


@functools.cache
def redaction_filter() -> SecretRedactingFilter:
    """The process's one filter (so each logger gets it once, and remembered values apply everywhere)."""
    return SecretRedactingFilter()


def guard_third_party_loggers() -> None:
    """Attach the filter to every existing botocore/boto3/urllib3/s3transfer logger (idempotent)."""
    guard = redaction_filter()
    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] in THIRD_PARTY_LOGGERS:
            logger = logging.getLogger(name)
            if guard not in logger.filters:
                logger.addFilter(guard)
