import pytest

from rebalancer.alpaca.credentials import AlpacaCredentials
from rebalancer.alpaca.ratelimit import RateLimiter
from rebalancer.errors import ConfigError


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _limiter(per_minute: int, t: FakeTime) -> RateLimiter:
    return RateLimiter(per_minute, clock=t.clock, sleep=t.sleep, wall_clock=t.clock)


def test_burst_within_capacity_does_not_wait():
    t = FakeTime()
    limiter = _limiter(200, t)
    for _ in range(200):
        limiter.acquire()
    assert t.slept == []


def test_burst_beyond_capacity_queues_at_the_refill_rate():
    t = FakeTime()
    limiter = _limiter(60, t)  # one token a second
    for _ in range(63):
        limiter.acquire()
    assert sum(t.slept) == pytest.approx(3.0, rel=1e-6)
    assert limiter.waited_seconds == pytest.approx(3.0, rel=1e-6)


def test_rate_limit_reset_pauses_every_caller_until_reset():
    t = FakeTime()
    limiter = _limiter(200, t)
    pause = limiter.pause_until_epoch(t.now + 5.0)
    assert pause == pytest.approx(5.0)
    limiter.acquire()
    assert t.now >= 1005.0


def test_reset_pause_is_capped():
    t = FakeTime()
    limiter = _limiter(200, t)
    assert limiter.pause_until_epoch(t.now + 3600, max_pause=30) == pytest.approx(30)


def test_limiter_rejects_nonsense_rate():
    with pytest.raises(ValueError, match="at least 1"):
        RateLimiter(0)


def test_credentials_never_show_the_secret():
    creds = AlpacaCredentials("PKID", "TOP-SECRET-VALUE")
    assert "TOP-SECRET-VALUE" not in repr(creds)
    assert "TOP-SECRET-VALUE" not in str(creds)
    assert "TOP-SECRET-VALUE" not in f"{creds}"


def test_credentials_from_secret_json():
    assert AlpacaCredentials.from_mapping({"key_id": "a", "secret_key": "b"}).key_id == "a"
    assert AlpacaCredentials.from_mapping({"APCA_API_KEY_ID": "a", "APCA_API_SECRET_KEY": "b"}).key_id == "a"
    with pytest.raises(ConfigError) as err:
        AlpacaCredentials.from_mapping({"key_id": "a"}, where="alpaca/paper")
    assert err.value.code == "credentials-malformed"
    assert err.value.where == "alpaca/paper"
    with pytest.raises(ConfigError, match="incomplete"):
        AlpacaCredentials("", "x")
