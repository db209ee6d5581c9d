"""Header attributes never touch what the HTTP layer owns (framing, body encoding, host,
connection): refused with a 400 naming the attribute wherever an attribute is accepted,
and dropped by the delivery engine when an old store still holds one.

Deliveries go over real TLS to a bare asyncio receiver that records the exact bytes
of each request, so a wrong ``Content-Length`` or a ``Transfer-Encoding`` shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import API, ApiClient

from simulator.callbacks.attributes import owned_header
from simulator.callbacks.channels import InlineWebhook
from simulator.events import Notification
from simulator.store import Simulator
from simulator.testing import ThreadedSimulator
from simulator.testing.receiver import WebhookReceiver
from simulator.tls import CertStore

CONTROL = "/simulator/v1"
VIN = "VR3UHZKXZLT000001"
DOORS_DONE = {
    "remoteActionId": "ra-1",
    "remoteType": "Doors",
    "eventStatus": {"type": "Done", "status": "Success"},
}
ALLOWED = {"type": "Header", "key": "X-Api-Key", "value": "k-123"}

OWNED_KEYS = [
    "Content-Length",
    "content-length",
    "CONTENT-LENGTH",
    "Transfer-Encoding",
    "transfer-ENCODING",
    "Host",
    "host",
    "HOST",
    "Connection",
    "CONNECTION",
    "Content-Type",
    "content-type",
    "Content-Encoding",
    "CONTENT-ENCODING",
    "Expect",
    "expect",
    "Upgrade",
    "uPgRaDe",
    "TE",
    "te",
    "Trailer",
    "trailer",
    "Keep-Alive",
    "keep-alive",
    "Proxy-Connection",
    "proxy-connection",
    "Proxy-Authorization",
    "PROXY-AUTHENTICATE",
    "Proxy-Anything",
    ":authority",
    ":path",
]
"""Every header the HTTP layer owns, in several casings."""

FRAMING_ATTRIBUTES = [
    {"type": "Header", "key": "Content-Length", "value": "0"},
    {"type": "Header", "key": "Transfer-Encoding", "value": "chunked"},
    {"type": "Header", "key": "Host", "value": "evil.example"},
    {"type": "Header", "key": "content-type", "value": "text/plain"},
    {"type": "Header", "key": "Content-Encoding", "value": "gzip"},
    {"type": "Header", "key": "Expect", "value": "100-continue"},
    {"type": "Header", "key": "Connection", "value": "Upgrade"},
    {"type": "Header", "key": "Upgrade", "value": "h2c"},
    {"type": "Header", "key": "TE", "value": "trailers"},
    {"type": "Header", "key": "Trailer", "value": "X-Checksum"},
    {"type": "Header", "key": "Keep-Alive", "value": "timeout=1"},
    {"type": "Header", "key": "Proxy-Authorization", "value": "Basic ZXZpbA=="},
]
"""What a store written before the rule may hold: none of it may reach the wire."""
DROPPED = {a["key"].lower() for a in FRAMING_ATTRIBUTES} - {
    "content-length",
    "content-type",
    "host",
    "connection",
}
"""Not on the wire at all (the others carry the engine's own values)."""


# ------------------------------------------------------------------ a raw receiver
@dataclass(frozen=True)
class RawRequest:
    """One request as its bytes arrived: the head, the body as the head frames it, and
    whatever else the client sent on that connection before closing it."""

    head: bytes
    body: bytes
    after: bytes

    @property
    def fields(self) -> list[tuple[str, str]]:
        """Every header line in order, names lower-cased, duplicates kept."""
        lines = self.head.decode("latin-1").split("\r\n")[1:]
        found = []
        for line in lines:
            if line:
                name, _, value = line.partition(":")
                found.append((name.strip().lower(), value.strip()))
        return found

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.fields if key == name]


