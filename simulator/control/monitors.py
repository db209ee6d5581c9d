"""``/simulator/v1/vehicles/{id}/monitors`` and ``/simulator/v1/monitors``: every monitor with
what the engine knows of it (which triggers hold now, whether its expression holds, the
events it raised), whoever made it: what an integrator checks when an event did not come."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import Field

from simulator.api.http import model_response, sim_of
from simulator.api.operations import Operation, control_operation
from simulator.control.base import ControlModel
from simulator.errors import NotFound
from simulator.monitors.engine import Monitor

_J = "application/json"
TAGS = ("Monitors control",)


class TriggerState(ControlModel):
    name: str
    kind: str
    holds: bool


class MonitorState(ControlModel):
    monitorId: str
    vehicleId: str
    vin: str
    userId: str
    clientId: str
    callbackId: str | None = Field(default=None, description="None: the older form's own webhook")
    label: str
    status: str
    boolExp: str
    active: bool = Field(description="the expression held on the latest sample")
    triggers: list[TriggerState]
    events: int
    lastEventAt: datetime | None = None
    createdAt: datetime
    monitor: dict[str, Any]


class MonitorStates(ControlModel):
    evaluations: int = Field(description="monitor evaluations since the start or the last reset")
    monitors: list[MonitorState]


def _at(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def _state(monitor: Monitor) -> MonitorState:
    spec = monitor.spec
    created = _at(monitor.created_at)
    assert created is not None
    return MonitorState(
        monitorId=monitor.id,
        vehicleId=monitor.vehicle_id,
        vin=monitor.vin,
        userId=monitor.user_id,
        clientId=monitor.client_id,
        callbackId=monitor.callback_id,
        label=spec.label,
        status=monitor.status,
        boolExp=spec.expression.text,
        active=monitor.active,
        triggers=[
            TriggerState(name=ev.name, kind=ev.kind, holds=holds)
            for ev, holds in zip(monitor.evals, monitor.values, strict=True)
        ],
        events=monitor.events,
        lastEventAt=_at(monitor.last_event_at),
        createdAt=created,
        monitor=spec.monitor,
    )


def _answer(request: web.Request, monitors: list[Monitor]) -> web.Response:
    engine = sim_of(request).monitors
    body = MonitorStates(evaluations=engine.evaluations, monitors=[_state(m) for m in monitors])
    return model_response(body, content_type=_J)


async def all_monitors(request: web.Request) -> web.Response:
    return _answer(request, sim_of(request).monitors.all())


async def vehicle_monitors(request: web.Request) -> web.Response:
    sim = sim_of(request)
    vehicle_id = request.match_info["id"]
    if sim.fleet.get(vehicle_id) is None:
        raise NotFound("vehicle")
    return _answer(request, sim.monitors.all(vehicle_id))


MONITOR_CONTROL_OPERATIONS: tuple[Operation, ...] = (
    control_operation(
        "GET",
        "/monitors",
        all_monitors,
        "simMonitors",
        "Every monitor with its engine state",
        {200: MonitorStates},
        tags=TAGS,
    ),
    control_operation(
        "GET",
        "/vehicles/{id}/monitors",
        vehicle_monitors,
        "simVehicleMonitors",
        "The monitors of a vehicle with their engine state",
        {200: MonitorStates},
        tags=TAGS,
    ),
)
