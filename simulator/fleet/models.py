"""Domain state of the simulated fleet: plain typed dataclasses, no I/O, no clock.

Everything the connected-car API v4 serves about a vehicle (Vehicle, Status, lastPosition,
alerts, trips and their waypoints, collisions, telemetry, alarms, maintenance) is expressed
here in domain terms; turning it into JSON is the API layer's job.

Conventions:

* every ``datetime`` is timezone-aware (UTC); every enum is a ``StrEnum`` whose *value* is
  the reference's wire spelling (``PrivacyState.NONE == "None"``);
* values that rarely change (charging when unplugged, preconditioning, safety, lighting,
  transmission, ADAS, wipers, positions) are frozen dataclasses, shared between vehicles
  and replaced (``dataclasses.replace``) rather than mutated;
* static model data (capacities, pictures, doors...) lives in :mod:`simulator.fleet.catalog`
  and is referenced, never copied;
* the two histories that grow with a vehicle's life, trips (with waypoints) and telemetry,
  are kept packed as one deflated blob each in :class:`TripLog` / :class:`TelemetryLog`,
  which behave as read-only sequences of frozen :class:`Trip` / :class:`TelemetrySample`
  objects.
"""

from __future__ import annotations

import math
import random
import struct
import zlib
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Generic, Literal, TypeVar, overload

if TYPE_CHECKING:
    from simulator.fleet.catalog import Brand, City, ModelSpec

# --------------------------------------------------------------------------------------
# Enumerations (values are the reference's wire spellings)
# --------------------------------------------------------------------------------------


class Motorization(StrEnum):
    ELECTRIC = "Electric"
    HYBRID = "Hybrid"  # plug-in hybrid: one Fuel and one Electric energy
    THERMIC = "Thermic"
    HYDROGEN = "Hydrogen"  # fuel cell: one Fuel (subType Hydrogen) and one Electric energy


class EnergyType(StrEnum):
    FUEL = "Fuel"
    ELECTRIC = "Electric"


class EnergySubType(StrEnum):
    FOSSIL_ENERGY = "FossilEnergy"
    ELECTRIC_ENERGY = "ElectricEnergy"
    HYDROGEN = "Hydrogen"


class PositionKind(StrEnum):
    ACQUIRE = "Acquire"
    ESTIMATED = "Estimated"


class FixStatus(StrEnum):
    FIX_2D = "2D"
    FIX_3D = "3D"


class IgnitionType(StrEnum):
    STOP = "Stop"
    START_UP = "StartUp"
    START = "Start"


class PowertrainStatus(StrEnum):
    NOT_RUNNING = "NotRunning"
    STARTING = "Starting"
    RUNNING = "Running"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


class EngineType(StrEnum):
    THERMIC = "Thermic"
    ELECTRIC = "Electric"


class ChargingStatus(StrEnum):
    DISCONNECTED = "Disconnected"
    IN_PROGRESS = "InProgress"
    FAILURE = "Failure"
    STOPPED = "Stopped"
    FINISHED = "Finished"


class ChargingMode(StrEnum):
    NO = "No"
    SLOW = "Slow"
    QUICK = "Quick"


class ChargingPowerLevel(StrEnum):
    LEVEL1 = "Level1"
    LEVEL2 = "Level2"
    LEVEL3 = "Level3"
    LEVEL4 = "Level4"
    LEVEL5 = "Level5"


class ChargeType(StrEnum):
    PARTIAL = "Partial"
    FULL = "Full"


class DoorId(StrEnum):
    DRIVER = "Driver"
    PASSENGER = "Passenger"
    REAR_LEFT = "RearLeft"
    REAR_RIGHT = "RearRight"
    TRUNK = "Trunk"
    REAR_WINDOW = "RearWindow"
    ROOF_WINDOW = "RoofWindow"


class LockedState(StrEnum):
    UNLOCKED = "Unlocked"
    LOCKED = "Locked"
    SUPER_LOCKED = "SuperLocked"
    DRIVER_DOOR_UNLOCKED = "DriverDoorUnlocked"
    CABIN_DOORS_UNLOCKED = "CabinDoorsUnlocked"
    CARGO_DOORS_LOCKED = "CargoDoorsLocked"
    CARGO_DOORS_UNLOCKED = "CargoDoorsUnlocked"
    REAR_DOORS_UNLOCKED = "RearDoorsUnlocked"
    REAR_DOORS_LOCKED = "RearDoorsLocked"
    TRUNK_LOCKED = "TrunkLocked"  # current `lockedStates` only, never legacy `lockedState`
    TRUNK_UNLOCKED = "TrunkUnLocked"  # (sic) current `lockedStates` only


class PrivacyState(StrEnum):
    NONE = "None"
    GEOLOCATION = "Geolocation"
    FULL = "Full"


class PreconditioningStatus(StrEnum):
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    FINISHED = "Finished"
    FAILURE = "Failure"


class PreconditioningStartingCause(StrEnum):
    IMMEDIATE = "Immediate"
    SCHEDULED = "Scheduled"


class PreconditioningFailureCause(StrEnum):
    DEFECT = "Defect"
    DOOR_OPENED = "DoorOpened"
    LOW_BATTERY = "LowBattery"
    LOW_FUEL_LEVEL = "LowFuelLevel"
    TOO_MANY_UNUSED_PROG = "TooManyUnusedProg"
    WINDOWS_ROOF_OPENED = "WindowsRoofOpened"
    # newer causes, served only when a scenario asks for them (older clients reject them)
    HOOD_OPENED = "HoodOpened"
    NOT_PARKED = "NotParked"
    OTHER_FAILURES = "OtherFailures"


class Recurrence(StrEnum):
    NONE = "None"
    DAILY = "Daily"


class Weekday(StrEnum):
    MON = "Mon"
    TUE = "Tue"
    WED = "Wed"
    THU = "Thu"
    FRI = "Fri"
    SAT = "Sat"
    SUN = "Sun"


class ServiceType(StrEnum):
    ELECTRIC = "Electric"
    HYBRID = "Hybrid"
    UNKNOWN = "Unknown"


class Seat(StrEnum):
    DRIVER = "Driver"
    PASSENGER = "Passenger"


class BeltState(StrEnum):
    NORMAL = "Normal"
    OMISSION = "Omission"


class AutoECallTriggering(StrEnum):
    NOT_DETECTED = "NotDetected"
    DETECTED = "Detected"
    SHOCK_DETECTION_UNABLED = "ShockDetectionUnabled"  # (sic)


