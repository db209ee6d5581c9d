"""Monitors end to end over mTLS on the manual clock: a vehicle driven step by step through
the control API's data injection, and exactly the expected events at a real HTTPS receiver."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import API, ApiClient
from reference import reference_available, validate_response, validate_webhook_schema

from simulator.monitors.params import EXTENSIONS
from simulator.testing.receiver import WebhookReceiver, WebSocketReceiver

CONTROL = "/simulator/v1"
NEEDS_REFERENCE = "official reference ../shared/reference not present (CI only)"
KM_PER_DEG_LAT = 111.195


# ------------------------------------------------------------------ helpers
def control(api: ApiClient, method: str, path: str, body: Any = None) -> Any:
    response = api.raw(method, CONTROL + path, json=body)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def next_local(api: ApiClient, hour: int, minute: int, zone: str = "Europe/Paris") -> datetime:
    """The next ``hour:minute`` in ``zone`` after the simulator's now (aware)."""
    now = datetime.fromisoformat(control(api, "GET", "/clock")["now"].replace("Z", "+00:00"))
    local = now.astimezone(ZoneInfo(zone))
    target = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= local:
        target = (target + timedelta(days=1)).replace(hour=hour, minute=minute)
    return target


def shifted(lon: float, lat: float, east_km: float, north_km: float) -> tuple[float, float]:
    return (
        lon + east_km / (KM_PER_DEG_LAT * math.cos(math.radians(lat))),
        lat + north_km / KM_PER_DEG_LAT,
    )


class Monitors:
    """One user's view: a Monitor callback at the receiver, and one of the vehicles."""

    def __init__(self, api: ApiClient, hook: WebhookReceiver) -> None:
        self.api = api
        self.hook = hook
        body = {
            "label": "monitors",
            "type": ["Monitor"],
            "callback": {
                "webhook": {
                    "target": hook.url + "/monitor",
                    "name": "m",
                    "attributes": [{"type": "Header", "key": "X-Monitor", "value": "$MonitorID"}],
                }
            },
        }
        answer = self.call("POST", "/user/callbacks", body)
        assert answer.status_code == 200, answer.text
        self.cbid: str = answer.json()["callbackId"]
        self.vid: str = api.vehicle_ids()[0]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return self.api.raw(
            method,
            API + path,
            params={"client_id": "demo-client"},
            headers=self.api.headers(),
            json=body,
        )

    def path(self, legacy: bool = False) -> str:
        if legacy:
            return f"/user/vehicles/{self.vid}/monitors"
        return f"/user/vehicles/{self.vid}/callbacks/{self.cbid}/monitors"

    def create(self, body: dict[str, Any], legacy: bool = False) -> str:
        answer = self.call("POST", self.path(legacy), body)
        assert answer.status_code == 202, answer.text
        mid: str = answer.json()["monitorId"]
        return mid

    def inject(self, **state: Any) -> None:
        control(self.api, "PATCH", f"/vehicles/{self.vid}/state", state)

    def at(self, east_km: float, north_km: float = 0.0, **state: Any) -> None:
        lon, lat = shifted(*self.home, east_km, north_km)
        self.inject(position={"longitude": lon, "latitude": lat}, **state)

    @property
    def home(self) -> tuple[float, float]:
        if not hasattr(self, "_home"):
            found = self.api.get(f"/user/vehicles/{self.vid}/lastPosition").json()
            lon, lat = found["geometry"]["coordinates"][:2]
            self._home = (float(lon), float(lat))
        return self._home

    def settle(self) -> None:
        """Every event raised so far has reached the receiver (or failed)."""
        self.api.server.wait_idle()
        lanes = control(self.api, "GET", "/deliveries/pending")["lanes"]
        assert not lanes, f"deliveries still pending: {lanes}"

    def events(self, mid: str | None = None) -> list[dict[str, Any]]:
        self.settle()
        found = []
        for message in self.hook.messages():
            items = message if isinstance(message, list) else [message]
            for item in items:
                event = item.get("monitorEvent")
                if event is not None and (mid is None or event["monitorId"] == mid):
                    found.append(event)
        return found


