"""A living fleet: every vehicle commutes, runs errands, parks, charges or refuels and
reports its data on the simulator's clock.

Each vehicle's days are planned from the seed, the vehicle and the date alone,
so the same seed and the same clock steps give the same data.  A day plan is
a list of departures (local time, where to).  A trip follows a gently curved
road (a :mod:`~simulator.fleet.legs` leg) in ticks of 30 to 60 s: speed varies around the
leg's average, energy falls with speed and cold, the odometer rises, and each
tick is a data sample.  Arrived, the car parks (locked, but for the
occasional forgetful driver), plugs in at home or work when electric, refuels
when low, and reports rarely while asleep (its 12 V battery slowly draining).
On a Saturday, a parked car whose service is due by date or distance may have it
done (``serviced``: the maintenance data start again).  An offline car reports
nothing and starts no trip; back online, its next scheduled activity sends one
``catch-up`` sample first.

Memory: a parked vehicle's :class:`Life` is a few references and the timer of
its next departure, the life itself being the timer's callback; its places are
drawn again from the seed when needed; its parked reports come from one sweep
timer per group of vehicles adopted at the same instant.

Pure domain: the clock, the bus and the vehicles; no HTTP.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from simulator.events import EventBus, VehicleSample
from simulator.fleet import catalog
from simulator.fleet.enums import (
    AlertSeverity,
    AlertType,
    ChargingStatus,
    CollisionSeverity,
    CollisionSide,
    IgnitionType,
    LockedState,
    PowertrainStatus,
)
from simulator.fleet.legs import along, plan_leg
from simulator.fleet.models import Vehicle, telemetry_snapshot
from simulator.fleet.records import Alert, Collision, CollisionDetail, Trip, new_record_id
from simulator.fleet.values import EnergyLevel, Position
from simulator.geometry import LonLat, distance_km, offset, toward

if TYPE_CHECKING:
    from simulator.clock import Clock, Timer
    from simulator.fleet.registry import Fleet
    from simulator.remotes.effects import Effects

PARKED_REPORT_S = 6 * 3600.0  # an asleep car reports this rarely
TICK_RANGE_S = (30.0, 60.0)  # a driving car reports this often
LOW_LEVEL_PCT = 10.0
REFUEL_BELOW_PCT = 15.0
HOME_CHARGERS_KW = (3.7, 7.4, 7.4, 11.0)
WORK_CHARGER_KW = 11.0
FAST_CHARGERS_KW = (50.0, 100.0, 150.0)
DRAIN_V_PER_DAY = 0.05
MIN_12V = 11.9
KEPT_TRIPS = 200
KEPT_TELEMETRY = 200
TYRE_ALERT_PER_TRIP = 0.01
COLLISION_PER_TRIP = 0.002
SERVICE_WEEKDAY = 5  # Saturday: a due service may be booked then
SERVICE_HOURS = (8, 18)  # local, garage opening hours
SERVICE_CHANCE = 0.5  # per parked report in those hours
# places (shared strings: a parked vehicle keeps one of them)
HOME, WORK, FAR, ELSEWHERE, NAVIGATION = "home", "work", "far", "elsewhere", "navigation"
ERRANDS = tuple(f"errand-{i}" for i in range(4))
# causes of the life's samples
PARKED, CATCH_UP, SERVICED = "parked", "catch-up", "serviced"
TYRE_ALERTS = (
    AlertType.LEFT_FRONT_TIRE_UNDER_INFLATED,
    AlertType.RIGHT_FRONT_TIRE_UNDER_INFLATED,
    AlertType.LEFT_REAR_TIRE_UNDER_INFLATED,
    AlertType.RIGHT_REAR_TIRE_UNDER_INFLATED,
)


@dataclass(slots=True)
class Departure:
    at: float  # POSIX seconds
    place: str  # home, work, errand-N, far


@dataclass(slots=True, eq=False)
class Drive:
    """A trip in progress (the only per-vehicle state of any size, while it lasts)."""

    trip_id: str
    points: list[LonLat]
    fractions: list[float]
    distance_km: float
    avg_kmh: float
    max_kmh: float
    started_at: float
    start_mileage: float
    place: str
    rng: random.Random  # the trip's own draws, tick after tick
    dt: float = 0.0  # seconds since the previous tick
    done_km: float = 0.0
    top_kmh: float = 0.0
    electric_km: float = 0.0
    kwh: float = 0.0
    litres: float = 0.0
    fuel_start: EnergyLevel | None = None
    electric_start: EnergyLevel | None = None
    waypoints: list[Position] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Places:
    """Where a vehicle goes besides home, drawn from the seed (recomputed, never kept)."""

    work: LonLat
    errands: tuple[LonLat, ...]
    home_kw: float


class Life:
    """What the fleet engine keeps per vehicle: small, most vehicles are parked.

    A life is its own timer callback: ``timer`` holds the next departure while parked (its
    place in ``next_place``) or the next tick while driving.  Places come from the seed
    (:meth:`FleetLife.places`); parked reports come from the fleet-wide sweeps.
    """

    __slots__ = ("at_place", "drive", "engine", "next_place", "timer", "vehicle")

    def __init__(self, engine: FleetLife, vehicle: Vehicle, at_place: str = HOME) -> None:
        self.engine = engine
        self.vehicle = vehicle
        self.at_place = at_place
        self.next_place = HOME
        self.drive: Drive | None = None
        self.timer: Timer | None = None

    def __call__(self) -> None:
        """The timer is due: the next tick of the trip, else the planned departure."""
        timer, self.timer = self.timer, None
        if self.drive is not None:
            self.engine._tick(self)
        elif timer is not None:
            self.engine._depart(self, self.next_place, timer.due)

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class _Sweep:
    """The parked reports of the vehicles adopted at one instant: one clock timer for all,
    every ``PARKED_REPORT_S``, reporting them in adoption order."""

    __slots__ = ("engine", "lives", "timer")

    def __init__(self, engine: FleetLife) -> None:
        self.engine = engine
        self.lives: list[Life] = []
        self.timer: Timer | None = None

    def __call__(self) -> None:
        self.engine._sweep(self)


def _key(seed: int, vehicle: Vehicle, *parts: object) -> str:
    return ":".join(str(p) for p in (seed, vehicle.id, *parts))


class FleetLife:
    def __init__(self, clock: Clock, bus: EventBus, fleet: Fleet, effects: Effects, seed: int):
        self.clock = clock
        self.bus = bus
        self.fleet = fleet
        self.effects = effects
        self.seed = seed
        self.enabled = False
        self._lives: dict[str, Life] = {}
        self._sweeps: dict[float, _Sweep] = {}  # by due time

    # ------------------------------------------------------------ switching
    def start(self) -> None:
        """Bring every vehicle of the fleet to life (and those added later, by ``adopt``)."""
        self.enabled = True
        for vehicle in self.fleet:
            self.adopt(vehicle)

    def stop(self) -> None:
        """Vehicles stay where they are (a trip in progress ends where the car is)."""
        self.enabled = False
        for life in self._lives.values():
            if life.drive is not None:
                self._arrive(life, early=True)
        self._forget()

    def reset(self) -> None:
        """After the fleet was made again: forget the old lives, start the new ones."""
        self._forget()
        if self.enabled:
            self.start()

    def _forget(self) -> None:
        for life in self._lives.values():
            life.cancel()
        self._lives.clear()
        for sweep in self._sweeps.values():
            if sweep.timer is not None:
                sweep.timer.cancel()
            sweep.lives.clear()
        self._sweeps.clear()

    def adopt(self, vehicle: Vehicle) -> None:
        if not self.enabled or vehicle.id in self._lives:
            return
        life = Life(self, vehicle)
        position = vehicle.state.position
        home = (vehicle.home_lon, vehicle.home_lat)
        if distance_km((position.lon, position.lat), home) > 0.5:
            life.at_place = ELSEWHERE
        self._lives[vehicle.id] = life
        self._plan(life)
        electric = vehicle.state.electric
        if electric is not None and electric.charging.status is ChargingStatus.IN_PROGRESS:
            self.effects.start_charging(vehicle)  # generated mid-charge: the charge goes on
        due = self.clock.time() + PARKED_REPORT_S
        sweep = self._sweeps.get(due)
        if sweep is None:
            sweep = self._sweeps[due] = _Sweep(self)
            sweep.timer = self.clock.call_at(due, sweep)
        sweep.lives.append(life)

    def places(self, vehicle: Vehicle) -> Places:
        """Work, errand places and home charger of a vehicle: a pure function of the seed
        and the vehicle."""
        rng = random.Random(_key(self.seed, vehicle, "places"))
        home = (vehicle.home_lon, vehicle.home_lat)
        angle = rng.uniform(0, 2 * math.pi)
        work = toward(home[0], home[1], angle, rng.uniform(3.0, 18.0))
        errands = tuple(
            offset(home[0], home[1], rng.uniform(-6, 6), rng.uniform(-6, 6)) for _ in range(4)
        )
        return Places(work, errands, rng.choice(HOME_CHARGERS_KW))

    def describe(self, vehicle_id: str) -> dict[str, object] | None:
        life = self._lives.get(vehicle_id)
        if life is None:
            return None
        drive = life.drive
        return {
            "place": life.at_place,
            "driving": drive is not None,
            "destination": drive.place if drive is not None else None,
            "next": (
                datetime.fromtimestamp(life.timer.due, UTC)
                if life.timer is not None and drive is None
                else None
            ),
        }

    # ------------------------------------------------------------ planning
    def day_plan(self, vehicle: Vehicle, day: date) -> list[Departure]:
        """The departures of one local day: a pure function of seed, vehicle and date."""
        rng = random.Random(_key(self.seed, vehicle, "day", day.isoformat()))
        zone = catalog.city_zone(vehicle.home)

        def at(hour: float) -> float:
            minutes = int(hour * 60)
            local = datetime.combine(day, time(minutes // 60 % 24, minutes % 60), zone)
            return local.timestamp() + rng.uniform(0, 59)

        plan: list[Departure] = []
        if day.weekday() < 5 and rng.random() < 0.85:
            plan.append(Departure(at(rng.gauss(7.6, 0.5)), WORK))
            plan.append(Departure(at(rng.gauss(17.6, 0.6)), HOME))
            if rng.random() < 0.3:
                leave = rng.uniform(18.8, 20.0)
                plan.append(Departure(at(leave), ERRANDS[rng.randrange(4)]))
                plan.append(Departure(at(leave + rng.uniform(0.5, 1.5)), HOME))
        else:
            hour = rng.uniform(9.5, 11.5)
            for _ in range(rng.choice((0, 1, 1, 2))):
                far = rng.random() < 0.1
                plan.append(Departure(at(hour), FAR if far else ERRANDS[rng.randrange(4)]))
                hour += rng.uniform(3.0, 5.0) if far else rng.uniform(0.5, 2.5)
                plan.append(Departure(at(min(hour, 22.5)), HOME))
                hour += rng.uniform(0.5, 2.0)
        plan.sort(key=lambda d: d.at)
        return plan

    def _next_departure(self, vehicle: Vehicle, now: float) -> Departure | None:
        zone = catalog.city_zone(vehicle.home)
        today = datetime.fromtimestamp(now, zone).date()
        for offset_days in range(8):
            for departure in self.day_plan(vehicle, today + timedelta(days=offset_days)):
                if departure.at > now:
                    return departure
        return None

    def _plan(self, life: Life) -> None:
        departure = self._next_departure(life.vehicle, self.clock.time())
        if departure is None:
            return
        life.next_place = departure.place
        life.timer = self.clock.call_at(departure.at, life)

    def _target(self, life: Life, place: str, rng: random.Random) -> LonLat:
        vehicle = life.vehicle
        home = (vehicle.home_lon, vehicle.home_lat)
        if place == HOME:
            return home
        if place == FAR:
            angle = rng.uniform(0, 2 * math.pi)
            return toward(home[0], home[1], angle, rng.uniform(40.0, 120.0))
        places = self.places(vehicle)
        if place == WORK:
            return places.work
        return places.errands[int(place.rsplit("-", 1)[1]) % len(places.errands)]

    # ------------------------------------------------------------ driving
    def _depart(self, life: Life, place: str, at: float) -> None:
        """The planned departure at ``at`` (the timer's due time) to ``place``."""
        vehicle = life.vehicle
        state = vehicle.state
        rng = random.Random(_key(self.seed, vehicle, "trip", int(at)))
        blocked = state.immobilized or not state.online or life.drive is not None
        if blocked:
            self._plan(life)
            return
        target = self._target(life, place, rng)
        if state.destination is not None:  # a Navigation remote: this trip goes there
            target = (state.destination.lon, state.destination.lat)
            place = NAVIGATION
            state.destination = None
        here = (state.position.lon, state.position.lat)
        if distance_km(here, target) < 0.3:
            life.at_place = place
            self._plan(life)
            return
        leg = plan_leg(rng, here, target, vehicle.model.max_speed_kmh)
        now = self.clock.time()
        drive = Drive(
            trip_id=new_record_id(rng),
            points=list(leg.points),
            fractions=list(leg.fractions),
            distance_km=leg.distance_km,
            avg_kmh=leg.avg_speed_kmh,
            max_kmh=leg.max_speed_kmh,
            started_at=now,
            start_mileage=state.mileage_km,
            place=place,
            rng=rng,
            fuel_start=state.fuel.snapshot() if state.fuel is not None else None,
            electric_start=state.electric.snapshot() if state.electric is not None else None,
        )
        life.drive = drive
        electric = state.electric
        if electric is not None and electric.charging.plugged:
            self.effects.unplug(vehicle, cause=None)  # reported with the ignition
        state.ignition = IgnitionType.START
        state.powertrain = PowertrainStatus.RUNNING
        state.moving = False  # until the first stretch
        state.speed_kmh = 0.0
        state.locked_states = (LockedState.LOCKED,)
        state.open_doors = frozenset()
        state.battery_voltage = round(rng.uniform(13.8, 14.4), 2)
        drive.waypoints.append(state.position.stamped(self.clock.now(), state.position.kind))
        self._report(life, "ignition-on")
        self._tick_later(life, drive)

    def _tick_later(self, life: Life, drive: Drive) -> None:
        drive.dt = drive.rng.uniform(*TICK_RANGE_S)
        life.timer = self.clock.call_later(drive.dt, life)

    def _tick(self, life: Life) -> None:
        drive = life.drive
        if drive is None:
            return
        dt = drive.dt
        state = life.vehicle.state
        speed = min(drive.max_kmh, max(8.0, drive.rng.gauss(drive.avg_kmh, drive.avg_kmh * 0.25)))
        step_km = min(speed * dt / 3600.0, drive.distance_km - drive.done_km)
        drive.done_km += step_km
        drive.top_kmh = max(drive.top_kmh, speed)
        self._consume(life, step_km, speed)
        state.mileage_km = round(state.mileage_km + step_km, 3)
        state.acceleration = round((speed - state.speed_kmh) / 3.6 / dt, 2)
        state.moving = True
        state.speed_kmh = round(speed, 1)
        lon, lat, heading = along(drive.points, drive.fractions, drive.done_km / drive.distance_km)
        state.position = state.position.moved(lon, lat, heading, self.clock.now())
        if len(drive.waypoints) < 40:
            drive.waypoints.append(state.position)
        if drive.done_km >= drive.distance_km - 1e-9:
            self._arrive(life)
            return
        self._report(life, "driving")
        self._tick_later(life, drive)

    def _consume(self, life: Life, km: float, speed: float) -> None:
        """Energy for ``km`` at ``speed``: more when fast and when cold."""
        state = life.vehicle.state
        drive = life.drive
        assert drive is not None
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

    def _arrive(self, life: Life, early: bool = False) -> None:
        drive = life.drive
        assert drive is not None
        life.drive = None
        vehicle = life.vehicle
        state = vehicle.state
        rng = random.Random(_key(self.seed, vehicle, "arrive", int(drive.started_at)))
        now = self.clock.now()
        state.ignition = IgnitionType.STOP
        state.powertrain = PowertrainStatus.NOT_RUNNING
        state.moving = False
        state.speed_kmh = 0.0
        state.acceleration = 0.0
        state.battery_voltage = round(rng.uniform(12.5, 12.8), 2)
        forgot = rng.random() < 0.04
        state.locked_states = (LockedState.UNLOCKED,) if forgot else (LockedState.LOCKED,)
        state.awake_until = now + timedelta(minutes=3)
        life.at_place = ELSEWHERE if early else drive.place
        waypoints = (*drive.waypoints, state.position.stamped(now, state.position.kind))
        electric, fuel = state.electric, state.fuel
        vehicle.trips.append(
            Trip(
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
            ),
            keep_last=KEPT_TRIPS,
        )
        self._low_energy_alerts(vehicle, now)
        self._road_events(vehicle, drive, now, rng)
        vehicle.telemetry.append(
            telemetry_snapshot(vehicle, new_record_id(rng), at=now, trip_id=drive.trip_id),
            keep_last=KEPT_TELEMETRY,
        )
        self._report(life, "ignition-off")
        if not early:
            self._refill(life, rng)
            self._plan(life)

    def _refill(self, life: Life, rng: random.Random) -> None:
        vehicle = life.vehicle
        state = vehicle.state
        electric, fuel = state.electric, state.fuel
        if fuel is not None and fuel.level < REFUEL_BELOW_PCT and electric is None:
            fuel.level = 100.0
            self._report(life, "refuelled")
        if electric is None:
            return
        hour = self.clock.now().astimezone(catalog.city_zone(vehicle.home)).hour
        power = 0.0
        if life.at_place == HOME and (hour >= 17 or hour < 7 or electric.level < 50):
            power = self.places(vehicle).home_kw
        elif life.at_place == WORK and rng.random() < 0.3:
            power = WORK_CHARGER_KW
        elif electric.level < 20 and fuel is None:
            power = rng.choice(FAST_CHARGERS_KW)
        elif fuel is not None and fuel.level < REFUEL_BELOW_PCT:
            fuel.level = 100.0
            self._report(life, "refuelled")
        if power and electric.level < 95:
            # the drivers of the living fleet always charge at once (the charge-now button)
            self.effects.plug(vehicle, power, immediate=True, cause=None)
            self._report(life, "charging")

    def _road_events(
        self, vehicle: Vehicle, drive: Drive, now: datetime, rng: random.Random
    ) -> None:
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
                        id=new_record_id(random.Random(_key(self.seed, vehicle, kind, now))),
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

    # ------------------------------------------------------------ maintenance
    @staticmethod
    def service_due(vehicle: Vehicle, now: datetime) -> bool:
        """Service is due: by date or by distance (whichever comes first).

        No alert is raised for it: the reference's AlertMsgEnum has no maintenance value
        (clients read daysBeforeMaintenance / mileageBeforeMaintenance instead)."""
        maintenance = vehicle.maintenance
        return (
            maintenance.days_before(now) <= 0
            or maintenance.mileage_before(vehicle.state.mileage_km) <= 0
        )

    def _book_service(self, life: Life) -> bool:
        """Parked on a Saturday between 08:00 and 18:00 (local) with the service due: now
        and then (a draw per sweep) the owner has it done.  True when serviced."""
        vehicle = life.vehicle
        at = self.clock.time()
        local = datetime.fromtimestamp(at, catalog.city_zone(vehicle.home))
        if (
            local.weekday() != SERVICE_WEEKDAY
            or not SERVICE_HOURS[0] <= local.hour < SERVICE_HOURS[1]
        ):
            return False
        now = self.clock.now()
        if not self.service_due(vehicle, now):
            return False
        if random.Random(_key(self.seed, vehicle, "service", int(at))).random() >= SERVICE_CHANCE:
            return False
        maintenance = vehicle.maintenance
        done_at = now.replace(microsecond=0)
        km = float(round(vehicle.state.mileage_km))
        maintenance.last_service_at = done_at
        maintenance.last_service_mileage_km = km
        maintenance.next_service_at = done_at + timedelta(days=maintenance.interval_days)
        maintenance.next_service_mileage_km = km + maintenance.interval_km
        maintenance.updated_at = now
        return True

    # ------------------------------------------------------------ reporting
    def _report(self, life: Life, cause: str) -> None:
        """A data sample, unless the vehicle is offline: then it owes one, sent (cause
        ``catch-up``) before its next sample once back online; a routine parked report
        is that catch-up sample."""
        vehicle = life.vehicle
        state = vehicle.state
        if not state.online:
            if not state.unreported:
                state.unreported = True
            return
        if state.unreported:
            state.unreported = False
            self._publish(vehicle, CATCH_UP)
            if cause == PARKED:
                return
        self._publish(vehicle, cause)

    def _publish(self, vehicle: Vehicle, cause: str) -> None:
        now = self.clock.now()
        vehicle.state.updated_at = now
        vehicle.updated_at = now
        self.bus.publish(VehicleSample(vehicle.id, vehicle.vin, self.clock.time(), cause))

    def _sweep(self, sweep: _Sweep) -> None:
        """Asleep: a sample every few hours, the 12 V battery a little lower each time (a
        car on the road skips it); a due service may be booked on Saturdays."""
        timer = sweep.timer
        assert timer is not None
        due = timer.due
        if self._sweeps.get(due) is sweep:
            del self._sweeps[due]
        sweep.timer = None
        drain = DRAIN_V_PER_DAY * PARKED_REPORT_S / 86400
        for life in sweep.lives:
            if life.drive is not None:
                continue
            state = life.vehicle.state
            state.battery_voltage = round(max(MIN_12V, state.battery_voltage - drain), 3)
            self._report(life, SERVICED if self._book_service(life) else PARKED)
        if not sweep.lives:  # forgotten meanwhile
            return
        following = due + PARKED_REPORT_S
        sweep.timer = self.clock.call_at(following, sweep)
        self._sweeps.setdefault(following, sweep)