class AlarmActivation(StrEnum):
    INACTIVE = "Inactive"
    ACTIVE = "Active"


class AlarmType(StrEnum):
    """Kind of an alarm history record (the alarms endpoint's ``type`` filter)."""

    STATUS = "vehicle.alarm.status"
    TRIGGER = "vehicle.alarm.trigger"


class BreakInType(StrEnum):
    NO_BREAK_IN = "NoBreakIn"
    FRONT_RIGHT_DOOR_BREAK_IN = "FrontRightDoorBreakIn"
    FRONT_LEFT_DOOR_BREAK_IN = "FrontLeftDoorBreakIn"
    REAR_RIGHT_FRONT_DOOR_BREAK_IN = "RearRightFrontDoorBreakIn"
    REAR_LEFT_FRONT_DOOR_BREAK_IN = "RearLeftFrontDoorBreakIn"
    HOOD_DOOR_BREAK_IN = "HoodDoorBreakIn"
    TRUNK_DOOR_BREAK_IN = "TrunkDoorBreakIn"
    BACKLITE_DOOR_BREAK_IN = "BackliteDoorBreakIn"
    ROOF_BREAK_IN = "RoofBreakIn"
    VOLUMETRIC_BREAK_IN = "VolumetricBreakIn"
    VEHICLE_LIFTING = "VehicleLifting"
    ELECTRICAL_SYSTEM_BREAK_IN = "ElectricalsystemBreakIn"
    KEY_LEARNING = "KeyLearning"
    UNAUTHENTICATED_STARTUP = "UnauthenticatedStartup"


class AlertSeverity(StrEnum):
    INFORMATION = "Information"
    WARNING = "Warning"
    CRITICAL = "Critical"


class CollisionSide(StrEnum):
    FRONT = "Front"
    REAR = "Rear"
    LATERAL = "Lateral"


class CollisionSeverity(StrEnum):
    MINIMAL = "Minimal"
    MINOR = "Minor"
    MAJOR = "Major"


class TelemetryKind(StrEnum):
    """The reference's TelemetryEnum: data groups a telemetry record can carry."""

    ENVIRONMENT = "environment"
    PRIVACY = "privacy"
    VEHICLE = "vehicle"
    VEHICLE_ADAS = "vehicle.adas"
    VEHICLE_BATTERY = "vehicle.battery"
    VEHICLE_DOORS_STATE = "vehicle.doorsState"
    VEHICLE_ENERGIES = "vehicle.energies"
    VEHICLE_ENGINES = "vehicle.engines"
    VEHICLE_IGNITION = "vehicle.ignition"
    VEHICLE_LIGHTING_SYSTEM = "vehicle.lightingSystem"
    VEHICLE_SAFETY = "vehicle.safety"
    VEHICLE_TRANSMISSION = "vehicle.transmission"
    VEHICLE_ALARM_STATUS = "vehicle.alarm.status"
    VEHICLE_ALARM_TRIGGER = "vehicle.alarm.trigger"
    VEHICLE_WIPING_BLADES = "vehicle.wipingBlades"


class TripFaultKind(StrEnum):
    UNSTARTED = "Unstarted"
    DATA_LACKING = "DataLacking"
    UNFINISHED = "Unfinished"


class TripFaultCause(StrEnum):
    GEO_PRIVACY = "GeoPrivacy"
    FULL_PRIVACY = "FullPrivacy"
    CONNECTION = "Connection"


class TripPropulsion(StrEnum):
    """Trip segment propulsion."""

    THERMAL = "Thermal"
    ELECTRIC = "Electric"
    HYBRID = "Hybrid"


class DrivingMode(StrEnum):
    NORMAL = "Normal"
    SPORT = "Sport"
    COMFORT = "Comfort"
    ECO = "Eco"
    SAND = "Sand"
    MUD = "Mud"
    SNOW = "Snow"
    ZEV = "ZEV"
    HYBRID = "Hybrid"
    ZEV_ECO = "ZEVEco"
    HYBRID_ECO = "HybridEco"
    ECO_PLUS = "EcoPlus"
    E_AWD = "eAWD"
    FOUR_AWD = "4AWD"
    REINFORCED_LOAD = "ReinforcedLoad"


class GearRatio(StrEnum):
    RATIO1 = "Ratio1"
    RATIO2 = "Ratio2"
    RATIO3 = "Ratio3"
    RATIO4 = "Ratio4"
    RATIO5 = "Ratio5"
    RATIO6 = "Ratio6"
    RATIO7 = "Ratio7"
    RATIO8 = "Ratio8"
    NEUTRAL = "Neutral"
    REVERSE = "Reverse"


class LightDirection(StrEnum):
    LEFT = "Left"
    RIGHT = "Right"


class LightPosition(StrEnum):
    FRONT = "Front"
    REAR = "Rear"


class LightStatus(StrEnum):
    OFF = "Off"
    ON = "On"


class WipingSpeed(StrEnum):
    HIGH = "High"
    LOW = "Low"


