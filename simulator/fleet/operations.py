"""Vehicle changes as named fleet operations: park, drive, plug, unplug, start and stop a
charge, lock, online, asleep, set data... and the sample each one publishes.

Every change of a vehicle's state from outside the fleet goes through
:class:`FleetOperations`: the remotes (:mod:`simulator.remotes.effects`), the living
fleet (:mod:`simulator.fleet.life`) and the control API (``control/remotes.py``).  An
operation keeps the state's invariants (a plugged car that drives away is unplugged, a
moving car is not parked, a charge follows the plug...) and reports a data sample
(``cause``; None: the caller reports, as part of something larger).  Trips are driven
by :mod:`simulator.fleet.trips`, charges by :mod:`simulator.fleet.charging`, samples
and the offline catch-up rule by :mod:`simulator.fleet.samples`.

Pure domain: the clock, the bus and the vehicles; no HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from simulator.errors import InvalidField
from simulator.events import EventBus
from simulator.fleet.charging import PLUGGED, UNPLUGGED, Charging
from simulator.fleet.enums import (
    AlertSeverity,
    AlertType,
    ChargeType,
    ChargingPowerLevel,
    ChargingStatus,
    LockedState,
    PreconditioningStartingCause,
    PreconditioningStatus,
)
from simulator.fleet.models import Vehicle
from simulator.fleet.preconditioning import Cabin
from simulator.fleet.records import Alert
from simulator.fleet.samples import Samples
from simulator.fleet.state_body import StateInjection
from simulator.fleet.trips import ELSEWHERE, IGNITION_OFF, NAVIGATION, Trips, seeded, stop_engine
from simulator.fleet.values import ChargeProgram, Position, PreconditioningProgram

if TYPE_CHECKING:
    from simulator.clock import Clock

AWAKE_S = 180.0  # a woken vehicle stays awake this long, unless told otherwise
INJECTED = "injected"  # cause of the sample a state body brings
LOCKED, UNLOCKED = (LockedState.LOCKED,), (LockedState.UNLOCKED,)

__all__ = ["AWAKE_S", "INJECTED", "FleetOperations", "StateInjection"]


class FleetOperations:
    """The operations on the fleet's vehicles (one per simulator)."""

    def __init__(
        self, clock: Clock, bus: EventBus, seed: int, *, alert_id: Callable[[], str]
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.alert_id = alert_id  # ids of the alerts a state body starts (seeded)
        self.samples = Samples(clock, bus)
        self.charging = Charging(clock, self.samples)
        self.cabin = Cabin(clock, self.samples)
        self.trips = Trips(clock, self.samples, self.charging, seed)

    def reset(self) -> None:
        """The fleet is made again: no trip, charge or preconditioning of the old one
        goes on."""
        self.trips.reset()
        self.charging.reset()
        self.cabin.reset()

    # ------------------------------------------------------------ samples
    def sample(self, vehicle: Vehicle, cause: str) -> None:
        """The vehicle reports its data now, its position a fix taken now."""
        self.samples.sample(vehicle, cause)

    def report(
        self, vehicle: Vehicle, cause: str, *, locate: bool = True, routine: bool = False
    ) -> None:
        """A sample from something running in the vehicle, by the one catch-up rule:
        none while offline (one is owed), a ``catch-up`` sample first once back online
        (see :meth:`simulator.fleet.samples.Samples.report`)."""
        self.samples.report(vehicle, cause, locate=locate, routine=routine)

    # ------------------------------------------------------------ trips
    def driving(self, vehicle: Vehicle) -> bool:
        return vehicle.id in self.trips

    def drive(
        self,
        vehicle: Vehicle,
        to: tuple[float, float],
        *,
        speed_kmh: float | None = None,
        place: str = ELSEWHERE,
    ) -> None:
        """A real trip starting now, made by the same code as the living fleet's trips
        (:mod:`simulator.fleet.trips`): ignition on, a data sample every 30-60 simulated
        s along a road-like path, energy used, odometer rising, a Trip record, then the
        car parks at ``to`` (ignition off, locked...).  ``to`` is (longitude, latitude).

        ``speed_kmh``: the average speed (ticks vary around it, capped by the model's top
        speed); None: the leg planner's.  Works whether the living fleet is on or off.
        Raises InvalidField (field ``vehicle``) if the vehicle is already driving,
        immobilized or offline."""
        state = vehicle.state
        for refused, why in (
            (self.driving(vehicle), "is already driving"),
            (state.immobilized, "is immobilized"),
            (not state.online, "is offline"),
        ):
            if refused:
                raise InvalidField("vehicle", f"vehicle: the vehicle {why}")
        lon, lat = to
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise InvalidField("to", "to: (longitude, latitude) out of range")
        if speed_kmh is not None and not speed_kmh > 0:
            raise InvalidField("speedKmh", "speedKmh: an average speed above 0 km/h")
        rng = seeded(self.seed, vehicle, "drive", int(self.clock.time()))
        self.trips.start(vehicle, (float(lon), float(lat)), place, rng, speed_kmh=speed_kmh)

    def park(self, vehicle: Vehicle, *, cause: str | None = IGNITION_OFF) -> None:
        """The car stops where it is, ignition off: a trip in progress ends there (and is
        recorded, with its own sample); else the car set moving by a state body stops.
        Publishes a sample with ``cause`` (None: the caller reports)."""
        if self.driving(vehicle):
            self.trips.end(vehicle)
            return
        stop_engine(vehicle.state)
        if cause is not None:
            self.samples.sample(vehicle, cause)

    def set_destination(self, vehicle: Vehicle, to: tuple[float, float] | None) -> None:
        """Where the driver goes next (a Navigation remote; None: nowhere in particular).
        Publishes no sample."""
        state = vehicle.state
        if to is None:
            if state.destination is not None:
                state.destination = None
            return
        state.destination = Position(lon=float(to[0]), lat=float(to[1]), at=self.clock.now())

    def head_for_destination(self, vehicle: Vehicle) -> bool:
        """The driver sets off now to the destination when the car is parked, online and
        not immobilized (the destination stays while driving, clears on arrival); else
        the car goes there on its next departure.  True when a trip started."""
        state = vehicle.state
        destination = state.destination
        if destination is None or self.driving(vehicle):
            return False
        if state.immobilized or not state.online:
            return False
        self.drive(vehicle, (destination.lon, destination.lat), place=NAVIGATION)
        return True

    # ------------------------------------------------------------ charging
    def plug(
        self,
        vehicle: Vehicle,
        power_kw: float | None = None,
        *,
        immediate: bool = False,
        cause: str | None = PLUGGED,
    ) -> None:
        """Plugged into a charger of ``power_kw`` (see :meth:`Charging.plug`)."""
        self.charging.plug(vehicle, power_kw, immediate=immediate, cause=cause)

    def unplug(self, vehicle: Vehicle, *, cause: str | None = UNPLUGGED) -> None:
        """Unplugged: the charge stops, ``Disconnected`` (see :meth:`Charging.unplug`)."""
        self.charging.unplug(vehicle, cause=cause)

    def set_charger_power(self, vehicle: Vehicle, power_kw: float) -> None:
        """The plugged car's charger now delivers ``power_kw`` (publishes no sample)."""
        self.charging.set_charger_power(vehicle, power_kw)

    def start_charge(self, vehicle: Vehicle, *, cause: str | None = None) -> None:
        """The plugged car charges now (a delayed start is called off)."""
        self.charging.cancel_delayed(vehicle)
        self.charging.start(vehicle)
        if cause is not None:
            self.samples.sample(vehicle, cause)

    def stop_charge(self, vehicle: Vehicle, *, cause: str | None = None) -> None:
        """The charge in progress stops (``Stopped``, still plugged)."""
        self.charging.stop(vehicle, ChargingStatus.STOPPED)
        if cause is not None:
            self.samples.sample(vehicle, cause)

    def delay_charge(self, vehicle: Vehicle, when: datetime) -> None:
        """The plugged car charges from ``when`` on (a charge in progress stops and
        waits).  Publishes no sample."""
        self.charging.wait_until(vehicle, when.timestamp())

    def set_charge_preferences(
        self, vehicle: Vehicle, level: ChargingPowerLevel | None, kind: ChargeType | None
    ) -> None:
        self.charging.set_preferences(vehicle, level, kind)

    def set_charge_programs(self, vehicle: Vehicle, programs: tuple[ChargeProgram, ...]) -> None:
        self.charging.set_programs(vehicle, programs)

    # ------------------------------------------------------------ preconditioning
    def start_preconditioning(
        self,
        vehicle: Vehicle,
        cause: PreconditioningStartingCause = PreconditioningStartingCause.IMMEDIATE,
    ) -> None:
        """The cabin is preconditioned for the next 30 minutes (the caller reports)."""
        self.cabin.start(vehicle, cause)

    def stop_preconditioning(self, vehicle: Vehicle) -> None:
        """The run stops (``Disabled``; the caller reports)."""
        self.cabin.stop(vehicle, PreconditioningStatus.DISABLED)

    def set_preconditioning_programs(
        self, vehicle: Vehicle, programs: tuple[PreconditioningProgram, ...]
    ) -> None:
        """The weekly preconditioning programs (publishes no sample)."""
        self.cabin.set_programs(vehicle, programs)

    # ------------------------------------------------------------ energy
    def refuel(self, vehicle: Vehicle) -> None:
        """A full tank (publishes no sample)."""
        fuel = vehicle.state.fuel
        if fuel is not None:
            fuel.level = 100.0

    # ------------------------------------------------------------ the car
    def lock(self, vehicle: Vehicle, *, cause: str | None = None) -> None:
        vehicle.state.locked_states = LOCKED
        if cause is not None:
            self.samples.sample(vehicle, cause)

    def unlock(self, vehicle: Vehicle, *, cause: str | None = None) -> None:
        vehicle.state.locked_states = UNLOCKED
        if cause is not None:
            self.samples.sample(vehicle, cause)

    def immobilize(self, vehicle: Vehicle, on: bool) -> None:
        """Immobilized, the car starts no trip (publishes no sample)."""
        vehicle.state.immobilized = on

    def set_stolen(self, vehicle: Vehicle, stolen: bool) -> None:
        """Declared stolen (or found again); publishes no sample."""
        vehicle.state.stolen = stolen

    def set_online(self, vehicle: Vehicle, online: bool) -> None:
        """Offline, the car reports nothing (it owes a catch-up sample, sent before its
        next one once back online) and starts no trip; remotes time out."""
        vehicle.state.online = online

    def sleep(self, vehicle: Vehicle) -> None:
        """Asleep: the next remote must wake it."""
        vehicle.state.awake_until = None

    def wake(self, vehicle: Vehicle, *, seconds: float = AWAKE_S) -> None:
        """Awake for the next ``seconds``."""
        vehicle.state.awake_until = datetime.fromtimestamp(self.clock.time() + seconds, UTC)

    def drain_12v(self, vehicle: Vehicle, volts: float, *, floor: float) -> None:
        """The 12 V battery loses ``volts`` (never below ``floor``); no sample."""
        state = vehicle.state
        state.battery_voltage = round(max(floor, state.battery_voltage - volts), 3)

    def service(self, vehicle: Vehicle) -> None:
        """The service is done now: the maintenance data start again (no sample)."""
        now = self.clock.now()
        maintenance = vehicle.maintenance
        done_at = now.replace(microsecond=0)
        km = float(round(vehicle.state.mileage_km))
        maintenance.last_service_at = done_at
        maintenance.last_service_mileage_km = km
        maintenance.next_service_at = done_at + timedelta(days=maintenance.interval_days)
        maintenance.next_service_mileage_km = km + maintenance.interval_km
        maintenance.updated_at = now

    # ------------------------------------------------------------ set data
    def set_data(self, vehicle: Vehicle, body: StateInjection) -> None:
        """Set the vehicle's data from a state body (the control API's), then the vehicle
        reports one data sample (cause ``injected``).  Checked first, so that a refused
        body changes nothing (InvalidField, 400 naming the field); plugging goes through
        :meth:`plug` / :meth:`unplug`.  New alerts get their ids from ``alert_id``."""
        check_data(vehicle, body)
        state = vehicle.state
        if body.position is not None:
            state.position = replace(
                state.position, lon=body.position.longitude, lat=body.position.latitude
            )
        if body.ignition is not None:
            state.ignition = body.ignition
        if body.speedKmh is not None:
            state.speed_kmh = body.speedKmh
            state.moving = body.speedKmh > 0
        if body.privacy is not None:
            state.privacy = body.privacy
        if body.mileageKm is not None:
            state.mileage_km = body.mileageKm
        if body.alerts is not None:
            self._set_alerts(vehicle, set(body.alerts))
        if body.openDoors is not None:
            state.open_doors = frozenset(body.openDoors)
        if body.lockedStates is not None:
            state.locked_states = tuple(body.lockedStates)
        if body.batteryVoltage is not None:
            state.battery_voltage = body.batteryVoltage
        if body.airTempC is not None:
            state.air_temp_c = body.airTempC
        engine = state.engine
        if engine is not None and body.oilTempC is not None:
            engine.oil_temp_c = body.oilTempC
        if engine is not None and body.coolantTempC is not None:
            engine.coolant_temp_c = body.coolantTempC
        if body.fuelLevel is not None and state.fuel is not None:
            state.fuel.level = body.fuelLevel
        electric = state.electric
        if electric is not None and body.electricLevel is not None:
            electric.level = body.electricLevel
            self.charging.level_changed(vehicle)
        if body.plugged is True:
            self.plug(vehicle, body.chargerPowerKw, cause=INJECTED)
        elif body.plugged is False:
            self.unplug(vehicle, cause=INJECTED)
        else:
            if body.chargerPowerKw is not None:
                self.set_charger_power(vehicle, body.chargerPowerKw)
            self.samples.sample(vehicle, INJECTED)

    def _set_alerts(self, vehicle: Vehicle, wanted: set[AlertType]) -> None:
        now = self.clock.now()
        for alert in vehicle.alerts:
            if alert.active and alert.type not in wanted:
                alert.ended_at = now
        active = {alert.type for alert in vehicle.alerts if alert.active}
        for kind in sorted(wanted - active):
            vehicle.alerts.append(
                Alert(
                    id=self.alert_id(),
                    type=kind,
                    severity=AlertSeverity.WARNING,
                    started_at=now,
                    start_position=vehicle.state.position,
                )
            )


def check_data(vehicle: Vehicle, body: StateInjection) -> None:
    """Refuse what the vehicle cannot be set to (InvalidField, 400 naming the field)."""
    for name, value in (("oilTempC", body.oilTempC), ("coolantTempC", body.coolantTempC)):
        if value is not None and vehicle.state.engine is None:
            raise InvalidField(
                name,
                f"{name}: a {vehicle.motorization} vehicle has no combustion engine "
                "(Thermic and Hybrid vehicles have one)",
            )
    electric = vehicle.state.electric
    for name, value in (("plugged", body.plugged), ("chargerPowerKw", body.chargerPowerKw)):
        if value is not None and electric is None:
            raise InvalidField(
                name,
                f"{name}: a {vehicle.motorization} vehicle has no charging plug "
                "(Electric and Hybrid vehicles have one)",
            )
    if body.chargerPowerKw is not None and electric is not None:
        if body.plugged is False:
            raise InvalidField("chargerPowerKw", "chargerPowerKw: an unplugged vehicle gets none")
        if body.plugged is None and not electric.charging.plugged:
            raise InvalidField(
                "chargerPowerKw",
                "chargerPowerKw: the vehicle is not plugged (send plugged: true with it)",
            )
