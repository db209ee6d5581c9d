"""The fleet's named operations over the real server on the manual clock: ``drive`` makes a
real trip with the living fleet off (samples, odometer, energy, a trip record, parked at
the destination), and an accepted navigation remote drives the car there at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import API, ApiClient

from simulator.errors import InvalidField
from simulator.events import VehicleSample
from simulator.fleet.models import Vehicle
from simulator.store import Simulator
from simulator.testing import ThreadedSimulator
from simulator.testing.receiver import WebhookReceiver

CONTROL = "/simulator/v1"


# ------------------------------------------------------------------ helpers
def _vehicle(sim: Simulator, vid: str) -> Vehicle:
    vehicle = sim.fleet.get(vid)
    assert vehicle is not None
    return vehicle


@pytest.fixture
def record(ccsim: ThreadedSimulator) -> Iterator[Callable[[str], list[str]]]:
    """``record(vid)``: the causes of the vehicle's data samples from now on (until the
    test ends)."""
    subscriptions: list[Callable[[], None]] = []

    def start(vid: str) -> list[str]:
        causes: list[str] = []

        def seen(sample: VehicleSample) -> None:
            if sample.vehicle_id == vid:
                causes.append(sample.cause)

        subscriptions.append(ccsim.call(lambda sim: sim.bus.subscribe(VehicleSample, seen)))
        return causes

    yield start

    def stop(sim: Simulator) -> None:
        for unsubscribe in subscriptions:
            unsubscribe()

    ccsim.call(stop)


def _driving(server: ThreadedSimulator, vid: str) -> bool:
    return server.call(lambda sim: sim.operations.driving(_vehicle(sim, vid)))


def _until_parked(server: ThreadedSimulator, api: ApiClient, vid: str) -> int:
    """Advance ten simulated minutes at a time until the trip ends; the steps taken."""
    for step in range(1, 5 * 6 + 1):  # at most five hours
        server.advance(600)
        if not _driving(server, vid):
            api.token = server.token()["access_token"]  # tokens live a simulated hour
            return step
    raise AssertionError("still driving after five simulated hours")


def _status(api: ApiClient, vid: str) -> dict[str, Any]:
    found: dict[str, Any] = api.get(f"/user/vehicles/{vid}/status").json()
    return found


def _trip_ids(api: ApiClient, vid: str) -> list[str]:
    body = api.get(f"/user/vehicles/{vid}/trips", params={"pageSize": 60}).json()
    return [trip["id"] for trip in body["_embedded"]["trips"]]


def _position(api: ApiClient, vid: str) -> list[float]:
    found: list[float] = api.get(f"/user/vehicles/{vid}/lastPosition").json()["geometry"][
        "coordinates"
    ]
    return found[:2]


def _level(status: dict[str, Any]) -> float:
    return float(status["energies"][0]["level"])


def _behaviour(api: ApiClient, vid: str) -> dict[str, Any]:
    answer = api.raw("GET", f"{CONTROL}/vehicles/{vid}/remote-behaviour")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


# ------------------------------------------------------------------ drive
def test_drive_with_life_off_makes_a_real_trip(
    ccsim: ThreadedSimulator, api: ApiClient, record: Callable[[str], list[str]]
) -> None:
    assert not ccsim.call(lambda sim: sim.life.enabled)
    vid = api.vehicle_ids()[0]
    before = _status(api, vid)
    trips_before = _trip_ids(api, vid)
    start = _position(api, vid)
    target = (round(start[0] + 0.04, 6), round(start[1] + 0.03, 6))
    causes = record(vid)

    ccsim.call(lambda sim: sim.operations.drive(_vehicle(sim, vid), target, speed_kmh=40))
    assert _driving(ccsim, vid)
    assert causes == ["ignition-on"]
    assert _status(api, vid)["ignition"]["type"] == "Start"
    ccsim.advance(120)
    assert _status(api, vid)["kinetic"]["moving"] is True

    _until_parked(ccsim, api, vid)
    after = _status(api, vid)
    assert causes[0] == "ignition-on" and causes[-1] == "ignition-off"
    assert causes.count("driving") >= 3  # a sample every 30 to 60 s on the way
    assert after["ignition"]["type"] == "Stop" and after["kinetic"]["moving"] is False
    assert after["odometer"]["mileage"] > before["odometer"]["mileage"]
    assert _level(after) < _level(before)
    assert _position(api, vid) == pytest.approx(list(target), abs=1e-6)
    new = [trip for trip in _trip_ids(api, vid) if trip not in trips_before]
    assert len(new) == 1
    trip = api.get(f"/user/vehicles/{vid}/trips/{new[0]}").json()
    assert trip["stopPosition"]["geometry"]["coordinates"][:2] == pytest.approx(
        list(target), abs=1e-6
    )


def test_drive_is_refused_when_driving_immobilized_or_offline(
    ccsim: ThreadedSimulator, api: ApiClient
) -> None:
    vid = api.vehicle_ids()[1]

    def refused(prepare: Any) -> str:
        def run(sim: Simulator) -> str:
            vehicle = _vehicle(sim, vid)
            prepare(sim, vehicle)
            with pytest.raises(InvalidField) as caught:
                sim.operations.drive(vehicle, (2.35, 48.85))
            assert caught.value.debug == "vehicle"
            return str(caught.value)

        return ccsim.call(run)

    def offline(sim: Simulator, vehicle: Vehicle) -> None:
        sim.operations.set_online(vehicle, False)

    def immobilized(sim: Simulator, vehicle: Vehicle) -> None:
        sim.operations.set_online(vehicle, True)
        sim.operations.immobilize(vehicle, True)

    def driving(sim: Simulator, vehicle: Vehicle) -> None:
        sim.operations.immobilize(vehicle, False)
        sim.operations.drive(vehicle, (2.35, 48.85))

    assert "offline" in refused(offline)
    assert "immobilized" in refused(immobilized)
    assert "already driving" in refused(driving)


def test_park_ends_the_trip_where_the_car_is(
    ccsim: ThreadedSimulator, api: ApiClient, record: Callable[[str], list[str]]
) -> None:
    vid = api.vehicle_ids()[2]
    trips_before = _trip_ids(api, vid)
    start = _position(api, vid)
    target = (round(start[0] + 0.3, 6), round(start[1], 6))  # a long way
    ccsim.call(lambda sim: sim.operations.drive(_vehicle(sim, vid), target))
    ccsim.advance(600)
    causes = record(vid)
    ccsim.call(lambda sim: sim.operations.park(_vehicle(sim, vid)))
    assert causes == ["ignition-off"]
    assert not _driving(ccsim, vid)
    status = _status(api, vid)
    assert status["ignition"]["type"] == "Stop" and status["kinetic"]["moving"] is False
    here = _position(api, vid)
    assert here != start and here != pytest.approx(list(target), abs=1e-3)
    assert len([t for t in _trip_ids(api, vid) if t not in trips_before]) == 1


# ------------------------------------------------------------------ navigation
def _navigate(api: ApiClient, hook: WebhookReceiver, vid: str, target: tuple[float, float]) -> str:
    callback = api.raw(
        "POST",
        API + "/user/callbacks",
        params={"client_id": "demo-client"},
        headers=api.headers(),
        json={
            "label": "nav",
            "type": ["Remote"],
            "callback": {"webhook": {"target": hook.url + "/nav", "name": "nav"}},
        },
    )
    assert callback.status_code == 200, callback.text
    body = {
        "navigation": {
            "positions": [{"type": "Point", "coordinates": list(target)}],
            "driverApproval": True,
        }
    }
    sent = api.raw(
        "POST",
        f"{API}/user/vehicles/{vid}/callbacks/{callback.json()['callbackId']}/remotes",
        params={"client_id": "demo-client"},
        headers=api.headers(),
        json=body,
    )
    assert sent.status_code == 202, sent.text
    rid: str = sent.json()["remoteActionId"]
    return rid


def _done(hook: WebhookReceiver, rid: str) -> dict[str, Any]:
    statuses = [
        m["remoteEvent"]["eventStatus"]
        for m in hook.messages()
        if m["remoteEvent"]["remoteActionId"] == rid
    ]
    assert statuses and statuses[-1]["type"] == "Done", statuses
    found: dict[str, Any] = statuses[-1]
    return found


def test_an_accepted_navigation_drives_the_car_there(
    ccsim: ThreadedSimulator,
    api: ApiClient,
    ccsim_webhook: WebhookReceiver,
    record: Callable[[str], list[str]],
) -> None:
    vid = api.vehicle_ids()[0]
    trips_before = _trip_ids(api, vid)
    start = _position(api, vid)
    target = (round(start[0] - 0.05, 6), round(start[1] + 0.02, 6))
    causes = record(vid)
    rid = _navigate(api, ccsim_webhook, vid, target)
    ccsim.advance(120)  # woken, sent, the driver says yes
    assert _done(ccsim_webhook, rid)["status"] == "Success"
    assert _driving(ccsim, vid)
    accepted = causes.index("remote:navigation")
    assert causes[accepted + 1] == "ignition-on"  # the driver sets off at once
    assert _behaviour(api, vid)["destination"] == pytest.approx(list(target))

    _until_parked(ccsim, api, vid)
    assert _position(api, vid) == pytest.approx(list(target), abs=1e-6)
    assert _behaviour(api, vid).get("destination") is None  # arrived: the navigation is done
    assert len([t for t in _trip_ids(api, vid) if t not in trips_before]) == 1
    assert causes[-1] == "ignition-off" and "driving" in causes


def test_a_refused_navigation_goes_nowhere(
    ccsim: ThreadedSimulator, api: ApiClient, ccsim_webhook: WebhookReceiver
) -> None:
    vid = api.vehicle_ids()[0]
    answer = api.raw(
        "PATCH", f"{CONTROL}/vehicles/{vid}/remote-behaviour", json={"driverAccepts": False}
    )
    assert answer.status_code == 200, answer.text
    start = _position(api, vid)
    rid = _navigate(api, ccsim_webhook, vid, (start[0] + 0.05, start[1]))
    ccsim.advance(120)
    assert _done(ccsim_webhook, rid)["failureCause"] == "CanceledByDriver"
    assert not _driving(ccsim, vid)
    assert _behaviour(api, vid).get("destination") is None
    assert _position(api, vid) == start