class RawReceiver:
    """A bare asyncio TLS server (``webhook.pem``) on its own loop and thread: it reads
    each request by its own framing, answers 200 with ``Connection: close`` and then
    reads on until the client closes, so bytes sent beyond the framed body show up in
    ``after``."""

    ANSWER = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
        b"Connection: close\r\n\r\n{}"
    )

    def __init__(self, certs: CertStore) -> None:
        self._ssl = certs.webhook_server_context()
        self._cond = threading.Condition()
        self._requests: list[RawRequest] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0

    def __enter__(self) -> RawReceiver:
        self._thread.start()
        self._server = self._run(
            asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self._ssl, limit=1 << 20)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        server = self._server
        if server is not None:
            server.close()
            self._run(server.wait_closed())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[RawRequest]:
        return self.wait_until(lambda requests: len(requests) >= count, timeout)

    def wait_until(
        self, done: Callable[[list[RawRequest]], bool], timeout: float = 10.0
    ) -> list[RawRequest]:
        """The requests received once ``done`` holds for them (each is recorded when the
        client has closed its connection, which may follow the sender's idle moment)."""
        with self._cond:
            if not self._cond.wait_for(lambda: done(self._requests), timeout):
                raise AssertionError(f"requests not as expected: {self._requests}")
            return list(self._requests)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = body = after = b""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request = RawRequest(head, b"", b"")
            if request.values("transfer-encoding"):
                body = await self._chunked(reader)
            else:
                length = request.values("content-length")
                body = await reader.readexactly(int(length[0]) if length else 0)
            writer.write(self.ANSWER)
            await writer.drain()
            async with asyncio.timeout(10):  # a safety net: the client closes at once
                while chunk := await reader.read(65536):
                    after += chunk
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError, ValueError, TimeoutError):
            pass
        finally:
            with self._cond:
                self._requests.append(RawRequest(head, body, after))
                self._cond.notify_all()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    @staticmethod
    async def _chunked(reader: asyncio.StreamReader) -> bytes:
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            body += (await reader.readexactly(size + 2))[:-2]
        while await reader.readuntil(b"\r\n") != b"\r\n":
            pass  # trailer fields
        return body


@pytest.fixture
def raw(ccsim_certs: Path) -> Iterator[RawReceiver]:
    with RawReceiver(CertStore(ccsim_certs)) as receiver:
        yield receiver


# ------------------------------------------------------------------ helpers
def control(api: ApiClient, method: str, path: str, body: Any = None, **params: Any) -> Any:
    response = api.raw(method, CONTROL + path, json=body, params=params or None)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def user_call(api: ApiClient, method: str, path: str, body: Any = None) -> Any:
    return api.raw(
        method, API + path, params={"client_id": "demo-client"}, headers=api.headers(), json=body
    )


def callback_body(target: str, attributes: list[dict[str, str]], **webhook: Any) -> Any:
    return {
        "label": "framing",
        "type": ["Remote", "Monitor"],
        "callback": {
            "webhook": {"target": target, "name": "w", "attributes": attributes, **webhook}
        },
    }


def create_callback(api: ApiClient, target: str, *attributes: dict[str, str], **extra: Any) -> str:
    answer = user_call(
        api, "POST", "/user/callbacks", callback_body(target, [*attributes], **extra)
    )
    assert answer.status_code == 200, answer.text
    cbid: str = answer.json()["callbackId"]
    return cbid


def refused(answer: Any, field: str, key: str) -> None:
    assert answer.status_code == 400, (key, answer.text)
    error = answer.json()
    assert error["code"] == 40001, error
    assert error["debug"] == field, error
    assert error["message"].startswith(field) and key in error["message"], error


def header(key: str, value: str = "x") -> dict[str, str]:
    return {"type": "Header", "key": key, "value": value}


def wait_idle(api: ApiClient, timeout: float = 10.0) -> None:
    """Every event raised so far has had its attempt (no lane queued or in flight)."""
    api.server.wait_idle(timeout)
    assert not control(api, "GET", "/deliveries/pending")["lanes"], "deliveries still pending"


def outcomes(api: ApiClient) -> list[tuple[str, str]]:
    found = control(api, "GET", "/deliveries")["deliveries"]
    return [(d["eventId"], d["outcome"]) for d in found]


def raise_events(api: ApiClient, count: int = 1, **extra: Any) -> list[str]:
    body = {"vin": VIN, "remoteEvent": DOORS_DONE, "count": count, **extra}
    ids: list[str] = control(api, "POST", "/notifications", body)["eventIds"]
    return ids


