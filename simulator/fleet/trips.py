"""Trips on the clock: a car drives a road-like leg (:mod:`~simulator.fleet.legs`) in
ticks of 30 to 60 s, each tick a data sample: speed varies around the leg's average,
energy falls with speed and cold, the odometer rises.  Arrived, the car parks and the
trip is recorded (with the rare tyre alert or minor collision it brought).

The living fleet (:mod:`~simulator.fleet.life`) and the fleet's ``drive`` operation
(:mod:`~simulator.fleet.operations`) both start their trips here: one driving code.
Pure domain: the clock, the bus and the vehicles; no HTTP.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from simulator.fleet.enums import (
    AlertSeverity,
    AlertType,
    CollisionSeverity,
    CollisionSide,
    IgnitionType,
    LockedState,
    PowertrainStatus,
)
from simulator.fleet.legs import along, plan_leg
from simulator.fleet.models import Vehicle, VehicleState, telemetry_snapshot
from simulator.fleet.records import Alert, Collision, CollisionDetail, Trip, new_record_id
from simulator.fleet.values import EnergyLevel, Position
from simulator.geometry import LonLat

if TYPE_CHECKING:
    from simulator.clock import Clock, Timer
    from simulator.fleet.charging import Charging
    from simulator.fleet.samples import Samples

TICK_RANGE_S = (30.0, 60.0)  # a driving car reports this often
LOW_LEVEL_PCT = 10.0
KEPT_TRIPS = 200
KEPT_TELEMETRY = 200
TYRE_ALERT_PER_TRIP = 0.01
COLLISION_PER_TRIP = 0.002
AWAKE_AFTER_TRIP = timedelta(minutes=3)
TYRE_ALERTS = (
    AlertType.LEFT_FRONT_TIRE_UNDER_INFLATED,
    AlertType.RIGHT_FRONT_TIRE_UNDER_INFLATED,
    AlertType.LEFT_REAR_TIRE_UNDER_INFLATED,
    AlertType.RIGHT_REAR_TIRE_UNDER_INFLATED,
)
# causes of a trip's samples
IGNITION_ON, DRIVING, IGNITION_OFF = "ignition-on", "driving", "ignition-off"
# where a trip goes when it is to no place of the living fleet's: the car's place there
ELSEWHERE, NAVIGATION = "elsewhere", "navigation"

__all__ = ["ELSEWHERE", "NAVIGATION", "Drive", "Trips", "seeded", "stop_engine"]


def seeded(seed: int, vehicle: Vehicle, *parts: object) -> random.Random:
    """A random source drawn from the seed, the vehicle and ``parts`` alone."""
    return random.Random(":".join(str(p) for p in (seed, vehicle.id, *parts)))


@dataclass(slots=True, eq=False)
class Drive:
    """A trip in progress (the only per-vehicle state of any size, while it lasts)."""

    vehicle: Vehicle
    trip_id: str
    points: list[LonLat]
    fractions: list[float]
    distance_km: float
    avg_kmh: float
    max_kmh: float
    started_at: float
    start_mileage: float
    place: str  # where it goes (home, work, navigation...): the car's place once there
    rng: random.Random  # the trip's own draws, tick after tick
    living: bool  # a trip of the living fleet (it ends where the car is when life stops)
    dt: float = 0.0  # seconds since the previous tick
    done_km: float = 0.0
    top_kmh: float = 0.0
    electric_km: float = 0.0
    kwh: float = 0.0
    litres: float = 0.0
    fuel_start: EnergyLevel | None = None
    electric_start: EnergyLevel | None = None
    waypoints: list[Position] = field(default_factory=list)
    timer: Timer | None = None

    @property
    def target(self) -> LonLat:
        return self.points[-1]


# told of every trip's end: (vehicle, its trip, the arrival's random source, ended early)
ArrivalListener = Callable[[Vehicle, Drive, random.Random, bool], None]


def stop_engine(state: VehicleState) -> None:
    """Ignition off: not moving, the powertrain stopped."""
    state.ignition = IgnitionType.STOP
    state.powertrain = PowertrainStatus.NOT_RUNNING
    state.moving = False
    state.speed_kmh = 0.0
    state.acceleration = 0.0


class Trips:
    """The trips in progress, one per driving vehicle."""

    def __init__(self, clock: Clock, samples: Samples, charging: Charging, seed: int) -> None:
        self.clock = clock
        self.samples = samples
        self.charging = charging
        self.seed = seed
        self.listeners: list[ArrivalListener] = []
        self._drives: dict[str, Drive] = {}

    def reset(self) -> None:
        """Forget every trip in progress (the fleet is made again)."""
        for drive in self._drives.values():
            if drive.timer is not None:
                drive.timer.cancel()
        self._drives.clear()

    def current(self, vehicle_id: str) -> Drive | None:
        return self._drives.get(vehicle_id)

    def __contains__(self, vehicle_id: str) -> bool:
        return vehicle_id in self._drives

    def living(self) -> list[Drive]:
        return [drive for drive in self._drives.values() if drive.living]

    # ------------------------------------------------------------ starting
    def start(
        self,
        vehicle: Vehicle,
        target: LonLat,
        place: str,
        rng: random.Random,
        *,
        speed_kmh: float | None = None,
        living: bool = False,
    ) -> Drive:
        """The car sets off now to ``target`` (the caller checked it may): ignition on,
        unplugged, locked with doors closed, then a tick every 30 to 60 s."""
        state = vehicle.state
        here = (state.position.lon, state.position.lat)
        top = vehicle.model.max_speed_kmh
        leg = plan_leg(rng, here, target, top)
        avg, max_kmh = leg.avg_speed_kmh, leg.max_speed_kmh
        if speed_kmh is not None:
            avg, max_kmh = min(speed_kmh, top), top
        drive = Drive(
            vehicle=vehicle,
            trip_id=new_record_id(rng),
            points=list(leg.points),
            fractions=list(leg.fractions),
            distance_km=leg.distance_km,
            avg_kmh=avg,
            max_kmh=max_kmh,
            started_at=self.clock.time(),
            start_mileage=state.mileage_km,
            place=place,
            rng=rng,
            living=living,
            fuel_start=state.fuel.snapshot() if state.fuel is not None else None,
            electric_start=state.electric.snapshot() if state.electric is not None else None,
        )
        self._drives[vehicle.id] = drive
        electric = state.electric
        if electric is not None and electric.charging.plugged:
            self.charging.unplug(vehicle, cause=None)  # reported with the ignition
        state.ignition = IgnitionType.START
        state.powertrain = PowertrainStatus.RUNNING
        state.moving = False  # until the first stretch
        state.speed_kmh = 0.0
        state.locked_states = (LockedState.LOCKED,)
        state.open_doors = frozenset()
        state.battery_voltage = round(rng.uniform(13.8, 14.4), 2)
        drive.waypoints.append(state.position.stamped(self.clock.now(), state.position.kind))
        self.samples.report(vehicle, IGNITION_ON, locate=False)
        self._tick_later(drive)
        return drive

    def _tick_later(self, drive: Drive) -> None:
        drive.dt = drive.rng.uniform(*TICK_RANGE_S)
        drive.timer = self.clock.call_later(drive.dt, partial(self._tick, drive))

    # ------------------------------------------------------------ driving
    def _tick(self, drive: Drive) -> None:
        drive.timer = None
        vehicle = drive.vehicle
        if self._drives.get(vehicle.id) is not drive:
            return
        dt = drive.dt
        state = vehicle.state
        speed = min(drive.max_kmh, max(8.0, drive.rng.gauss(drive.avg_kmh, drive.avg_kmh * 0.25)))
        step_km = min(speed * dt / 3600.0, drive.distance_km - drive.done_km)
        drive.done_km += step_km
        drive.top_kmh = max(drive.top_kmh, speed)
        self._consume(drive, step_km, speed)
        state.mileage_km = round(state.mileage_km + step_km, 3)
        state.acceleration = round((speed - state.speed_kmh) / 3.6 / dt, 2)
        state.moving = True
        state.speed_kmh = round(speed, 1)
        lon, lat, heading = along(drive.points, drive.fractions, drive.done_km / drive.distance_km)
        state.position = state.position.moved(lon, lat, heading, self.clock.now())
        if len(drive.waypoints) < 40:
            drive.waypoints.append(state.position)
        if drive.done_km >= drive.distance_km - 1e-9:
            self._arrive(drive)
            return
        self.samples.report(vehicle, DRIVING, locate=False)
        self._tick_later(drive)

    @staticmethod
    def _consume(drive: Drive, km: float, speed: float) -> None:
        """Energy for ``km`` at ``speed``: more when fast and when cold."""
        state = drive.vehicle.state
        cold = max(0.0, 15.0 - state.air_temp_c)
        electric, fuel = state.electric, state.fuel
        if electric is not None and (fuel is None or electric.level > 1.0):
            factor = (1.0 + 0.012 * cold) * (1.0 + max(0.0, speed - 90.0) / 100.0)
            kwh = km * electric.consumption_kwh_per_100km * factor / 100.0
            electric.level = round(max(0.0, electric.level - kwh / electric.usable_kwh * 100), 2)
            drive.electric_km += km
            drive.kwh += kwh
            return
        if fuel is not None:
            factor = (1.0 + 0.004 * cold) * (1.25 if speed < 25 else 1.0)
            factor *= 1.0 + max(0.0, speed - 100.0) / 120.0
            litres = km * fuel.consumption_l_per_100km * factor / 100.0
            fuel.level = round(max(0.0, fuel.level - litres / fuel.tank_l * 100.0), 2)
            drive.litres += litres

    # ------------------------------------------------------------ arriving
    def end(self, vehicle: Vehicle) -> None:
        """The trip in progress ends now, where the car is (no-op when not driving)."""
        drive = self._drives.get(vehicle.id)
        if drive is not None:
            if drive.timer is not None:
                drive.timer.cancel()
                drive.timer = None
            self._arrive(drive, early=True)

    def _arrive(self, drive: Drive, early: bool = False) -> None:
        vehicle = drive.vehicle
        del self._drives[vehicle.id]
        state = vehicle.state
        rng = seeded(self.seed, vehicle, "arrive", int(drive.started_at))
        now = self.clock.now()
        stop_engine(state)
        state.battery_voltage = round(rng.uniform(12.5, 12.8), 2)
        forgot = rng.random() < 0.04
        state.locked_states = (LockedState.UNLOCKED,) if forgot else (LockedState.LOCKED,)
        state.awake_until = now + AWAKE_AFTER_TRIP
        destination = state.destination
        if (
            not early
            and destination is not None
            and drive.target
            == (
                destination.lon,
                destination.lat,
            )
        ):  # there: the navigation is done
            state.destination = None
        waypoints = (*drive.waypoints, state.position.stamped(now, state.position.kind))
        vehicle.trips.append(self._record(drive, now, waypoints), keep_last=KEPT_TRIPS)
        self._low_energy_alerts(vehicle, now)
        self._road_events(vehicle, drive, now, rng)
        vehicle.telemetry.append(
            telemetry_snapshot(vehicle, new_record_id(rng), at=now, trip_id=drive.trip_id),
            keep_last=KEPT_TELEMETRY,
        )
        self.samples.report(vehicle, IGNITION_OFF, locate=False)
        for listener in self.listeners:
            listener(vehicle, drive, rng, early)

    @staticmethod
    def _record(drive: Drive, now: datetime, waypoints: tuple[Position, ...]) -> Trip:
        state = drive.vehicle.state
        electric, fuel = state.electric, state.fuel
        return Trip(
            id=drive.trip_id,
            started_at=datetime.fromtimestamp(drive.started_at, UTC),
            ended_at=now,
            start_mileage_km=round(drive.start_mileage, 1),
            distance_km=round(drive.done_km, 1),
            max_speed_kmh=round(drive.top_kmh, 1),
            electric_distance_km=round(drive.electric_km, 1),
            fuel_start=drive.fuel_start,
            fuel_end=fuel.snapshot() if fuel is not None else None,
            fuel_used=round(drive.litres, 2) if fuel is not None else None,
            electric_start=drive.electric_start,
            electric_end=electric.snapshot() if electric is not None else None,
            electric_used_kwh=round(drive.kwh, 2) if electric is not None else None,
            waypoints=waypoints,
        )

    @staticmethod
    def _road_events(vehicle: Vehicle, drive: Drive, now: datetime, rng: random.Random) -> None:
        """Rare things a trip brings: a tyre losing pressure (found again fixed a few trips
        later), a minor collision."""
        state = vehicle.state
        for alert in vehicle.alerts:
            if alert.type in TYRE_ALERTS and alert.ended_at is None and rng.random() < 0.3:
                alert.ended_at = now
                alert.end_position = state.position
        active = {a.type for a in vehicle.alerts if a.ended_at is None}
        if rng.random() < TYRE_ALERT_PER_TRIP:
            kind = rng.choice(TYRE_ALERTS)
            if kind not in active:
                vehicle.alerts.append(
                    Alert(
                        id=new_record_id(rng),
                        type=kind,
                        severity=AlertSeverity.WARNING,
                        started_at=now,
                        start_position=state.position,
                        trip_id=drive.trip_id,
                    )
                )
        if rng.random() < COLLISION_PER_TRIP:
            vehicle.collisions.append(
                Collision(
                    id=new_record_id(rng),
                    at=now,
                    position=state.position,
                    details=(
                        CollisionDetail(
                            side=rng.choice(tuple(CollisionSide)),
                            severity=CollisionSeverity.MINIMAL,
                        ),
                    ),
                    tipped_over=False,
                    pedestrian=False,
                    trip_id=drive.trip_id,
                )
            )

    def _low_energy_alerts(self, vehicle: Vehicle, now: datetime) -> None:
        state = vehicle.state
        active = {a.type for a in vehicle.alerts if a.ended_at is None}
        kinds = (
            (state.fuel, AlertType.FUEL_LEVEL_LOW),
            (state.electric, AlertType.PREHEATING_PREVENTILATION_DEACTIVATED_BATTERY_LOW),
        )
        for energy, kind in kinds:
            if energy is None:
                continue
            if energy.level < LOW_LEVEL_PCT and kind not in active:
                vehicle.alerts.append(
                    Alert(
                        id=new_record_id(seeded(self.seed, vehicle, kind, now)),
                        type=kind,
                        severity=AlertSeverity.WARNING,
                        started_at=now,
                        start_position=state.position,
                    )
                )
            elif energy.level >= LOW_LEVEL_PCT and kind in active:
                for alert in vehicle.alerts:
                    if alert.type is kind and alert.ended_at is None:
                        alert.ended_at = now
                        alert.end_position = state.position
