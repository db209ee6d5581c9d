"""``/simulator/v1/vehicles/{id}/...``: a vehicle's remote actions with their full
history, how the vehicle answers remotes (online, asleep, latency per step, driver,
scripted failures), and direct injection of the data remotes depend on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import AliasPath, BaseModel, Field

from simulator.api.http import model_response, read_model, sim_of
from simulator.api.operations import Example, Operation, control_operation
from simulator.control import examples as ex
from simulator.control.base import ClockTime, ControlModel, DomainView
from simulator.delivery.message import FailureCause
from simulator.errors import NotFound
from simulator.fleet.models import Vehicle
from simulator.fleet.operations import INJECTED
from simulator.fleet.state_body import PointIn, StateInjection
from simulator.remotes.commands import ActionName
from simulator.remotes.engine import ScriptedFailure

__all__ = ["INJECTED", "REMOTE_CONTROL_OPERATIONS", "PointIn", "StateInjection"]

_J = "application/json"
TAGS = ("Remotes control",)


# built from a remotes.engine.StatusEntry
class StatusStep(DomainView):
    at: ClockTime
    type: str  # Pending or Done
    status: str
    failure_cause: str | None = None
    feedback_detail: str | None = None


def _of_command(member: str, **field: Any) -> Any:
    """A remote's field read from its command."""
    return Field(validation_alias=AliasPath("command", member), **field)


# built from a remotes.engine.RemoteAction (and its history)
class RemoteHistory(DomainView):
    remote_action_id: str = Field(validation_alias="id")
    type: str = _of_command("remote_type")
    action: str = _of_command("action")
    label: str | None = _of_command("label", default=None)
    callback_id: str
    user_id: str
    client_id: str
    created_at: ClockTime
    remote: dict[str, Any] = _of_command("remote")
    history: list[StatusStep]


class RemoteHistoryList(ControlModel):
    vehicleId: str
    remotes: list[RemoteHistory]


class TimingIn(ControlModel):
    """Simulated seconds per step (each member: simulated seconds)."""

    accept: float | None = Field(default=None, ge=0, le=3600)
    wake: float | None = Field(default=None, ge=0, le=3600)
    send: float | None = Field(default=None, ge=0, le=3600)
    execute: float | None = Field(default=None, ge=0, le=3600)
    driver: float | None = Field(default=None, ge=0, le=3600)
    timeout: float | None = Field(default=None, ge=0, le=86_400)
    awake: float | None = Field(default=None, ge=0, le=86_400)


class Behaviour(ControlModel):
    """How the vehicle answers remotes; every member optional in a PATCH."""

    online: bool | None = None
    asleep: bool | None = Field(default=None, description="true: the next remote must wake it")
    driverAccepts: bool | None = Field(
        default=None, description="the driver's answer to a navigation with driverApproval"
    )
    wakeupLimit: int | None = Field(
        default=None, ge=0, le=100_000, description="wake-ups a month before TooManyWakeUps"
    )
    timing: TimingIn | None = None


class FailureIn(ControlModel):
    cause: FailureCause
    count: int = Field(default=1, ge=1, le=10_000)
    action: ActionName | None = Field(default=None, description="only remotes of this action")


# built from a remotes.engine.ScriptedFailure
class FailureOut(DomainView):
    cause: str
    remaining: int
    action: str | None = None


class BehaviourState(ControlModel):
    vehicleId: str
    online: bool
    asleep: bool
    awakeUntil: datetime | None = None
    driverAccepts: bool
    wakeupLimit: int
    wakeupsThisMonth: int
    timing: dict[str, float]
    failures: list[FailureOut]
    immobilized: bool
    stolen: bool
    destination: list[float] | None = None
    processes: dict[str, Any]


def _vehicle(request: web.Request) -> Vehicle:
    vehicle = sim_of(request).fleet.get(request.match_info["id"])
    if vehicle is None:
        raise NotFound("vehicle")
    return vehicle


async def list_remote_history(request: web.Request) -> web.Response:
    vehicle = _vehicle(request)
    actions = sim_of(request).remotes.all_actions(vehicle.id)
    return model_response(
        RemoteHistoryList(
            vehicleId=vehicle.id, remotes=[RemoteHistory.model_validate(a) for a in actions]
        ),
        content_type=_J,
    )


