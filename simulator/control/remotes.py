"""``/simulator/v1/vehicles/{id}/...``: a vehicle's remote actions with their full
history, how the vehicle answers remotes (online, asleep, latency per step, driver,
scripted failures), and direct injection of the data remotes depend on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from simulator.api.http import model_response, read_model, sim_of
from simulator.api.operations import Operation, control_operation
from simulator.control.base import ControlModel
from simulator.delivery.message import FailureCause
from simulator.errors import InvalidField, NotFound
from simulator.fleet.enums import (
    AlertSeverity,
    AlertType,
    DoorId,
    IgnitionType,
    LockedState,
    PrivacyState,
)
from simulator.fleet.models import Vehicle
from simulator.fleet.records import Alert
from simulator.remotes.commands import ActionName
from simulator.remotes.effects import HOME_CHARGER_KW, HYBRID_ONBOARD_KW, Effects
from simulator.remotes.engine import RemoteAction, ScriptedFailure

_J = "application/json"
INJECTED = "injected"  # cause of the sample a state body brings
TAGS = ("Remotes control",)


class StatusStep(ControlModel):
    at: datetime
    type: str  # Pending or Done
    status: str
    failureCause: str | None = None
    feedbackDetail: str | None = None


class RemoteHistory(ControlModel):
    remoteActionId: str
    type: str
    action: str
    label: str | None = None
    callbackId: str
    userId: str
    clientId: str
    createdAt: datetime
    remote: dict[str, Any]
    history: list[StatusStep]


class RemoteHistoryList(ControlModel):
    vehicleId: str
    remotes: list[RemoteHistory]


class TimingIn(ControlModel):
    """Simulated seconds per step."""

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
    wakeupLimit: int | None = Field(default=None, ge=0, le=100_000)
    timing: TimingIn | None = None


class FailureIn(ControlModel):
    cause: FailureCause
    count: int = Field(default=1, ge=1, le=10_000)
    action: ActionName | None = Field(default=None, description="only remotes of this action")


class FailureOut(ControlModel):
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


class PointIn(ControlModel):
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)


class StateInjection(ControlModel):
    """Set vehicle data directly (a data sample follows, as if the car reported it)."""

    position: PointIn | None = None
    ignition: IgnitionType | None = None
    speedKmh: float | None = Field(
        default=None, ge=0, le=300, description="moving follows: true above 0"
    )
    privacy: PrivacyState | None = None
    mileageKm: float | None = Field(default=None, ge=0, le=2_000_000)
    alerts: list[AlertType] | None = Field(
        default=None, description="the active alerts: new ones start, missing ones end"
    )

    openDoors: list[DoorId] | None = None
    lockedStates: list[LockedState] | None = Field(default=None, min_length=1)
    batteryVoltage: float | None = Field(default=None, ge=0, le=16)
    electricLevel: float | None = Field(default=None, ge=0, le=100)
    fuelLevel: float | None = Field(default=None, ge=0, le=100)
    plugged: bool | None = Field(
        default=None,
        description=(
            "true: plugged in; it charges at once (InProgress, to 100 %, then Finished) "
            "unless a delayed charge or a charge program makes it wait (Stopped until "
            "then); a charge in progress goes on. false: unplugged (Disconnected). "
            "Electric and plug-in hybrid vehicles only (else 400)"
        ),
    )
    chargerPowerKw: float | None = Field(
        default=None,
        gt=0,
        le=350,
        description=(
            "what the charger can deliver, kW (a plug-in hybrid takes at most "
            f"{HYBRID_ONBOARD_KW:g}); with plugged true, or for a plugged vehicle; "
            f"when plugging without it: a home wallbox, {HOME_CHARGER_KW:g} kW"
        ),
    )
    airTempC: float | None = Field(default=None, ge=-60, le=60)


def _vehicle(request: web.Request) -> Vehicle:
    vehicle = sim_of(request).fleet.get(request.match_info["id"])
    if vehicle is None:
        raise NotFound("vehicle")
    return vehicle


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _history(action: RemoteAction) -> RemoteHistory:
    command = action.command
    return RemoteHistory(
        remoteActionId=action.id,
        type=command.remote_type,
        action=command.action,
        label=command.label,
        callbackId=action.callback_id,
        userId=action.user_id,
        clientId=action.client_id,
        createdAt=_at(action.created_at),
        remote=command.remote,
        history=[
            StatusStep(
                at=_at(step.at),
                type=step.type,
                status=step.status,
                failureCause=step.failure_cause,
                feedbackDetail=step.feedback_detail,
            )
            for step in action.history
        ],
    )


async def list_remote_history(request: web.Request) -> web.Response:
    vehicle = _vehicle(request)
    actions = sim_of(request).remotes.all_actions(vehicle.id)
    return model_response(
        RemoteHistoryList(vehicleId=vehicle.id, remotes=[_history(a) for a in actions]),
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
            failures=[
                FailureOut(cause=f.cause, remaining=f.remaining, action=f.action)
                for f in remotes.failures
            ],
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
    state = vehicle.state
    if body.online is not None:
        state.online = body.online
    if body.asleep is True:
        state.awake_until = None
    elif body.asleep is False:
        state.awake_until = _at(sim.clock.time() + remotes.timing.awake)
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
    sim = sim_of(request)
    apply_state(sim.remotes.effects, vehicle, body, sim.clock.now(), alert_id=sim.ids.alert)
    return _behaviour(request, vehicle)


def check_state(vehicle: Vehicle, body: StateInjection) -> None:
    """Refuse what the vehicle cannot be set to (InvalidField, 400 naming the field)."""
    electric = vehicle.state.electric
    for name, value in (("plugged", body.plugged), ("chargerPowerKw", body.chargerPowerKw)):
        if value is not None and electric is None:
            raise InvalidField(
                name,
                f"{name}: a {vehicle.motorization} vehicle has no charging plug "
                "(Electric and Hybrid vehicles have one)",
            )
    if body.chargerPowerKw is not None and electric is not None:
        if body.plugged is False:
            raise InvalidField("chargerPowerKw", "chargerPowerKw: an unplugged vehicle gets none")
        if body.plugged is None and not electric.charging.plugged:
            raise InvalidField(
                "chargerPowerKw",
                "chargerPowerKw: the vehicle is not plugged (send plugged: true with it)",
            )


def apply_state(
    effects: Effects,
    vehicle: Vehicle,
    body: StateInjection,
    now: datetime,
    *,
    alert_id: Callable[[], str],
) -> None:
    """Set the vehicle's data from a state body (the control API's, a scenario's), then
    the vehicle reports one data sample (cause ``injected``).  Checked first, so that a
    refused body changes nothing; plugging goes through ``Effects.plug`` / ``unplug``.
    New alerts get their ids from ``alert_id`` (the simulator's seeded ids)."""
    check_state(vehicle, body)
    state = vehicle.state
    if body.position is not None:
        state.position = replace(
            state.position, lon=body.position.longitude, lat=body.position.latitude
        )
    if body.ignition is not None:
        state.ignition = body.ignition
    if body.speedKmh is not None:
        state.speed_kmh = body.speedKmh
        state.moving = body.speedKmh > 0
    if body.privacy is not None:
        state.privacy = body.privacy
    if body.mileageKm is not None:
        state.mileage_km = body.mileageKm
    if body.alerts is not None:
        _set_alerts(vehicle, set(body.alerts), now, alert_id)
    if body.openDoors is not None:
        state.open_doors = frozenset(body.openDoors)
    if body.lockedStates is not None:
        state.locked_states = tuple(body.lockedStates)
    if body.batteryVoltage is not None:
        state.battery_voltage = body.batteryVoltage
    if body.airTempC is not None:
        state.air_temp_c = body.airTempC
    if body.fuelLevel is not None and state.fuel is not None:
        state.fuel.level = body.fuelLevel
    electric = state.electric
    if electric is not None and body.electricLevel is not None:
        electric.level = body.electricLevel
        effects.level_changed(vehicle)
    if body.plugged is True:
        effects.plug(vehicle, body.chargerPowerKw, cause=INJECTED)
    elif body.plugged is False:
        effects.unplug(vehicle, cause=INJECTED)
    else:
        if body.chargerPowerKw is not None:
            effects.set_charger_power(vehicle, body.chargerPowerKw)
        effects.sample(vehicle, INJECTED)


def _set_alerts(
    vehicle: Vehicle, wanted: set[AlertType], now: datetime, alert_id: Callable[[], str]
) -> None:
    for alert in vehicle.alerts:
        if alert.active and alert.type not in wanted:
            alert.ended_at = now
    active = {alert.type for alert in vehicle.alerts if alert.active}
    for kind in sorted(wanted - active):
        vehicle.alerts.append(
            Alert(
                id=alert_id(),
                type=kind,
                severity=AlertSeverity.WARNING,
                started_at=now,
                start_position=vehicle.state.position,
            )
        )


def _op(
    method: str,
    path: str,
    handler: Any,
    op_id: str,
    summary: str,
    model: type[BaseModel],
    body: type[BaseModel] | None = None,
) -> Operation:
    return control_operation(
        method, path, handler, op_id, summary, {200: model}, tags=TAGS, body=body
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
    ),
    _op(
        "POST",
        _V + "/remote-failures",
        add_failures,
        "simAddRemoteFailures",
        "Fail the vehicle's next COUNT remotes (of one action, if given) with a cause",
        BehaviourState,
        FailureIn,
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
    ),
)