def check_framed(request: RawRequest, port: int) -> list[Any]:
    """The request is framed by the engine alone; returns its messages."""
    assert request.after == b"", request
    assert request.values("content-length") == [str(len(request.body))], request.head
    assert request.values("content-type") == ["application/json"], request.head
    assert request.values("host") == [f"localhost:{port}"], request.head
    assert request.values("transfer-encoding") == [], request.head
    for name in DROPPED:
        assert request.values(name) == [], (name, request.head)
    assert all("upgrade" not in v.lower() for v in request.values("connection")), request.head
    assert b"evil.example" not in request.head
    assert request.values("x-api-key") == ["k-123"], request.head
    return messages_of(request)


def messages_of(request: RawRequest) -> list[Any]:
    body = json.loads(request.body) if request.body else []
    return body if isinstance(body, list) else [body]


def vehicle_id(api: ApiClient) -> str:
    return api.vehicle_ids()[0]


MONITOR = {
    "label": "doors",
    "triggerParam": {
        "triggers": [
            {"name": "d", "data": {"data": "vehicle.doorsState.opening", "op": "onChange"}}
        ],
        "boolExp": "d",
    },
}


# ------------------------------------------------------------------ the rule
def test_the_rule_is_case_insensitive_and_spares_other_headers() -> None:
    assert all(owned_header(key) for key in OWNED_KEYS)
    for key in ("X-Api-Key", "Authorization", "X-Host", "Hostname", "Content-Language",
                "X-Proxy-Id", "Proxy", "Trailers", "X-Content-Length", "User-Agent"):  # fmt: skip
        assert not owned_header(key), key


# ------------------------------------------------------------------ refused at every entry point
@pytest.mark.parametrize("key", OWNED_KEYS)
def test_callbacks_refuse_owned_headers(api: ApiClient, key: str) -> None:
    target = "https://hooks.example.com/in"
    answer = user_call(api, "POST", "/user/callbacks", callback_body(target, [header(key, "0")]))
    refused(answer, "callback.webhook.attributes.0.key", key)
    body = callback_body(target, [ALLOWED, header(key, "0")])
    refused(
        user_call(api, "POST", "/user/callbacks", body), "callback.webhook.attributes.1.key", key
    )
    cbid = create_callback(api, target, ALLOWED)
    refused(user_call(api, "PUT", f"/user/callbacks/{cbid}", body),
            "callback.webhook.attributes.1.key", key)  # fmt: skip
    stored = user_call(api, "GET", f"/user/callbacks/{cbid}").json()
    assert stored["subscribe"]["callback"]["webhook"]["attributes"] == [ALLOWED]


def test_remotes_refuse_owned_headers(api: ApiClient) -> None:
    cbid = create_callback(api, "https://hooks.example.com/in")
    path = f"/user/vehicles/{vehicle_id(api)}/callbacks/{cbid}/remotes"
    for key in OWNED_KEYS:
        webhook = {"webhook": [ALLOWED, header(key)]}
        answer = user_call(api, "POST", path, {"horn": {"state": "Activated"},
                                               "callbackAttributes": webhook})  # fmt: skip
        refused(answer, "callbackAttributes.webhook.1.key", key)
        answer = user_call(api, "POST", path, {"horn": {"state": "Activated"},
                                               "attributes": [header(key)]})  # fmt: skip
        refused(answer, "attributes.0.key", key)
    assert user_call(api, "GET", path).json()["total"] == 0


def test_monitors_refuse_owned_headers_in_both_forms(api: ApiClient) -> None:
    vid = vehicle_id(api)
    cbid = create_callback(api, "https://hooks.example.com/in")
    current = f"/user/vehicles/{vid}/callbacks/{cbid}/monitors"
    older = f"/user/vehicles/{vid}/monitors"
    for key in OWNED_KEYS:
        hook = {"target": "https://hooks.example.com/old", "name": "o",
                "attributes": [ALLOWED, header(key)]}  # fmt: skip
        answer = user_call(api, "POST", older, {**MONITOR, "subscribeParam": {"callback": hook}})
        refused(answer, "subscribeParam.callback.attributes.1.key", key)
        params = {"callbackAttributes": {"webhook": [header(key)]}}
        answer = user_call(api, "POST", current, {**MONITOR, "subscribeParam": params})
        refused(answer, "subscribeParam.callbackAttributes.webhook.0.key", key)
        answer = user_call(api, "POST", current, {**MONITOR, "attributes": [header(key)]})
        refused(answer, "attributes.0.key", key)
        answer = user_call(api, "POST", older, {**MONITOR, "attributes": [header(key)]})
        assert answer.status_code == 400 and answer.json()["debug"] == "attributes.0.key"


