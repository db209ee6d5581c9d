"""The clock: manual steps fire timers in order at their own times; speed scales time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.clock import Clock, ClockError, ClockMode

START = datetime(2026, 1, 1, 7, 0, tzinfo=UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


def test_manual_clock_moves_only_when_advanced() -> None:
    mono = FakeMonotonic()
    clock = Clock(ClockMode.MANUAL, start=START, monotonic=mono)
    mono.value += 3600
    assert clock.now() == START
    assert clock.advance(90) == datetime(2026, 1, 1, 7, 1, 30, tzinfo=UTC)
    with pytest.raises(ClockError):
        clock.advance(-1)
    with pytest.raises(ClockError):
        clock.resume()


def test_accelerated_clock_runs_speed_times_faster_and_pauses() -> None:
    mono = FakeMonotonic()
    clock = Clock(ClockMode.ACCELERATED, speed=60, start=START, monotonic=mono)
    mono.value += 10
    assert (clock.now() - START).total_seconds() == pytest.approx(600)
    clock.pause()
    mono.value += 10
    assert (clock.now() - START).total_seconds() == pytest.approx(600)
    clock.resume()
    clock.set_speed(1)
    mono.value += 10
    assert (clock.now() - START).total_seconds() == pytest.approx(610)
    assert clock.mode is ClockMode.REAL


@given(st.lists(st.floats(min_value=0, max_value=10_000, allow_nan=False), max_size=30))
def test_advance_fires_each_timer_once_in_due_order_at_its_time(delays: list[float]) -> None:
    clock = Clock(ClockMode.MANUAL, start=START)
    fired: list[tuple[int, float]] = []
    for index, delay in enumerate(delays):
        clock.call_later(delay, lambda i=index: fired.append((i, clock.time())))
    clock.advance(5_000)
    clock.advance(5_000)
    # due order; equal due times keep the order they were scheduled in
    due = [START.timestamp() + d for d in delays]
    assert [i for i, _ in fired] == sorted(range(len(delays)), key=lambda i: due[i])
    for index, at in fired:
        assert at == due[index]
    assert clock.time() == pytest.approx(START.timestamp() + 10_000)


def test_cancelled_timer_does_not_fire_and_timers_can_chain() -> None:
    clock = Clock(ClockMode.MANUAL, start=START)
    seen: list[str] = []
    timer = clock.call_later(10, lambda: seen.append("cancelled"))
    timer.cancel()
    clock.call_later(5, lambda: clock.call_later(5, lambda: seen.append("chained")))
    clock.advance(10)
    assert seen == ["chained"]


async def test_sleep_on_a_manual_clock_wakes_on_advance() -> None:
    clock = Clock(ClockMode.MANUAL, start=START)
    task = asyncio.create_task(clock.sleep(30))
    await asyncio.sleep(0)
    clock.advance(29)
    await asyncio.sleep(0)
    assert not task.done()
    clock.advance(1)
    await asyncio.wait_for(task, 1)


async def test_driver_fires_timers_in_accelerated_time() -> None:
    clock = Clock(ClockMode.ACCELERATED, speed=1000)
    clock.start()
    try:
        # 60 simulated seconds at 1000x take about 60 ms of real time
        await asyncio.wait_for(clock.sleep(60), 5)
    finally:
        await clock.stop()
