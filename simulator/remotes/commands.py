"""The body of ``POST /user/vehicles/{id}/callbacks/{cbid}/remotes``, validated.

:func:`parse_remote` turns a decoded JSON body into a :class:`RemoteCommand`: which of
the nine actions it asks for, that action's parameters as a typed model, the routing
attributes, and the canonical request that is stored and served back under ``remote``
(reference spellings, defaults filled, absent members left out).

The rules are the spec's (``connectedcar-v4.md``, "Remotes"): exactly one action per
body, strict JSON types, and a 400 ``InvalidField`` naming the first offending field as
a dotted path spelt as the client sent it (``ligths.on``,
``preconditioning.airConditioning.programs.1.start``).  Members the spec does not list
inside an action are ignored; an unknown member at the top level is an unknown action.

This is domain code: no aiohttp, no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, TypeAlias, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from simulator.bodies.errors import Located as _Located
from simulator.bodies.errors import invalid as _invalid
from simulator.bodies.rules import Coordinate, Day, Duration, Timestamp
from simulator.bodies.rules import Input as _Input
from simulator.bodies.rules import days as _days
from simulator.bodies.rules import iso_duration_text as _iso_duration
from simulator.bodies.rules import iso_time_text as _iso_time
from simulator.callbacks.attributes import (
    REMOTE_VARIABLES,
    Attribute,
    PushNotifAttribute,
    WSAttribute,
    check_chars,
)
from simulator.errors import InvalidField
from simulator.fleet.enums import Recurrence, Weekday

ActionName = Literal[
    "preconditioning",
    "immobilization",
    "door",
    "horn",
    "charging",
    "stolen",
    "lights",
    "wakeup",
    "navigation",
]

REMOTE_TYPES: dict[ActionName, str] = {
    "preconditioning": "ThermalPreconditioning",
    "immobilization": "Immobilization",  # (sim) from the seed, not in the reference's enum
    "door": "Doors",
    "horn": "Horn",
    "charging": "ElectricBatteryChargingRequest",
    "stolen": "Stolen",  # (sim) from the seed, not in the reference's enum
    "lights": "Lights",
    "wakeup": "WakeUp",
    "navigation": "Navigation",
}
"""The ``RemoteType`` each action is reported as."""

SCOPES: dict[ActionName, str] = {
    "preconditioning": "remote:preconditioning:write",
    "door": "remote:door:write",
    "horn": "remote:horn:write",
    "charging": "remote:charging:write",
    "lights": "remote:lights:write",
    "wakeup": "remote:wakeup:write",
    "navigation": "remote:navigation:write",
    # (sim) Immobilization and Stolen come from the seed, which names no scope for them
    # and the reference has none; both are about securing the vehicle, so they take the
    # door scope rather than a scope no real client could ever hold.
    "immobilization": "remote:door:write",
    "stolen": "remote:door:write",
}
"""The OAuth scope a token needs to send each action."""

ACTION_KEYS: dict[str, ActionName] = {
    "preconditioning": "preconditioning",
    "preconditionning": "preconditioning",  # the seed's spelling
    "preonditionning": "preconditioning",  # the seed's example
    "immobilization": "immobilization",
    "door": "door",
    "horn": "horn",
    "charging": "charging",
    "stolen": "stolen",
    "lights": "lights",
    "ligths": "lights",  # the seed's example
    "state": "wakeup",  # the seed: {"state": {"action": "state"}}
    "wakeUp": "wakeup",  # the reference: {"wakeUp": {"action": "WakeUp"}}
    "navigation": "navigation",
}
"""Every top-level member accepted as an action, and the action it names."""

WIRE_KEYS: dict[ActionName, str] = {
    "preconditioning": "preconditioning",
    "immobilization": "immobilization",
    "door": "door",
    "horn": "horn",
    "charging": "charging",
    "stolen": "stolen",
    "lights": "lights",
    "wakeup": "wakeUp",
    "navigation": "navigation",
}
"""The spelling of each action in the canonical request (the reference's, or the seed's)."""

ENVELOPE_KEYS = frozenset({"label", "attributes", "callbackAttributes"})
"""The top-level members that are not an action."""

VARIABLES = REMOTE_VARIABLES
"""The ``$variables`` a remote's attribute value may name (case-insensitive)."""
MAX_PRECONDITIONING_PROGRAMS = 4
MAX_POSITIONS = 10
_check_chars = check_chars


# ------------------------------------------------------------------ request models
class RemoteAttribute(Attribute):
    """A remote's own attribute, or a webhook one: a header, a query parameter or a body member."""

    VARIABLES = REMOTE_VARIABLES


