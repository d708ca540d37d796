"""A thread-safe token bucket shared by every call of a run.

Alpaca allows 200 requests a minute per account; a burst beyond that queues here instead of failing
with 429. A 429's X-RateLimit-Reset pauses the bucket until the reset instant.

    >>> limiter = RateLimiter(per_minute=200)
    >>> limiter.acquire()  # returns at once while tokens remain
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self,
        per_minute: int = 200,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    def acquire(self) -> None:
        """Take one token, sleeping until one is available."""
        while True:
            delay = self._try_take()
            if delay <= 0:
                return
            self.waited_seconds += delay
            self._sleep(delay)

    def _try_take(self) -> float:
        with self._lock:
            now = self._clock()
            if now < self._paused_until:
                return self._paused_until - now
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate

    def pause_until_epoch(self, reset_epoch: float, *, max_pause: float = 60.0) -> float:
        """Hold every caller until the server's reset time (capped); returns the pause in seconds."""
        pause = min(max(reset_epoch - self._wall_clock(), 0.0), max_pause)
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + pause)
            self._tokens = 0.0
        return pause