def zone_monitor(lon: float, lat: float, radius_km: float, transition: str) -> dict[str, Any]:
    return {
        "label": "home zone",
        "triggerParam": {
            "triggers": [
                {
                    "name": "home",
                    "zone": {
                        "transition": transition,
                        "place": {
                            "center": {"longitude": lon, "latitude": lat},
                            "radius": radius_km,
                        },
                    },
                }
            ],
            "boolExp": "home",
        },
    }


def data_monitor(data: str, op: str, value: list[str] | None = None) -> dict[str, Any]:
    trigger: dict[str, Any] = {"data": data, "op": op}
    if value is not None:
        trigger["value"] = value
    return {
        "label": data,
        "triggerParam": {"triggers": [{"name": "d", "data": trigger}], "boolExp": "d"},
    }


@pytest.fixture
def mon(api: ApiClient, ccsim_webhook: WebhookReceiver) -> Monitors:
    return Monitors(api, ccsim_webhook)


# ------------------------------------------------------------------ zone
def test_circle_enter_then_leave_with_exactly_one_event_each(mon: Monitors) -> None:
    lon, lat = mon.home
    mon.at(5.0)  # start 5 km east, outside a 2 km circle around home
    enter = mon.create(zone_monitor(lon, lat, 2, "In"))
    leave = mon.create(zone_monitor(lon, lat, 2, "Out"))
    assert mon.events() == []
    for east in (3.0, 1.5, 1.0, 0.5, 0.0, 0.5):  # drive in, stay inside
        mon.at(east)
    entered = mon.events(enter)
    assert len(entered) == 1 and mon.events(leave) == []
    event = entered[0]
    assert event["refresh"] is False
    assert event["values"][0]["kind"] == "zone" and event["values"][0]["trigger"] == "home"
    assert event["values"][0]["value"]["body"]["literalValue"] == "In"
    for east in (1.5, 3.0, 6.0, 8.0):  # drive out, stay outside
        mon.at(east)
    assert len(mon.events(enter)) == 1
    assert len(mon.events(leave)) == 1
    message = next(
        r for r in mon.hook.accepted() if r.json().get("monitorEvent", {}).get("monitorId") == leave
    )
    assert message.headers["x-monitor"] == leave  # $MonitorID expanded
    body = message.json()
    assert body["type"] == "Monitor" and body["callbackId"] == mon.cbid
    assert body["vin"] and body["eventId"]


def test_gps_jitter_at_the_border_does_not_flap(mon: Monitors) -> None:
    lon, lat = mon.home
    mon.at(0.0)
    mid = mon.create(zone_monitor(lon, lat, 1, "Out"))
    mon.at(1.3)  # well out: one event
    assert len(mon.events(mid)) == 1
    for east in (1.02, 0.98, 1.01, 0.97, 1.03, 0.99):  # ±30 m around the border
        mon.at(east)
    assert len(mon.events(mid)) == 1
    mon.at(0.5)  # back in, well past the band
    mon.at(1.2)  # out again: a second event
    assert len(mon.events(mid)) == 2


def _polygon(lon: float, lat: float, ring_km: Sequence[tuple[float, float]]) -> list[list[float]]:
    return [list(shifted(lon, lat, e, n)) for e, n in ring_km]


def test_concave_polygon_enter_and_leave(mon: Monitors) -> None:
    lon, lat = mon.home
    # a U shape 6 km wide: the notch (x in 2..4, y above 2) is outside
    u_shape = [(0, 0), (6, 0), (6, 6), (4, 6), (4, 2), (2, 2), (2, 6), (0, 6), (0, 0)]
    ring = _polygon(lon, lat, u_shape)
    body = {
        "label": "U",
        "triggerParam": {
            "triggers": [
                {
                    "name": "u",
                    "zone": {
                        "transition": "In",
                        "polygon": {"type": "Polygon", "coordinates": ring},
                    },
                }
            ],
            "boolExp": "u",
        },
    }
    mon.at(3.0, 5.0)  # in the notch: outside
    mid = mon.create(body)
    mon.at(3.0, 4.0)  # still in the notch
    assert mon.events(mid) == []
    mon.at(1.0, 4.0)  # the left arm: inside
    assert len(mon.events(mid)) == 1
    mon.at(1.0, 1.0)  # the base: still inside
    mon.at(3.0, 1.0)
    assert len(mon.events(mid)) == 1
    mon.at(3.0, 4.0)  # back into the notch: out
    mon.at(5.0, 4.0)  # the right arm: in again
    assert len(mon.events(mid)) == 2
    shown = mon.call("GET", f"{mon.path()}/{mid}").json()
    assert shown["monitor"]["triggerParam"]["triggers"][0]["zone"]["polygon"]["type"] == "Polygon"


