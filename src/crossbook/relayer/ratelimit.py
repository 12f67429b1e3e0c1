"""Token buckets per key (client IP, order owner, sponsored permits): 429 with Retry-After
when empty."""

from __future__ import annotations

import math
import threading
import time

from crossbook.relayer.validation import ApiError


class RateLimiter:
    def __init__(self, rate_per_s: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate = rate_per_s
        self.burst = float(burst)
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key: str, cost: float = 1.0) -> float:
        """0.0 if allowed (tokens taken); else the seconds until `cost` tokens are there."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= cost:
                self._buckets[key] = (tokens - cost, now)
                return 0.0
            if len(self._buckets) >= self.max_keys:
                self._buckets.clear()
            self._buckets[key] = (tokens, now)
            return (min(cost, self.burst) - tokens) / self.rate

    @staticmethod
    def retry_after(wait: float) -> str:
        return str(max(1, math.ceil(wait)))


def limit(limiter: RateLimiter, key: str, what: str, cost: float = 1.0) -> None:
    """Take `cost` from `key`'s bucket, or raise `TooManyRequests` (429, Retry-After)."""
    wait = limiter.take(key, cost)
    if wait > 0:
        retry = RateLimiter.retry_after(wait)
        raise ApiError(
            "TooManyRequests",
            f"rate limit per {what} exceeded; retry after {retry} s",
            429,
            {"Retry-After": retry},
        )
