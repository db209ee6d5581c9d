"""When a failed delivery is tried again: the retry rules as data, one function to apply
them.

The real API's rule (``B2C``): every 10 s until 72 h after the event was raised.  The
older monitor form's ``retryPolicy``: ``None`` (one retry), ``Bounded`` (up to
``maxRetryNumber``), ``Always`` (until the 72 h), each ``retryDelay`` seconds apart.
A websocket that cannot be reached is tried again sooner at first (1, 2, 4... s, at
most :data:`RECONNECT_MAX`), never later than its schedule says.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from simulator.callbacks.channels import RetryPolicy

RETENTION = 72 * 3600.0
"""Seconds an event is kept for delivery after it was raised (or replayed)."""
RECONNECT_MAX = 30.0


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """Try again every ``delay`` seconds, at most ``retries`` times after the first
    attempt (None: no limit), while within ``retention`` of the event."""

    name: str
    delay: float
    retries: int | None = None
    retention: float = RETENTION


B2C = RetrySchedule("B2C", 10.0)
"""The real API's rule."""


@dataclass(frozen=True, slots=True)
class GiveUp:
    """No further attempt, and why (the dead letter's reason)."""

    reason: str


@functools.lru_cache(maxsize=256)
def schedule_of(policy: RetryPolicy) -> RetrySchedule:
    """The schedule an event's retry policy stands for."""
    if policy.policy == "B2C":
        return B2C
    retries = {"None": 1, "Bounded": policy.max_retries}.get(policy.policy)
    return RetrySchedule(policy.policy, policy.delay, retries)


def reconnect_cap(failures: int) -> float:
    """The longest wait after ``failures`` failed sends in a row on a websocket."""
    return min(RECONNECT_MAX, 2.0 ** (failures - 1))


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g} h"


def next_attempt(
    schedule: RetrySchedule, attempts: int, since: float, now: float, cap: float | None = None
) -> float | GiveUp:
    """When to try again an event that failed ``attempts`` times so far (``now`` the
    last), kept since ``since``; waits at most ``cap`` seconds if given."""
    delay = schedule.delay if cap is None else min(schedule.delay, cap)
    if schedule.retries is not None and attempts > schedule.retries:
        return GiveUp(f"no retry left ({schedule.name})")
    if now + delay - since > schedule.retention:
        return GiveUp(f"retention reached ({_hours(schedule.retention)})")
    return now + delay


def outlived(since: float, now: float, retention: float = RETENTION) -> bool:
    """Kept longer than the retention: dead-lettered without a further attempt."""
    return now - since > retention


EXPIRED = f"retention reached ({_hours(RETENTION)}) before delivery"