class RemoteWSAttribute(WSAttribute):
    """A websocket attribute: body only (the seed's ``Header`` is read as ``Body``)."""

    VARIABLES = REMOTE_VARIABLES


class RemotePushNotifAttribute(PushNotifAttribute):
    """A push attribute: ``Header`` goes to the FCM data map, ``Body`` to the message."""

    VARIABLES = REMOTE_VARIABLES


class RemoteCallbackAttributes(_Input):
    """Per channel, attributes that add to or replace the callback's own, by key."""

    webhook: list[RemoteAttribute] | None = None
    websocket: list[RemoteWSAttribute] | None = None
    pushnotif: list[RemotePushNotifAttribute] | None = None


class _Envelope(_Input):
    label: str | None = None
    attributes: list[RemoteAttribute] = Field(default_factory=list)
    callbackAttributes: RemoteCallbackAttributes | None = None

    @field_validator("label")
    @classmethod
    def _label(cls, label: str | None) -> str | None:
        # the label may be written into a header through $RemoteLabel
        return None if label is None else _check_chars(label)


class _OccurenceIn(_Input):
    day: list[Day]


def _unique_slots(slots: Sequence[int | None]) -> None:
    seen: set[int] = set()
    for index, slot in enumerate(slots):
        if slot is None:
            continue
        if slot in seen:
            raise _Located(("programs", index, "slot"), f"slot {slot} is used twice")
        seen.add(slot)


class _PreconditioningProgramIn(_Input):
    slot: int = Field(ge=0, le=4)
    enabled: bool | None = None
    recurrence: Annotated[Recurrence, Field(strict=False)] = Recurrence.DAILY
    start: Duration | None = None
    occurence: _OccurenceIn | None = None
    actionsType: Literal["Set", "Delete"] = "Set"

    @model_validator(mode="after")
    def _set_needs_all(self) -> _PreconditioningProgramIn:
        if self.actionsType == "Set":
            for name in ("enabled", "start", "occurence"):
                if getattr(self, name) is None:
                    raise _Located((name,), "Field required when actionsType is Set")
        return self


class _AirConditioningIn(_Input):
    immediate: bool | None = None
    programs: list[_PreconditioningProgramIn] | None = Field(
        default=None, max_length=MAX_PRECONDITIONING_PROGRAMS
    )

    @model_validator(mode="after")
    def _rules(self) -> _AirConditioningIn:
        if self.immediate is None and self.programs is None:
            raise ValueError("needs at least one of immediate, programs")
        _unique_slots([program.slot for program in self.programs or ()])
        return self


class _PreconditioningIn(_Input):
    airConditioning: _AirConditioningIn


class _ChargeProgramIn(_Input):
    slot: int | None = Field(default=None, ge=0, le=4)
    enabled: bool | None = None
    recurrence: Annotated[Recurrence, Field(strict=False)] | None = None
    start: Duration
    end: Duration | None = None
    occurence: _OccurenceIn | None = None


class _ChargingScheduleIn(_Input):
    nextDelayedTime: Timestamp | None = None
    programs: list[_ChargeProgramIn] | None = None

    @model_validator(mode="after")
    def _one_mode(self) -> _ChargingScheduleIn:
        if self.nextDelayedTime is None and self.programs is None:
            raise ValueError("needs one of nextDelayedTime, programs")
        if self.nextDelayedTime is not None and self.programs is not None:
            raise _Located(("programs",), "cannot be combined with nextDelayedTime")
        _unique_slots([program.slot for program in self.programs or ()])
        return self


ChargeLevel = Literal["Level1", "Level2", "Level3", "Level4", "Level5"]
ChargeKind = Literal["Partial", "Full"]


class _PreferencesIn(_Input):
    level: ChargeLevel | None = None
    type: ChargeKind | None = None

    @model_validator(mode="after")
    def _one_at_least(self) -> _PreferencesIn:
        if self.level is None and self.type is None:
            raise ValueError("needs at least one of level, type")
        return self


class _ChargingIn(_Input):
    immediate: bool | None = None
    nextDelayedTime: Timestamp | None = None  # deprecated: schedule.nextDelayedTime
    schedule: _ChargingScheduleIn | None = None
    preferences: _PreferencesIn | None = None

    @model_validator(mode="after")
    def _rules(self) -> _ChargingIn:
        timed = self.nextDelayedTime is not None or self.schedule is not None
        if self.preferences is None and self.immediate is None and not timed:
            raise ValueError("needs at least one of immediate, schedule, preferences")
        if self.preferences is not None and (self.immediate is not None or timed):
            raise _Located(("preferences",), "cannot be combined with immediate or schedule")
        if self.nextDelayedTime is not None and self.schedule is not None:
            raise _Located(
                ("nextDelayedTime",), "cannot be combined with schedule (deprecated: use schedule)"
            )
        return self


