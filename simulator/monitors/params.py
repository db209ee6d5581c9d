"""The body of ``POST``/``PUT`` of a monitor, in both forms, validated.

:func:`parse_monitor` turns a decoded JSON body into a :class:`MonitorSpec`: the
triggers as typed specs, the boolean expression, the routing (callback
attributes, or the older form's own webhook with its ``retryPolicy`` and
``batchNotify``), the extensions, and the canonical request served back under
``monitor``.  Every rule broken is a 400 naming the field as a dotted path
spelt as the client sent it (``triggerParam.triggers.1.zone.place.radius``).

Accepted spellings (``connectedcar-v4.md``, "Monitors"): a circle as ``place``
(the reference) or ``circle`` (the tutorial) or the older ``ExtCircle``; a
polygon as ``place``/``polygon`` ``{type: Polygon, coordinates}`` with one ring
of ``[lon, lat]`` pairs (closed or not, GeoJSON's extra nesting accepted); the
older ``triggerParam`` of ``dataTriggers`` and ``timeZoneTriggers`` (all ANDed,
never mixed with ``triggers``).

Domain code: pydantic only, no aiohttp.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from simulator.bodies.errors import Located, invalid
from simulator.bodies.rules import (
    DAY,
    HTTPS_URL,
    NO_FORBIDDEN_CHARS,
    Coordinate,
    Day,
    Input,
    at_least_one,
    check_url,
    days,
    given,
    iso_duration,
    rfc3339,
    time_of_day,
    url_schema,
)
from simulator.callbacks.attributes import (
    MONITOR_VARIABLES,
    Attribute,
    PushNotifAttribute,
    WSAttribute,
    absolute_url,
    check_chars,
)
from simulator.callbacks.channels import BatchNotify, InlineWebhook, RetryPolicy
from simulator.errors import InvalidField
from simulator.fleet.enums import TelemetryKind, Weekday
from simulator.monitors import fields as f
from simulator.monitors.boolexp import BoolExp, BoolExpError, compile_boolexp
from simulator.monitors.geometry import Circle, Polygon

MAX_TRIGGERS = 5
MAX_MONITORS = 5  # per vehicle, user and client (the reference)
MAX_RADIUS_KM = 1000.0  # (sim)
MIN_RADIUS_KM = 0.1  # (sim) 100 m: inside the 50 m hysteresis band on both sides
MAX_TIMES = 10  # (sim) time windows per time trigger
NAME = re.compile(r"^[a-zA-Z]+[.\-_]?[0-9]*$")
EXTENSIONS = (
    "vehicle.doorsState",
    "vehicle.status",
    "vehicle.maintenance",
    "vehicle.position",
    "vehicle.telemetry",
    "vehicle.alerts",
    "vehicle.alarm",
    "vehicle.trip",
)
TELEMETRY_EXTENSIONS = frozenset(f"vehicle.telemetry.{kind.value}" for kind in TelemetryKind)
_EXTENSIONS_SCHEMA: dict[str, Any] = {  # documents _extensions()
    "items": {"type": "string", "enum": [*EXTENSIONS, *sorted(TELEMETRY_EXTENSIONS)]}
}
DEFAULT_TIME_ZONE = "Europe/Paris"
Path: TypeAlias = tuple[str | int, ...]


# ------------------------------------------------------------------ typed specs
@dataclass(frozen=True, slots=True)
class ZoneSpec:
    name: str
    transition: Literal["In", "Out"]
    shape: Circle | Polygon


@dataclass(frozen=True, slots=True)
class Window:
    """A time window: ``Daily`` from ``start`` after local midnight on ``days``, or once
    from an absolute ``start`` (``None`` recurrence, open-ended without a duration)."""

    daily: bool
    start: timedelta | datetime
    duration: timedelta | None
    days: tuple[Weekday, ...] = ()


@dataclass(frozen=True, slots=True)
class TimeSpec:
    name: str
    windows: tuple[Window, ...]
    zone: ZoneInfo


@dataclass(frozen=True, slots=True)
class DataSpec:
    name: str
    field: f.Field
    data: str  # as the client named it (an older name stays as sent)
    op: f.Op
    values: tuple[object, ...]
    previous: tuple[f.Op, tuple[object, ...]] | None = None


TriggerSpec: TypeAlias = ZoneSpec | TimeSpec | DataSpec


@dataclass(frozen=True, slots=True)
class MonitorSpec:
    label: str
    triggers: tuple[TriggerSpec, ...]
    expression: BoolExp
    monitor: dict[str, Any]  # the canonical request, served back under ``monitor``
    refresh_s: int | None = None
    attributes: tuple[dict[str, str], ...] = ()
    callback_attributes: dict[str, tuple[dict[str, str], ...]] = field(default_factory=dict)
    extended: tuple[str, ...] = ()
    inline: InlineWebhook | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    batch: BatchNotify | None = None


# ------------------------------------------------------------------ wire models
class MonitorAttribute(Attribute):
    VARIABLES = MONITOR_VARIABLES


class MonitorWSAttribute(WSAttribute):
    VARIABLES = MONITOR_VARIABLES


class MonitorPushNotifAttribute(PushNotifAttribute):
    VARIABLES = MONITOR_VARIABLES


class _CallbackAttributesIn(Input):
    webhook: list[MonitorAttribute] | None = None
    websocket: list[MonitorWSAttribute] | None = None
    pushnotif: list[MonitorPushNotifAttribute] | None = None


class _InlineWebhookIn(Input):
    target: str = Field(json_schema_extra=url_schema(HTTPS_URL))
    name: str = Field(min_length=1, json_schema_extra=NO_FORBIDDEN_CHARS)
    attributes: list[MonitorAttribute] = Field(default_factory=list)

    @field_validator("target")
    @classmethod
    def _target(cls, target: str) -> str:
        check_url(HTTPS_URL, target, "an https URL")
        return absolute_url(target, ("https",), "an https URL")

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        return check_chars(name)


class _BatchNotifyIn(Input):
    size: int = Field(ge=1, le=1000, description="events per batch at most")
    timeWindow: float = Field(
        ge=60, le=86400, allow_inf_nan=False, description="seconds a batch waits at most"
    )


class _RetryPolicyIn(Input):
    # documents _bounded()
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"required": ["policy"], "properties": {"policy": {"const": "Bounded"}}},
            "then": given("maxRetryNumber"),
        }
    )

    policy: Literal["None", "Bounded", "Always"]
    maxRetryNumber: int | None = Field(
        default=None, ge=1, le=100, description="retries after the first attempt (Bounded)"
    )
    retryDelay: int = Field(default=10, ge=1, le=3600, description="seconds between attempts")

    @model_validator(mode="after")
    def _bounded(self) -> _RetryPolicyIn:
        if self.policy == "Bounded" and self.maxRetryNumber is None:
            raise Located(("maxRetryNumber",), "Field required when policy is Bounded")
        return self


class _SubscribeIn(Input):
    refreshEvent: float | None = Field(
        default=None,
        ge=60,
        le=7 * 86400,
        allow_inf_nan=False,
        description="seconds: notify again every so often while the expression holds",
    )
    callbackAttributes: _CallbackAttributesIn | None = None
    # the older form only
    callback: _InlineWebhookIn | None = None
    batchNotify: _BatchNotifyIn | None = None
    retryPolicy: _RetryPolicyIn | None = None


class _Envelope(Input):
    label: str = Field(min_length=1, json_schema_extra=NO_FORBIDDEN_CHARS)
    locale: str | None = None
    subscribeParam: _SubscribeIn | None = None
    attributes: list[MonitorAttribute] = Field(default_factory=list)
    extendedEventParam: list[str] = Field(
        default_factory=list,
        json_schema_extra=_EXTENSIONS_SCHEMA,
    )
    triggerParam: dict[str, Any]

    @field_validator("label")
    @classmethod
    def _label(cls, label: str) -> str:
        return check_chars(label)  # it may be written into a header through $MonitorLabel

    @field_validator("extendedEventParam")
    @classmethod
    def _extensions(cls, wanted: list[str]) -> list[str]:
        for index, name in enumerate(wanted):
            if name not in EXTENSIONS and name not in TELEMETRY_EXTENSIONS:
                raise Located(
                    (index,),
                    f"{name!r} is not one of {', '.join(EXTENSIONS)} "
                    "(or vehicle.telemetry.<TelemetryEnum>)",
                )
        return list(dict.fromkeys(wanted))


class _CenterIn(Input):
    longitude: Coordinate = Field(ge=-180, le=180, description="degrees east (WGS 84)")
    latitude: Coordinate = Field(ge=-90, le=90, description="degrees north (WGS 84)")


class _CircleIn(Input):
    center: _CenterIn
    radius: float = Field(
        ge=MIN_RADIUS_KM,
        le=MAX_RADIUS_KM,
        allow_inf_nan=False,
        description=f"km ({MIN_RADIUS_KM:g} km = 100 m at least)",
    )


class _ExtCircleIn(Input):
    type: Literal["ExtCircle"]
    coordinates: _CircleIn


class _PolygonIn(Input):
    type: Literal["Polygon"] = "Polygon"
    coordinates: list[Any] = Field(
        min_length=1,
        description="one ring of [longitude, latitude] pairs in degrees, closed or not "
        "(GeoJSON's list of rings accepted: its first ring)",
    )

    @field_validator("coordinates")
    @classmethod
    def _ring(cls, ring: list[Any]) -> list[Any]:
        if (
            len(ring) == 1
            and isinstance(ring[0], list)
            and ring[0]
            and isinstance(ring[0][0], list)
        ):
            ring = ring[0]  # GeoJSON: a list of rings, the first the outer one
        for index, point in enumerate(ring):
            if (
                not isinstance(point, list)
                or len(point) not in (2, 3)
                or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in point)
            ):
                raise Located((index,), "must be a [longitude, latitude] pair of numbers")
            lon, lat = point[0], point[1]
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise Located((index,), "longitude must be in -180..180, latitude in -90..90")
        return ring


class _ZoneIn(Input):
    transition: Literal["In", "Out"] = Field(description="In: on entering; Out: on leaving")
    place: dict[str, Any] | None = None
    circle: dict[str, Any] | None = None
    polygon: dict[str, Any] | None = None


class _OccurenceIn(Input):
    day: list[Day] = Field(min_length=1, max_length=7, description="the days of the window")


class _TimeEntryIn(Input):
    recurrence: Literal["Daily", "None"] | None = Field(
        default=None,
        description="Daily: every day (or the days of occurence); None: once. Default: "
        "None when start is a date-time, else Daily",
    )
    start: str = Field(
        description="Daily: an ISO 8601 duration from local midnight (PT23H is 23:00); "
        "None: an RFC 3339 date-time with its offset"
    )
    duration: str | None = Field(
        default=None,
        description="an ISO 8601 duration (PT6H): required with Daily (at most P1D); "
        "with None, without it the window stays open",
    )
    occurence: _OccurenceIn | None = Field(default=None, description="Daily only")


class _TimeIn(Input):
    times: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_TIMES)
    timeZone: str = Field(
        default=DEFAULT_TIME_ZONE, description="an IANA time zone: the windows' local time"
    )

    @field_validator("timeZone")
    @classmethod
    def _zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not an IANA time zone, such as Europe/Paris") from None
        return name


class _PreviousIn(Input):
    value: list[str] = Field(min_length=1)
    op: Literal["equalsTo", "includedIn"]


class _DataIn(Input):
    # the enums document _data(): the names f.lookup() knows, the operators f.OPS and aliases
    data: str = Field(
        description="the vehicle data watched (type and unit, operators): "
        + "; ".join(f.described(name) for name in f.FIELDS),
        json_schema_extra={"enum": list(sorted({*f.FIELDS, *f.ALIASES}))},
    )
    op: str = Field(
        description="onChange takes no value, includedIn one or more, the others exactly one",
        json_schema_extra={"enum": [*f.OPS, *f.OP_ALIASES]},
    )
    value: list[str] | str | int | float | bool | None = Field(
        default=None, description='the value(s) compared, in the data\'s unit ("10" is 10 %)'
    )
    previous: _PreviousIn | None = Field(
        default=None, description="and the state before was (enums and booleans)"
    )


class _TriggerIn(Input):
    name: str = Field(json_schema_extra={"pattern": NAME.pattern})
    zone: dict[str, Any] | None = None
    time: dict[str, Any] | None = None
    data: dict[str, Any] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not NAME.match(name):
            raise ValueError("must match [a-zA-Z]+[.-_]?[0-9]* (e.g. z1, home, fuel_2)")
        return name


class _TimeZoneTriggersIn(Input):
    """The members of the older ``timeZoneTriggers`` that :func:`_legacy` reads, each
    then validated as a zone or a time trigger (the OpenAPI document types them so)."""

    zoneTrigger: dict[str, Any] | None = None
    timeTrigger: dict[str, Any] | None = None


class _TriggerParamIn(Input):
    # documents _trigger_param(): triggers with boolExp, or the older forms, never both
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "allOf": [given("triggers"), given("boolExp")],
                    "not": at_least_one("dataTriggers", "timeZoneTriggers"),
                },
                {**at_least_one("dataTriggers", "timeZoneTriggers"), "not": given("triggers")},
            ]
        }
    )

    triggers: list[dict[str, Any]] | None = Field(default=None, min_length=1, max_length=5)
    boolExp: str | None = None
    dataTriggers: list[dict[str, Any]] | None = None
    timeZoneTriggers: dict[str, Any] | None = None


# ------------------------------------------------------------------ helpers
def _model(model: type[Input], data: Any, path: Path) -> Any:
    if not isinstance(data, dict):
        name = ".".join(str(p) for p in path)
        raise InvalidField(name, f"{name} must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc, path) from None


def _fail(path: Path, message: str) -> InvalidField:
    name = ".".join(str(p) for p in path)
    return InvalidField(name, f"{name} {message}")


def _dump(value: BaseModel) -> dict[str, Any]:
    return value.model_dump(mode="json", exclude_none=True)


# ------------------------------------------------------------------ triggers
def _zone(name: str, data: dict[str, Any], path: Path) -> tuple[ZoneSpec, dict[str, Any]]:
    zone: _ZoneIn = _model(_ZoneIn, data, path)
    given = [k for k in ("place", "circle", "polygon") if getattr(zone, k) is not None]
    if len(given) != 1:
        raise _fail(path, "needs exactly one of place, circle, polygon")
    key = given[0]
    raw: dict[str, Any] = getattr(zone, key)
    where = (*path, key)
    shape: Circle | Polygon
    wire: dict[str, Any] = {"transition": zone.transition}
    if key == "polygon" or raw.get("type") == "Polygon":
        polygon: _PolygonIn = _model(_PolygonIn, raw, where)
        points = [(float(p[0]), float(p[1])) for p in polygon.coordinates]
        try:
            shape = Polygon(points)
        except ValueError as exc:
            raise _fail((*where, "coordinates"), str(exc)) from None
        wire[key] = {"type": "Polygon", "coordinates": [list(p) for p in points]}
    else:
        circle: _CircleIn
        if raw.get("type") == "ExtCircle":
            circle = _model(_ExtCircleIn, raw, where).coordinates
        else:
            circle = _model(_CircleIn, raw, where)
        shape = Circle(circle.center.longitude, circle.center.latitude, circle.radius)
        radius: float | int = int(circle.radius) if circle.radius.is_integer() else circle.radius
        wire[key] = {
            "center": {"longitude": circle.center.longitude, "latitude": circle.center.latitude},
            "radius": radius,
        }
    return ZoneSpec(name, zone.transition, shape), wire


def _window(entry: _TimeEntryIn, path: Path) -> tuple[Window, dict[str, Any]]:
    recurrence = entry.recurrence
    if (
        recurrence is None
    ):  # (sim) the reference's default is Daily; an RFC 3339 start reads as None
        recurrence = (
            "None" if "T" in entry.start[1:] and not entry.start.startswith("P") else "Daily"
        )
    wire: dict[str, Any] = {"recurrence": recurrence, "start": entry.start}
    if recurrence == "Daily":
        try:
            start: timedelta | datetime = time_of_day(entry.start)
        except ValueError as exc:
            raise _fail((*path, "start"), str(exc)) from None
        if entry.duration is None:
            raise _fail((*path, "duration"), "Field required when recurrence is Daily")
        try:
            duration: timedelta | None = iso_duration(entry.duration, at_most=DAY)
        except ValueError as exc:
            raise _fail((*path, "duration"), str(exc)) from None
        chosen = days(entry.occurence.day) if entry.occurence is not None else tuple(Weekday)
        wire["duration"] = entry.duration
        if entry.occurence is not None:
            wire["occurence"] = {"day": [d.value for d in chosen]}
        return Window(True, start, duration, chosen), wire
    if entry.occurence is not None:
        raise _fail((*path, "occurence"), "is only allowed when recurrence is Daily")
    try:
        start = rfc3339(entry.start)
    except ValueError as exc:
        raise _fail((*path, "start"), str(exc)) from None
    duration = None
    if entry.duration is not None:
        try:
            duration = iso_duration(entry.duration)
        except ValueError as exc:
            raise _fail((*path, "duration"), str(exc)) from None
        wire["duration"] = entry.duration
    return Window(False, start, duration), wire


def _time(name: str, data: dict[str, Any], path: Path) -> tuple[TimeSpec, dict[str, Any]]:
    time_in: _TimeIn = _model(_TimeIn, data, path)
    windows: list[Window] = []
    wires: list[dict[str, Any]] = []
    for index, raw in enumerate(time_in.times):
        where = (*path, "times", index)
        window, wire = _window(_model(_TimeEntryIn, raw, where), where)
        windows.append(window)
        wires.append(wire)
    spec = TimeSpec(name, tuple(windows), ZoneInfo(time_in.timeZone))
    return spec, {"times": wires, "timeZone": time_in.timeZone}


def _typed(field_: f.Field, values: list[str], path: Path) -> tuple[object, ...]:
    typed: list[object] = []
    for index, text in enumerate(values):
        try:
            check_chars(text)
            typed.append(f.parse_value(field_, text))
        except ValueError as exc:
            raise _fail((*path, index), str(exc)) from None
    return tuple(typed)


def _data(name: str, data: dict[str, Any], path: Path) -> tuple[DataSpec, dict[str, Any]]:
    given: _DataIn = _model(_DataIn, data, path)
    field_ = f.lookup(given.data)
    if field_ is None:
        raise _fail(
            (*path, "data"),
            f"{given.data!r} is not a data a trigger can watch (one of: {', '.join(f.FIELDS)})",
        )
    op_name = f.OP_ALIASES.get(given.op, given.op)
    if op_name not in f.OPS:
        raise _fail((*path, "op"), f"{given.op!r} is not one of {', '.join(f.OPS)}")
    op: f.Op = op_name
    if op not in field_.ops:
        raise _fail(
            (*path, "op"),
            f"{op} is not allowed with {given.data} (allowed: {', '.join(field_.ops)})",
        )
    raw = given.value
    values: list[str] = (
        [] if raw is None else [str(v) for v in raw] if isinstance(raw, list) else [_scalar(raw)]
    )
    where = (*path, "value")
    if op == "onChange":
        if values:
            raise _fail(where, "must be absent with onChange")
    elif op == "includedIn":
        if not values:
            raise _fail(where, "needs at least one value with includedIn")
    elif len(values) != 1:
        raise _fail(where, f"needs exactly one value with {op}")
    typed = _typed(field_, values, where)
    wire: dict[str, Any] = {"data": given.data, "op": op}
    if values:
        wire["value"] = values
    previous = None
    if given.previous is not None:
        prev_path = (*path, "previous")
        if given.previous.op not in field_.previous_ops:
            raise _fail(
                (*prev_path, "op"),
                f"a previous state with {given.previous.op} is not allowed for {given.data} "
                f"(allowed: {', '.join(field_.previous_ops) or 'none'})",
            )
        if given.previous.op == "equalsTo" and len(given.previous.value) != 1:
            raise _fail((*prev_path, "value"), "needs exactly one value with equalsTo")
        prev_values = _typed(field_, given.previous.value, (*prev_path, "value"))
        previous = (given.previous.op, prev_values)
        wire["previous"] = {"value": given.previous.value, "op": given.previous.op}
    return DataSpec(name, field_, given.data, op, typed, previous), wire


def _scalar(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _trigger(raw: Any, path: Path) -> tuple[TriggerSpec, dict[str, Any]]:
    trigger: _TriggerIn = _model(_TriggerIn, raw, path)
    kinds = [k for k in ("zone", "time", "data") if getattr(trigger, k) is not None]
    if len(kinds) != 1:
        raise _fail(path, "needs exactly one of zone, time, data")
    kind = kinds[0]
    where: Path = (*path, kind)
    spec: TriggerSpec
    if kind == "zone":
        spec, wire = _zone(trigger.name, getattr(trigger, kind), where)
    elif kind == "time":
        spec, wire = _time(trigger.name, getattr(trigger, kind), where)
    else:
        spec, wire = _data(trigger.name, getattr(trigger, kind), where)
    return spec, {"name": trigger.name, kind: wire}


def _legacy(param: _TriggerParamIn) -> tuple[list[tuple[TriggerSpec, dict[str, Any]]], str]:
    """The older ``dataTriggers`` / ``timeZoneTriggers``: named and ANDed."""
    found: list[tuple[TriggerSpec, dict[str, Any]]] = []
    base: Path = ("triggerParam",)
    for index, raw in enumerate(param.dataTriggers or ()):
        path: Path = (*base, "dataTriggers", index)
        if not isinstance(raw, dict):
            raise _fail(path, "must be a JSON object")
        spec, wire = _data(f"data{index + 1}", raw, path)
        found.append((spec, {"name": spec.name, "data": wire}))
    if param.timeZoneTriggers is not None:
        path = (*base, "timeZoneTriggers")
        tzt = param.timeZoneTriggers
        for key, name, reader in (
            ("zoneTrigger", "zone", _zone),
            ("timeTrigger", "time", _time),
        ):
            if tzt.get(key) is not None:
                spec_, wire_ = reader(name, tzt[key], (*path, key))
                found.append((spec_, {"name": name, key.removesuffix("Trigger"): wire_}))
    if not found:
        raise _fail(base, "needs triggers (or the older dataTriggers / timeZoneTriggers)")
    if len(found) > MAX_TRIGGERS:
        raise _fail(base, f"has more than {MAX_TRIGGERS} triggers")
    return found, " & ".join(spec.name for spec, _ in found)


def _trigger_param(data: dict[str, Any]) -> tuple[tuple[TriggerSpec, ...], BoolExp, dict[str, Any]]:
    param: _TriggerParamIn = _model(_TriggerParamIn, data, ("triggerParam",))
    legacy = param.dataTriggers is not None or param.timeZoneTriggers is not None
    if param.triggers is not None and legacy:
        raise _fail(
            ("triggerParam",),
            "cannot combine triggers with the older dataTriggers / timeZoneTriggers",
        )
    if param.triggers is None and not legacy:
        raise _fail(("triggerParam", "triggers"), "Field required")
    if param.triggers is not None:
        found = [
            _trigger(raw, ("triggerParam", "triggers", index))
            for index, raw in enumerate(param.triggers)
        ]
        seen: set[str] = set()
        for index, (spec, _) in enumerate(found):
            if spec.name in seen:
                raise _fail(
                    ("triggerParam", "triggers", index, "name"), f"{spec.name!r} is used twice"
                )
            seen.add(spec.name)
        if param.boolExp is None:
            raise _fail(("triggerParam", "boolExp"), "Field required")
        text = param.boolExp
    else:
        found, text = _legacy(param)
    specs = tuple(spec for spec, _ in found)
    try:
        check_chars(text)
        expression = compile_boolexp(text, [spec.name for spec in specs])
    except BoolExpError as exc:
        raise InvalidField("triggerParam.boolExp", f"triggerParam.{exc}") from None
    except ValueError as exc:
        raise _fail(("triggerParam", "boolExp"), str(exc)) from None
    wire = {"triggers": [w for _, w in found], "boolExp": text}
    return specs, expression, wire


# ------------------------------------------------------------------ the body
def parse_monitor(data: Any, *, legacy: bool) -> MonitorSpec:
    """Validate a monitor body.  ``legacy``: the older form (``/user/vehicles/{id}/monitors``),
    whose ``subscribeParam.callback`` is the monitor's own webhook.

    Raises :class:`InvalidField` naming the offending field.
    """
    if not isinstance(data, dict):
        raise InvalidField("body", "body must be a JSON object")
    envelope: _Envelope = _model(_Envelope, data, ())
    specs, expression, trigger_wire = _trigger_param(envelope.triggerParam)
    subscribe = envelope.subscribeParam
    monitor: dict[str, Any] = {"label": envelope.label}
    if envelope.locale is not None:
        monitor["locale"] = envelope.locale
    inline = None
    retry = RetryPolicy()
    batch = None
    callback_attributes: dict[str, tuple[dict[str, str], ...]] = {}
    sub_wire: dict[str, Any] = {}
    if subscribe is not None and subscribe.refreshEvent is not None:
        sub_wire["refreshEvent"] = int(subscribe.refreshEvent)
    if subscribe is not None and subscribe.callbackAttributes is not None:
        channels = subscribe.callbackAttributes
        for channel, given in (
            ("webhook", channels.webhook),
            ("websocket", channels.websocket),
            ("pushnotif", channels.pushnotif),
        ):
            if given is not None:
                callback_attributes[channel] = tuple(_dump(a) for a in given)
        sub_wire["callbackAttributes"] = {k: list(v) for k, v in callback_attributes.items()}
    if legacy:
        if subscribe is None or subscribe.callback is None:
            raise InvalidField(
                "subscribeParam.callback",
                "subscribeParam.callback (the monitor's webhook) is required in this form",
            )
        hook = subscribe.callback
        inline = InlineWebhook(hook.target, hook.name, tuple(_dump(a) for a in hook.attributes))
        sub_wire["callback"] = _dump(hook)
        if subscribe.retryPolicy is not None:
            given_retry = subscribe.retryPolicy
            retry = RetryPolicy(
                given_retry.policy,
                given_retry.maxRetryNumber or 0,
                float(given_retry.retryDelay),
            )
            sub_wire["retryPolicy"] = _dump(given_retry)
        if subscribe.batchNotify is not None:
            batch = BatchNotify(subscribe.batchNotify.size, subscribe.batchNotify.timeWindow)
            sub_wire["batchNotify"] = _dump(subscribe.batchNotify)
    if sub_wire:
        monitor["subscribeParam"] = sub_wire
    attributes = tuple(_dump(a) for a in envelope.attributes)
    monitor["attributes"] = list(attributes)
    if envelope.extendedEventParam:
        monitor["extendedEventParam"] = envelope.extendedEventParam
    monitor["triggerParam"] = trigger_wire
    refresh = sub_wire.get("refreshEvent")
    return MonitorSpec(
        label=envelope.label,
        triggers=specs,
        expression=expression,
        monitor=monitor,
        refresh_s=refresh,
        attributes=attributes,
        callback_attributes=callback_attributes,
        extended=tuple(envelope.extendedEventParam),
        inline=inline,
        retry=retry,
        batch=batch,
    )


__all__ = [
    "MAX_MONITORS",
    "DataSpec",
    "MonitorSpec",
    "TimeSpec",
    "TriggerSpec",
    "Window",
    "ZoneSpec",
    "parse_monitor",
]