def test_privacy_hides_the_position_from_zone_triggers(mon: Monitors) -> None:
    lon, lat = mon.home
    mon.at(0.0)
    mid = mon.create(zone_monitor(lon, lat, 1, "Out"))
    mon.at(5.0, privacy="Geolocation")  # the car does not report where it is
    assert mon.events(mid) == []
    mon.inject(privacy="None")  # reports again: now outside
    assert len(mon.events(mid)) == 1


# ------------------------------------------------------------------ time
def test_night_window_in_the_monitor_time_zone(mon: Monitors) -> None:
    body = {
        "label": "night use",
        "triggerParam": {
            "triggers": [
                {
                    "name": "night",
                    "time": {
                        "times": [{"recurrence": "Daily", "start": "PT23H", "duration": "PT6H"}],
                        "timeZone": "Europe/Paris",
                    },
                }
            ],
            "boolExp": "night",
        },
        "extendedEventParam": ["vehicle.position"],
    }
    control(mon.api, "POST", "/clock/advance", {"to": next_local(mon.api, 22, 30).isoformat()})
    mon.api.token = mon.api.server.token()["access_token"]
    mon.inject(ignition="Start", speedKmh=40)
    mid = mon.create(body)
    mon.inject(speedKmh=50)  # 22:30 Paris: outside the window
    assert mon.events(mid) == []
    control(mon.api, "POST", "/clock/advance", {"seconds": 45 * 60})  # 23:15 Paris
    mon.inject(speedKmh=45)
    events = mon.events(mid)
    assert len(events) == 1
    assert events[0]["values"][0]["kind"] == "time"
    assert "T23:15:00" in events[0]["values"][0]["value"]["body"]["literalValue"]
    assert events[0]["extensions"][0]["type"] == "vehicle.position"
    mon.inject(speedKmh=0, ignition="Stop")  # parked: not in use
    control(mon.api, "POST", "/clock/advance", {"seconds": 30 * 60})
    mon.inject(ignition="Start", speedKmh=20)  # used again in the same night: a new event
    assert len(mon.events(mid)) == 2
    mon.api.token = mon.api.server.token()["access_token"]


def test_clock_advances_to_a_time_but_never_back(mon: Monitors) -> None:
    target = next_local(mon.api, 22, 30)
    answer = control(mon.api, "POST", "/clock/advance", {"to": target.isoformat()})
    assert datetime.fromisoformat(answer["now"].replace("Z", "+00:00")) == target
    earlier = (target - timedelta(hours=1)).isoformat()
    back = mon.api.raw("POST", CONTROL + "/clock/advance", json={"to": earlier})
    assert back.status_code == 400 and back.json()["debug"] == "to"
    mon.api.token = mon.api.server.token()["access_token"]


# ------------------------------------------------------------------ data
def test_fuel_dropping_through_a_threshold(mon: Monitors) -> None:
    vid = new_vehicle(mon.api, "Thermic")
    mon.vid = vid
    mon.inject(fuelLevel=30)
    mid = mon.create(data_monitor("vehicle.energy.fuel.level", "lowerThan", ["10"]))
    for level in (25, 18, 12, 10):
        mon.inject(fuelLevel=level)
    assert mon.events(mid) == []
    for level in (9, 7, 5):  # below: one event, none while it stays below
        mon.inject(fuelLevel=level)
    events = mon.events(mid)
    assert len(events) == 1
    item = events[0]["values"][0]
    assert item.pop("position", {"type": "Point"})["type"] == "Point"  # unless privacy hides it
    assert item == {
        "data": "vehicle.energy.fuel.level",
        "trigger": "d",
        "kind": "data",
        "value": {"type": "string", "body": {"literalValue": "9"}},
    }
    mon.inject(fuelLevel=60)  # refuelled
    mon.inject(fuelLevel=8)
    assert len(mon.events(mid)) == 2


