"""The plugin's helpers used the way a user would (``ccsim.api``, ``ccsim.control``,
``ccsim.vehicles``, the receivers' ``wait_for`` and ``assert_nothing_received``), in a
separate test directory run through ``pytester`` (docs/ci.md's example runs in
tests/test_docs_snippets.py): one new pytest process runs the passing helpers' file and
the file whose ``wait_for`` fails, and each file's outcome is checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LEAN_PYTEST

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:cacheprovider", "-q", "-rA", *LEAN_PYTEST)

COMMON = """
from datetime import timedelta

import pytest

from simulator.testing import ApiCallError

LOCK = {"door": {"state": "Locked"}}


def callback(ccsim, receiver, types=("Remote", "Monitor")):
    body = {"label": "app", "type": list(types),
            "callback": {"webhook": {"name": "app", "target": receiver.url}}}
    return ccsim.api.post("/user/callbacks", json=body)["callbackId"]


def remote(ccsim, car, cbid, body=LOCK):
    return ccsim.api.post(f"/user/vehicles/{car.id}/callbacks/{cbid}/remotes", json=body)
"""

API_TESTS = (
    COMMON
    + """

def test_get_and_post_give_parsed_json(ccsim):
    car = ccsim.vehicles[0]
    listed = ccsim.api.get("/user/vehicles")["_embedded"]["vehicles"]
    assert [v["id"] for v in listed] == ccsim.vehicles.ids
    assert ccsim.api.get(f"/connectedcar/v4/user/vehicles/{car.id}")["vin"] == car.vin
    assert ccsim.api.get("/user/vehicles", params={"pageSize": 1})["total"] == 3
    assert ccsim.api.base_url == ccsim.url + "/connectedcar/v4"
    assert (ccsim.api.user, ccsim.api.client_id, ccsim.api.realm) == (
        "demo@example.com", "demo-client", "clientsB2CPeugeot")
    assert ccsim.api.token not in repr(ccsim.api)


def test_an_error_raises_with_the_status_and_the_v4_body(ccsim):
    with pytest.raises(ApiCallError) as raised:
        ccsim.api.post("/user/callbacks", json={"label": "no target"})
    error = raised.value
    assert (error.status, error.method) == (400, "POST")
    assert error.body["code"] == 40001 and error.body["debug"] == "callback"
    assert str(error).startswith("POST /connectedcar/v4/user/callbacks -> 400 Bad Request: {")
    assert '"code":40001' in str(error) and ccsim.api.token not in str(error)
    with pytest.raises(ApiCallError, match=r"GET /connectedcar/v4/user/vehicles/nope -> 403 "
                       r"Forbidden: \\{.code.:40302,"):
        ccsim.api.get("/user/vehicles/nope")
    assert ccsim.api.request("GET", "/user/vehicles/nope").status == 403


def test_as_user_and_an_expired_token(ccsim):
    ccsim.control.call("POST", "/users", json={"email": "eve@example.com", "password": "pw"})
    eve = ccsim.api.as_user("eve@example.com", "pw")
    assert eve.user == "eve@example.com" and eve.client_id == "demo-client"
    assert eve.get("/user/vehicles")["_embedded"]["vehicles"] == []
    with pytest.raises(ApiCallError, match=r"POST /am/oauth2/access_token -> 4\\d\\d"):
        ccsim.api.as_user("eve@example.com", "wrong").get("/user/vehicles")
    old = ccsim.api.token
    ccsim.control.advance("PT2H")  # tokens live an hour of simulated time
    assert ccsim.api.request("GET", "/user/vehicles").status == 200
    assert ccsim.api.token != old


