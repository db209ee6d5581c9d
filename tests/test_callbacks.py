"""``/user/callbacks`` live over mTLS: create, list, read, replace, pause, delete, refuse."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests
from conftest import API, ApiClient
from reference import reference_available, validate_response

from simulator.testing import ThreadedSimulator

NEEDS_REFERENCE = "official reference ../shared/reference not present (CI only)"
BASE = API + "/user/callbacks"

SEED_BODY: dict[str, Any] = {
    "label": "my-callback",
    "type": ["Monitor", "Remote"],
    "callback": {
        "webhook": {
            "target": "https://my.post.callback",
            "name": "my-webhook",
            "batch": {"enabled": True, "size": 100},
            "attributes": [{"type": "Header", "key": "X-Vehicle_Id", "value": "$vin"}],
        },
        "pushnotif": {
            "devices": ["device-1"],
            "attributes": [{"type": "Header", "key": "X-Vehicle_Id", "value": "$vin"}],
        },
        "websocket": {
            "target": "wss://ws.example.com/events",
            "batch": {"enabled": True, "size": 100},
            "attributes": [{"type": "Header", "key": "X-Vehicle_Id", "value": "$vin"}],
        },
    },
}


def _webhook_body(**webhook: Any) -> dict[str, Any]:
    return {
        "label": "hook",
        "callback": {"webhook": {"target": "https://hooks.example.com/in", "name": "h", **webhook}},
    }


def call(
    api: ApiClient,
    method: str,
    path: str = "",
    json: Any = None,
    params: dict[str, str] | None = None,
    client_id: str = "demo-client",
) -> requests.Response:
    return api.raw(
        method,
        BASE + path,
        params={"client_id": client_id, **(params or {})},
        headers=api.headers(),
        json=json,
    )


def create(api: ApiClient, body: dict[str, Any] | None = None) -> str:
    response = call(api, "POST", json=body or SEED_BODY)
    assert response.status_code == 200, response.text
    cbid: str = response.json()["callbackId"]
    return cbid


def _check_reference(method: str, path: str, status: int, body: object) -> None:
    if reference_available():
        validate_response(method, path, status, body)


def test_create_with_the_seed_example(api: ApiClient) -> None:
    response = call(api, "POST", json=SEED_BODY)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/hal+json")
    body = response.json()
    assert body["status"] == "Running"
    cbid = body["callbackId"]
    assert cbid and body["_links"]["callback"]["href"].endswith(f"/user/callbacks/{cbid}")
    assert body["_links"]["callback"]["href"].startswith("https://")
    _check_reference("POST", "/user/callbacks", 200, body)

    one = call(api, "GET", f"/{cbid}")
    assert one.status_code == 200, one.text
    got = one.json()
    assert got["id"] == cbid and got["label"] == "my-callback" and got["status"] == "Running"
    assert got["_links"]["self"]["href"].endswith(f"/user/callbacks/{cbid}")
    subscribe = got["subscribe"]
    assert subscribe["type"] == ["Monitor", "Remote"]
    webhook = subscribe["callback"]["webhook"]
    assert webhook["batch"] == {"enabled": True, "size": 100}
    assert webhook["attributes"] == [{"type": "Header", "key": "X-Vehicle_Id", "value": "$vin"}]
    assert subscribe["callback"]["pushnotif"]["devices"] == ["device-1"]
    # the seed's websocket Header attribute in the reference's canonical form
    assert subscribe["callback"]["websocket"]["attributes"][0]["type"] == "Body"
    _check_reference("GET", "/user/callbacks/{cbid}", 200, got)


def test_defaults_and_extra_members(api: ApiClient) -> None:
    body = _webhook_body(unknown="kept out", batch={"enabled": False})
    body["extra"] = 1
    cbid = create(api, body)
    subscribe = call(api, "GET", f"/{cbid}").json()["subscribe"]
    assert subscribe["type"] == ["Monitor", "Remote"]
    assert "extra" not in subscribe
    assert subscribe["callback"]["webhook"]["batch"] == {"enabled": False, "size": 100}
    assert "unknown" not in subscribe["callback"]["webhook"]


def test_list_and_filter(api: ApiClient) -> None:
    empty = call(api, "GET").json()
    assert empty["total"] == 0 and empty["_embedded"]["callbacks"] == []
    both = create(api)
    monitor = create(api, {**_webhook_body(), "type": ["Monitor"]})
    remote = create(api, {**_webhook_body(), "type": ["Remote", "Remote"]})

    listed = call(api, "GET")
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["total"] == 3 and page["currentPage"] == 1
    assert [c["id"] for c in page["_embedded"]["callbacks"]] == [both, monitor, remote]
    _check_reference("GET", "/user/callbacks", 200, page)

    only_monitor = call(api, "GET", params={"callbackType": "Monitor"}).json()
    assert [c["id"] for c in only_monitor["_embedded"]["callbacks"]] == [both, monitor]
    only_remote = call(api, "GET", params={"types": "Remote"}).json()
    assert [c["id"] for c in only_remote["_embedded"]["callbacks"]] == [both, remote]
    assert call(api, "GET", f"/{remote}").json()["subscribe"]["type"] == ["Remote"]

    paged = call(api, "GET", params={"pageSize": "2"}).json()
    assert paged["totalPage"] == 2 and len(paged["_embedded"]["callbacks"]) == 2
    assert "next" in paged["_links"]

    bad = call(api, "GET", params={"callbackType": "Alert"})
    assert bad.status_code == 400 and bad.json()["debug"] == "callbackType"


def test_replace(api: ApiClient) -> None:
    cbid = create(api)
    new = _webhook_body()
    new["label"] = "renamed"
    new["type"] = ["Remote"]
    response = call(api, "PUT", f"/{cbid}", json=new)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["callbackId"] == cbid and body["status"] == "Running"
    _check_reference("PUT", "/user/callbacks/{cbid}", 202, body)
    got = call(api, "GET", f"/{cbid}").json()
    assert got["label"] == "renamed"
    assert set(got["subscribe"]["callback"]) == {"webhook"}
    assert got["subscribe"]["type"] == ["Remote"]

    invalid = call(api, "PUT", f"/{cbid}", json={"label": "x", "callback": {}})
    assert invalid.status_code == 400 and invalid.json()["debug"] == "callback"
    assert call(api, "GET", f"/{cbid}").json()["label"] == "renamed"


def test_status(api: ApiClient) -> None:
    cbid = create(api)
    paused = call(api, "PUT", f"/{cbid}/status", json={"status": "Paused"})
    assert paused.status_code == 202, paused.text
    assert paused.json()["status"] == "Paused" and paused.json()["callbackId"] == cbid
    _check_reference("PUT", "/user/callbacks/{cbid}/status", 202, paused.json())
    assert call(api, "GET", f"/{cbid}").json()["status"] == "Paused"
    running = call(api, "PUT", f"/{cbid}/status", json={"status": "Running"})
    assert running.status_code == 202 and running.json()["status"] == "Running"
    for bad in ({"status": "Failed"}, {"status": "paused"}, {}, {"status": 1}):
        response = call(api, "PUT", f"/{cbid}/status", json=bad)
        assert response.status_code == 400, bad
        assert response.json()["debug"] == "status"


def test_delete(api: ApiClient) -> None:
    cbid = create(api)
    response = call(api, "DELETE", f"/{cbid}")
    assert response.status_code == 204 and response.content == b""
    gone = call(api, "GET", f"/{cbid}")
    assert gone.status_code == 404 and gone.json()["code"] == 40402
    assert call(api, "DELETE", f"/{cbid}").status_code == 404
    assert call(api, "PUT", f"/{cbid}/status", json={"status": "Paused"}).status_code == 404
    assert call(api, "PUT", f"/{cbid}", json=SEED_BODY).status_code == 404
    assert call(api, "GET").json()["total"] == 0


def test_unknown_id(api: ApiClient) -> None:
    response = call(api, "GET", "/0123abcd")
    assert response.status_code == 404 and response.json()["code"] == 40402


def _with(path: str, value: Any) -> dict[str, Any]:
    """The seed body with the member at dotted ``path`` set (or removed when ``...``)."""
    body = copy.deepcopy(SEED_BODY)
    node: Any = body
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if value is ...:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


INVALID: list[tuple[str, Any, str]] = [
    ("label", "", "label"),
    ("label", ..., "label"),
    ("label", 5, "label"),
    ("type", [], "type"),
    ("type", ["Alert"], "type.0"),
    ("type", "Monitor", "type"),
    ("callback", {}, "callback"),
    ("callback", ..., "callback"),
    ("callback.webhook.target", "http://my.post.callback", "callback.webhook.target"),
    ("callback.webhook.target", "my.post.callback", "callback.webhook.target"),
    ("callback.webhook.target", "https://", "callback.webhook.target"),
    ("callback.webhook.target", 42, "callback.webhook.target"),
    ("callback.webhook.name", ..., "callback.webhook.name"),
    ("callback.webhook.batch.size", 0, "callback.webhook.batch.size"),
    ("callback.webhook.batch.size", 1001, "callback.webhook.batch.size"),
    ("callback.webhook.batch.size", "100", "callback.webhook.batch.size"),
    ("callback.webhook.batch.enabled", "yes", "callback.webhook.batch.enabled"),
    ("callback.webhook.attributes.0.type", "Cookie", "callback.webhook.attributes.0.type"),
    ("callback.webhook.attributes.0.key", "X-A\r\nX-B", "callback.webhook.attributes.0.key"),
    ("callback.webhook.attributes.0.key", "X A", "callback.webhook.attributes.0.key"),
    ("callback.webhook.attributes.0.key", "", "callback.webhook.attributes.0.key"),
    ("callback.webhook.attributes.0.value", "a\nb", "callback.webhook.attributes.0.value"),
    ("callback.webhook.attributes.0.value", "a\x00b", "callback.webhook.attributes.0.value"),
    ("callback.webhook.attributes.0.value", "$plate", "callback.webhook.attributes.0.value"),
    ("callback.websocket.target", "https://ws.example.com", "callback.websocket.target"),
    ("callback.websocket.target", ..., "callback.websocket.target"),
    ("callback.websocket.attributes.0.type", "Query", "callback.websocket.attributes.0.type"),
    ("callback.websocket.attributes.0.value", "x\ry", "callback.websocket.attributes.0.value"),
    ("callback.pushnotif.devices", [], "callback.pushnotif.devices"),
    ("callback.pushnotif.devices", ..., "callback.pushnotif.devices"),
    ("callback.pushnotif.devices", [""], "callback.pushnotif.devices.0"),
    ("callback.pushnotif.attributes.0.key", "from", "callback.pushnotif.attributes.0.key"),
    ("callback.pushnotif.attributes.0.key", "message_type", "callback.pushnotif.attributes.0.key"),
    ("callback.pushnotif.attributes.0.key", "google.x", "callback.pushnotif.attributes.0.key"),
    ("callback.pushnotif.attributes.0.key", "GCM_id", "callback.pushnotif.attributes.0.key"),
    ("callback.pushnotif.attributes.0.type", "Query", "callback.pushnotif.attributes.0.type"),
]


@pytest.mark.parametrize(("path", "value", "debug"), INVALID)
def test_invalid_bodies_name_the_field(api: ApiClient, path: str, value: Any, debug: str) -> None:
    response = call(api, "POST", json=_with(path, value))
    assert response.status_code == 400, (path, value, response.text)
    error = response.json()
    assert error["code"] == 40001
    assert error["debug"] == debug, error
    if path == "callback.webhook.target" and value == "http://my.post.callback":
        assert error["message"] == "callback.webhook.target must be an https URL"


def test_variables_are_case_insensitive(api: ApiClient) -> None:
    attributes = [
        {"type": "Body", "key": k, "value": v}
        for k, v in [
            ("a", "$Vin"),
            ("b", "$callbackid"),
            ("c", "$CallbackLabel"),
            ("d", "$RemoteType"),
            ("e", "$remotestatus"),
            ("f", "$RemoteLabel"),
            ("g", "$MonitorID"),
            ("h", "$monitorLabel"),
            ("i", "plain"),
        ]
    ]
    cbid = create(api, _webhook_body(attributes=attributes))
    got = call(api, "GET", f"/{cbid}").json()["subscribe"]["callback"]["webhook"]
    assert [a["value"] for a in got["attributes"]] == [a["value"] for a in attributes]


def test_body_errors(api: ApiClient) -> None:
    not_json = api.raw(
        "POST",
        BASE,
        params={"client_id": "demo-client"},
        headers={**api.headers(), "Content-Type": "application/json"},
        data=b"{nope",
    )
    assert not_json.status_code == 400
    array = call(api, "POST", json=[SEED_BODY])
    assert array.status_code == 400 and array.json()["debug"] == "body"
    text = api.raw(
        "POST",
        BASE,
        params={"client_id": "demo-client"},
        headers={**api.headers(), "Content-Type": "text/plain"},
        data=b"{}",
    )
    assert text.status_code == 415


def test_other_users_see_nothing(ccsim: ThreadedSimulator, api: ApiClient) -> None:
    cbid = create(api)
    ccsim.call(lambda sim: sim.identity.add_user("eve@example.com", "pw"))
    eve = ApiClient(ccsim, ccsim.token("eve@example.com", "pw")["access_token"])
    unknown = call(eve, "GET", "/does-not-exist").json()
    for method, path, body in [
        ("GET", f"/{cbid}", None),
        ("PUT", f"/{cbid}", SEED_BODY),
        ("PUT", f"/{cbid}/status", {"status": "Paused"}),
        ("DELETE", f"/{cbid}", None),
    ]:
        response = call(eve, method, path, json=body)
        assert response.status_code == 404, (method, path)
        error = response.json()
        assert (error["code"], error["message"]) == (unknown["code"], unknown["message"])
    assert call(eve, "GET").json()["total"] == 0
    # untouched for its owner
    mine = call(api, "GET", f"/{cbid}").json()
    assert mine["status"] == "Running" and mine["label"] == "my-callback"


def test_other_clients_of_the_same_user_see_nothing(
    ccsim: ThreadedSimulator, api: ApiClient
) -> None:
    cbid = create(api)
    ccsim.call(lambda sim: sim.identity.add_client("other-client", "other-secret"))
    token = ccsim.token(client_id="other-client", client_secret="other-secret")["access_token"]
    other = ApiClient(ccsim, token)
    response = call(other, "GET", f"/{cbid}", client_id="other-client")
    assert response.status_code == 404 and response.json()["code"] == 40402
    assert call(other, "GET", client_id="other-client").json()["total"] == 0
    deleted = call(other, "DELETE", f"/{cbid}", client_id="other-client")
    assert deleted.status_code == 404
    assert call(api, "GET", f"/{cbid}").status_code == 200