def test_control_api_refuses_owned_headers(api: ApiClient) -> None:
    cbid = create_callback(api, "https://hooks.example.com/in")
    for key in OWNED_KEYS:
        answer = api.raw("POST", CONTROL + "/notifications", json={
            "callbackId": cbid, "vin": VIN, "remoteEvent": DOORS_DONE,
            "attributes": {"webhook": [ALLOWED, header(key)]},
        })  # fmt: skip
        refused(answer, "attributes.webhook.1.key", key)
        answer = api.raw("POST", CONTROL + "/notifications", json={
            "vin": VIN, "remoteEvent": DOORS_DONE,
            "webhook": {"target": "https://hooks.example.com/old", "name": "o",
                        "attributes": [header(key)]},
        })  # fmt: skip
        refused(answer, "webhook.attributes.0.key", key)
    assert control(api, "GET", "/deliveries")["deliveries"] == []


def test_only_webhook_headers_are_ruled(api: ApiClient, ccsim_webhook: WebhookReceiver) -> None:
    """``Content-Length`` is a fine query parameter, body member or push data key."""
    attributes = [
        ALLOWED,
        {"type": "Header", "key": "Authorization", "value": "Bearer s3cret"},
        {"type": "Query", "key": "Content-Length", "value": "q"},
        {"type": "Body", "key": "Host", "value": "$vin"},
    ]
    body = callback_body(ccsim_webhook.url + "/in", attributes)
    body["callback"]["pushnotif"] = {"devices": ["phone-1"], "attributes": [header("Host", "h")]}
    answer = user_call(api, "POST", "/user/callbacks", body)
    assert answer.status_code == 200, answer.text
    (event_id,) = raise_events(api, callbackId=answer.json()["callbackId"])
    (request,) = ccsim_webhook.wait_for(1)
    assert request.headers["x-api-key"] == "k-123"
    assert request.headers["authorization"] == "Bearer s3cret"
    assert request.headers["content-type"] == "application/json"
    assert request.query == [("Content-Length", "q")]
    assert request.json()["attributes"] == [{"key": "Host", "value": VIN}]
    assert request.json()["eventId"] == event_id
    (push,) = control(api, "GET", "/push/phone-1")["messages"]
    assert push["data"]["Host"] == "h"


# ------------------------------------------------------------------ the engine is immune
def _poison(cbid: str) -> Callable[[Simulator], None]:
    """Bypass validation, as a store written before the rule would."""

    def apply(sim: Simulator) -> None:
        callback = sim.callbacks.find(cbid)
        assert callback is not None
        callback.subscription["callback"]["webhook"]["attributes"].extend(FRAMING_ATTRIBUTES)

    return apply


@pytest.mark.parametrize("batch", [None, {"enabled": True, "size": 10}], ids=["single", "batch"])
def test_a_stored_callback_with_framing_headers_still_delivers_whole_bodies(
    api: ApiClient, ccsim: ThreadedSimulator, raw: RawReceiver, batch: Any
) -> None:
    extra = {"batch": batch} if batch else {}
    cbid = create_callback(api, raw.url + "/in", ALLOWED, **extra)
    ccsim.call(_poison(cbid))
    ids = raise_events(api, 3, callbackId=cbid)
    wait_idle(api)
    # A batch holds what was queued when it left: 3 events may come in 1 to 3 requests.
    requests = raw.wait_until(lambda got: sum(len(messages_of(r)) for r in got) >= 3)
    messages = [m for r in requests for m in check_framed(r, raw.port)]
    assert [m["eventId"] for m in messages] == ids
    assert all(r.head.startswith(b"POST /in HTTP/1.1\r\n") for r in requests)
    assert sorted(outcomes(api)) == sorted((i, "delivered") for i in ids)