def test_door_opening_on_change(mon: Monitors) -> None:
    mon.inject(openDoors=[])
    mid = mon.create(data_monitor("vehicle.doorsState.opening", "onChange"))
    mon.inject(openDoors=[])
    assert mon.events(mid) == []
    mon.inject(openDoors=["Driver"])
    mon.inject(openDoors=["Driver"])  # no change: nothing
    events = mon.events(mid)
    assert len(events) == 1
    assert events[0]["values"][0]["value"]["body"]["literalValue"] == "Driver"
    mon.inject(openDoors=[])
    assert len(mon.events(mid)) == 2


def test_a_door_opens_while_locked(mon: Monitors) -> None:
    mon.inject(openDoors=[], lockedStates=["Locked"])
    body = {
        "label": "break-in?",
        "triggerParam": {
            "triggers": [
                {
                    "name": "opened",
                    "data": {"data": "vehicle.doorsState.opening", "op": "onChange"},
                },
                {
                    "name": "moving",
                    "data": {"data": "vehicle.kinetic.moving", "op": "equalsTo", "value": ["true"]},
                },
            ],
            "boolExp": "opened & !moving",
        },
        "extendedEventParam": ["vehicle.doorsState"],
    }
    mid = mon.create(body)
    mon.inject(openDoors=["Trunk"])
    events = mon.events(mid)
    assert len(events) == 1
    assert [v["trigger"] for v in events[0]["values"]] == ["opened"]
    doors = events[0]["extensions"][0]
    assert doors["type"] == "vehicle.doorsState"
    assert doors["body"][0]["doorState"]["lockedStates"] == ["Locked"]


def test_alert_included_in_with_obj_alert_values(mon: Monitors) -> None:
    mid = mon.create(
        data_monitor("vehicle.alert", "includedIn", ["FuelLevelLow", "EngineMisfiringFuel"])
    )
    mon.inject(alerts=["AddWasherFluid"])
    assert mon.events(mid) == []
    mon.inject(alerts=["AddWasherFluid", "FuelLevelLow"])
    events = mon.events(mid)
    assert len(events) == 1
    value = events[0]["values"][0]["value"]
    assert value["type"] == "obj.alert"
    assert {a["type"] for a in value["body"]["objectValues"]} == {"AddWasherFluid", "FuelLevelLow"}


def test_previous_state_rule(mon: Monitors) -> None:
    """Charging status Finished, but only when it was InProgress just before."""
    vid = new_vehicle(mon.api, "Electric")
    mon.vid = vid
    body = data_monitor("vehicle.energy.charging.plugged", "equalsTo", ["false"])
    body["triggerParam"]["triggers"][0]["data"]["previous"] = {"op": "equalsTo", "value": ["true"]}
    mon.inject(plugged=True)
    mid = mon.create(body)
    mon.inject(plugged=False)  # true -> false: fires
    events = mon.events(mid)
    assert len(events) == 1 and events[0]["values"][0]["previous"] == "true"
    mon.inject(plugged=False)
    assert len(mon.events(mid)) == 1


# ------------------------------------------------------------------ refresh, pause, delete
def test_refresh_reminders_while_true_and_none_after(mon: Monitors) -> None:
    mon.inject(openDoors=[])
    body = data_monitor("vehicle.energy.electric.level", "lowerThan", ["101"])
    body = data_monitor("vehicle.kinetic.moving", "equalsTo", ["true"])
    body["subscribeParam"] = {"refreshEvent": 60}
    mid = mon.create(body)
    mon.inject(ignition="Start", speedKmh=30)
    control(mon.api, "POST", "/clock/advance", {"seconds": 150})
    events = mon.events(mid)
    assert [e["refresh"] for e in events] == [False, True, True]
    mon.inject(speedKmh=0)
    control(mon.api, "POST", "/clock/advance", {"seconds": 300})
    assert len(mon.events(mid)) == 3


