"""A living fleet: every vehicle commutes, runs errands, parks, charges or refuels and
reports its data on the simulator's clock.

Each vehicle's days are planned from the seed, the vehicle and the date alone,
so the same seed and the same clock steps give the same data.  A day plan is
a list of departures (local time, where to).  A trip (:mod:`~simulator.fleet.trips`, the
fleet's one driving code) follows a gently curved road in ticks of 30 to 60 s: speed
varies around the leg's average, energy falls with speed and cold, the odometer rises,
and each tick is a data sample.  Arrived, the car parks (locked, but for the
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

The life decides; the fleet's operations (:mod:`~simulator.fleet.operations`) change
the vehicles and publish their samples.  Pure domain: no HTTP.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from simulator.fleet import catalog
from simulator.fleet.enums import ChargingStatus
from simulator.fleet.models import Vehicle
from simulator.fleet.trips import ELSEWHERE, NAVIGATION, Drive, seeded
from simulator.geometry import LonLat, distance_km, offset, toward

if TYPE_CHECKING:
    from simulator.clock import Clock, Timer
    from simulator.fleet.operations import FleetOperations
    from simulator.fleet.registry import Fleet

PARKED_REPORT_S = 6 * 3600.0  # an asleep car reports this rarely
REFUEL_BELOW_PCT = 15.0
HOME_CHARGERS_KW = (3.7, 7.4, 7.4, 11.0)
WORK_CHARGER_KW = 11.0
FAST_CHARGERS_KW = (50.0, 100.0, 150.0)
DRAIN_V_PER_DAY = 0.05
MIN_12V = 11.9
SERVICE_WEEKDAY = 5  # Saturday: a due service may be booked then
SERVICE_HOURS = (8, 18)  # local, garage opening hours
SERVICE_CHANCE = 0.5  # per parked report in those hours
# places (shared strings: a parked vehicle keeps one of them; ELSEWHERE and NAVIGATION
# come from the trips)
HOME, WORK, FAR = "home", "work", "far"
ERRANDS = tuple(f"errand-{i}" for i in range(4))
# causes of the life's samples
PARKED, SERVICED, REFUELLED, CHARGING = "parked", "serviced", "refuelled", "charging"

__all__ = ["ELSEWHERE", "NAVIGATION", "Departure", "FleetLife", "Life", "Places"]


@dataclass(slots=True)
class Departure:
    at: float  # POSIX seconds
    place: str  # home, work, errand-N, far


@dataclass(frozen=True, slots=True)
class Places:
    """Where a vehicle goes besides home, drawn from the seed (recomputed, never kept)."""

    work: LonLat
    errands: tuple[LonLat, ...]
    home_kw: float


class Life:
    """What the fleet engine keeps per vehicle: small, most vehicles are parked.

    A life is its own timer callback: ``timer`` holds the next departure while parked (its
    place in ``next_place``); a trip in progress is the fleet's (:mod:`~simulator.fleet.trips`).
    Places come from the seed (:meth:`FleetLife.places`); parked reports come from the
    fleet-wide sweeps.
    """

    __slots__ = ("at_place", "engine", "next_place", "timer", "vehicle")

    def __init__(self, engine: FleetLife, vehicle: Vehicle, at_place: str = HOME) -> None:
        self.engine = engine
        self.vehicle = vehicle
        self.at_place = at_place
        self.next_place = HOME
        self.timer: Timer | None = None

    def __call__(self) -> None:
        """The timer is due: the planned departure."""
        timer, self.timer = self.timer, None
        if timer is not None:
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


class FleetLife:
    """Decides what each vehicle does and when; the fleet's operations do it."""

    def __init__(self, clock: Clock, fleet: Fleet, operations: FleetOperations, seed: int):
        self.clock = clock
        self.fleet = fleet
        self.operations = operations
        self.trips = operations.trips
        self.seed = seed
        self.enabled = False
        self._lives: dict[str, Life] = {}
        self._sweeps: dict[float, _Sweep] = {}  # by due time
        self.trips.listeners.append(self._arrived)

    # ------------------------------------------------------------ switching
    def start(self) -> None:
        """Bring every vehicle of the fleet to life (and those added later, by ``adopt``)."""
        self.enabled = True
        for vehicle in self.fleet:
            self.adopt(vehicle)

    def stop(self) -> None:
        """Vehicles stay where they are (a trip of the living fleet in progress ends where
        the car is; one the ``drive`` operation started goes on)."""
        self.enabled = False
        for drive in self.trips.living():
            self.trips.end(drive.vehicle)
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
            self.operations.start_charge(vehicle)  # generated mid-charge: the charge goes on
        due = self.clock.time() + PARKED_REPORT_S
        sweep = self._sweeps.get(due)
        if sweep is None:
            sweep = self._sweeps[due] = _Sweep(self)
            sweep.timer = self.clock.call_at(due, sweep)
        sweep.lives.append(life)

    def places(self, vehicle: Vehicle) -> Places:
        """Work, errand places and home charger of a vehicle: a pure function of the seed
        and the vehicle."""
        rng = seeded(self.seed, vehicle, "places")
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
        drive = self.trips.current(vehicle_id)
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
        rng = seeded(self.seed, vehicle, "day", day.isoformat())
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
        rng = seeded(self.seed, vehicle, "trip", int(at))
        blocked = state.immobilized or not state.online or vehicle.id in self.trips
        if blocked:
            self._plan(life)
            return
        target = self._target(life, place, rng)
        destination = state.destination
        if destination is not None:  # a Navigation remote: this trip goes there
            target = (destination.lon, destination.lat)
            place = NAVIGATION
        here = (state.position.lon, state.position.lat)
        if distance_km(here, target) < 0.3:
            life.at_place = place
            if place == NAVIGATION:  # there already
                self.operations.set_destination(vehicle, None)
            self._plan(life)
            return
        self.trips.start(vehicle, target, place, rng, living=True)

    def _arrived(self, vehicle: Vehicle, drive: Drive, rng: random.Random, early: bool) -> None:
        """A trip ended (the living fleet's or another; early: parked on the way): the car
        is at its place, plugs in or refuels, and plans its next departure."""
        life = self._lives.get(vehicle.id)
        if life is None or life.vehicle is not vehicle:
            return
        life.at_place = ELSEWHERE if early else drive.place
        if not self.enabled:  # stopping: the car stays where it is
            return
        if not early:
            self._refill(life, rng)
        life.cancel()  # a departure planned before a trip the living fleet did not start
        self._plan(life)

    def _refill(self, life: Life, rng: random.Random) -> None:
        vehicle = life.vehicle
        state = vehicle.state
        electric, fuel = state.electric, state.fuel
        if fuel is not None and fuel.level < REFUEL_BELOW_PCT and electric is None:
            self.operations.refuel(vehicle)
            self._report(life, REFUELLED)
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
            self.operations.refuel(vehicle)
            self._report(life, REFUELLED)
        if power and electric.level < 95:
            # the drivers of the living fleet always charge at once (the charge-now button)
            self.operations.plug(vehicle, power, immediate=True, cause=None)
            self._report(life, CHARGING)

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
        if not self.service_due(vehicle, self.clock.now()):
            return False
        if seeded(self.seed, vehicle, "service", int(at)).random() >= SERVICE_CHANCE:
            return False
        self.operations.service(vehicle)
        return True

    # ------------------------------------------------------------ reporting
    def _report(self, life: Life, cause: str) -> None:
        """A data sample by the fleet's one catch-up rule (its position keeps its own
        time); a routine parked report is the catch-up sample an offline car owes."""
        self.operations.report(life.vehicle, cause, locate=False, routine=cause == PARKED)

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
        trips = self.trips
        for life in sweep.lives:
            vehicle = life.vehicle
            if vehicle.id in trips:
                continue
            self.operations.drain_12v(vehicle, drain, floor=MIN_12V)
            self._report(life, SERVICED if self._book_service(life) else PARKED)
        if not sweep.lives:  # forgotten meanwhile
            return
        following = due + PARKED_REPORT_S
        sweep.timer = self.clock.call_at(following, sweep)
        self._sweeps.setdefault(following, sweep)
