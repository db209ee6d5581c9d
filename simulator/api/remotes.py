"""``/user/vehicles/{id}/callbacks/{cbid}/remotes``: send a remote action, read them back.

Thin handlers: the body is validated by :func:`simulator.remotes.commands.parse_remote`,
the lifecycle lives in :class:`simulator.remotes.engine.RemoteEngine`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, create_model

from simulator.api import schemas as s
from simulator.api.context import Context, page_response
from simulator.api.examples import REMOTE_EXAMPLES
from simulator.api.http import model_response, read_json
from simulator.api.operations import Operation, Param, refine_schema, v4_errors
from simulator.auth.models import REMOTE_SCOPES
from simulator.bodies.rules import NO_FORBIDDEN_CHARS, at_least_one, exactly_one, given
from simulator.callbacks.model import Callback, CallbackType
from simulator.errors import NotFound
from simulator.remotes import commands
from simulator.remotes.commands import parse_remote
from simulator.remotes.engine import RemoteAction

RemoteTypeName = Literal[
    "ThermalPreconditioning",
    "ElectricBatteryChargingRequest",
    "Horn",
    "Doors",
    "Lights",
    "WakeUp",
    "Navigation",
    "Immobilization",
    "Stolen",
]
RemoteActionStatus = Literal[
    "Accepted",
    "Failed",
    "Success",
    "AlreadyDone",
    "WakingUpVehicle",
    "CheckingVehicle",
    "SentToVehicle",
    "VehicleBatteryChargeTooLow",
    "TooManyWakeUpsOverMonth",
]


class RemotePostLinks(s.ApiModel):
    callback: s.Link
    remote: s.Link


class RemotePostResponse(s.ApiModel):
    """Answer to POST (reference: RemotePostResponse; ``type`` a one-item list as the seed)."""

    links: RemotePostLinks = Field(alias="_links")
    remoteActionId: str
    type: list[RemoteTypeName]


class RemoteActionLinks(s.ApiModel):
    self: s.Link
    callback: s.Link


class RemoteActionDoc(s.ApiModel):
    """One remote action with its latest status (reference: RemoteAction)."""

    links: RemoteActionLinks = Field(alias="_links")
    remoteActionId: str
    type: RemoteTypeName
    remote: dict[str, Any]
    status: RemoteActionStatus | None = None
    failureCause: str | None = None
    feedbackDetail: str | None = None


class RemoteActionsEmbedded(s.ApiModel):
    remoteActions: list[RemoteActionDoc] = Field(default_factory=list)


class RemoteActionsPage(s.CollectionResult[RemoteActionsEmbedded]):
    """``GET .../remotes`` (reference: RemoteActions)."""


class _RemoteRequestBase(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


RemoteRequest: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "RemoteRequest",
    __base__=_RemoteRequestBase,
    __doc__="The body of POST .../remotes (as :func:`parse_remote` reads it): exactly one "
    "action, under one of its accepted spellings, and the routing envelope.",
    **{name: (info.annotation, info) for name, info in commands._Envelope.model_fields.items()},
    **{key: (model, None) for key, (model, _) in commands._READERS.items()},
)
"""Documents the body only: requests are read by :func:`parse_remote`, from the same
models (``_Envelope`` and the per-action models of ``_READERS``)."""


@refine_schema(RemoteRequest)
def _one_action(model: type[BaseModel], schema: dict[str, Any]) -> None:
    """``parse_remote``: exactly one member that is an action (an object), no other member
    but the envelope's."""
    properties = schema["properties"]
    for branch in properties["label"]["anyOf"]:  # it may go into a header ($RemoteLabel)
        if branch.get("type") == "string":
            branch.update(NO_FORBIDDEN_CHARS)
    for key in commands.ACTION_KEYS:
        properties[key].pop("default", None)
    # one at least, and none beside it (as dependentSchemas: a oneOf of 13 branches
    # would cost schemathesis minutes to cover)
    schema["anyOf"] = [{"required": [key]} for key in commands.ACTION_KEYS]
    schema["dependentSchemas"] = {
        key: {"properties": {other: False for other in commands.ACTION_KEYS if other != key}}
        for key in commands.ACTION_KEYS
    }