def test_paused_monitor_is_silent_and_resumes_from_the_current_state(mon: Monitors) -> None:
    mid = mon.create(data_monitor("vehicle.kinetic.moving", "equalsTo", ["true"]))
    answer = mon.call("PUT", f"{mon.path()}/{mid}/status", {"status": "Paused"})
    assert answer.status_code == 202 and answer.json()["status"] == "Paused"
    mon.inject(ignition="Start", speedKmh=30)
    mon.inject(speedKmh=0)
    mon.inject(speedKmh=30)  # moving while paused
    assert mon.events(mid) == []
    answer = mon.call("PUT", f"{mon.path()}/{mid}/status", {"status": "Running"})
    assert answer.json()["status"] == "Running"
    mon.inject(speedKmh=35)  # still moving: what it missed is not replayed
    assert mon.events(mid) == []
    mon.inject(speedKmh=0)
    mon.inject(speedKmh=20)
    assert len(mon.events(mid)) == 1


def test_crud_and_both_forms(mon: Monitors, ccsim_webhook: WebhookReceiver) -> None:
    mid = mon.create(data_monitor("vehicle.kinetic.moving", "onChange"))
    listed = mon.call("GET", mon.path()).json()
    assert [m["monitorId"] for m in listed["_embedded"]["monitors"]] == [mid]
    one = mon.call("GET", f"{mon.path()}/{mid}").json()
    assert one["status"] == "Running" and one["monitor"]["label"] == "vehicle.kinetic.moving"
    assert "mid" not in one
    legacy = {
        **data_monitor("vehicle.speed", "greaterThan", ["130"]),
        "subscribeParam": {
            "callback": {"target": ccsim_webhook.url + "/legacy", "name": "old"},
            "retryPolicy": {"policy": "Bounded", "maxRetryNumber": 3, "retryDelay": 5},
        },
    }
    old = mon.create(legacy, legacy=True)
    shown = mon.call("GET", f"{mon.path(legacy=True)}/{old}").json()
    assert shown["mid"] == old and shown["monitorId"] == old
    mon.inject(ignition="Start", speedKmh=140)
    mon.settle()
    legacy_events = [r for r in ccsim_webhook.accepted() if r.path == "/legacy"]
    assert len(legacy_events) == 1
    assert legacy_events[0].json()["monitorEvent"]["monitorId"] == old
    assert "callbackId" not in legacy_events[0].json()
    # replace, delete
    answer = mon.call(
        "PUT", f"{mon.path()}/{mid}", data_monitor("vehicle.kinetic.speed", "greaterThan", ["10"])
    )
    assert answer.status_code == 202
    assert (
        mon.call("GET", f"{mon.path()}/{mid}").json()["monitor"]["label"] == "vehicle.kinetic.speed"
    )
    assert mon.call("DELETE", f"{mon.path()}/{mid}").status_code == 204
    assert mon.call("GET", f"{mon.path()}/{mid}").status_code == 404
    # deleting the callback deletes its monitors
    again = mon.create(data_monitor("vehicle.kinetic.moving", "onChange"))
    assert mon.call("DELETE", f"/user/callbacks/{mon.cbid}").status_code == 204
    gone = mon.api.raw(
        "GET",
        API + f"/user/vehicles/{mon.vid}/monitors/{again}",
        params={"client_id": "demo-client"},
        headers=mon.api.headers(),
    )
    assert gone.status_code == 404


def test_sixth_monitor_is_refused(mon: Monitors) -> None:
    for _ in range(5):
        mon.create(data_monitor("vehicle.kinetic.moving", "onChange"))
    answer = mon.call("POST", mon.path(), data_monitor("vehicle.kinetic.moving", "onChange"))
    assert answer.status_code == 400, answer.text


