"""The living fleet: simulated hours per wall second, memory per parked vehicle, and the GET
status ratio with the fleet moving in the background.

    python bench/fleet.py [--vehicles 1000] [--hours 24] [--step 60] [--profile]
                          [--memory-sizes 1000,10000,100000] [--max-vehicles N]
                          [--max-build-seconds 60] [--breakdown-vehicles 2000]
                          [--http-vehicles 1000] [--rounds 3] [--duration 2] [--connections 50]
                          [--fast-speed 60] [--lead 5] [--sections 1,2,3]

1. simulation, in this process: a manual clock from Monday 2026-01-05 00:00 UTC and
   ``Simulator(Settings(vehicles=N, life=True), clock=...)`` (its fleet generation is
   timed apart and not counted), a counter subscribed to ``VehicleSample`` on the bus,
   then ``--hours`` of simulated time, once in ``--step`` second advances and once in one
   big ``advance`` (it fires every due timer in order, each at its own time: the same
   day), each on a freshly built simulator, inside ``asyncio.run``.  Wall and CPU time of
   the advances, samples, samples per wall second, trips ended and km driven; the clock
   alone with life off as a baseline.  Target: 24 h of 1,000 vehicles in under 5 s on
   one core.  ``--profile`` adds a cProfiled stepped run and prints its hotspots.
2. memory: one fresh process per size of ``--memory-sizes``: RSS after the imports and a
   one-vehicle warm-up, then after ``Simulator(vehicles=N, life=True)`` (parked: the
   clock does not move) and ``gc.collect()``; the difference / N.  Target: under 5 KB
   (5,000 bytes) per parked vehicle.  A size above ``--max-vehicles`` (default: any size
   whose build, extrapolated from the largest size measured before it, would take more
   than ``--max-build-seconds``; 100,000 vehicles take about 110 s on a 2-vCPU VM) is not
   built: its build time and RSS are printed as extrapolations, labelled so.  Then, in one
   more process, where the bytes of ``--breakdown-vehicles`` vehicles go: tracemalloc's
   allocation sites, and a walk of each vehicle's object graph (objects reachable from
   ``sys.modules`` before the build count as shared and are left out) by field of
   ``Vehicle``, ``VehicleState`` and the fleet engine's ``Life`` (with its departure
   timer), and the registries (with the fleet-wide parked-report sweeps).
3. HTTP: ``bench/http_status.py``'s machinery (GET status over mTLS, keep-alive, the
   simulators and a bare aiohttp server serving the same bytes all pinned to CPU 0, the
   load generator on CPU 1) against three ``serve --vehicles --http-vehicles`` processes
   side by side: life on at real speed, ``--no-life``, and life on at ``--speed
   --fast-speed``.  After one uncounted load each, every round loads each simulator in
   turn (which goes first rotates), each followed by the bare server; the ratio
   simulator / bare per variant, and life over no-life (the issue: not slower with the
   fleet moving).  The clocks start at a weekday commute hour (06:30 UTC, 06:45 UTC for
   the fast one: 07:xx in most of the catalog's European cities) so that vehicles depart
   during the rounds.  The fast simulator's clock is paused but during its own rounds and
   a ``--lead`` second window before them (its fleet gets going; every simulator's CPU
   with no load is measured then): its background work does not weigh on the other
   servers' rounds.  After the rounds, the control API tells how many vehicles are
   driving.

Internal roles of this file (started by the benchmark itself):
    python bench/fleet.py _memory N
    python bench/fleet.py _breakdown N
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import gc
import io
import json
import math
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import delivery
import http_status
from loadgen import LoadResult, run_load

from simulator.clock import Clock, ClockMode
from simulator.config import Settings
from simulator.events import VehicleSample
from simulator.fleet.life import Life
from simulator.fleet.models import Vehicle, VehicleState
from simulator.store import Simulator
from simulator.tls import CertStore

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday, 00:00 UTC
REAL_START = "2026-01-05T06:30:00Z"  # 07:30 in Paris: the morning commute
FAST_START = "2026-01-05T06:45:00Z"
TARGET_DAY_S = 5.0  # 24 h of 1,000 vehicles (issue 25; was 20 s)
TARGET_BYTES = 5_000  # per parked vehicle
TARGET_RATIO = 0.80  # simulator / bare aiohttp (the foundation issue)
TARGET_LIFE_RATIO = 0.95  # life on / --no-life: not slower, within noise
API = "/connectedcar/v4/user"
QUERY = "?client_id=demo-client"


# ------------------------------------------------------------------ 1. simulation
def build_sim(certs: Path, vehicles: int, life: bool) -> tuple[Simulator, float]:
    """A simulator on a manual clock at START; the seconds its constructor took (fleet
    generation, and with life on every vehicle's first plan).  Call it on a running loop."""
    clock = Clock(ClockMode.MANUAL, start=START)
    settings = Settings(certs=certs, manual_clock=True, vehicles=vehicles, life=life, start=START)
    started = time.perf_counter()
    sim = Simulator(settings, clock=clock)
    return sim, time.perf_counter() - started


class SampleCounter:
    """Counts the ``VehicleSample`` events of the bus, by cause and by simulated hour."""

    def __init__(self, origin: float, hours: int) -> None:
        self.origin = origin
        self.count = 0
        self.causes: Counter[str] = Counter()
        self.by_hour = [0] * max(1, hours)

    def __call__(self, event: VehicleSample) -> None:
        self.count += 1
        self.causes[event.cause] += 1
        hour = int((event.at - self.origin) // 3600)
        self.by_hour[min(max(hour, 0), len(self.by_hour) - 1)] += 1


@dataclass
class SimRun:
    label: str
    advances: int
    wall_s: float
    cpu_s: float
    samples: int
    trips: int
    km: float
    causes: Counter[str]
    by_hour: list[int]
    moving: list[int]  # vehicles moving at each hour mark (stepped runs only)
    timers_left: int

    @property
    def rate(self) -> float:
        return self.samples / self.wall_s if self.wall_s else 0.0


def run_fleet(
    sim: Simulator,
    label: str,
    seconds: float,
    step: float,
    profile: cProfile.Profile | None = None,
) -> SimRun:
    """Advance ``sim``'s manual clock by ``seconds`` in ``step`` second advances; only the
    advances are timed (the hourly census of moving vehicles is not)."""
    clock = sim.clock
    counter = SampleCounter(clock.time(), math.ceil(seconds / 3600))
    unsubscribe = sim.bus.subscribe(VehicleSample, counter)
    trips0 = sum(len(v.trips) for v in sim.fleet)
    km0 = sum(v.state.mileage_km for v in sim.fleet)
    wall = cpu = done = 0.0
    advances = 0
    moving: list[int] = []
    next_mark = 3600.0
    try:
        while done < seconds - 1e-9:
            dt = min(step, seconds - done)
            w0, c0 = time.perf_counter(), time.process_time()
            if profile is not None:
                profile.enable()
            clock.advance(dt)
            if profile is not None:
                profile.disable()
            wall += time.perf_counter() - w0
            cpu += time.process_time() - c0
            done += dt
            advances += 1
            if step < seconds and done >= next_mark - 1e-9:
                moving.append(sum(1 for v in sim.fleet if v.state.moving))
                next_mark += 3600.0
    finally:
        unsubscribe()
    return SimRun(
        label=label,
        advances=advances,
        wall_s=wall,
        cpu_s=cpu,
        samples=counter.count,
        trips=sum(len(v.trips) for v in sim.fleet) - trips0,
        km=sum(v.state.mileage_km for v in sim.fleet) - km0,
        causes=counter.causes,
        by_hour=counter.by_hour,
        moving=moving,
        timers_left=clock.pending_timers(),
    )


@dataclass
class SimResult:
    vehicles: int
    hours: float
    builds: list[float]  # seconds per Simulator construction with life on
    stepped: SimRun
    single: SimRun
    baseline: SimRun
    baseline_build: float
    profile_text: str = ""


async def simulate(opts: argparse.Namespace, certs: Path) -> SimResult:
    seconds = opts.hours * 3600.0
    builds: list[float] = []
    runs: list[SimRun] = []
    for label, step in (
        (f"{opts.step:g} s steps", opts.step),
        (f"one advance({seconds:g})", seconds),
    ):
        sim, built = build_sim(certs, opts.vehicles, True)
        builds.append(built)
        runs.append(run_fleet(sim, label, seconds, step))
        del sim
        gc.collect()
    sim, baseline_build = build_sim(certs, opts.vehicles, False)
    baseline = run_fleet(sim, f"life off, {opts.step:g} s steps", seconds, opts.step)
    del sim
    gc.collect()
    profile_text = ""
    if opts.profile:
        sim, _ = build_sim(certs, opts.vehicles, True)
        profile = cProfile.Profile()
        run_fleet(sim, "profiled", seconds, opts.step, profile)
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats(18)
        stats.sort_stats("cumulative").print_stats(
            "life.py|trips.py|charging.py|samples.py|legs.py|models.py|codec.py|clock.py|events.py",
            18,
        )
        profile_text = out.getvalue()
    return SimResult(
        opts.vehicles, opts.hours, builds, runs[0], runs[1], baseline, baseline_build, profile_text
    )


def print_simulation(r: SimResult, opts: argparse.Namespace) -> None:
    per_vehicle_ms = 1000 * statistics.median(r.builds) / max(1, r.vehicles)
    print(
        f"1. {r.hours:g} simulated hours of {r.vehicles:,} vehicles, manual clock from "
        f"{START:%a %Y-%m-%d %H:%M} UTC, in-process (one core)"
    )
    print(
        "   fleet generation (Simulator(...) with life on, not counted below): "
        + ", ".join(f"{b:.2f} s" for b in r.builds)
        + f" = {per_vehicle_ms:.2f} ms/vehicle; life off (generation alone): "
        f"{r.baseline_build:.2f} s"
    )
    header = (
        f"   {'run':<24} {'advances':>8} {'wall s':>8} {'CPU s':>7} {'samples':>9} "
        f"{'samples/s':>10} {'trips':>6} {'km':>9} {'x real time':>12}"
    )
    print(header)
    for run in (r.stepped, r.single, r.baseline):
        speedup = r.hours * 3600 / run.wall_s if run.wall_s else float("inf")
        print(
            f"   {run.label:<24} {run.advances:>8,} {run.wall_s:>8.2f} {run.cpu_s:>7.2f} "
            f"{run.samples:>9,} {run.rate:>10,.0f} {run.trips:>6,} {run.km:>9,.0f} "
            f"{speedup:>12,.0f}"
        )
    same = (r.stepped.samples, r.stepped.trips, round(r.stepped.km, 3)) == (
        r.single.samples,
        r.single.trips,
        round(r.single.km, 3),
    )
    print(
        f"   same samples, trips and km for both step sizes: {'yes' if same else 'NO'}; "
        f"timers pending after: {r.stepped.timers_left:,} / {r.single.timers_left:,} "
        f"(life off: {r.baseline.timers_left:,})"
    )
    print(
        "   samples by cause: " + ", ".join(f"{k} {v:,}" for k, v in r.stepped.causes.most_common())
    )
    print(
        "   samples per simulated hour (UTC): "
        + " ".join(f"{h:02d}:{n}" for h, n in enumerate(r.stepped.by_hour))
    )
    if r.stepped.moving:
        peak = max(range(len(r.stepped.moving)), key=lambda i: r.stepped.moving[i])
        print(
            "   vehicles moving at each hour mark: "
            + " ".join(f"{h + 1:02d}:{n}" for h, n in enumerate(r.stepped.moving))
            + f"  (peak {r.stepped.moving[peak]} at {peak + 1:02d}:00 UTC)"
        )
    day_s = r.stepped.wall_s * 24 / r.hours * 1000 / max(1, r.vehicles)
    average = 100 * r.stepped.cpu_s / (r.hours * 3600)
    busiest = max(r.stepped.by_hour) / 3600
    print(
        f"   scaled: 24 h of 1,000 vehicles ~ {day_s:.2f} s wall.  This fleet's CPU share "
        f"at real speed: {average:.4f} % on average, busiest hour {busiest:.1f} samples/s; "
        f"at --speed {opts.fast_speed:g}: {average * opts.fast_speed:.2f} %, "
        f"{busiest * opts.fast_speed:,.0f} samples/s"
    )
    if r.profile_text:
        print("   cProfile of one more stepped run (profiler overhead included):")
        for line in r.profile_text.splitlines():
            if line.strip():
                print("   | " + line.rstrip()[:150])


# ------------------------------------------------------------------ 2. memory
def rss_bytes() -> int:
    return int(http_status.rss_mb(os.getpid()) * 1024 * 1024)


async def _memory_child(vehicles: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        warm, _ = build_sim(Path(tmp), 1, True)  # imports, faker, zone and lazy caches
        del warm
        gc.collect()
        before = rss_bytes()
        sim, seconds = build_sim(Path(tmp), vehicles, True)
        gc.collect()
        after = rss_bytes()
        return {
            "vehicles": len(sim.fleet),
            "seconds": seconds,
            "rss_before": before,
            "rss_after": after,
            "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "timers": sim.clock.pending_timers(),
        }


def _walk(root: object, seen: set[int]) -> tuple[int, int]:
    """Bytes (``sys.getsizeof``) and count of the objects reachable from ``root`` not in
    ``seen`` (classes and modules are walked through, not counted); marks them seen."""
    size = count = 0
    stack = [root]
    while stack:
        obj = stack.pop()
        key = id(obj)
        if key in seen:
            continue
        seen.add(key)
        if not isinstance(obj, type | ModuleType):
            size += sys.getsizeof(obj)
            count += 1
        stack.extend(gc.get_referents(obj))
    return size, count


async def _breakdown_child(vehicles: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        warm, _ = build_sim(Path(tmp), 1, True)
        del warm
        gc.collect()
        seen: set[int] = set()
        _walk(sys.modules, seen)  # everything that exists before: shared, not counted
        tracemalloc.start(1)
        before = tracemalloc.take_snapshot()
        sim, seconds = build_sim(Path(tmp), vehicles, True)
        gc.collect()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        filters = [tracemalloc.Filter(False, tracemalloc.__file__)]
        after, before = after.filter_traces(filters), before.filter_traces(filters)
        by_line = after.compare_to(before, "lineno")
        by_file = after.compare_to(before, "filename")
        traced = sum(d.size_diff for d in by_line)

        def site(stat: tracemalloc.StatisticDiff, line: bool) -> str:
            frame = stat.traceback[0]
            name = frame.filename
            for prefix in (str(ROOT) + "/", "site-packages/"):
                name = name.split(prefix)[-1]
            return f"{name}:{frame.lineno}" if line else name

        for obj in (sim, sim.life, sim.clock, sim.fleet, sim.bus):
            seen.add(id(obj))
        parts: Counter[str] = Counter()
        objects: Counter[str] = Counter()

        def charge(name: str, root: object) -> None:
            size, count = _walk(root, seen)
            parts[name] += size
            objects[name] += count

        fleet = list(sim.fleet)
        # The fleet engine's records and the registries are private: a benchmark may look.
        lives = sim.life._lives
        vehicle_fields = [f.name for f in dataclasses.fields(Vehicle)]
        state_fields = [f.name for f in dataclasses.fields(VehicleState)]
        life_fields = list(Life.__slots__)
        for vehicle in fleet:
            seen.add(id(vehicle))
            parts["Vehicle object"] += sys.getsizeof(vehicle)
            objects["Vehicle object"] += 1
            seen.add(id(vehicle.state))
            parts["VehicleState object"] += sys.getsizeof(vehicle.state)
            objects["VehicleState object"] += 1
            for name in state_fields:
                charge(f"state.{name}", getattr(vehicle.state, name))
            for name in vehicle_fields:
                if name != "state":
                    charge(f"vehicle.{name}", getattr(vehicle, name))
            life = lives.get(vehicle.id)
            if life is not None:
                seen.add(id(life))
                parts["Life object"] += sys.getsizeof(life)
                objects["Life object"] += 1
                # the Timer of the next departure (its callback is the Life itself)
                charge("life.timer (next departure)", life.timer)
                for name in life_fields:
                    if name not in ("engine", "vehicle", "timer"):
                        charge(f"life.{name}", getattr(life, name))
        registries = {
            "Fleet._by_id dict": sys.getsizeof(sim.fleet._by_id),
            "Fleet._by_owner lists": sum(sys.getsizeof(v) for v in sim.fleet._by_owner.values()),
            "FleetLife._lives dict": sys.getsizeof(lives),
            "FleetLife parked-report sweeps (lists, timers)": sum(
                sys.getsizeof(sweep.lives) + sys.getsizeof(sweep.timer)
                for sweep in sim.life._sweeps.values()
            ),
            "Clock._timers heap list": sys.getsizeof(sim.clock._timers),
        }
        for name, size in registries.items():
            parts[name] += size
            objects[name] += 1
        sample = fleet[:200]
        trips = [t for v in sample for t in v.trips]
        packed_trip_bytes = sum(v.trips.packed_size for v in sample)
        raw_trip_bytes = sum(v.trips.raw_size for v in sample)
        telemetry = sum(len(v.telemetry) for v in sample)
        packed_telemetry = sum(v.telemetry.packed_size for v in sample)
        raw_telemetry = sum(v.telemetry.raw_size for v in sample)
        return {
            "vehicles": len(fleet),
            "seconds": seconds,
            "traced": traced,
            "by_line": [[site(d, True), d.size_diff, d.count_diff] for d in by_line[:14]],
            "by_file": [[site(d, False), d.size_diff, d.count_diff] for d in by_file[:8]],
            "parts": [[name, size, objects[name]] for name, size in parts.most_common()],
            "trips_per_vehicle": len(trips) / max(1, len(sample)),
            "waypoints_per_trip": sum(len(t.waypoints) for t in trips) / max(1, len(trips)),
            "bytes_per_trip": packed_trip_bytes / max(1, len(trips)),
            "raw_bytes_per_trip": raw_trip_bytes / max(1, len(trips)),
            "telemetry_per_vehicle": telemetry / max(1, len(sample)),
            "bytes_per_telemetry": packed_telemetry / max(1, telemetry),
            "raw_bytes_per_telemetry": raw_telemetry / max(1, telemetry),
            "alerts_per_vehicle": sum(len(v.alerts) for v in sample) / max(1, len(sample)),
        }


def run_child(role: str, vehicles: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), role, str(vehicles)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        check=True,
    )
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


@dataclass
class MemoryRow:
    vehicles: int
    measured: dict[str, Any] | None  # None: extrapolated
    build_s: float  # measured or extrapolated
    per_vehicle: float  # RSS bytes per vehicle, measured or extrapolated
    basis: int = 0  # size the extrapolation comes from


@dataclass
class MemoryResult:
    rows: list[MemoryRow] = field(default_factory=list)
    breakdown: dict[str, Any] | None = None


def memory(opts: argparse.Namespace) -> MemoryResult:
    result = MemoryResult()
    rate = per_vehicle = 0.0  # of the largest size measured so far
    basis = 0
    for n in opts.memory_sizes:
        estimate = n * rate
        if opts.max_vehicles is not None:
            skip = n > opts.max_vehicles
        else:
            skip = basis > 0 and estimate > opts.max_build_seconds
        if skip:
            result.rows.append(MemoryRow(n, None, estimate, per_vehicle, basis))
            continue
        got = run_child("_memory", n)
        per_vehicle = (got["rss_after"] - got["rss_before"]) / n
        rate, basis = got["seconds"] / n, n
        result.rows.append(MemoryRow(n, got, got["seconds"], per_vehicle))
    if opts.breakdown_vehicles > 0:
        result.breakdown = run_child("_breakdown", opts.breakdown_vehicles)
    return result


HISTORY = ("trips", "telemetry", "alerts", "collisions", "alarms")


def _group(part: str) -> str:
    if part.startswith("life") or part == "Life object":
        return "fleet life (Life, its timers, places)"
    if part.startswith("state") or part == "VehicleState object":
        return "current state"
    if part.removeprefix("vehicle.") in HISTORY:
        return "history (trips, telemetry, alerts, ...)"
    if part.startswith("vehicle") or part == "Vehicle object":
        return "vehicle identity and static data"
    return "registries (dicts, heap)"


def print_memory(m: MemoryResult, opts: argparse.Namespace) -> None:
    print(
        "2. memory of parked vehicles (life on, clock not moved): one process per size, RSS "
        "after imports and a 1-vehicle warm-up vs after Simulator(vehicles=N) + gc.collect()"
    )
    print(
        f"   {'vehicles':>9} {'build s':>9} {'vehicles/s':>10} {'RSS delta MB':>12} "
        f"{'bytes/vehicle':>13} {'peak RSS MB':>11} {'timers':>8}   target < {TARGET_BYTES:,} B"
    )
    for row in m.rows:
        if row.measured is None and not row.basis:
            print(
                f"   {row.vehicles:>9,}   not built (over --max-vehicles), no smaller size measured"
            )
            continue
        if row.measured is None:
            limit = (
                f"--max-vehicles {opts.max_vehicles:,}"
                if opts.max_vehicles is not None
                else f"--max-build-seconds {opts.max_build_seconds:g}"
            )
            print(
                f"   {row.vehicles:>9,} {'~' + format(row.build_s, '.0f'):>9} "
                f"{row.vehicles / row.build_s if row.build_s else 0:>10,.0f} "
                f"{'~' + format(row.per_vehicle * row.vehicles / 2**20, '.0f'):>12} "
                f"{'~' + format(row.per_vehicle, ',.0f'):>13} {'':>11} {'':>8}   "
                f"EXTRAPOLATED from {row.basis:,} (not built: over {limit})"
            )
            continue
        got = row.measured
        met = "yes" if row.per_vehicle < TARGET_BYTES else "NO"
        print(
            f"   {row.vehicles:>9,} {row.build_s:>9.1f} {row.vehicles / row.build_s:>10,.0f} "
            f"{(got['rss_after'] - got['rss_before']) / 2**20:>12.1f} "
            f"{row.per_vehicle:>13,.0f} {got['peak'] / 2**20:>11.0f} {got['timers']:>8,}   {met}"
        )
    b = m.breakdown
    if b is None:
        return
    n = b["vehicles"]
    walked = sum(size for _, size, _ in b["parts"])
    print(
        f"   where the bytes go, {n:,} vehicles (built in {b['seconds']:.1f} s under "
        f"tracemalloc): traced Python allocations {b['traced'] / n:,.0f} B/vehicle; "
        f"object-graph walk {walked / n:,.0f} B/vehicle"
    )
    print(
        f"   per vehicle: {b['trips_per_vehicle']:.1f} trips ({b['waypoints_per_trip']:.1f} "
        f"waypoints, {b['raw_bytes_per_trip']:.0f} packed bytes each, "
        f"{b['bytes_per_trip']:.0f} deflated), "
        f"{b['telemetry_per_vehicle']:.1f} telemetry records "
        f"({b['raw_bytes_per_telemetry']:.0f} packed bytes each, "
        f"{b['bytes_per_telemetry']:.0f} deflated), "
        f"{b['alerts_per_vehicle']:.1f} alerts"
    )
    groups: Counter[str] = Counter()
    for name, size, _ in b["parts"]:
        groups[_group(name)] += size
    print(
        "   object-graph walk by area, per vehicle: "
        + ", ".join(f"{name} {size / n:,.0f} B" for name, size in groups.most_common())
    )
    print("   object-graph walk (sys.getsizeof, shared objects left out), per vehicle:")
    shown = 0.0
    for name, size, count in b["parts"]:
        if size / n < 24 and shown > 0.97 * walked:
            break
        shown += size
        print(
            f"     {size / n:>7,.0f} B {100 * size / walked:>5.1f} %  {count / n:>6.1f} objects"
            f"  {name}"
        )
    print(f"     {(walked - shown) / n:>7,.0f} B  the rest")
    print("   tracemalloc, top allocation sites (per vehicle):")
    for where, size, count in b["by_line"]:
        print(f"     {size / n:>7,.0f} B  {count / n:>6.1f} blocks  {where}")
    print(
        "   tracemalloc by file: "
        + ", ".join(f"{where} {size / n:,.0f} B" for where, size, _ in b["by_file"])
    )


# ------------------------------------------------------------------ 3. HTTP
@dataclass
class HttpVariant:
    label: str
    proc: subprocess.Popen[str]
    url: str
    ready_s: float
    port: int = 0
    request: bytes = b""
    body_bytes: int = 0
    paused: bool = False  # its clock runs only during its own rounds (the fast one)
    sim: list[LoadResult] = field(default_factory=list)
    bare: list[LoadResult] = field(default_factory=list)
    background_cpu: float = 0.0  # share of a core with no HTTP load (the lead window)
    busy_cpu: float = 0.0  # CPU seconds during its rounds (run_load's warm-up second included)
    busy_wall: float = 0.0  # wall seconds of its rounds (connecting and warm-up included)
    idle_cpu: float = 0.0  # CPU seconds during all the bare server's rounds
    driving: int | None = None  # vehicles driving after the rounds (None: life off)
    vehicles: int = 0
    clock_now: str = ""
    rss_mb: float = 0.0

    @property
    def ratio(self) -> float:
        ours, base = http_status.combine(self.sim), http_status.combine(self.bare)
        return ours.rps / base.rps if base.rps else 0.0

    @property
    def per_round(self) -> list[float]:
        return [a.rps / b.rps for a, b in zip(self.sim, self.bare, strict=True)]

    def cpu_per_request_us(self, warmup: float = 1.0) -> float:
        """The simulator's CPU per request in its rounds, approximately: run_load's warm-up
        second is taken to run at the measured rate (and handshakes count in)."""
        served = sum(r.rps * (r.seconds + warmup) for r in self.sim)
        return 1e6 * self.busy_cpu / served if served else float("nan")


def login(sim_url: str, certs: CertStore) -> tuple[dict[str, str], str]:
    """A token for the demo user (the headers to send) and the first vehicle's id."""
    form = "&".join(
        (
            "grant_type=password",
            "username=demo%40example.com",
            "password=demo",
            "client_id=demo-client",
            "client_secret=demo-secret",
        )
    ).encode()
    token = json.loads(http_status.fetch(sim_url + "/am/oauth2/access_token", certs, data=form)[0])
    auth = {
        "Authorization": f"Bearer {token['access_token']}",
        "x-introspect-realm": "clientsB2CPeugeot",
    }
    listing = json.loads(
        http_status.fetch(sim_url + f"{API}/vehicles{QUERY}", certs, headers=auth)[0]
    )
    return auth, str(listing["_embedded"]["vehicles"][0]["id"])


def clock_control(sim_url: str, certs: CertStore, action: str) -> None:
    """``POST /simulator/v1/clock/{pause,resume}``."""
    http_status.fetch(f"{sim_url}/simulator/v1/clock/{action}", certs, data=b"")


async def census(
    sim_url: str, certs: CertStore, auth: dict[str, str]
) -> tuple[int | None, int, str]:
    """Vehicles driving now (None with life off), vehicles listed, the simulator's clock."""
    connector = aiohttp.TCPConnector(ssl=certs.client_context(), limit=16)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
            async with session.get(url, headers=headers) as resp:
                return resp.status, await resp.json(content_type=None)

        ids: list[str] = []
        url: str | None = sim_url + f"{API}/vehicles{QUERY}"
        while url is not None:
            _, page = await get(url, auth)
            ids += [v["id"] for v in page["_embedded"]["vehicles"]]
            url = page.get("_links", {}).get("next", {}).get("href")
            if url is not None and url.startswith("/"):
                url = sim_url + url
        _, clock = await get(sim_url + "/simulator/v1/clock")
        answers = await asyncio.gather(
            *(get(f"{sim_url}/simulator/v1/vehicles/{vid}/life") for vid in ids)
        )
        if any(status != 200 for status, _ in answers):
            return None, len(ids), str(clock.get("now"))
        return sum(1 for _, body in answers if body["driving"]), len(ids), str(clock.get("now"))


def load(
    port: int, request: bytes, certs: CertStore, connections: int, seconds: float
) -> LoadResult:
    return asyncio.run(
        run_load(
            "127.0.0.1",
            port,
            request,
            certs.client_context(),
            connections=connections,
            duration=seconds,
        )
    )


def http(opts: argparse.Namespace) -> list[HttpVariant]:
    """The three simulators run side by side (the fast one's clock paused but during its own
    rounds and the lead window); each round measures each simulator, then the bare server."""
    specs = (
        ("life on, real time", ["--start", REAL_START], False),
        ("--no-life", ["--no-life", "--start", REAL_START], False),
        (
            f"life on, --speed {opts.fast_speed:g}",
            ["--speed", str(opts.fast_speed), "--start", FAST_START],
            True,
        ),
    )
    variants: list[HttpVariant] = []
    with tempfile.TemporaryDirectory() as tmp:
        certs = CertStore(Path(tmp) / "certs")
        certs.ensure()
        bare: subprocess.Popen[str] | None = None
        bare_port = 0
        try:
            for label, extra, paused in specs:
                proc, url, ready_s = http_status.start_process(
                    [
                        sys.executable,
                        "-m",
                        "simulator",
                        "serve",
                        "--port",
                        "0",
                        "--certs",
                        str(certs.directory),
                        "--vehicles",
                        str(opts.http_vehicles),
                        *extra,
                    ]
                )
                v = HttpVariant(label, proc, url, ready_s, paused=paused)
                variants.append(v)
                if paused:
                    clock_control(url, certs, "pause")
                auth, vid = login(url, certs)
                path = f"{API}/vehicles/{vid}/status"
                body, content_type = http_status.fetch(f"{url}{path}{QUERY}", certs, headers=auth)
                v.port, v.body_bytes = int(url.rsplit(":", 1)[1]), len(body)
                v.request = (
                    f"GET {path}{QUERY} HTTP/1.1\r\nHost: localhost\r\n"
                    f"Authorization: {auth['Authorization']}\r\n"
                    f"x-introspect-realm: {auth['x-introspect-realm']}\r\n\r\n"
                ).encode()
                if bare is None:
                    body_file = Path(tmp) / "status.json"
                    body_file.write_bytes(body)
                    bare, bare_url, _ = http_status.start_process(
                        [
                            sys.executable,
                            str(SCRIPT.parent / "bare_server.py"),
                            str(certs.directory),
                            str(body_file),
                            content_type.split(";")[0],
                            path,
                        ]
                    )
                    bare_port = int(bare_url.rsplit(":", 1)[1])
            http_status._pin(1)
            request = variants[0].request
            for v in variants:  # a first load, not counted: the first round is no outlier
                load(v.port, v.request, certs, opts.connections, 0.5)
            # lead window: the fast fleet gets going; every simulator's CPU with no load
            for v in variants:
                if v.paused:
                    clock_control(v.url, certs, "resume")
            cpu0 = [delivery.cpu_seconds(v.proc.pid) for v in variants]
            time.sleep(opts.lead)
            for v, c0 in zip(variants, cpu0, strict=True):
                v.background_cpu = (delivery.cpu_seconds(v.proc.pid) - c0) / opts.lead
                if v.paused:
                    clock_control(v.url, certs, "pause")
            for k in range(opts.rounds):
                for v in variants[k % 3 :] + variants[: k % 3]:  # each goes first in turn
                    if v.paused:
                        clock_control(v.url, certs, "resume")
                    before, started = delivery.cpu_seconds(v.proc.pid), time.perf_counter()
                    v.sim.append(load(v.port, v.request, certs, opts.connections, opts.duration))
                    v.busy_cpu += delivery.cpu_seconds(v.proc.pid) - before
                    v.busy_wall += time.perf_counter() - started
                    if v.paused:
                        clock_control(v.url, certs, "pause")
                    idle0 = [delivery.cpu_seconds(w.proc.pid) for w in variants]
                    v.bare.append(load(bare_port, request, certs, opts.connections, opts.duration))
                    for w, c0 in zip(variants, idle0, strict=True):
                        w.idle_cpu += delivery.cpu_seconds(w.proc.pid) - c0
            for v in variants:
                v.driving, v.vehicles, v.clock_now = asyncio.run(
                    census(v.url, certs, login(v.url, certs)[0])
                )
                v.rss_mb = http_status.rss_mb(v.proc.pid)
        finally:
            for v in variants:
                http_status.stop(v.proc)
            if bare is not None:
                http_status.stop(bare)
    return variants


def print_http(variants: list[HttpVariant], opts: argparse.Namespace) -> None:
    print(
        f"3. GET status over mTLS, keep-alive, {opts.connections} connections, "
        f"{opts.rounds} rounds of {opts.duration:g} s, each round every simulator "
        f"(serve --vehicles {opts.http_vehicles:,}) then the bare aiohttp server; all "
        "servers on CPU 0, load on CPU 1"
    )
    bare_wall = sum(r.seconds + 1.0 for v in variants for r in v.bare) or 1.0
    for v in variants:
        driving = "life off" if v.driving is None else f"{v.driving} of {v.vehicles} driving"
        clock = (
            f"clock paused but during its rounds and the {opts.lead:g} s lead; " if v.paused else ""
        )
        print(
            f"   {v.label}: ready in {v.ready_s:.1f} s, body {v.body_bytes} bytes; {clock}after "
            f"the rounds clock {v.clock_now[:19]}, {driving}; CPU with no load "
            f"{100 * v.background_cpu:.1f} % (lead window), {100 * v.idle_cpu / bare_wall:.1f} "
            f"% (during the bare rounds), RSS {v.rss_mb:.0f} MB"
        )
        http_status.report("     simulator", http_status.combine(v.sim))
        print(
            f"     simulator CPU in its rounds {100 * v.busy_cpu / v.busy_wall:.0f} % of a core "
            f"(connecting included), ~{v.cpu_per_request_us():.0f} us/request"
        )
        http_status.report("     bare", http_status.combine(v.bare))
        print(
            f"     ratio simulator / bare {v.ratio:.2f} over all rounds, median of rounds "
            f"{statistics.median(v.per_round):.2f} (per round "
            + ", ".join(f"{x:.2f}" for x in v.per_round)
            + f"; target >= {TARGET_RATIO:.2f})"
        )
    if len(variants) == 3:
        life, off, fast = variants
        for v in (life, fast):
            rounds = [a / b for a, b in zip(v.per_round, off.per_round, strict=True)]
            print(
                f"   {v.label} / --no-life: {v.ratio / off.ratio:.2f} over all rounds, per round "
                + ", ".join(f"{x:.2f}" for x in rounds)
                + f" (target >= {TARGET_LIFE_RATIO:.2f}: not slower, within noise)"
            )


# ------------------------------------------------------------------ summary and main
def summary(
    opts: argparse.Namespace,
    sim: SimResult | None,
    mem: MemoryResult | None,
    variants: list[HttpVariant] | None,
) -> None:
    rows: list[tuple[str, str, str, str]] = []
    if sim is not None:
        scale = 24 / sim.hours * 1000 / max(1, sim.vehicles)
        for run in (sim.stepped, sim.single):
            day = run.wall_s * scale
            rows.append(
                (
                    f"24 h x 1,000 vehicles, {run.label}",
                    f"{day:.2f} s ({run.rate:,.0f} samples/s)",
                    f"< {TARGET_DAY_S:g} s",
                    "yes" if day < TARGET_DAY_S else "NO",
                )
            )
    if mem is not None:
        for row in mem.rows:
            extrapolated = row.measured is None
            if extrapolated and not row.basis:
                continue
            rows.append(
                (
                    f"RSS per parked vehicle, {row.vehicles:,}",
                    f"{'~' if extrapolated else ''}{row.per_vehicle:,.0f} B"
                    + (" (extrapolated)" if extrapolated else ""),
                    f"< {TARGET_BYTES:,} B",
                    ("yes" if row.per_vehicle < TARGET_BYTES else "NO")
                    + ("?" if extrapolated else ""),
                )
            )
    if variants:
        for v in variants:
            rows.append(
                (
                    f"status simulator / bare, {v.label}",
                    f"{v.ratio:.2f}",
                    f">= {TARGET_RATIO:.2f}",
                    "yes" if v.ratio >= TARGET_RATIO else "NO",
                )
            )
        if len(variants) == 3:
            off = variants[1]
            for v in (variants[0], variants[2]):
                rel = v.ratio / off.ratio if off.ratio else 0.0
                rows.append(
                    (
                        f"status ratio {v.label} / --no-life",
                        f"{rel:.2f}",
                        f">= {TARGET_LIFE_RATIO:.2f}",
                        "yes" if rel >= TARGET_LIFE_RATIO else "NO",
                    )
                )
    if not rows:
        return
    header = f"{'measure':<46} {'figure':>32}  {'target':<10} {'met':<4}"
    print(header)
    print("-" * len(header))
    for name, figure, target, met in rows:
        print(f"{name:<46} {figure:>32}  {target:<10} {met:<4}")


def _sizes(text: str) -> list[int]:
    sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("positive integers separated by commas")
    return sizes


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] in ("_memory", "_breakdown"):
        child = _memory_child if sys.argv[1] == "_memory" else _breakdown_child
        print(json.dumps(asyncio.run(child(int(sys.argv[2])))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--vehicles", type=int, default=1000, help="1. fleet size")
    parser.add_argument("--hours", type=float, default=24.0, help="1. simulated hours")
    parser.add_argument("--step", type=float, default=60.0, help="1. seconds per advance")
    parser.add_argument("--profile", action="store_true", help="1. cProfile one more run")
    parser.add_argument(
        "--memory-sizes", type=_sizes, default=[1000, 10_000, 100_000], help="2. N,N,..."
    )
    parser.add_argument(
        "--max-vehicles",
        type=int,
        default=None,
        help="2. build no larger fleet (default: by --max-build-seconds)",
    )
    parser.add_argument(
        "--max-build-seconds",
        type=float,
        default=60.0,
        help="2. without --max-vehicles: skip sizes whose extrapolated build takes longer",
    )
    parser.add_argument("--breakdown-vehicles", type=int, default=2000, help="2. 0: no breakdown")
    parser.add_argument("--http-vehicles", type=int, default=1000, help="3. serve --vehicles")
    parser.add_argument("--rounds", type=int, default=3, help="3. alternating rounds")
    parser.add_argument("--duration", type=float, default=2.0, help="3. seconds per round")
    parser.add_argument("--connections", type=int, default=50, help="3. keep-alive connections")
    parser.add_argument("--fast-speed", type=float, default=60.0, help="3. the fast variant")
    parser.add_argument(
        "--lead", type=float, default=5.0, help="3. seconds the fast fleet runs before the rounds"
    )
    parser.add_argument(
        "--sections", default="1,2,3", help="which of 1 (simulate), 2 (memory), 3 (HTTP)"
    )
    opts = parser.parse_args()
    sections = {s.strip() for s in opts.sections.split(",")}
    if not sections <= {"1", "2", "3"}:
        parser.error("--sections takes 1, 2 and 3, separated by commas")
    if min(opts.vehicles, opts.rounds, opts.http_vehicles, opts.connections) < 1:
        parser.error("vehicles, rounds and connections must be positive")
    if min(opts.hours, opts.step, opts.duration, opts.fast_speed, opts.lead) <= 0:
        parser.error("hours, step, duration, speed and lead must be positive")

    started = time.perf_counter()
    sim = mem = None
    variants = None
    if "1" in sections:
        with tempfile.TemporaryDirectory() as tmp:
            sim = asyncio.run(simulate(opts, Path(tmp)))
        print_simulation(sim, opts)
        print()
    if "2" in sections:
        mem = memory(opts)
        print_memory(mem, opts)
        print()
    if "3" in sections:  # last: it pins this process to CPU 1
        variants = http(opts)
        print_http(variants, opts)
        print()
    summary(opts, sim, mem, variants)
    print(f"whole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
