"""Response models of the connected-car API v4 read endpoints.

The models follow the shapes and enums of the official B2C reference (v4.17.2)
and the project spec (`connectedcar-v4.md`); JSON member names are the
reference's (camelCase).  Python attribute names are the JSON names, except
where Python cannot use them: `links` (`_links`), `embedded`
(`_embedded`) and `self_` (`self`).  Both spellings are accepted when
building a model.

Conventions:

* every optional member defaults to `None` and is left out of the output:
  always serialise with :func:`dump` / :func:`dump_json`;
* timestamps are :data:`UtcDateTime` (timezone-aware, written as RFC 3339 UTC
  with a `Z`), durations are :data:`IsoDuration` (`timedelta` written as
  ISO 8601, e.g. `PT1H30M`);
* members the reference types `integer` are `int` (:data:`RoundedInt`
  rounds a float given by the simulation);
* members of the older API generation (`Status.energy`,
  `Status.preconditionning`, `DoorsState.lockedState`) are computed from
  their current counterparts and never stored.
"""

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar, Generic, Literal, Self, TypeVar, cast, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    computed_field,
    model_validator,
)

from simulator.fleet.values import Accr, Rvv

__all__ = [
    "ALERT_TYPES",
    "LEGACY_LOCKED_STATES",
    "Adas",
    "Air",
    "AirBase",
    "AirConditioning",
    "AirConditioningStatus",
    "Alarm",
    "AlarmDetails",
    "AlarmLinks",
    "AlarmStatus",
    "AlarmTrigger",
    "AlarmTriggerType",
    "AlarmsEmbedded",
    "AlarmsPage",
    "Alert",
    "AlertLinks",
    "AlertMsg",
    "AlertsEmbedded",
    "AlertsPage",
    "ApiModel",
    "BaseAlarm",
    "BaseAlarmStatus",
    "BaseAlarmTrigger",
    "BaseSafety",
    "Battery",
    "BatteryBase",
    "BeltStatus",
    "CallCenter",
    "ChargeSchedule",
    "ChargeScheduleProgram",
    "ChargeType",
    "ChargingCapability",
    "ChargingCapabilityParameters",
    "ChargingMode",
    "ChargingPreferencesCapability",
    "ChargingScheduleCapability",
    "ChargingStatus",
    "CollectionResult",
    "Collision",
    "CollisionDetails",
    "CollisionLinks",
    "CollisionsEmbedded",
    "CollisionsPage",
    "CompositFuelEnergyConsumption",
    "Consumption",
    "DoorIdentifier",
    "DoorOpening",
    "DoorsState",
    "DoorsStateBase",
    "DrivingBehavior",
    "DrivingBehaviorBase",
    "DrivingMode",
    "ElectricEnergyBaseExtension",
    "ElectricEnergyExtension",
    "Energy",
    "EnergyBase",
    "EnergyBaseExtension",
    "EnergyBattery",
    "EnergyBatteryBase",
    "EnergyCharging",
    "EnergyConsumption",
    "EnergyExtension",
    "EnergySubType",
    "EnergyType",
    "Engine",
    "EngineAir",
    "EngineBase",
    "EngineExtension",
    "EngineLiquid",
    "EngineOil",
    "Environment",
    "EnvironmentBase",
    "ErrorBody",
    "FuelEnergyExtension",
    "Gearbox",
    "GearboxMode",
    "HealthElectricEnergy",
    "Ignition",
    "IgnitionType",
    "ImmediateChargingCapability",
    "IsoDuration",
    "Kinetic",
    "KineticBase",
    "LaneKeeping",
    "LegacyEnergy",
    "LegacyEnergyBattery",
    "LegacyEnergyCharging",
    "LegacyLockedState",
    "Light",
    "LightingSystem",
    "LightingSystemBase",
    "Link",
    "LiteEnergy",
    "LoadElectricEnergy",
    "LockedState",
    "Luminosity",
    "LuminosityBase",
    "Maintenance",
    "MaintenanceBase",
    "MaintenanceLinks",
    "Motorization",
    "Occurence",
    "Odometer",
    "OdometerBase",
    "OnOff",
    "OnboardCapabilities",
    "OnboardDataCapability",
    "ParkAssist",
    "Point",
    "Position",
    "PositionBase",
    "PositionProperties",
    "PositionPropertiesBase",
    "PowerLevel",
    "Powertrain",
    "PowertrainBase",
    "PowertrainStatus",
    "Preconditioning",
    "PreconditioningCapability",
    "PreconditioningCapabilityParameters",
    "PreconditioningFailureCause",
    "PreconditioningProgram",
    "Privacy",
    "PrivacyBase",
    "PrivacyState",
    "ProgramsCapability",
    "RemoteCapabilities",
    "RemoteCapability",
    "RemoteScope",
    "RoundedInt",
    "Safety",
    "ScheduleProgramsCapability",
    "SelfLinks",
    "ServiceType",
    "Status",
    "StatusLinks",
    "StolenCallCenter",
    "TabLinks",
    "TelemetriesEmbedded",
    "TelemetriesPage",
    "Telemetry",
    "TelemetryEmbedded",
    "TelemetryExtension",
    "TelemetryLinks",
    "TelemetryVehicle",
    "ThermicEngineExtension",
    "TimedHealthElectricEnergy",
    "TimedLoadElectricEnergy",
    "Transmission",
    "Trip",
    "TripFault",
    "TripKinetic",
    "TripLinks",
    "TripSegment",
    "TripsEmbedded",
    "TripsPage",
    "Url",
    "User",
    "UserEmbedded",
    "UserLinks",
    "UtcDateTime",
    "Vehicle",
    "VehicleBranding",
    "VehicleEmbedded",
    "VehicleExtension",
    "VehicleLinks",
    "VehiclesEmbedded",
    "VehiclesPage",
    "WayPointsEmbedded",
    "WayPointsPage",
    "Weekday",
    "WipingBladesState",
    "dump",
    "dump_json",
    "format_duration",
    "format_utc",
]

