"""Every read endpoint, live over mTLS, for several seeds: our models and the official reference."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ApiClient
from reference import reference_available, validate_response, validate_schema

from simulator.api import schemas as s
from simulator.fleet.enums import PrivacyState
from simulator.fleet.vin import is_valid_vin
from simulator.store import Simulator
from simulator.testing import ThreadedSimulator

NEEDS_REFERENCE = "official reference ../shared/reference not present (CI only)"
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
WMI = {
    "Peugeot": ("VF3", "VR3"),
    "Citroën": ("VF7", "VR7"),
    "DS": ("VR1",),
    "Opel": ("W0L", "W0V", "VXK", "VXE"),
    "Vauxhall": ("W0L", "W0V", "VXK"),
}


def _walk_dates(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {
                "createdAt",
                "updatedAt",
                "startedAt",
                "stoppedAt",
                "endAt",
                "startAt",
                "timestamp",
            }:
                yield f"{path}.{key}", value
            yield from _walk_dates(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk_dates(value, f"{path}[{i}]")


class Checker:
    """Fetches a document, checks model round trip, dates and the official reference."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self.count = 0

    def check(
        self,
        path: str,
        model: type[s.ApiModel],
        template: str,
        *,
        params: dict[str, str] | None = None,
        content_type: str = "application/hal+json",
        exempt: frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        response = self.api.get(path, params=params)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        assert response.headers["Content-Type"].split(";")[0] == content_type, path
        body: dict[str, Any] = response.json()
        parsed = model.model_validate(body)
        assert s.dump(parsed) == body, f"{path}: not a faithful dump of {model.__name__}"
        for where, value in _walk_dates(body):
            assert isinstance(value, str) and DATE.match(value), f"{path}{where}: {value!r}"
        if reference_available():
            validate_response("GET", template, 200, body, exempt=exempt)
        self.count += 1
        return body


@pytest.fixture(scope="module", params=[0, 1, 7])
def seeded(request: pytest.FixtureRequest, ccsim_certs: Path) -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(ccsim_certs, manual_clock=True, vehicles=6, seed=request.param) as sim:
        yield sim


def test_every_read_endpoint_matches_models_and_reference(seeded: ThreadedSimulator) -> None:
    api = ApiClient(seeded)
    c = Checker(api)
    V = "/user/vehicles/{id}"
    user = c.check("/user", s.User, "/user")
    listing = c.check("/user/vehicles", s.VehiclesPage, "/user/vehicles")
    assert listing["total"] == 6
    assert [v["id"] for v in user["_embedded"]["Vehicles"]] == [
        v["id"] for v in listing["_embedded"]["vehicles"]
    ]
    c.check(
        "/user/vehicles",
        s.VehiclesPage,
        "/user/vehicles",
        params={"extension": "onboardCapabilities,branding,pictures"},
    )
    c.check("/user/trips", s.TripsPage, V + "/trips")
    for vehicle in listing["_embedded"]["vehicles"]:
        vid = vehicle["id"]
        base = f"/user/vehicles/{vid}"
        assert len(vehicle["vin"]) == 17 and is_valid_vin(vehicle["vin"])
        assert vehicle["vin"][:3] in WMI[vehicle["brand"]]
        assert "engine" not in vehicle
        c.check(base, s.Vehicle, V, params={"extension": "branding"})
        status = c.check(base + "/status", s.Status, V + "/status", exempt=frozenset({"energy"}))
        kinds = sorted(e["type"] for e in status["energies"])
        expected = {
            "Electric": ["Electric"],
            "Thermic": ["Fuel"],
            "Hybrid": ["Electric", "Fuel"],
            "Hydrogen": ["Fuel"],
        }[vehicle["motorization"]]
        assert kinds == expected
        if reference_available():
            for entry in status["energy"]:
                validate_schema(
                    "Energy", entry, exempt={"charging", "battery", "consumption", "residual"}
                )
        assert [e["level"] for e in status["energy"]] == [e["level"] for e in status["energies"]]
        assert status["preconditionning"] == status["preconditioning"]
        assert status["kinetic"]["speed"] == 0 and status["kinetic"]["moving"] is False
        if status["privacy"]["state"] == "None":
            position = c.check(
                base + "/lastPosition",
                s.Position,
                V + "/lastPosition",
                content_type="application/vnd.geo+json",
            )
            assert (
                position["geometry"]["coordinates"][:2]
                == (status["lastPosition"]["geometry"]["coordinates"][:2])
            )
            assert isinstance(position["properties"]["heading"], int)
        c.check(base + "/maintenance", s.Maintenance, V + "/maintenance")
        alerts = c.check(base + "/alerts", s.AlertsPage, V + "/alerts")
        for alert in alerts["_embedded"]["alerts"]:
            c.check(f"{base}/alerts/{alert['id']}", s.Alert, V + "/alerts/{aid}")
        alarms = c.check(base + "/alarms", s.AlarmsPage, V + "/alarms")
        for alarm in alarms["_embedded"]["alarms"]:
            c.check(f"{base}/alarms/{alarm['id']}", s.AlarmDetails, V + "/alarms/{aid}")
        collisions = c.check(base + "/collisions", s.CollisionsPage, V + "/collisions")
        for collision in collisions["_embedded"]["Collisions"]:
            c.check(f"{base}/collisions/{collision['id']}", s.Collision, V + "/collisions/{cid}")
        c.check(
            base + "/telemetry",
            s.TelemetriesPage,
            V + "/telemetry",
            params={"extension": "location,maintenance", "pageSize": "2000"},
        )
        trips = c.check(base + "/trips", s.TripsPage, V + "/trips")
        for trip in trips["_embedded"]["trips"][:3]:
            t = f"{base}/trips/{trip['id']}"
            T = V + "/trips/{tid}"
            assert trip["faults"] == []
            c.check(t, s.Trip, T)
            c.check(t + "/wayPoints", s.WayPointsPage, T + "/wayPoints")
            c.check(t + "/alerts", s.AlertsPage, T + "/alerts")
            c.check(t + "/collisions", s.CollisionsPage, T + "/collisions")
            c.check(t + "/telemetry", s.TelemetriesPage, T + "/telemetry")
            c.check(f"/user/trips/{trip['id']}", s.Trip, T)
    assert c.count > 60


def test_same_seed_same_fleet_other_seed_other_fleet(ccsim_certs: Path) -> None:
    def fleet(seed: int) -> list[tuple[str, str, str]]:
        with ThreadedSimulator(ccsim_certs, manual_clock=True, vehicles=5, seed=seed) as sim:
            body = ApiClient(sim).get("/user/vehicles").json()
        return [(v["id"], v["vin"], v["label"]) for v in body["_embedded"]["vehicles"]]

    assert fleet(42) == fleet(42)
    assert fleet(42) != fleet(43)


def test_paging_links_and_index_range(api: ApiClient) -> None:
    vid = api.vehicle_ids()[0]
    full = api.get(f"/user/vehicles/{vid}/trips").json()
    total = full["total"]
    assert total >= 3
    assert full["currentPage"] == full["totalPage"] == 1
    assert "next" not in full["_links"] and "prev" not in full["_links"]
    seen: list[str] = []
    page = api.get(f"/user/vehicles/{vid}/trips", params={"pageSize": "2"}).json()
    assert page["totalPage"] == -(-total // 2)
    assert "prev" not in page["_links"]
    while True:
        seen += [t["id"] for t in page["_embedded"]["trips"]]
        assert page["_links"]["self"]["href"].startswith("https://")
        assert "client_id=demo-client" in page["_links"]["self"]["href"]
        assert "pageSize=2" in page["_links"]["first"]["href"]
        if "next" not in page["_links"]:
            assert page["currentPage"] == page["totalPage"]
            break
        nxt = api.session.get(page["_links"]["next"]["href"], headers=api.headers(), timeout=30)
        assert nxt.status_code == 200
        page = nxt.json()
        assert "prev" in page["_links"]
    assert seen == [t["id"] for t in full["_embedded"]["trips"]]
    ranged = api.get(f"/user/vehicles/{vid}/trips", params={"indexRange": "1-2"}).json()
    assert [t["id"] for t in ranged["_embedded"]["trips"]] == seen[1:3]
    assert ranged["total"] == total and ranged["totalPage"] == ranged["currentPage"] == 1
    bad = api.get(f"/user/vehicles/{vid}/trips", params={"pageSize": "61"})
    assert bad.status_code == 400 and bad.json()["debug"] == "pageSize"
    first_start = full["_embedded"]["trips"][0]["startedAt"]
    window = api.get(f"/user/vehicles/{vid}/trips", params={"timestamps": f"/{first_start}"})
    assert [t["id"] for t in window.json()["_embedded"]["trips"]] == [seen[0]]


def test_empty_collections_are_valid(api: ApiClient) -> None:
    vid = api.vehicle_ids()[0]
    empty = api.get(
        f"/user/vehicles/{vid}/collisions",
        params={"timestamps": "2000-01-01T00:00:00Z/2000-01-02T00:00:00Z"},
    )
    assert empty.status_code == 200
    body = empty.json()
    assert (body["total"], body["totalPage"], body["currentPage"]) == (0, 1, 1)
    assert body["_embedded"] == {"Collisions": []}
    none = api.get("/user/vehicles", params={"vinPrefix": "ZZZ"}).json()
    assert none["total"] == 0 and none["_embedded"]["vehicles"] == []


def test_scopes_filter_positions_and_guard_resources(api: ApiClient) -> None:
    vid = api.vehicle_ids()[0]
    narrow = ApiClient(api.server, api.server.token(scope="data:telemetry")["access_token"])
    status = narrow.get(f"/user/vehicles/{vid}/status")
    assert status.status_code == 200
    assert "lastPosition" not in status.json()
    denied = narrow.get(f"/user/vehicles/{vid}/lastPosition")
    assert denied.status_code == 403
    assert denied.json()["debug"] == "data:position"
    assert narrow.get(f"/user/vehicles/{vid}/trips").status_code == 403
    assert narrow.get(f"/user/vehicles/{vid}/alerts").status_code == 403
    assert narrow.get(f"/user/vehicles/{vid}/maintenance").status_code == 200


def test_privacy_hides_positions(api: ApiClient) -> None:
    vid = api.vehicle_ids()[0]

    def hide(sim: Simulator) -> None:
        vehicle = sim.fleet.get(vid)
        assert vehicle is not None
        vehicle.state.privacy = PrivacyState.GEOLOCATION

    api.server.call(hide)
    status = api.get(f"/user/vehicles/{vid}/status").json()
    assert "lastPosition" not in status
    assert status["privacy"]["state"] == "Geolocation"
    hidden = api.get(f"/user/vehicles/{vid}/lastPosition")
    assert hidden.status_code == 404
    assert "Geolocation" in hidden.json()["message"]
    trip = api.get(f"/user/vehicles/{vid}/trips").json()["_embedded"]["trips"][0]
    assert "startPosition" not in trip


def test_unknown_record_ids_answer_404(api: ApiClient) -> None:
    vid = api.vehicle_ids()[0]
    for kind in ("alerts", "alarms", "collisions", "trips"):
        response = api.get(f"/user/vehicles/{vid}/{kind}/0123456789abcdef0123456789abcdef")
        assert response.status_code == 404, kind
        assert response.json()["code"] == 40402


def test_openapi_document_covers_every_route(api: ApiClient) -> None:
    document = api.raw("GET", "/simulator/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    served = set()
    for path, item in document["paths"].items():
        for method in item:
            served.add((method.upper(), path))
    probe = api.get("/user/vehicles")
    assert probe.ok
    for method, path in [
        ("GET", "/connectedcar/v4/user/vehicles/{id}/status"),
        ("POST", "/am/oauth2/access_token"),
        ("POST", "/simulator/v1/clock/advance"),
    ]:
        assert (method, path) in served
    status_schema = document["paths"]["/connectedcar/v4/user/vehicles/{id}/status"]["get"]
    ref = status_schema["responses"]["200"]["content"]["application/hal+json"]["schema"]["$ref"]
    name = ref.rsplit("/", 1)[1]
    properties = document["components"]["schemas"][name]["properties"]
    assert {"energies", "energy", "preconditionning", "doorsState"} <= set(properties)
