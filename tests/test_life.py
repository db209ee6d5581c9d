"""The living fleet: vehicles drive, park, charge and report on the clock; the same seed
and the same clock steps give the same data."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ApiClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.clock import Clock, ClockMode
from simulator.config import Settings
from simulator.events import VehicleSample
from simulator.fleet.enums import ChargingStatus
from simulator.fleet.models import Vehicle
from simulator.store import Simulator
from simulator.testing import ThreadedSimulator

MONDAY = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


def advance(api: ApiClient, seconds: float) -> None:
    answer = api.raw("POST", "/simulator/v1/clock/advance", json={"seconds": seconds})
    assert answer.status_code == 200, answer.text


@pytest.fixture
def living(ccsim_certs: Path) -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(
        ccsim_certs, manual_clock=True, vehicles=4, seed=3, life=True, start=MONDAY
    ) as sim:
        yield sim


def snapshot(api: ApiClient) -> list[Any]:
    """Status and trips of every vehicle, with the server's own address taken out."""
    found = []
    for vid in api.vehicle_ids():
        status = api.get(f"/user/vehicles/{vid}/status").text
        trips = api.get(f"/user/vehicles/{vid}/trips", params={"pageSize": 60}).text
        found.append((status + trips).replace(api.server.url, ""))
    return found


def test_same_seed_and_steps_give_the_same_data(ccsim_certs: Path) -> None:
    seen = []
    for _ in range(2):
        with ThreadedSimulator(
            ccsim_certs, manual_clock=True, vehicles=3, seed=11, life=True, start=MONDAY
        ) as sim:
            api = ApiClient(sim)
            states = []
            for step in (3600 * 7, 1800, 1800, 3600 * 3, 3600 * 8):
                advance(api, step)
                api.token = sim.token()["access_token"]
                states.append(snapshot(api))
            seen.append(states)
            api.session.close()
    assert seen[0] == seen[1]


def test_a_weekday_moves_the_fleet_and_records_trips(living: ThreadedSimulator) -> None:
    api = ApiClient(living)
    vids = api.vehicle_ids()
    before = {vid: api.get(f"/user/vehicles/{vid}/trips").json()["total"] for vid in vids}
    odometer = {vid: api.get(f"/user/vehicles/{vid}/status").json()["odometer"] for vid in vids}
    moved_while_watching = False
    for _ in range(24 * 4):  # a Monday, 15 minutes at a time
        advance(api, 900)
        api.token = living.token()["access_token"]
        for vid in vids:
            status = api.get(f"/user/vehicles/{vid}/status").json()
            if status["kinetic"]["moving"]:
                moved_while_watching = True
                assert status["kinetic"]["speed"] > 0
                assert status["ignition"]["type"] == "Start"
    assert moved_while_watching
    after = {vid: api.get(f"/user/vehicles/{vid}/trips").json()["total"] for vid in vids}
    assert sum(after[v] - before[v] for v in vids) >= 2
    for vid in vids:
        status = api.get(f"/user/vehicles/{vid}/status").json()
        assert status["odometer"]["mileage"] >= odometer[vid]["mileage"]
        clock = datetime.fromisoformat(
            api.raw("GET", "/simulator/v1/clock").json()["now"].replace("Z", "+00:00")
        )
        updated = datetime.fromisoformat(status["updatedAt"].replace("Z", "+00:00"))
        assert updated <= clock  # reported times come from the clock
    life = api.raw("GET", f"/simulator/v1/vehicles/{vids[0]}/life").json()
    assert life["driving"] in (True, False) and "place" in life
    api.session.close()


def test_life_can_be_switched_off_and_on(living: ThreadedSimulator) -> None:
    api = ApiClient(living)
    off = api.raw("PUT", "/simulator/v1/fleet/life", json={"enabled": False})
    assert off.json() == {"enabled": False}
    vid = api.vehicle_ids()[0]
    before = api.get(f"/user/vehicles/{vid}/lastPosition").json()
    advance(api, 3 * 86400)
    api.token = living.token()["access_token"]
    assert api.get(f"/user/vehicles/{vid}/lastPosition").json() == before
    assert api.raw("GET", f"/simulator/v1/vehicles/{vid}/life").status_code == 409
    on = api.raw("PUT", "/simulator/v1/fleet/life", json={"enabled": True})
    assert on.json() == {"enabled": True}
    api.session.close()


