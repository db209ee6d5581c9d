"""The monitor engine: vehicle data samples evaluated per second on one core.

    python bench/monitors.py [--vehicles 10000] [--rounds 2] [--pairs 7] [--cpu 0] [--profile]
                             [--unknown-changes]

A simulator (manual clock, life off, no server) with ``--vehicles`` vehicles and 10
monitors on each (two clients, as a vehicle takes at most 5 monitors per user and
client), mixed as integrators write them:

- 3 zone circles (In and Out, 1-5 km around home), 2 zone polygons (an 8-point concave
  star, In and Out),
- 2 time triggers (a night window, weekday office hours, Europe/Paris), one ANDed with
  a zone,
- 3 data triggers (fuel or battery level below 15 %, speed above 110 km/h, door
  opening onChange).

Then ``--pairs`` alternating pairs of measurements (the baseline, then the same with the
monitors) of ``--rounds`` rounds each: in a round, the clock moves 30 s and every vehicle
reports one sample (it moves a few hundred metres along a loop around its home that crosses zone
borders now and then, speed and level change, a door opens now and then) published on
the bus as the fleet does (``VehicleSample``), so the samples go through the bus
dispatch and the engine's per-vehicle lookup.  Each sample names the data fields whose
value changed (``VehicleSample.changed``), as a sensor that knows what it measured
would; ``--unknown-changes`` publishes them as the fleet does (None: any may have
changed), so every data trigger is evaluated on every sample.  The baseline is the same
loop in the same run with no monitor at all: the cost of moving the vehicles and
publishing.  Printed: samples/s with the monitors and with none, the engine's cost per
sample (with - without) and the rate it alone sustains (1 / that cost: the issue's
figure), and the cost of one monitor evaluation (that cost / 10); each the median over
the pairs (this machine is shared and noisy; the spread is printed too).  The events raised
go through the bus to the delivery engine, which drops them (no such callback: their
delivery is bench/delivery.py's subject); its journal's log line for each (``ccsim.delivery``
warnings) is silenced, as a terminal write per event is not the engine's work.
The simulated clock starts at :data:`START`, Monday 4 March 2024 21:56 in Paris (not the
wall time, so every run raises the same events): the office window is closed (it closed at
18:00), and the night one opens at 22:00, in the 8th of the 16 rounds the monitors' simulator
runs (1 uncounted, 1 warm-up, then 7 pairs of 2: the third measured pair), raising an
event for every vehicle; 30 s rounds cannot reach the next edge (the night closes at 05:00).
Target: >= 100,000 samples/s.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import logging
import math
import os
import pstats
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from simulator.config import Settings
from simulator.events import VehicleSample
from simulator.fleet.enums import DoorId, IgnitionType
from simulator.fleet.models import Vehicle
from simulator.monitors.params import parse_monitor
from simulator.store import Simulator

TARGET = 100_000.0
KM_PER_DEG = 111.195
CLIENTS = ("bench-a", "bench-b")
START = datetime(2024, 3, 4, 20, 56, tzinfo=UTC)  # 21:56 in Paris, a Monday


def shifted(lon: float, lat: float, east_km: float, north_km: float) -> tuple[float, float]:
    return (
        lon + east_km / (KM_PER_DEG * math.cos(math.radians(lat))),
        lat + north_km / KM_PER_DEG,
    )


def _zone(name: str, transition: str, shape: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "zone": {"transition": transition, **shape}}


def _circle(lon: float, lat: float, km: float) -> dict[str, Any]:
    return {"place": {"center": {"longitude": lon, "latitude": lat}, "radius": km}}


def _star(lon: float, lat: float, km: float) -> dict[str, Any]:
    ring = []
    for k in range(8):
        angle = 2 * math.pi * k / 8
        r = km if k % 2 == 0 else km * 0.45  # concave
        ring.append(list(shifted(lon, lat, r * math.cos(angle), r * math.sin(angle))))
    return {"polygon": {"type": "Polygon", "coordinates": ring}}


def _body(label: str, triggers: list[dict[str, Any]], expression: str) -> dict[str, Any]:
    return {"label": label, "triggerParam": {"triggers": triggers, "boolExp": expression}}


def monitors_for(vehicle: Vehicle) -> list[dict[str, Any]]:
    lon, lat = vehicle.home_lon, vehicle.home_lat
    night = {
        "name": "night",
        "time": {"times": [{"recurrence": "Daily", "start": "PT22H", "duration": "PT7H"}]},
    }
    office = {
        "name": "office",
        "time": {
            "times": [
                {
                    "recurrence": "Daily",
                    "start": "PT8H",
                    "duration": "PT10H",
                    "occurence": {"day": ["Mon", "Tue", "Wed", "Thu", "Fri"]},
                }
            ]
        },
    }
    level = "vehicle.energy.fuel.level" if vehicle.state.fuel else "vehicle.energy.electric.level"
    return [
        _body("home in", [_zone("home", "In", _circle(lon, lat, 1))], "home"),
        _body("home out", [_zone("home", "Out", _circle(lon, lat, 2))], "home"),
        _body("city out", [_zone("city", "Out", _circle(lon, lat, 5))], "city"),
        _body("star in", [_zone("star", "In", _star(lon, lat, 3))], "star"),
        _body("star out", [_zone("star", "Out", _star(lon, lat, 1.5))], "star"),
        _body("night", [night], "night"),
        _body(
            "office away",
            [office, _zone("near", "Out", _circle(lon, lat, 0.5))],
            "office & near",
        ),
        _body(
            "low",
            [{"name": "low", "data": {"data": level, "op": "lowerThan", "value": ["15"]}}],
            "low",
        ),
        _body(
            "fast",
            [
                {
                    "name": "fast",
                    "data": {
                        "data": "vehicle.kinetic.speed",
                        "op": "greaterThan",
                        "value": ["110"],
                    },
                }
            ],
            "fast",
        ),
        _body(
            "doors",
            [{"name": "doors", "data": {"data": "vehicle.doorsState.opening", "op": "onChange"}}],
            "doors",
        ),
    ]


def build(vehicles: int, with_monitors: bool) -> tuple[Simulator, list[Vehicle]]:
    sim = Simulator(Settings(vehicles=vehicles, manual_clock=True, life=False, seed=7, start=START))
    fleet = list(sim.fleet)
    if with_monitors:
        for vehicle in fleet:
            for index, body in enumerate(monitors_for(vehicle)):
                spec = parse_monitor(body, legacy=False)
                sim.monitors.create(
                    vehicle, vehicle.owner, CLIENTS[index // 5], "cb", spec, "https://bench"
                )
    return sim, fleet


SPEED, DOORS = "vehicle.kinetic.speed", "vehicle.doorsState.opening"
LEVELS = {True: "vehicle.energy.fuel.level", False: "vehicle.energy.electric.level"}


def run(sim: Simulator, fleet: list[Vehicle], rounds: int, known: bool = True) -> tuple[float, int]:
    """Wall seconds of ``rounds`` rounds (one sample per vehicle each), and samples;
    ``known``: the samples name the fields whose value changed."""
    bus, clock = sim.bus, sim.clock
    for vehicle in fleet:  # in use: the time triggers look at the windows
        vehicle.state.ignition = IgnitionType.START
        vehicle.state.moving = True
    samples = 0
    gc.collect()
    gc.disable()
    started = time.perf_counter()
    for step in range(rounds):
        clock.advance(30.0)
        t = clock.time()
        for index, vehicle in enumerate(fleet):
            state = vehicle.state
            angle = index * 0.37 + step * 0.04  # 30 s at 40-130 km/h: a few hundred m
            radius = 0.8 + (index % 7) * 0.6  # km: some loops cross the zones' borders
            lon, lat = shifted(
                vehicle.home_lon,
                vehicle.home_lat,
                radius * math.cos(angle),
                radius * math.sin(angle),
            )
            state.position = replace(state.position, lon=lon, lat=lat)
            state.speed_kmh = 75.0 + 40.0 * math.sin(angle * 2)  # smooth: a few crossings
            changed = [SPEED]
            energy = state.fuel or state.electric
            if energy is not None:
                level = max(5.0, energy.level - 0.05)
                if level != energy.level:
                    changed.append(LEVELS[state.fuel is not None])
                energy.level = level
            doors = frozenset({DoorId.TRUNK}) if (step + index) % 60 == 0 else frozenset()
            if doors != state.open_doors:
                changed.append(DOORS)
            state.open_doors = doors
            fields = frozenset(changed) if known else None
            bus.publish(VehicleSample(vehicle.id, vehicle.vin, t, "bench", fields))
            samples += 1
    elapsed = time.perf_counter() - started
    gc.enable()
    return elapsed, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vehicles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--cpu", type=int, default=0, help="pin to this CPU (-1: no pinning)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--unknown-changes",
        action="store_true",
        help="samples do not say which fields changed (as the fleet's): all evaluated",
    )
    args = parser.parse_args()
    logging.getLogger("ccsim.delivery").setLevel(logging.ERROR)
    if args.cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})

    known = not args.unknown_changes

    async def measure() -> None:
        built = time.perf_counter()
        sim, fleet = build(args.vehicles, with_monitors=True)
        base_sim, base_fleet = build(args.vehicles, with_monitors=False)
        print(
            f"built {len(fleet):,} vehicles x2 and {len(sim.monitors):,} monitors "
            f"in {time.perf_counter() - built:.1f} s"
        )
        raised: list[int] = []
        run(base_sim, base_fleet, 1, known)  # the first samples leave home: transitions, uncounted
        run(sim, fleet, 1, known)
        warm_events = sum(m.events for m in sim.monitors.all())
        before = sim.monitors.evaluations
        # alternate: baseline, monitors, baseline, monitors (warm both first)
        run(base_sim, base_fleet, 1, known)
        run(sim, fleet, 1, known)
        base_rates: list[float] = []
        mon_rates: list[float] = []
        costs: list[float] = []  # engine us per sample, per pair
        mon_n = 0
        for _ in range(args.pairs):
            base_t, base_n = run(base_sim, base_fleet, args.rounds, known)
            t, n = run(sim, fleet, args.rounds, known)
            mon_n += n
            base_rates.append(base_n / base_t)
            mon_rates.append(n / t)
            costs.append((t / n - base_t / base_n) * 1e6)
        evaluations = sim.monitors.evaluations - before
        raised.append(sum(m.events for m in sim.monitors.all()) - warm_events)
        base_rate = statistics.median(base_rates)
        mon_rate = statistics.median(mon_rates)
        per_sample_us = statistics.median(costs)
        per_eval_ns = per_sample_us * 1000 / 10
        print(f"changed fields named in samples: {'yes' if known else 'no (unknown)'}")
        print(f"samples evaluated: {mon_n:,} ({evaluations:,} monitor evaluations)")
        print(f"events raised: {raised[0]:,} ({warm_events:,} in the uncounted warm-up rounds)")
        print(f"medians of {args.pairs} alternating pairs of {args.rounds} rounds:")
        print(f"baseline (no monitors):  {base_rate:>12,.0f} samples/s")
        print(
            f"with 10 monitors each:   {mon_rate:>12,.0f} samples/s   "
            "(moving the vehicles and publishing included)"
        )
        engine_rate = 1e6 / per_sample_us
        print(
            f"engine alone:            {engine_rate:>12,.0f} samples/s   "
            f"(1 / its cost per sample, {per_sample_us:.2f} us, pairs "
            f"{min(costs):.2f}-{max(costs):.2f} us; "
            f"target >= {TARGET:,.0f}: {'met' if engine_rate >= TARGET else 'NOT met'})"
        )
        print(f"per monitor evaluation:  {per_eval_ns:>12.0f} ns")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            run(sim, fleet, args.rounds)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(18)
            print(out.getvalue())

    asyncio.run(measure())


if __name__ == "__main__":
    main()
