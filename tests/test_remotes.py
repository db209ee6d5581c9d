"""Remote actions end to end over mTLS on the manual clock: 202 at once, then the exact
Pending/Done notifications at a real HTTPS receiver, and the vehicle really changed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import API, ApiClient
from reference import reference_available, validate_response

from simulator.testing import ThreadedSimulator
from simulator.testing.receiver import WebhookReceiver

CONTROL = "/simulator/v1"
NEEDS_REFERENCE = "official reference ../shared/reference not present (CI only)"
Step = tuple[str, str] | tuple[str, str, str]
ASLEEP_SUCCESS: list[Step] = [
    ("Pending", "Accepted"),
    ("Pending", "WakingUpVehicle"),
    ("Pending", "SentToVehicle"),
    ("Done", "Success"),
]
AWAKE_SUCCESS: list[Step] = [
    ("Pending", "Accepted"),
    ("Pending", "SentToVehicle"),
    ("Done", "Success"),
]


# ------------------------------------------------------------------ helpers
def control(api: ApiClient, method: str, path: str, body: Any = None) -> Any:
    response = api.raw(method, CONTROL + path, json=body)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def advance(api: ApiClient, seconds: float) -> None:
    control(api, "POST", "/clock/advance", {"seconds": seconds})
    if seconds >= 600:  # tokens live an hour of simulated time
        api.token = api.server.token()["access_token"]


class Remotes:
    """One user's view: a Remote callback at the receiver, and its vehicles."""

    def __init__(self, api: ApiClient, hook: WebhookReceiver, attributes: Any = ()) -> None:
        self.api = api
        self.hook = hook
        body = {
            "label": "remotes",
            "type": ["Remote"],
            "callback": {
                "webhook": {
                    "target": hook.url + "/remote",
                    "name": "r",
                    "attributes": list(attributes),
                }
            },
        }
        answer = api.raw(
            "POST", API + "/user/callbacks", params={"client_id": "demo-client"},
            headers=api.headers(), json=body,
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        self.cbid: str = answer.json()["callbackId"]

    def vehicles(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.api.get("/user/vehicles").json()["_embedded"]["vehicles"]
        return found

    def post(self, vid: str, body: Any, cbid: str | None = None) -> Any:
        return self.api.raw(
            "POST",
            f"{API}/user/vehicles/{vid}/callbacks/{cbid or self.cbid}/remotes",
            params={"client_id": "demo-client"},
            headers=self.api.headers(),
            json=body,
        )

    def send(self, vid: str, body: Any) -> str:
        answer = self.post(vid, body)
        assert answer.status_code == 202, answer.text
        rid: str = answer.json()["remoteActionId"]
        return rid

    def steps(self, rid: str) -> list[Step]:
        found: list[Step] = []
        for message in self.hook.messages():
            event = message["remoteEvent"]
            if event["remoteActionId"] != rid:
                continue
            status = event["eventStatus"]
            cause = status.get("failureCause")
            found.append(
                (status["type"], status["status"], cause)
                if cause
                else (status["type"], status["status"])
            )
        return found

    def finish(self, rid: str, seconds: float = 60) -> list[Step]:
        """Let the clock run ``seconds`` and return the remote's notifications once Done."""
        advance(self.api, seconds)
        self.api.server.wait_idle()
        steps = self.steps(rid)
        assert steps and steps[-1][0] == "Done", f"no Done for {rid}: {steps}"
        return steps

    def run(self, vid: str, body: Any, seconds: float = 60) -> list[Step]:
        return self.finish(self.send(vid, body), seconds)

    def status(self, vid: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.api.get(f"/user/vehicles/{vid}/status").json()
        return answer

    def behaviour(self, vid: str, patch: Any = None) -> dict[str, Any]:
        method = "GET" if patch is None else "PATCH"
        found: dict[str, Any] = control(
            self.api, method, f"/vehicles/{vid}/remote-behaviour", patch
        )
        return found


@pytest.fixture
def remotes(api: ApiClient, ccsim_webhook: WebhookReceiver) -> Remotes:
    return Remotes(api, ccsim_webhook)


@pytest.fixture
def vid(remotes: Remotes) -> str:
    return str(remotes.vehicles()[0]["id"])


def new_vehicle(api: ApiClient, motorization: str) -> str:
    body = {"owner": "demo@example.com", "motorization": motorization, "brand": "Peugeot"}
    created = control(api, "POST", "/vehicles", body)
    return str(created["id"])


# ------------------------------------------------------------------ doors, horn, lights
def test_doors_unlock_lock_and_already_done(remotes: Remotes, vid: str) -> None:
    control(remotes.api, "PATCH", f"/vehicles/{vid}/state", {"lockedStates": ["Locked"]})
    rid = remotes.send(vid, {"label": "open up", "door": {"state": "Unlocked"}})
    assert remotes.steps(rid) == []  # nothing before the clock moves
    assert remotes.finish(rid) == ASLEEP_SUCCESS
    assert remotes.status(vid)["doorsState"]["lockedStates"] == ["Unlocked"]
    # awake now (3 minutes after each message): no wake-up step
    assert remotes.run(vid, {"door": {"state": "Locked"}}) == AWAKE_SUCCESS
    assert remotes.status(vid)["doorsState"]["lockedStates"] == ["Locked"]
    assert remotes.run(vid, {"door": {"state": "Locked"}}) == [
        ("Pending", "Accepted"),
        ("Pending", "SentToVehicle"),
        ("Done", "AlreadyDone"),
    ]


def test_locking_with_a_door_open_fails_doors_open(remotes: Remotes, vid: str) -> None:
    control(
        remotes.api,
        "PATCH",
        f"/vehicles/{vid}/state",
        {"openDoors": ["Driver"], "lockedStates": ["Unlocked"]},
    )
    assert remotes.run(vid, {"door": {"state": "Locked", "forced": False}})[-1] == (
        "Done",
        "Failed",
        "DoorsOpen",
    )
    assert remotes.status(vid)["doorsState"]["lockedStates"] == ["Unlocked"]


def test_forced_lock_reports_feedback_detail(remotes: Remotes, vid: str) -> None:
    control(remotes.api, "PATCH", f"/vehicles/{vid}/state", {"lockedStates": ["Unlocked"]})
    rid = remotes.send(vid, {"door": {"state": "Locked", "forced": True}})
    remotes.finish(rid)
    done = [m for m in remotes.hook.messages() if m["remoteEvent"]["remoteActionId"] == rid][-1]
    assert done["remoteEvent"]["eventStatus"]["feedbackDetail"] == "NoCIDBlacklisted"


@pytest.mark.parametrize(
    "body",
    [
        {"horn": {"state": "Activated"}},
        {"lights": {"on": True}},
        {"ligths": {"on": True}},  # the seed's spelling
    ],
)
def test_horn_and_lights(remotes: Remotes, vid: str, body: dict[str, Any]) -> None:
    assert remotes.run(vid, body) == ASLEEP_SUCCESS


# ------------------------------------------------------------------ the other actions
def test_immobilization_and_stolen_change_the_vehicle(remotes: Remotes, vid: str) -> None:
    assert remotes.run(vid, {"immobilization": {"activate": True}})[-1] == ("Done", "Success")
    assert remotes.behaviour(vid)["immobilized"] is True
    assert remotes.run(vid, {"immobilization": {"activate": True}})[-1] == (
        "Done",
        "AlreadyDone",
    )
    assert remotes.run(vid, {"stolen": {"stolen": True}})[-1] == ("Done", "Success")
    state = remotes.behaviour(vid)
    assert state["stolen"] is True and state["processes"]["stolenReports"] is True
    before = remotes.api.get(f"/user/vehicles/{vid}/lastPosition").json()
    advance(remotes.api, 3600)  # an hour later: still awake, fresh positions every minute
    after = remotes.api.get(f"/user/vehicles/{vid}/lastPosition").json()
    assert after["properties"]["createdAt"] > before["properties"]["createdAt"]
    assert remotes.behaviour(vid)["asleep"] is False
    assert remotes.run(vid, {"horn": {"state": "Activated"}}) == AWAKE_SUCCESS


@pytest.mark.parametrize("body", [{"state": {"action": "state"}}, {"wakeUp": {"action": "WakeUp"}}])
def test_wake_up_sends_a_fresh_sample(remotes: Remotes, vid: str, body: dict[str, Any]) -> None:
    advance(remotes.api, 3600)
    assert remotes.run(vid, body) == ASLEEP_SUCCESS
    now = datetime.fromisoformat(control(remotes.api, "GET", "/clock")["now"])
    sampled = remotes.status(vid)["lastPosition"]["properties"]["createdAt"]
    assert now - timedelta(seconds=60) < datetime.fromisoformat(sampled) <= now


def test_navigation_skips_accepted_and_waking_and_sets_the_destination(
    remotes: Remotes, vid: str
) -> None:
    body = {
        "navigation": {
            "positions": [
                {"type": "Point", "coordinates": [2.35, 48.85]},
                {"type": "Point", "coordinates": [2.2945, 48.8584]},
            ]
        }
    }
    assert remotes.run(vid, body) == [("Pending", "SentToVehicle"), ("Done", "Success")]
    assert remotes.behaviour(vid)["destination"] == [2.2945, 48.8584]


def test_navigation_refused_by_the_driver(remotes: Remotes, vid: str) -> None:
    remotes.behaviour(vid, {"driverAccepts": False})
    body = {
        "navigation": {
            "driverApproval": True,
            "positions": [{"type": "Point", "coordinates": [4.83, 45.76]}],
        }
    }
    assert remotes.run(vid, body)[-1] == ("Done", "Failed", "CanceledByDriver")
    assert remotes.behaviour(vid).get("destination") is None


def test_charging_start_progress_stop(remotes: Remotes) -> None:
    vid = new_vehicle(remotes.api, "Electric")
    control(
        remotes.api,
        "PATCH",
        f"/vehicles/{vid}/state",
        {"plugged": True, "electricLevel": 40, "chargerPowerKw": 11},
    )
    # plugged in, it charges at once (as a real car does); stop it, then start it remotely
    charging = remotes.status(vid)["energies"][0]["extension"]["electric"]["charging"]
    assert charging["status"] == "InProgress"
    assert remotes.run(vid, {"charging": {"immediate": False}}) == ASLEEP_SUCCESS
    charging = remotes.status(vid)["energies"][0]["extension"]["electric"]["charging"]
    assert charging["status"] == "Stopped" and charging["plugged"] is True
    assert remotes.run(vid, {"charging": {"immediate": True}}) == AWAKE_SUCCESS
    energy = remotes.status(vid)["energies"][0]
    assert energy["extension"]["electric"]["charging"]["chargingPowerLevel"] == "Level4"  # 11 kW
    assert energy["extension"]["electric"]["charging"]["status"] == "InProgress"
    level = energy["level"]
    advance(remotes.api, 3600)
    energy = remotes.status(vid)["energies"][0]
    assert energy["level"] > level + 10  # about 11 kWh in an hour
    assert remotes.run(vid, {"charging": {"immediate": True}})[-1] == ("Done", "AlreadyDone")
    assert remotes.run(vid, {"charging": {"immediate": False}})[-1] == ("Done", "Success")
    charging = remotes.status(vid)["energies"][0]["extension"]["electric"]["charging"]
    assert charging["status"] == "Stopped"


def test_charging_scheduled_by_next_delayed_time(remotes: Remotes) -> None:
    vid = new_vehicle(remotes.api, "Electric")
    control(remotes.api, "PATCH", f"/vehicles/{vid}/state", {"plugged": True, "electricLevel": 30})
    clock = control(remotes.api, "GET", "/clock")["now"]
    hour = int(clock[11:13])
    start = f"{clock[:11]}{(hour + 2) % 24:02d}:00:00Z"
    if hour >= 22:
        pytest.skip("too close to midnight for this simple schedule")
    body = {"charging": {"schedule": {"nextDelayedTime": start}}}
    assert remotes.run(vid, body)[-1] == ("Done", "Success")
    charging = remotes.status(vid)["energies"][0]["extension"]["electric"]["charging"]
    assert charging["status"] != "InProgress" and "nextDelayedTime" in charging
    advance(remotes.api, 3 * 3600)
    charging = remotes.status(vid)["energies"][0]["extension"]["electric"]["charging"]
    assert charging["status"] == "InProgress"


@pytest.mark.parametrize(
    ("motorization", "plugged", "cause"),
    [("Thermic", None, "WrongCommand"), ("Electric", False, "ExternalChargingSystemError")],
)
def test_charging_that_cannot_happen_fails_with_a_cause(
    remotes: Remotes, motorization: str, plugged: bool | None, cause: str
) -> None:
    vid = new_vehicle(remotes.api, motorization)
    if plugged is not None:
        control(remotes.api, "PATCH", f"/vehicles/{vid}/state", {"plugged": plugged})
    assert remotes.run(vid, {"charging": {"immediate": True}})[-1] == ("Done", "Failed", cause)


def test_preconditioning_immediate_runs_then_finishes(remotes: Remotes, vid: str) -> None:
    control(remotes.api, "PATCH", f"/vehicles/{vid}/state", {"airTempC": 2})
    assert remotes.run(vid, {"preconditionning": {"airConditioning": {"immediate": True}}}) == (
        ASLEEP_SUCCESS
    )
    air = remotes.status(vid)["preconditionning"]["airConditioning"]
    assert air["status"] == "Enabled"
    advance(remotes.api, 10 * 60)
    cabin = remotes.behaviour(vid)["processes"]["cabinTempC"]
    assert 10 < cabin < 21  # warming towards 21 °C over minutes
    advance(remotes.api, 25 * 60)
    assert remotes.status(vid)["preconditionning"]["airConditioning"]["status"] == "Finished"


def test_preconditioning_programs_are_stored_and_run(remotes: Remotes, vid: str) -> None:
    body = {
        "preconditioning": {
            "airConditioning": {
                "programs": [
                    {
                        "slot": 1,
                        "enabled": True,
                        "recurrence": "Daily",
                        "start": "PT6H30M",
                        "occurence": {"day": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]},
                    }
                ]
            }
        }
    }
    assert remotes.run(vid, body)[-1] == ("Done", "Success")
    air = remotes.status(vid)["preconditionning"]["airConditioning"]
    assert [p["slot"] for p in air["programs"]] == [1]
    assert remotes.behaviour(vid)["processes"]["programsScheduled"] == 1
    started = False
    for _ in range(48):  # within a day the program starts (at 06:30 local time)
        advance(remotes.api, 1800)
        air = remotes.status(vid)["preconditionning"]["airConditioning"]
        if air["status"] == "Enabled":
            assert air["startingCause"] == "Scheduled"
            started = True
            break
    assert started


# ------------------------------------------------------------------ lifecycle outcomes
def test_offline_vehicle_times_out(remotes: Remotes, vid: str) -> None:
    remotes.behaviour(vid, {"online": False})
    rid = remotes.send(vid, {"horn": {"state": "Activated"}})
    advance(remotes.api, 299)
    remotes.api.server.wait_idle()  # a step not delivered by now waits for the clock
    assert remotes.steps(rid) == [("Pending", "Accepted")]
    assert remotes.finish(rid, 2) == [
        ("Pending", "Accepted"),
        ("Done", "Failed", "VehicleConnectionTimeout"),
    ]


def test_same_action_in_progress(remotes: Remotes, vid: str) -> None:
    first = remotes.send(vid, {"horn": {"state": "Activated"}})
    second = remotes.send(vid, {"horn": {"state": "Activated"}})
    assert remotes.finish(second, 60) == [
        ("Pending", "Accepted"),
        ("Done", "Failed", "SameActionInProgress"),
    ]
    assert remotes.finish(first, 0) == ASLEEP_SUCCESS


def test_low_battery_ends_not_possible(remotes: Remotes, vid: str) -> None:
    control(remotes.api, "PATCH", f"/vehicles/{vid}/state", {"batteryVoltage": 11.0})
    assert remotes.run(vid, {"lights": {"on": True}}) == [
        ("Pending", "Accepted"),
        ("Pending", "WakingUpVehicle"),
        ("Pending", "VehicleBatteryChargeTooLow"),
        ("Done", "Failed", "NotPossibleDueToVehicleBatteryLevel"),
    ]


def test_monthly_wake_up_limit(remotes: Remotes, vid: str) -> None:
    remotes.behaviour(vid, {"wakeupLimit": 1})
    assert remotes.run(vid, {"horn": {"state": "Activated"}}) == ASLEEP_SUCCESS
    remotes.behaviour(vid, {"asleep": True})
    assert remotes.run(vid, {"horn": {"state": "Activated"}}) == [
        ("Pending", "Accepted"),
        ("Pending", "TooManyWakeUpsOverMonth"),
        ("Done", "Failed", "TooManyWakeUpsOverMonth"),
    ]


def test_scripted_failures_and_latency(remotes: Remotes, vid: str) -> None:
    control(
        remotes.api,
        "POST",
        f"/vehicles/{vid}/remote-failures",
        {"cause": "VehicleError", "count": 1, "action": "horn"},
    )
    remotes.behaviour(vid, {"timing": {"accept": 5, "wake": 100, "send": 5, "execute": 5}})
    rid = remotes.send(vid, {"horn": {"state": "Activated"}})
    advance(remotes.api, 100)
    remotes.api.server.wait_idle()  # a step not delivered by now waits for the clock
    assert remotes.steps(rid) == [("Pending", "Accepted"), ("Pending", "WakingUpVehicle")]
    assert remotes.finish(rid, 20)[-1] == ("Done", "Failed", "VehicleError")
    assert remotes.run(vid, {"lights": {"on": True}})[-1] == ("Done", "Success")  # horn only
    assert remotes.run(vid, {"horn": {"state": "Activated"}})[-1] == ("Done", "Success")  # once


def test_remotes_of_one_vehicle_run_in_order(remotes: Remotes, vid: str) -> None:
    ids = [
        remotes.send(vid, {"horn": {"state": "Activated"}}),
        remotes.send(vid, {"lights": {"on": True}}),
        remotes.send(vid, {"door": {"state": "Unlocked"}}),
    ]
    advance(remotes.api, 120)
    for rid in ids:
        remotes.finish(rid, 0)
    done_order = [
        m["remoteEvent"]["remoteActionId"]
        for m in remotes.hook.messages()
        if m["remoteEvent"]["eventStatus"]["type"] == "Done"
    ]
    assert done_order == ids
    history = control(remotes.api, "GET", f"/vehicles/{vid}/remotes")["remotes"]
    assert [r["remoteActionId"] for r in history] == ids
    assert [s["status"] for s in history[0]["history"]] == [
        "Accepted",
        "WakingUpVehicle",
        "SentToVehicle",
        "Success",
    ]


def test_remote_attributes_override_and_expand(
    api: ApiClient, ccsim_webhook: WebhookReceiver
) -> None:
    remotes = Remotes(
        api,
        ccsim_webhook,
        attributes=[
            {"type": "Header", "key": "X-Type", "value": "$RemoteType"},
            {"type": "Header", "key": "X-Tenant", "value": "acme"},
        ],
    )
    vid = remotes.vehicles()[0]["id"]
    body = {
        "label": "honk-honk",
        "horn": {"state": "Activated"},
        "attributes": [{"type": "Body", "key": "label", "value": "$RemoteLabel"}],
        "callbackAttributes": {
            "webhook": [
                {"type": "Header", "key": "X-Tenant", "value": "beta"},
                {"type": "Query", "key": "status", "value": "$RemoteStatus"},
            ]
        },
    }
    rid = remotes.run(vid, body)
    assert rid[-1] == ("Done", "Success")
    posts = [r for r in ccsim_webhook.accepted() if r.path == "/remote"]
    assert [r.param("status") for r in posts] == [
        "Accepted",
        "WakingUpVehicle",
        "SentToVehicle",
        "Success",
    ]
    assert {r.headers["x-type"] for r in posts} == {"Horn"}
    assert {r.headers["x-tenant"] for r in posts} == {"beta"}
    assert posts[0].json()["attributes"] == [{"key": "label", "value": "honk-honk"}]


# ------------------------------------------------------------------ rules of the endpoint
def test_missing_scope_is_403_and_granted_scope_works(
    ccsim: ThreadedSimulator, ccsim_webhook: WebhookReceiver
) -> None:
    token = ccsim.token(scope="remote:horn:write data:position")["access_token"]
    limited = ApiClient(ccsim, token)
    remotes = Remotes(limited, ccsim_webhook)
    vid = remotes.vehicles()[0]["id"]
    refused = remotes.post(vid, {"door": {"state": "Locked"}})
    assert refused.status_code == 403
    assert refused.json()["code"] == 40301
    assert refused.json()["debug"] == "remote:door:write"
    assert remotes.post(vid, {"horn": {"state": "Activated"}}).status_code == 202
    limited.session.close()


def test_ownership_callback_type_and_unknown_ids(remotes: Remotes, vid: str) -> None:
    api = remotes.api
    control(api, "POST", "/users", {"email": "eve@example.com", "password": "eve"})
    other = control(api, "POST", "/vehicles", {"owner": "eve@example.com"})["id"]
    foreign = remotes.post(other, {"horn": {"state": "Activated"}})
    unknown = remotes.post("nope", {"horn": {"state": "Activated"}})
    assert foreign.status_code == unknown.status_code == 403
    assert foreign.json()["code"] == unknown.json()["code"]
    assert remotes.post(vid, {"horn": {"state": "Activated"}}, cbid="nope").status_code == 404
    monitor_only = api.raw(
        "POST", API + "/user/callbacks", params={"client_id": "demo-client"},
        headers=api.headers(),
        json={"label": "m", "type": ["Monitor"],
              "callback": {"webhook": {"target": "https://localhost:9/m", "name": "m"}}},
    ).json()["callbackId"]  # fmt: skip
    wrong_type = remotes.post(vid, {"horn": {"state": "Activated"}}, cbid=monitor_only)
    assert wrong_type.status_code == 400
    assert wrong_type.json()["debug"] == "cbid"
    missing = api.get(f"/user/vehicles/{vid}/callbacks/{remotes.cbid}/remotes/nope")
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"horn": {"state": "Activated"}, "lights": {"on": True}}, "lights"),
        ({"label": "x"}, "body"),
        ({"teleport": {}}, "teleport"),
        ({"door": {"state": "Ajar"}}, "door.state"),
        (
            {"navigation": {"positions": [{"type": "Point", "coordinates": [1, 2]}] * 11}},
            "navigation.positions",
        ),
    ],
)
def test_bad_bodies_are_400_naming_the_field(
    remotes: Remotes, vid: str, body: dict[str, Any], field: str
) -> None:
    answer = remotes.post(vid, body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["debug"] == field


@pytest.mark.skipif(not reference_available(), reason=NEEDS_REFERENCE)
def test_answers_match_the_reference(remotes: Remotes, vid: str) -> None:
    template = "/user/vehicles/{id}/callbacks/{cbid}/remotes"
    posted = remotes.post(vid, {"door": {"state": "Unlocked"}})
    assert posted.status_code == 202
    # the reference types `type` as one RemoteType; the seed (and we) serve a one-item list
    validate_response("POST", template, 202, posted.json(), exempt={"type"})
    rid = posted.json()["remoteActionId"]
    remotes.finish(rid)
    base = f"/user/vehicles/{vid}/callbacks/{remotes.cbid}/remotes"
    validate_response("GET", template, 200, remotes.api.get(base).json())
    validate_response("GET", template + "/{rid}", 200, remotes.api.get(f"{base}/{rid}").json())
