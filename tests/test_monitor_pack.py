"""The engine's shortcuts change no event.

- A zone's inner box: inside it :meth:`Circle.inside` holds whatever the previous side
  (the engine answers "inside" there with no geometry).
- Samples that name the data fields that changed (``VehicleSample.changed``) raise
  exactly the events of the same samples with the changes unknown (every trigger
  evaluated): two seeded simulators, the same monitors of every kind, the same data
  driven into both, one told what changed (worked out by reading every field before and
  after), the other not.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from test_monitor_equivalence import CLIENTS, LEVELS, SPEEDS, new_spec, shifted

from simulator.clock import Clock, ClockMode
from simulator.config import Settings
from simulator.events import Notification, VehicleSample
from simulator.fleet.enums import DoorId, IgnitionType, PrivacyState
from simulator.fleet.models import Vehicle
from simulator.monitors.fields import FIELDS
from simulator.monitors.geometry import Circle, Polygon
from simulator.store import Simulator

START = datetime(2024, 3, 4, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize("seed", (1, 2, 3))
def test_inside_its_inner_box_a_circle_always_holds(seed: int) -> None:
    rng = random.Random(seed)
    boxes = 0
    for _ in range(300):
        lon, lat = rng.uniform(-179, 179), rng.uniform(-80, 80)
        circle = Circle(lon, lat, rng.choice((0.1, 0.12, rng.uniform(0.1, 50))))
        lon_lo, lon_hi, lat_lo, lat_hi = circle.inner_box()
        if lon_lo > lon_hi:
            continue  # none (within its margin)
        boxes += 1
        for _ in range(40):
            x = rng.choice((lon_lo, lon_hi, rng.uniform(lon_lo, lon_hi)))
            y = rng.choice((lat_lo, lat_hi, rng.uniform(lat_lo, lat_hi)))
            for previous in (None, True, False):
                assert circle.inside(x, y, previous), (circle, x, y, previous)
    assert boxes > 200
    star = Polygon([(2.0, 48.0), (2.1, 48.0), (2.05, 48.1)])
    lon_lo, lon_hi, _, _ = star.inner_box()
    assert lon_lo > lon_hi  # a polygon has none: tested edge by edge


def _fields(vehicle: Vehicle) -> dict[str, object]:
    return {name: field.get(vehicle) for name, field in FIELDS.items()}


def _mutate(vehicle: Vehicle, draw: dict[str, Any]) -> None:
    state = vehicle.state
    if "position" in draw:
        east, north = draw["position"]
        lon, lat = shifted(vehicle.home_lon, vehicle.home_lat, east, north)
        state.position = replace(state.position, lon=lon, lat=lat)
    if "speed" in draw:
        state.speed_kmh = draw["speed"]
    if "level" in draw:
        energy = state.fuel or state.electric
        if energy is not None:
            energy.level = draw["level"]
    if "doors" in draw:
        state.open_doors = frozenset(draw["doors"])
    if "ignition" in draw:
        state.ignition = draw["ignition"]
        state.moving = draw["ignition"] is not IgnitionType.STOP
    if "privacy" in draw:
        state.privacy = draw["privacy"]


def _draw(rng: random.Random) -> dict[str, Any]:
    draw: dict[str, Any] = {}
    if rng.random() < 0.6:
        draw["position"] = (rng.uniform(-4, 4), rng.uniform(-4, 4))
    if rng.random() < 0.3:
        draw["speed"] = rng.choice(SPEEDS)  # often the same value again: no change
    if rng.random() < 0.3:
        draw["level"] = rng.choice(LEVELS)
    if rng.random() < 0.2:
        draw["doors"] = rng.sample(list(DoorId), rng.randint(0, 1))
    if rng.random() < 0.1:
        draw["ignition"] = rng.choice(list(IgnitionType))
    if rng.random() < 0.05:
        draw["privacy"] = rng.choice((PrivacyState.NONE, PrivacyState.GEOLOCATION))
    return draw


def _drive(seed: int, named: bool, steps: int = 700) -> tuple[list[str], list[int]]:
    """Every event raised (one JSON line each, in order), and how many fields each
    sample named as changed."""
    sim = Simulator(
        Settings(vehicles=6, manual_clock=True, life=False, seed=seed),
        clock=Clock(ClockMode.MANUAL, start=START),
    )
    rng = random.Random(f"monitor-pack:{seed}")
    lines: list[str] = []
    sizes: list[int] = []

    def heard(note: Notification) -> None:
        lines.append(json.dumps([note.event_id, note.raised_at, note.vin, note.event]))

    sim.bus.subscribe(Notification, heard)
    fleet = list(sim.fleet)

    async def run() -> None:
        for vehicle in fleet:
            for index in range(8):
                spec = new_spec(rng, vehicle, f"m{index}")
                client = CLIENTS[index % 2]
                sim.monitors.create(vehicle, vehicle.owner, client, "cb", spec, "https://p")
        for _ in range(steps):
            sim.clock.advance(rng.choice((10.0, 60.0, 600.0, 3600.0)))
            vehicle = rng.choice(fleet)
            before = _fields(vehicle)
            _mutate(vehicle, _draw(rng))
            after = _fields(vehicle)
            changed = frozenset(name for name in after if after[name] != before[name])
            sizes.append(len(changed))
            sample = VehicleSample(
                vehicle.id, vehicle.vin, sim.clock.time(), "test", changed if named else None
            )
            sim.bus.publish(sample)

    asyncio.run(run())
    return lines, sizes


@pytest.mark.parametrize("seed", (5, 11, 42))
def test_naming_the_changed_fields_raises_the_same_events(seed: int) -> None:
    named, sizes = _drive(seed, named=True)
    unknown, _ = _drive(seed, named=False)
    assert named == unknown
    assert len(named) > 50
    data = [json.loads(line)[3]["values"] for line in named]
    assert any(value["kind"] == "data" for values in data for value in values)
    assert sizes.count(0) > 100  # samples where no data field changed
    assert sum(1 for size in sizes if size) > 100  # and where some did
