"""Mutable state of a simulated vehicle: :class:`Vehicle`, its latest data sample
(:class:`VehicleState`), energies, engine and maintenance; plain typed dataclasses, no I/O,
no clock.

Everything the connected-car API v4 serves about a vehicle (Vehicle, Status, lastPosition,
alerts, trips and their waypoints, collisions, telemetry, alarms, maintenance) is expressed
in domain terms in this package; turning it into JSON is the API layer's job:

* :mod:`simulator.fleet.enums`: the enumerations, every one a ``StrEnum`` whose *value* is
  the reference's wire spelling (``PrivacyState.NONE == "None"``);
* :mod:`simulator.fleet.values`: values that rarely change (charging when unplugged,
  preconditioning, safety, lighting, transmission, ADAS, wipers, positions), frozen
  dataclasses shared between vehicles and replaced rather than mutated;
* :mod:`simulator.fleet.records`: the history records (alerts, collisions, alarms, trips,
  telemetry samples);
* :mod:`simulator.fleet.codec`: the two histories that grow with a vehicle's life, trips
  (with waypoints) and telemetry, kept packed as one deflated blob each in ``TripLog`` /
  ``TelemetryLog``;
* :mod:`simulator.fleet.catalog`: static model data (capacities, pictures, doors...),
  referenced, never copied.

Every ``datetime`` is timezone-aware (UTC).
"""

from __future__ import annotations

import abc
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from simulator.fleet.catalog import Brand, City, ModelSpec
from simulator.fleet.codec import TelemetryLog, TripLog
from simulator.fleet.enums import (
    ALL_TELEMETRY_KINDS,
    AlarmActivation,
    AlarmType,
    BreakInType,
    DoorId,
    DrivingMode,
    EnergySubType,
    IgnitionType,
    LockedState,
    Motorization,
    PositionKind,
    PowertrainStatus,
    PrivacyState,
    ServiceType,
    TelemetryKind,
)
from simulator.fleet.records import Alarm, Alert, Collision, TelemetrySample, Trip
from simulator.fleet.values import (
    ADAS_PARKED,
    LIGHTS_OFF,
    LOCKED,
    NO_OPEN_DOORS,
    PRECONDITIONING_OFF,
    SAFETY_NOMINAL,
    TRANSMISSION_MANUAL_PARKED,
    UNPLUGGED,
    WIPERS_OFF,
    Adas,
    Charging,
    EnergyLevel,
    Light,
    Lighting,
    Position,
    Preconditioning,
    Safety,
    Transmission,
    Wiping,
)

# this module's own names, and those the API layer reads through
# ``from simulator.fleet import models as m`` (re-exported from their modules)
__all__ = [
    "Alarm",
    "AlarmType",
    "Alert",
    "BreakInType",
    "Charging",
    "Collision",
    "ElectricEnergy",
    "EnergyLevel",
    "FuelEnergy",
    "Light",
    "Maintenance",
    "Motorization",
    "Position",
    "PositionKind",
    "Preconditioning",
    "PrivacyState",
    "Revisioned",
    "TelemetryKind",
    "TelemetrySample",
    "ThermicEngine",
    "Trip",
    "Vehicle",
    "VehicleState",
    "telemetry_snapshot",
]


class Revisioned:
    """Counts its own changes: every attribute assignment bumps ``revision``.

    Readers that cache what they derive from an object (the API's rendered
    status) compare revisions instead of values.  Replacing a nested object
    counts as a change of its holder.
    """

    __slots__ = ("revision",)
    revision: int

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        if name != "revision":
            object.__setattr__(self, "revision", getattr(self, "revision", 0) + 1)


@dataclass(slots=True, kw_only=True)
class _Energy(Revisioned, abc.ABC):
    """What the traction battery and the tank share: a level, and the autonomy a level
    gives with the energy's capacity and consumption."""

    level: float  # percent 0..100

    @property
    @abc.abstractmethod
    def _capacity(self) -> float:
        """What the battery or tank holds when full (kWh, litres or kg)."""

    @property
    @abc.abstractmethod
    def _per_100km(self) -> float:
        """Average consumption, in the unit of the capacity per 100 km."""

    def autonomy_at(self, level: float) -> int:
        """Autonomy in km at a given level with this capacity and consumption."""
        per_100km = self._per_100km
        if per_100km <= 0.0 or level <= 0.0:
            return 0
        return int(self._capacity * level / per_100km)

    @property
    def autonomy_km(self) -> int:
        return self.autonomy_at(self.level)

    def snapshot(self) -> EnergyLevel:
        return EnergyLevel(level=self.level, autonomy_km=self.autonomy_km)