class AlertType(StrEnum):
    """The reference's AlertMsgEnum (values keep the reference's spelling, typos included)."""

    ABS_BRAKING_SYSTEM_FAULT = "AbsBrakingSystemFault"
    ACTIVE_SPOILER_FAULT = "ActiveSpoilerFault"
    AD_BLUE_FAULT = "AdBlueFault"
    AD_BLUE_FAULT_STARTING_IMPOSSIBLE = "AdBlueFaultStartingImpossible"
    AD_BLUE_FAULT_STARTING_IMPOSSIBLE_SOON = "AdBlueFaultStartingImpossibleSoon"
    ADD_WASHER_FLUID = "AddWasherFluid"
    AIRBAG_OR_SEAT_BELT_PRETENSIONER_OR_ACTIVE_HOOD_FAILURE = (
        "AirbagOrSeatBeltPretensionerOrActiveHoodFailure"
    )
    ASSISTANCE_BUTTON_FAULT = "AssistanceButtonFault"
    AUTOMATIC_BRAKING_DEACTIVATED = "AutomaticBrakingDeactivated"
    AUTOMATIC_HEADLIGHT_ADJUSTMENT_FAULT = "AutomaticHeadlightAdjustmentFault"
    BATTERY_CHARGE_OR_ELECTRICAL_CIRCUIT_SYSTEM_FAILURE = (
        "BatteryChargeOrElectricalCircuitSystemFailure"
    )
    BRAKING_SYSTEM_FAILURE = "BrakingSystemFailure"
    CHARGING_FAILURE = "ChargingFailure"
    CHECK_THE_CENTER_BRAKE_LAMP = "CheckTheCenterBrakeLamp"
    COLLISION_DETECTION_SYSTEM_FAULT = "CollisionDetectionSystemFault"
    COLLISION_MITIGATION_SYSTEM_FAULT = "CollisionMitigationSystemFault"
    COOLANT_LEVELLOW = "CoolantLevellow"
    DRIVING_ASSISTANCE_SENSOR_BLIND = "DrivingAssistanceSensorBlind"
    ELECTRIC_TRACTION_SYSTEM_FAILURE_LIMIT_SPEED = "ElectricTractionSystemFailureLimitSpeed"
    ELECTRIC_TRACTION_SYSTEM_FAILURE_STOP_VEHICLE = "ElectricTractionSystemFailureStopVehicle"
    ELECTRIC_TRACTION_SYSTEM_FAULT = "ElectricTractionSystemFault"
    ELECTRONIC_IMMOBILISER_FAULT = "ElectronicImmobiliserFault"
    EMISSION_SYSTEM_OR_AD_BLUE_QUALITY_FAILUE_STARTING_IMPOSSIBLE = (
        "EmissionSystemOrAdBlueQualityFailueStartingImpossible"
    )
    EMISSION_SYSTEM_OR_AD_BLUE_QUALITY_FAILUE_STARTING_IMPOSSIBLE_SOON = (
        "EmissionSystemOrAdBlueQualityFailueStartingImpossibleSoon"
    )
    EMISSION_SYSTEM_OR_AD_BLUE_QUALITY_FAILURE = "EmissionSystemOrAdBlueQualityFailure"
    ENGINE_FAILURE = "EngineFailure"
    ENGINE_FAULT = "EngineFault"
    ENGINE_MISFIRING_FUEL = "EngineMisfiringFuel"
    ENGINE_OIL_PRESSURE_FAILURE = "EngineOilPressureFailure"
    ENGINE_TEMPERATURE_FAILURE = "EngineTemperatureFailure"
    ESP_ASR_SYSTEM_FAULT = "EspAsrSystemFault"
    FRONT_LEFT_FLASHING_INDICATOR_FAULT = "FrontLeftFlashingIndicatorFault"
    FRONT_LEFT_FOG_LAMPS_FAULT = "FrontLeftFogLampsFault"
    FRONT_LEFT_PARKING_LAMPS_FAULT = "FrontLeftParkingLampsFault"
    FRONT_RIGHT_FLASHING_INDICATOR_FAULT = "FrontRightFlashingIndicatorFault"
    FRONT_RIGHT_FOG_LAMPS_FAULT = "FrontRightFogLampsFault"
    FRONT_RIGHT_PARKING_LAMPS_FAULT = "FrontRightParkingLampsFault"
    FUEL_LEVEL_LOW = "FuelLevelLow"
    GEARBOX_FAULT = "GearboxFault"
    HEADLIGHTS_FAULT = "HeadlightsFault"
    INSTALLED_SPARE_WHEEL_FAULT = "InstalledSpareWheelFault"
    INTER_VEHICLE_TIME_MEASUREMENT_FAULT = "InterVehicleTimeMeasurementFault"
    LANE_CHANGE_ASSISTANCE_FAULT = "LaneChangeAssistanceFault"
    LANE_DEPARTURE_WARNING_SYSTEM_FAULT = "LaneDepartureWarningSystemFault"
    LEFT_BRAKE_LAMP_FAULT = "LeftBrakeLampFault"
    LEFT_FRONT_DOOR_OPEN = "LeftFrontDoorOpen"
    LEFT_FRONT_DOOR_OPEN_LOW_SPEED = "LeftFrontDoorOpenLowSpeed"
    LEFT_FRONT_TIRE_PRESSUR_SENSOR_FAULT = "LeftFrontTirePressurSensorFault"
    LEFT_FRONT_TIRE_PUNCTURE = "LeftFrontTirePuncture"
    LEFT_FRONT_TIRE_UNDER_INFLATED = "LeftFrontTireUnderInflated"
    LEFT_REAR_DOOR_OPEN = "LeftRearDoorOpen"
    LEFT_REAR_DOOR_OPEN_LOW_SPEED = "LeftRearDoorOpenLowSpeed"
    LEFT_REAR_TIRE_PRESSUR_SENSOR_FAULT = "LeftRearTirePressurSensorFault"
    LEFT_REAR_TIRE_PUNCTURE = "LeftRearTirePuncture"
    LEFT_REAR_TIRE_UNDER_INFLATED = "LeftRearTireUnderInflated"
    LEFT_REVERSE_LAMP_FAULT = "LeftReverseLampFault"
    OIL_LEVEL_LOW = "OilLevelLow"
    PARK_ASSIST_SYSTEM_FAULT = "ParkAssistSystemFault"
    PARKING_BRAKE_OR_HILL_START_SYSTEM_FAILURE = "ParkingBrakeOrHillStartSystemFailure"
    PARTICLE_FILTER_ADDITIVE_LEVEL_TOO_LOW = "ParticleFilterAdditiveLevelTooLow"
    PARTICLE_FILTER_FULL = "ParticleFilterFull"
    PARTICLE_FILTER_REGENERATING = "ParticleFilterRegenerating"
    POWER_STEERING_FAILURE = "PowerSteeringFailure"
    POWER_STEERING_FAULT = "PowerSteeringFault"
    PREHEATING_PREVENTILATION_DEACTIVATED_BATTERY_LOW = (
        "PreheatingPreventilationDeactivatedBatteryLow"
    )
    PREHEATING_PREVENTILATION_DEACTIVATED_CLOCK_UNSET = (
        "PreheatingPreventilationDeactivatedClockUnset"
    )
    PREHEATING_PREVENTILATION_DEACTIVATED_FUEL_LEVEL_LOW = (
        "PreheatingPreventilationDeactivatedFuelLevelLow"
    )
    REAR_LEFT_FLASHING_INDICATOR_FAULT = "RearLeftFlashingIndicatorFault"
    REAR_LEFT_FOG_LAMPS_FAULT = "RearLeftFogLampsFault"
    REAR_LEFT_PARKING_LAMPS_FAULT = "RearLeftParkingLampsFault"
    REAR_RIGHT_FLASHING_INDICATOR_FAULT = "RearRightFlashingIndicatorFault"
    REAR_RIGHT_FOG_LAMPS_FAULT = "RearRightFogLampsFault"
    REAR_RIGHT_PARKING_LAMPS_FAULT = "RearRightParkingLampsFault"
    REAR_WINDOW_OPEN = "RearWindowOpen"
    REAR_WINDOW_OPEN_LOW_SPEED = "RearWindowOpenLowSpeed"
    REPLACE_BRAKE_PADS = "ReplaceBrakePads"
    REPLACE_THE_REMOTE_CONTROL_BATTERY = "ReplaceTheRemoteControlBattery"
    RETRACTABLE_ROOF_MECHANISM_FAULT = "RetractableRoofMechanismFault"
    RIGHT_BRAKE_LAMP_FAULT = "RightBrakeLampFault"
    RIGHT_FRONT_DOOR_OPEN_LOW_SPEED = "RightFrontDoorOpenLowSpeed"
    RIGHT_FRONT_DOOR_OPEN = "RightFrontDoorOpen"
    RIGHT_FRONT_TIRE_PRESSUR_SENSOR_FAULT = "RightFrontTirePressurSensorFault"
    RIGHT_FRONT_TIRE_PUNCTURE = "RightFrontTirePuncture"
    RIGHT_FRONT_TIRE_UNDER_INFLATED = "RightFrontTireUnderInflated"
    RIGHT_REAR_DOOR_OPEN = "RightRearDoorOpen"
    RIGHT_REAR_DOOR_OPEN_LOW_SPEED = "RightRearDoorOpenLowSpeed"
    RIGHT_REAR_TIRE_PRESSUR_SENSOR_FAULT = "RightRearTirePressurSensorFault"
    RIGHT_REAR_TIRE_PUNCTURE = "RightRearTirePuncture"
    RIGHT_REAR_TIRE_UNDER_INFLATED = "RightRearTireUnderInflated"
    RIGHT_REVERSE_LAMP_FAULT = "RightReverseLampFault"
    RISK_OF_ICE = "RiskOfIce"
    ROOF_OPERATION_NOT_POSSIBLE_SPEED_UNKNOWN = "RoofOperationNotPossibleSpeedUnknown"
    ROOF_OPERATION_NOT_POSSIBLE_TOO_HIGH_TEMP = "RoofOperationNotPossibleTooHighTemp"
    SHIFT_TO_PARK = "ShiftToPark"
    STEERING_LOCK_FAULT = "SteeringLockFault"
    SUSPENSION_FAULT = "SuspensionFault"
    SUSPENSION_FAULT_LIMIT_SPEED = "SuspensionFaultLimitSpeed"
    SUSPENSION_FAULT_REPAIRE_VEHICLE = "SuspensionFaultRepaireVehicle"
    TIRE_UNDER_INFLATION_DETECTION_SYSTEM_FAULT = "TireUnderInflationDetectionSystemFault"
    TOO_MANY_ROOF_OPERATION = "TooManyRoofOperation"
    TRAILER_CONNECTION_FAULT = "TrailerConnectionFault"
    TRUNK_OR_HOOD_OPEN = "TrunkOrHoodOpen"
    TRUNK_OR_HOOD_OPEN_LOW_SPEED = "TrunkOrHoodOpenLowSpeed"
    WATER_IN_THE_DIESEL_FUEL_FILTER = "WaterInTheDieselFuelFilter"


