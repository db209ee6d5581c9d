"""The vehicle data a data trigger can watch: type, operators and how to read it.

One table, written from the reference's DataTrigger table, serves validation
(which operators and values a field accepts) and evaluation (a getter reading
the field from a vehicle's latest sample).  A getter returns ``None`` when the
vehicle has no such data (fuel level of an electric car): comparisons with it
are false.  Older field names (clients in the wild) map to the current ones.

Pure domain: no HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from simulator.fleet.enums import (
    AlarmActivation,
    AlertType,
    AutoECallTriggering,
    BeltState,
    BreakInType,
    ChargingMode,
    ChargingStatus,
    DrivingMode,
    IgnitionType,
    PowertrainStatus,
    PrivacyState,
)
from simulator.fleet.models import Vehicle
from simulator.fleet.records import Trip

Kind = Literal["int", "number", "bool", "enum", "alerts", "state", "trip"]
Op = Literal["equalsTo", "greaterThan", "lowerThan", "includedIn", "onChange"]
OPS: tuple[Op, ...] = ("equalsTo", "greaterThan", "lowerThan", "includedIn", "onChange")
OP_ALIASES: dict[str, Op] = {"eqaualsTo": "equalsTo"}  # (sic) the older generation's spelling
COMPARE: tuple[Op, ...] = ("equalsTo", "greaterThan", "lowerThan")
TRIP_STATES = ("Nominal", "Unstarted", "DataLacking", "Unfinished")

Getter = Callable[[Vehicle], object]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: Kind
    ops: tuple[Op, ...]
    get: Getter
    values: frozenset[str] = frozenset()  # enum fields: the accepted literals
    previous_ops: tuple[Op, ...] = ()  # the reference's "previous" table
    text: Callable[[object], str] | None = None  # the literal of a value (default: literal)

    def literal(self, value: object) -> str:
        return literal(value) if self.text is None else self.text(value)


def _enum(enum: type[StrEnum]) -> frozenset[str]:
    return frozenset(member.value for member in enum)


# ------------------------------------------------------------------ getters
def _electric_level(v: Vehicle) -> object:
    e = v.state.electric
    return None if e is None else e.level


def _electric_autonomy(v: Vehicle) -> object:
    e = v.state.electric
    return None if e is None else e.autonomy_km


def _fuel_level(v: Vehicle) -> object:
    f = v.state.fuel
    return None if f is None else f.level


def _fuel_autonomy(v: Vehicle) -> object:
    f = v.state.fuel
    return None if f is None else f.autonomy_km


def _charging_status(v: Vehicle) -> object:
    e = v.state.electric
    return None if e is None else e.charging.status.value


def _charging_plugged(v: Vehicle) -> object:
    e = v.state.electric
    return None if e is None else e.charging.plugged


def _charging_mode(v: Vehicle) -> object:
    e = v.state.electric
    return None if e is None else e.charging.mode.value


def _oil_temp(v: Vehicle) -> object:
    engine = v.state.engine
    return None if engine is None else engine.oil_temp_c


def _alerts(v: Vehicle) -> object:
    return frozenset(a.type.value for a in v.alerts if a.active)


def _belt_warning(v: Vehicle) -> object:
    omitted = any(b.state is BeltState.OMISSION for b in v.state.safety.belts)
    return BeltState.OMISSION.value if omitted else BeltState.NORMAL.value


def _latest_trip(v: Vehicle) -> Trip | None:
    tail = v.trips.tail()
    return tail[-1] if tail else None


def _last_ended_trip(v: Vehicle) -> Trip | None:
    for trip in reversed(v.trips.tail()):  # an in-progress trip is only ever the last
        if trip.done:
            return trip
    return None


def _trip_start(v: Vehicle) -> object:
    trip = _latest_trip(v)
    return None if trip is None else trip.id


def _trip_stop(v: Vehicle) -> object:
    trip = _last_ended_trip(v)
    return None if trip is None else trip.id


def _trip_duration(v: Vehicle) -> object:
    trip = _latest_trip(v)
    if trip is None:
        return None
    if trip.done:
        return trip.duration_s
    return int((v.state.updated_at - trip.started_at).total_seconds())


def _trip_distance(v: Vehicle) -> object:
    trip = _latest_trip(v)
    return None if trip is None else trip.distance_km


def trip_state(trip: Trip) -> str:
    for fault in trip.faults:
        if fault.fault.value in TRIP_STATES:
            return fault.fault.value
    return "Nominal" if trip.done else "Unfinished"


def _trip_state(v: Vehicle) -> object:
    trip = _latest_trip(v)
    return None if trip is None else trip_state(trip)


def _alarm_trigger(v: Vehicle) -> object:
    record = v.state.alarm_trigger
    if record is None or record.trigger is None:
        return BreakInType.NO_BREAK_IN.value
    return record.trigger.value


def _locked_state(v: Vehicle) -> object:
    return v.state.locked_states  # a tuple: compared as is, shown joined


def _opening(v: Vehicle) -> object:
    return v.state.open_doors  # a frozenset: compared as is, shown joined


def _locked_text(value: object) -> str:
    assert isinstance(value, tuple)
    return ",".join(str(state) for state in value)


def _opening_text(value: object) -> str:
    assert isinstance(value, frozenset)
    return ",".join(sorted(str(door) for door in value)) or "Closed"


def _engines_running(v: Vehicle) -> object:
    return v.state.ignition is not IgnitionType.STOP


def _days_before_maintenance(v: Vehicle) -> object:
    return v.maintenance.days_before(v.state.updated_at)


def _mileage_before_maintenance(v: Vehicle) -> object:
    return v.maintenance.mileage_before(v.state.mileage_km)


_NUM = COMPARE
_ENUM_OPS: tuple[Op, ...] = ("equalsTo", "onChange", "includedIn")
_BOOL_OPS: tuple[Op, ...] = ("onChange", "equalsTo")
_PREV_ENUM: tuple[Op, ...] = ("equalsTo", "includedIn")
_PREV_BOOL: tuple[Op, ...] = ("equalsTo",)

FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field(
            "vehicle.alert",
            "alerts",
            ("onChange", "includedIn", "equalsTo"),
            _alerts,
            _enum(AlertType),
            _PREV_ENUM,
        ),
        Field("vehicle.odometer", "int", _NUM, lambda v: v.state.mileage_km),
        Field(
            "vehicle.powertrain.status",
            "enum",
            _ENUM_OPS,
            lambda v: v.state.powertrain.value,
            _enum(PowertrainStatus),
        ),
        Field("vehicle.engines.thermic.oil.temp", "int", _NUM, _oil_temp),
        Field("vehicle.energy.electric.level", "int", _NUM, _electric_level),
        Field("vehicle.energy.electric.autonomy", "int", _NUM, _electric_autonomy),
        Field("vehicle.energy.fuel.level", "int", _NUM, _fuel_level),
        Field("vehicle.energy.fuel.autonomy", "int", _NUM, _fuel_autonomy),
        Field("vehicle.autonomy", "int", _NUM, lambda v: v.state.autonomy_km),
        Field(
            "vehicle.energy.charging.status",
            "enum",
            ("onChange", "equalsTo", "includedIn"),
            _charging_status,
            _enum(ChargingStatus),
            _PREV_ENUM,
        ),
        Field(
            "vehicle.energy.charging.plugged",
            "bool",
            _BOOL_OPS,
            _charging_plugged,
            previous_ops=_PREV_BOOL,
        ),
        # (sim) the reference names ChargingTypeEnum without defining it: the charging
        # mode's values (No, Slow, Quick) are what a charge's type can be
        Field(
            "vehicle.energy.charging.type",
            "enum",
            _BOOL_OPS,
            _charging_mode,
            _enum(ChargingMode),
        ),
        Field(
            "vehicle.doorsState.lockedState",
            "state",
            ("onChange",),
            _locked_state,
            text=_locked_text,
        ),
        Field("vehicle.doorsState.opening", "state", ("onChange",), _opening, text=_opening_text),
        Field(
            "vehicle.kinetic.moving",
            "bool",
            _BOOL_OPS,
            lambda v: v.state.moving,
            previous_ops=_PREV_BOOL,
        ),
        Field("vehicle.kinetic.speed", "number", _NUM, lambda v: v.state.speed_kmh),
        Field("vehicle.trip.start", "trip", ("onChange",), _trip_start),
        Field("vehicle.trip.stop", "trip", ("onChange",), _trip_stop),
        Field("vehicle.trip.duration", "int", _NUM, _trip_duration),
        Field("vehicle.trip.distance", "number", _NUM, _trip_distance),
        Field("vehicle.trip.state", "enum", ("includedIn",), _trip_state, frozenset(TRIP_STATES)),
        Field(
            "vehicle.safety.beltWarning",
            "enum",
            _BOOL_OPS,
            _belt_warning,
            _enum(BeltState),
            _PREV_ENUM,
        ),
        Field("environment.air.temp", "number", _NUM, lambda v: v.state.air_temp_c),
        Field(
            "privacy.state",
            "enum",
            _ENUM_OPS,
            lambda v: v.state.privacy.value,
            _enum(PrivacyState),
            _PREV_ENUM,
        ),
        Field(
            "vehicle.drivingBehavior.mode",
            "enum",
            _ENUM_OPS,
            lambda v: v.state.driving_mode.value,
            _enum(DrivingMode),
            _PREV_ENUM,
        ),
        Field(
            "vehicle.safety.autoECallTriggering",
            "enum",
            _ENUM_OPS,
            lambda v: v.state.safety.auto_ecall.value,
            _enum(AutoECallTriggering),
            _PREV_ENUM,
        ),
        Field(
            "vehicle.preconditioning.airConditioning",
            "state",
            ("onChange",),
            lambda v: v.state.preconditioning.status.value,
        ),
        Field(
            "vehicle.alarm.trigger.type",
            "enum",
            _ENUM_OPS,
            _alarm_trigger,
            _enum(BreakInType),
        ),
        Field(
            "vehicle.alarm.status.activation",
            "enum",
            _BOOL_OPS,
            lambda v: v.state.alarm_activation.value,
            _enum(AlarmActivation),
        ),
        # the older generation's fields that have no current name
        Field(
            "vehicle.engines.running",
            "bool",
            _BOOL_OPS,
            _engines_running,
            previous_ops=_PREV_BOOL,
        ),
        Field("vehicle.maintenance.daysBeforeMaintenance", "int", _NUM, _days_before_maintenance),
        Field(
            "vehicle.maintenance.mileageBeforeMaintenance",
            "int",
            _NUM,
            _mileage_before_maintenance,
        ),
    )
}
"""Every field a data trigger accepts, by its current name."""

TEMPLATE_FIELDS = frozenset(FIELDS) - {
    "vehicle.engines.running",
    "vehicle.maintenance.daysBeforeMaintenance",
    "vehicle.maintenance.mileageBeforeMaintenance",
}
"""The fields the notification template's ``MonitorEvent.values.data`` enum lists."""