def test_overrides_and_older_form_webhooks_are_filtered_too(
    api: ApiClient, ccsim: ThreadedSimulator, raw: RawReceiver
) -> None:
    cbid = create_callback(api, raw.url + "/cb", ALLOWED)

    def publish(sim: Simulator) -> list[str]:
        base = {"type": "Remote", "user_id": "demo@example.com", "client_id": "demo-client",
                "vin": VIN, "raised_at": sim.clock.time(), "event": DOORS_DONE}  # fmt: skip
        notes = [
            Notification(**base, callback_id=cbid,  # type: ignore[arg-type]
                         overrides={"webhook": list(FRAMING_ATTRIBUTES)},
                         event_id=sim.ids.event()),
            Notification(**base, inline=InlineWebhook(  # type: ignore[arg-type]
                raw.url + "/old", "o", (ALLOWED, *FRAMING_ATTRIBUTES)),
                event_id=sim.ids.event()),
        ]  # fmt: skip
        for note in notes:
            sim.bus.publish(note)
        return [note.event_id for note in notes]

    ids = ccsim.call(publish)
    wait_idle(api)
    requests = raw.wait_for(2)
    got = {r.head.split(b" ")[1]: check_framed(r, raw.port) for r in requests}
    assert [m["eventId"] for m in got[b"/cb"]] == ids[:1]
    assert [m["eventId"] for m in got[b"/old"]] == ids[1:]
    assert sorted(outcomes(api)) == sorted((i, "delivered") for i in ids)


def _rewrite(db_file: Path, table: str, row_id: str, change: Callable[[Any], None]) -> None:
    db = sqlite3.connect(db_file)
    try:
        with db:
            query = f"SELECT record FROM {table} WHERE id = ?"
            (record,) = db.execute(query, (row_id,)).fetchone()
            stored = json.loads(record)
            change(stored)
            db.execute(f"UPDATE {table} SET record = ? WHERE id = ?", (json.dumps(stored), row_id))
    finally:
        db.close()


def test_an_old_data_dir_is_read_back_and_delivered_whole(
    ccsim_certs: Path, tmp_path: Path, raw: RawReceiver
) -> None:
    """A callback and an older-form monitor written before the rule, read back at start
    from ``--data-dir``: they still work, without the headers the HTTP layer owns."""
    with ThreadedSimulator(ccsim_certs, manual_clock=True, data_dir=tmp_path) as first:
        api = ApiClient(first)
        cbid = create_callback(api, raw.url + "/kept", ALLOWED)
        vid = vehicle_id(api)
        hook = {"target": raw.url + "/old", "name": "o", "attributes": [ALLOWED]}
        answer = user_call(api, "POST", f"/user/vehicles/{vid}/monitors",
                           {**MONITOR, "subscribeParam": {"callback": hook}})  # fmt: skip
        assert answer.status_code == 202, answer.text
        mid = answer.json()["monitorId"]
        api.session.close()
    _rewrite(tmp_path / "callbacks.sqlite3", "callbacks", cbid, lambda r: r["subscription"][
        "callback"]["webhook"]["attributes"].extend(FRAMING_ATTRIBUTES))  # fmt: skip
    _rewrite(tmp_path / "monitors.sqlite3", "monitors", mid, lambda r: r["monitor"][
        "subscribeParam"]["callback"]["attributes"].extend(FRAMING_ATTRIBUTES))  # fmt: skip

    with ThreadedSimulator(ccsim_certs, manual_clock=True, data_dir=tmp_path) as second:
        api = ApiClient(second)
        served = user_call(api, "GET", f"/user/callbacks/{cbid}")
        assert served.status_code == 200, served.text
        assert served.json()["subscribe"]["callback"]["webhook"]["attributes"] == [ALLOWED]
        monitor = user_call(api, "GET", f"/user/vehicles/{vid}/monitors/{mid}")
        assert monitor.status_code == 200, monitor.text
        assert monitor.json()["monitor"]["subscribeParam"]["callback"]["attributes"] == [ALLOWED]
        ids = raise_events(api, 2, callbackId=cbid)
        control(api, "PATCH", f"/vehicles/{vid}/state", {"openDoors": ["Driver"]})
        wait_idle(api)
        requests = raw.wait_for(3)
        got: dict[bytes, list[Any]] = {}
        for request in requests:
            got.setdefault(request.head.split(b" ")[1], []).extend(check_framed(request, raw.port))
        assert [m["eventId"] for m in got[b"/kept"]] == ids
        assert [m["monitorEvent"]["monitorId"] for m in got[b"/old"]] == [mid]
        assert {outcome for _, outcome in outcomes(api)} == {"delivered"}
        api.session.close()
