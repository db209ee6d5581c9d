"""The pack's guards change no event.

- A zone's reach (``reach_deg``): anywhere within it, :meth:`inside` keeps the side the
  vehicle had where it was computed (circles and polygons, near their borders and far,
  at every latitude the reach is given for, with the margin's hysteresis).
- A vehicle wandering near the borders of its zones, across time windows, in and out of
  use, hiding where it is now and then, with listeners that move it when they hear an
  event, raises exactly the events of the same drive evaluated monitor by monitor on every
  sample with no pack (``MonitorEngine.evaluate``, every trigger stepped).
"""

from __future__ import annotations

import asyncio
import json
import math
import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from test_monitor_equivalence import CLIENTS, new_spec, shifted
from test_monitor_pack import _fields

from simulator.clock import Clock, ClockMode
from simulator.config import Settings
from simulator.events import Notification, VehicleSample
from simulator.fleet.enums import IgnitionType, PrivacyState
from simulator.monitors.geometry import Circle, Polygon
from simulator.monitors.params import parse_monitor
from simulator.store import Simulator

START = datetime(2024, 3, 4, 5, 30, tzinfo=UTC)
KM_PER_DEG = 111.195


def _shape(rng: random.Random) -> Circle | Polygon:
    lon, lat = rng.uniform(-170, 170), rng.uniform(-79, 79)
    km = rng.choice((0.05, 0.1, 0.5, rng.uniform(0.1, 60)))
    if rng.random() < 0.5:
        return Circle(lon, lat, km)
    points = []
    count = rng.randint(3, 9)
    for k in range(count):
        angle = 2 * math.pi * k / count + rng.uniform(-0.2, 0.2)
        r = km * (1.0 if k % 2 == 0 else rng.uniform(0.2, 1.0))
        points.append(shifted(lon, lat, r * math.cos(angle), r * math.sin(angle)))
    return Polygon(points)


@pytest.mark.parametrize("seed", (1, 2, 3, 4))
def test_within_its_reach_a_zone_keeps_its_side(seed: int) -> None:
    rng = random.Random(f"reach:{seed}")
    checked = 0
    for _ in range(250):
        shape = _shape(rng)
        lon0, lat0 = (shape.lon, shape.lat) if isinstance(shape, Circle) else shape.points[0]
        for _ in range(12):
            # anchors near the border (within a few margins) and anywhere around
            size = 0.2 if rng.random() < 0.7 else 80.0
            lon, lat = shifted(lon0, lat0, rng.uniform(-size, size), rng.uniform(-size, size))
            if isinstance(shape, Circle) and rng.random() < 0.6:
                angle = rng.uniform(0, 2 * math.pi)
                d = shape.radius_km + rng.uniform(-2, 2) * shape.margin_km
                lon, lat = shifted(lon0, lat0, d * math.cos(angle), d * math.sin(angle))
            for previous in (True, False):
                side = shape.inside(lon, lat, previous)  # where an evaluation left it
                reach = shape.reach_deg(lon, lat, side)
                if reach <= 0.0:
                    continue
                c = math.cos(math.radians(lat))
                for _ in range(20):
                    angle = rng.uniform(0, 2 * math.pi)
                    r = reach * rng.choice((1.0, 0.999999, rng.uniform(0.9, 1.0), rng.random()))
                    x = lon + r * math.cos(angle) / c
                    y = lat + r * math.sin(angle)
                    assert shape.inside(x, y, side) is side, (shape, lon, lat, side, x, y)
                    checked += 1
    assert checked > 20_000


def _bench_like(lon: float, lat: float) -> list[dict[str, object]]:
    """Zones around home the walk keeps crossing, a window, and both together."""

    def circle(km: float) -> dict[str, object]:
        return {"place": {"center": {"longitude": lon, "latitude": lat}, "radius": km}}

    office = {"times": [{"recurrence": "Daily", "start": "PT8H", "duration": "PT10H"}]}
    return [
        {"name": "home", "zone": {"transition": "In", **circle(0.6)}},
        {"name": "office", "time": office},
        {"name": "near", "zone": {"transition": "Out", **circle(0.3)}},
    ]