# What the action models' validators check (simulator/remotes/commands.py), written into
# their schemas.  Left in words, for a 400 the document cannot foresee: two programs on
# one slot, and a program time of day of 24 h or more.
_REMOTE_RULES: dict[type[BaseModel], dict[str, Any]] = {
    commands._AirConditioningIn: at_least_one("immediate", "programs"),
    commands._PreconditioningProgramIn: {
        "if": {"required": ["actionsType"], "properties": {"actionsType": {"const": "Delete"}}},
        "else": {"allOf": [given("enabled"), given("start"), given("occurence")]},
    },
    commands._ChargingScheduleIn: exactly_one("nextDelayedTime", "programs"),
    commands._PreferencesIn: at_least_one("level", "type"),
    commands._ChargingIn: {
        "allOf": [
            at_least_one("immediate", "nextDelayedTime", "schedule", "preferences"),
            {
                "if": given("preferences"),
                "then": {"not": at_least_one("immediate", "nextDelayedTime", "schedule")},
            },
            {"not": {"allOf": [given("nextDelayedTime"), given("schedule")]}},
        ]
    },
}


def _refine_remote_rule(model: type[BaseModel], schema: dict[str, Any]) -> None:
    schema.update(_REMOTE_RULES[model])


for _model in _REMOTE_RULES:
    refine_schema(_model)(_refine_remote_rule)


@refine_schema(commands._PointIn)
def _point(model: type[BaseModel], schema: dict[str, Any]) -> None:
    """``[longitude, latitude]`` or with an altitude, within their ranges."""
    schema["properties"]["coordinates"].update(
        {
            "minItems": 2,
            "maxItems": 3,
            "prefixItems": [
                {"type": "number", "minimum": -180, "maximum": 180},
                {"type": "number", "minimum": -90, "maximum": 90},
            ],
        }
    )


def _callback(ctx: Context) -> Callback:
    return ctx.callback(CallbackType.REMOTE)


def _base(ctx: Context, vehicle_id: str, cbid: str) -> str:
    return f"{ctx.base}/user/vehicles/{vehicle_id}/callbacks/{cbid}"


def action_dict(ctx: Context, action: RemoteAction) -> dict[str, Any]:
    base = _base(ctx, action.vehicle_id, action.callback_id)
    latest = action.latest
    return {
        "_links": {
            "self": {"href": f"{base}/remotes/{action.id}"},
            "callback": {"href": f"{ctx.base}/user/callbacks/{action.callback_id}"},
        },
        "remoteActionId": action.id,
        "type": action.command.remote_type,
        "remote": action.command.remote,
        "status": latest.status if latest else None,
        "failureCause": latest.failure_cause if latest else None,
        "feedbackDetail": latest.feedback_detail if latest else None,
    }


async def send_remote(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    callback = _callback(ctx)
    command = parse_remote(await read_json(request))
    ctx.require(command.scope)
    action = ctx.sim.remotes.submit(vehicle, ctx.user_id, ctx.grant.client_id, callback.id, command)
    base = _base(ctx, vehicle.id, callback.id)
    return model_response(
        RemotePostResponse.model_validate(
            {
                "_links": {
                    "callback": {"href": f"{ctx.base}/user/callbacks/{callback.id}"},
                    "remote": {"href": f"{base}/remotes/{action.id}"},
                },
                "remoteActionId": action.id,
                "type": [command.remote_type],
            }
        ),
        status=202,
    )


async def list_remotes(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    callback = _callback(ctx)
    found = ctx.sim.remotes.actions(vehicle.id, ctx.user_id, ctx.grant.client_id, callback.id)
    return page_response(ctx, RemoteActionsPage, found, lambda a: action_dict(ctx, a))


async def get_remote(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    callback = _callback(ctx)
    rid = request.match_info["rid"]
    for action in ctx.sim.remotes.actions(
        vehicle.id, ctx.user_id, ctx.grant.client_id, callback.id
    ):
        if action.id == rid:
            return model_response(RemoteActionDoc.model_validate(action_dict(ctx, action)))
    raise NotFound("remote action")


def remote_operations(common: Sequence[Param], paging: Sequence[Param]) -> tuple[Operation, ...]:
    path = "/user/vehicles/{id}/callbacks/{cbid}/remotes"
    tags = ("Remote",)
    return (
        Operation(
            "POST",
            path,
            send_remote,
            "sendRemoteToVhl",
            "Send a remote action to a vehicle",
            {202: RemotePostResponse},
            params=tuple(common),
            body=RemoteRequest,
            examples=REMOTE_EXAMPLES,
            tags=tags,
            scopes=REMOTE_SCOPES,
            errors=v4_errors(body=True, not_found=True),
        ),
        Operation(
            "GET",
            path,
            list_remotes,
            "getRemoteRequestsForVhl",
            "The remote actions sent to a vehicle through a callback",
            {200: RemoteActionsPage},
            params=(*common, *paging),
            tags=tags,
            errors=v4_errors(not_found=True),
        ),
        Operation(
            "GET",
            path + "/{rid}",
            get_remote,
            "getRemoteRequestForVhlById",
            "One remote action with its latest status",
            {200: RemoteActionDoc},
            params=tuple(common),
            tags=tags,
            errors=v4_errors(not_found=True),
        ),
    )