#: every telemetry group, the default content of a sample
ALL_TELEMETRY_KINDS: frozenset[TelemetryKind] = frozenset(TelemetryKind)

# --------------------------------------------------------------------------------------
# Small value objects
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    """A GPS fix (GeoJSON Point plus the reference's position properties)."""

    lon: float
    lat: float
    at: datetime  # properties.createdAt
    alt: float | None = None  # metres
    heading: int = 0  # degrees, 0..360
    signal_quality: int = 0
    fix_status: FixStatus | None = FixStatus.FIX_3D  # only meaningful for kind=Acquire
    kind: PositionKind = PositionKind.ACQUIRE

    def moved(
        self,
        lon: float,
        lat: float,
        heading: int,
        at: datetime,
        kind: PositionKind = PositionKind.ACQUIRE,
    ) -> Position:
        """A new fix elsewhere, with this one's altitude and signal (built directly, not
        with ``dataclasses.replace``: a driving or charging car makes one a minute)."""
        return Position(
            lon=lon,
            lat=lat,
            at=at,
            alt=self.alt,
            heading=heading,
            signal_quality=self.signal_quality,
            fix_status=self.fix_status,
            kind=kind,
        )

    def stamped(self, at: datetime, kind: PositionKind = PositionKind.ACQUIRE) -> Position:
        """The same fix taken again at ``at``."""
        return self.moved(self.lon, self.lat, self.heading, at, kind)


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyLevel:
    """Level and autonomy of one energy at a moment (the reference's LiteEnergy)."""

    level: float  # percent 0..100
    autonomy_km: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargeProgram:
    """A charging schedule program (the reference's ChargeScheduleProgram)."""

    slot: int
    enabled: bool
    start: timedelta  # from local midnight
    end: timedelta  # from local midnight
    days: tuple[Weekday, ...] = ()
    recurrence: Recurrence = Recurrence.DAILY
    charge_until_full: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Charging:
    """Charging state of the traction battery (the reference's EnergyCharging)."""

    plugged: bool = False
    status: ChargingStatus = ChargingStatus.DISCONNECTED
    mode: ChargingMode = ChargingMode.NO
    remaining: timedelta | None = None  # until the charge ends (remainingTime)
    rate_kmh: int = 0  # autonomy gained per hour, 0..500 (chargingRate)
    next_delayed_time: datetime | None = None  # next scheduled (delayed) charge start
    charger_power_kw: float = 0.0  # power currently delivered (0 when not charging)
    # what the charger the car is plugged into can deliver (0: unplugged, or not known),
    # kept while the car waits for a delayed charge or after a stop
    plug_kw: float = 0.0
    charge_type: ChargeType | None = None  # preferences.type (Full / Partial)
    preference_level: ChargingPowerLevel | None = None  # preferences.level
    programs: tuple[ChargeProgram, ...] = ()  # schedule.programs

    def with_figures(self, remaining: timedelta | None, rate_kmh: int) -> Charging:
        """This charge with a new remainingTime and chargingRate (built directly, not with
        ``dataclasses.replace``: a charging car updates them every simulated minute)."""
        return Charging(
            plugged=self.plugged,
            status=self.status,
            mode=self.mode,
            remaining=remaining,
            rate_kmh=rate_kmh,
            next_delayed_time=self.next_delayed_time,
            charger_power_kw=self.charger_power_kw,
            plug_kw=self.plug_kw,
            charge_type=self.charge_type,
            preference_level=self.preference_level,
            programs=self.programs,
        )

    @property
    def power_level(self) -> ChargingPowerLevel | None:
        """chargingPowerLevel derived from the delivered power, None when not charging."""
        kw = self.charger_power_kw
        if kw <= 0.0:
            return None
        if kw <= 2.3:
            return ChargingPowerLevel.LEVEL1
        if kw <= 3.7:
            return ChargingPowerLevel.LEVEL2
        if kw <= 7.4:
            return ChargingPowerLevel.LEVEL3
        if kw <= 22.0:
            return ChargingPowerLevel.LEVEL4
        return ChargingPowerLevel.LEVEL5