def _drive(seed: int, guarded: bool, steps: int = 2500) -> list[str]:
    """Every event raised, in order: samples published (``guarded``) or every monitor of
    the vehicle evaluated on each sample with no pack."""
    sim = Simulator(
        Settings(vehicles=4, manual_clock=True, life=False, seed=seed),
        clock=Clock(ClockMode.MANUAL, start=START),
    )
    rng = random.Random(f"monitor-guards:{seed}")
    lines: list[str] = []
    fleet = list(sim.fleet)
    where = {vehicle.id: [0.0, 0.0] for vehicle in fleet}

    def move(vehicle_id: str, east: float, north: float) -> None:
        vehicle = sim.fleet.get(vehicle_id)
        assert vehicle is not None
        where[vehicle_id] = [east, north]
        lon, lat = shifted(vehicle.home_lon, vehicle.home_lat, east, north)
        vehicle.state.position = replace(vehicle.state.position, lon=lon, lat=lat)

    def heard(note: Notification) -> None:
        lines.append(json.dumps([note.event_id, note.raised_at, note.vin, note.event]))
        if int(note.event_id[-2:], 16) % 5 == 0:  # some listeners move the car
            vehicle = sim.fleet.by_vin(note.vin)
            assert vehicle is not None
            east, north = where[vehicle.id]
            move(vehicle.id, east + 0.4, north - 0.2)
            vehicle.state.ignition = IgnitionType.START

    sim.bus.subscribe(Notification, heard)

    async def run() -> None:
        for vehicle in fleet:
            vehicle.state.ignition = IgnitionType.START
            home = _bench_like(vehicle.home_lon, vehicle.home_lat)
            both = {"label": "both", "triggerParam": {"triggers": home, "boolExp": "office & near"}}
            alone = {"label": "home", "triggerParam": {"triggers": home[:1], "boolExp": "home"}}
            for index, body in enumerate((both, alone)):
                spec = parse_monitor(body, legacy=False)
                sim.monitors.create(vehicle, vehicle.owner, CLIENTS[index], "cb", spec, "https://g")
            for index in range(8):
                spec = new_spec(rng, vehicle, f"m{index}")
                client = CLIENTS[index % 2]
                sim.monitors.create(vehicle, vehicle.owner, client, "cb", spec, "https://g")
        for _ in range(steps):
            sim.clock.advance(rng.choice((1.0, 10.0, 30.0, 60.0, 600.0, 3600.0)))
            vehicle = rng.choice(fleet)
            before = _fields(vehicle)
            east, north = where[vehicle.id]
            roll = rng.random()
            if roll < 0.6:  # a few metres to a few hundred: near the borders
                east, north = east + rng.gauss(0, 0.05), north + rng.gauss(0, 0.05)
            elif roll < 0.8:
                east, north = east + rng.gauss(0, 0.4), north + rng.gauss(0, 0.4)
            elif roll < 0.85:
                east, north = rng.uniform(-5, 5), rng.uniform(-5, 5)
            move(vehicle.id, max(-6.0, min(6.0, east)), max(-6.0, min(6.0, north)))
            state = vehicle.state
            if rng.random() < 0.05:
                state.ignition = rng.choice(list(IgnitionType))
                state.moving = state.ignition is not IgnitionType.STOP and rng.random() < 0.5
            if rng.random() < 0.03:
                state.privacy = rng.choice((PrivacyState.NONE, PrivacyState.GEOLOCATION))
            if rng.random() < 0.1:
                state.speed_kmh = rng.choice((0.0, 50.0, 90.0, 110.0, 130.0))
            if rng.random() < 0.01:  # monitors paused and resumed: packs built again
                monitor = rng.choice(sim.monitors.all(vehicle.id))
                status = "Paused" if monitor.status == "Running" else "Running"
                sim.monitors.set_status(monitor, status)
            t = sim.clock.time()
            if guarded:
                after = _fields(vehicle)
                changed = frozenset(name for name in after if after[name] != before[name])
                sim.bus.publish(VehicleSample(vehicle.id, vehicle.vin, t, "test", changed))
            else:
                sim.monitors.evaluate(vehicle, sim.monitors.all(vehicle.id), t)

    asyncio.run(run())
    return lines


@pytest.mark.parametrize("seed", (3, 8, 21))
def test_guards_raise_the_events_of_evaluating_every_monitor(seed: int) -> None:
    guarded = _drive(seed, guarded=True)
    stepped = _drive(seed, guarded=False)
    assert len(guarded) > 80
    kinds = {value["kind"] for line in guarded for value in json.loads(line)[3]["values"]}
    assert kinds == {"zone", "time", "data"}
    assert guarded == stepped
