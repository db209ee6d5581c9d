"""API fault injection (``/simulator/v1/faults``): error rules answer the API's exact error
body for their count then stop, patterns hit only their paths, probabilities follow the
seed, latency is real wall-clock time, the control API is never faulted, a reset clears
the rules, bad bodies name their field; and the scenario step ``apiFault``.

Real server, real TLS, manual clock (the ``ccsim`` fixture, reset before each test).
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import API, ApiClient

from simulator.testing import ThreadedSimulator

CONTROL = "/simulator/v1"
HERE = Path(__file__).parent
SCENARIO = HERE.parent / "scenarios" / "api-outage.yaml"


def _add(api: ApiClient, **body: Any) -> dict[str, Any]:
    response = api.raw("POST", CONTROL + "/faults", json=body)
    assert response.status_code == 201, response.text
    rule: dict[str, Any] = response.json()
    return rule


def _rules(api: ApiClient) -> list[dict[str, Any]]:
    response = api.raw("GET", CONTROL + "/faults")
    assert response.status_code == 200, response.text
    rules: list[dict[str, Any]] = response.json()["faults"]
    return rules


def _refused(api: ApiClient, body: Any) -> str:
    """The field a 400 for ``body`` names."""
    response = api.raw("POST", CONTROL + "/faults", json=body)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["code"] == 40001
    assert answer["message"].startswith(answer["debug"])
    return str(answer["debug"])


# ------------------------------------------------------------------ errors
def test_an_error_rule_answers_the_api_error_body_for_count_calls_then_stops(
    api: ApiClient,
) -> None:
    vid = api.vehicle_ids()[0]
    rule = _add(
        api,
        method="GET",
        path="/connectedcar/v4/user/vehicles/*/status",
        status=503,
        retryAfter=30,
        count=2,
        name="status-down",
    )
    assert rule["id"] == "fault-1" and rule["fired"] == 0 and rule["active"] is True
    for _ in range(2):
        response = api.get(f"/user/vehicles/{vid}/status")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
        assert response.headers["Content-Type"].startswith("application/json")
        body = response.json()
        assert set(body) == {"code", "uuid", "message", "timestamp", "debug"}
        assert body["code"] == 50399
        assert body["uuid"] == response.headers["X-Request-Id"]
        assert body["debug"] == "fault-1"
        assert "service unavailable" in body["message"]
    assert api.get(f"/user/vehicles/{vid}/status").status_code == 200
    [listed] = _rules(api)
    assert listed["fired"] == 2 and listed["remaining"] == 0 and listed["active"] is False
    assert listed["name"] == "status-down"
    # journalled like any other request, with whose it was
    journal = api.raw("GET", CONTROL + "/requests", params={"status": 503}).json()["requests"]
    assert len(journal) == 2
    assert all(e["errorCode"] == 50399 and e["clientId"] == "demo-client" for e in journal)
    assert all(e["path"].endswith("/status") for e in journal)


@pytest.mark.parametrize(
    ("status", "code", "header"),
    [
        (429, 42999, "Retry-After"),
        (401, 40199, "WWW-Authenticate"),
        (500, 50099, None),
        (502, 50299, None),
        (504, 50499, None),
        (400, 40099, None),
        (403, 40399, None),
        (404, 40499, None),
    ],
)
def test_every_status_answers_its_code_and_headers(
    api: ApiClient, status: int, code: int, header: str | None
) -> None:
    _add(api, path="/connectedcar/v4/user/vehicles", status=status, message="planned", count=1)
    response = api.get("/user/vehicles")
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"] == "planned"
    if header is not None:
        assert response.headers[header]
    if status == 429:
        assert response.headers["Retry-After"] == "1"
        assert int(response.headers["X-RateLimit-Reset"]) > 0
    assert api.get("/user/vehicles").status_code == 200


# ------------------------------------------------------------------ matching
def test_a_path_pattern_only_hits_its_paths(api: ApiClient) -> None:
    vid = api.vehicle_ids()[0]
    _add(api, path="/connectedcar/v4/user/vehicles/*/status", status=500)
    assert api.get("/user/vehicles").status_code == 200
    assert api.get(f"/user/vehicles/{vid}").status_code == 200
    assert api.get(f"/user/vehicles/{vid}/lastPosition").status_code == 200
    assert api.get(f"/user/vehicles/{vid}/status").status_code == 500
    assert api.get(f"/user/vehicles/{vid}/status/").status_code in (404, 500)


def test_a_final_double_star_is_a_prefix_and_method_filters(api: ApiClient) -> None:
    vid = api.vehicle_ids()[0]
    _add(api, method="POST", path="/connectedcar/v4/user/vehicles/**", status=502)
    _add(api, method="GET", path="/connectedcar/v4/user/callbacks/**", status=504)
    assert api.get(f"/user/vehicles/{vid}/status").status_code == 200  # a GET: not the POST rule
    assert api.get("/user/callbacks").status_code == 504
    assert api.get("/user/callbacks/nope").status_code == 504
    assert api.get("/user").status_code == 200


def test_client_and_user_filters(api: ApiClient) -> None:
    _add(api, path="/connectedcar/v4/user", clientId="another-client", status=500)
    assert api.get("/user").status_code == 200
    _add(api, path="/connectedcar/v4/user", user="DEMO@example.com", status=403)
    response = api.get("/user")
    assert response.status_code == 403 and response.json()["code"] == 40399
    # a request without a valid token is no one's: a filtered rule does not hit it
    response = api.get("/user", headers=ThreadedSimulator.api_headers("dead-token"))
    assert response.status_code == 401 and response.json()["code"] == 40101


def test_rules_apply_in_order_the_first_that_fires_wins(api: ApiClient) -> None:
    first = _add(api, path="/connectedcar/v4/user", status=502, count=1)
    second = _add(api, path="/connectedcar/v4/**", status=503, count=1)
    assert api.get("/user").status_code == 502
    assert api.get("/user").status_code == 503
    assert api.get("/user").status_code == 200
    fired = {r["id"]: r["fired"] for r in _rules(api)}
    assert fired == {first["id"]: 1, second["id"]: 1}


def test_probability_follows_the_seed(ccsim: ThreadedSimulator, api: ApiClient) -> None:
    def draws() -> list[int]:
        _add(api, path="/connectedcar/v4/user", status=500, probability=0.5)
        return [api.get("/user").status_code for _ in range(24)]

    once = draws()
    assert set(once) == {200, 500}
    assert _rules(api)[0]["fired"] == once.count(500)
    ccsim.reset()
    assert draws() == once


def test_until_a_simulated_time(ccsim: ThreadedSimulator, api: ApiClient) -> None:
    until = ccsim.control.now() + timedelta(minutes=5)
    _add(api, path="/connectedcar/v4/user", status=503, until=until.isoformat())
    assert api.get("/user").status_code == 503
    ccsim.control.advance("PT4M")
    assert api.get("/user").status_code == 503
    ccsim.control.advance("PT1M1S")  # past it (the time read back is to the microsecond)
    assert api.get("/user").status_code == 200
    assert _rules(api)[0]["active"] is False


# ------------------------------------------------------------------ latency
def test_latency_is_real_wall_clock_time(api: ApiClient) -> None:
    _add(api, path="/connectedcar/v4/user/vehicles", latencyMs=400, count=1)
    started = time.perf_counter()
    response = api.get("/user/vehicles")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert elapsed >= 0.4
    [entry] = api.raw("GET", CONTROL + "/requests", params={"path": API + "/user/vehicles"}).json()[
        "requests"
    ]
    assert entry["durationMs"] >= 400 and entry["status"] == 200
    assert _rules(api)[0]["fired"] == 1


def test_latency_then_an_error(api: ApiClient) -> None:
    _add(api, path="/connectedcar/v4/user", latencyMs=250, status=504, count=1)
    started = time.perf_counter()
    response = api.get("/user")
    assert time.perf_counter() - started >= 0.25
    assert response.status_code == 504 and response.json()["code"] == 50499


# ------------------------------------------------------------------ scope
def test_the_control_api_is_never_faulted(api: ApiClient) -> None:
    _add(api, path="/connectedcar/v4/**", status=500)
    for path in ("/faults", "/clock", "/vehicles", "/requests", "/openapi.json"):
        assert api.raw("GET", CONTROL + path).status_code == 200, path
    assert _refused(api, {"path": "/simulator/v1/clock", "status": 500}) == "path"
    assert _refused(api, {"path": "/simulator/v1/**", "status": 500}) == "path"


def test_the_identity_endpoints_only_when_a_rule_names_them(
    ccsim: ThreadedSimulator, api: ApiClient
) -> None:
    _add(api, path="/connectedcar/v4/**", status=500)
    assert ccsim.token()["access_token"]  # not under the v4 rule
    api.raw("DELETE", CONTROL + "/faults")
    _add(api, path="/am/oauth2/access_token", status=503, count=1, clientId="demo-client")
    form = {
        "grant_type": "password",
        "username": "demo@example.com",
        "password": "demo",
        "client_id": "demo-client",
        "client_secret": "demo-secret",
    }
    response = api.raw("POST", "/am/oauth2/access_token", data=form, auth=("demo-client", "x"))
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert set(response.json()) == {"error", "error_description"}
    assert ccsim.token()["access_token"]  # count 1: the next one passes


def test_reset_clears_the_rules(ccsim: ThreadedSimulator, api: ApiClient) -> None:
    _add(api, status=500)
    assert api.get("/user").status_code == 500
    assert api.raw("POST", CONTROL + "/reset").status_code == 200
    assert _rules(api) == []
    assert api.get("/user").status_code == 200
    assert _add(api, status=500)["id"] == "fault-1"  # ids start again


def test_delete_one_and_all(api: ApiClient) -> None:
    one = _add(api, path="/connectedcar/v4/user", status=500)
    _add(api, path="/connectedcar/v4/user/vehicles", status=500)
    assert api.raw("DELETE", CONTROL + f"/faults/{one['id']}").status_code == 204
    assert api.get("/user").status_code == 200
    assert api.get("/user/vehicles").status_code == 500
    missing = api.raw("DELETE", CONTROL + f"/faults/{one['id']}")
    assert missing.status_code == 404 and missing.json()["code"] == 40402
    assert api.raw("DELETE", CONTROL + "/faults").status_code == 204
    assert _rules(api) == []
    assert api.get("/user/vehicles").status_code == 200


# ------------------------------------------------------------------ bad bodies
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": 418}, "status"),
        ({"status": "503"}, "status"),
        ({"status": 500, "probability": 2}, "probability"),
        ({"status": 500, "count": 0}, "count"),
        ({"latencyMs": -1}, "latencyMs"),
        ({"latencyMs": 10_000_000}, "latencyMs"),
        ({"status": 500, "method": "BREW"}, "method"),
        ({"status": 500, "path": "/connectedcar/v4/**/status"}, "path"),
        ({"status": 500, "path": "/connectedcar/v4/user*"}, "path"),
        ({"status": 500, "path": "/elsewhere"}, "path"),
        ({"status": 500, "bogus": 1}, "bogus"),
        ({"status": 500, "retryAfter": 5}, "retryAfter"),
        ({"latencyMs": 5, "message": "m"}, "message"),
        ({"status": 500, "until": "2000-01-01T00:00:00Z"}, "until"),
        ({"status": 500, "until": "tomorrow"}, "until"),
        ({}, "body"),
        ([], "body"),
    ],
)
def test_bad_bodies_name_the_field(api: ApiClient, body: Any, field: str) -> None:
    assert _refused(api, body) == field
    assert _rules(api) == []


# ------------------------------------------------------------------ the pytest plugin
def test_the_plugin_helpers(ccsim: ThreadedSimulator) -> None:
    from simulator.testing.http import ApiCallError

    rule = ccsim.control.fault("/user/vehicles", status=503, count=1)
    assert rule["path"] == API + "/user/vehicles"
    with pytest.raises(ApiCallError) as caught:
        ccsim.api.get("/user/vehicles")
    assert caught.value.status == 503
    assert ccsim.api.get("/user/vehicles")["total"] >= 1
    assert [r["fired"] for r in ccsim.control.faults()] == [1]
    ccsim.control.fault(latencyMs=1)
    ccsim.control.clear_faults(rule)
    assert len(ccsim.control.faults()) == 1
    ccsim.control.clear_faults()
    assert ccsim.control.faults() == []


# ------------------------------------------------------------------ scenario step
@pytest.mark.ccsim_scenario(str(SCENARIO))
def test_a_scenario_apifault_step_adds_and_clears_rules(ccsim: ThreadedSimulator) -> None:
    mobile = ccsim.api.as_user("omar@example.com", client_id="mobile-app")
    fleet = ccsim.api.as_user("omar@example.com", client_id="fleet-app")
    car = ccsim.vehicles["omar-car"]
    assert mobile.request("GET", "/user").status == 200  # a token before the outage
    ccsim.control.advance("PT10M")
    [rule] = ccsim.control.faults()
    assert rule["name"] == "gateway-down" and rule["clientId"] == "mobile-app"
    answer = mobile.request("GET", f"/user/vehicles/{car.id}/status")
    assert answer.status == 503 and answer.json()["code"] == 50399
    assert answer.headers["retry-after"] == "60"
    assert fleet.request("GET", f"/user/vehicles/{car.id}/status").status == 200
    ccsim.control.advance("PT10M")  # PT20M: cleared, then the slow reads until PT40M
    [slow] = ccsim.control.faults()
    assert slow["name"] == "slow-status" and slow["latencyMs"] == 800
    assert slow["until"].startswith("2026-03-05T07:40:00")
    started = time.perf_counter()
    assert mobile.request("GET", f"/user/vehicles/{car.id}/status").status == 200
    assert time.perf_counter() - started >= 0.8
    assert mobile.request("GET", "/user").status == 200


def test_a_scenario_clear_must_name_an_earlier_fault(tmp_path: Path) -> None:
    from simulator.scenario import ScenarioError, load_scenario

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "timeline:\n"
        "  - {at: PT1M, apiFault: {clear: nope}}\n"
        "  - {at: PT2M, apiFault: {name: nope, status: 500}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(bad)
    assert caught.value.line == 2 and "timeline[0].apiFault.clear" in caught.value.field
    alone = tmp_path / "alone.yaml"
    alone.write_text("timeline:\n  - {at: PT1M, apiFault: {clear: true, status: 5}}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(alone)
    assert "clear goes alone" in str(caught.value)


def test_a_refused_scenario_fault_points_at_its_field(tmp_path: Path, ccsim_certs: Path) -> None:
    import asyncio

    from simulator.scenario import ScenarioError
    from simulator.scenario.run import play

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "life: false\ntimeline:\n  - at: PT1M\n    apiFault:\n      status: 418\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        asyncio.run(play(bad, certs=ccsim_certs))
    assert caught.value.line == 5 and caught.value.field == "timeline[0].apiFault.status"