# ---------------------------------------------------------------------------
# Scalar types
# ---------------------------------------------------------------------------


def format_utc(value: datetime) -> str:
    """RFC 3339 in UTC with `Z`: seconds, plus milliseconds when not zero."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: every API timestamp must carry its zone")
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    millis = utc.microsecond // 1000
    if millis:
        text += f".{millis:03d}"
    return text + "Z"


def format_duration(value: timedelta) -> str:
    """ISO 8601 duration in its short form: `PT1H30M`, `PT45S`, `PT0S`.

    Hours are not folded into days (`PT26H`), so the value never depends on
    the length of a calendar day.
    """
    if value < timedelta(0):
        raise ValueError("negative duration")
    micros = value // timedelta(microseconds=1)
    seconds, micros = divmod(micros, 1_000_000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    if micros:
        text += f"{seconds}.{micros:06d}".rstrip("0") + "S"
    elif seconds or text == "PT":
        text += f"{seconds}S"
    return text


def _non_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError("duration must not be negative")
    return value


def _round_number(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value):
        return round(value)
    return value


UtcDateTime = Annotated[
    AwareDatetime,
    PlainSerializer(format_utc, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A timezone-aware datetime, written `2026-01-01T07:00:03Z`."""

IsoDuration = Annotated[
    timedelta,
    AfterValidator(_non_negative),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "duration"}),
]
"""A non-negative `timedelta` written as an ISO 8601 duration (`PT1H30M`).

Accepts a `timedelta`, an ISO 8601 duration string or a number of seconds.
"""

RoundedInt = Annotated[int, BeforeValidator(_round_number)]
"""An `int` member; a finite float is rounded to the nearest integer."""

# ---------------------------------------------------------------------------
# Base model and helpers
# ---------------------------------------------------------------------------


def _tidy_schema(schema: dict[str, Any], model: type[Any]) -> None:
    """Describe optional members as the wire has them: absent, never null.

    Also drops the per-member titles pydantic derives from Python names.
    """
    props: dict[str, Any] = schema.get("properties", {})
    required: list[str] = schema.get("required", [])
    for name, prop in props.items():
        prop.pop("title", None)
        variants = prop.get("anyOf")
        if not isinstance(variants, list):
            continue
        kept = [v for v in variants if v != {"type": "null"}]
        if len(kept) == len(variants):
            continue
        prop.pop("anyOf")
        if prop.get("default", 0) is None:
            prop.pop("default")
        if len(kept) == 1:
            prop.update(kept[0])
        else:
            prop["anyOf"] = kept
        if name in required:
            required.remove(name)
    if "required" in schema and not required:
        del schema["required"]


class ApiModel(BaseModel):
    """Base of every API body: reference (alias) names on output, no extras."""

    model_config = ConfigDict(
        populate_by_name=True,
        serialize_by_alias=True,
        extra="forbid",
        json_schema_extra=_tidy_schema,
        defer_build=True,  # built on first use: keeps start-up under a second
    )

    @model_validator(mode="before")
    @classmethod
    def _ignore_derived_members(cls, data: Any) -> Any:
        """Accept our own output back: derived (legacy) members are dropped."""
        computed = cls.__pydantic_computed_fields__
        if isinstance(data, dict) and computed:
            names = set(computed) | {c.alias for c in computed.values() if c.alias}
            if names.intersection(data):
                return {k: v for k, v in data.items() if k not in names}
        return data