@dataclass(slots=True, kw_only=True)
class ElectricEnergy(_Energy):
    """The traction battery (energy ``type: Electric``); ``level`` is the state of charge."""

    capacity_kwh: float  # nominal (gross) capacity
    consumption_kwh_per_100km: float  # average consumption
    health_capacity_pct: int = 100  # battery.health.capacity (state of health)
    health_resistance_pct: int = 100  # battery.health.resistance
    charging: Charging = UNPLUGGED

    @property
    def usable_kwh(self) -> float:
        """Capacity left by ageing (nominal capacity x state of health)."""
        return self.capacity_kwh * self.health_capacity_pct / 100.0

    @property
    def residual_kwh(self) -> float:
        """Energy left in the battery (``residual``, and ``battery.load.residual`` in Wh)."""
        return self.usable_kwh * self.level / 100.0

    @property
    def _capacity(self) -> float:
        return self.usable_kwh

    @property
    def _per_100km(self) -> float:
        return self.consumption_kwh_per_100km


@dataclass(slots=True, kw_only=True)
class FuelEnergy(_Energy):
    """The tank (energy ``type: Fuel``); litres, or kg when ``subtype`` is Hydrogen."""

    tank_l: float  # tank capacity (kg of H2 for hydrogen)
    consumption_l_per_100km: float  # average consumption (kg/100 km for hydrogen)
    subtype: EnergySubType = EnergySubType.FOSSIL_ENERGY

    @property
    def remaining_l(self) -> float:
        return self.tank_l * self.level / 100.0

    @property
    def _capacity(self) -> float:
        return self.tank_l

    @property
    def _per_100km(self) -> float:
        return self.consumption_l_per_100km


@dataclass(slots=True, kw_only=True)
class ThermicEngine(Revisioned):
    """Combustion engine sensors (``engines[type=Thermic]`` and its thermic extension)."""

    oil_temp_c: float
    coolant_temp_c: float
    air_temp_c: float  # intake air
    oil_level_pct: int = 100
    coolant_level_pct: int = 100
    speed_rpm: float = 0.0


@dataclass(slots=True, kw_only=True)
class Maintenance:
    """Next service, by date and by mileage (whichever comes first)."""

    interval_days: int
    interval_km: int
    next_service_at: datetime
    next_service_mileage_km: float
    last_service_at: datetime | None = None
    last_service_mileage_km: float | None = None
    updated_at: datetime

    def days_before(self, now: datetime) -> int:
        """daysBeforeMaintenance (negative when overdue)."""
        return math.floor((self.next_service_at - now) / timedelta(days=1))

    def mileage_before(self, mileage_km: float) -> float:
        """mileageBeforeMaintenance in km (negative when overdue)."""
        return round(self.next_service_mileage_km - mileage_km, 1)


# --------------------------------------------------------------------------------------
# The vehicle
# --------------------------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class VehicleState(Revisioned):
    """The latest data sample of a vehicle (what Status serves)."""

    updated_at: datetime  # time of the sample; createdAt of the status groups
    position: Position  # lastPosition (its own time in position.at)
    ignition: IgnitionType = IgnitionType.STOP
    powertrain: PowertrainStatus = PowertrainStatus.NOT_RUNNING
    speed_kmh: float = 0.0
    acceleration: float = 0.0  # m/s²
    moving: bool = False
    mileage_km: float = 0.0
    open_doors: frozenset[DoorId] = NO_OPEN_DOORS  # doors not listed are closed
    locked_states: tuple[LockedState, ...] = LOCKED
    battery_voltage: float = 12.6  # 12 V auxiliary battery
    privacy: PrivacyState = PrivacyState.NONE
    air_temp_c: float = 15.0  # outside
    daytime: bool = True  # environment.luminosity.day
    preconditioning: Preconditioning = PRECONDITIONING_OFF
    electric: ElectricEnergy | None = None
    fuel: FuelEnergy | None = None
    engine: ThermicEngine | None = None  # Thermic and Hybrid only
    safety: Safety = SAFETY_NOMINAL
    alarm_activation: AlarmActivation = AlarmActivation.INACTIVE
    alarm_trigger: Alarm | None = None  # latest break-in trigger (a record of Vehicle.alarms)
    lighting: Lighting = LIGHTS_OFF
    transmission: Transmission = TRANSMISSION_MANUAL_PARKED
    adas: Adas = ADAS_PARKED
    wiping: Wiping = WIPERS_OFF
    driving_mode: DrivingMode = DrivingMode.NORMAL
    # simulator-side state (not served as such)
    online: bool = True  # False: remotes time out
    awake_until: datetime | None = None
    immobilized: bool = False
    stolen: bool = False
    destination: Position | None = None  # from the Navigation remote
    unreported: bool = False  # data changed while offline: a catch-up sample is owed

    @property
    def autonomy_km(self) -> int:
        """Global autonomy (vehicle.autonomy): the sum over the energies."""
        total = 0
        if self.electric is not None:
            total += self.electric.autonomy_km
        if self.fuel is not None:
            total += self.fuel.autonomy_km
        return total

    def door_states(self, doors: Iterable[DoorId]) -> list[tuple[DoorId, bool]]:
        """(door, is_open) for each door the model has, for doorsState.opening."""
        return [(door, door in self.open_doors) for door in doors]


