"""The vehicle's records: alerts, collisions, maintenance, telemetry messages, trips and
their collection pages."""

from typing import Literal

from pydantic import ConfigDict, Field

from simulator.api.schemas.base import (
    AlertLinks,
    ApiModel,
    CollectionResult,
    CollisionLinks,
    MaintenanceLinks,
    RoundedInt,
    TelemetryLinks,
    TripLinks,
    UtcDateTime,
)
from simulator.api.schemas.enums import (
    Accr,
    AlertMsg,
    AlertSeverity,
    CollisionSeverity,
    CollisionSide,
    EnergySubType,
    EnergyType,
    GearRatio,
    LaneKeeping,
    ParkAssistFront,
    ParkAssistRear,
    Rvv,
    TripFaultCause,
    TripFaultKind,
    TripPropulsion,
    WipingSpeed,
)
from simulator.api.schemas.status import (
    AlarmDetails,
    BaseAlarm,
    BaseSafety,
    BatteryBase,
    DoorsStateBase,
    DrivingBehaviorBase,
    EnergyBase,
    EngineBase,
    EnvironmentBase,
    Ignition,
    KineticBase,
    LightingSystemBase,
    LiteEnergy,
    OdometerBase,
    Position,
    PositionBase,
    PowertrainBase,
    PrivacyBase,
)

# ---------------------------------------------------------------------------
# Alerts, collisions, maintenance
# ---------------------------------------------------------------------------


class Alert(ApiModel):
    links: AlertLinks = Field(alias="_links")
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime
    id: str
    active: bool
    type: AlertMsg
    severity: AlertSeverity | None = None
    started_at: UtcDateTime
    end_at: UtcDateTime | None = None
    start_position: Position | None = None
    end_position: Position | None = None


class CollisionDetails(ApiModel):
    side: CollisionSide
    severity: CollisionSeverity | None = None


class Collision(ApiModel):
    links: CollisionLinks = Field(alias="_links")
    id: str
    created_at: UtcDateTime
    updated_at: UtcDateTime | None = None
    details: list[CollisionDetails] | None = None
    tipped_over: bool | None = None
    pedestrian: bool | None = None


class MaintenanceBase(ApiModel):
    created_at: UtcDateTime
    days_before_maintenance: RoundedInt | None = None
    mileage_before_maintenance: float | None = None


class Maintenance(MaintenanceBase):
    """`GET /user/vehicles/{id}/maintenance`."""

    links: MaintenanceLinks = Field(alias="_links")
    updated_at: UtcDateTime | None = None


# ---------------------------------------------------------------------------
# Telemetry
# ---------------------------------------------------------------------------


class ParkAssist(ApiModel):
    front: list[ParkAssistFront] | None = None
    rear: list[ParkAssistRear] | None = None


class Adas(ApiModel):
    model_config = ConfigDict(from_attributes=True)  # built from the domain object

    park_assist: ParkAssist | None = None
    accr: Accr | None = None
    lvv: bool | None = None
    rvv: Rvv | None = None
    aebs: Literal["off", "Fixed", "OnFlashing"] | None = None
    afil: Literal["FlashingFault", "FlashingWarning", "Off", "OnFixed"] | None = None
    artiv: Literal["NotSelected", "Selected", "Unavailable"] | None = None
    bsm: Literal["Active", "Inactive", "Disabled", "Fault"] | None = None
    esp: bool | None = None
    abs: bool | None = None
    fse: bool | None = None
    sli: RoundedInt | None = None
    rlka: LaneKeeping | None = None
    llka: LaneKeeping | None = None
    rgi: Literal["None", "Up", "Down", "UpDown"] | None = None


class GearboxMode(ApiModel):
    model_config = ConfigDict(from_attributes=True)  # built from the domain object

    automatic: bool | None = None
    sport: bool | None = None
    snow: bool | None = None
    sequential: bool | None = None
    semi_manual: bool | None = None


class Gearbox(ApiModel):
    mode: GearboxMode | None = None
    ratio: GearRatio | None = None


class Transmission(ApiModel):
    gearbox: Gearbox | None = None


class WipingBladesState(ApiModel):
    model_config = ConfigDict(from_attributes=True)  # built from the domain object

    active: bool | None = None
    speed: WipingSpeed | None = None