def dump(model: BaseModel) -> dict[str, Any]:
    """The JSON-ready dict of an API body (aliases, `None` members left out)."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def dump_json(model: BaseModel) -> bytes:
    """The UTF-8 JSON text of an API body (aliases, `None` members left out)."""
    return model.model_dump_json(by_alias=True, exclude_none=True).encode()


# ---------------------------------------------------------------------------
# Enumerations (values exactly as the reference spells them)
# ---------------------------------------------------------------------------

Weekday = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
EnergyType = Literal["Fuel", "Electric"]
EnergySubType = Literal["FossilEnergy", "ElectricEnergy", "Hydrogen"]
ChargingStatus = Literal["Disconnected", "InProgress", "Failure", "Stopped", "Finished"]
ChargingMode = Literal["No", "Slow", "Quick"]
PowerLevel = Literal["Level1", "Level2", "Level3", "Level4", "Level5"]
ChargeType = Literal["Partial", "Full"]
Motorization = Literal["Electric", "Hybrid", "Thermic", "Hydrogen"]
IgnitionType = Literal["Stop", "StartUp", "Start"]
PrivacyState = Literal["None", "Geolocation", "Full"]
PowertrainStatus = Literal["NotRunning", "Starting", "Running", "Stopping", "Stopped"]
OnOff = Literal["Off", "On"]
LockedState = Literal[
    "Unlocked",
    "Locked",
    "SuperLocked",
    "DriverDoorUnlocked",
    "CabinDoorsUnlocked",
    "CargoDoorsLocked",
    "CargoDoorsUnlocked",
    "RearDoorsUnlocked",
    "RearDoorsLocked",
    "TrunkLocked",
    "TrunkUnLocked",
]
LegacyLockedState = Literal[
    "Unlocked",
    "Locked",
    "SuperLocked",
    "DriverDoorUnlocked",
    "CabinDoorsUnlocked",
    "CargoDoorsLocked",
    "CargoDoorsUnlocked",
    "RearDoorsUnlocked",
    "RearDoorsLocked",
]
LEGACY_LOCKED_STATES: frozenset[str] = frozenset(get_args(LegacyLockedState))
"""The `lockedState` values older clients accept (no trunk values)."""

DoorIdentifier = Literal[
    "Driver", "Passenger", "RearLeft", "RearRight", "Trunk", "RearWindow", "RoofWindow"
]
AirConditioningStatus = Literal["Enabled", "Disabled", "Finished", "Failure"]
PreconditioningFailureCause = Literal[
    "Defect",
    "DoorOpened",
    "LowBattery",
    "LowFuelLevel",
    "TooManyUnusedProg",
    "WindowsRoofOpened",
    "HoodOpened",
    "NotParked",
    "OtherFailures",
]
DrivingMode = Literal[
    "Normal",
    "Sport",
    "Comfort",
    "Eco",
    "Sand",
    "Mud",
    "Snow",
    "ZEV",
    "Hybrid",
    "ZEVEco",
    "HybridEco",
    "EcoPlus",
    "eAWD",
    "4AWD",
    "ReinforcedLoad",
]
AlarmTriggerType = Literal[
    "NoBreakIn",
    "FrontRightDoorBreakIn",
    "FrontLeftDoorBreakIn",
    "RearRightFrontDoorBreakIn",
    "RearLeftFrontDoorBreakIn",
    "HoodDoorBreakIn",
    "TrunkDoorBreakIn",
    "BackliteDoorBreakIn",
    "RoofBreakIn",
    "VolumetricBreakIn",
    "VehicleLifting",
    "ElectricalsystemBreakIn",
    "KeyLearning",
    "UnauthenticatedStartup",
]
AlertMsg = Literal[
    "AbsBrakingSystemFault",
    "ActiveSpoilerFault",
    "AdBlueFault",
    "AdBlueFaultStartingImpossible",
    "AdBlueFaultStartingImpossibleSoon",
    "AddWasherFluid",
    "AirbagOrSeatBeltPretensionerOrActiveHoodFailure",
    "AssistanceButtonFault",
    "AutomaticBrakingDeactivated",
    "AutomaticHeadlightAdjustmentFault",
    "BatteryChargeOrElectricalCircuitSystemFailure",
    "BrakingSystemFailure",
    "ChargingFailure",
    "CheckTheCenterBrakeLamp",
    "CollisionDetectionSystemFault",
    "CollisionMitigationSystemFault",
    "CoolantLevellow",
    "DrivingAssistanceSensorBlind",
    "ElectricTractionSystemFailureLimitSpeed",
    "ElectricTractionSystemFailureStopVehicle",
    "ElectricTractionSystemFault",
    "ElectronicImmobiliserFault",
    "EmissionSystemOrAdBlueQualityFailueStartingImpossible",
    "EmissionSystemOrAdBlueQualityFailueStartingImpossibleSoon",
    "EmissionSystemOrAdBlueQualityFailure",
    "EngineFailure",
    "EngineFault",
    "EngineMisfiringFuel",
    "EngineOilPressureFailure",
    "EngineTemperatureFailure",
    "EspAsrSystemFault",
    "FrontLeftFlashingIndicatorFault",
    "FrontLeftFogLampsFault",
    "FrontLeftParkingLampsFault",
    "FrontRightFlashingIndicatorFault",
    "FrontRightFogLampsFault",
    "FrontRightParkingLampsFault",
    "FuelLevelLow",
    "GearboxFault",
    "HeadlightsFault",
    "InstalledSpareWheelFault",
    "InterVehicleTimeMeasurementFault",
    "LaneChangeAssistanceFault",
    "LaneDepartureWarningSystemFault",
    "LeftBrakeLampFault",
    "LeftFrontDoorOpen",
    "LeftFrontDoorOpenLowSpeed",
    "LeftFrontTirePressurSensorFault",
    "LeftFrontTirePuncture",
    "LeftFrontTireUnderInflated",
    "LeftRearDoorOpen",
    "LeftRearDoorOpenLowSpeed",
    "LeftRearTirePressurSensorFault",
    "LeftRearTirePuncture",
    "LeftRearTireUnderInflated",
    "LeftReverseLampFault",
    "OilLevelLow",
    "ParkAssistSystemFault",
    "ParkingBrakeOrHillStartSystemFailure",
    "ParticleFilterAdditiveLevelTooLow",
    "ParticleFilterFull",
    "ParticleFilterRegenerating",
    "PowerSteeringFailure",
    "PowerSteeringFault",
    "PreheatingPreventilationDeactivatedBatteryLow",
    "PreheatingPreventilationDeactivatedClockUnset",
    "PreheatingPreventilationDeactivatedFuelLevelLow",
    "RearLeftFlashingIndicatorFault",
    "RearLeftFogLampsFault",
    "RearLeftParkingLampsFault",
    "RearRightFlashingIndicatorFault",
    "RearRightFogLampsFault",
    "RearRightParkingLampsFault",
    "RearWindowOpen",
    "RearWindowOpenLowSpeed",
    "ReplaceBrakePads",
    "ReplaceTheRemoteControlBattery",
    "RetractableRoofMechanismFault",
    "RightBrakeLampFault",
    "RightFrontDoorOpenLowSpeed",
    "RightFrontDoorOpen",
    "RightFrontTirePressurSensorFault",
    "RightFrontTirePuncture",
    "RightFrontTireUnderInflated",
    "RightRearDoorOpen",
    "RightRearDoorOpenLowSpeed",
    "RightRearTirePressurSensorFault",
    "RightRearTirePuncture",
    "RightRearTireUnderInflated",
    "RightReverseLampFault",
    "RiskOfIce",
    "RoofOperationNotPossibleSpeedUnknown",
    "RoofOperationNotPossibleTooHighTemp",
    "ShiftToPark",
    "SteeringLockFault",
    "SuspensionFault",
    "SuspensionFaultLimitSpeed",
    "SuspensionFaultRepaireVehicle",
    "TireUnderInflationDetectionSystemFault",
    "TooManyRoofOperation",
    "TrailerConnectionFault",
    "TrunkOrHoodOpen",
    "TrunkOrHoodOpenLowSpeed",
    "WaterInTheDieselFuelFilter",
]
ALERT_TYPES: tuple[str, ...] = get_args(AlertMsg)
"""Every alert `type` (AlertMsgEnum) in the reference's order."""

