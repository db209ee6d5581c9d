"""Enumerations of the fleet's domain: every one a ``StrEnum`` whose *value* is the
reference's wire spelling (``PrivacyState.NONE == "None"``)."""

from __future__ import annotations

from enum import StrEnum


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
