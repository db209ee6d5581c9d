"""Thin handlers of the v4 read endpoints: read parameters, ask the domain, render."""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from aiohttp import web

from simulator.api import refinements as _refinements  # noqa: F401 (registers them)
from simulator.api import render
from simulator.api import schemas as s
from simulator.api.cache import StatusCache
from simulator.api.callbacks import callback_operations
from simulator.api.checks import COMMON_PARAMS, GRANT
from simulator.api.context import (
    Context,
    enum_param_doc,
    list_param,
    list_param_doc,
    page_response,
)
from simulator.api.http import GEO_JSON, HAL_JSON, SIM, Handler, model_response
from simulator.api.monitors import monitor_operations
from simulator.api.operations import Operation, Param, path_params, v4_errors
from simulator.api.paging import (
    HIGH_FREQUENCY_PAGE_SIZE_MAX,
    TIMESTAMPS_PARAM,
    filter_by_time,
    paging_params,
    parse_timestamps,
    single,
)
from simulator.api.remotes import remote_operations
from simulator.errors import ApiError, ErrorCode, NotFound
from simulator.fleet import models as m
from simulator.paths import API_PREFIX

T = TypeVar("T")
P = TypeVar("P", bound=s.CollectionResult[Any])

STATUS_CACHE = web.AppKey("status_cache", StatusCache)
VEHICLE_EXTENSIONS = frozenset({"onboardCapabilities", "branding", "pictures"})
TELEMETRY_EXTENSIONS = frozenset({"location", "maintenance"})
TELEMETRY_TYPES = frozenset(str(k) for k in m.TelemetryKind)
ALARM_TYPES = frozenset(str(k) for k in m.AlarmType)
COUNTRIES = frozenset({"CL", "BR", "AR"})


# ------------------------------------------------------------------ user, vehicles
async def get_user(request: web.Request) -> web.Response:
    ctx = Context(request)
    list_param(request.query, "country", COUNTRIES)
    account = ctx.sim.identity.users.get(ctx.user_id)
    if account is None:
        raise ApiError(ErrorCode.NO_END_USER, "the token's user no longer exists")
    vehicles = ctx.sim.fleet.owned_by(ctx.user_id)
    return model_response(render.user(account, vehicles, ctx.base, ctx.now))


async def list_vehicles(request: web.Request) -> web.Response:
    ctx = Context(request)
    query = request.query
    extensions = list_param(query, "extension", VEHICLE_EXTENSIONS)
    list_param(query, "country", COUNTRIES)
    prefix = (single(query, "vinPrefix") or "").upper()
    vehicles = [v for v in ctx.sim.fleet.owned_by(ctx.user_id) if v.vin.startswith(prefix)]
    return page_response(
        ctx, s.VehiclesPage, vehicles, lambda v: render.vehicle(v, ctx.base, extensions)
    )


async def get_vehicle(request: web.Request) -> web.Response:
    ctx = Context(request)
    extensions = list_param(request.query, "extension", VEHICLE_EXTENSIONS)
    list_param(request.query, "country", COUNTRIES)
    return model_response(render.vehicle(ctx.vehicle(), ctx.base, extensions))


async def get_status(request: web.Request) -> web.Response:
    # The hottest read: no Context object, one cache lookup (see api/cache.py).
    sim = request.app[SIM]
    grant = request[GRANT]
    if grant.user_id is None:
        raise ApiError(ErrorCode.NO_END_USER, "the access token is not bound to an end user")
    vehicle = sim.fleet.of_user(grant.user_id, request.match_info["id"])
    base = f"https://{request.host}{API_PREFIX}"
    body = request.app[STATUS_CACHE].get(
        vehicle,
        base,
        render.position_visible(vehicle, grant.scopes),
        sim.clock.time(),
        lambda: s.dump_json(render.status(vehicle, base, sim.clock.now(), grant.scopes)),
    )
    return web.Response(body=body, content_type=HAL_JSON)