# ------------------------------------------------------------------ physics invariants
def _levels(vehicle: Vehicle) -> list[float]:
    state = vehicle.state
    return [e.level for e in (state.electric, state.fuel) if e is not None]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    steps=st.lists(st.integers(60, 6 * 3600), min_size=5, max_size=30),
)
def test_physics_invariants(
    tmp_path_factory: pytest.TempPathFactory, seed: int, steps: list[int]
) -> None:
    certs = tmp_path_factory.getbasetemp() / "life-certs"
    sim = Simulator(
        Settings(certs=certs, manual_clock=True, vehicles=4, seed=seed, life=True),
        clock=Clock(ClockMode.MANUAL, start=MONDAY),
    )
    last: dict[str, tuple[float, float, float, bool]] = {}
    problems: list[str] = []

    def check(sample: VehicleSample) -> None:
        vehicle = sim.fleet.get(sample.vehicle_id)
        assert vehicle is not None
        state = vehicle.state
        for level in _levels(vehicle):
            if not 0.0 <= level <= 100.0:
                problems.append(f"level {level}")
        if state.electric is not None:
            autonomy = state.electric.autonomy_km
            expected = state.electric.autonomy_at(state.electric.level)
            if autonomy != expected:
                problems.append("autonomy does not follow the level")
        mileage = state.mileage_km
        position = (state.position.lon, state.position.lat)
        previous = last.get(vehicle.id)
        if previous is not None:
            if mileage < previous[0]:
                problems.append(f"odometer went back {previous[0]} -> {mileage}")
            was_moving = previous[3]
            parked = not was_moving and not state.moving
            if parked and position != previous[1:3] and sample.cause != "ignition-off":
                problems.append(f"a parked vehicle moved ({sample.cause})")
        last[vehicle.id] = (mileage, position[0], position[1], state.moving)

    sim.bus.subscribe(VehicleSample, check)

    async def run() -> None:
        for step in steps:
            sim.clock.advance(step)

    asyncio.run(run())
    assert problems == []


def test_charging_rises_and_stops_at_full(tmp_path_factory: pytest.TempPathFactory) -> None:
    certs = tmp_path_factory.getbasetemp() / "life-certs"
    sim = Simulator(
        Settings(certs=certs, manual_clock=True, vehicles=0, life=False),  # parked, plugged
        clock=Clock(ClockMode.MANUAL, start=MONDAY),
    )

    async def run() -> None:
        from simulator.scenario import VehicleSpec

        vehicle = sim.add_vehicle(
            VehicleSpec(owner="demo@example.com", motorization="Electric", seed=5)
        )
        electric = vehicle.state.electric
        assert electric is not None
        electric.level = 20.0
        from dataclasses import replace

        electric.charging = replace(electric.charging, plugged=True, charger_power_kw=11.0)
        sim.operations.start_charge(vehicle)
        levels = []
        for _ in range(16):
            sim.clock.advance(1800)
            levels.append(electric.level)
        assert levels == sorted(levels)
        assert levels[-1] == 100.0
        assert electric.charging.status is ChargingStatus.FINISHED

    asyncio.run(run())


def _remote(api: ApiClient, hook_url: str, vid: str, body: dict[str, Any]) -> None:
    callback = api.raw(
        "POST",
        "/connectedcar/v4/user/callbacks",
        params={"client_id": "demo-client"},
        headers=api.headers(),
        json={
            "label": "r",
            "type": ["Remote"],
            "callback": {"webhook": {"target": hook_url, "name": "r"}},
        },
    ).json()["callbackId"]
    sent = api.raw(
        "POST",
        f"/connectedcar/v4/user/vehicles/{vid}/callbacks/{callback}/remotes",
        params={"client_id": "demo-client"},
        headers=api.headers(),
        json=body,
    )
    assert sent.status_code == 202, sent.text
    advance(api, 120)  # the remote is done well within two minutes


def test_an_immobilized_vehicle_does_not_start_trips(
    living: ThreadedSimulator, ccsim_webhook: Any
) -> None:
    api = ApiClient(living)
    vid = api.vehicle_ids()[0]
    _remote(api, ccsim_webhook.url, vid, {"immobilization": {"activate": True}})
    before = api.get(f"/user/vehicles/{vid}/trips").json()["total"]
    mileage = api.get(f"/user/vehicles/{vid}/status").json()["odometer"]["mileage"]
    for _ in range(4):  # Monday and Tuesday, with their commutes
        advance(api, 12 * 3600)
        api.token = living.token()["access_token"]
    assert api.get(f"/user/vehicles/{vid}/trips").json()["total"] == before
    assert api.get(f"/user/vehicles/{vid}/status").json()["odometer"]["mileage"] == mileage
    api.session.close()


def test_the_next_trip_goes_to_the_navigation_destination(
    living: ThreadedSimulator, ccsim_webhook: Any
) -> None:
    api = ApiClient(living)
    vid = api.vehicle_ids()[0]
    home = api.get(f"/user/vehicles/{vid}/lastPosition").json()["geometry"]["coordinates"]
    target = [round(home[0] + 0.05, 6), round(home[1] + 0.03, 6)]
    body = {"navigation": {"positions": [{"type": "Point", "coordinates": target}]}}
    _remote(api, ccsim_webhook.url, vid, body)
    for _ in range(2 * 24 * 4):  # until the vehicle has driven there and parked
        advance(api, 900)
        api.token = living.token()["access_token"]
        life = api.raw("GET", f"/simulator/v1/vehicles/{vid}/life").json()
        if life["place"] == "navigation":
            break
    position = api.get(f"/user/vehicles/{vid}/lastPosition").json()["geometry"]["coordinates"]
    assert position[:2] == pytest.approx(target, abs=1e-4)
    api.session.close()