def test_batched_legacy_monitor_waits_for_its_window(
    mon: Monitors, ccsim_webhook: WebhookReceiver
) -> None:
    body = {
        **data_monitor("vehicle.doorsState.opening", "onChange"),
        "subscribeParam": {
            "callback": {"target": ccsim_webhook.url + "/batched", "name": "b"},
            "batchNotify": {"size": 10, "timeWindow": 60},
        },
    }
    mid = mon.create(body, legacy=True)
    for doors in (["Driver"], [], ["Trunk"]):
        mon.inject(openDoors=doors)
    assert [r for r in ccsim_webhook.accepted() if r.path == "/batched"] == []
    control(mon.api, "POST", "/clock/advance", {"seconds": 61})
    mon.settle()
    posts = [r for r in ccsim_webhook.accepted() if r.path == "/batched"]
    assert len(posts) == 1
    batch = posts[0].json()
    assert isinstance(batch, list) and len(batch) == 3
    assert {m["monitorEvent"]["monitorId"] for m in batch} == {mid}


@pytest.mark.skipif(not reference_available(), reason=NEEDS_REFERENCE)
def test_monitor_answers_match_the_reference(mon: Monitors) -> None:
    mid = mon.create(data_monitor("vehicle.kinetic.moving", "onChange"))
    path = "/user/vehicles/{id}/callbacks/{cbid}/monitors"
    answer = mon.call("GET", mon.path())
    validate_response("get", path, 200, answer.json())
    answer = mon.call("GET", f"{mon.path()}/{mid}")
    validate_response("get", path + "/{mid}", 200, answer.json())


def new_vehicle(api: ApiClient, motorization: str) -> str:
    body = {"owner": "demo@example.com", "motorization": motorization, "brand": "Peugeot"}
    created = control(api, "POST", "/vehicles", body)
    return str(created["id"])


@pytest.mark.skipif(not reference_available(), reason=NEEDS_REFERENCE)
def test_monitor_messages_match_the_notification_template(mon: Monitors) -> None:
    lon, lat = mon.home
    mon.at(0.0, ignition="Start", speedKmh=30)
    body = {
        "label": "all of it",
        "triggerParam": {
            "triggers": [
                {
                    "name": "away",
                    "zone": {
                        "transition": "Out",
                        "circle": {"center": {"longitude": lon, "latitude": lat}, "radius": 1},
                    },
                },
                {
                    "name": "always",
                    "time": {
                        "times": [{"recurrence": "Daily", "start": "PT0H", "duration": "PT24H"}]
                    },
                },
                {"name": "doors", "data": {"data": "vehicle.doorsState.opening", "op": "onChange"}},
                {
                    "name": "alerts",
                    "data": {
                        "data": "vehicle.alert",
                        "op": "includedIn",
                        "value": ["FuelLevelLow"],
                    },
                },
            ],
            "boolExp": "(away & always) | doors | alerts",
        },
        "attributes": [{"type": "Body", "key": "label", "value": "$MonitorLabel"}],
        "extendedEventParam": list(EXTENSIONS),
    }
    mid = mon.create(body)
    mon.at(3.0, alerts=["FuelLevelLow"])  # away, in the window, and an alert
    mon.inject(openDoors=["Driver"])  # a door: a change while it holds
    mon.settle()
    messages = [r.json() for r in mon.hook.accepted()]
    assert len(messages) == 2
    for message in messages:
        validate_webhook_schema("Message", message)
        assert message["monitorEvent"]["monitorId"] == mid
        assert message["attributes"] == [{"key": "label", "value": "all of it"}]
    kinds = {v["kind"] for v in messages[0]["monitorEvent"]["values"]}
    assert kinds == {"zone", "time", "data"}
    types = [e["type"] for e in messages[0]["monitorEvent"]["extensions"]]
    assert set(types) == set(body["extendedEventParam"])


