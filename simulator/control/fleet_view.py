"""What the live view draws: ``GET /simulator/v1/fleet`` (every vehicle on the map, with
the home cities) and ``GET /simulator/v1/vehicles/{id}/status`` (a vehicle's status
document as the API serves it, without an OAuth token)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from aiohttp import web

from simulator.api import render
from simulator.api import schemas as s
from simulator.api.http import model_response, sim_of
from simulator.api.operations import Operation, control_operation
from simulator.auth.models import ALL_SCOPES
from simulator.control.base import ControlModel
from simulator.errors import NotFound
from simulator.feed import vehicle_view
from simulator.paths import API_PREFIX

_SCOPES = frozenset(ALL_SCOPES)


class FleetVehicle(ControlModel):
    id: str
    vin: str
    label: str
    owner: str
    brand: str
    motorization: str
    latitude: float
    longitude: float
    heading: float
    speedKmh: float
    state: Literal["driving", "parked", "charging", "offline", "asleep", "stolen"]
    asleep: bool
    energyLevel: float | None = None
    odometerKm: float
    city: str


class FleetCity(ControlModel):
    name: str
    latitude: float
    longitude: float


class FleetView(ControlModel):
    now: datetime
    vehicles: list[FleetVehicle]
    cities: list[FleetCity]


async def get_fleet(request: web.Request) -> web.Response:
    sim = sim_of(request)
    now = sim.clock.now()
    vehicles = list(sim.fleet)
    cities = {v.home.name: v.home for v in vehicles}
    view = FleetView(
        now=now,
        vehicles=[FleetVehicle.model_validate(vehicle_view(v, now)) for v in vehicles],
        cities=[
            FleetCity(name=c.name, latitude=c.lat, longitude=c.lon)
            for _, c in sorted(cities.items())
        ],
    )
    return model_response(view, content_type="application/json")


async def get_vehicle_status(request: web.Request) -> web.Response:
    sim = sim_of(request)
    vehicle = sim.fleet.get(request.match_info["id"])
    if vehicle is None:
        raise NotFound("vehicle")
    base = f"https://{request.host}{API_PREFIX}"
    body = s.dump_json(render.status(vehicle, base, sim.clock.now(), _SCOPES))
    return web.Response(body=body, content_type="application/json")


FLEET_VIEW_OPERATIONS: tuple[Operation, ...] = (
    control_operation(
        "GET",
        "/fleet",
        get_fleet,
        "simGetFleet",
        "Every vehicle where it is now (position, speed, state, energy) and the home "
        "cities: the live view's map",
        {200: FleetView},
        tags=("Control",),
    ),
    control_operation(
        "GET",
        "/vehicles/{id}/status",
        get_vehicle_status,
        "simGetVehicleStatus",
        "A vehicle's status document, as GET /connectedcar/v4/user/vehicles/{id}/status "
        "answers it (every scope), without a token",
        {200: s.Status},
        tags=("Control",),
    ),
)
