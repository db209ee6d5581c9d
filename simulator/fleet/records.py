"""History records of a vehicle: alerts, collisions, alarms, trips (with their faults
and waypoints) and telemetry samples, and the opaque ids they carry."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from simulator.fleet.enums import (
    ALL_TELEMETRY_KINDS,
    AlarmActivation,
    AlarmType,
    AlertSeverity,
    AlertType,
    BreakInType,
    ChargingStatus,
    CollisionSeverity,
    CollisionSide,
    DoorId,
    DrivingMode,
    GearRatio,
    IgnitionType,
    LockedState,
    PowertrainStatus,
    PrivacyState,
    TelemetryKind,
    TripFaultCause,
    TripFaultKind,
)
from simulator.fleet.values import LOCKED, NO_OPEN_DOORS, EnergyLevel, Position


@dataclass(slots=True, kw_only=True)
class Alert:
    """A vehicle alert; active while ``ended_at`` is None."""

    id: str
    type: AlertType
    severity: AlertSeverity
    started_at: datetime
    ended_at: datetime | None = None
    start_position: Position | None = None
    end_position: Position | None = None
    trip_id: str | None = None  # trip during or after which it was raised

    @property
    def active(self) -> bool:
        return self.ended_at is None

    @property
    def updated_at(self) -> datetime:
        return self.ended_at if self.ended_at is not None else self.started_at


@dataclass(frozen=True, slots=True, kw_only=True)
class CollisionDetail:
    side: CollisionSide
    severity: CollisionSeverity | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Collision:
    id: str
    at: datetime  # createdAt (and updatedAt)
    position: Position | None
    details: tuple[CollisionDetail, ...]
    tipped_over: bool | None = None
    pedestrian: bool | None = None
    trip_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Alarm:
    """An alarm history record: a status change (``activation``) or a break-in trigger."""

    id: str
    type: AlarmType
    at: datetime  # createdAt; startAt of a trigger
    activation: AlarmActivation | None = None  # set for type STATUS
    trigger: BreakInType | None = None  # set for type TRIGGER
    position: Position | None = None  # where a trigger happened


@dataclass(frozen=True, slots=True, kw_only=True)
class TripFault:
    fault: TripFaultKind
    cause: TripFaultCause | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Trip:
    """A trip; ``ended_at`` None while it is in progress. Start/stop positions are the
    first/last waypoints."""

    id: str
    started_at: datetime
    ended_at: datetime | None
    start_mileage_km: float
    distance_km: float
    max_speed_kmh: float
    electric_distance_km: float = 0.0  # part driven on electricity (segments)
    fuel_start: EnergyLevel | None = None
    fuel_end: EnergyLevel | None = None
    fuel_used: float | None = None  # litres (kg for hydrogen)
    electric_start: EnergyLevel | None = None
    electric_end: EnergyLevel | None = None
    electric_used_kwh: float | None = None
    waypoints: tuple[Position, ...] = ()
    faults: tuple[TripFault, ...] = ()

    @property
    def done(self) -> bool:
        return self.ended_at is not None

    @property
    def updated_at(self) -> datetime:
        if self.ended_at is not None:
            return self.ended_at
        return self.waypoints[-1].at if self.waypoints else self.started_at

    @property
    def duration(self) -> timedelta:
        return self.updated_at - self.started_at

    @property
    def duration_s(self) -> int:
        return int(self.duration.total_seconds())

    @property
    def avg_speed_kmh(self) -> float:
        seconds = self.duration.total_seconds()
        return round(self.distance_km * 3600.0 / seconds, 1) if seconds > 0 else 0.0

    @property
    def stop_mileage_km(self) -> float:
        return self.start_mileage_km + self.distance_km

    @property
    def thermal_distance_km(self) -> float:
        return max(0.0, self.distance_km - self.electric_distance_km)

    @property
    def start_position(self) -> Position | None:
        return self.waypoints[0] if self.waypoints else None

    @property
    def end_position(self) -> Position | None:
        return self.waypoints[-1] if self.waypoints and self.done else None

    @property
    def fuel_avg_per_100km(self) -> float | None:
        """avgConsumption of the Fuel energy over the thermal distance."""
        thermal = self.thermal_distance_km
        if self.fuel_used is None or thermal <= 0.0:
            return None
        return round(self.fuel_used * 100.0 / thermal, 2)

    @property
    def electric_avg_kwh_per_100km(self) -> float | None:
        """avgConsumption of the Electric energy over the electric distance."""
        if self.electric_used_kwh is None or self.electric_distance_km <= 0.0:
            return None
        return round(self.electric_used_kwh * 100.0 / self.electric_distance_km, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class TelemetrySample:
    """One telemetry record: the values the vehicle reported at ``at``.

    ``kinds`` lists the groups (TelemetryEnum) the record carries. Groups that are always
    constant for a parked car (ADAS, lighting, wipers, safety) are not stored: the
    serializer takes them from the vehicle state.
    """

    id: str
    at: datetime
    kinds: frozenset[TelemetryKind] = ALL_TELEMETRY_KINDS
    trip_id: str | None = None
    position: Position | None = None  # extension "location"
    privacy: PrivacyState = PrivacyState.NONE
    ignition: IgnitionType = IgnitionType.STOP
    powertrain: PowertrainStatus = PowertrainStatus.NOT_RUNNING
    speed_kmh: float = 0.0
    acceleration: float = 0.0
    moving: bool = False
    mileage_km: float = 0.0
    battery_voltage: float = 12.6
    air_temp_c: float = 15.0
    daytime: bool = True
    locked_states: tuple[LockedState, ...] = LOCKED
    open_doors: frozenset[DoorId] = NO_OPEN_DOORS
    fuel: EnergyLevel | None = None
    electric: EnergyLevel | None = None
    plugged: bool = False
    charging_status: ChargingStatus | None = None
    oil_temp_c: float | None = None
    coolant_temp_c: float | None = None
    driving_mode: DrivingMode = DrivingMode.NORMAL
    gear: GearRatio | None = None
    alarm_activation: AlarmActivation = AlarmActivation.INACTIVE
    days_before_maintenance: int | None = None  # extension "maintenance"
    mileage_before_maintenance_km: float | None = None


def new_record_id(rng: random.Random) -> str:
    """An opaque 32-hex-character id for a history record."""
    return f"{rng.getrandbits(128):032x}"