OnboardDataCapability = Literal[
    "data:vehicle:devices:pnc",
    "data:telemetry",
    "data:telemetry:environment",
    "data:telemetry:privacy",
    "data:telemetry:vehicle",
    "data:telemetry:vehicle:ignition",
    "data:telemetry:vehicle:preconditioning",
    "data:telemetry:vehicle:energies",
    "data:telemetry:vehicle:engines",
    "data:telemetry:vehicle:doorsState",
    "data:telemetry:vehicle:powertrain",
    "data:telemetry:vehicle:battery",
    "data:telemetry:vehicle:safety",
    "data:telemetry:vehicle:odometer",
    "data:telemetry:vehicle:kinetic",
    "data:telemetry:vehicle:transmission",
    "data:telemetry:vehicle:adas",
    "data:telemetry:vehicle:lightingSystem",
    "data:telemetry:vehicle:maintenance",
    "data:telemetry:vehicle:drivingBehavior",
    "data:telemetry:vehicle:wipingBlades",
    "data:telemetry:vehicle:alarm",
    "data:position",
    "data:trip",
    "data:alert",
    "data:collision",
]

# ---------------------------------------------------------------------------
# HAL links
# ---------------------------------------------------------------------------


class Link(ApiModel):
    href: str
    templated: bool | None = None
    type: str | None = None
    name: str | None = None
    title: str | None = None


class SelfLinks(ApiModel):
    self_: Link = Field(alias="self")


class TabLinks(SelfLinks):
    """Links of a collection page."""

    first: Link
    next: Link | None = None
    prev: Link | None = None
    last: Link | None = None


class StatusLinks(SelfLinks):
    vehicle: Link | None = None


class UserLinks(SelfLinks):
    vehicles: Link | None = None


class VehicleLinks(SelfLinks):
    user: Link | None = None
    lastPosition: Link | None = None
    trips: Link | None = None
    maintenance: Link | None = None
    alerts: Link | None = None
    status: Link | None = None
    telemetry: Link | None = None
    collisions: Link | None = None
    alarms: Link | None = None
    monitors: Link | None = None
    remotes: Link | None = None
    callbacks: Link | None = None


class AlertLinks(SelfLinks):
    vehicle: Link | None = None
    position: Link | None = None
    trips: list[Link] | None = None


class CollisionLinks(SelfLinks):
    vehicle: Link | None = None
    trip: Link | None = None


class MaintenanceLinks(SelfLinks):
    vehicle: Link | None = None
    alerts: Link | None = None


class TelemetryLinks(SelfLinks):
    vehicle: Link | None = None
    trip: Link | None = None


class TripLinks(SelfLinks):
    vehicle: Link | None = None
    waypoints: Link | None = None
    alerts: Link | None = None
    collisions: Link | None = None


class AlarmLinks(SelfLinks):
    """(sim) The reference gives alarms no links; every resource gets `self`."""

    vehicle: Link | None = None


# ---------------------------------------------------------------------------
# Position (GeoJSON Feature)
# ---------------------------------------------------------------------------


class Point(ApiModel):
    """GeoJSON Point: `coordinates` is `[longitude, latitude(, altitude)]`."""

    type: Literal["Point"] = "Point"
    coordinates: list[float] = Field(min_length=2, max_length=3)


class PositionPropertiesBase(ApiModel):
    heading: RoundedInt | None = Field(default=None, ge=0, le=360)
    signalQuality: RoundedInt | None = None
    type: Literal["Estimated", "Acquire"] | None = None
    fixStatus: Literal["2D", "3D"] | None = None


class PositionProperties(PositionPropertiesBase):
    createdAt: UtcDateTime


class PositionBase(ApiModel):
    type: Literal["Feature"] = "Feature"
    geometry: Point
    properties: PositionPropertiesBase


class Position(PositionBase):
    properties: PositionProperties


# ---------------------------------------------------------------------------
# Status parts
# ---------------------------------------------------------------------------


class Ignition(ApiModel):
    createdAt: UtcDateTime
    type: IgnitionType


class KineticBase(ApiModel):
    acceleration: float | None = None
    speed: float | None = None
    moving: bool | None = None


class Kinetic(KineticBase):
    createdAt: UtcDateTime


class OdometerBase(ApiModel):
    mileage: float | None = Field(default=None, ge=0)


class Odometer(OdometerBase):
    createdAt: UtcDateTime


class DoorOpening(ApiModel):
    identifier: DoorIdentifier | None = None
    state: Literal["Open", "Closed"] | None = None


class DoorsStateBase(ApiModel):
    lockedStates: list[LockedState] | None = None
    opening: list[DoorOpening] | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def lockedState(self) -> list[LegacyLockedState] | None:
        """Older generation: `lockedStates` without the trunk values."""
        if self.lockedStates is None:
            return None
        return [cast(LegacyLockedState, s) for s in self.lockedStates if s in LEGACY_LOCKED_STATES]


class DoorsState(DoorsStateBase):
    createdAt: UtcDateTime


class PrivacyBase(ApiModel):
    state: PrivacyState | None = None


class Privacy(PrivacyBase):
    createdAt: UtcDateTime


class BatteryBase(ApiModel):
    """The 12 V battery."""

    voltage: float | None = None


class Battery(BatteryBase):
    createdAt: UtcDateTime


class ServiceType(ApiModel):
    createdAt: UtcDateTime
    type: Literal["Electric", "Hybrid", "Unknown"] | None = None


class BeltStatus(ApiModel):
    belt: Literal["Normal", "Omission"] | None = None
    id: Literal["Driver", "Passenger"] | None = None


