"""Client-side rate limit (QuickBooks: 10 requests/s and 500/min per realm) and the retry policy."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


class RateLimiter:
    """Token buckets: `per_second` and `per_minute` requests (QuickBooks: 10/s and 500/min per realm)."""

    def __init__(self, per_second: float = 10, per_minute: float = 500,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.clock, self.sleep = clock, sleep
        now = clock()
        # each bucket: [capacity, refill per second, tokens, last refill]
        self._buckets = [[float(per_second), float(per_second), float(per_second), now],
                         [float(per_minute), per_minute / 60.0, float(per_minute), now]]
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                wait = self._try_take()
            if wait <= 0:
                return
            self.sleep(wait)

    def _try_take(self) -> float:
        now = self.clock()
        for bucket in self._buckets:
            capacity, rate, tokens, last = bucket
            bucket[2], bucket[3] = min(capacity, tokens + (now - last) * rate), now
        short = [(1 - b[2]) / b[1] for b in self._buckets if b[2] < 1 - 1e-9]  # 1e-9: float residue
        if short:
            return max(short)
        for bucket in self._buckets:
            bucket[2] = max(0.0, bucket[2] - 1)
        return 0.0


_LIMITERS: dict[str, RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def realm_limiter(realm_id: str) -> RateLimiter:
    """The process-wide limiter of one realm (shared by every pusher of that company)."""
    with _LIMITERS_LOCK:
        return _LIMITERS.setdefault(realm_id, RateLimiter())


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with jitter; a 429 waits Retry-After or `throttle_delay`."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    throttle_delay: float = 60.0
    jitter: float = 0.25

    def backoff(self, attempt: int) -> float:
        delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return min(self.max_delay, delay * (1 + random.uniform(-self.jitter, self.jitter)))

    def throttle(self, retry_after: str | None) -> float:
        try:
            wanted = float(retry_after) if retry_after else self.throttle_delay
        except ValueError:
            wanted = self.throttle_delay
        return max(0.0, wanted) * (1 + random.uniform(0, self.jitter))