def _behaviour(request: web.Request, vehicle: Vehicle) -> web.Response:
    sim = sim_of(request)
    remotes = sim.remotes.of(vehicle.id)
    state = vehicle.state
    now = sim.clock.now()
    destination = state.destination
    return model_response(
        BehaviourState(
            vehicleId=vehicle.id,
            online=state.online,
            asleep=not (
                state.stolen or (state.awake_until is not None and state.awake_until > now)
            ),
            awakeUntil=state.awake_until,
            driverAccepts=remotes.driver_accepts,
            wakeupLimit=remotes.wakeup_limit,
            wakeupsThisMonth=remotes.wakeups.get(now.strftime("%Y-%m"), 0),
            timing=remotes.timing.as_dict(),
            failures=[FailureOut.model_validate(f) for f in remotes.failures],
            immobilized=state.immobilized,
            stolen=state.stolen,
            destination=None if destination is None else [destination.lon, destination.lat],
            processes=sim.remotes.effects.describe(vehicle),
        ),
        content_type=_J,
    )


async def get_behaviour(request: web.Request) -> web.Response:
    return _behaviour(request, _vehicle(request))


async def set_behaviour(request: web.Request) -> web.Response:
    vehicle = _vehicle(request)
    body = await read_model(request, Behaviour)
    sim = sim_of(request)
    remotes = sim.remotes.of(vehicle.id)
    operations = sim.operations
    if body.online is not None:
        operations.set_online(vehicle, body.online)
    if body.asleep is True:
        operations.sleep(vehicle)
    elif body.asleep is False:
        operations.wake(vehicle, seconds=remotes.timing.awake)
    if body.driverAccepts is not None:
        remotes.driver_accepts = body.driverAccepts
    if body.wakeupLimit is not None:
        remotes.wakeup_limit = body.wakeupLimit
    if body.timing is not None:
        remotes.timing.update(body.timing.model_dump(exclude_none=True))
    return _behaviour(request, vehicle)


async def add_failures(request: web.Request) -> web.Response:
    vehicle = _vehicle(request)
    body = await read_model(request, FailureIn)
    sim_of(request).remotes.of(vehicle.id).failures.append(
        ScriptedFailure(str(body.cause), body.count, body.action)
    )
    return _behaviour(request, vehicle)


async def clear_failures(request: web.Request) -> web.Response:
    vehicle = _vehicle(request)
    sim_of(request).remotes.of(vehicle.id).failures.clear()
    return _behaviour(request, vehicle)


async def inject_state(request: web.Request) -> web.Response:
    vehicle = _vehicle(request)
    body = await read_model(request, StateInjection)
    sim_of(request).operations.set_data(vehicle, body)
    return _behaviour(request, vehicle)


def _op(
    method: str,
    path: str,
    handler: Any,
    op_id: str,
    summary: str,
    model: type[BaseModel],
    body: type[BaseModel] | None = None,
    examples: tuple[Example, ...] = (),
) -> Operation:
    return control_operation(
        method, path, handler, op_id, summary, {200: model}, tags=TAGS, body=body, examples=examples
    )


_V = "/vehicles/{id}"
REMOTE_CONTROL_OPERATIONS: tuple[Operation, ...] = (
    _op(
        "GET",
        _V + "/remotes",
        list_remote_history,
        "simListVehicleRemotes",
        "Every remote action of a vehicle, any user, with its full status history",
        RemoteHistoryList,
    ),
    _op(
        "GET",
        _V + "/remote-behaviour",
        get_behaviour,
        "simGetRemoteBehaviour",
        "How the vehicle answers remotes, and what remotes set in it",
        BehaviourState,
    ),
    _op(
        "PATCH",
        _V + "/remote-behaviour",
        set_behaviour,
        "simSetRemoteBehaviour",
        "Set the vehicle online/offline, asleep/awake, step latencies, the driver's answer",
        BehaviourState,
        Behaviour,
        ex.BEHAVIOUR,
    ),
    _op(
        "POST",
        _V + "/remote-failures",
        add_failures,
        "simAddRemoteFailures",
        "Fail the vehicle's next COUNT remotes (of one action, if given) with a cause",
        BehaviourState,
        FailureIn,
        ex.FAILURES,
    ),
    _op(
        "DELETE",
        _V + "/remote-failures",
        clear_failures,
        "simClearRemoteFailures",
        "Forget the scripted failures",
        BehaviourState,
    ),
    _op(
        "PATCH",
        _V + "/state",
        inject_state,
        "simInjectVehicleState",
        "Set doors, batteries, energy and plug directly; the vehicle reports a data sample",
        BehaviourState,
        StateInjection,
        ex.STATE,
    ),
)
