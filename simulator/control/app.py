"""The ``/simulator/v1`` control API: reset, clock, users, clients, vehicles, rate limits,
request journal, OpenAPI and the scenario schema."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import ConfigDict, Field, model_validator

from simulator.api.http import (
    OPENAPI_DOCUMENT,
    json_response,
    model_response,
    read_model,
    sim_of,
)
from simulator.api.operations import (
    Location,
    Operation,
    Param,
    add_routes,
    control_errors,
    control_operation,
)
from simulator.api.paging import int_param, int_query, single
from simulator.auth.models import ALL_SCOPES, Client, User
from simulator.bodies.rules import Timestamp
from simulator.clock import ClockError
from simulator.config import RateLimit, control_token_digest
from simulator.control import examples as ex
from simulator.control.base import (
    ControlModel,
    check_exactly_one,
    check_required_with,
    exactly_one,
    required_with,
)
from simulator.control.deliveries import DELIVERY_OPERATIONS
from simulator.control.events import EVENT_OPERATIONS
from simulator.control.faults import FAULT_OPERATIONS
from simulator.control.fleet_view import FLEET_VIEW_OPERATIONS
from simulator.control.monitors import MONITOR_CONTROL_OPERATIONS
from simulator.control.remotes import REMOTE_CONTROL_OPERATIONS
from simulator.control.scenario import SCENARIO_OPERATIONS
from simulator.errors import ApiError, ErrorCode, InvalidField, NotFound
from simulator.scenario import ClientSpec, Scenario, UserSpec, VehicleSpec
from simulator.scenario.live import PLAYER_TOKEN_DIGEST
from simulator.ui.web import foreign_origin

_J = "application/json"
_Q: Location = "query"


class ClockState(ControlModel):
    now: datetime
    mode: str
    speed: float
    paused: bool
    pendingTimers: int


_ADVANCE = ("seconds", "to")


class ClockAdvance(ControlModel):
    """Advance by ``seconds``, or up ``to`` a time (not before now: 400 naming ``to``);
    exactly one of them."""

    model_config = ConfigDict(json_schema_extra=exactly_one(*_ADVANCE))

    seconds: float | None = Field(
        default=None, ge=0, le=10 * 365 * 24 * 3600, description="simulated seconds"
    )
    to: Timestamp | None = Field(default=None, description="an RFC 3339 date-time with offset")

    @model_validator(mode="after")
    def _one(self) -> ClockAdvance:
        check_exactly_one(self, *_ADVANCE)
        return self


class ClockSpeed(ControlModel):
    speed: float = Field(gt=0, le=1_000_000, description="simulated seconds per real second")


class VehicleSummary(ControlModel):
    id: str
    vin: str
    owner: str
    brand: str
    label: str
    motorization: str


class VehicleList(ControlModel):
    vehicles: list[VehicleSummary]


class RequestEntry(ControlModel):
    requestId: str
    at: datetime
    method: str
    path: str
    query: str
    status: int
    durationMs: float
    clientId: str | None = None
    userId: str | None = None
    errorCode: int | None = None


class RequestList(ControlModel):
    total: int
    requests: list[RequestEntry]


class LifeSetting(ControlModel):
    enabled: bool


class VehicleLife(ControlModel):
    place: str
    driving: bool
    destination: str | None = None
    next: datetime | None = None


class ResetDone(ControlModel):
    vehicles: int


class UserInfo(ControlModel):
    email: str
    firstName: str
    lastName: str


class UserList(ControlModel):
    users: list[UserInfo]


class ClientInfo(ControlModel):
    """A client as the control API shows it: never its secret nor its hash."""

    clientId: str
    name: str
    redirectUris: list[str]
    scopes: list[str]
    autoConsent: bool
    allowLocalhostRedirects: bool
    defaultUser: str | None = None


class ClientList(ControlModel):
    clients: list[ClientInfo]


class RateLimitSetting(ControlModel):
    """``perDay`` null turns the limits off for the client; else both are required."""

    model_config = ConfigDict(json_schema_extra=required_with("perDay", "burst"))

    perDay: int | None = Field(ge=1, le=10**9, description="calls per simulated day")
    burst: int | None = Field(default=None, ge=1, le=10**6, description="calls in a burst")

    @model_validator(mode="after")
    def _burst(self) -> RateLimitSetting:
        check_required_with(self, "perDay", "burst")
        return self


class RateLimitState(ControlModel):
    clientId: str
    enabled: bool
    source: Literal["global", "client"]
    perDay: int | None = None
    burst: int | None = None
    remainingPerDay: int | None = None
    remainingBurst: int | None = None


def _clock_state(request: web.Request) -> web.Response:
    return model_response(
        ClockState.model_validate(sim_of(request).clock.describe()),
        content_type="application/json",
    )


async def get_clock(request: web.Request) -> web.Response:
    return _clock_state(request)


async def advance_clock(request: web.Request) -> web.Response:
    body: ClockAdvance = await read_model(request, ClockAdvance)
    clock = sim_of(request).clock
    seconds = body.seconds
    if body.to is not None:
        seconds = (body.to - clock.now()).total_seconds()
        if seconds < 0:
            raise InvalidField("to", "to must not be before the simulator's current time")
    assert seconds is not None
    await sim_of(request).advance(seconds)  # sends and scenario steps happen on the way
    return _clock_state(request)


def _clock_op(request: web.Request, action: str, speed: float | None = None) -> web.Response:
    clock = sim_of(request).clock
    try:
        if action == "pause":
            clock.pause()
        elif action == "resume":
            clock.resume()
        elif speed is not None:
            clock.set_speed(speed)
    except ClockError as exc:  # the clock's mode forbids it (a manual clock): the state
        raise ApiError(ErrorCode.CONFLICT, str(exc), debug="clock") from None
    return _clock_state(request)


async def pause_clock(request: web.Request) -> web.Response:
    return _clock_op(request, "pause")


async def resume_clock(request: web.Request) -> web.Response:
    return _clock_op(request, "resume")


async def set_speed(request: web.Request) -> web.Response:
    body: ClockSpeed = await read_model(request, ClockSpeed)
    return _clock_op(request, "speed", body.speed)


async def reset(request: web.Request) -> web.Response:
    sim = sim_of(request)
    sim.reset()
    return model_response(ResetDone(vehicles=len(sim.fleet)), content_type="application/json")


def _summary(vehicle: Any) -> VehicleSummary:
    return VehicleSummary(
        id=vehicle.id,
        vin=vehicle.vin,
        owner=vehicle.owner,
        brand=vehicle.brand,
        label=vehicle.label,
        motorization=str(vehicle.motorization),
    )


async def list_vehicles(request: web.Request) -> web.Response:
    sim = sim_of(request)
    owner = single(request.query, "owner")
    vehicles = sim.fleet.owned_by(owner) if owner is not None else list(sim.fleet)
    return model_response(
        VehicleList(vehicles=[_summary(v) for v in vehicles]), content_type="application/json"
    )


async def get_vehicle(request: web.Request) -> web.Response:
    vehicle = sim_of(request).fleet.get(request.match_info["id"])
    if vehicle is None:
        raise NotFound("vehicle")
    return model_response(_summary(vehicle), content_type="application/json")


async def create_vehicle(request: web.Request) -> web.Response:
    body: VehicleSpec = await read_model(request, VehicleSpec)
    vehicle = sim_of(request).add_vehicle(body)
    return model_response(_summary(vehicle), status=201, content_type=_J)


def _user_info(user: User) -> UserInfo:
    return UserInfo(email=user.email, firstName=user.first_name, lastName=user.last_name)


async def list_users(request: web.Request) -> web.Response:
    users = sim_of(request).identity.users.values()
    return model_response(UserList(users=[_user_info(u) for u in users]), content_type=_J)


async def create_user(request: web.Request) -> web.Response:
    body: UserSpec = await read_model(request, UserSpec)
    user = sim_of(request).add_user(body)
    return model_response(_user_info(user), status=201, content_type=_J)


def _client_info(client: Client) -> ClientInfo:
    return ClientInfo(
        clientId=client.client_id,
        name=client.name,
        redirectUris=list(client.redirect_uris),
        scopes=[s for s in ALL_SCOPES if s in client.scopes],
        autoConsent=client.auto_consent,
        allowLocalhostRedirects=client.allow_localhost_redirects,
        defaultUser=client.default_user,
    )


async def list_clients(request: web.Request) -> web.Response:
    clients = sim_of(request).identity.clients.values()
    return model_response(ClientList(clients=[_client_info(c) for c in clients]), content_type=_J)


async def create_client(request: web.Request) -> web.Response:
    body: ClientSpec = await read_model(request, ClientSpec)
    client = sim_of(request).add_client(body)
    return model_response(_client_info(client), status=201, content_type=_J)


def _client_id(request: web.Request) -> str:
    client_id = request.match_info["client_id"]
    if client_id not in sim_of(request).identity.clients:
        raise NotFound("client")
    return client_id


def _rate_limit_state(request: web.Request, client_id: str) -> web.Response:
    sim = sim_of(request)
    limits = sim.limits
    source: Literal["global", "client"] = "client" if limits.is_overridden(client_id) else "global"
    status = limits.status(client_id, sim.clock.time())
    if status is None:
        state = RateLimitState(clientId=client_id, enabled=False, source=source)
    else:
        limit, day_left, burst_left = status
        state = RateLimitState(
            clientId=client_id,
            enabled=True,
            source=source,
            perDay=limit.per_day,
            burst=limit.burst,
            remainingPerDay=day_left,
            remainingBurst=burst_left,
        )
    return model_response(state, content_type=_J)


async def get_rate_limit(request: web.Request) -> web.Response:
    return _rate_limit_state(request, _client_id(request))


async def set_rate_limit(request: web.Request) -> web.Response:
    client_id = _client_id(request)
    body: RateLimitSetting = await read_model(request, RateLimitSetting)
    if body.perDay is None or body.burst is None:
        limit = None
    else:
        limit = RateLimit(body.perDay, body.burst)
    sim_of(request).limits.configure(client_id, limit)
    return _rate_limit_state(request, client_id)


async def get_life(request: web.Request) -> web.Response:
    return model_response(LifeSetting(enabled=sim_of(request).life.enabled), content_type=_J)


async def set_life(request: web.Request) -> web.Response:
    body = await read_model(request, LifeSetting)
    life = sim_of(request).life
    if body.enabled and not life.enabled:
        life.start()
    elif not body.enabled and life.enabled:
        life.stop()
    return model_response(LifeSetting(enabled=life.enabled), content_type=_J)


async def get_vehicle_life(request: web.Request) -> web.Response:
    sim = sim_of(request)
    vehicle_id = request.match_info["id"]
    if sim.fleet.get(vehicle_id) is None:
        raise NotFound("vehicle")
    found = sim.life.describe(vehicle_id)
    if found is None:
        raise ApiError(ErrorCode.CONFLICT, "the fleet's life is off", debug="enabled")
    return model_response(VehicleLife.model_validate(found), content_type=_J)


async def scenario_schema(request: web.Request) -> web.Response:
    return json_response(Scenario.model_json_schema())


REQUEST_LIMIT = int_param("limit", 1, 10_000, "at most this many (default 100)")
REQUEST_STATUS = int_param("status", 100, 599, "only answers with this status")


async def list_requests(request: web.Request) -> web.Response:
    sim = sim_of(request)
    limit = _int(request, REQUEST_LIMIT) or 100
    status = _int(request, REQUEST_STATUS)
    records = sim.requests.query(
        method=single(request.query, "method"),
        path_prefix=single(request.query, "path"),
        status=status,
        request_id=single(request.query, "requestId"),
        limit=limit,
    )
    entries = [
        RequestEntry(
            requestId=r.request_id,
            at=datetime.fromtimestamp(r.at, UTC),
            method=r.method,
            path=r.path,
            query=r.query,
            status=r.status,
            durationMs=round(r.duration_ms, 3),
            clientId=r.client_id,
            userId=r.user_id,
            errorCode=r.error_code,
        )
        for r in records
    ]
    return model_response(
        RequestList(total=sim.requests.total, requests=entries), content_type="application/json"
    )


def _int(request: web.Request, param: Param) -> int | None:
    """An integer query parameter, read as ``param`` documents it."""
    schema = param.schema
    return int_query(request.query, param.name, schema["minimum"], schema.get("maximum"))


async def openapi(request: web.Request) -> web.Response:
    # the document covers every sub-app: the root app holds it (simulator.server)
    return json_response(request.config_dict[OPENAPI_DOCUMENT]())


OPERATIONS: tuple[Operation, ...] = (
    control_operation(
        "POST",
        "/reset",
        reset,
        "simReset",
        "Back to the initial fleet and users",
        {200: ResetDone},
        tags=("Control",),
    ),
    control_operation(
        "GET",
        "/clock",
        get_clock,
        "simGetClock",
        "The simulator clock",
        {200: ClockState},
        tags=("Control",),
    ),
    control_operation(
        "POST",
        "/clock/advance",
        advance_clock,
        "simAdvanceClock",
        "Move time forward, firing what falls due",
        {200: ClockState},
        body=ClockAdvance,
        examples=ex.ADVANCE,
        tags=("Control",),
    ),
    control_operation(
        "POST",
        "/clock/pause",
        pause_clock,
        "simPauseClock",
        "Freeze time",
        {200: ClockState},
        tags=("Control",),
    ),
    control_operation(
        "POST",
        "/clock/resume",
        resume_clock,
        "simResumeClock",
        "Let time run again",
        {200: ClockState},
        errors=control_errors("/clock/resume", conflict=True),
        tags=("Control",),
    ),
    control_operation(
        "PUT",
        "/clock/speed",
        set_speed,
        "simSetClockSpeed",
        "Change the time factor",
        {200: ClockState},
        body=ClockSpeed,
        examples=ex.SPEED,
        errors=control_errors("/clock/speed", body=True, conflict=True),
        tags=("Control",),
    ),
    control_operation(
        "GET",
        "/vehicles",
        list_vehicles,
        "simListVehicles",
        "Every simulated vehicle",
        {200: VehicleList},
        params=(Param("owner", _Q, {"type": "string"}),),
        tags=("Control",),
    ),
    control_operation(
        "POST",
        "/vehicles",
        create_vehicle,
        "simCreateVehicle",
        "Generate a vehicle for an existing user",
        {201: VehicleSummary},
        body=VehicleSpec,
        examples=ex.CREATE_VEHICLE,
        errors=control_errors("/vehicles", body=True, conflict=True),
        tags=("Control",),
    ),
    control_operation(
        "GET",
        "/users",
        list_users,
        "simListUsers",
        "Every user (e-mail and names, never passwords)",
        {200: UserList},
        tags=("Control",),
    ),
    control_operation(
        "POST",
        "/users",
        create_user,
        "simCreateUser",
        "Declare a user",
        {201: UserInfo},
        body=UserSpec,
        examples=ex.CREATE_USER,
        errors=control_errors("/users", body=True, conflict=True),
        tags=("Control",),
    ),
    control_operation(
        "GET",
        "/clients",
        list_clients,
        "simListClients",
        "Every OAuth client (never secrets)",
        {200: ClientList},
        tags=("Control",),
    ),
    control_operation(
        "POST",
        "/clients",
        create_client,
        "simCreateClient",
        "Declare an OAuth client",
        {201: ClientInfo},
        body=ClientSpec,
        examples=ex.CREATE_CLIENT,
        errors=control_errors("/clients", body=True, conflict=True),
        tags=("Control",),
    ),
    control_operation(
        "GET",
        "/clients/{client_id}/rate-limit",
        get_rate_limit,
        "simGetRateLimit",
        "A client's rate limits and what remains of them",
        {200: RateLimitState},
        tags=("Control",),
    ),
    control_operation(
        "PUT",
        "/clients/{client_id}/rate-limit",
        set_rate_limit,
        "simSetRateLimit",
        "Set a client's rate limits (perDay null: none), over the global setting",
        {200: RateLimitState},
        body=RateLimitSetting,
        examples=ex.RATE_LIMIT,
        tags=("Control",),
    ),
    control_operation(
        "GET",
        "/scenario/schema.json",
        scenario_schema,
        "simScenarioSchema",
        "The JSON schema of scenario files",
        {200: None},
        tags=("Control",),
    ),
    control_operation(
        "GET",
        "/vehicles/{id}",
        get_vehicle,
        "simGetVehicle",
        "One simulated vehicle",
        {200: VehicleSummary},
        tags=("Control",),
    ),
    control_operation(
        "GET",
        "/requests",
        list_requests,
        "simListRequests",
        "The request journal, newest first",
        {200: RequestList},
        params=(
            Param("method", _Q, {"type": "string"}),
            Param("path", _Q, {"type": "string"}, description="path prefix"),
            REQUEST_STATUS,
            Param("requestId", _Q, {"type": "string"}),
            REQUEST_LIMIT,
        ),
        tags=("Control",),
    ),
    control_operation(
        "GET",
        "/openapi.json",
        openapi,
        "simOpenApi",
        "This document: the simulated API and the control API",
        {200: None},
        tags=("Control",),
    ),
    control_operation(
        "GET",
        "/fleet/life",
        get_life,
        "simGetLife",
        "Whether vehicles live on the clock",
        {200: LifeSetting},
        tags=("Control",),
    ),
    control_operation(
        "PUT",
        "/fleet/life",
        set_life,
        "simSetLife",
        "Start or stop the fleet's daily life (commutes, charging, samples)",
        {200: LifeSetting},
        tags=("Control",),
        body=LifeSetting,
        examples=ex.LIFE,
    ),
    control_operation(
        "GET",
        "/vehicles/{id}/life",
        get_vehicle_life,
        "simGetVehicleLife",
        "Where the vehicle is in its day: place, driving, next departure",
        {200: VehicleLife},
        errors=control_errors("/vehicles/{id}/life", conflict=True),
        tags=("Control",),
    ),
    *DELIVERY_OPERATIONS,
    *REMOTE_CONTROL_OPERATIONS,
    *MONITOR_CONTROL_OPERATIONS,
    *FAULT_OPERATIONS,
    *SCENARIO_OPERATIONS,
    *FLEET_VIEW_OPERATIONS,
    *EVENT_OPERATIONS,
)


def check_control_request(request: web.BaseRequest, digest: bytes | None) -> None:
    """What every control call passes before its handler (and before a 404 or 405 of a
    control path, as a sub-app's middleware would): a write from another origin is
    refused (a page of another site, in a browser holding the client certificate or on
    the UI port), and with ``--control-token`` the call needs ``Authorization: Bearer
    <token>`` (that token, or the scenario player's own: both compared by SHA-256 in
    constant time).  Called by the server's request wrapper: a middleware on the control
    sub-app would make aiohttp run its middleware machinery for every request of the
    server, the simulated API's too."""
    if foreign_origin(request):
        raise ApiError(
            ErrorCode.FOREIGN_REQUEST, "a write from another origin is refused", debug="Origin"
        )
    if digest is not None:  # the settings' control_token_digest
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        given = control_token_digest(token.strip()) if scheme.lower() == "bearer" else None
        # both comparisons always run: the time taken does not tell which one matched
        allowed = given is not None and (
            hmac.compare_digest(given, digest) | hmac.compare_digest(given, PLAYER_TOKEN_DIGEST)
        )
        if not allowed:
            raise ApiError(
                ErrorCode.CONTROL_TOKEN,
                "the control API needs Authorization: Bearer <the --control-token value>",
                debug="Authorization",
                headers={"WWW-Authenticate": 'Bearer realm="simulator-control"'},
            )


def create_app() -> web.Application:
    app = web.Application()  # its checks: check_control_request, run by the server
    add_routes(app, OPERATIONS)
    return app
