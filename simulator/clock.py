"""The simulator's one source of time.

Nothing else in the project reads the wall clock: every layer asks the
:class:`Clock` for ``now()`` and schedules its future work on it with
:meth:`Clock.call_at` / :meth:`Clock.sleep`.  Three modes:

* ``real``: virtual time follows the wall clock (speed 1);
* ``accelerated``: virtual time runs ``speed`` times faster than the wall clock;
* ``manual``: virtual time only moves on :meth:`Clock.advance` (or ``set``).

Timers fire in due order.  In manual mode :meth:`advance` runs every timer
that falls due inside the step, each with the clock set to its own due time,
so a manual step of one hour behaves like an hour of real time, only faster.
In the other modes a driver task (started with :meth:`start`) sleeps on the
event loop until the next timer is due.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

log = logging.getLogger("ccsim.clock")


class ClockMode(StrEnum):
    REAL = "real"
    ACCELERATED = "accelerated"
    MANUAL = "manual"


class ClockError(ValueError):
    """An impossible clock operation (going back in time, advancing a real clock)."""


@dataclass(order=True, slots=True)
class Timer:
    due: float
    seq: int
    callback: Callable[[], Any] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class Clock:
    """Virtual time with timers.  ``wall`` and ``monotonic`` are injectable for tests."""

    def __init__(
        self,
        mode: ClockMode = ClockMode.REAL,
        *,
        speed: float = 1.0,
        start: datetime | None = None,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ClockError("speed must be positive")
        if mode is ClockMode.REAL:
            speed = 1.0
        self._mode = mode
        self._speed = speed
        self._monotonic = monotonic
        start_ts = start.timestamp() if start is not None else wall()
        # virtual = _base_virtual + (monotonic() - _base_mono) * speed, while running
        self._base_virtual = start_ts
        self._base_mono = monotonic()
        self._paused = mode is ClockMode.MANUAL
        self._timers: list[Timer] = []
        self._seq = itertools.count()
        self._wakeup: asyncio.Event | None = None
        self._driver: asyncio.Task[None] | None = None
        self._firing = False
        self.on_change: Callable[[str], None] | None = None
        """Called with ``paused``, ``resumed`` or ``speed`` after such a change (the
        simulator publishes it on its bus: the clock knows no bus)."""

    # ------------------------------------------------------------------ reading
    @property
    def mode(self) -> ClockMode:
        return self._mode

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def paused(self) -> bool:
        return self._paused

    def time(self) -> float:
        """Virtual POSIX timestamp (seconds)."""
        if self._paused:
            return self._base_virtual
        return self._base_virtual + (self._monotonic() - self._base_mono) * self._speed

    def now(self) -> datetime:
        """Virtual time as an aware UTC datetime."""
        return _utc(self.time())

    # ------------------------------------------------------------------ control
    def _rebase(self) -> None:
        self._base_virtual = self.time()
        self._base_mono = self._monotonic()

    def pause(self) -> None:
        self._rebase()
        self._paused = True
        self._poke()
        self._changed("paused", "pause", "paused")

    def resume(self) -> None:
        if self._mode is ClockMode.MANUAL:
            raise ClockError("a manual clock only moves with advance")
        self._base_mono = self._monotonic()
        self._paused = False
        self._poke()
        self._changed(f"resumed at speed {self._speed:g}", "resume", "resumed")

    def set_speed(self, speed: float) -> None:
        if not speed > 0:
            raise ClockError("speed must be positive")
        if self._mode is ClockMode.MANUAL:
            raise ClockError("a manual clock has no speed")
        self._rebase()
        self._speed = float(speed)
        self._mode = ClockMode.REAL if speed == 1 else ClockMode.ACCELERATED
        self._poke()
        self._changed(f"speed {self._speed:g}", "speed", "speed")

    def _changed(self, what: str, change: str, done: str) -> None:
        if self.on_change is not None:
            self.on_change(done)
        if log.isEnabledFor(logging.INFO):
            now = self.now().isoformat(timespec="seconds").replace("+00:00", "Z")
            fields = {"change": change, "speed": self._speed, "paused": self._paused, "at": now}
            log.info("%s at %s", what, now, extra={"ccsim": fields})

    def advance(self, seconds: float) -> datetime:
        """Move virtual time forward, firing every timer due on the way, in order."""
        if seconds < 0:
            raise ClockError("time cannot go backwards")
        target = self.time() + seconds
        if log.isEnabledFor(logging.DEBUG):  # each step of a control API advance
            log.debug("step %gs to %s", seconds, _utc(target).isoformat(timespec="seconds"))
        was_paused = self._paused
        self._rebase()
        self._paused = True
        try:
            while self._timers and self._timers[0].due <= target:
                timer = heapq.heappop(self._timers)
                if timer.cancelled:
                    continue
                self._base_virtual = max(self._base_virtual, timer.due)
                timer.callback()
            self._base_virtual = target
        finally:
            self._base_mono = self._monotonic()
            self._paused = was_paused
        self._poke()
        return self.now()

    def set(self, when: datetime) -> datetime:
        """Jump forward to ``when`` (firing due timers), never backwards."""
        return self.advance(max(0.0, when.timestamp() - self.time()))

    # ------------------------------------------------------------------ timers
    def call_at(self, when: float | datetime, callback: Callable[[], Any]) -> Timer:
        due = when.timestamp() if isinstance(when, datetime) else float(when)
        timer = Timer(due, next(self._seq), callback)
        heapq.heappush(self._timers, timer)
        if self._timers[0] is timer:
            self._poke()
        return timer

    def call_later(self, delay: float | timedelta, callback: Callable[[], Any]) -> Timer:
        seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
        return self.call_at(self.time() + max(0.0, seconds), callback)

    async def sleep(self, delay: float | timedelta) -> None:
        """Sleep ``delay`` seconds of virtual time."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not fut.done():
                fut.set_result(None)

        timer = self.call_later(delay, wake)
        try:
            await fut
        finally:
            timer.cancel()

    def pending_timers(self) -> int:
        return sum(1 for t in self._timers if not t.cancelled)

    def next_due(self) -> float | None:
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0].due if self._timers else None

    # ------------------------------------------------------------------ driver
    def _poke(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    def _fire_due(self) -> None:
        now = self.time()
        while self._timers and self._timers[0].due <= now:
            timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                timer.callback()

    async def _drive(self) -> None:
        assert self._wakeup is not None
        while True:
            self._wakeup.clear()
            timeout: float | None = None
            if not self._paused:
                self._fire_due()
                due = self.next_due()
                if due is not None:
                    timeout = max(0.0, (due - self.time()) / self._speed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)

    def start(self) -> None:
        """Start firing timers on the running loop (real and accelerated modes)."""
        if self._driver is None:
            self._wakeup = asyncio.Event()
            self._driver = asyncio.get_running_loop().create_task(self._drive())

    async def stop(self) -> None:
        if self._driver is not None:
            self._driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._driver
            self._driver = None
            self._wakeup = None

    def describe(self) -> dict[str, Any]:
        return {
            "now": self.now(),
            "mode": self._mode.value,
            "speed": self._speed,
            "paused": self._paused,
            "pendingTimers": self.pending_timers(),
        }
