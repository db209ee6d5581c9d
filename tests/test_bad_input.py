"""A battery of malformed requests against every endpoint: never a 500, always the JSON error."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest
import requests
from conftest import ApiClient

from simulator.control.openapi import openapi_document

NASTY = [
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00",
    "a" * 5000,
    "\u202e\ufeffé€𝄞",
    "${jndi:ldap://x}",
    "-1",
    "1e309",
]
QUERY_NOISE: list[dict[str, str]] = [
    {"pageSize": "0"},
    {"pageSize": "61"},
    {"pageSize": "abc"},
    {"pageSize": "-5"},
    {"indexRange": "9-1"},
    {"indexRange": "x-"},
    {"pageToken": "garbage!"},
    {"pageToken": "cDk5OTk"},
    {"timestamps": "yesterday/today"},
    {"timestamps": "2026-01-01T00:00:00Z/2025-01-01T00:00:00Z"},
    {"timestamps": "/"},
    {"type": "NotAType"},
    {"extension": "everything"},
    {"limit": "999999999999"},
    {"status": "abc"},
]


def _operations() -> list[tuple[str, str]]:
    document = openapi_document()
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if path != "/simulator/v1/reset"  # would wipe the fleet under the other requests
    ]


def _fill(path: str, ids: dict[str, str], junk: str | None) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if junk is not None:
            return requests.utils.quote(junk, safe="")
        return ids.get(name, "unknown-id")

    return re.sub(r"\{(\w+)\}", sub, path)


def _assert_sane(response: requests.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    assert response.headers.get("X-Request-Id"), what
    if response.status_code >= 400:
        body = response.json()
        if "/am/oauth2/" in response.url and response.status_code in (400, 401):
            assert "error" in body and "error_description" in body, what  # RFC 6749
        else:
            assert body["code"] // 100 == response.status_code, what
            assert body["uuid"] == response.headers["X-Request-Id"], what
            assert body["timestamp"].endswith("Z"), what


@pytest.fixture
def ids(api: ApiClient) -> dict[str, str]:
    vid = api.vehicle_ids()[0]
    return {"id": vid}


def _send(api: ApiClient, method: str, url: str, **kw: Any) -> requests.Response:
    headers = {**api.headers(), **kw.pop("headers", {})}
    params = kw.pop("params", {"client_id": "demo-client"})
    return api.raw(method, url, headers=headers, params=params, **kw)


def test_every_endpoint_with_malformed_bodies(api: ApiClient, ids: dict[str, str]) -> None:
    bodies: list[dict[str, Any]] = [
        {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
        {"data": b"\xff\xfe\xfa", "headers": {"Content-Type": "application/json"}},
        {"data": b'{"seconds": "ten"}', "headers": {"Content-Type": "application/json"}},
        {"data": b"[1, 2, 3]", "headers": {"Content-Type": "application/json"}},
        {"data": b'{"a": 1}', "headers": {"Content-Type": "text/plain"}},
        {"data": b"x" * (2 * 1024 * 1024), "headers": {"Content-Type": "application/json"}},
        {
            "data": json.dumps({"speed": 1e309}).encode(),
            "headers": {"Content-Type": "application/json"},
        },
        {"data": b"", "headers": {"Content-Type": "application/json"}},
    ]
    for (method, path), body in itertools.product(_operations(), bodies):
        for verb in {method, "POST", "PUT", "DELETE", "PATCH"}:
            response = _send(api, verb, _fill(path, ids, None), **dict(body))
            _assert_sane(response, f"{verb} {path} {body['data'][:20]!r}")


def test_every_endpoint_with_nasty_path_ids_and_queries(
    api: ApiClient, ids: dict[str, str]
) -> None:
    for method, path in _operations():
        if "{" in path:
            for junk in NASTY:
                response = _send(api, method, _fill(path, ids, junk))
                _assert_sane(response, f"{method} {path} id={junk[:20]!r}")
        for noise in QUERY_NOISE:
            response = _send(
                api, method, _fill(path, ids, None), params={"client_id": "demo-client", **noise}
            )
            _assert_sane(response, f"{method} {path} {noise}")
        for value in NASTY:
            response = _send(
                api,
                method,
                _fill(path, ids, None),
                params={"client_id": value, "vinPrefix": value, "locale": value},
            )
            _assert_sane(response, f"{method} {path} query={value[:20]!r}")


def test_missing_and_odd_headers(api: ApiClient, ids: dict[str, str]) -> None:
    variants: list[dict[str, str]] = [
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic ZGVtbzpkZW1v"},
        {"Authorization": "Bearer " + "x" * 4000},
        {"x-introspect-realm": ""},
        {"x-introspect-realm": "clientsB2C<script>"},
        {"Accept": "application/hal+json "},  # older clients send a trailing space
        {"Accept": "application/vnd.geo+json"},
        {"Content-Type": "application/json"},  # on a bodiless GET: accepted
    ]
    for (method, path), headers in itertools.product(_operations(), variants):
        response = _send(api, method, _fill(path, ids, None), headers=headers)
        _assert_sane(response, f"{method} {path} {headers}")
    ok = _send(
        api,
        "GET",
        f"/connectedcar/v4/user/vehicles/{ids['id']}/status",
        headers={"Accept": "application/hal+json ", "Content-Type": "application/json"},
    )
    assert ok.status_code == 200


def test_unknown_path_wrong_method_and_size_limit(api: ApiClient) -> None:
    unknown = _send(api, "GET", "/connectedcar/v4/user/nothing-here")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == 40401
    outside = _send(api, "GET", "/definitely/not/here")
    assert outside.status_code == 404
    wrong = _send(api, "DELETE", "/connectedcar/v4/user/vehicles")
    assert wrong.status_code == 405
    assert wrong.json()["code"] == 40501
    assert "GET" in wrong.headers["Allow"]
    huge = _send(
        api,
        "POST",
        "/simulator/v1/clock/advance",
        data=b"{" + b" " * (2 << 20) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    assert huge.json()["code"] == 41301
    media = _send(
        api,
        "POST",
        "/simulator/v1/clock/advance",
        data=b'{"seconds": 1}',
        headers={"Content-Type": "text/plain"},
    )
    assert media.status_code == 415
    typed = _send(api, "POST", "/simulator/v1/clock/advance", json={"seconds": "soon"})
    assert typed.status_code == 400
    assert typed.json()["debug"] == "seconds"


def test_every_request_is_journalled_with_its_request_id(api: ApiClient) -> None:
    response = api.get("/user")
    rid = response.headers["X-Request-Id"]
    journal = api.raw("GET", "/simulator/v1/requests", params={"requestId": rid}).json()
    assert [entry["requestId"] for entry in journal["requests"]] == [rid]
    entry = journal["requests"][0]
    assert entry["path"] == "/connectedcar/v4/user"
    assert entry["status"] == 200
    assert entry["clientId"] == "demo-client"
    assert entry["userId"] == "demo@example.com"