class _PointIn(_Input):
    type: Literal["Point"]
    coordinates: list[Coordinate]

    @field_validator("coordinates")
    @classmethod
    def _coordinates(cls, coordinates: list[float]) -> list[float]:
        if not 2 <= len(coordinates) <= 3:
            raise ValueError("must be [longitude, latitude] or [longitude, latitude, altitude]")
        longitude, latitude = coordinates[0], coordinates[1]
        if not -180 <= longitude <= 180:
            raise ValueError(f"longitude {longitude} is out of -180..180")
        if not -90 <= latitude <= 90:
            raise ValueError(f"latitude {latitude} is out of -90..90")
        return coordinates


class _NavigationIn(_Input):
    positions: list[_PointIn] = Field(min_length=1, max_length=MAX_POSITIONS)
    driverApproval: bool = False  # deprecated


class _StateIn(_Input):
    action: Literal["state"] = "state"


class _WakeUpIn(_Input):
    action: Literal["WakeUp"] = "WakeUp"


# ------------------------------------------------------------------ action parameters
class _Params(BaseModel):
    """An action's parameters, built by :func:`parse_remote` (not read from JSON)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    def wire(self) -> dict[str, Any]:
        """The action object of the canonical request."""
        return self.model_dump(mode="json", exclude_none=True)


class PreconditioningProgram(_Params):
    """One air conditioning program: ``Set`` (create or replace the slot) or ``Delete``."""

    slot: int
    actions_type: Literal["Set", "Delete"] = "Set"
    enabled: bool | None = None  # None only for Delete
    recurrence: Recurrence | None = None  # None only for Delete
    start: timedelta | None = None  # from midnight; None only for Delete
    days: tuple[Weekday, ...] = ()

    def wire(self) -> dict[str, Any]:
        if self.actions_type == "Delete":
            return {"slot": self.slot, "actionsType": "Delete"}
        assert self.start is not None and self.recurrence is not None
        return {
            "slot": self.slot,
            "enabled": self.enabled,
            "recurrence": str(self.recurrence),
            "start": _iso_duration(self.start),
            "occurence": {"day": [str(day) for day in self.days]},
            "actionsType": "Set",
        }


class Preconditioning(_Params):
    """``preconditioning.airConditioning``: start/stop now and/or (re)program slots."""

    immediate: bool | None = None
    programs: tuple[PreconditioningProgram, ...] | None = None

    def wire(self) -> dict[str, Any]:
        conditioning: dict[str, Any] = {}
        if self.immediate is not None:
            conditioning["immediate"] = self.immediate
        if self.programs is not None:
            conditioning["programs"] = [program.wire() for program in self.programs]
        return {"airConditioning": conditioning}


class _SimpleAction(_Input):
    """An action whose wire model is its parameters."""

    def wire(self) -> dict[str, Any]:
        """The action object of the canonical request."""
        return self.model_dump(mode="json", exclude_none=True)


class Immobilization(_SimpleAction):
    """``immobilization`` (seed): while active the vehicle cannot start a trip."""

    activate: bool


class Doors(_SimpleAction):
    """``door``: lock or unlock; ``forced`` (deprecated) adds a feedback detail."""

    state: Literal["Locked", "Unlocked"]
    forced: bool = False


class Horn(_SimpleAction):
    """``horn``."""

    state: Literal["Activated", "Unactivated"]


class ChargeProgram(_Params):
    """One program of ``charging.schedule.programs``."""

    start: timedelta  # from midnight
    end: timedelta | None = None  # from midnight; before start means the next day
    slot: int | None = None
    enabled: bool | None = None
    recurrence: Recurrence | None = None
    days: tuple[Weekday, ...] = ()  # empty: no occurence given

    def wire(self) -> dict[str, Any]:
        program: dict[str, Any] = {}
        if self.slot is not None:
            program["slot"] = self.slot
        if self.enabled is not None:
            program["enabled"] = self.enabled
        if self.recurrence is not None:
            program["recurrence"] = str(self.recurrence)
        program["start"] = _iso_duration(self.start)
        if self.end is not None:
            program["end"] = _iso_duration(self.end)
        if self.days:
            program["occurence"] = {"day": [str(day) for day in self.days]}
        return program


class ChargingPreferences(_Params):
    level: ChargeLevel | None = None
    type: ChargeKind | None = None


class Charging(_Params):
    """``charging``: start/stop now, a delayed start or programs, or preferences alone."""

    immediate: bool | None = None
    next_delayed_time: datetime | None = None  # top-level (deprecated) or in schedule
    programs: tuple[ChargeProgram, ...] | None = None
    preferences: ChargingPreferences | None = None

    def wire(self) -> dict[str, Any]:
        charging: dict[str, Any] = {}
        if self.immediate is not None:
            charging["immediate"] = self.immediate
        if self.next_delayed_time is not None:
            charging["schedule"] = {"nextDelayedTime": _iso_time(self.next_delayed_time)}
        elif self.programs is not None:
            charging["schedule"] = {"programs": [program.wire() for program in self.programs]}
        if self.preferences is not None:
            charging["preferences"] = self.preferences.wire()
        return charging


class Stolen(_SimpleAction):
    """``stolen`` (seed): the vehicle stays awake and reports its position often."""

    stolen: bool


class Lights(_SimpleAction):
    """``lights`` (the seed's ``ligths``)."""

    on: bool


class WakeUp(_Params):
    """``wakeUp`` (reference) or ``state`` (seed): wake up and send a fresh sample."""

    def wire(self) -> dict[str, Any]:
        return {"action": "WakeUp"}


class Position(_Params):
    """A GeoJSON Point of ``navigation.positions``."""

    longitude: float
    latitude: float
    altitude: float | None = None

    @property
    def coordinates(self) -> tuple[float, ...]:
        """As GeoJSON orders them: longitude, latitude and the altitude if given."""
        if self.altitude is None:
            return (self.longitude, self.latitude)
        return (self.longitude, self.latitude, self.altitude)

    def wire(self) -> dict[str, Any]:
        return {"type": "Point", "coordinates": list(self.coordinates)}


class Navigation(_Params):
    """``navigation``: waypoints then the destination (the last position)."""

    positions: tuple[Position, ...]
    driver_approval: bool = False  # deprecated

    @property
    def destination(self) -> Position:
        return self.positions[-1]

    def wire(self) -> dict[str, Any]:
        return {
            "positions": [position.wire() for position in self.positions],
            "driverApproval": self.driver_approval,
        }


ActionParams: TypeAlias = (
    Preconditioning
    | Immobilization
    | Doors
    | Horn
    | Charging
    | Stolen
    | Lights
    | WakeUp
    | Navigation
)


# ------------------------------------------------------------------ wire -> parameters
def _occurence_days(occurence: _OccurenceIn | None) -> tuple[Weekday, ...]:
    return () if occurence is None else _days(occurence.day)


def _preconditioning(body: _PreconditioningIn) -> Preconditioning:
    conditioning = body.airConditioning
    programs = None
    if conditioning.programs is not None:
        programs = tuple(
            PreconditioningProgram(slot=program.slot, actions_type="Delete")
            if program.actionsType == "Delete"
            else PreconditioningProgram(
                slot=program.slot,
                enabled=program.enabled,
                recurrence=program.recurrence,
                start=program.start,
                days=_occurence_days(program.occurence),
            )
            for program in conditioning.programs
        )
    return Preconditioning(immediate=conditioning.immediate, programs=programs)


def _charging(body: _ChargingIn) -> Charging:
    schedule = body.schedule
    programs = None
    if schedule is not None and schedule.programs is not None:
        programs = tuple(
            ChargeProgram(
                start=program.start,
                end=program.end,
                slot=program.slot,
                enabled=program.enabled,
                recurrence=program.recurrence,
                days=_occurence_days(program.occurence),
            )
            for program in schedule.programs
        )
    preferences = None
    if body.preferences is not None:
        preferences = ChargingPreferences(level=body.preferences.level, type=body.preferences.type)
    return Charging(
        immediate=body.immediate,
        next_delayed_time=body.nextDelayedTime
        or (schedule.nextDelayedTime if schedule is not None else None),
        programs=programs,
        preferences=preferences,
    )


def _navigation(body: _NavigationIn) -> Navigation:
    return Navigation(
        positions=tuple(
            Position(
                longitude=point.coordinates[0],
                latitude=point.coordinates[1],
                altitude=point.coordinates[2] if len(point.coordinates) > 2 else None,
            )
            for point in body.positions
        ),
        driver_approval=body.driverApproval,
    )


def _itself(body: Any) -> ActionParams:
    assert isinstance(body, _SimpleAction)
    return cast(ActionParams, body)


def _wake_up(body: Any) -> WakeUp:
    return WakeUp()


_Reader = tuple[type[_Input], Callable[[Any], ActionParams]]
_READERS: dict[str, _Reader] = {
    "preconditioning": (_PreconditioningIn, _preconditioning),
    "preconditionning": (_PreconditioningIn, _preconditioning),
    "preonditionning": (_PreconditioningIn, _preconditioning),
    "immobilization": (Immobilization, _itself),
    "door": (Doors, _itself),
    "horn": (Horn, _itself),
    "charging": (_ChargingIn, _charging),
    "stolen": (Stolen, _itself),
    "lights": (Lights, _itself),
    "ligths": (Lights, _itself),
    "state": (_StateIn, _wake_up),
    "wakeUp": (_WakeUpIn, _wake_up),
    "navigation": (_NavigationIn, _navigation),
}
"""Per key of :data:`ACTION_KEYS`: the wire model, and how to read it."""


# ------------------------------------------------------------------ the command
@dataclass(frozen=True, slots=True)
class RemoteCommand:
    """A valid remote request."""

    action: ActionName
    remote_type: str
    scope: str
    label: str | None
    attributes: tuple[dict[str, str], ...]
    """The remote's own attributes (``type``, ``key``, ``value``), webhook rules."""
    callback_attributes: dict[str, tuple[dict[str, str], ...]]
    """Per channel given (``webhook``, ``websocket``, ``pushnotif``): attributes that add to
    or replace the callback's by key."""
    params: ActionParams
    remote: dict[str, Any]
    """The canonical request, stored and served back under ``remote``."""


def _action_key(data: dict[str, Any]) -> str:
    """The one action member of the body, or a 400."""
    found: str | None = None
    for key in data:
        if key in ENVELOPE_KEYS:
            continue
        if key not in ACTION_KEYS:
            raise InvalidField(
                key, f"{key} is not a known action (one of: {', '.join(WIRE_KEYS.values())})"
            )
        if found is not None:
            raise InvalidField(
                key, f"{key} is a second action: a remote takes exactly one (already {found})"
            )
        found = key
    if found is None:
        raise InvalidField(
            "body", f"body needs exactly one action: {', '.join(WIRE_KEYS.values())}"
        )
    return found


def _dumps(attributes: Sequence[BaseModel]) -> tuple[dict[str, str], ...]:
    return tuple(attribute.model_dump(mode="json") for attribute in attributes)


def parse_remote(data: Any) -> RemoteCommand:
    """Validate a ``POST .../remotes`` body.

    Raises :class:`InvalidField` naming the offending field (dotted path, e.g.
    ``door.state``, ``navigation.positions.0.coordinates``,
    ``preconditioning.airConditioning.programs.1.start``).
    """
    if not isinstance(data, dict):
        raise InvalidField("body", "body must be a JSON object")
    key = _action_key(data)
    try:
        envelope = _Envelope.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc, ()) from None
    if not isinstance(data[key], dict):
        raise InvalidField(key, f"{key} must be a JSON object")
    model, read = _READERS[key]
    try:
        params = read(model.model_validate(data[key]))
    except ValidationError as exc:
        raise _invalid(exc, (key,)) from None

    action = ACTION_KEYS[key]
    callback_attributes: dict[str, tuple[dict[str, str], ...]] = {}
    if envelope.callbackAttributes is not None:
        channels = envelope.callbackAttributes
        for channel, given in (
            ("webhook", channels.webhook),
            ("websocket", channels.websocket),
            ("pushnotif", channels.pushnotif),
        ):
            if given is not None:
                callback_attributes[channel] = _dumps(given)
    attributes = _dumps(envelope.attributes)

    remote: dict[str, Any] = {}
    if envelope.label is not None:
        remote["label"] = envelope.label
    remote["attributes"] = [dict(attribute) for attribute in attributes]
    if envelope.callbackAttributes is not None:
        remote["callbackAttributes"] = {
            channel: [dict(attribute) for attribute in given]
            for channel, given in callback_attributes.items()
        }
    remote[WIRE_KEYS[action]] = params.wire()
    return RemoteCommand(
        action=action,
        remote_type=REMOTE_TYPES[action],
        scope=SCOPES[action],
        label=envelope.label,
        attributes=attributes,
        callback_attributes=callback_attributes,
        params=params,
        remote=remote,
    )
