"""The monitor engine raises exactly the events it raised before it was made faster.

A seeded fleet that lives (trips, charges, parking on the manual clock) gets many
monitors of every trigger kind (zone circles and polygons In and Out, daily and
one-off time windows, data triggers on many fields with every operator and the
``previous`` rule, ``boolExp`` combinations, refresh reminders, extensions); a seeded
driver then injects data (positions crossing the zones, speeds, levels, doors,
locks, alerts, privacy, ignition, plugs), moves the clock, pauses, resumes,
replaces and deletes monitors.  Every event raised is recorded in order (event id,
time, routing and the whole ``monitorEvent``) and compared with the reference
recorded from the engine before the change: a digest per seed, and a few events kept
readable in ``tests/data/monitor_equivalence.json`` to show what differs.

Record the reference again (only when a change of the events is intended)::

    MONITOR_EQUIVALENCE_RECORD=1 .venv/bin/pytest -q tests/test_monitor_equivalence.py
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from simulator.clock import Clock, ClockMode
from simulator.config import Settings
from simulator.errors import InvalidField
from simulator.events import Notification
from simulator.fleet.models import Vehicle
from simulator.fleet.state_body import StateInjection
from simulator.monitors.engine import Monitor
from simulator.monitors.geometry import Circle, Polygon
from simulator.monitors.params import parse_monitor
from simulator.store import Simulator

DATA = Path(__file__).parent / "data" / "monitor_equivalence.json"
RECORD = os.environ.get("MONITOR_EQUIVALENCE_RECORD") == "1"
SEEDS = (1, 7, 23, 101)
START = datetime(2024, 3, 4, 5, 30, tzinfo=UTC)  # a Monday morning
KM_PER_DEG = 111.195
CLIENTS = ("eq-a", "eq-b")
ZONES = ("Europe/Paris", "UTC", "America/New_York", "Asia/Tokyo")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
KEPT = 8  # readable events kept per seed

# (field, op, values, previous) choices for data triggers; values are drawn by _data
FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vehicle.kinetic.speed", ("greaterThan", "lowerThan", "equalsTo")),
    ("vehicle.energy.fuel.level", ("lowerThan", "greaterThan", "equalsTo")),
    ("vehicle.energy.electric.level", ("lowerThan", "greaterThan")),
    ("vehicle.odometer", ("greaterThan", "lowerThan")),
    ("vehicle.autonomy", ("lowerThan", "greaterThan")),
    ("vehicle.energy.fuel.autonomy", ("lowerThan",)),
    ("vehicle.energy.electric.autonomy", ("lowerThan",)),
    ("vehicle.doorsState.opening", ("onChange",)),
    ("vehicle.doorsState.lockedState", ("onChange",)),
    ("vehicle.kinetic.moving", ("equalsTo", "onChange")),
    ("vehicle.engines.running", ("equalsTo", "onChange")),
    ("vehicle.energy.charging.status", ("onChange", "equalsTo", "includedIn")),
    ("vehicle.energy.charging.plugged", ("equalsTo", "onChange")),
    ("vehicle.energy.charging.type", ("equalsTo", "onChange")),
    ("vehicle.alert", ("onChange", "includedIn", "equalsTo")),
    ("privacy.state", ("equalsTo", "includedIn", "onChange")),
    ("environment.air.temp", ("greaterThan", "lowerThan")),
    ("vehicle.trip.start", ("onChange",)),
    ("vehicle.trip.stop", ("onChange",)),
    ("vehicle.trip.distance", ("greaterThan",)),
    ("vehicle.trip.duration", ("greaterThan",)),
    ("vehicle.trip.state", ("includedIn",)),
    ("vehicle.engines.thermic.oil.temp", ("greaterThan",)),
    ("vehicle.safety.beltWarning", ("equalsTo", "onChange")),
    ("vehicle.powertrain.status", ("equalsTo", "onChange")),
    ("vehicle.drivingBehavior.mode", ("onChange", "includedIn")),
    ("vehicle.preconditioning.airConditioning", ("onChange",)),
    ("vehicle.maintenance.daysBeforeMaintenance", ("lowerThan",)),
    ("vehicle.maintenance.mileageBeforeMaintenance", ("lowerThan",)),
)
ENUMS: dict[str, tuple[str, ...]] = {
    "vehicle.energy.charging.status": (
        "Disconnected",
        "InProgress",
        "Failure",
        "Stopped",
        "Finished",
    ),
    "vehicle.energy.charging.type": ("No", "Slow", "Quick"),
    "vehicle.alert": ("FuelLevelLow", "OilLevelLow", "RiskOfIce", "EngineFault", "ShiftToPark"),
    "privacy.state": ("None", "Geolocation", "Full"),
    "vehicle.trip.state": ("Nominal", "Unstarted", "DataLacking", "Unfinished"),
    "vehicle.safety.beltWarning": ("Normal", "Omission"),
    "vehicle.powertrain.status": ("NotRunning", "Starting", "Running", "Stopping", "Stopped"),
    "vehicle.drivingBehavior.mode": ("Eco", "Normal", "Sport"),
}
NUMBERS: dict[str, tuple[int, int]] = {
    "vehicle.kinetic.speed": (0, 130),
    "vehicle.energy.fuel.level": (5, 95),
    "vehicle.energy.electric.level": (5, 95),
    "vehicle.odometer": (0, 60_000),
    "vehicle.autonomy": (50, 600),
    "vehicle.energy.fuel.autonomy": (50, 600),
    "vehicle.energy.electric.autonomy": (50, 400),
    "environment.air.temp": (-5, 30),
    "vehicle.trip.distance": (1, 40),
    "vehicle.trip.duration": (60, 3600),
    "vehicle.engines.thermic.oil.temp": (20, 110),
    "vehicle.maintenance.daysBeforeMaintenance": (0, 400),
    "vehicle.maintenance.mileageBeforeMaintenance": (0, 30_000),
}
GRID: dict[str, tuple[int, ...]] = {  # thresholds the injected values hit or round to
    "vehicle.kinetic.speed": (0, 50, 90, 110, 130),
    "vehicle.energy.fuel.level": (10, 15, 50),
    "vehicle.energy.electric.level": (10, 15, 50),
    "environment.air.temp": (0, 20),
}
SPEEDS = (0.0, 50.0, 90.0, 110.0, 130.0, 110.4)
LEVELS = (10.0, 14.5, 15.0, 15.5, 14.49, 50.0, 50.5)
BOOLS = ("vehicle.kinetic.moving", "vehicle.engines.running", "vehicle.energy.charging.plugged")
ALERTS = ("FuelLevelLow", "OilLevelLow", "RiskOfIce", "EngineFault", "ShiftToPark")
DOORS = ("Driver", "Passenger", "Trunk", "RearWindow")


def shifted(lon: float, lat: float, east_km: float, north_km: float) -> tuple[float, float]:
    return (
        lon + east_km / (KM_PER_DEG * math.cos(math.radians(lat))),
        lat + north_km / KM_PER_DEG,
    )


# ------------------------------------------------------------------ monitor bodies
def _zone(rng: random.Random, vehicle: Vehicle) -> dict[str, Any]:
    lon, lat = shifted(vehicle.home_lon, vehicle.home_lat, rng.uniform(-3, 3), rng.uniform(-3, 3))
    transition = rng.choice(("In", "Out"))
    if rng.random() < 0.5:
        radius = round(rng.uniform(0.3, 4.0), 3)
        place = {"center": {"longitude": lon, "latitude": lat}, "radius": radius}
        return {"transition": transition, rng.choice(("place", "circle")): place}
    points = rng.randint(3, 9)
    ring = []
    for k in range(points):
        angle = 2 * math.pi * k / points + rng.uniform(-0.2, 0.2)
        r = rng.uniform(0.4, 3.5) * (1.0 if k % 2 == 0 else rng.uniform(0.3, 1.0))
        ring.append(list(shifted(lon, lat, r * math.cos(angle), r * math.sin(angle))))
    return {"transition": transition, "polygon": {"type": "Polygon", "coordinates": ring}}


def _time(rng: random.Random) -> dict[str, Any]:
    times: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.75:
            entry: dict[str, Any] = {
                "recurrence": "Daily",
                "start": f"PT{rng.randint(0, 23)}H{rng.choice((0, 15, 30, 45))}M",
                "duration": f"PT{rng.randint(1, 14)}H",
            }
            if rng.random() < 0.5:
                entry["occurence"] = {"day": rng.sample(DAYS, rng.randint(1, 6))}
        else:
            begin = START + timedelta(hours=rng.uniform(0, 60))
            entry = {"recurrence": "None", "start": begin.isoformat().replace("+00:00", "Z")}
            if rng.random() < 0.7:
                entry["duration"] = f"PT{rng.randint(1, 30)}H"
        times.append(entry)
    return {"times": times, "timeZone": rng.choice(ZONES)}


def _value(rng: random.Random, field: str) -> str:
    if field in GRID and rng.random() < 0.6:  # values the drive injects: equality, rounding
        return str(rng.choice(GRID[field]))
    if field in NUMBERS:
        lo, hi = NUMBERS[field]
        return str(rng.randint(lo, hi))
    if field in BOOLS:
        return rng.choice(("true", "false"))
    return rng.choice(ENUMS[field])


def _data(rng: random.Random) -> dict[str, Any]:
    field, ops = rng.choice(FIELDS)
    if rng.random() < 0.4:  # thresholds the drive hits exactly: > against >=, rounding
        field = rng.choice(tuple(GRID))
        ops = dict(FIELDS)[field]
    op = rng.choice(ops)
    body: dict[str, Any] = {"data": field, "op": op}
    if op == "includedIn":
        body["value"] = sorted({_value(rng, field) for _ in range(rng.randint(1, 3))})
    elif op != "onChange":
        body["value"] = [_value(rng, field)]
    previous_ok = field in BOOLS[:2] or field in (
        "vehicle.energy.charging.status",
        "privacy.state",
        "vehicle.alert",
        "vehicle.safety.beltWarning",
    )
    if previous_ok and rng.random() < 0.4:
        body["previous"] = {"value": [_value(rng, field)], "op": "equalsTo"}
    return body


def _expression(rng: random.Random, names: list[str]) -> str:
    def build(items: list[str]) -> str:
        if len(items) == 1:
            text = items[0]
            return f"!{text}" if rng.random() < 0.2 else text
        cut = rng.randint(1, len(items) - 1)
        left, right = build(items[:cut]), build(items[cut:])
        text = f"{left} {rng.choice('&|')} {right}"
        return f"({text})" if rng.random() < 0.5 else text

    shuffled = names[:]
    rng.shuffle(shuffled)
    return build(shuffled)


def monitor_body(rng: random.Random, vehicle: Vehicle, label: str) -> dict[str, Any]:
    count = rng.choice((1, 1, 1, 2, 2, 3, 4))
    triggers: list[dict[str, Any]] = []
    for index in range(count):
        name = f"t{index}"
        kind = rng.choices(("zone", "time", "data"), weights=(4, 2, 5))[0]
        if kind == "zone":
            triggers.append({"name": name, "zone": _zone(rng, vehicle)})
        elif kind == "time":
            triggers.append({"name": name, "time": _time(rng)})
        else:
            triggers.append({"name": name, "data": _data(rng)})
    names = [t["name"] for t in triggers]
    body: dict[str, Any] = {
        "label": label,
        "triggerParam": {"triggers": triggers, "boolExp": _expression(rng, names)},
    }
    if rng.random() < 0.15:
        body["subscribeParam"] = {"refreshEvent": rng.choice((300, 900, 3600, 7200))}
    if rng.random() < 0.2:
        body["extendedEventParam"] = rng.sample(
            ["vehicle.position", "vehicle.doorsState", "vehicle.status"], rng.randint(1, 2)
        )
    return body


def new_spec(rng: random.Random, vehicle: Vehicle, label: str) -> Any:
    while True:  # an expression always true or false is refused: draw again
        try:
            return parse_monitor(monitor_body(rng, vehicle, label), legacy=False)
        except InvalidField:
            continue


# ------------------------------------------------------------------ the drive
def _injection(rng: random.Random, vehicle: Vehicle) -> dict[str, Any]:
    state = vehicle.state
    body: dict[str, Any] = {}
    if rng.random() < 0.7:
        lon, lat = shifted(
            vehicle.home_lon, vehicle.home_lat, rng.uniform(-4, 4), rng.uniform(-4, 4)
        )
        if rng.random() < 0.5:  # a small step from where it is: borders crossed slowly
            lon, lat = shifted(
                state.position.lon,
                state.position.lat,
                rng.uniform(-0.3, 0.3),
                rng.uniform(-0.3, 0.3),
            )
        body["position"] = {"longitude": lon, "latitude": lat}
    if rng.random() < 0.5:
        body["speedKmh"] = rng.choice((*SPEEDS, rng.uniform(0, 140)))
    if rng.random() < 0.2:
        body["ignition"] = rng.choice(("Stop", "StartUp", "Start"))
    if rng.random() < 0.1:
        body["privacy"] = rng.choice(("None", "None", "Geolocation", "Full"))
    if rng.random() < 0.2:
        body["openDoors"] = rng.sample(DOORS, rng.randint(0, 2))
    if rng.random() < 0.1:
        body["lockedStates"] = [rng.choice(("Locked", "Unlocked", "SuperLocked"))]
    if rng.random() < 0.15:
        body["alerts"] = rng.sample(ALERTS, rng.randint(0, 2))
    if rng.random() < 0.2:
        body["airTempC"] = rng.choice((0.0, 20.0, rng.uniform(-5, 30)))
    if rng.random() < 0.2:
        body["mileageKm"] = state.mileage_km + rng.uniform(0, 50)
    if rng.random() < 0.3 and state.fuel is not None:
        body["fuelLevel"] = rng.choice((*LEVELS, rng.uniform(0, 100)))
    if rng.random() < 0.3 and state.electric is not None:
        body["electricLevel"] = rng.choice((*LEVELS, rng.uniform(0, 100)))
    if rng.random() < 0.1 and state.electric is not None:
        body["plugged"] = rng.random() < 0.5
    return body


def _event(notification: Notification) -> dict[str, Any]:
    return {
        "eventId": notification.event_id,
        "at": notification.raised_at,
        "user": notification.user_id,
        "client": notification.client_id,
        "vin": notification.vin,
        "callback": notification.callback_id,
        "label": notification.label,
        "variables": notification.variables,
        "overrides": notification.overrides,
        "event": notification.event,
    }


def drive(seed: int, vehicles: int = 10, steps: int = 1000) -> list[str]:
    """Every event raised, one JSON line each, in order."""
    sim = Simulator(
        Settings(vehicles=vehicles, manual_clock=True, life=True, seed=seed),
        clock=Clock(ClockMode.MANUAL, start=START),
    )
    rng = random.Random(f"monitor-equivalence:{seed}")
    lines: list[str] = []
    sim.bus.subscribe(
        Notification,
        lambda n: (
            lines.append(json.dumps(_event(n), sort_keys=True)) if n.type == "Monitor" else None
        ),
    )
    fleet = list(sim.fleet)
    counter = 0

    def create(vehicle: Vehicle) -> None:
        nonlocal counter
        counter += 1
        client = rng.choice(CLIENTS)
        if len(sim.monitors.of_vehicle(vehicle.id, vehicle.owner, client)) >= 5:
            return
        spec = new_spec(rng, vehicle, f"m{counter}")
        sim.monitors.create(vehicle, vehicle.owner, client, "cb", spec, "https://eq")

    async def run() -> None:
        for vehicle in fleet:
            for _ in range(rng.randint(5, 10)):
                create(vehicle)
        for _ in range(steps):
            sim.clock.advance(
                rng.choice((5.0, 10.0, 30.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0))
            )
            for vehicle in rng.sample(fleet, rng.randint(1, 4)):
                with contextlib.suppress(InvalidField):  # refused: changes nothing
                    sim.operations.set_data(
                        vehicle, StateInjection.model_validate(_injection(rng, vehicle))
                    )
            roll = rng.random()
            monitors: list[Monitor] = sim.monitors.all()
            if roll < 0.15 and monitors:
                monitor = rng.choice(monitors)
                status = "Paused" if monitor.status == "Running" else "Running"
                sim.monitors.set_status(monitor, status)
            elif roll < 0.22 and monitors:
                monitor = rng.choice(monitors)
                vehicle = sim.fleet.get(monitor.vehicle_id)
                assert vehicle is not None
                sim.monitors.replace(monitor, new_spec(rng, vehicle, monitor.spec.label))
            elif roll < 0.27 and monitors:
                sim.monitors.delete(rng.choice(monitors))
                create(rng.choice(fleet))

    asyncio.run(run())
    return lines


def _summary(lines: list[str]) -> dict[str, Any]:
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    step = max(1, len(lines) // KEPT)
    kept = {str(i): json.loads(lines[i]) for i in range(0, len(lines), step)}
    return {"count": len(lines), "sha256": digest, "kept": kept}


@pytest.mark.parametrize("seed", SEEDS)
def test_same_events_as_the_reference(seed: int) -> None:
    lines = drive(seed)
    summary = _summary(lines)
    reference: dict[str, Any] = json.loads(DATA.read_text()) if DATA.exists() else {}
    if RECORD:
        reference[str(seed)] = summary
        DATA.parent.mkdir(exist_ok=True)
        DATA.write_text(json.dumps(reference, indent=1, sort_keys=True) + "\n")
        return
    expected = reference[str(seed)]
    for index, event in expected["kept"].items():  # readable: what differs first
        got = json.loads(lines[int(index)]) if int(index) < len(lines) else None
        assert got == event, f"seed {seed}: event {index} differs"
    assert summary["count"] == expected["count"]
    assert summary["sha256"] == expected["sha256"]


@pytest.mark.parametrize("seed", SEEDS)
def test_outside_its_box_a_zone_never_holds(seed: int) -> None:
    """What lets the engine skip the geometry of far zones: outside ``box()`` the vehicle
    is outside, whatever side it was on (points near the box's edges and corners)."""
    rng = random.Random(seed)
    for _ in range(300):
        lon, lat = rng.uniform(-179, 179), rng.uniform(-80, 80)
        if rng.random() < 0.5:
            shape: Circle | Polygon = Circle(lon, lat, rng.uniform(0.1, 50))
        else:
            ring = [shifted(lon, lat, rng.uniform(-9, 9), rng.uniform(-9, 9)) for _ in range(5)]
            try:
                shape = Polygon(ring)
            except ValueError:
                continue
        lon_lo, lon_hi, lat_lo, lat_hi = shape.box()
        for _ in range(40):
            x = rng.choice((lon_lo, lon_hi, rng.uniform(lon_lo, lon_hi)))
            y = rng.choice((lat_lo, lat_hi, rng.uniform(lat_lo, lat_hi)))
            x += rng.choice((-1.0, 1.0)) * rng.choice((1e-15, 1e-12, 1e-9, 1e-6))
            y += rng.choice((-1.0, 1.0)) * rng.choice((1e-15, 1e-12, 1e-9, 1e-6))
            if (lon_lo <= x <= lon_hi and lat_lo <= y <= lat_hi) or not -180 <= x <= 180:
                continue
            for previous in (None, True, False):
                assert not shape.inside(x, y, previous), (shape, x, y, previous)


def test_the_drive_covers_every_kind() -> None:
    """The reference is worth something: many events, of zones, times and data, with
    refresh reminders and several triggers holding at once."""
    lines = drive(SEEDS[0])
    events = [json.loads(line)["event"] for line in lines]
    kinds = {value["kind"] for event in events for value in event["values"]}
    assert len(events) > 200
    assert kinds == {"zone", "time", "data"}
    assert any(event["refresh"] for event in events)
    assert any(len(event["values"]) > 1 for event in events)
    assert any(event["extensions"] for event in events)
