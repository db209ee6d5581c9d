"""Plugging a car in through the control API starts its charge (or waits for a delayed one),
unplugging stops it; and the status, lastPosition, trips and maintenance of every
motorization carry what the open-source clients read, with the reference's JSON types.

Real TLS, the manual clock: simulated time moves only when a test advances it, and the
tests then wait for the simulator to be idle (no delivery pending), never for wall time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from conftest import API, ApiClient
from reference import reference_available, validate_response

from simulator.events import VehicleSample
from simulator.store import Simulator
from simulator.testing import ThreadedSimulator
from simulator.testing.receiver import WebhookReceiver

CONTROL = "/simulator/v1"
NEEDS_REFERENCE = "official reference ../shared/reference not present (CI only)"
DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")
EVERY_DAY = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
V = "/user/vehicles/{id}"


# ------------------------------------------------------------------ helpers
def control(api: ApiClient, method: str, path: str, body: Any = None) -> Any:
    response = api.raw(method, CONTROL + path, json=body)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def patch_state(api: ApiClient, vid: str, **body: Any) -> requests.Response:
    return api.raw("PATCH", f"{CONTROL}/vehicles/{vid}/state", json=body)


def set_state(api: ApiClient, vid: str, **body: Any) -> None:
    answer = patch_state(api, vid, **body)
    assert answer.status_code == 200, answer.text


def now(api: ApiClient) -> datetime:
    return datetime.fromisoformat(control(api, "GET", "/clock")["now"].replace("Z", "+00:00"))


def advance(api: ApiClient, seconds: float) -> None:
    control(api, "POST", "/clock/advance", {"seconds": seconds})
    api.token = api.server.token()["access_token"]  # tokens live an hour of simulated time


def seconds_of(duration: str) -> float:
    found = DURATION.match(duration)
    assert found is not None and duration != "PT", f"not an ISO 8601 duration: {duration!r}"
    hours, minutes, seconds = found.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def new_vehicle(api: ApiClient, motorization: str) -> str:
    body = {"owner": "demo@example.com", "motorization": motorization}
    return str(control(api, "POST", "/vehicles", body)["id"])


def status(api: ApiClient, vid: str) -> dict[str, Any]:
    answer = api.get(f"/user/vehicles/{vid}/status")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def battery(api: ApiClient, vid: str) -> dict[str, Any]:
    """The Electric energy of the status."""
    energies = [e for e in status(api, vid)["energies"] if e["type"] == "Electric"]
    assert len(energies) == 1
    return energies[0]


def charging(api: ApiClient, vid: str) -> dict[str, Any]:
    found: dict[str, Any] = battery(api, vid)["extension"]["electric"]["charging"]
    return found


def processes(api: ApiClient, vid: str) -> dict[str, Any]:
    """What runs in the vehicle (the control API's remote-behaviour ``processes``)."""
    found: dict[str, Any] = control(api, "GET", f"/vehicles/{vid}/remote-behaviour")["processes"]
    return found


def settle(api: ApiClient) -> None:
    """Idle: every event raised so far has reached its target (or failed)."""
    api.server.wait_idle()
    assert not control(api, "GET", "/deliveries/pending")["lanes"], "deliveries still pending"


def data_monitor(data: str, op: str, value: list[str]) -> dict[str, Any]:
    trigger = {"name": "d", "data": {"data": data, "op": op, "value": value}}
    return {"label": data, "triggerParam": {"triggers": [trigger], "boolExp": "d"}}


class Hook:
    """One callback (monitors and remotes) of the demo user at the HTTPS receiver."""

    def __init__(self, api: ApiClient, receiver: WebhookReceiver) -> None:
        self.api = api
        self.receiver = receiver
        body = {
            "label": "plug",
            "type": ["Monitor", "Remote"],
            "callback": {"webhook": {"target": receiver.url + "/hook", "name": "plug"}},
        }
        answer = self.call("POST", "/user/callbacks", body)
        assert answer.status_code == 200, answer.text
        self.cbid: str = answer.json()["callbackId"]

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        return self.api.raw(
            method,
            API + path,
            params={"client_id": "demo-client"},
            headers=self.api.headers(),
            json=body,
        )

    def _items(self) -> Iterator[dict[str, Any]]:
        for message in self.receiver.messages():
            yield from message if isinstance(message, list) else [message]

    def monitor(self, vid: str, body: dict[str, Any]) -> str:
        answer = self.call("POST", f"/user/vehicles/{vid}/callbacks/{self.cbid}/monitors", body)
        assert answer.status_code == 202, answer.text
        return str(answer.json()["monitorId"])

    def events(self, mid: str) -> list[dict[str, Any]]:
        settle(self.api)
        return [
            item["monitorEvent"]
            for item in self._items()
            if "monitorEvent" in item and item["monitorEvent"]["monitorId"] == mid
        ]

    def remote(self, vid: str, body: dict[str, Any]) -> str:
        """Send a remote, let it run, and return its final status."""
        answer = self.call("POST", f"/user/vehicles/{vid}/callbacks/{self.cbid}/remotes", body)
        assert answer.status_code == 202, answer.text
        rid = answer.json()["remoteActionId"]
        advance(self.api, 60)
        settle(self.api)
        done = [
            item["remoteEvent"]["eventStatus"]
            for item in self._items()
            if "remoteEvent" in item
            and item["remoteEvent"]["remoteActionId"] == rid
            and item["remoteEvent"]["eventStatus"]["type"] == "Done"
        ]
        assert len(done) == 1, done
        return str(done[0]["status"])


@pytest.fixture
def hook(api: ApiClient, ccsim_webhook: WebhookReceiver) -> Hook:
    return Hook(api, ccsim_webhook)


@pytest.fixture
def samples(ccsim: ThreadedSimulator) -> Iterator[list[tuple[str, str]]]:
    """(vehicle id, cause) of every VehicleSample the bus carries during the test."""
    seen: list[tuple[str, str]] = []

    def subscribe(sim: Simulator) -> Callable[[], None]:
        return sim.bus.subscribe(
            VehicleSample, lambda event: seen.append((event.vehicle_id, event.cause))
        )

    unsubscribe = ccsim.call(subscribe)
    yield seen
    ccsim.call(lambda sim: unsubscribe())


def no_delayed_charge(api: ApiClient, vid: str) -> None:
    """Forget the charge programs and delayed start the generator may have given the car
    (an off-peak schedule): a plug then charges at once."""

    def forget(sim: Simulator) -> None:
        vehicle = sim.fleet.get(vid)
        assert vehicle is not None and vehicle.state.electric is not None
        electric = vehicle.state.electric
        electric.charging = replace(electric.charging, programs=(), next_delayed_time=None)

    api.server.call(forget)


def unplugged_at(api: ApiClient, motorization: str, level: float) -> str:
    """A new vehicle, unplugged, no delayed charge, its traction battery at ``level``."""
    vid = new_vehicle(api, motorization)
    no_delayed_charge(api, vid)
    set_state(api, vid, plugged=False, electricLevel=level)
    assert charging(api, vid)["status"] == "Disconnected"
    return vid


# ------------------------------------------------------------------ plug and unplug
def test_plugging_in_charges_to_the_target_then_finished(
    api: ApiClient, hook: Hook, samples: list[tuple[str, str]]
) -> None:
    vid = unplugged_at(api, "Electric", 50)
    started = hook.monitor(
        vid, data_monitor("vehicle.energy.charging.status", "equalsTo", ["InProgress"])
    )
    finished = hook.monitor(
        vid, data_monitor("vehicle.energy.charging.status", "equalsTo", ["Finished"])
    )
    samples.clear()
    set_state(api, vid, plugged=True, chargerPowerKw=11)

    c = charging(api, vid)
    assert c["plugged"] is True and c["status"] == "InProgress"
    assert c["chargingMode"] == "Slow" and c["chargingPowerLevel"] == "Level4"
    assert type(c["chargingRate"]) is int and c["chargingRate"] > 0
    remaining = seconds_of(c["remainingTime"])
    assert remaining > 3600  # half a battery at 11 kW
    assert c["nextDelayedTime"] == "PT0S"  # nothing delayed
    # the plug's data sample: on the bus, and through a monitor to the webhook
    assert samples == [(vid, "injected")]
    events = hook.events(started)
    assert len(events) == 1
    assert events[0]["values"][0]["value"]["body"]["literalValue"] == "InProgress"

    advance(api, remaining / 2)
    halfway = battery(api, vid)
    c = halfway["extension"]["electric"]["charging"]
    assert c["status"] == "InProgress" and 50 < halfway["level"] < 100
    assert 0 < seconds_of(c["remainingTime"]) < remaining
    assert samples.count((vid, "charging")) >= int(remaining / 2 / 60) - 1  # one a minute

    advance(api, remaining / 2 + 15 * 60)  # the target: 100 %
    full = battery(api, vid)
    c = full["extension"]["electric"]["charging"]
    assert full["level"] == 100.0
    assert c["status"] == "Finished" and c["plugged"] is True
    assert c["chargingRate"] == 0 and c["chargingMode"] == "No" and "remainingTime" not in c
    assert len(hook.events(finished)) == 1
    assert len(hook.events(started)) == 1


def test_unplugging_stops_the_charge(api: ApiClient, samples: list[tuple[str, str]]) -> None:
    vid = unplugged_at(api, "Electric", 30)
    set_state(api, vid, plugged=True)
    assert charging(api, vid)["status"] == "InProgress"
    advance(api, 600)
    level = battery(api, vid)["level"]
    assert level > 30
    samples.clear()
    set_state(api, vid, plugged=False)
    c = charging(api, vid)
    assert c == {
        "plugged": False,
        "status": "Disconnected",
        "chargingRate": 0,
        "chargingMode": "No",
        "nextDelayedTime": "PT0S",
        **({"type": c["type"]} if "type" in c else {}),
    }
    assert samples == [(vid, "injected")]
    assert processes(api, vid)["charging"] is False
    advance(api, 1800)
    assert battery(api, vid)["level"] == level  # no charge, no sample
    assert samples == [(vid, "injected")]


def test_a_charge_program_makes_the_plugged_car_wait_then_start_on_time(
    api: ApiClient, hook: Hook, ccsim: ThreadedSimulator
) -> None:
    vid = unplugged_at(api, "Electric", 40)
    zone = ZoneInfo(ccsim.call(lambda sim: sim.fleet.get(vid).home.tz))  # type: ignore[union-attr]
    local = (now(api) + timedelta(hours=2)).astimezone(zone)
    start = timedelta(hours=local.hour, minutes=local.minute)
    end = (start + timedelta(hours=5)) % timedelta(days=1)

    def iso(value: timedelta) -> str:
        minutes = int(value.total_seconds()) // 60
        return f"PT{minutes // 60}H{minutes % 60}M"

    program = {"start": iso(start), "end": iso(end), "enabled": True}
    body = {"charging": {"schedule": {"programs": [{**program, "occurence": {"day": EVERY_DAY}}]}}}
    assert hook.remote(vid, body) == "Success"
    assert charging(api, vid)["status"] == "Disconnected"  # a program alone starts nothing

    set_state(api, vid, plugged=True, chargerPowerKw=7.4)
    c = charging(api, vid)  # what a real car reports while a delayed charge waits
    assert c["plugged"] is True and c["status"] == "Stopped"
    assert c["chargingRate"] == 0 and c["chargingMode"] == "No"
    assert seconds_of(c["remainingTime"]) > 3600  # what the charge will take
    wait = seconds_of(c["nextDelayedTime"])
    assert 3600 < wait <= 2 * 3600
    assert processes(api, vid)["delayedCharge"] is True

    advance(api, wait - 60)
    assert charging(api, vid)["status"] == "Stopped"
    assert battery(api, vid)["level"] == 40.0
    advance(api, 120)  # the program's start, on the simulator clock
    c = charging(api, vid)
    assert c["status"] == "InProgress" and c["chargingRate"] > 0
    assert c["nextDelayedTime"] == "PT0S" and c["chargingPowerLevel"] == "Level3"  # 7.4 kW


def test_a_delayed_start_waits_and_survives_unplugging_and_plugging_again(
    api: ApiClient, hook: Hook
) -> None:
    vid = unplugged_at(api, "Hybrid", 20)
    set_state(api, vid, plugged=True)
    assert charging(api, vid)["status"] == "InProgress"
    at = (now(api) + timedelta(hours=2)).replace(microsecond=0)
    delayed = {"charging": {"schedule": {"nextDelayedTime": at.isoformat().replace("+00:00", "Z")}}}
    assert hook.remote(vid, delayed) == "Success"  # clients stop a charge this way
    c = charging(api, vid)
    assert c["status"] == "Stopped" and 0 < seconds_of(c["nextDelayedTime"]) < 2 * 3600

    set_state(api, vid, plugged=False)
    assert charging(api, vid)["status"] == "Disconnected"
    set_state(api, vid, plugged=True)  # plugged again before the delayed start: it waits
    c = charging(api, vid)
    assert c["status"] == "Stopped" and c["plugged"] is True
    wait = (at - now(api)).total_seconds()
    assert seconds_of(c["nextDelayedTime"]) == pytest.approx(wait, abs=1)

    advance(api, wait - 60)
    assert charging(api, vid)["status"] == "Stopped"
    advance(api, 120)
    assert charging(api, vid)["status"] == "InProgress"


@pytest.mark.parametrize(
    ("motorization", "power", "level", "mode"),
    [
        ("Electric", None, "Level3", "Slow"),  # no power given: a 7.4 kW home wallbox
        ("Electric", 100, "Level5", "Quick"),
        ("Hybrid", 50, "Level4", "Slow"),  # a plug-in hybrid takes 11 kW at most
    ],
)
def test_the_charger_power(
    api: ApiClient, motorization: str, power: float | None, level: str, mode: str
) -> None:
    vid = unplugged_at(api, motorization, 30)
    set_state(api, vid, plugged=True, **({} if power is None else {"chargerPowerKw": power}))
    c = charging(api, vid)
    assert c["status"] == "InProgress"
    assert (c["chargingPowerLevel"], c["chargingMode"]) == (level, mode)


def test_plugging_in_a_full_battery_is_finished_at_once(api: ApiClient) -> None:
    vid = unplugged_at(api, "Electric", 100)
    set_state(api, vid, plugged=True)
    c = charging(api, vid)
    assert c["plugged"] is True and c["status"] == "Finished" and c["chargingRate"] == 0


def test_engine_temperatures_are_set_on_engines_only(api: ApiClient) -> None:
    thermic = new_vehicle(api, "Thermic")
    set_state(api, thermic, oilTempC=124.5, coolantTempC=104)
    (engine,) = status(api, thermic)["engines"]
    assert engine["extension"]["thermic"]["oil"]["temp"] == 124.5
    assert engine["extension"]["thermic"]["coolant"]["temp"] == 104
    electric = new_vehicle(api, "Electric")
    before = status(api, electric)
    for field in ("oilTempC", "coolantTempC"):
        answer = patch_state(api, electric, **{field: 90, "lockedStates": ["Unlocked"]})
        assert answer.status_code == 400, answer.text
        assert answer.json()["debug"] == field
        assert "Electric" in answer.json()["message"]
    after = status(api, electric)  # nothing changed, no sample
    assert after["doorsState"] == before["doorsState"] and after["updatedAt"] == before["updatedAt"]


def test_plugging_what_has_no_plug_is_400_naming_the_field(api: ApiClient) -> None:
    thermic = new_vehicle(api, "Thermic")
    before = status(api, thermic)
    for body, field in (
        ({"plugged": True, "lockedStates": ["Unlocked"]}, "plugged"),
        ({"plugged": False}, "plugged"),
        ({"chargerPowerKw": 7.4}, "chargerPowerKw"),
    ):
        answer = patch_state(api, thermic, **body)
        assert answer.status_code == 400, answer.text
        assert answer.json()["debug"] == field
        assert "Thermic" in answer.json()["message"]
    after = status(api, thermic)  # nothing changed, no sample
    assert after["doorsState"] == before["doorsState"] and after["updatedAt"] == before["updatedAt"]
    electric = unplugged_at(api, "Electric", 50)
    for body in ({"chargerPowerKw": 7.4}, {"plugged": False, "chargerPowerKw": 7.4}):
        answer = patch_state(api, electric, **body)
        assert answer.status_code == 400 and answer.json()["debug"] == "chargerPowerKw"
    set_state(api, electric, plugged=True)
    set_state(api, electric, chargerPowerKw=22)  # plugged: a new power for the same charge
    assert charging(api, electric)["chargingPowerLevel"] == "Level4"


# ------------------------------------------------------------------ what clients read
NUMBER = "number"
Kind = str  # "int", "number", "bool", "str", "list"
COMMON: list[tuple[str, Kind]] = [
    ("environment.air.temp", NUMBER),
    ("kinetic.moving", "bool"),
    ("odometer.mileage", NUMBER),
    ("privacy.state", "str"),
    ("preconditioning.airConditioning.status", "str"),
    ("ignition.type", "str"),
    ("alarm.status.activation", "str"),
    ("battery.voltage", NUMBER),  # the 12 V battery
    ("service.type", "str"),
    ("lastPosition.geometry.type", "str"),
    ("lastPosition.geometry.coordinates", "list"),
    ("lastPosition.properties.createdAt", "str"),
    ("lastPosition.properties.heading", "int"),
    ("lastPosition.properties.type", "str"),
    ("lastPosition.properties.signalQuality", "int"),
]
ELECTRIC: list[tuple[str, Kind]] = [
    ("energies[type=Electric].level", NUMBER),
    ("energies[type=Electric].autonomy", "int"),
    ("energies[type=Electric].extension.electric.battery.health.capacity", "int"),
    ("energies[type=Electric].extension.electric.battery.health.resistance", "int"),
    ("energies[type=Electric].extension.electric.battery.load.capacity", "int"),
    ("energies[type=Electric].extension.electric.battery.load.residual", "int"),
    ("energies[type=Electric].extension.electric.charging.plugged", "bool"),
    ("energies[type=Electric].extension.electric.charging.status", "str"),
    ("energies[type=Electric].extension.electric.charging.chargingMode", "str"),
    ("energies[type=Electric].extension.electric.charging.nextDelayedTime", "str"),
    ("energies[type=Electric].extension.electric.charging.chargingRate", "int"),
    ("energies[type=Electric].extension.electric.charging.remainingTime", "str"),  # charging
    # the older generation's flat list, which psa-car-controller reads
    ("energy[type=Electric].charging.nextDelayedTime", "str"),
    ("energy[type=Electric].battery.health.resistance", "int"),
    ("energy[type=Electric].updatedAt", "str"),
]
FUEL: list[tuple[str, Kind]] = [
    ("energies[type=Fuel].level", NUMBER),
    ("energies[type=Fuel].autonomy", "int"),
    ("energies[type=Fuel].extension.fuel.consumptions.total", NUMBER),
    ("energies[type=Fuel].extension.fuel.consumptions.instant", NUMBER),
    ("energy[type=Fuel].updatedAt", "str"),
]
THERMIC_ENGINE: list[tuple[str, Kind]] = [
    ("engines[0].type", "str"),  # clients read the thermic engine at index 0
    ("engines[0].extension.thermic.oil.temp", NUMBER),
    ("engines[0].extension.thermic.coolant.temp", NUMBER),
]
PATHS: dict[str, list[tuple[str, Kind]]] = {
    "Electric": COMMON + ELECTRIC,
    "Hybrid": COMMON + FUEL + ELECTRIC + THERMIC_ENGINE,
    "Thermic": COMMON + FUEL + THERMIC_ENGINE,
}
ENERGIES = {"Electric": ["Electric"], "Hybrid": ["Fuel", "Electric"], "Thermic": ["Fuel"]}
STEP = re.compile(r"([A-Za-z_]+)(?:\[(\d+|type=\w+)\])?")


def resolve(document: Any, path: str) -> Any:
    """The value at ``path`` (``a.b[0].c``, ``energies[type=Fuel].level``); KeyError else."""
    node = document
    for step in path.split("."):
        found = STEP.fullmatch(step)
        assert found is not None, step
        name, index = found.groups()
        node = node[name]
        if index is None:
            continue
        if index.startswith("type="):
            matches = [item for item in node if item.get("type") == index[5:]]
            if len(matches) != 1:
                raise KeyError(f"{name}[{index}]")
            node = matches[0]
        else:
            node = node[int(index)]
    return node


def json_kind(value: Any) -> Kind:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def prepared(api: ApiClient, motorization: str) -> str:
    """A vehicle of that motorization whose position shows, charging when it can."""
    vid = new_vehicle(api, motorization)
    if motorization == "Thermic":
        set_state(api, vid, privacy="None")
    else:
        no_delayed_charge(api, vid)
        set_state(api, vid, privacy="None", plugged=False, electricLevel=50)
        set_state(api, vid, plugged=True)
    return vid


@pytest.mark.parametrize("motorization", ["Electric", "Hybrid", "Thermic"])
def test_every_motorization_serves_what_clients_read(api: ApiClient, motorization: str) -> None:
    vid = prepared(api, motorization)
    body = status(api, vid)
    assert [e["type"] for e in body["energies"]] == ENERGIES[motorization]
    problems = []
    for path, kind in PATHS[motorization]:
        try:
            value = resolve(body, path)
        except (KeyError, IndexError, TypeError):
            problems.append(f"{path}: missing")
            continue
        found = json_kind(value)
        if found != kind and not (kind == NUMBER and found == "int"):
            problems.append(f"{path}: {found} {value!r}, not {kind}")
    assert not problems, "\n".join(problems)
    if motorization != "Electric":
        assert resolve(body, "engines[0].type") == "Thermic"
        assert body["energies"][0]["extension"]["fuel"]["consumptions"]["instant"] == 0.0  # parked
    if motorization == "Thermic":
        assert "Electric" not in {e["type"] for e in body["energy"]}
    else:
        assert resolve(body, "energies[type=Electric].extension.electric.charging.status") == (
            "InProgress"
        )
    coordinates = resolve(body, "lastPosition.geometry.coordinates")
    assert 2 <= len(coordinates) <= 3 and all(json_kind(c) == NUMBER for c in coordinates)

    position = api.get(f"/user/vehicles/{vid}/lastPosition").json()
    assert position == body["lastPosition"]
    trips = api.get(f"/user/vehicles/{vid}/trips").json()
    assert trips["total"] >= 1
    trip = trips["_embedded"]["trips"][0]
    assert {e["type"] for e in trip["startEnergies"]} == set(ENERGIES[motorization])
    for key, kind in (("id", "str"), ("startedAt", "str"), ("distance", NUMBER)):
        assert json_kind(trip[key]) in (kind, "int" if kind == NUMBER else kind), key
    maintenance = api.get(f"/user/vehicles/{vid}/maintenance").json()
    assert json_kind(maintenance["daysBeforeMaintenance"]) == "int"
    assert json_kind(maintenance["mileageBeforeMaintenance"]) in (NUMBER, "int")


def test_fuel_consumptions_follow_the_engine(api: ApiClient) -> None:
    vid = new_vehicle(api, "Thermic")
    set_state(api, vid, mileageKm=10_000, ignition="Start", speedKmh=50)
    fuel = status(api, vid)["energies"][0]["extension"]["fuel"]
    average = fuel["consumption"]["consumption"]
    assert fuel["consumptions"]["instant"] == average > 0  # L/100 km while it runs
    assert fuel["consumptions"]["total"] == pytest.approx(10_000 * average, rel=0.01)  # cL


@pytest.mark.skipif(not reference_available(), reason=NEEDS_REFERENCE)
@pytest.mark.parametrize("motorization", ["Electric", "Hybrid", "Thermic"])
def test_every_motorization_validates_against_the_reference(
    api: ApiClient, motorization: str
) -> None:
    vid = prepared(api, motorization)
    base = f"/user/vehicles/{vid}"
    # `energy` is the older generation's list; the reference keeps it as one object
    validate_response("GET", V + "/status", 200, status(api, vid), exempt={"energy"})
    for suffix in ("/lastPosition", "/trips", "/maintenance"):
        answer = api.get(base + suffix)
        assert answer.status_code == 200, answer.text
        validate_response("GET", V + suffix, 200, answer.json())
