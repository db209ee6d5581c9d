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
from datetime import UTC, datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import Field

from simulator.api import schemas as s
from simulator.api.context import Context, page_response
from simulator.api.http import model_response, read_json
from simulator.api.operations import Operation, Param
from simulator.delivery.callbacks import CallbackType
from simulator.errors import InvalidField
from simulator.fleet import models as m
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


class MonitorStatusSetter(s.ApiModel):
    status: Literal["Running", "Paused"]


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
    status = body.get("status") if isinstance(body, dict) else None
    if status not in ("Running", "Paused"):
        raise InvalidField("status", "status must be Running or Paused")
    ctx.sim.monitors.set_status(monitor, status)
    return model_response(_ref(ctx, monitor), status=202)


# ------------------------------------------------------------------ route table
def monitor_operations(common: Sequence[Param], paging: Sequence[Param]) -> tuple[Operation, ...]:
    mid = Param("mid", "path", {"type": "string"}, required=True)
    operations: list[Operation] = []
    for path, suffix, tags in (
        ("/user/vehicles/{id}/callbacks/{cbid}/monitors", "", ("Monitors",)),
        ("/user/vehicles/{id}/monitors", "Legacy", ("Monitors (older form)",)),
    ):
        one = path + "/{mid}"
        operations += [
            Operation(
                "POST",
                path,
                create_monitor,
                "createVehicleVehicleMonitor" + suffix,
                "Create a monitor on a vehicle",
                {202: MonitorRef},
                params=tuple(common),
                tags=tags,
            ),
            Operation(
                "GET",
                path,
                list_monitors,
                "getVehicleMonitors" + suffix,
                "The monitors of a vehicle",
                {200: MonitorsPage},
                params=(*common, *paging),
                tags=tags,
            ),
            Operation(
                "GET",
                one,
                get_monitor,
                "getVehicleMonitorsStatusById" + suffix,
                "One monitor",
                {200: MonitorDoc},
                params=(*common, mid),
                tags=tags,
            ),
            Operation(
                "PUT",
                one,
                replace_monitor,
                "updateVehicleVehicleMonitor" + suffix,
                "Replace a monitor (the whole definition)",
                {202: MonitorRef},
                params=(*common, mid),
                tags=tags,
            ),
            Operation(
                "DELETE",
                one,
                delete_monitor,
                "deleteVehicleMonitor" + suffix,
                "Delete a monitor",
                {204: None},
                params=(*common, mid),
                tags=tags,
            ),
            Operation(
                "PUT",
                one + "/status",
                set_monitor_status,
                "setVehicleVehicleMonitorStatus" + suffix,
                "Pause or resume a monitor",
                {202: MonitorRef},
                params=(*common, mid),
                body=MonitorStatusSetter,
                tags=tags,
            ),
        ]
    return tuple(operations)
