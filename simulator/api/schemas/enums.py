"""The domain's enumerations as the wire models type them.

Every member the reference types with an enum is typed with the domain's ``StrEnum``
(:mod:`simulator.fleet.enums`, whose values are the wire spellings), so a model is
built from domain values as they are and validates strings from JSON into members.
Each is documented inline, as the reference writes it (``{"type": "string", "enum":
[...]}``, no component of its own), in the reference's order.
"""

from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, GetPydanticSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from simulator.fleet import enums as e
from simulator.fleet.values import Accr, LaneKeeping, ParkAssistFront, ParkAssistRear, Rvv

__all__ = [
    "ALERT_TYPES",
    "LEGACY_LOCKED_STATES",
    "Accr",
    "AirConditioningStatus",
    "AlarmActivation",
    "AlarmTriggerType",
    "AlertMsg",
    "AlertSeverity",
    "AutoECallTriggering",
    "BeltState",
    "ChargeType",
    "ChargingMode",
    "ChargingStatus",
    "CollisionSeverity",
    "CollisionSide",
    "DoorIdentifier",
    "DrivingMode",
    "EnergySubType",
    "EnergyType",
    "EngineType",
    "FixStatus",
    "GearRatio",
    "IgnitionType",
    "LaneKeeping",
    "LegacyLockedState",
    "LightDirection",
    "LightPosition",
    "LockedState",
    "Motorization",
    "OnOff",
    "OnboardDataCapability",
    "ParkAssistFront",
    "ParkAssistRear",
    "PositionKind",
    "PowerLevel",
    "PowertrainStatus",
    "PreconditioningFailureCause",
    "PrivacyState",
    "Recurrence",
    "RemoteScope",
    "Rvv",
    "Seat",
    "ServiceKind",
    "StartingCause",
    "TripFaultCause",
    "TripFaultKind",
    "TripPropulsion",
    "Weekday",
    "WipingSpeed",
]


def _listed(enum: type[StrEnum], order: Iterable[str] | None = None) -> GetPydanticSchema:
    """Validated and serialised as the enum (no component of its own: documented inline,
    as a ``Literal`` of its values would be)."""
    members = list(enum.__members__.values())
    documented = {"enum": [str(v) for v in (members if order is None else order)], "type": "string"}

    def core(_source: Any, _handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.enum_schema(enum, members, sub_type="str")

    def json_schema(_core: CoreSchema, _handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return dict(documented)

    return GetPydanticSchema(core, json_schema)


Weekday = Annotated[e.Weekday, _listed(e.Weekday)]
EnergyType = Annotated[e.EnergyType, _listed(e.EnergyType)]
EnergySubType = Annotated[e.EnergySubType, _listed(e.EnergySubType)]
ChargingStatus = Annotated[e.ChargingStatus, _listed(e.ChargingStatus)]
ChargingMode = Annotated[e.ChargingMode, _listed(e.ChargingMode)]
PowerLevel = Annotated[e.ChargingPowerLevel, _listed(e.ChargingPowerLevel)]
ChargeType = Annotated[e.ChargeType, _listed(e.ChargeType)]
Motorization = Annotated[e.Motorization, _listed(e.Motorization)]
IgnitionType = Annotated[e.IgnitionType, _listed(e.IgnitionType)]
PrivacyState = Annotated[e.PrivacyState, _listed(e.PrivacyState)]
PowertrainStatus = Annotated[e.PowertrainStatus, _listed(e.PowertrainStatus)]
OnOff = Annotated[e.LightStatus, _listed(e.LightStatus)]
LightDirection = Annotated[e.LightDirection, _listed(e.LightDirection)]
LightPosition = Annotated[e.LightPosition, _listed(e.LightPosition)]
LockedState = Annotated[e.LockedState, _listed(e.LockedState)]
LEGACY_LOCKED_STATES: frozenset[e.LockedState] = frozenset(e.LockedState) - {
    e.LockedState.TRUNK_LOCKED,
    e.LockedState.TRUNK_UNLOCKED,
}
"""The `lockedState` values older clients accept (no trunk values)."""
LegacyLockedState = Annotated[
    e.LockedState, _listed(e.LockedState, [s for s in e.LockedState if s in LEGACY_LOCKED_STATES])
]
DoorIdentifier = Annotated[e.DoorId, _listed(e.DoorId)]
AirConditioningStatus = Annotated[e.PreconditioningStatus, _listed(e.PreconditioningStatus)]
StartingCause = Annotated[e.PreconditioningStartingCause, _listed(e.PreconditioningStartingCause)]
PreconditioningFailureCause = Annotated[
    e.PreconditioningFailureCause, _listed(e.PreconditioningFailureCause)
]
Recurrence = Annotated[e.Recurrence, _listed(e.Recurrence)]
DrivingMode = Annotated[e.DrivingMode, _listed(e.DrivingMode)]
AlarmActivation = Annotated[e.AlarmActivation, _listed(e.AlarmActivation)]
AlarmTriggerType = Annotated[e.BreakInType, _listed(e.BreakInType)]
AlertMsg = Annotated[e.AlertType, _listed(e.AlertType)]
ALERT_TYPES: tuple[str, ...] = tuple(e.AlertType)
"""Every alert `type` (AlertMsgEnum) in the reference's order."""
AlertSeverity = Annotated[e.AlertSeverity, _listed(e.AlertSeverity)]
CollisionSide = Annotated[e.CollisionSide, _listed(e.CollisionSide)]
CollisionSeverity = Annotated[e.CollisionSeverity, _listed(e.CollisionSeverity)]
PositionKind = Annotated[e.PositionKind, _listed(e.PositionKind, ("Estimated", "Acquire"))]
FixStatus = Annotated[e.FixStatus, _listed(e.FixStatus)]
ServiceKind = Annotated[e.ServiceType, _listed(e.ServiceType)]
Seat = Annotated[e.Seat, _listed(e.Seat)]
BeltState = Annotated[e.BeltState, _listed(e.BeltState)]
AutoECallTriggering = Annotated[e.AutoECallTriggering, _listed(e.AutoECallTriggering)]
EngineType = Annotated[e.EngineType, _listed(e.EngineType)]
GearRatio = Annotated[e.GearRatio, _listed(e.GearRatio)]
WipingSpeed = Annotated[e.WipingSpeed, _listed(e.WipingSpeed)]
TripPropulsion = Annotated[e.TripPropulsion, _listed(e.TripPropulsion)]
TripFaultKind = Annotated[e.TripFaultKind, _listed(e.TripFaultKind)]
TripFaultCause = Annotated[e.TripFaultCause, _listed(e.TripFaultCause)]

RemoteScope = Literal[
    "remote:preconditioning:write",
    "remote:door:write",
    "remote:horn:write",
    "remote:charging:write",
    "remote:lights:write",
    "remote:wakeup:write",
    "remote:navigation:write",
]

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