ALIASES: dict[str, str] = {
    "vehicle.moving": "vehicle.kinetic.moving",
    "vehicle.speed": "vehicle.kinetic.speed",
    "vehicle.running": "vehicle.engines.running",
    "vehicle.engines.oil.temp": "vehicle.engines.thermic.oil.temp",
    "vehicle.energy.autonomy": "vehicle.autonomy",
    "vehicle.new.trip": "vehicle.trip.start",
    "vehicle.trip": "vehicle.trip.start",
}
"""Older field names (the swagger client of clients in the wild) and their current ones."""


UNITS: dict[str, str] = {
    "vehicle.odometer": "km",
    "vehicle.engines.thermic.oil.temp": "°C",
    "vehicle.energy.electric.level": "%",
    "vehicle.energy.electric.autonomy": "km",
    "vehicle.energy.fuel.level": "%",
    "vehicle.energy.fuel.autonomy": "km",
    "vehicle.autonomy": "km",
    "vehicle.kinetic.speed": "km/h",
    "vehicle.trip.duration": "s",
    "vehicle.trip.distance": "km",
    "environment.air.temp": "°C",
    "vehicle.maintenance.daysBeforeMaintenance": "days",
    "vehicle.maintenance.mileageBeforeMaintenance": "km",
}
"""The unit of each number a data trigger compares (the value is written in it)."""


def described(name: str) -> str:
    """A field as the documentation lists it: its name, unit or values, and operators."""
    field = FIELDS[name]
    if name in UNITS:
        what = f"{field.kind} in {UNITS[name]}"
    elif field.values:
        what = "one of " + "/".join(sorted(field.values))
    else:
        what = field.kind
    return f"{name} ({what}; {', '.join(field.ops)})"


def lookup(name: str) -> Field | None:
    return FIELDS.get(ALIASES.get(name, name))


def parse_value(field: Field, text: str) -> object:
    """One value of a trigger, typed as the field; ValueError when it does not fit."""
    kind = field.kind
    if kind == "int":
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError(f"{text!r} is not an integer") from None
    if kind == "number":
        try:
            number = float(text.strip())
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"{text!r} is not a finite number")
        return number
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(f"{text!r} is not true or false")
        return lowered == "true"
    if field.values and text not in field.values:
        raise ValueError(f"{text!r} is not one of {', '.join(sorted(field.values))}")
    return text


def literal(value: object) -> str:
    """The literal representation of a value, as ``MonitorEvent.values.value`` carries it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.1f}"
    if isinstance(value, frozenset):
        return ",".join(sorted(str(item) for item in value))
    return "" if value is None else str(value)