async def get_last_position(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    privacy = vehicle.state.privacy
    if privacy in render.POSITION_HIDDEN:
        raise ApiError(
            ErrorCode.POSITION_HIDDEN,
            f"the position is hidden: privacy state is {privacy}",
            debug="privacy.state",
        )
    return model_response(render.last_position(vehicle), content_type=GEO_JSON)


async def get_maintenance(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    return model_response(render.maintenance(vehicle, ctx.base, ctx.now))


# ------------------------------------------------------------------ alerts
def _alerts(ctx: Context, vehicle: m.Vehicle, trip_id: str | None = None) -> web.Response:
    ranges = parse_timestamps(ctx.request.query, ctx.now)
    alerts = [a for a in vehicle.alerts if trip_id is None or a.trip_id == trip_id]
    alerts = filter_by_time(alerts, ranges, lambda a: a.started_at)
    visible = ctx.position_visible(vehicle)
    return page_response(
        ctx, s.AlertsPage, alerts, lambda a: render.alert(vehicle, a, ctx.base, visible)
    )


def _alert(ctx: Context, vehicle: m.Vehicle, trip_id: str | None = None) -> web.Response:
    alert = vehicle.alert(ctx.request.match_info["aid"])
    if alert is None or (trip_id is not None and alert.trip_id != trip_id):
        raise NotFound("alert")
    visible = ctx.position_visible(vehicle)
    return model_response(render.alert(vehicle, alert, ctx.base, visible))


async def list_alerts(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    return _alerts(ctx, vehicle)


async def get_alert(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    return _alert(ctx, vehicle)


# ------------------------------------------------------------------ alarms
async def list_alarms(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    types = list_param(request.query, "type", ALARM_TYPES)
    ranges = parse_timestamps(request.query, ctx.now)
    alarms = [a for a in vehicle.alarms if not types or str(a.type) in types]
    alarms = filter_by_time(alarms, ranges, lambda a: a.at)
    visible = ctx.position_visible(vehicle)
    return page_response(
        ctx, s.AlarmsPage, alarms, lambda a: render.alarm(vehicle, a, ctx.base, visible)
    )


async def get_alarm(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    alarm = vehicle.alarm(request.match_info["aid"])
    if alarm is None:
        raise NotFound("alarm")
    visible = ctx.position_visible(vehicle)
    return model_response(render.alarm(vehicle, alarm, ctx.base, visible))


# ------------------------------------------------------------------ collisions
def _collisions(ctx: Context, vehicle: m.Vehicle, trip_id: str | None = None) -> web.Response:
    ranges = parse_timestamps(ctx.request.query, ctx.now)
    found = [c for c in vehicle.collisions if trip_id is None or c.trip_id == trip_id]
    found = filter_by_time(found, ranges, lambda c: c.at)
    return page_response(
        ctx, s.CollisionsPage, found, lambda c: render.collision(vehicle, c, ctx.base)
    )


def _collision(ctx: Context, vehicle: m.Vehicle, trip_id: str | None = None) -> web.Response:
    found = vehicle.collision(ctx.request.match_info["cid"])
    if found is None or (trip_id is not None and found.trip_id != trip_id):
        raise NotFound("collision")
    return model_response(render.collision(vehicle, found, ctx.base))


async def list_collisions(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    return _collisions(ctx, vehicle)


async def get_collision(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    return _collision(ctx, vehicle)


# ------------------------------------------------------------------ telemetry
def _telemetry(ctx: Context, vehicle: m.Vehicle, trip_id: str | None = None) -> web.Response:
    query = ctx.request.query
    types = list_param(query, "type", TELEMETRY_TYPES)
    extensions = list_param(query, "extension", TELEMETRY_EXTENSIONS)
    ranges = parse_timestamps(query, ctx.now)
    samples = [
        t
        for t in vehicle.telemetry
        if (trip_id is None or t.trip_id == trip_id)
        and (not types or any(str(k) in types for k in t.kinds))
    ]
    samples = filter_by_time(samples, ranges, lambda t: t.at)
    visible = ctx.position_visible(vehicle)
    return page_response(
        ctx,
        s.TelemetriesPage,
        samples,
        lambda t: render.telemetry(vehicle, t, ctx.base, visible, extensions),
        max_page_size=HIGH_FREQUENCY_PAGE_SIZE_MAX,
    )


async def list_telemetry(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    return _telemetry(ctx, vehicle)


# ------------------------------------------------------------------ trips
def _trip_of(ctx: Context, vehicle: m.Vehicle) -> m.Trip:
    trip = vehicle.trips.get(ctx.request.match_info["tid"])
    if trip is None:
        raise NotFound("trip")
    return trip


def _trips_response(ctx: Context, vehicles: list[m.Vehicle]) -> web.Response:
    ranges = parse_timestamps(ctx.request.query, ctx.now)
    pairs = [(v, t) for v in vehicles for t in v.trips]
    pairs = filter_by_time(pairs, ranges, lambda pair: pair[1].started_at)
    return page_response(
        ctx,
        s.TripsPage,
        pairs,
        lambda pair: render.trip(pair[0], pair[1], ctx.base, ctx.position_visible(pair[0])),
    )


async def list_trips(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    return _trips_response(ctx, [vehicle])


async def get_trip(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    trip = _trip_of(ctx, vehicle)
    visible = ctx.position_visible(vehicle)
    return model_response(render.trip(vehicle, trip, ctx.base, visible))


async def list_waypoints(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    trip = _trip_of(ctx, vehicle)
    points = list(trip.waypoints) if ctx.position_visible(vehicle) else []
    return page_response(
        ctx,
        s.WayPointsPage,
        points,
        render.position,
        max_page_size=HIGH_FREQUENCY_PAGE_SIZE_MAX,
    )


async def list_trip_alerts(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    return _alerts(ctx, vehicle, _trip_of(ctx, vehicle).id)


async def get_trip_alert(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    return _alert(ctx, vehicle, _trip_of(ctx, vehicle).id)


async def list_trip_collisions(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    return _collisions(ctx, vehicle, _trip_of(ctx, vehicle).id)


async def get_trip_collision(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    return _collision(ctx, vehicle, _trip_of(ctx, vehicle).id)


async def list_trip_telemetry(request: web.Request) -> web.Response:
    ctx = Context(request)
    vehicle = ctx.vehicle()
    return _telemetry(ctx, vehicle, _trip_of(ctx, vehicle).id)


async def list_user_trips(request: web.Request) -> web.Response:
    ctx = Context(request)
    return _trips_response(ctx, ctx.sim.fleet.owned_by(ctx.user_id))


async def get_user_trip(request: web.Request) -> web.Response:
    ctx = Context(request)
    tid = request.match_info["tid"]
    for vehicle in ctx.sim.fleet.owned_by(ctx.user_id):
        trip = vehicle.trips.get(tid)
        if trip is not None:
            visible = ctx.position_visible(vehicle)
            return model_response(render.trip(vehicle, trip, ctx.base, visible))
    raise NotFound("trip")


# ------------------------------------------------------------------ route table
PAGING = paging_params()
HIGH_FREQUENCY = paging_params(HIGH_FREQUENCY_PAGE_SIZE_MAX)
TIMESTAMPS = TIMESTAMPS_PARAM
COMMON = COMMON_PARAMS
_ANY = {"type": "string"}
VIN_PREFIX = Param("vinPrefix", "query", _ANY, description="only VINs starting so (any case)")
LOCALE = Param("locale", "query", _ANY, description="accepted, not used")
COUNTRY = enum_param_doc("country", COUNTRIES, "ISO 3166-1 alpha-2, where it changes anything")
VEHICLE_EXTENSION = list_param_doc("extension", VEHICLE_EXTENSIONS, "data sets to embed")
TELEMETRY_EXTENSION = list_param_doc("extension", TELEMETRY_EXTENSIONS, "data sets to embed")
TELEMETRY_TYPE = list_param_doc("type", TELEMETRY_TYPES, "only messages of these kinds")
ALARM_TYPE = list_param_doc("type", ALARM_TYPES, "only alarm records of these types")


def _scoped(handler: Handler, scopes: tuple[str, ...], *, by_vehicle: bool) -> Handler:
    """``handler`` behind the scopes its operation declares (the ones the OpenAPI document
    lists): each missing one answers 403 (40301) naming it, in the declared order.  The
    path's vehicle is looked up first, so that an unknown or foreign vehicle answers as
    it does without the scopes (403, 40302)."""
    if not scopes:
        return handler

    @functools.wraps(handler)
    async def scoped(request: web.Request) -> web.StreamResponse:
        ctx = Context(request)
        if by_vehicle:
            ctx.vehicle()
        for scope in scopes:
            ctx.require(scope)
        return await handler(request)

    return scoped


def _op(
    path: str,
    handler: Any,
    op_id: str,
    summary: str,
    model: type[s.ApiModel],
    *params: Param,
    scopes: tuple[str, ...] = (),
    content_type: str = "application/hal+json",
    not_found: bool | None = None,
) -> Operation:
    """A read operation; 404 when the path names a record or the answer is a page.

    The handler is served behind its declared ``scopes`` (:func:`_scoped`)."""
    if not_found is None:
        not_found = bool(set(path_params(path)) - {"id"}) or any(
            p.name == "pageToken" for p in params
        )
    return Operation(
        "GET",
        path,
        _scoped(handler, scopes, by_vehicle="id" in path_params(path)),
        op_id,
        summary,
        {200: model},
        content_type=content_type,
        params=(*COMMON, *params),
        tags=("Vehicles",),
        scopes=scopes,
        errors=v4_errors(not_found=not_found),
    )


_V = "/user/vehicles/{id}"
_T = _V + "/trips/{tid}"
# Hot routes first: aiohttp tries the routes sharing a path prefix in this order.
OPERATIONS: tuple[Operation, ...] = (
    _op(_V + "/status", get_status, "getVehicleStatus", "Latest status", s.Status),
    _op(
        _V + "/lastPosition",
        get_last_position,
        "getCarLastPosition",
        "Last known position",
        s.Position,
        scopes=("data:position",),
        content_type=GEO_JSON,
        not_found=True,  # the position is hidden (privacy): 404
    ),
    _op("/user", get_user, "getUser", "The user and their vehicles", s.User),
    _op(
        "/user/vehicles",
        list_vehicles,
        "getVehiclesByDevice",
        "The user's vehicles",
        s.VehiclesPage,
        *PAGING,
        VIN_PREFIX,
        LOCALE,
        COUNTRY,
        VEHICLE_EXTENSION,
    ),
    _op(
        _V,
        get_vehicle,
        "getVehicleByid",
        "One vehicle",
        s.Vehicle,
        LOCALE,
        COUNTRY,
        VEHICLE_EXTENSION,
    ),
    _op(
        _V + "/alerts",
        list_alerts,
        "getVehicleAlerts",
        "Alerts",
        s.AlertsPage,
        TIMESTAMPS,
        *PAGING,
        scopes=("data:alert",),
    ),
    _op(
        _V + "/alerts/{aid}",
        get_alert,
        "getVehicleAlertsById",
        "One alert",
        s.Alert,
        scopes=("data:alert",),
    ),
    _op(
        _V + "/alarms",
        list_alarms,
        "getVehicleAlarms",
        "Alarm history",
        s.AlarmsPage,
        ALARM_TYPE,
        TIMESTAMPS,
        *PAGING,
        scopes=("data:telemetry",),
    ),
    _op(
        _V + "/alarms/{aid}",
        get_alarm,
        "getVehicleAlarmsById",
        "One alarm record",
        s.AlarmDetails,
        scopes=("data:telemetry",),
    ),
    _op(
        _V + "/maintenance",
        get_maintenance,
        "getVehicleMaintenance",
        "Maintenance",
        s.Maintenance,
        scopes=("data:telemetry",),
    ),
    _op(
        _V + "/telemetry",
        list_telemetry,
        "getTelemetry",
        "Telemetry messages",
        s.TelemetriesPage,
        TIMESTAMPS,
        TELEMETRY_TYPE,
        *HIGH_FREQUENCY,
        TELEMETRY_EXTENSION,
        scopes=("data:telemetry",),
    ),
    _op(
        _V + "/collisions",
        list_collisions,
        "getVehicleCollision",
        "Collisions",
        s.CollisionsPage,
        TIMESTAMPS,
        *PAGING,
        scopes=("data:collision",),
    ),
    _op(
        _V + "/collisions/{cid}",
        get_collision,
        "getVehicleCollisionById",
        "One collision",
        s.Collision,
        scopes=("data:collision",),
    ),
    _op(
        _V + "/trips",
        list_trips,
        "getTripsByVehicle",
        "Trips",
        s.TripsPage,
        TIMESTAMPS,
        *PAGING,
        scopes=("data:trip",),
    ),
    _op(_T, get_trip, "getTripByVehicle", "One trip", s.Trip, scopes=("data:trip",)),
    _op(
        _T + "/wayPoints",
        list_waypoints,
        "getTripWayPoints",
        "A trip's waypoints",
        s.WayPointsPage,
        *HIGH_FREQUENCY,
        scopes=("data:trip", "data:position"),
    ),
    _op(
        _T + "/alerts",
        list_trip_alerts,
        "getTripAlerts",
        "A trip's alerts",
        s.AlertsPage,
        TIMESTAMPS,
        *PAGING,
        scopes=("data:trip", "data:alert"),
    ),
    _op(
        _T + "/alerts/{aid}",
        get_trip_alert,
        "getTripAlertById",
        "One alert of a trip",
        s.Alert,
        scopes=("data:trip", "data:alert"),
    ),
    _op(
        _T + "/collisions",
        list_trip_collisions,
        "getTripCollisions",
        "A trip's collisions",
        s.CollisionsPage,
        TIMESTAMPS,
        *PAGING,
        scopes=("data:trip", "data:collision"),
    ),
    _op(
        _T + "/collisions/{cid}",
        get_trip_collision,
        "getTripCollisionById",
        "One collision of a trip",
        s.Collision,
        scopes=("data:trip", "data:collision"),
    ),
    _op(
        _T + "/telemetry",
        list_trip_telemetry,
        "getTripTelemetry",
        "A trip's telemetry",
        s.TelemetriesPage,
        TIMESTAMPS,
        TELEMETRY_TYPE,
        *HIGH_FREQUENCY,
        TELEMETRY_EXTENSION,
        scopes=("data:trip", "data:telemetry"),
    ),
    _op(
        "/user/trips",
        list_user_trips,
        "getTrips",
        "Every trip of the user (older form)",
        s.TripsPage,
        TIMESTAMPS,
        *PAGING,
        scopes=("data:trip",),
    ),
    _op(
        "/user/trips/{tid}",
        get_user_trip,
        "getTrip",
        "One trip (older form)",
        s.Trip,
        scopes=("data:trip",),
    ),
    *callback_operations(COMMON, PAGING),
    *remote_operations(COMMON, PAGING),
    *monitor_operations(COMMON, PAGING),
)