class TelemetryVehicle(ApiModel):
    engines: list[EngineBase] | None = None
    energies: list[EnergyBase] | None = None
    transmission: Transmission | None = None
    powertrain: PowertrainBase | None = None
    adas: Adas | None = None
    lighting_system: LightingSystemBase | None = None
    ignition: Ignition | None = None
    doors_state: DoorsStateBase | None = None
    battery: BatteryBase | None = None
    safety: BaseSafety | None = None
    wiping_blades: WipingBladesState | None = None
    odometer: OdometerBase | None = None
    kinetic: KineticBase | None = None
    driving_behavior: DrivingBehaviorBase | None = None
    alarm: BaseAlarm | None = None


class TelemetryExtension(ApiModel):
    location: PositionBase | None = None
    maintenance: MaintenanceBase | None = None


class TelemetryEmbedded(ApiModel):
    extension: TelemetryExtension | None = None


class Telemetry(ApiModel):
    """One telemetry message."""

    links: TelemetryLinks = Field(alias="_links")
    created_at: UtcDateTime
    privacy: PrivacyBase | None = None
    vehicle: TelemetryVehicle | None = None
    environment: EnvironmentBase | None = None
    embedded: TelemetryEmbedded | None = Field(default=None, alias="_embedded")


# ---------------------------------------------------------------------------
# Trips
# ---------------------------------------------------------------------------


class EnergyConsumption(ApiModel):
    """Energy used over a trip: L for fuel, kWh for electric."""

    type: EnergyType
    sub_type: EnergySubType | None = None
    consumption: float = Field(ge=0)
    avg_consumption: float | None = None


class TripKinetic(ApiModel):
    avg_speed: float | None = None
    max_speed: float | None = None


class TripSegment(ApiModel):
    propulsion: TripPropulsion | None = None
    percent: float | None = None
    distance: float | None = None


class TripFault(ApiModel):
    fault: TripFaultKind | None = None
    cause: TripFaultCause | None = None


class Trip(ApiModel):
    links: TripLinks = Field(alias="_links")
    id: str
    created_at: UtcDateTime
    updated_at: UtcDateTime | None = None
    started_at: UtcDateTime | None = None
    stopped_at: UtcDateTime | None = None
    start_position: Position | None = None
    stop_position: Position | None = None
    duration: RoundedInt | None = Field(default=None, ge=0)
    distance: float | None = Field(default=None, ge=0)
    start_mileage: float | None = None
    start_energies: list[LiteEnergy] | None = None
    end_energies: list[LiteEnergy] | None = None
    energy_consumptions: list[EnergyConsumption] | None = None
    kinetic: TripKinetic | None = None
    segments: list[TripSegment] | None = None
    done: bool | None = None
    faults: list[TripFault] = Field(default_factory=list)


class AlertsEmbedded(ApiModel):
    alerts: list[Alert] = Field(default_factory=list)


class AlertsPage(CollectionResult[AlertsEmbedded]):
    """`GET .../alerts` (reference: Alerts)."""


class CollisionsEmbedded(ApiModel):
    collisions: list[Collision] = Field(default_factory=list, alias="Collisions")


class CollisionsPage(CollectionResult[CollisionsEmbedded]):
    """`GET .../collisions` (reference: Collisions; note the capital C)."""


class TelemetriesEmbedded(ApiModel):
    telemetries: list[Telemetry] = Field(default_factory=list)


class TelemetriesPage(CollectionResult[TelemetriesEmbedded]):
    """`GET .../telemetry` (reference: Telemetries)."""


class TripsEmbedded(ApiModel):
    trips: list[Trip] = Field(default_factory=list)


class TripsPage(CollectionResult[TripsEmbedded]):
    """`GET .../trips` (reference: Trips)."""


class AlarmsEmbedded(ApiModel):
    alarms: list[AlarmDetails] = Field(default_factory=list)


class AlarmsPage(CollectionResult[AlarmsEmbedded]):
    """`GET .../alarms` (reference: Alarms)."""


class WayPointsEmbedded(ApiModel):
    positions: list[Position] = Field(default_factory=list)


class WayPointsPage(CollectionResult[WayPointsEmbedded]):
    """`GET .../trips/{tid}/wayPoints` (reference: WayPoints)."""