class BaseSafety(ApiModel):
    beltStatus: list[BeltStatus] | None = None
    autoECallTriggering: Literal["NotDetected", "Detected", "ShockDetectionUnabled"] | None = None


class Safety(BaseSafety):
    createdAt: UtcDateTime


class LuminosityBase(ApiModel):
    day: bool | None = None


class Luminosity(LuminosityBase):
    createdAt: UtcDateTime


class AirBase(ApiModel):
    temp: float | None = None


class Air(AirBase):
    createdAt: UtcDateTime


class EnvironmentBase(ApiModel):
    luminosity: LuminosityBase | None = None
    air: AirBase | None = None


class Environment(EnvironmentBase):
    luminosity: Luminosity | None = None
    air: Air | None = None


class DrivingBehaviorBase(ApiModel):
    mode: DrivingMode | None = None


class DrivingBehavior(DrivingBehaviorBase):
    createdAt: UtcDateTime


class Light(ApiModel):
    direction: Literal["Left", "Right"] | None = None
    position: Literal["Front", "Rear"] | None = None
    status: OnOff | None = None


class LightingSystemBase(ApiModel):
    turn: list[Light] | None = None
    fog: list[Light] | None = None


class LightingSystem(LightingSystemBase):
    createdAt: UtcDateTime


class PowertrainBase(ApiModel):
    status: PowertrainStatus | None = None


class Powertrain(PowertrainBase):
    createdAt: UtcDateTime


class EngineLiquid(ApiModel):
    level: RoundedInt | None = Field(default=None, ge=0, le=100)
    temp: float | None = None


class EngineAir(ApiModel):
    temp: float | None = None


class EngineOil(ApiModel):
    """Deprecated `engines[].oil`; the current place is `extension.thermic.oil`."""

    temp: float | None = None


class ThermicEngineExtension(ApiModel):
    coolant: EngineLiquid | None = None
    oil: EngineLiquid | None = None
    air: EngineAir | None = None


class EngineExtension(ApiModel):
    thermic: ThermicEngineExtension | None = None


class EngineBase(ApiModel):
    type: Literal["Thermic", "Electric"] | None = None
    oil: EngineOil | None = None
    speed: float | None = None
    gmpStatus: PowertrainStatus | None = None
    extension: EngineExtension | None = None


class Engine(EngineBase):
    createdAt: UtcDateTime


# -- alarm ------------------------------------------------------------------


class BaseAlarmStatus(ApiModel):
    activation: Literal["Inactive", "Active"]


class AlarmStatus(BaseAlarmStatus):
    createdAt: UtcDateTime


class BaseAlarmTrigger(ApiModel):
    type: AlarmTriggerType
    position: Position | None = None
    startAt: UtcDateTime


class AlarmTrigger(BaseAlarmTrigger):
    createdAt: UtcDateTime


class BaseAlarm(ApiModel):
    status: BaseAlarmStatus | None = None
    trigger: BaseAlarmTrigger | None = None


class Alarm(BaseAlarm):
    """The vehicle alarm as in `Status.alarm` (reference: VehicleStatusAlarm)."""

    status: AlarmStatus | None = None
    trigger: AlarmTrigger | None = None


class AlarmDetails(Alarm):
    """One item of the alarms collection / `GET .../alarms/{aid}`."""

    links: AlarmLinks | None = Field(default=None, alias="_links")
    id: str


# -- preconditioning ----------------------------------------------------------


class Occurence(ApiModel):
    """Days of a program (the reference spells it `occurence`)."""

    day: list[Weekday]


class PreconditioningProgram(ApiModel):
    enabled: bool
    slot: RoundedInt | None = None
    recurrence: Literal["None", "Daily"] | None = None
    start: IsoDuration
    occurence: Occurence | None = None


class AirConditioning(ApiModel):
    createdAt: UtcDateTime
    updatedAt: UtcDateTime | None = None
    status: AirConditioningStatus | None = None
    startingCause: Literal["Immediate", "Scheduled"] | None = None
    failureCause: PreconditioningFailureCause | None = None
    programs: list[PreconditioningProgram] | None = None


class Preconditioning(ApiModel):
    airConditioning: AirConditioning | None = None


# -- energy -------------------------------------------------------------------


class Consumption(ApiModel):
    """A consumption value (instant fuel / electric consumption, residual energy)."""

    consumption: float = Field(ge=0)


class CompositFuelEnergyConsumption(ApiModel):
    total: float | None = Field(default=None, ge=0)
    instant: float | None = None


class ChargeScheduleProgram(ApiModel):
    start: IsoDuration
    occurence: Occurence | None = None
    enabled: bool | None = None
    end: IsoDuration | None = None
    chargeUntilFull: bool | None = None


class ChargeSchedule(ApiModel):
    programs: list[ChargeScheduleProgram] | None = None


class EnergyCharging(ApiModel):
    plugged: bool | None = None
    status: ChargingStatus | None = None
    remainingTime: IsoDuration | None = None
    chargingRate: RoundedInt | None = Field(default=None, ge=0, le=500)
    chargingPowerLevel: PowerLevel | None = None
    chargingMode: ChargingMode | None = None
    nextDelayedTime: IsoDuration | None = None
    schedule: ChargeSchedule | None = None
    type: ChargeType | None = None


class HealthElectricEnergy(ApiModel):
    capacity: RoundedInt | None = Field(default=None, ge=0, le=100)
    resistance: RoundedInt | None = Field(default=None, ge=0, le=100)


class TimedHealthElectricEnergy(HealthElectricEnergy):
    createdAt: UtcDateTime


class LoadElectricEnergy(ApiModel):
    """Traction battery load, in Wh."""

    capacity: RoundedInt | None = None
    residual: RoundedInt | None = None


class TimedLoadElectricEnergy(LoadElectricEnergy):
    createdAt: UtcDateTime


