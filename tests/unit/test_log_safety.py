"""Third-party log records carrying secret material are rewritten; others pass untouched."""

from __future__ import annotations

import logging

import pytest

from rebalancer.state.log_safety import guard_third_party_loggers, redaction_filter


def test_a_remembered_secret_is_redacted_from_any_third_party_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "remembered-secret-value-5d2c"  # pragma: allowlist secret (a planted test value)
    redaction_filter().remember(secret)
    logger = logging.getLogger("urllib3.connectionpool.test-child")
    guard_third_party_loggers()
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        logger.debug("headers: %s", {"APCA-API-KEY-ID": "PK1", "X": secret})
        logger.debug("GET /v2/account HTTP/1.1 200")
    assert secret not in caplog.text
    assert "redacted" in caplog.records[0].getMessage()
    assert caplog.records[1].getMessage() == "GET /v2/account HTTP/1.1 200"


def test_our_own_loggers_are_left_alone() -> None:
    logging.getLogger("urllib3")
    guard_third_party_loggers()
    assert redaction_filter() not in logging.getLogger("rebalancer").filters
    assert redaction_filter() in logging.getLogger("urllib3").filters
