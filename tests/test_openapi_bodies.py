"""Write bodies documented where people look (issue 22): every write operation of
``/simulator/v1/openapi.json`` has a request body schema and examples; each example is
valid by its own schema and accepted by a running simulator; a 400 about a closed set
names the values it takes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import API, ApiClient

from simulator.control.openapi import openapi_document
from simulator.monitors import fields
from simulator.remotes.commands import WIRE_KEYS
from simulator.testing import ThreadedSimulator

CONTROL = "/simulator/v1"
WRITES = ("post", "put", "patch")
BODYLESS = {
    ("post", CONTROL + "/reset"),
    ("post", CONTROL + "/clock/pause"),
    ("post", CONTROL + "/clock/resume"),
    ("post", CONTROL + "/deliveries/wait-idle"),
    ("post", CONTROL + "/deliveries/dead-letters/{event_id}/replay"),
    ("post", CONTROL + "/scenario/restart"),
}
"""Write operations that take no body: an action named by the path alone."""
FORM = "application/x-www-form-urlencoded"
RESETS = {"simLoadScenario"}
"""Operations that replace the fleet: posted last."""


def _document() -> dict[str, Any]:
    return openapi_document()


def _writes() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in _document()["paths"].items()
        for method, operation in item.items()
        if method in WRITES
    ]


def _examples() -> list[tuple[str, str, str, dict[str, Any], str, Any]]:
    """(method, path, operationId, schema, example name, value) of every JSON example."""
    found = []
    for method, path, operation in _writes():
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        for name, example in body.get("examples", {}).items():
            found.append(
                (method, path, operation["operationId"], body["schema"], name, example["value"])
            )
    return found


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """``schema`` with the document's components its references point to."""
    return jsonschema.Draft202012Validator({**schema, "components": _document()["components"]})


# ------------------------------------------------------------------ the document
def test_every_write_operation_has_a_body_schema_and_named_examples() -> None:
    writes = _writes()
    assert len(writes) > 30
    missing = []
    for method, path, operation in writes:
        if (method, path) in BODYLESS:
            assert "requestBody" not in operation, (method, path)
            continue
        content = operation.get("requestBody", {}).get("content", {})
        if not content:
            missing.append(f"{method.upper()} {path}: no requestBody")
        for media, body in content.items():
            if "schema" not in body:
                missing.append(f"{method.upper()} {path} {media}: no schema")
            if media != FORM and not body.get("examples"):
                missing.append(f"{method.upper()} {path} {media}: no example")
            for name, example in body.get("examples", {}).items():
                assert example["summary"] and "value" in example, (path, name)
    assert not missing, "\n".join(missing)


def test_the_remote_and_monitor_examples_cover_every_action_and_each_trigger_kind() -> None:
    by_id = {op_id: [] for *_, op_id, _, _, _ in _examples()}
    for *_, op_id, _, name, value in _examples():
        by_id[op_id].append((name, value))
    remotes = by_id["sendRemoteToVhl"]
    keys = {key for _, value in remotes for key in value if key in WIRE_KEYS.values()}
    assert keys == set(WIRE_KEYS.values()) and len(remotes) == 9
    for op_id in ("createVehicleVehicleMonitor", "createVehicleVehicleMonitorLegacy"):
        kinds = {
            kind
            for _, value in by_id[op_id]
            for trigger in value["triggerParam"]["triggers"]
            for kind in ("zone", "time", "data")
            if kind in trigger
        }
        assert kinds == {"zone", "time", "data"}, op_id
    leave = dict(by_id["createVehicleVehicleMonitor"])["leaveZone"]
    assert leave["triggerParam"]["triggers"][0]["zone"]["transition"] == "Out"


def test_every_example_is_valid_by_its_own_schema() -> None:
    examples = _examples()
    assert len(examples) > 40
    for method, path, _, schema, name, value in examples:
        errors = list(_validator(schema).iter_errors(value))
        assert not errors, (method, path, name, [e.message for e in errors])


def test_an_invalid_body_is_invalid_by_the_schema_too() -> None:
    """The schemas are the validating models', not looser copies: a data trigger on an
    unknown field or a circle of 0 km is refused by the document as by the server."""
    schema = next(s for *_, op, s, n, _ in _examples() if op == "createVehicleVehicleMonitor")
    body = {
        "label": "x",
        "triggerParam": {
            "triggers": [{"name": "f", "data": {"data": "vehicle.fuel", "op": "onChange"}}],
            "boolExp": "f",
        },
    }
    assert list(_validator(schema).iter_errors(body))
    circle = {"center": {"longitude": 2, "latitude": 48}, "radius": 0}
    body["triggerParam"]["triggers"] = [
        {"name": "z", "zone": {"transition": "In", "place": circle}}
    ]
    assert list(_validator(schema).iter_errors(body))