class EnergyBatteryBase(ApiModel):
    capacity: float | None = None
    load: LoadElectricEnergy | None = None
    health: HealthElectricEnergy | None = None


class EnergyBattery(EnergyBatteryBase):
    load: TimedLoadElectricEnergy | None = None
    health: TimedHealthElectricEnergy | None = None


class FuelEnergyExtension(ApiModel):
    consumption: Consumption | None = None
    consumptions: CompositFuelEnergyConsumption | None = None


class ElectricEnergyBaseExtension(ApiModel):
    residual: Consumption | None = None
    battery: EnergyBatteryBase | None = None
    charging: EnergyCharging | None = None
    consumption: Consumption | None = None


class ElectricEnergyExtension(ElectricEnergyBaseExtension):
    battery: EnergyBattery | None = None


class EnergyBaseExtension(ApiModel):
    fuel: FuelEnergyExtension | None = None
    electric: ElectricEnergyBaseExtension | None = None


class EnergyExtension(EnergyBaseExtension):
    electric: ElectricEnergyExtension | None = None


class LiteEnergy(ApiModel):
    """Level and autonomy of one energy (trip start / end)."""

    type: EnergyType | None = None
    subType: EnergySubType | None = None
    level: float | None = Field(default=None, ge=0, le=100)
    autonomy: RoundedInt | None = Field(default=None, ge=0)


class EnergyBase(ApiModel):
    """One energy as telemetry reports it."""

    type: EnergyType
    subType: EnergySubType | None = None
    level: float | None = Field(default=None, ge=0, le=100)
    autonomy: RoundedInt | None = Field(default=None, ge=0)
    extension: EnergyBaseExtension | None = None


class Energy(EnergyBase):
    """One energy of `Status.energies`."""

    createdAt: UtcDateTime
    updatedAt: UtcDateTime | None = None
    extension: EnergyExtension | None = None

    def legacy(self) -> "LegacyEnergy":
        """This energy as the older generation's flat `Status.energy` entry."""
        ext = self.extension
        electric = ext.electric if ext else None
        fuel = ext.fuel if ext else None
        charging: LegacyEnergyCharging | None = None
        battery: LegacyEnergyBattery | None = None
        consumption: float | None = None
        residual: float | None = None
        if electric is not None:
            if electric.charging is not None:
                c = electric.charging
                charging = LegacyEnergyCharging(
                    plugged=c.plugged,
                    status=c.status,
                    remainingTime=c.remainingTime,
                    chargingRate=c.chargingRate,
                    chargingMode=c.chargingMode,
                    nextDelayedTime=c.nextDelayedTime,
                )
            if electric.battery is not None:
                b = electric.battery
                capacity = b.capacity
                if capacity is None and b.load is not None and b.load.capacity is not None:
                    capacity = float(b.load.capacity)
                health = None
                if b.health is not None:
                    health = HealthElectricEnergy(
                        capacity=b.health.capacity, resistance=b.health.resistance
                    )
                battery = LegacyEnergyBattery(capacity=capacity, health=health)
            if electric.consumption is not None:
                consumption = electric.consumption.consumption
            if electric.residual is not None:
                residual = electric.residual.consumption
        if fuel is not None and fuel.consumption is not None and consumption is None:
            consumption = fuel.consumption.consumption
        return LegacyEnergy(
            createdAt=self.createdAt,
            updatedAt=self.updatedAt or self.createdAt,
            type=self.type,
            level=self.level,
            autonomy=self.autonomy,
            charging=charging,
            battery=battery,
            consumption=consumption,
            residual=residual,
        )


class LegacyEnergyCharging(ApiModel):
    """`charging` of an older-generation energy entry."""

    plugged: bool | None = None
    status: ChargingStatus | None = None
    remainingTime: IsoDuration | None = None
    chargingRate: RoundedInt | None = Field(default=None, ge=0, le=500)
    chargingMode: ChargingMode | None = None
    nextDelayedTime: IsoDuration | None = None


class LegacyEnergyBattery(ApiModel):
    """`battery` of an older-generation energy entry (traction battery)."""

    capacity: float | None = None
    health: HealthElectricEnergy | None = None


class LegacyEnergy(ApiModel):
    """Older generation's flat energy entry (`Status.energy[]`), derived only."""

    createdAt: UtcDateTime
    updatedAt: UtcDateTime
    type: EnergyType
    level: float | None = Field(default=None, ge=0, le=100)
    autonomy: RoundedInt | None = Field(default=None, ge=0)
    charging: LegacyEnergyCharging | None = None
    battery: LegacyEnergyBattery | None = None
    consumption: float | None = None
    residual: float | None = None


# ---------------------------------------------------------------------------
# Status
# ---------------------------------------------------------------------------


class Status(ApiModel):
    """`GET /user/vehicles/{id}/status`."""

    links: StatusLinks = Field(alias="_links")
    createdAt: UtcDateTime
    updatedAt: UtcDateTime | None = None
    ignition: Ignition | None = None
    lastPosition: Position | None = None
    preconditioning: Preconditioning | None = None
    energies: list[Energy] | None = None
    engines: list[Engine] | None = None
    powertrain: Powertrain | None = None
    doorsState: DoorsState | None = None
    privacy: Privacy | None = None
    battery: Battery | None = None
    service: ServiceType | None = None
    safety: Safety | None = None
    odometer: Odometer | None = None
    kinetic: Kinetic | None = None
    environment: Environment | None = None
    drivingBehavior: DrivingBehavior | None = None
    lightingSystem: LightingSystem | None = None
    alarm: Alarm | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def preconditionning(self) -> Preconditioning | None:
        """Older generation's spelling of `preconditioning` (same object)."""
        return self.preconditioning

    @computed_field  # type: ignore[prop-decorator]
    @property
    def energy(self) -> list[LegacyEnergy] | None:
        """Older generation: `energies` as a list of flat entries."""
        if self.energies is None:
            return None
        return [e.legacy() for e in self.energies]


