"""Monitors, in both forms: thin handlers over :class:`simulator.monitors.engine.MonitorEngine`.

Current form, bound to a callback whose type includes ``Monitor``:
``/user/vehicles/{id}/callbacks/{cbid}/monitors[/{mid}[/status]]``.  Older form,
with the monitor's own webhook in ``subscribeParam.callback``:
``/user/vehicles/{id}/monitors[/{mid}[/status]]``; its answers carry the older
``mid`` beside ``monitorId``.  The body is validated by
:func:`simulator.monitors.params.parse_monitor`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from simulator.api import schemas as s
from simulator.api.context import Context, page_response
from simulator.api.examples import (
    LEGACY_MONITOR_EXAMPLES,
    MONITOR_EXAMPLES,
    MONITOR_STATUS_EXAMPLES,
)
from simulator.api.http import model_response, read_json
from simulator.api.operations import Example, Operation, Param, refine_schema, v4_errors
from simulator.callbacks.model import CallbackType
from simulator.errors import InvalidField
from simulator.fleet import models as m
from simulator.monitors import params
from simulator.monitors.engine import Monitor
from simulator.monitors.params import parse_monitor

Status = Literal["Running", "Paused", "Failed"]


class MonitorRefLinks(s.ApiModel):
    monitor: s.Link


class MonitorRef(s.ApiModel):
    """Answer to POST, PUT and status PUT (reference: MonitorRef; ``mid`` for the older form)."""

    links: MonitorRefLinks = Field(alias="_links")
    monitorId: str
    mid: str | None = None
    status: Status
    createdAt: datetime
    updatedAt: datetime


class MonitorDoc(s.ApiModel):
    """One monitor (reference: Monitor; ``mid`` for the older form)."""

    links: s.SelfLinks = Field(alias="_links")
    monitorId: str
    mid: str | None = None
    monitor: dict[str, Any]
    status: Status
    createdAt: datetime
    updatedAt: datetime


class MonitorsEmbedded(s.ApiModel):
    monitors: list[MonitorDoc] = Field(default_factory=list)


class MonitorsPage(s.CollectionResult[MonitorsEmbedded]):
    """``GET .../monitors`` (reference: Monitors)."""


class MonitorStatusSetter(BaseModel):
    """The body of PUT .../monitors/{mid}/status: other members are ignored."""

    model_config = ConfigDict(extra="ignore", strict=True, defer_build=True)

    status: Literal["Running", "Paused"]


class _MonitorRequestBase(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, defer_build=True)


def _documented(model: type[BaseModel], name: str, doc: str, **typed: Any) -> type[BaseModel]:
    """``model`` (one that validates a part of a monitor body) with its members that it
    reads as plain objects (``dict``, validated next by the model ``parse_monitor`` picks)
    typed as those models: the schema of what is read, from the models that read it."""
    fields: dict[str, Any] = {
        key: (info.annotation, info) for key, info in model.model_fields.items()
    }
    for key, annotation in typed.items():
        fields[key] = (annotation, fields[key][1])
    made: type[BaseModel] = create_model(name, __base__=model, __doc__=doc, **fields)
    return made


_Shape = params._CircleIn | params._ExtCircleIn | params._PolygonIn
_Zone = _documented(
    params._ZoneIn,
    "MonitorZone",
    "A zone trigger: entering (In) or leaving (Out) a circle or a polygon; exactly one of "
    "place, circle, polygon.",
    place=_Shape | None,
    circle=_Shape | None,
    polygon=_Shape | None,
)
_Time = _documented(
    params._TimeIn,
    "MonitorTime",
    "A time trigger: true inside any of its windows (local time of timeZone).",
    times=list[params._TimeEntryIn],
)
_Trigger = _documented(
    params._TriggerIn,
    "MonitorTrigger",
    "One named trigger (boolExp names it): exactly one of zone, time, data.",
    zone=_Zone | None,
    time=_Time | None,
    data=params._DataIn | None,
)
_ZoneAndTime = _documented(
    params._TimeZoneTriggersIn,
    "MonitorTimeZoneTriggers",
    "The older form's zone and time triggers (ANDed with dataTriggers).",
    zoneTrigger=_Zone | None,
    timeTrigger=_Time | None,
)
_TriggerParam = _documented(
    params._TriggerParamIn,
    "MonitorTriggerParam",
    "Up to 5 triggers and boolExp over their names (& and, | or, ! not, parentheses); or "
    "the older dataTriggers and timeZoneTriggers, all ANDed.",
    triggers=list[_Trigger] | None,  # type: ignore[valid-type]
    dataTriggers=list[params._DataIn] | None,
    timeZoneTriggers=_ZoneAndTime | None,
)


def _monitor_request(name: str, doc: str) -> type[BaseModel]:
    fields: dict[str, Any] = {
        field: (info.annotation, info) for field, info in params._Envelope.model_fields.items()
    }
    fields["triggerParam"] = (_TriggerParam, ...)
    model: type[BaseModel] = create_model(name, __base__=_MonitorRequestBase, __doc__=doc, **fields)
    return model


MonitorRequest = _monitor_request(
    "MonitorRequest",
    "The body of POST and PUT .../callbacks/{cbid}/monitors[/{mid}], as parse_monitor reads "
    "it. What triggerParam may hold beyond its shape (each trigger's zone, time or data, "
    "boolExp naming the triggers) is the monitor language of connectedcar-v4.md: a 400 "
    "naming triggerParam.<...> says which rule.",
)
LegacyMonitorRequest = _monitor_request(
    "LegacyMonitorRequest",
    "The body of the older form (/user/vehicles/{id}/monitors): as MonitorRequest, with "
    "subscribeParam.callback, the monitor's own webhook, required.",
)


@refine_schema(LegacyMonitorRequest)
def _own_webhook(model: type[BaseModel], schema: dict[str, Any]) -> None:
    """``parse_monitor(legacy=True)``: ``subscribeParam.callback`` is required."""
    schema["required"] = sorted({*schema.get("required", ()), "subscribeParam"})
    schema["allOf"] = [
        {
            "properties": {
                "subscribeParam": {
                    "type": "object",
                    "required": ["callback"],
                    "properties": {"callback": {"type": "object"}},
                }
            }
        }
    ]


# ------------------------------------------------------------------ helpers
def _legacy(request: web.Request) -> bool:
    return "cbid" not in request.match_info


def _callback_id(ctx: Context) -> str | None:
    """The callback of the current form (404 unknown, 400 not serving monitors)."""
    if _legacy(ctx.request):
        return None
    return ctx.callback(CallbackType.MONITOR).id


def _href(ctx: Context, monitor: Monitor) -> str:
    base = f"{ctx.base}/user/vehicles/{monitor.vehicle_id}"
    if monitor.callback_id is not None:
        base += f"/callbacks/{monitor.callback_id}"
    return f"{base}/monitors/{monitor.id}"


def _time(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _ref(ctx: Context, monitor: Monitor) -> MonitorRef:
    return MonitorRef.model_validate(
        {
            "_links": {"monitor": {"href": _href(ctx, monitor)}},
            "monitorId": monitor.id,
            "mid": monitor.id if monitor.legacy else None,
            "status": monitor.status,
            "createdAt": _time(monitor.created_at),
            "updatedAt": _time(monitor.updated_at),
        }
    )


def monitor_dict(ctx: Context, monitor: Monitor) -> dict[str, Any]:
    return {
        "_links": {"self": {"href": _href(ctx, monitor)}},
        "monitorId": monitor.id,
        "mid": monitor.id if monitor.legacy else None,
        "monitor": monitor.spec.monitor,
        "status": monitor.status,
        "createdAt": _time(monitor.created_at),
        "updatedAt": _time(monitor.updated_at),
    }


def _find(ctx: Context, vehicle: m.Vehicle, callback_id: str | None) -> Monitor:
    return ctx.sim.monitors.get(
        vehicle.id,
        ctx.user_id,
        ctx.grant.client_id,
        ctx.request.match_info["mid"],
        callback_id,
    )


# ------------------------------------------------------------------ handlers
async def create_monitor(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    callback_id = _callback_id(ctx)
    spec = parse_monitor(await read_json(request), legacy=callback_id is None)
    monitor = ctx.sim.monitors.create(
        vehicle, ctx.user_id, ctx.grant.client_id, callback_id, spec, ctx.base
    )
    return model_response(_ref(ctx, monitor), status=202)


async def list_monitors(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    callback_id = _callback_id(ctx)
    found = ctx.sim.monitors.of_vehicle(vehicle.id, ctx.user_id, ctx.grant.client_id, callback_id)
    return page_response(ctx, MonitorsPage, found, lambda mon: monitor_dict(ctx, mon))


async def get_monitor(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    monitor = _find(ctx, vehicle, _callback_id(ctx))
    return model_response(MonitorDoc.model_validate(monitor_dict(ctx, monitor)))


async def replace_monitor(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    callback_id = _callback_id(ctx)
    monitor = _find(ctx, vehicle, callback_id)  # 404 before reading the body
    spec = parse_monitor(await read_json(request), legacy=monitor.legacy)
    ctx.sim.monitors.replace(monitor, spec)
    return model_response(_ref(ctx, monitor), status=202)


async def delete_monitor(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    ctx.sim.monitors.delete(_find(ctx, vehicle, _callback_id(ctx)))
    return web.Response(status=204)


async def set_monitor_status(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    monitor = _find(ctx, vehicle, _callback_id(ctx))
    body = await read_json(request)
    if not isinstance(body, dict):
        raise InvalidField("body", "the body must be a JSON object")
    try:
        status = MonitorStatusSetter.model_validate(body).status
    except ValidationError:
        raise InvalidField("status", "status must be Running or Paused") from None
    ctx.sim.monitors.set_status(monitor, status)
    return model_response(_ref(ctx, monitor), status=202)


# ------------------------------------------------------------------ route table
@dataclass(frozen=True, slots=True)
class _Form:
    """One form of the monitor routes: its collection path, operation id suffix, tags
    and body model."""

    path: str
    suffix: str
    tags: tuple[str, ...]
    body: type[BaseModel]
    examples: tuple[Example, ...]


_FORMS = (
    _Form(
        "/user/vehicles/{id}/callbacks/{cbid}/monitors",
        "",
        ("Monitors",),
        MonitorRequest,
        MONITOR_EXAMPLES,
    ),
    _Form(
        "/user/vehicles/{id}/monitors",
        "Legacy",
        ("Monitors (older form)",),
        LegacyMonitorRequest,
        LEGACY_MONITOR_EXAMPLES,
    ),
)


def monitor_operations(common: Sequence[Param], paging: Sequence[Param]) -> tuple[Operation, ...]:
    return tuple(
        operation
        for form in _FORMS
        for operation in (
            *_collection_operations(form, common, paging),
            *_one_monitor_operations(form, common),
        )
    )


def _collection_operations(
    form: _Form, common: Sequence[Param], paging: Sequence[Param]
) -> tuple[Operation, ...]:
    """Create a monitor, list them."""
    # only the current form names a callback that may be unknown (404)
    unknown_callback = "{cbid}" in form.path
    return (
        Operation(
            "POST",
            form.path,
            create_monitor,
            "createVehicleVehicleMonitor" + form.suffix,
            "Create a monitor on a vehicle",
            {202: MonitorRef},
            params=tuple(common),
            body=form.body,
            examples=form.examples,
            tags=form.tags,
            errors=v4_errors(body=True, not_found=unknown_callback),
        ),
        Operation(
            "GET",
            form.path,
            list_monitors,
            "getVehicleMonitors" + form.suffix,
            "The monitors of a vehicle",
            {200: MonitorsPage},
            params=(*common, *paging),
            tags=form.tags,
            errors=v4_errors(not_found=True),
        ),
    )


def _one_monitor_operations(form: _Form, common: Sequence[Param]) -> tuple[Operation, ...]:
    """Read, replace, delete, pause or resume one monitor."""
    one = form.path + "/{mid}"
    return (
        Operation(
            "GET",
            one,
            get_monitor,
            "getVehicleMonitorsStatusById" + form.suffix,
            "One monitor",
            {200: MonitorDoc},
            params=tuple(common),
            tags=form.tags,
            errors=v4_errors(not_found=True),
        ),
        Operation(
            "PUT",
            one,
            replace_monitor,
            "updateVehicleVehicleMonitor" + form.suffix,
            "Replace a monitor (the whole definition)",
            {202: MonitorRef},
            params=tuple(common),
            body=form.body,
            examples=form.examples,
            tags=form.tags,
            errors=v4_errors(body=True, not_found=True),
        ),
        Operation(
            "DELETE",
            one,
            delete_monitor,
            "deleteVehicleMonitor" + form.suffix,
            "Delete a monitor",
            {204: None},
            params=tuple(common),
            tags=form.tags,
            errors=v4_errors(not_found=True),
        ),
        Operation(
            "PUT",
            one + "/status",
            set_monitor_status,
            "setVehicleVehicleMonitorStatus" + form.suffix,
            "Pause or resume a monitor",
            {202: MonitorRef},
            params=tuple(common),
            body=MonitorStatusSetter,
            examples=MONITOR_STATUS_EXAMPLES,
            tags=form.tags,
            errors=v4_errors(body=True, not_found=True),
        ),
    )
