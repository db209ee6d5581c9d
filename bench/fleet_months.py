"""A living fleet over months: does a simulated day cost the same on day 60 as on day 1?

    python bench/fleet_months.py [--vehicles 50] [--days 60] [--step 86400]

A simulator (manual clock, life on, no server) with ``--vehicles`` vehicles advances
``--days`` days, ``--step`` simulated seconds per advance.  Each vehicle's trips and
telemetry logs grow until they hold their last 200 records (about 40 days of driving),
then stay at that size.  The baseline is the same fleet's first week, measured in the
same run: a day's CPU time over the last week is printed beside it, with their ratio.
The target is a ratio of at most 1.5. Months of life should take time in proportion to
their length, and the ratio shows whether they do.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from simulator.config import Settings
from simulator.store import Simulator

WEEK = 7


async def run(vehicles: int, days: int, step: float) -> list[float]:
    """CPU seconds of each simulated day, in order."""
    sim = Simulator(Settings(vehicles=vehicles, manual_clock=True))
    sim.clock.start()
    per_day: list[float] = []
    try:
        for _ in range(days):
            started = time.process_time()
            left = 86_400.0
            while left > 0:
                await sim.advance(min(step, left))
                left -= step
            per_day.append(time.process_time() - started)
    finally:
        await sim.clock.stop()
    return per_day


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vehicles", type=int, default=50)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--step", type=float, default=86_400.0, help="simulated s per advance")
    opts = parser.parse_args()
    if opts.days < 2 * WEEK:
        parser.error(f"--days must be at least {2 * WEEK}: a first and a last week")
    per_day = asyncio.run(run(opts.vehicles, opts.days, opts.step))
    first = statistics.median(per_day[:WEEK])
    last = statistics.median(per_day[-WEEK:])
    total = sum(per_day)
    print(f"living fleet: {opts.vehicles} vehicles, {opts.days} days, advances of {opts.step:g} s")
    print(f"CPU per simulated day, first week (baseline): {1000 * first:8.1f} ms (median)")
    print(f"CPU per simulated day, last week:             {1000 * last:8.1f} ms (median)")
    verdict = "met" if last <= 1.5 * first else "NOT met"
    print(f"last / first: {last / first:.2f}  (target <= 1.5: {verdict})")
    print(f"all {opts.days} days: {total:.1f} s of CPU, {1000 * total / opts.days:.1f} ms per day")


if __name__ == "__main__":
    main()
