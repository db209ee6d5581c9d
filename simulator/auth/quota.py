"""Per-client rate limits: a sliding 24 h window and a 1 s burst window.  No HTTP here.

Both windows run on the simulator clock: callers pass ``now`` (seconds since the epoch).

* The day window counts requests in fixed **1-minute buckets** (``BUCKET_SECONDS``) and
  sums the buckets of the last 24 h.  A request leaves the window at the end of its
  minute plus 24 h, so between 24 h and 24 h + 1 min after it was made: never early,
  so no 24 h span ever holds more than the limit.  Memory is bounded by the number of
  buckets (at most ``DAY_BUCKETS + 1`` non-empty ones), whatever the day limit.
* The burst window keeps the exact times of the requests of the last second: at most
  ``burst`` of them.

A refused request consumes nothing.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from simulator.config import RateLimit

__all__ = [
    "BUCKET_SECONDS",
    "BURST_SECONDS",
    "DAY_BUCKETS",
    "DAY_SECONDS",
    "ClientQuota",
    "DayWindow",
    "Decision",
    "RateLimiter",
]

DAY_SECONDS = 24 * 3600
BURST_SECONDS = 1.0
BUCKET_SECONDS = 60
DAY_BUCKETS = DAY_SECONDS // BUCKET_SECONDS


class DayWindow:
    """Request counts per minute over the last 24 h: at most ``DAY_BUCKETS + 1`` buckets."""

    __slots__ = ("_buckets", "total")

    def __init__(self) -> None:
        # [bucket index, count], oldest first; only buckets that saw a request
        self._buckets: deque[list[int]] = deque()
        self.total = 0

    def __len__(self) -> int:
        return len(self._buckets)

    @staticmethod
    def _expiry(index: int) -> float:
        """When the requests of bucket ``index`` leave the window: end of the bucket + 24 h."""
        return float((index + 1) * BUCKET_SECONDS + DAY_SECONDS)

    def expire(self, now: float) -> None:
        buckets = self._buckets
        while buckets and self._expiry(buckets[0][0]) <= now:
            self.total -= buckets.popleft()[1]

    def add(self, now: float) -> None:
        index = int(now // BUCKET_SECONDS)
        buckets = self._buckets
        if buckets and buckets[-1][0] >= index:
            buckets[-1][1] += 1  # same minute (or a clock that went back: count it there)
        else:
            buckets.append([index, 1])
        self.total += 1

    def frees_at(self, needed: int) -> float:
        """When the count drops by ``needed`` (the oldest buckets leave first)."""
        freed = 0
        for index, count in self._buckets:
            freed += count
            if freed >= needed:
                return self._expiry(index)
        return 0.0


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one request: allowed or not, and the headers to answer with."""

    allowed: bool
    headers: dict[str, str]


class ClientQuota:
    """Both windows of one client.  The limits may change; the counts made so far stay."""

    __slots__ = ("_burst", "day", "limit")

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self.day = DayWindow()
        self._burst: deque[float] = deque()  # never longer than the largest burst limit set

    def _expire(self, now: float) -> None:
        self.day.expire(now)
        burst = self._burst
        while burst and burst[0] + BURST_SECONDS <= now:
            burst.popleft()

    def remaining(self, now: float) -> tuple[int, int]:
        """(remaining in the day window, remaining in the burst window) at ``now``."""
        self._expire(now)
        return (
            max(0, self.limit.per_day - self.day.total),
            max(0, self.limit.burst - len(self._burst)),
        )

    def _headers(self, day_left: int, burst_left: int) -> dict[str, str]:
        return {
            "X-RateLimit-Limit-1": str(self.limit.per_day),
            "X-RateLimit-Remaining-1": str(day_left),
            "X-RateLimit-Limit-2": str(self.limit.burst),
            "X-RateLimit-Remaining-2": str(burst_left),
        }

    def take(self, now: float) -> Decision:
        """Count one request at ``now`` if both windows have room; else refuse it."""
        day_left, burst_left = self.remaining(now)
        if day_left and burst_left:
            self.day.add(now)
            self._burst.append(now)
            return Decision(True, self._headers(day_left - 1, burst_left - 1))
        # The earliest moment a request would pass: both windows must have room again.
        frees = now
        if not day_left:
            frees = max(frees, self.day.frees_at(self.day.total - self.limit.per_day + 1))
        if not burst_left:
            oldest = self._burst[len(self._burst) - self.limit.burst]
            frees = max(frees, oldest + BURST_SECONDS)
        retry_after = max(1, math.ceil(frees - now))
        headers = self._headers(day_left, burst_left)
        headers["Retry-After"] = str(retry_after)
        # Our choice: X-RateLimit-Reset is that same moment (now + Retry-After) as a Unix
        # timestamp in whole seconds, rounded up (the real API documents no format).
        headers["X-RateLimit-Reset"] = str(math.ceil(now + retry_after))
        return Decision(False, headers)


class RateLimiter:
    """The rate limits of every client: one global setting, per-client overrides.

    ``quota(client_id)`` is what each API request asks; with limits off it costs one
    dict lookup.
    """

    def __init__(self, default: RateLimit | None = None) -> None:
        self._default = default
        self._overrides: dict[str, RateLimit | None] = {}  # None: off for that client
        self._quotas: dict[str, ClientQuota] = {}

    @property
    def default(self) -> RateLimit | None:
        return self._default

    def reset(self, default: RateLimit | None) -> None:
        """Forget every override and count; ``default`` applies to every client."""
        self._default = default
        self._overrides.clear()
        self._quotas.clear()

    def limit_for(self, client_id: str) -> RateLimit | None:
        if client_id in self._overrides:
            return self._overrides[client_id]
        return self._default

    def is_overridden(self, client_id: str) -> bool:
        return client_id in self._overrides

    def configure(self, client_id: str, limit: RateLimit | None) -> None:
        """Set one client's limits (``None``: no limit for it), whatever the global one."""
        self._overrides[client_id] = limit
        if limit is None:
            self._quotas.pop(client_id, None)
        elif client_id in self._quotas:
            self._quotas[client_id].limit = limit

    def quota(self, client_id: str) -> ClientQuota | None:
        """The client's quota, or ``None`` when no limit applies to it."""
        quota = self._quotas.get(client_id)
        if quota is not None or (self._default is None and not self._overrides):
            return quota
        limit = self.limit_for(client_id)
        if limit is None:
            return None
        quota = self._quotas[client_id] = ClientQuota(limit)
        return quota

    def status(self, client_id: str, now: float) -> tuple[RateLimit, int, int] | None:
        """(limits, remaining in the day, remaining in the burst), or ``None`` when off."""
        limit = self.limit_for(client_id)
        if limit is None:
            return None
        quota = self._quotas.get(client_id)
        if quota is None:
            return limit, limit.per_day, limit.burst
        day_left, burst_left = quota.remaining(now)
        return limit, day_left, burst_left