# ---------------------------------------------------------------------------
# Vehicle and user
# ---------------------------------------------------------------------------

Url = str


class StolenCallCenter(ApiModel):
    countryCode: Literal["CL", "BR", "AR"] | None = None
    phoneNumber: str | None = None


class CallCenter(ApiModel):
    stolen: StolenCallCenter | None = None


class VehicleBranding(ApiModel):
    brand: str | None = None
    label: str | None = None


RemoteScope = Literal[
    "remote:preconditioning:write",
    "remote:door:write",
    "remote:horn:write",
    "remote:charging:write",
    "remote:lights:write",
    "remote:wakeup:write",
    "remote:navigation:write",
]


class RemoteCapability(ApiModel):
    supported: bool
    scopeName: RemoteScope


class ProgramsCapability(ApiModel):
    size: int


class PreconditioningCapabilityParameters(ApiModel):
    programs: ProgramsCapability | None = None
    immediate: bool | None = None


class PreconditioningCapability(ApiModel):
    supported: bool
    scopeName: Literal["remote:preconditioning:write"] = "remote:preconditioning:write"
    parameters: PreconditioningCapabilityParameters


class ImmediateChargingCapability(ApiModel):
    start: bool | None = None
    stop: bool | None = None


class ChargingPreferencesCapability(ApiModel):
    level: bool | None = None
    type: bool | None = None


class ScheduleProgramsCapability(ApiModel):
    supported: bool
    size: int | None = None


class ChargingScheduleCapability(ApiModel):
    programs: ScheduleProgramsCapability
    nextDelayedTime: bool
    # The reference requires `preferences` here although it defines it one
    # level up, in the parameters: it is served in both places.
    preferences: ChargingPreferencesCapability


class ChargingCapabilityParameters(ApiModel):
    immediate: ImmediateChargingCapability | None = None
    schedule: ChargingScheduleCapability | None = None
    preferences: ChargingPreferencesCapability | None = None


class ChargingCapability(ApiModel):
    supported: bool
    scopeName: Literal["remote:charging:write"] = "remote:charging:write"
    parameters: ChargingCapabilityParameters


class RemoteCapabilities(ApiModel):
    """`onboardCapabilities.remote`: which remotes the vehicle supports."""

    preconditioning: PreconditioningCapability
    door: RemoteCapability
    horn: RemoteCapability
    charging: ChargingCapability
    lights: RemoteCapability
    wakeup: RemoteCapability
    navigation: RemoteCapability


class OnboardCapabilities(ApiModel):
    data: list[OnboardDataCapability] | None = None
    remote: RemoteCapabilities | None = None


class VehicleExtension(ApiModel):
    onboardCapabilities: OnboardCapabilities | None = None
    branding: VehicleBranding | None = None
    pictures: list[Url] | None = Field(default=None, min_length=1, max_length=12)


class VehicleEmbedded(ApiModel):
    extension: VehicleExtension | None = None


class Vehicle(ApiModel):
    """`GET /user/vehicles/{id}`.  The older `engine` member is never served."""

    links: VehicleLinks = Field(alias="_links")
    createdAt: UtcDateTime | None = None
    updatedAt: UtcDateTime | None = None
    id: str
    vin: str
    motorization: Motorization
    callCenter: CallCenter | None = None
    brand: str | None = None
    label: str | None = None
    pictures: list[Url] | None = Field(default=None, min_length=1, max_length=12)
    embedded: VehicleEmbedded | None = Field(default=None, alias="_embedded")


class UserEmbedded(ApiModel):
    Vehicles: list[Vehicle] = Field(default_factory=list)


class User(ApiModel):
    """`GET /user`."""

    links: UserLinks = Field(alias="_links")
    createdAt: UtcDateTime | None = None
    updatedAt: UtcDateTime | None = None
    email: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    embedded: UserEmbedded | None = Field(default=None, alias="_embedded")


# ---------------------------------------------------------------------------
# Alerts, collisions, maintenance
# ---------------------------------------------------------------------------


class Alert(ApiModel):
    links: AlertLinks = Field(alias="_links")
    createdAt: UtcDateTime | None = None
    updatedAt: UtcDateTime
    id: str
    active: bool
    type: AlertMsg
    severity: Literal["Information", "Warning", "Critical"] | None = None
    startedAt: UtcDateTime
    endAt: UtcDateTime | None = None
    startPosition: Position | None = None
    endPosition: Position | None = None


class CollisionDetails(ApiModel):
    side: Literal["Front", "Rear", "Lateral"]
    severity: Literal["Minimal", "Minor", "Major"] | None = None


class Collision(ApiModel):
    links: CollisionLinks = Field(alias="_links")
    id: str
    createdAt: UtcDateTime
    updatedAt: UtcDateTime | None = None
    details: list[CollisionDetails] | None = None
    tippedOver: bool | None = None
    pedestrian: bool | None = None


class MaintenanceBase(ApiModel):
    createdAt: UtcDateTime
    daysBeforeMaintenance: RoundedInt | None = None
    mileageBeforeMaintenance: float | None = None


class Maintenance(MaintenanceBase):
    """`GET /user/vehicles/{id}/maintenance`."""

    links: MaintenanceLinks = Field(alias="_links")
    updatedAt: UtcDateTime | None = None


# ---------------------------------------------------------------------------
# Telemetry
# ---------------------------------------------------------------------------


class ParkAssist(ApiModel):
    front: list[Literal["Fault", "DriverInhibition", "Active", "Wait", "OutOfService"]] | None = (
        None
    )
    rear: (
        list[
            Literal[
                "Fault", "DriverInhibition", "TrailerInhibition", "Active", "Wait", "OutOfService"
            ]
        ]
        | None
    ) = None


