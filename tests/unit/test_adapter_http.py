import pytest
import requests
from alpaca.common.exceptions import APIError

from rebalancer.alpaca.http import CallPolicy, is_retryable, rate_limit_reset, translate
from rebalancer.alpaca.ratelimit import RateLimiter
from rebalancer.errors import BrokerError


def _api_error(status: int, body: str, headers: dict[str, str] | None = None) -> APIError:
    response = requests.Response()
    response.status_code = status
    response._content = body.encode()
    response.headers.update(headers or {})
    return APIError(body, requests.HTTPError(response=response))


def test_alpaca_error_body_keeps_code_and_message():
    err = translate(
        _api_error(403, '{"code": 40310000, "message": "insufficient buying power"}'), action="buy"
    )
    assert err.status == 403
    assert err.broker_code == 40310000
    assert "insufficient buying power" in err.message
    assert err.code == "rejected"
    assert not is_retryable(err)


def test_non_json_gateway_page_is_a_typed_retryable_error():
    err = translate(_api_error(502, "<html>Bad Gateway</html>"), action="get account")
    assert err.code == "server-error"
    assert err.broker_code is None
    assert "Bad Gateway" in err.message
    assert is_retryable(err)


def test_timeouts_and_resets_are_retryable():
    assert translate(requests.ReadTimeout(), action="x").code == "timeout"
    assert translate(requests.ConnectionError(), action="x").code == "connection-failed"
    assert is_retryable(translate(requests.ReadTimeout(), action="x"))


def test_rate_limit_reset_header_is_read_only_on_429():
    assert rate_limit_reset(_api_error(429, "{}", {"X-RateLimit-Reset": "1700000000"})) == 1700000000.0
    assert rate_limit_reset(_api_error(500, "{}", {"X-RateLimit-Reset": "1700000000"})) is None
    assert rate_limit_reset(_api_error(429, "{}", {"X-RateLimit-Reset": "soon"})) is None


def test_reads_are_retried_until_success_and_writes_are_not():
    sleeps: list[float] = []
    policy = CallPolicy(RateLimiter(10_000), attempts=4, sleep=sleeps.append)
    outcomes = [_api_error(503, "busy"), requests.ConnectionError(), "ok"]

    def flaky() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert policy.read("read", flaky) == "ok"
    assert len(sleeps) == 2
    assert policy.requests == 3

    calls = []

    def failing_write() -> str:
        calls.append(1)
        raise _api_error(504, "gateway timeout")

    with pytest.raises(BrokerError) as err:
        policy.once("write", failing_write)
    assert err.value.code == "server-error"
    assert len(calls) == 1


def test_read_gives_up_after_the_attempt_budget():
    policy = CallPolicy(RateLimiter(10_000), attempts=3, sleep=lambda s: None)
    calls = []

    def always_429() -> str:
        calls.append(1)
        raise _api_error(429, '{"code": 42910000, "message": "rate limit exceeded"}')

    with pytest.raises(BrokerError) as err:
        policy.read("read", always_429)
    assert err.value.code == "rate-limited"
    assert len(calls) == 3


def _raise(exc: Exception) -> str:
    raise exc


def test_a_403_on_reading_the_account_is_an_auth_failure_not_a_trading_refusal():
    # Wrong keys (or paper keys on the live endpoint) answer 403 "forbidden" on every request.
    policy = CallPolicy(RateLimiter(10_000), attempts=2, sleep=lambda _s: None)
    forbidden = _api_error(403, '{"code": 40310000, "message": "forbidden"}')
    with pytest.raises(BrokerError) as err:
        policy.read("get account", lambda: _raise(forbidden))
    assert err.value.code == "auth-failed"
    assert "paper" in err.value.hint
    assert "key" in err.value.hint
    assert "buying power" not in err.value.hint
    assert not is_retryable(err.value)


def test_a_401_is_an_auth_failure_on_reads_and_writes():
    unauthorized = _api_error(401, '{"code": 40110000, "message": "request is not authorized"}')
    assert translate(unauthorized, action="get account").code == "auth-failed"
    assert translate(unauthorized, action="submit buy", write=True).code == "auth-failed"


def test_a_403_on_an_order_stays_a_refusal_unless_it_says_forbidden():
    refused = _api_error(403, '{"code": 40310000, "message": "insufficient buying power"}')
    assert translate(refused, action="submit buy", write=True).code == "rejected"
    forbidden = _api_error(403, '{"code": 40310000, "message": "forbidden"}')
    assert translate(forbidden, action="submit buy", write=True).code == "auth-failed"