def test_units_are_in_the_schema_descriptions() -> None:
    schemas = _document()["components"]["schemas"]
    text = str(schemas)
    assert "km" in schemas["_CircleIn"]["properties"]["radius"]["description"]
    assert "ISO 8601" in schemas["_TimeEntryIn"]["properties"]["duration"]["description"]
    data = schemas["_DataIn"]["properties"]["data"]["description"]
    assert "vehicle.energy.fuel.level (int in %" in data
    assert "vehicle.kinetic.speed (number in km/h" in data
    assert "seconds" in schemas["_RetryPolicyIn"]["properties"]["retryDelay"]["description"]
    assert "%" in schemas["StateInjection"]["properties"]["fuelLevel"]["description"]
    assert "simulated seconds" in text


# ------------------------------------------------------------------ against a server
@pytest.fixture(scope="module")
def server(ccsim_certs: Path) -> Iterator[ThreadedSimulator]:
    # a running clock: PUT /clock/speed answers 409 on a manual one
    with ThreadedSimulator(ccsim_certs, vehicles=2, seed=22) as server:
        yield server


class Ids:
    """The real ids an example's path names, made on the server under test."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self.vehicle = self.control(
            "POST", "/vehicles", {"owner": "demo@example.com", "motorization": "Electric"}
        )["id"]
        hook = {"webhook": {"name": "t", "target": "https://127.0.0.1:9/hook"}}
        self.callback = self.v4("POST", "/user/callbacks", {"label": "t", "callback": hook})[
            "callbackId"
        ]
        self.control("POST", "/clients", {"clientId": "examples", "clientSecret": "examples-pw"})
        self.monitors: dict[str, str] = {}
        self.still = next(v for v in api.vehicle_ids() if v != self.vehicle)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.api.raw(method, CONTROL + path, json=body)
        assert response.status_code < 300, (path, response.text)
        return response.json()

    def v4(self, method: str, path: str, body: Any = None) -> Any:
        response = self.api.raw(
            method,
            API + path,
            params={"client_id": "demo-client"},
            headers=self.api.headers(),
            json=body,
        )
        assert response.status_code < 300, (path, response.text)
        return response.json() if response.content else None

    def path(self, path: str) -> str:
        """``path`` with its ids: a monitor made for it when it names one."""
        if path.startswith(API + "/user/callbacks/{cbid}"):  # replaced: not the one used
            hook = {"webhook": {"name": "s", "target": "https://127.0.0.1:9/spare"}}
            spare = self.v4("POST", "/user/callbacks", {"label": "spare", "callback": hook})
            path = path.replace("{cbid}", spare["callbackId"])
        # the control API drives and injects into a vehicle the remotes left alone
        # (the immobilization example keeps its vehicle from driving)
        vehicle = self.still if path.startswith(CONTROL) else self.vehicle
        path = path.replace("{id}", vehicle).replace("{cbid}", self.callback)
        path = path.replace("{client_id}", "examples")
        if "{mid}" in path:
            collection = path.split("/monitors/")[0].removeprefix(API) + "/monitors"
            body: dict[str, Any] = {
                "label": "m",
                "triggerParam": {
                    "triggers": [
                        {"name": "m", "data": {"data": "vehicle.kinetic.moving", "op": "onChange"}}
                    ],
                    "boolExp": "m",
                },
            }
            if "/callbacks/" not in collection:
                body["subscribeParam"] = {
                    "callback": {"name": "m", "target": "https://127.0.0.1:9/m"}
                }
            if collection not in self.monitors:
                self.monitors[collection] = self.v4("POST", collection, body)["monitorId"]
            path = path.replace("{mid}", self.monitors[collection])
        return path


def test_every_example_is_accepted_by_a_running_simulator(server: ThreadedSimulator) -> None:
    api = ApiClient(server)
    ids = Ids(api)
    ordered = sorted(_examples(), key=lambda example: example[2] in RESETS)
    refused = []
    for method, path, op_id, _, name, value in ordered:
        url = ids.path(path)
        kw: dict[str, Any] = {"json": value}
        if url.startswith(API):
            kw |= {"params": {"client_id": "demo-client"}, "headers": api.headers()}
        response = api.raw(method.upper(), url, **kw)
        if not 200 <= response.status_code < 300:
            refused.append(f"{op_id} {name}: {response.status_code} {response.text}")
            continue
        answer = response.json() if response.content else {}
        if method == "post" and "monitorId" in answer:  # at most 5 monitors a vehicle
            ids.v4("DELETE", url.removeprefix(API) + "/" + answer["monitorId"])
    api.session.close()
    assert not refused, "\n".join(refused)
    assert {op for _, _, op, *_ in ordered} >= {"sendRemoteToVhl", "simInjectVehicleState"}


# ------------------------------------------------------------------ closed sets
def _refusal(api: ApiClient, method: str, path: str, body: Any) -> dict[str, Any]:
    kw: dict[str, Any] = {"json": body}
    if path.startswith(API):
        kw |= {"params": {"client_id": "demo-client"}, "headers": api.headers()}
    response = api.raw(method, path, **kw)
    assert response.status_code == 400, response.text
    answer: dict[str, Any] = response.json()
    assert answer["code"] == 40001
    return answer


@pytest.fixture
def callback_id(api: ApiClient) -> Iterator[str]:
    hook = {"webhook": {"name": "t", "target": "https://127.0.0.1:9/hook"}}
    response = api.raw(
        "POST",
        API + "/user/callbacks",
        params={"client_id": "demo-client"},
        headers=api.headers(),
        json={"label": "closed-sets", "callback": hook},
    )
    cbid = response.json()["callbackId"]
    yield cbid
    api.raw(
        "DELETE",
        API + f"/user/callbacks/{cbid}",
        params={"client_id": "demo-client"},
        headers=api.headers(),
    )


def test_a_data_trigger_on_an_unknown_field_lists_the_fields(
    api: ApiClient, callback_id: str
) -> None:
    vehicle = api.vehicle_ids()[0]
    path = API + f"/user/vehicles/{vehicle}/callbacks/{callback_id}/monitors"
    trigger = {"name": "f", "data": {"data": "vehicle.fuel", "op": "lowerThan", "value": "10"}}
    body = {"label": "x", "triggerParam": {"triggers": [trigger], "boolExp": "f"}}
    answer = _refusal(api, "POST", path, body)
    assert answer["debug"] == "triggerParam.triggers.0.data.data"
    assert "'vehicle.fuel' is not a data a trigger can watch (one of: " in answer["message"]
    assert all(name in answer["message"] for name in fields.FIELDS)
    # an enum value out of the field's set: every value, none left out
    trigger["data"] = {"data": "privacy.state", "op": "equalsTo", "value": "Hidden"}
    answer = _refusal(api, "POST", path, body)
    assert answer["message"].endswith("'Hidden' is not one of Full, Geolocation, None")


def test_an_unknown_remote_key_lists_the_nine_actions(api: ApiClient, callback_id: str) -> None:
    vehicle = api.vehicle_ids()[0]
    path = API + f"/user/vehicles/{vehicle}/callbacks/{callback_id}/remotes"
    answer = _refusal(api, "POST", path, {"unlock": {"state": "Unlocked"}})
    assert answer["debug"] == "unlock"
    assert all(key in answer["message"] for key in WIRE_KEYS.values())
    answer = _refusal(api, "POST", path, {"door": {"state": "Open"}})
    assert answer["message"] == "door.state Input should be 'Locked' or 'Unlocked'"


def test_an_unknown_member_of_a_control_body_lists_the_members(api: ApiClient) -> None:
    vehicle = api.vehicle_ids()[0]
    answer = _refusal(api, "PATCH", CONTROL + f"/vehicles/{vehicle}/state", {"fuel": 5})
    assert answer["debug"] == "fuel"
    assert answer["message"].startswith("fuel is not allowed here (allowed: position, ")
    assert "fuelLevel" in answer["message"]
    answer = _refusal(
        api,
        "PATCH",
        CONTROL + f"/vehicles/{vehicle}/state",
        {"position": {"longitude": 2, "latitude": 48, "lon": 2}},
    )
    assert answer["message"] == "position.lon is not allowed here (allowed: longitude, latitude)"


def test_an_unknown_variable_lists_the_variables(api: ApiClient) -> None:
    attribute = {"type": "Header", "key": "X-Id", "value": "$vehicleId"}
    hook = {"webhook": {"name": "t", "target": "https://127.0.0.1:9/h", "attributes": [attribute]}}
    answer = _refusal(api, "POST", API + "/user/callbacks", {"label": "v", "callback": hook})
    assert answer["debug"] == "callback.webhook.attributes.0.value"
    assert "unknown variable $vehicleId (known: " in answer["message"]
    assert "$vin" in answer["message"]


def test_the_document_is_served(api: ApiClient) -> None:
    served = api.raw("GET", CONTROL + "/openapi.json").json()
    remote = served["paths"][API + "/user/vehicles/{id}/callbacks/{cbid}/remotes"]["post"]
    assert len(remote["requestBody"]["content"]["application/json"]["examples"]) == 9