#: the state of every unplugged traction battery (shared)
UNPLUGGED = Charging()


@dataclass(frozen=True, slots=True, kw_only=True)
class PreconditioningProgram:
    """A cabin preconditioning program (the reference's PreconditioningProgram)."""

    slot: int  # 1..4 (0 accepted from the seed's example)
    enabled: bool
    start: timedelta  # from local midnight, < 24 h
    days: tuple[Weekday, ...] = ()
    recurrence: Recurrence = Recurrence.DAILY


@dataclass(frozen=True, slots=True, kw_only=True)
class Preconditioning:
    """Cabin air conditioning (``preconditioning.airConditioning``)."""

    status: PreconditioningStatus = PreconditioningStatus.DISABLED
    starting_cause: PreconditioningStartingCause | None = None
    failure_cause: PreconditioningFailureCause | None = None
    programs: tuple[PreconditioningProgram, ...] = ()
    updated_at: datetime | None = None  # None: use the state's updated_at


#: preconditioning of a car nobody asked anything of (shared)
PRECONDITIONING_OFF = Preconditioning()


@dataclass(frozen=True, slots=True, kw_only=True)
class BeltStatus:
    seat: Seat
    state: BeltState


@dataclass(frozen=True, slots=True, kw_only=True)
class Safety:
    belts: tuple[BeltStatus, ...] = (
        BeltStatus(seat=Seat.DRIVER, state=BeltState.NORMAL),
        BeltStatus(seat=Seat.PASSENGER, state=BeltState.NORMAL),
    )
    auto_ecall: AutoECallTriggering = AutoECallTriggering.NOT_DETECTED


SAFETY_NOMINAL = Safety()


@dataclass(frozen=True, slots=True, kw_only=True)
class Light:
    status: LightStatus
    direction: LightDirection | None = None
    position: LightPosition | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Lighting:
    """lightingSystem: turn indicators and fog lamps."""

    turn: tuple[Light, ...] = (
        Light(status=LightStatus.OFF, direction=LightDirection.LEFT),
        Light(status=LightStatus.OFF, direction=LightDirection.RIGHT),
    )
    fog: tuple[Light, ...] = (
        Light(status=LightStatus.OFF, position=LightPosition.FRONT),
        Light(status=LightStatus.OFF, position=LightPosition.REAR),
    )


LIGHTS_OFF = Lighting()


@dataclass(frozen=True, slots=True, kw_only=True)
class Transmission:
    automatic: bool
    ratio: GearRatio | None = GearRatio.NEUTRAL
    sport: bool = False
    snow: bool = False
    sequential: bool = False
    semi_manual: bool = False


TRANSMISSION_AUTOMATIC_PARKED = Transmission(automatic=True)
TRANSMISSION_MANUAL_PARKED = Transmission(automatic=False)

