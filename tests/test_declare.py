"""Declaring users, clients and vehicles: the control API and scenario files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import ApiClient

from simulator.config import RateLimit
from simulator.scenario import ScenarioError, load_scenario
from simulator.testing import ThreadedSimulator

CONTROL = "/simulator/v1"
ROOT = Path(__file__).resolve().parent.parent
TWO_USERS = ROOT / "scenarios" / "two-users.yaml"

NEW_USER = {"email": "carol@example.com", "password": "carol-pw-123", "firstName": "Carol"}
NEW_CLIENT = {
    "clientId": "carol-app",
    "clientSecret": "carol-app-secret-456",
    "name": "Carol's app",
    "redirectUris": ["https://carol.example.com/cb"],
    "scopes": ["data:telemetry", "data:position", "openid"],
    "autoConsent": True,
    "allowLocalhostRedirects": False,
    "defaultUser": "carol@example.com",
}


def _post(api: ApiClient, path: str, body: Any) -> requests.Response:
    return api.raw("POST", CONTROL + path, json=body)


def _get(api: ApiClient, path: str) -> requests.Response:
    return api.raw("GET", CONTROL + path)


def _assert_field_error(response: requests.Response, field: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["debug"] == field, body
    assert field.split(".")[0] in body["message"] or status == 409
    assert body["code"] == status * 100 + 1


# ---------------------------------------------------------------------- control API


def test_create_user_then_list(ccsim: ThreadedSimulator, api: ApiClient) -> None:
    created = _post(api, "/users", NEW_USER)
    assert created.status_code == 201
    assert created.json() == {"email": "carol@example.com", "firstName": "Carol", "lastName": ""}
    users = _get(api, "/users").json()["users"]
    assert {"email": "carol@example.com", "firstName": "Carol", "lastName": ""} in users
    assert any(u["email"] == "demo@example.com" for u in users)
    duplicate = _post(api, "/users", {"email": "CAROL@example.com", "password": "x"})
    _assert_field_error(duplicate, "email", 409)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "carol@example.com", "password": ""}, "password"),
        ({"email": "not-an-email", "password": "x"}, "email"),
        ({"password": "x"}, "email"),
        ({"email": "carol@example.com", "password": 12}, "password"),
        ({"email": "carol@example.com", "password": "x", "role": "admin"}, "role"),
    ],
)
def test_create_user_validation(
    ccsim: ThreadedSimulator, api: ApiClient, body: dict[str, Any], field: str
) -> None:
    _assert_field_error(_post(api, "/users", body), field)


def test_create_client_then_list(ccsim: ThreadedSimulator, api: ApiClient) -> None:
    assert _post(api, "/users", NEW_USER).status_code == 201
    created = _post(api, "/clients", NEW_CLIENT)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["clientId"] == "carol-app"
    assert answer["redirectUris"] == ["https://carol.example.com/cb"]
    assert answer["scopes"] == ["data:telemetry", "data:position", "openid"]
    assert answer["autoConsent"] is True
    assert "clientSecret" not in answer
    listed = _get(api, "/clients")
    ids = [c["clientId"] for c in listed.json()["clients"]]
    assert ids == ["demo-client", "carol-app"]
    assert "secret" not in listed.text.lower() or "carol-app-secret" not in listed.text
    assert "scrypt" not in listed.text and "demo-secret" not in listed.text
    _assert_field_error(_post(api, "/clients", NEW_CLIENT), "clientId", 409)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scopes": ["data:telemetry", "data:everything"]}, "scopes.1"),
        ({"redirectUris": ["/relative/cb"]}, "redirectUris.0"),
        ({"redirectUris": ["ftp://example.com/cb"]}, "redirectUris.0"),
        (
            {"redirectUris": ["https://ok.example.com/", "https://x.example.com/cb#frag"]},
            "redirectUris.1",
        ),
        ({"clientSecret": ""}, "clientSecret"),
        ({"clientId": ""}, "clientId"),
        ({"autoConsent": "yes"}, "autoConsent"),
        ({"defaultUser": "nobody@example.com"}, "defaultUser"),
    ],
)
def test_create_client_validation(
    ccsim: ThreadedSimulator, api: ApiClient, change: dict[str, Any], field: str
) -> None:
    body = {**NEW_CLIENT, "defaultUser": None, **change}
    if body["defaultUser"] is None:
        del body["defaultUser"]
    _assert_field_error(_post(api, "/clients", body), field)


def test_create_vehicle_for_new_user_who_sees_only_it(
    ccsim: ThreadedSimulator, api: ApiClient
) -> None:
    demo_ids = api.vehicle_ids()
    assert _post(api, "/users", NEW_USER).status_code == 201
    created = _post(
        api,
        "/vehicles",
        {"owner": "Carol@example.com", "brand": "Peugeot", "model": "e-208", "city": "Lyon"},
    )
    assert created.status_code == 201, created.text
    summary = created.json()
    assert summary["owner"] == "carol@example.com"
    assert summary["brand"] == "Peugeot" and summary["label"] == "e-208"
    assert summary["motorization"] == "Electric"
    assert _get(api, "/vehicles/" + summary["id"]).json() == summary

    token = ccsim.token(NEW_USER["email"], NEW_USER["password"])["access_token"]
    carol = ApiClient(ccsim, token)
    assert carol.vehicle_ids() == [summary["id"]]
    assert carol.get("/user/vehicles/" + summary["id"]).status_code == 200
    for vehicle_id in demo_ids:
        denied = carol.get("/user/vehicles/" + vehicle_id)
        assert denied.status_code == 403
    assert api.get("/user/vehicles/" + summary["id"]).status_code == 403


def test_new_client_gets_tokens_for_new_user(ccsim: ThreadedSimulator, api: ApiClient) -> None:
    assert _post(api, "/users", NEW_USER).status_code == 201
    assert _post(api, "/clients", NEW_CLIENT).status_code == 201
    assert _post(api, "/vehicles", {"owner": NEW_USER["email"], "seed": 5}).status_code == 201
    answer = ccsim.token(
        NEW_USER["email"],
        NEW_USER["password"],
        client_id="carol-app",
        client_secret="carol-app-secret-456",
    )
    assert set(answer["scope"].split()) == {"data:telemetry", "data:position", "openid"}
    carol = ApiClient(ccsim, answer["access_token"])
    vehicles = carol.get("/user/vehicles", params={"client_id": "carol-app"})
    assert vehicles.status_code == 200
    assert len(vehicles.json()["_embedded"]["vehicles"]) == 1
    with pytest.raises(urllib.error.HTTPError):
        ccsim.token(
            NEW_USER["email"], "wrong", client_id="carol-app", client_secret="carol-app-secret-456"
        )
    # a seed already used gives the same vehicle: a conflict
    _assert_field_error(
        _post(api, "/vehicles", {"owner": NEW_USER["email"], "seed": 5}), "seed", 409
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"owner": "nobody@example.com"}, "owner"),
        ({"owner": "demo@example.com", "brand": "Fiat"}, "brand"),
        ({"owner": "demo@example.com", "motorization": "Steam"}, "motorization"),
        ({"owner": "demo@example.com", "city": "Atlantis"}, "city"),
        ({"owner": "demo@example.com", "brand": "Opel", "model": "e-208"}, "model"),
        ({"owner": "demo@example.com", "brand": "Vauxhall", "city": "Paris"}, "city"),
        ({"owner": "demo@example.com", "seed": -1}, "seed"),
        ({"owner": "demo@example.com", "count": 2}, "count"),
    ],
)
def test_create_vehicle_validation(
    ccsim: ThreadedSimulator, api: ApiClient, body: dict[str, Any], field: str
) -> None:
    _assert_field_error(_post(api, "/vehicles", body), field)


def test_declarations_last_until_reset(ccsim: ThreadedSimulator, api: ApiClient) -> None:
    assert _post(api, "/users", NEW_USER).status_code == 201
    assert api.raw("POST", CONTROL + "/reset").status_code == 200
    emails = [u["email"] for u in _get(api, "/users").json()["users"]]
    assert emails == ["demo@example.com"]


def test_secrets_never_in_answers_or_journal(ccsim: ThreadedSimulator, api: ApiClient) -> None:
    answers = [
        _post(api, "/users", NEW_USER).text,
        _post(api, "/clients", NEW_CLIENT).text,
        _get(api, "/users").text,
        _get(api, "/clients").text,
        _post(api, "/clients", NEW_CLIENT).text,  # 409
        _post(api, "/clients", {**NEW_CLIENT, "clientId": "x", "scopes": ["bad"]}).text,  # 400
    ]
    ccsim.token(
        NEW_USER["email"],
        NEW_USER["password"],
        client_id="carol-app",
        client_secret="carol-app-secret-456",
    )
    answers.append(_get(api, "/requests?limit=1000").text)
    answers.append(_get(api, "/openapi.json").text)
    for text in answers:
        assert "carol-pw-123" not in text
        assert "carol-app-secret-456" not in text
        assert "scrypt$" not in text


# ---------------------------------------------------------------------- scenarios


def test_two_users_scenario_loads() -> None:
    scenario = load_scenario(TWO_USERS)
    assert [u.email for u in scenario.users] == ["alice@example.com", "bob@example.com"]
    assert scenario.clients[0].autoConsent is True
    assert scenario.clients[0].redirectUris
    assert sum(g.count for g in scenario.vehicles) >= 4


def test_server_with_scenario_replaces_demo(ccsim_certs: Path) -> None:
    with ThreadedSimulator(ccsim_certs, manual_clock=True, scenario=TWO_USERS) as server:
        session = ApiClient(server, "unused")
        users = [u["email"] for u in _get(session, "/users").json()["users"]]
        assert users == ["alice@example.com", "bob@example.com"]
        clients = [c["clientId"] for c in _get(session, "/clients").json()["clients"]]
        assert clients == ["fleet-app"]
        fleet = _get(session, "/vehicles").json()["vehicles"]
        owners = sorted({v["owner"] for v in fleet})
        assert owners == ["alice@example.com", "bob@example.com"]
        assert server.call(lambda sim: sim.limits.default) is None

        answer = server.token(
            "bob@example.com",
            "bob-password",
            client_id="fleet-app",
            client_secret="fleet-app-secret",
        )
        bob = ApiClient(server, answer["access_token"])
        ids = bob.get("/user/vehicles", params={"client_id": "fleet-app"}).json()
        bob_ids = sorted(v["id"] for v in ids["_embedded"]["vehicles"])
        assert bob_ids == sorted(v["id"] for v in fleet if v["owner"] == "bob@example.com")

        # a reset declares the same again, with the same vehicles
        server.call(lambda sim: sim.reset())
        again = _get(session, "/vehicles").json()["vehicles"]
        assert again == fleet
        with pytest.raises(urllib.error.HTTPError):
            server.token()  # no demo user any more


def test_scenario_without_users_adds_to_demo(ccsim_certs: Path, tmp_path: Path) -> None:
    path = tmp_path / "extra.yaml"
    path.write_text(
        "clients:\n"
        "  - clientId: extra\n"
        "    clientSecret: extra-secret\n"
        "vehicles:\n"
        "  - owner: demo@example.com\n"
        "    brand: DS\n"
        "    count: 2\n"
        "rateLimit: 100/10\n",
        encoding="utf-8",
    )
    with ThreadedSimulator(ccsim_certs, manual_clock=True, vehicles=1, scenario=path) as server:
        api = ApiClient(server)
        assert len(api.vehicle_ids()) == 3
        clients = [c["clientId"] for c in _get(api, "/clients").json()["clients"]]
        assert clients == ["demo-client", "extra"]
        response = api.get("/user/vehicles")
        assert response.headers["X-RateLimit-Limit-1"] == "100"
    # --rate-limit wins over the scenario's
    with ThreadedSimulator(
        ccsim_certs, manual_clock=True, scenario=path, rate_limit=RateLimit(7, 2)
    ) as server:
        assert ApiClient(server).get("/user/vehicles").headers["X-RateLimit-Limit-1"] == "7"


BAD_SCENARIOS = [
    ("users:\n  - email: a@example.com\n    password: ''\n", 3, "users[0].password"),
    (
        "users:\n  - email: a@example.com\n    password: x\n"
        "clients:\n  - clientId: c\n    clientSecret: s\n    scopes: [data:trip, data:nope]\n",
        7,
        "clients[0].scopes[1]",
    ),
    (
        "clients:\n  - clientId: c\n    clientSecret: s\n"
        "    redirectUris:\n      - https://x.example.com/#top\n",
        5,
        "clients[0].redirectUris[0]",
    ),
    ("vehicles:\n  - owner: ghost@example.com\n", 2, "vehicles[0].owner"),
    ("vehicles:\n  - owner: demo@example.com\n    brand: Lada\n", 3, "vehicles[0].brand"),
    (
        "vehicles:\n  - owner: demo@example.com\n    brand: Opel\n    model: e-208\n",
        4,
        "vehicles[0].model",
    ),
    ("rateLimit: 10/0\n", 1, "rateLimit"),
    ("users:\n  - email: a@example.com\n    pasword: x\n", 3, "users[0].pasword"),
    (
        "users:\n  - {email: a@example.com, password: x}\n"
        "  - {email: A@example.com, password: y}\n",
        3,
        "users[1].email",
    ),
    ("clients:\n  - clientId: demo-client\n    clientSecret: s\n", 2, "clients[0].clientId"),
    (
        "clients:\n  - clientId: c\n    clientSecret: s\n    autoConsent: yes\n",
        4,
        "clients[0].autoConsent",
    ),
]


@pytest.mark.parametrize(("text", "line", "field"), BAD_SCENARIOS)
def test_bad_scenarios_name_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == field
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}:{line}: {field}: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("users: [\n", "invalid YAML"),
        ("users:\n  - a\nusers: []\n", "invalid YAML"),  # duplicate key
        ("- just\n- a list\n", "must be a mapping"),
        ("users:\n  - \udcff\n", "not UTF-8"),
    ],
)
def test_unparsable_scenarios(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ScenarioError, match=expected) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(str(path))


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "nope.yaml")


def test_scenario_schema_is_served(ccsim: ThreadedSimulator, api: ApiClient) -> None:
    response = _get(api, "/scenario/schema.json")
    assert response.status_code == 200
    schema = response.json()
    assert {"users", "clients", "vehicles", "rateLimit"} <= set(schema["properties"])
    scripted = {"start", "life", "places", "receivers", "callbacks", "monitors", "timeline"}
    assert scripted | {"expect", "until"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
    document = _get(api, "/openapi.json").json()
    for path in ("/users", "/clients", "/clients/{client_id}/rate-limit", "/scenario/schema.json"):
        assert CONTROL + path in document["paths"]


def test_serve_with_bad_scenario_exits_2(tmp_path: Path, ccsim_certs: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("users:\n  - email: a@example.com\n    password: ''\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCSIM_")}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "simulator", "serve", "--port", "0"),
            *("--certs", str(ccsim_certs), "--scenario", str(path)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 2
    assert "ready" not in done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{path}:3: users[0].password:" in lines[0]


def test_serve_with_bad_rate_limit_exits_2(ccsim_certs: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCSIM_")}
    env["CCSIM_RATE_LIMIT"] = "lots"
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "serve", "--port", "0", "--certs", str(ccsim_certs)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 2
    assert "--rate-limit" in done.stderr and "DAY/BURST" in done.stderr


def test_json_schema_matches_two_users_file() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from ruamel.yaml import YAML

    from simulator.scenario import Scenario

    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    data = yaml.load(TWO_USERS.read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(json.dumps(data)), Scenario.model_json_schema())