def test_control_helpers(ccsim, ccsim_webhook):
    car = ccsim.vehicles[1]
    assert ccsim.vehicles[car.vin] == car == ccsim.vehicles[car.id] and car.vin in ccsim.vehicles
    with pytest.raises(KeyError, match="no vehicle named"):
        ccsim.vehicles["van"]
    state = ccsim.control.set_state(car, lockedStates=["Unlocked"])
    assert state["vehicleId"] == car.id
    status = ccsim.api.get(f"/user/vehicles/{car.id}/status")
    assert status["doorsState"]["lockedStates"] == ["Unlocked"]
    assert ccsim.control.behaviour(car.vin, online=False)["online"] is False

    start = ccsim.control.now()
    assert ccsim.control.advance("PT10M") - start == timedelta(minutes=10)
    assert ccsim.control.advance(30) - start == timedelta(minutes=10, seconds=30)
    assert ccsim.control.advance(timedelta(seconds=30)) - start == timedelta(minutes=11)
    with pytest.raises(ValueError, match="ISO 8601"):
        ccsim.control.advance("ten minutes")
    with pytest.raises(ApiCallError, match="/simulator/v1/vehicles/.*/state -> 400"):
        ccsim.control.set_state(car, electricLevel=150)

    ccsim.control.behaviour(car, online=True)
    cbid = callback(ccsim, ccsim_webhook, ["Remote"])
    remote(ccsim, car, cbid)
    ccsim.control.advance("PT1M")
    mine = ccsim.control.deliveries(vin=car, outcome="delivered")
    assert len(mine) == len(ccsim_webhook.messages()) >= 2
    assert {d["callbackId"] for d in mine} == {cbid}
    assert ccsim.control.deliveries(vin=ccsim.vehicles[0].vin) == []

    ccsim.control.reset()
    assert ccsim.api.get("/user/callbacks")["_embedded"]["callbacks"] == []


def test_wait_for_filters(ccsim, ccsim_webhook):
    first, second = ccsim.vehicles[0], ccsim.vehicles[1]
    cbid = callback(ccsim, ccsim_webhook)
    monitor = ccsim.api.post(
        f"/user/vehicles/{second.id}/callbacks/{cbid}/monitors",
        json={"label": "locks", "triggerParam": {"boolExp": "lock", "triggers": [
            {"name": "lock", "data": {"data": "vehicle.doorsState.lockedState", "op": "onChange"}}
        ]}},
    )
    lock = remote(ccsim, first, cbid)
    horn = remote(ccsim, second, cbid, {"horn": {"state": "Activated"}})
    ccsim.control.set_state(second, lockedStates=["Unlocked"])
    ccsim.control.advance("PT2M")

    (done,) = ccsim_webhook.wait_for(remote=lock, status="Done")
    assert done["remoteEvent"]["remoteActionId"] == lock["remoteActionId"]
    assert ccsim_webhook.wait_for(remote=lock["remoteActionId"], status="Done") == [done]
    pending = ccsim_webhook.wait_for(remote="Doors", status="Pending", count=2)
    assert len(pending) >= 2 and all(m["vin"] == first.vin for m in pending)
    horns = ccsim_webhook.wait_for(remote=horn, vin=second)
    assert {m["remoteEvent"]["remoteType"] for m in horns} == {"Horn"}
    (changed,) = ccsim_webhook.wait_for(monitor=monitor, vin=second.vin)
    assert changed["monitorEvent"]["monitorId"] == monitor["monitorId"]
    assert ccsim_webhook.wait_for(monitor=monitor["monitorId"]) == [changed]
    everything = ccsim_webhook.wait_for(lambda m: m["type"] in ("Remote", "Monitor"), count=3)
    assert everything == ccsim_webhook.messages()
    assert ccsim_webhook.wait_for(status="Success") == [m for m in everything
        if m.get("remoteEvent", {}).get("eventStatus", {}).get("status") == "Success"]


def test_assert_nothing_received_settles_first(ccsim, ccsim_webhook):
    car = ccsim.vehicles[0]
    ccsim.control.set_state(car, lockedStates=["Unlocked"])
    cbid = callback(ccsim, ccsim_webhook, ["Remote"])
    ccsim_webhook.assert_nothing_received()  # a callback alone sends nothing
    remote(ccsim, car, cbid)
    ccsim_webhook.assert_nothing_received()  # the car accepts it after a simulated second
    ccsim.control.advance(1)
    ccsim_webhook.wait_for(status="Accepted")
    ccsim_webhook.clear()
    ccsim_webhook.assert_nothing_received()  # the next steps wait for the clock
    # the clock moves without waiting: the steps due start their sends in the background
    ccsim.call(lambda sim: sim.clock.advance(60))
    with pytest.raises(AssertionError) as raised:
        ccsim_webhook.assert_nothing_received()
    text = str(raised.value)
    assert text.startswith(f"expected nothing at {ccsim_webhook.url}, but ")
    assert f"Remote vin={car.vin} remote Doors id=" in text and "Done/Success" in text