def test_living_fleet_leaves_and_comes_home(mon: Monitors) -> None:
    """The fleet drives on its own: leaving the home zone and coming back raise one event
    each per trip, on the samples the car reports while driving."""
    lon, lat = mon.home
    control(mon.api, "POST", "/clock/advance", {"to": next_local(mon.api, 0, 5).isoformat()})
    mon.api.token = mon.api.server.token()["access_token"]
    out = mon.create(zone_monitor(lon, lat, 1, "Out"))
    back = mon.create(zone_monitor(lon, lat, 1, "In"))
    ended = mon.create(data_monitor("vehicle.trip.stop", "onChange"))
    control(mon.api, "PUT", "/fleet/life", {"enabled": True})
    try:
        for _ in range(48):  # two days, an hour at a time (tokens live an hour)
            control(mon.api, "POST", "/clock/advance", {"seconds": 3600})
            mon.api.token = mon.api.server.token()["access_token"]
    finally:
        control(mon.api, "PUT", "/fleet/life", {"enabled": False})
    left, came = mon.events(out), mon.events(back)
    assert len(left) >= 1
    assert len(came) in (len(left), len(left) - 1)  # home again, unless still out
    assert all(e["refresh"] is False for e in left + came)
    stops = [e["values"][0]["value"]["body"]["literalValue"] for e in mon.events(ended)]
    assert len(stops) >= len(left) and len(set(stops)) == len(stops)  # one per trip ended
    for trip_id in stops:  # each names a trip that has ended
        trip = mon.api.get(f"/user/vehicles/{mon.vid}/trips/{trip_id}").json()
        assert trip["done"] is True and "stoppedAt" in trip


def test_older_form_retry_policy_then_dead_letter(
    mon: Monitors, ccsim_webhook: WebhookReceiver
) -> None:
    ccsim_webhook.set_default(503)
    body = {
        **data_monitor("vehicle.doorsState.opening", "onChange"),
        "subscribeParam": {
            "callback": {"target": ccsim_webhook.url + "/retry", "name": "r"},
            "retryPolicy": {"policy": "Bounded", "maxRetryNumber": 2, "retryDelay": 30},
        },
    }
    mon.create(body, legacy=True)
    mon.inject(openDoors=["Driver"])

    def attempts(count: int) -> None:
        mon.api.server.wait_idle()
        journal = control(mon.api, "GET", "/deliveries?outcome=failed")["deliveries"]
        assert len(journal) == count, f"not {count} failed attempts: {journal}"

    attempts(1)
    control(mon.api, "POST", "/clock/advance", {"seconds": 29})
    attempts(1)  # not before retryDelay
    control(mon.api, "POST", "/clock/advance", {"seconds": 1})
    attempts(2)
    control(mon.api, "POST", "/clock/advance", {"seconds": 30})
    attempts(3)  # the first try and two retries, 30 s apart
    control(mon.api, "POST", "/clock/advance", {"seconds": 300})
    mon.settle()
    assert len([r for r in ccsim_webhook.received if r.path == "/retry"]) == 3
    dead = control(mon.api, "GET", "/deliveries/dead-letters")["deadLetters"]
    assert len(dead) == 1
    ccsim_webhook.set_default(200)


def test_websocket_and_push_channels_carry_monitor_events(
    api: ApiClient, ccsim_websocket: WebSocketReceiver
) -> None:
    body = {
        "label": "sockets",
        "type": ["Monitor"],
        "callback": {
            "websocket": {"target": ccsim_websocket.url},
            "pushnotif": {"devices": ["phone-1"]},
        },
    }
    answer = api.raw(
        "POST",
        API + "/user/callbacks",
        params={"client_id": "demo-client"},
        headers=api.headers(),
        json=body,
    )
    assert answer.status_code == 200, answer.text
    cbid = answer.json()["callbackId"]
    vid = api.vehicle_ids()[0]
    control(api, "PATCH", f"/vehicles/{vid}/state", {"openDoors": []})
    created = api.raw(
        "POST",
        f"{API}/user/vehicles/{vid}/callbacks/{cbid}/monitors",
        params={"client_id": "demo-client"},
        headers=api.headers(),
        json=data_monitor("vehicle.doorsState.opening", "onChange"),
    )
    assert created.status_code == 202, created.text
    mid = created.json()["monitorId"]
    control(api, "PATCH", f"/vehicles/{vid}/state", {"openDoors": ["Trunk"]})
    frames = ccsim_websocket.wait_for_messages(1)
    assert frames[0]["type"] == "Monitor" and frames[0]["monitorEvent"]["monitorId"] == mid
    pushes = control(api, "GET", "/push/phone-1")["messages"]
    assert len(pushes) == 1 and pushes[0]["notification"]["title"] == "vehicle.doorsState.opening"