ParkAssistFront = Literal["Fault", "DriverInhibition", "Active", "Wait", "OutOfService"]
ParkAssistRear = Literal[
    "Fault", "DriverInhibition", "TrailerInhibition", "Active", "Wait", "OutOfService"
]
LaneKeeping = Literal["Authorized", "CorrectionInProgress", "NotAuthorized", "NotSelected"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Adas:
    """Driver assistance systems (the reference's Adas); values are wire strings."""

    park_assist_front: tuple[ParkAssistFront, ...] = ("Wait",)
    park_assist_rear: tuple[ParkAssistRear, ...] = ("Wait",)
    accr: Literal[
        "Activated",
        "Fault",
        "Hold",
        "HoldWithOverSpeeding",
        "Off",
        "OverSpeedingByPedalPress",
        "StandBy",
    ] = "Off"
    lvv: bool = False
    rvv: Literal[
        "Off",
        "NoBestFit",
        "BestFitInProgress",
        "BestFitMax",
        "BestFitMin",
        "BestFitDeactivated",
        "AutoDeactivated",
        "OverflowSpeedConsign",
        "LackOfVisibilityRadar",
        "LearningRadar",
        "Deactivated",
        "LimitSetting",
    ] = "Off"
    aebs: Literal["off", "Fixed", "OnFlashing"] = "off"
    afil: Literal["FlashingFault", "FlashingWarning", "Off", "OnFixed"] = "Off"
    artiv: Literal["NotSelected", "Selected", "Unavailable"] = "Unavailable"
    bsm: Literal["Active", "Inactive", "Disabled", "Fault"] = "Inactive"
    esp: bool = True
    abs: bool = True
    fse: bool = True
    sli: int | None = None  # speed limit information, km/h
    rlka: LaneKeeping = "NotSelected"
    llka: LaneKeeping = "NotSelected"
    rgi: Literal["None", "Up", "Down", "UpDown"] = "None"


ADAS_PARKED = Adas()


@dataclass(frozen=True, slots=True, kw_only=True)
class Wiping:
    active: bool = False
    speed: WipingSpeed | None = None  # only when active


WIPERS_OFF = Wiping()

#: the usual lockedStates of a parked car (shared)
LOCKED: tuple[LockedState, ...] = (LockedState.LOCKED,)
NO_OPEN_DOORS: frozenset[DoorId] = frozenset()

# --------------------------------------------------------------------------------------
# Mutable per-vehicle state
# --------------------------------------------------------------------------------------


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
class ElectricEnergy(Revisioned):
    """The traction battery (energy ``type: Electric``)."""

    level: float  # state of charge, percent 0..100
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

    def autonomy_at(self, level: float) -> int:
        """Autonomy in km at a given level with this battery and consumption."""
        if self.consumption_kwh_per_100km <= 0.0 or level <= 0.0:
            return 0
        return int(self.usable_kwh * level / self.consumption_kwh_per_100km)

    @property
    def autonomy_km(self) -> int:
        return self.autonomy_at(self.level)

    def snapshot(self) -> EnergyLevel:
        return EnergyLevel(level=self.level, autonomy_km=self.autonomy_km)


@dataclass(slots=True, kw_only=True)
class FuelEnergy(Revisioned):
    """The tank (energy ``type: Fuel``); litres, or kg when ``subtype`` is Hydrogen."""

    level: float  # percent 0..100
    tank_l: float  # tank capacity (kg of H2 for hydrogen)
    consumption_l_per_100km: float  # average consumption (kg/100 km for hydrogen)
    subtype: EnergySubType = EnergySubType.FOSSIL_ENERGY

    @property
    def remaining_l(self) -> float:
        return self.tank_l * self.level / 100.0

    def autonomy_at(self, level: float) -> int:
        """Autonomy in km at a given level with this tank and consumption."""
        if self.consumption_l_per_100km <= 0.0 or level <= 0.0:
            return 0
        return int(self.tank_l * level / self.consumption_l_per_100km)

    @property
    def autonomy_km(self) -> int:
        return self.autonomy_at(self.level)

    def snapshot(self) -> EnergyLevel:
        return EnergyLevel(level=self.level, autonomy_km=self.autonomy_km)


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
# History records
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# Packed histories
# --------------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_NO_TIME = -(2**63)
_NO_INT = -(2**31)
_NO_ENUM = 255
_NAN = float("nan")


def _time_in(value: datetime | None) -> int:
    if value is None:
        return _NO_TIME
    if value.tzinfo is None:
        raise ValueError("naive datetime in domain state")
    return (value - _EPOCH) // _MICROSECOND


def _time_out(value: int) -> datetime | None:
    return None if value == _NO_TIME else _EPOCH + value * _MICROSECOND


def _time_out_req(value: int) -> datetime:
    out = _time_out(value)
    if out is None:
        raise ValueError("corrupt record: missing time")
    return out


def _float_in(value: float | None) -> float:
    return _NAN if value is None else value


def _float_out(value: float) -> float | None:
    return None if math.isnan(value) else value


def _int_in(value: int | None) -> int:
    return _NO_INT if value is None else value


def _int_out(value: int) -> int | None:
    return None if value == _NO_INT else value


_E = TypeVar("_E", bound=StrEnum)


class _EnumCodec(Generic[_E]):
    """Maps the members of an enum to small ints (255 = None) and sets to bitmasks."""

    __slots__ = ("_index", "_members")

    def __init__(self, enum: type[_E]) -> None:
        self._members: tuple[_E, ...] = tuple(enum)
        self._index: dict[_E, int] = {m: i for i, m in enumerate(self._members)}

    def code(self, member: _E | None) -> int:
        return _NO_ENUM if member is None else self._index[member]

    def member(self, code: int) -> _E | None:
        return None if code == _NO_ENUM else self._members[code]

    def member_req(self, code: int) -> _E:
        return self._members[code]

    def mask(self, members: Iterable[_E]) -> int:
        out = 0
        for m in members:
            out |= 1 << self._index[m]
        return out

    def unmask(self, mask: int) -> frozenset[_E]:
        return frozenset(m for i, m in enumerate(self._members) if mask >> i & 1)


_FIX = _EnumCodec(FixStatus)
_POSITION_KIND = _EnumCodec(PositionKind)
_FAULT = _EnumCodec(TripFaultKind)
_FAULT_CAUSE = _EnumCodec(TripFaultCause)
_KIND = _EnumCodec(TelemetryKind)
_PRIVACY = _EnumCodec(PrivacyState)
_IGNITION = _EnumCodec(IgnitionType)
_POWERTRAIN = _EnumCodec(PowertrainStatus)
_CHARGING = _EnumCodec(ChargingStatus)
_MODE = _EnumCodec(DrivingMode)
_GEAR = _EnumCodec(GearRatio)
_ALARM = _EnumCodec(AlarmActivation)
_LOCK = _EnumCodec(LockedState)
_DOOR = _EnumCodec(DoorId)

# at, lon, lat, alt, heading, signal quality, fix status, kind
_POSITION = struct.Struct("<qdddHBBB")
# started, ended, start mileage, distance, max speed, electric distance,
# fuel start level/autonomy, end level/autonomy, used,
# electric start level/autonomy, end level/autonomy, used, #faults, #waypoints
_TRIP = struct.Struct("<qqdddd" + "dHdHd" + "dHdHd" + "BH")
# at, kinds, privacy, ignition, powertrain, flags, charging, mode, gear, alarm, doors,
# speed, acceleration, mileage, voltage, air, fuel level/autonomy, electric level/autonomy,
# oil, coolant, maintenance days, maintenance km, #locked states
_SAMPLE = struct.Struct("<qHBBBBBBBBB" + "ddddd" + "dHdH" + "dd" + "id" + "B")
_FLAG_MOVING, _FLAG_DAYTIME, _FLAG_PLUGGED, _FLAG_POSITION = 1, 2, 4, 8


_HEX_ID_MARK = 0xFF  # a 32-hex-digit id stored as its 16 bytes


def _pack_id(value: str) -> bytes:
    if len(value) == 32:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            pass
        else:
            if raw.hex() == value:  # lower-case hex: store compactly
                return bytes((_HEX_ID_MARK,)) + raw
    raw = value.encode("ascii")
    if len(raw) >= _HEX_ID_MARK:
        raise ValueError("record id longer than 254 characters")
    return bytes((len(raw),)) + raw


def _unpack_id(raw: bytes, offset: int) -> tuple[str, int]:
    size = raw[offset]
    if size == _HEX_ID_MARK:
        return raw[offset + 1 : offset + 17].hex(), offset + 17
    end = offset + 1 + size
    return raw[offset + 1 : end].decode("ascii"), end


def _pack_position(p: Position) -> bytes:
    return _POSITION.pack(
        _time_in(p.at),
        p.lon,
        p.lat,
        _float_in(p.alt),
        p.heading,
        p.signal_quality,
        _FIX.code(p.fix_status),
        _POSITION_KIND.code(p.kind),
    )


def _unpack_position(raw: bytes, offset: int) -> Position:
    at, lon, lat, alt, heading, signal, fix, kind = _POSITION.unpack_from(raw, offset)
    return Position(
        lon=lon,
        lat=lat,
        at=_time_out_req(at),
        alt=_float_out(alt),
        heading=heading,
        signal_quality=signal,
        fix_status=_FIX.member(fix),
        kind=_POSITION_KIND.member_req(kind),
    )


def _level_in(e: EnergyLevel | None) -> tuple[float, int]:
    return (_NAN, 0) if e is None else (e.level, min(max(e.autonomy_km, 0), 65535))


def _level_out(level: float, autonomy: int) -> EnergyLevel | None:
    return None if math.isnan(level) else EnergyLevel(level=level, autonomy_km=autonomy)


def _pack_trip(t: Trip) -> bytes:
    parts = [
        _pack_id(t.id),
        _TRIP.pack(
            _time_in(t.started_at),
            _time_in(t.ended_at),
            t.start_mileage_km,
            t.distance_km,
            t.max_speed_kmh,
            t.electric_distance_km,
            *_level_in(t.fuel_start),
            *_level_in(t.fuel_end),
            _float_in(t.fuel_used),
            *_level_in(t.electric_start),
            *_level_in(t.electric_end),
            _float_in(t.electric_used_kwh),
            len(t.faults),
            len(t.waypoints),
        ),
    ]
    parts.extend(bytes((_FAULT.code(f.fault), _FAULT_CAUSE.code(f.cause))) for f in t.faults)
    parts.extend(_pack_position(p) for p in t.waypoints)
    return b"".join(parts)


def _unpack_trip(raw: bytes) -> Trip:
    trip_id, offset = _unpack_id(raw, 0)
    (
        started,
        ended,
        start_mileage,
        distance,
        max_speed,
        electric_distance,
        fs_level,
        fs_aut,
        fe_level,
        fe_aut,
        fuel_used,
        es_level,
        es_aut,
        ee_level,
        ee_aut,
        electric_used,
        n_faults,
        n_waypoints,
    ) = _TRIP.unpack_from(raw, offset)
    offset += _TRIP.size
    faults = tuple(
        TripFault(
            fault=_FAULT.member_req(raw[offset + 2 * i]),
            cause=_FAULT_CAUSE.member(raw[offset + 2 * i + 1]),
        )
        for i in range(n_faults)
    )
    offset += 2 * n_faults
    size = _POSITION.size
    waypoints = tuple(_unpack_position(raw, offset + i * size) for i in range(n_waypoints))
    return Trip(
        id=trip_id,
        started_at=_time_out_req(started),
        ended_at=_time_out(ended),
        start_mileage_km=start_mileage,
        distance_km=distance,
        max_speed_kmh=max_speed,
        electric_distance_km=electric_distance,
        fuel_start=_level_out(fs_level, fs_aut),
        fuel_end=_level_out(fe_level, fe_aut),
        fuel_used=_float_out(fuel_used),
        electric_start=_level_out(es_level, es_aut),
        electric_end=_level_out(ee_level, ee_aut),
        electric_used_kwh=_float_out(electric_used),
        waypoints=waypoints,
        faults=faults,
    )


def _pack_sample(s: TelemetrySample) -> bytes:
    flags = (
        (_FLAG_MOVING if s.moving else 0)
        | (_FLAG_DAYTIME if s.daytime else 0)
        | (_FLAG_PLUGGED if s.plugged else 0)
        | (_FLAG_POSITION if s.position is not None else 0)
    )
    parts = [
        _pack_id(s.id),
        _SAMPLE.pack(
            _time_in(s.at),
            _KIND.mask(s.kinds),
            _PRIVACY.code(s.privacy),
            _IGNITION.code(s.ignition),
            _POWERTRAIN.code(s.powertrain),
            flags,
            _CHARGING.code(s.charging_status),
            _MODE.code(s.driving_mode),
            _GEAR.code(s.gear),
            _ALARM.code(s.alarm_activation),
            _DOOR.mask(s.open_doors),
            s.speed_kmh,
            s.acceleration,
            s.mileage_km,
            s.battery_voltage,
            s.air_temp_c,
            *_level_in(s.fuel),
            *_level_in(s.electric),
            _float_in(s.oil_temp_c),
            _float_in(s.coolant_temp_c),
            _int_in(s.days_before_maintenance),
            _float_in(s.mileage_before_maintenance_km),
            len(s.locked_states),
        ),
        bytes(_LOCK.code(state) for state in s.locked_states),
        _pack_id(s.trip_id or ""),
    ]
    if s.position is not None:
        parts.append(_pack_position(s.position))
    return b"".join(parts)


def _unpack_sample(raw: bytes) -> TelemetrySample:
    sample_id, offset = _unpack_id(raw, 0)
    (
        at,
        kinds,
        privacy,
        ignition,
        powertrain,
        flags,
        charging,
        mode,
        gear,
        alarm,
        doors,
        speed,
        acceleration,
        mileage,
        voltage,
        air,
        fuel_level,
        fuel_aut,
        el_level,
        el_aut,
        oil,
        coolant,
        maint_days,
        maint_km,
        n_locked,
    ) = _SAMPLE.unpack_from(raw, offset)
    offset += _SAMPLE.size
    locked = tuple(_LOCK.member_req(code) for code in raw[offset : offset + n_locked])
    trip_id, offset = _unpack_id(raw, offset + n_locked)
    position = _unpack_position(raw, offset) if flags & _FLAG_POSITION else None
    return TelemetrySample(
        id=sample_id,
        at=_time_out_req(at),
        kinds=_KIND.unmask(kinds),
        trip_id=trip_id or None,
        position=position,
        privacy=_PRIVACY.member_req(privacy),
        ignition=_IGNITION.member_req(ignition),
        powertrain=_POWERTRAIN.member_req(powertrain),
        speed_kmh=speed,
        acceleration=acceleration,
        moving=bool(flags & _FLAG_MOVING),
        mileage_km=mileage,
        battery_voltage=voltage,
        air_temp_c=air,
        daytime=bool(flags & _FLAG_DAYTIME),
        locked_states=locked,
        open_doors=_DOOR.unmask(doors),
        fuel=_level_out(fuel_level, fuel_aut),
        electric=_level_out(el_level, el_aut),
        plugged=bool(flags & _FLAG_PLUGGED),
        charging_status=_CHARGING.member(charging),
        oil_temp_c=_float_out(oil),
        coolant_temp_c=_float_out(coolant),
        driving_mode=_MODE.member_req(mode),
        gear=_GEAR.member(gear),
        alarm_activation=_ALARM.member_req(alarm),
        days_before_maintenance=_int_out(maint_days),
        mileage_before_maintenance_km=_float_out(maint_km),
    )


_T = TypeVar("_T", Trip, TelemetrySample)

_LENGTH = struct.Struct("<I")  # each record of a log is prefixed with its length
_DEFLATE_LEVEL = 9
_RAW_DEFLATE = -15  # zlib wbits: a raw deflate stream, no header or checksum


def _deflate(raw: bytes) -> bytes:
    return zlib.compress(raw, _DEFLATE_LEVEL, _RAW_DEFLATE) if raw else b""


def _inflate(blob: bytes) -> bytes:
    return zlib.decompress(blob, _RAW_DEFLATE) if blob else b""


def _split(raw: bytes) -> list[bytes]:
    """The records of an inflated log, in order."""
    out: list[bytes] = []
    offset, end, size = 0, len(raw), _LENGTH.size
    while offset < end:
        (length,) = _LENGTH.unpack_from(raw, offset)
        offset += size
        out.append(raw[offset : offset + length])
        offset += length
    return out


def _join(records: Iterable[bytes]) -> bytes:
    return b"".join(_LENGTH.pack(len(raw)) + raw for raw in records)


class _PackedLog(Sequence[_T]):
    """A chronological list of records kept packed: the records' bytes, each prefixed with
    its length, in one deflated ``bytes`` blob per log (a parked vehicle's history costs
    about half its packed size, with no per-record object).

    Reading yields fresh frozen objects; to change a record, store a replacement with
    ``log[i] = record`` or :meth:`upsert`.  Every change re-deflates the log (tens of
    microseconds for a few hundred records' worth): logs change at the end of a trip, not
    at every data sample.
    """

    __slots__ = ("_blob", "_count", "_tail")

    def __init__(self, items: Iterable[_T] = ()) -> None:
        self._store([self._pack(item) for item in items])

    @abstractmethod
    def _pack(self, item: _T) -> bytes:
        """One record as bytes (each log kind has its own layout)."""

    @abstractmethod
    def _unpack(self, raw: bytes) -> _T:
        """The record back from its bytes."""

    def _records(self) -> list[bytes]:
        return _split(_inflate(self._blob))

    def _store(self, records: list[bytes]) -> None:
        self._blob = _deflate(_join(records))
        self._count = len(records)
        self._tail: tuple[_T, ...] | None = None

    def __len__(self) -> int:
        return self._count

    def tail(self) -> tuple[_T, ...]:
        """The last two records (fewer in a shorter log), oldest first; kept until the log
        changes, so that reading the latest ones on every data sample costs no inflating."""
        if self._tail is None:
            self._tail = tuple(self._unpack(raw) for raw in self._records()[-2:])
        return self._tail

    @overload
    def __getitem__(self, index: int) -> _T: ...
    @overload
    def __getitem__(self, index: slice) -> list[_T]: ...
    def __getitem__(self, index: int | slice) -> _T | list[_T]:
        records = self._records()
        if isinstance(index, slice):
            return [self._unpack(raw) for raw in records[index]]
        return self._unpack(records[index])

    def __setitem__(self, index: int, item: _T) -> None:
        records = self._records()
        records[index] = self._pack(item)
        self._store(records)

    def __iter__(self) -> Iterator[_T]:
        for raw in self._records():
            yield self._unpack(raw)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return False
        assert isinstance(other, _PackedLog)
        return other._count == self._count and other._records() == self._records()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<{self._count} records>)"

    def append(self, item: _T, *, keep_last: int | None = None) -> None:
        """Add ``item`` at the end; with ``keep_last``, drop the oldest records beyond it
        (one re-deflate for both)."""
        self.extend((item,), keep_last=keep_last)

    def extend(self, items: Iterable[_T], *, keep_last: int | None = None) -> None:
        """Add ``items`` at the end (one re-deflate), then as :meth:`append`."""
        records = self._records()
        records.extend(self._pack(item) for item in items)
        if keep_last is not None and len(records) > keep_last:
            del records[: len(records) - keep_last]
        self._store(records)

    def _index_in(self, records: list[bytes], record_id: str) -> int | None:
        try:
            key = _pack_id(record_id)
        except ValueError:  # too long or not ASCII: never stored
            return None
        size = len(key)
        for i, raw in enumerate(records):
            if raw[:size] == key:
                return i
        return None

    def index_of(self, record_id: str) -> int | None:
        """Position of the record with this id, or None (also for ids no record can have)."""
        return self._index_in(self._records(), record_id)

    def get(self, record_id: str) -> _T | None:
        """The record with this id, or None."""
        records = self._records()
        i = self._index_in(records, record_id)
        return None if i is None else self._unpack(records[i])

    def upsert(self, item: _T) -> None:
        """Replace the record with the same id, or append it."""
        records = self._records()
        i = self._index_in(records, item.id)
        if i is None:
            records.append(self._pack(item))
        else:
            records[i] = self._pack(item)
        self._store(records)

    def trim(self, keep_last: int) -> None:
        """Drop the oldest records, keeping at most ``keep_last``."""
        if self._count > keep_last:
            records = self._records()
            del records[: len(records) - keep_last]
            self._store(records)

    @property
    def packed_size(self) -> int:
        """Bytes the log holds (deflated; for memory accounting)."""
        return len(self._blob)

    @property
    def raw_size(self) -> int:
        """Bytes of the records before deflating (for memory accounting)."""
        return sum(len(raw) for raw in self._records())


class TripLog(_PackedLog[Trip]):
    """The trips of a vehicle, oldest first (an in-progress trip, if any, is last)."""

    __slots__ = ()

    def _pack(self, item: Trip) -> bytes:
        return _pack_trip(item)

    def _unpack(self, raw: bytes) -> Trip:
        return _unpack_trip(raw)


class TelemetryLog(_PackedLog[TelemetrySample]):
    """The telemetry records of a vehicle, oldest first."""

    __slots__ = ()

    def _pack(self, item: TelemetrySample) -> bytes:
        return _pack_sample(item)

    def _unpack(self, raw: bytes) -> TelemetrySample:
        return _unpack_sample(raw)


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


def new_record_id(rng: random.Random) -> str:
    """An opaque 32-hex-character id for a history record."""
    return f"{rng.getrandbits(128):032x}"


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