LaneKeeping = Literal["Authorized", "CorrectionInProgress", "NotAuthorized", "NotSelected"]


class Adas(ApiModel):
    parkAssist: ParkAssist | None = None
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
    automatic: bool | None = None
    sport: bool | None = None
    snow: bool | None = None
    sequential: bool | None = None
    semiManual: bool | None = None


class Gearbox(ApiModel):
    mode: GearboxMode | None = None
    ratio: (
        Literal[
            "Ratio1",
            "Ratio2",
            "Ratio3",
            "Ratio4",
            "Ratio5",
            "Ratio6",
            "Ratio7",
            "Ratio8",
            "Neutral",
            "Reverse",
        ]
        | None
    ) = None


class Transmission(ApiModel):
    gearbox: Gearbox | None = None


class WipingBladesState(ApiModel):
    active: bool | None = None
    speed: Literal["High", "Low"] | None = None


class TelemetryVehicle(ApiModel):
    engines: list[EngineBase] | None = None
    energies: list[EnergyBase] | None = None
    transmission: Transmission | None = None
    powertrain: PowertrainBase | None = None
    adas: Adas | None = None
    lightingSystem: LightingSystemBase | None = None
    ignition: Ignition | None = None
    doorsState: DoorsStateBase | None = None
    battery: BatteryBase | None = None
    safety: BaseSafety | None = None
    wipingBlades: WipingBladesState | None = None
    odometer: OdometerBase | None = None
    kinetic: KineticBase | None = None
    drivingBehavior: DrivingBehaviorBase | None = None
    alarm: BaseAlarm | None = None


class TelemetryExtension(ApiModel):
    location: PositionBase | None = None
    maintenance: MaintenanceBase | None = None


class TelemetryEmbedded(ApiModel):
    extension: TelemetryExtension | None = None


class Telemetry(ApiModel):
    """One telemetry message."""

    links: TelemetryLinks = Field(alias="_links")
    createdAt: UtcDateTime
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
    subType: EnergySubType | None = None
    consumption: float = Field(ge=0)
    avgConsumption: float | None = None


class TripKinetic(ApiModel):
    avgSpeed: float | None = None
    maxSpeed: float | None = None


class TripSegment(ApiModel):
    propulsion: Literal["Thermal", "Electric", "Hybrid"] | None = None
    percent: float | None = None
    distance: float | None = None


class TripFault(ApiModel):
    fault: Literal["Unstarted", "DataLacking", "Unfinished"] | None = None
    cause: Literal["GeoPrivacy", "FullPrivacy", "Connection"] | None = None


class Trip(ApiModel):
    links: TripLinks = Field(alias="_links")
    id: str
    createdAt: UtcDateTime
    updatedAt: UtcDateTime | None = None
    startedAt: UtcDateTime | None = None
    stoppedAt: UtcDateTime | None = None
    startPosition: Position | None = None
    stopPosition: Position | None = None
    duration: RoundedInt | None = Field(default=None, ge=0)
    distance: float | None = Field(default=None, ge=0)
    startMileage: float | None = None
    startEnergies: list[LiteEnergy] | None = None
    endEnergies: list[LiteEnergy] | None = None
    energyConsumptions: list[EnergyConsumption] | None = None
    kinetic: TripKinetic | None = None
    segments: list[TripSegment] | None = None
    done: bool | None = None
    faults: list[TripFault] = Field(default_factory=list)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class ErrorBody(ApiModel):
    """Body of every non-2xx API answer (the reference's `xError` plus more)."""

    code: int
    uuid: str
    message: str
    timestamp: UtcDateTime
    debug: str | None = None


# ---------------------------------------------------------------------------
# Collections
# ---------------------------------------------------------------------------

EmbeddedT = TypeVar("EmbeddedT", bound=ApiModel)


class CollectionResult(ApiModel, Generic[EmbeddedT]):
    """A page of a collection; subclass as `XPage(CollectionResult[XEmbedded])`.

    `XEmbedded` has exactly one member, the list under its reference name.
    """

    links: TabLinks = Field(alias="_links")
    total: int = Field(ge=0)
    totalPage: int = Field(ge=1)
    currentPage: int = Field(ge=1)
    embedded: EmbeddedT = Field(alias="_embedded")

    embedded_key: ClassVar[str]
    """JSON name of the list inside `_embedded` (set on concrete pages)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        embedded = cls.model_fields["embedded"].annotation
        if isinstance(embedded, type) and issubclass(embedded, ApiModel):
            fields = embedded.model_fields
            if len(fields) == 1:
                name, info = next(iter(fields.items()))
                cls.embedded_key = info.alias or name

    @classmethod
    def from_items(
        cls,
        items: Sequence[Any],
        *,
        links: TabLinks,
        total: int,
        totalPage: int = 1,
        currentPage: int = 1,
    ) -> Self:
        """Build a page from its items (the page's slice, not the whole set)."""
        embedded_type = cast(type[ApiModel], cls.model_fields["embedded"].annotation)
        embedded = embedded_type.model_validate({cls.embedded_key: list(items)})
        return cls.model_validate(
            {
                "links": links,
                "total": total,
                "totalPage": totalPage,
                "currentPage": currentPage,
                "embedded": embedded,
            }
        )


class VehiclesEmbedded(ApiModel):
    vehicles: list[Vehicle] = Field(default_factory=list)


class VehiclesPage(CollectionResult[VehiclesEmbedded]):
    """`GET /user/vehicles` (reference: Vehicles)."""


class AlertsEmbedded(ApiModel):
    alerts: list[Alert] = Field(default_factory=list)


class AlertsPage(CollectionResult[AlertsEmbedded]):
    """`GET .../alerts` (reference: Alerts)."""


class CollisionsEmbedded(ApiModel):
    Collisions: list[Collision] = Field(default_factory=list)


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