def test_assert_nothing_received_counts_refused_requests(ccsim, ccsim_webhook):
    cbid = callback(ccsim, ccsim_webhook, ["Remote"])
    ccsim_webhook.set_default(503)
    remote(ccsim, ccsim.vehicles[2], cbid)
    ccsim.control.advance(1)
    with pytest.raises(AssertionError, match=r"Pending/Accepted \\[answered 503\\]"):
        ccsim_webhook.assert_nothing_received()
    with pytest.raises(AssertionError, match="0 matched"):
        ccsim_webhook.wait_for(status="Accepted", timeout=0.05)  # refused: not counted
"""
)

FAILING_TESTS = (
    COMMON
    + """

def test_waiting_for_what_never_comes(ccsim, ccsim_webhook):
    car = ccsim.vehicles[0]
    ccsim.control.set_state(car, lockedStates=["Unlocked"])
    lock = remote(ccsim, car, callback(ccsim, ccsim_webhook, ["Remote"]))
    ccsim.control.advance("PT1M")
    ccsim_webhook.wait_for(remote=lock, status="Failed", timeout=0.2)
"""
)


def test_api_control_and_receiver_helpers_and_wait_for_fails_with_a_readable_list(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_helpers=API_TESTS, test_failing=FAILING_TESTS)
    outcome = pytester.runpytest_subprocess(*QUIET)
    outcome.assert_outcomes(passed=7, failed=1)
    # the seven helpers' tests pass, the one that waits for what never comes fails...
    passed = [line for line in outcome.outlines if line.startswith("PASSED ")]
    assert len(passed) == 7 and all(line.startswith("PASSED test_helpers.py::") for line in passed)
    outcome.stdout.fnmatch_lines(["FAILED test_failing.py::test_waiting_for_what_never_comes*"])
    # ...with a readable list of what arrived
    outcome.stdout.fnmatch_lines(
        [
            '>       ccsim_webhook.wait_for(remote=lock, status="Failed", timeout=0.2)',
            "E       AssertionError: expected 1 message(s) with remote='*', status='Failed' "
            "at https://localhost:* within 0.2s, 0 matched; 4 arrived:",
            "E         Remote vin=* remote Doors id=* Pending/Accepted",
            "E         Remote vin=* remote Doors id=* Pending/WakingUpVehicle",
            "E         Remote vin=* remote Doors id=* Pending/SentToVehicle",
            "E         Remote vin=* remote Doors id=* Done/Success",
            "",
            "test_failing.py:*: AssertionError",
        ]
    )


def test_control_presents_the_control_token(ccsim_certs: Path) -> None:
    from simulator.testing import ApiCallError, ThreadedSimulator

    with ThreadedSimulator(ccsim_certs, manual_clock=True, control_token="s3cret-t0ken") as sim:
        car = sim.vehicles[0]
        assert sim.control.set_state(car, electricLevel=42)["vehicleId"] == car.id
        with pytest.raises(ApiCallError) as raised:  # the same call without the token
            sim.http.call("PATCH", f"/simulator/v1/vehicles/{car.id}/state", json_body={})
        assert raised.value.status == 401
        assert "s3cret-t0ken" not in str(raised.value)


def test_a_scenario_the_api_refuses_stops_the_start(ccsim_certs: Path, tmp_path: Path) -> None:
    from simulator.scenario import ScenarioError
    from simulator.testing import ThreadedSimulator

    path = tmp_path / "bad.yaml"
    text = (Path(__file__).parent / "scenarios" / "base.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("type: [Monitor, Remote]", "type: [Monitor, Bogus]"), "utf-8")
    with pytest.raises(ScenarioError, match=r"bad\.yaml:\d+: callbacks\[0\]\.body\.type\[1\]"):
        ThreadedSimulator(ccsim_certs, scenario=path).start()