@dataclass(slots=True, kw_only=True)
class Vehicle:
    """A simulated vehicle: identity, static model data, latest state and history."""

    id: str  # opaque, not the VIN
    vin: str
    model: ModelSpec  # catalog entry: brand, label, motorization, capacities, doors...
    model_year: int
    owner: str  # user id
    created_at: datetime
    updated_at: datetime
    home: City  # catalog city
    home_lon: float
    home_lat: float
    state: VehicleState
    maintenance: Maintenance
    pictures: tuple[str, ...]  # 1..12 URLs (the model's, shared)
    alerts: list[Alert] = field(default_factory=list)
    trips: TripLog = field(default_factory=TripLog)
    collisions: list[Collision] = field(default_factory=list)
    telemetry: TelemetryLog = field(default_factory=TelemetryLog)
    alarms: list[Alarm] = field(default_factory=list)

    @property
    def brand(self) -> str:
        return self.model.brand.name

    @property
    def brand_info(self) -> Brand:
        return self.model.brand

    @property
    def label(self) -> str:
        return self.model.label

    @property
    def motorization(self) -> Motorization:
        return self.model.motorization

    @property
    def realm(self) -> str:
        return self.model.brand.realm

    @property
    def country(self) -> str:
        """ISO 3166-1 alpha-2 code of the home country."""
        return self.home.country

    @property
    def service_type(self) -> ServiceType:
        if self.model.motorization is Motorization.HYBRID:
            return ServiceType.HYBRID
        if self.model.motorization in (Motorization.ELECTRIC, Motorization.HYDROGEN):
            return ServiceType.ELECTRIC
        return ServiceType.UNKNOWN

    @property
    def doors(self) -> tuple[DoorId, ...]:
        """The openings this model has (for doorsState.opening)."""
        return self.model.doors

    def alert(self, alert_id: str) -> Alert | None:
        return next((a for a in self.alerts if a.id == alert_id), None)

    def collision(self, collision_id: str) -> Collision | None:
        return next((c for c in self.collisions if c.id == collision_id), None)

    def alarm(self, alarm_id: str) -> Alarm | None:
        return next((a for a in self.alarms if a.id == alarm_id), None)


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def telemetry_snapshot(
    vehicle: Vehicle,
    sample_id: str,
    *,
    at: datetime | None = None,
    kinds: frozenset[TelemetryKind] = ALL_TELEMETRY_KINDS,
    trip_id: str | None = None,
) -> TelemetrySample:
    """A telemetry record of the vehicle's current state (at ``at``, default its time)."""
    s = vehicle.state
    when = s.updated_at if at is None else at
    engine = s.engine
    return TelemetrySample(
        id=sample_id,
        at=when,
        kinds=kinds,
        trip_id=trip_id,
        position=s.position,
        privacy=s.privacy,
        ignition=s.ignition,
        powertrain=s.powertrain,
        speed_kmh=s.speed_kmh,
        acceleration=s.acceleration,
        moving=s.moving,
        mileage_km=s.mileage_km,
        battery_voltage=s.battery_voltage,
        air_temp_c=s.air_temp_c,
        daytime=s.daytime,
        locked_states=s.locked_states,
        open_doors=s.open_doors,
        fuel=s.fuel.snapshot() if s.fuel is not None else None,
        electric=s.electric.snapshot() if s.electric is not None else None,
        plugged=s.electric.charging.plugged if s.electric is not None else False,
        charging_status=s.electric.charging.status if s.electric is not None else None,
        oil_temp_c=engine.oil_temp_c if engine is not None else None,
        coolant_temp_c=engine.coolant_temp_c if engine is not None else None,
        driving_mode=s.driving_mode,
        gear=s.transmission.ratio,
        alarm_activation=s.alarm_activation,
        days_before_maintenance=vehicle.maintenance.days_before(when),
        mileage_before_maintenance_km=vehicle.maintenance.mileage_before(s.mileage_km),
    )
