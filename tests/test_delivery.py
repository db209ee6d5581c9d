"""The delivery engine end to end: real simulator over mTLS, real HTTPS and WebSocket
receivers, the manual clock driving retries.  Every event must end delivered or
dead-lettered, and the journal must account for each attempt."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import API, ApiClient
from reference import reference_available, validate_webhook_schema

from simulator.delivery.message import Message
from simulator.events import Notification
from simulator.testing import ThreadedSimulator
from simulator.testing.receiver import WebhookReceiver, WebSocketReceiver
from simulator.tls import CertStore

CONTROL = "/simulator/v1"
VIN = "VR3UHZKXZLT000001"
OTHER_VIN = "VR3UHZKXZLT000002"
DOORS_DONE = {
    "remoteActionId": "ra-1",
    "remoteType": "Doors",
    "eventStatus": {"type": "Done", "status": "Success"},
}


# ------------------------------------------------------------------ helpers
@pytest.fixture
def hook(ccsim_webhook: WebhookReceiver) -> WebhookReceiver:
    """The plugin's session receiver, emptied and answering 200 again."""
    return ccsim_webhook


@pytest.fixture(autouse=True)
def _short_timeout(api: ApiClient) -> None:
    control(api, "PUT", "/deliveries/config", {"timeoutSeconds": 2})


def control(api: ApiClient, method: str, path: str, body: Any = None, **params: Any) -> Any:
    response = api.raw(method, CONTROL + path, json=body, params=params or None)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def create_callback(api: ApiClient, **channels: Any) -> str:
    body = {"label": "deliveries", "type": ["Remote", "Monitor"], "callback": channels}
    response = api.raw(
        "POST",
        API + "/user/callbacks",
        params={"client_id": "demo-client"},
        headers=api.headers(),
        json=body,
    )
    assert response.status_code == 200, response.text
    cbid: str = response.json()["callbackId"]
    return cbid


def webhook(receiver: WebhookReceiver, path: str = "/in", **extra: Any) -> dict[str, Any]:
    return {"target": receiver.url + path, "name": "receiver", **extra}


def latest_callback(api: ApiClient) -> str:
    listed = api.get("/user/callbacks").json()["_embedded"]["callbacks"]
    cbid: str = listed[-1]["id"]
    return cbid


def raise_events(api: ApiClient, count: int = 1, vin: str = VIN, **extra: Any) -> list[str]:
    """Raise ``count`` events to the user's newest callback (or as ``extra`` says)."""
    if "webhook" not in extra:
        extra.setdefault("callbackId", latest_callback(api))
    body = {"vin": vin, "remoteEvent": DOORS_DONE, "count": count, **extra}
    ids: list[str] = control(api, "POST", "/notifications", body)["eventIds"]
    return ids


def journal(api: ApiClient, **filters: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = control(api, "GET", "/deliveries", **filters)["deliveries"]
    return found


def advance(api: ApiClient, seconds: float) -> None:
    """Move the virtual clock, then wait until the simulator is idle (no send in flight):
    what has not happened by then waits for the clock."""
    api.server.advance(seconds)


def settle(api: ApiClient) -> None:
    """Wait until the simulator is idle: every send due now has been made."""
    api.server.wait_idle()


def wait_outcomes(api: ApiClient, outcome: str, count: int, **filters: str) -> list[Any]:
    """Once the simulator is idle, the journal holds at least ``count`` such records."""
    settle(api)
    found: list[Any] = journal(api, outcome=outcome, **filters)
    assert len(found) >= count, f"{count} {outcome} records wanted, have {found}"
    return found


def ids_of(messages: list[Any]) -> list[str]:
    return [m["eventId"] for m in messages]


# ------------------------------------------------------------------ format and attributes
def test_single_message_with_header_query_and_body_attributes(
    api: ApiClient, hook: WebhookReceiver
) -> None:
    attributes = [
        {"type": "Header", "key": "Authorization", "value": "Bearer s3cret"},
        {"type": "Header", "key": "X-Vehicle", "value": "$Vin"},
        {"type": "Query", "key": "vin", "value": "$vin"},
        {"type": "Query", "key": "tenant", "value": "acme"},
        {"type": "Body", "key": "label", "value": "$CallbackLabel"},
        {"type": "Body", "key": "action", "value": "$RemoteType"},
    ]
    cbid = create_callback(api, webhook=webhook(hook, attributes=attributes))
    (event_id,) = raise_events(api, variables={"RemoteType": "Doors"})
    (request,) = hook.wait_for(1)
    assert request.method == "POST"
    assert request.path == "/in"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "Bearer s3cret"
    assert request.headers["x-vehicle"] == VIN
    assert request.query == [("vin", VIN), ("tenant", "acme")]
    message = request.json()
    assert isinstance(message, dict)  # not batched: one object per POST
    assert message["callbackId"] == cbid
    assert message["type"] == "Remote"
    assert message["eventId"] == event_id
    assert message["vin"] == VIN
    assert message["remoteEvent"] == DOORS_DONE
    assert message["attributes"] == [
        {"key": "label", "value": "deliveries"},
        {"key": "action", "value": "Doors"},
    ]
    Message.model_validate(message)
    (record,) = wait_outcomes(api, "delivered", 1)
    assert record["eventId"] == event_id
    assert record["attempt"] == 1
    assert record["httpStatus"] == 200
    assert record["target"] == hook.url + "/in"
    assert record["latencyMs"] >= 0


@pytest.mark.skipif(not reference_available(), reason="reference not present (CI only)")
def test_message_matches_the_official_template(api: ApiClient, hook: WebhookReceiver) -> None:
    create_callback(api, webhook=webhook(hook, attributes=[]))
    raise_events(api)
    monitor_event = {"monitorId": "m-1", "values": [], "extensions": [], "refresh": False}
    raise_events(api, type="Monitor", remoteEvent=None, monitorEvent=monitor_event)
    for message in hook.wait_for_messages(2):
        validate_webhook_schema("Message", message)


def test_remote_overrides_replace_callback_attributes_by_key(
    api: ApiClient, hook: WebhookReceiver
) -> None:
    attributes = [
        {"type": "Header", "key": "X-Tenant", "value": "acme"},
        {"type": "Body", "key": "keep", "value": "1"},
    ]
    create_callback(api, webhook=webhook(hook, attributes=attributes))
    overrides = {
        "webhook": [
            {"type": "Header", "key": "X-Tenant", "value": "other"},
            {"type": "Body", "key": "status", "value": "$RemoteStatus"},
        ]
    }
    raise_events(api, attributes=overrides, variables={"remotestatus": "Success"})
    (request,) = hook.wait_for(1)
    assert request.headers["x-tenant"] == "other"
    assert request.json()["attributes"] == [
        {"key": "keep", "value": "1"},
        {"key": "status", "value": "Success"},
    ]


def test_batched_posts_fill_up_while_the_receiver_is_slow(
    api: ApiClient, hook: WebhookReceiver
) -> None:
    attributes = [
        {"type": "Header", "key": "Authorization", "value": "Bearer literal"},
        {"type": "Header", "key": "X-Vehicle", "value": "$vin"},
        {"type": "Body", "key": "car", "value": "$vin"},
    ]
    create_callback(
        api, webhook=webhook(hook, batch={"enabled": True, "size": 10}, attributes=attributes)
    )
    hook.set_delay(0.3)
    ids = raise_events(api, 1)
    assert len(hook.wait_received(1)) == 1  # the first POST is in flight
    ids += raise_events(api, 24)  # they pile up while the first POST is in flight
    messages = hook.wait_for_messages(25, timeout=20)
    requests_ = hook.accepted()
    sizes = [len(r.messages()) for r in requests_]
    assert all(isinstance(r.json(), list) for r in requests_)  # batched: always an array
    assert sizes[0] == 1
    assert max(sizes) == 10
    assert sum(sizes) == 25
    assert ids_of(messages) == ids  # in order
    for request in requests_:
        assert request.headers["authorization"] == "Bearer literal"
        assert "x-vehicle" not in request.headers  # per-event headers are not sent batched
    assert all(m["attributes"] == [{"key": "car", "value": VIN}] for m in messages)
    records = wait_outcomes(api, "delivered", 25)
    assert max(r["batchSize"] for r in records) == 10


def test_a_vin_query_attribute_disables_batching(api: ApiClient, hook: WebhookReceiver) -> None:
    create_callback(
        api,
        webhook=webhook(
            hook,
            batch={"enabled": True, "size": 50},
            attributes=[{"type": "Query", "key": "vin", "value": "$vin"}],
        ),
    )
    hook.set_delay(0.1)
    raise_events(api, 3, vin=VIN)
    raise_events(api, 2, vin=OTHER_VIN)
    hook.wait_for(5)
    assert [r.param("vin") for r in hook.accepted()] == [VIN] * 3 + [OTHER_VIN] * 2
    assert all(isinstance(r.json(), dict) for r in hook.accepted())


# ------------------------------------------------------------------ failures and retries
def test_500_then_200_is_retried_after_ten_seconds(api: ApiClient, hook: WebhookReceiver) -> None:
    create_callback(api, webhook=webhook(hook))
    hook.respond_with(500)
    (event_id,) = raise_events(api)
    (failed,) = wait_outcomes(api, "failed", 1)
    assert failed["httpStatus"] == 500
    assert failed["attempt"] == 1
    assert failed["error"] == "HTTP 500"
    advance(api, 9)
    assert hook.accepted() == []  # not before 10 s
    advance(api, 1)
    hook.wait_for(1)
    assert [r.json()["eventId"] for r in hook.received] == [event_id, event_id]  # same id
    (delivered,) = wait_outcomes(api, "delivered", 1)
    assert delivered["attempt"] == 2


def test_closed_connection_is_a_failed_attempt(api: ApiClient, hook: WebhookReceiver) -> None:
    create_callback(api, webhook=webhook(hook))
    hook.drop_next(1)
    raise_events(api)
    (failed,) = wait_outcomes(api, "failed", 1)
    assert failed["error"].startswith("connection error")
    advance(api, 10)
    hook.wait_for(1)
    wait_outcomes(api, "delivered", 1)


def test_an_answer_after_the_timeout_is_a_failed_attempt(
    api: ApiClient, hook: WebhookReceiver
) -> None:
    control(api, "PUT", "/deliveries/config", {"timeoutSeconds": 0.3})
    create_callback(api, webhook=webhook(hook))
    hook.set_delay(1.0)
    raise_events(api)
    (failed,) = wait_outcomes(api, "failed", 1)
    assert failed["error"] == "no answer within 0.3 s"
    hook.set_delay(0)
    advance(api, 10)
    (delivered,) = wait_outcomes(api, "delivered", 1)
    assert delivered["attempt"] == 2


def test_target_down_then_back_delivers_every_event_in_order(
    api: ApiClient, hook: WebhookReceiver
) -> None:
    create_callback(api, webhook=webhook(hook))
    hook.go_down()
    ids = raise_events(api, 5)
    wait_outcomes(api, "failed", 1)
    for n in range(2, 5):  # still down: each retry fails again
        advance(api, 10)
        wait_outcomes(api, "failed", n)
    assert all(r["eventId"] == ids[0] for r in journal(api, outcome="failed"))  # head only
    hook.come_up()
    advance(api, 10)
    assert ids_of(hook.wait_for_messages(5)) == ids
    assert journal(api, outcome="dead-lettered") == []


def test_a_failing_vehicle_does_not_hold_back_other_vehicles(
    api: ApiClient, hook: WebhookReceiver
) -> None:
    create_callback(api, webhook=webhook(hook))
    hook.respond_with(500)
    (first,) = raise_events(api, vin=VIN)
    wait_outcomes(api, "failed", 1)
    later = raise_events(api, vin=VIN)
    (other,) = raise_events(api, vin=OTHER_VIN)
    assert ids_of(hook.wait_for_messages(1)) == [other]  # no clock step needed
    advance(api, 10)
    assert ids_of(hook.wait_for_messages(3)) == [other, first, *later]


def test_untrusted_certificate_fails_and_webhook_ca_trusts_it(
    api: ApiClient, tmp_path: Path, ccsim_certs: Path
) -> None:
    foreign = CertStore(tmp_path / "foreign")
    foreign.ensure()
    with WebhookReceiver(foreign) as stranger:
        create_callback(api, webhook=webhook(stranger))
        raise_events(api)
        (failed,) = wait_outcomes(api, "failed", 1)
        assert failed["error"].startswith("untrusted certificate")
        assert stranger.accepted() == []
        with ThreadedSimulator(
            ccsim_certs, manual_clock=True, webhook_cas=(foreign.ca,)
        ) as trusting:
            other = ApiClient(trusting)
            create_callback(other, webhook=webhook(stranger))
            raise_events(other)
            stranger.wait_for(1)


def _inline(hook: WebhookReceiver, **extra: Any) -> dict[str, Any]:
    return {
        "webhook": {"target": hook.url + "/monitor", "name": "old-form"},
        "type": "Monitor",
        "remoteEvent": None,
        "monitorEvent": {"monitorId": "m-1", "refresh": False},
        **extra,
    }


@pytest.mark.parametrize(
    ("policy", "attempts"),
    [
        ({"policy": "None", "retryDelay": 5}, 2),
        ({"policy": "Bounded", "maxRetryNumber": 3, "retryDelay": 5}, 4),
    ],
)
def test_monitor_retry_policies_end_dead_lettered(
    api: ApiClient, hook: WebhookReceiver, policy: dict[str, Any], attempts: int
) -> None:
    hook.set_default(503)
    (event_id,) = raise_events(api, **_inline(hook, retryPolicy=policy))
    for n in range(1, attempts + 1):
        wait_outcomes(api, "failed", n)
        advance(api, 5)
    (dead,) = wait_outcomes(api, "dead-lettered", 1)
    assert dead["eventId"] == event_id
    assert dead["attempt"] == attempts
    advance(api, 60)
    assert len(hook.received) == attempts  # nothing more after the dead letter
    (letter,) = control(api, "GET", "/deliveries/dead-letters")["deadLetters"]
    assert letter["eventId"] == event_id and letter["attempts"] == attempts


def test_always_policy_retries_until_the_retention_then_dead_letters(
    api: ApiClient, hook: WebhookReceiver
) -> None:
    hook.set_default(500)
    raise_events(api, **_inline(hook, retryPolicy={"policy": "Always", "retryDelay": 60}))
    for n in range(1, 6):
        wait_outcomes(api, "failed", n)
        advance(api, 60)
    assert journal(api, outcome="dead-lettered") == []
    advance(api, 72 * 3600)
    wait_outcomes(api, "dead-lettered", 1)


def test_72_hours_of_refusals_dead_letter_and_fail_the_callback_then_replay(
    api: ApiClient, hook: WebhookReceiver
) -> None:
    cbid = create_callback(api, webhook=webhook(hook))
    hook.set_default(500)
    (event_id,) = raise_events(api)
    wait_outcomes(api, "failed", 1)
    advance(api, 72 * 3600)  # the next try comes after the retention: dead letter
    (dead,) = wait_outcomes(api, "dead-lettered", 1)
    assert "72 h" in dead["error"]
    api.token = api.server.token()["access_token"]  # the old one expired with the 72 h

    def status() -> str:
        answer = api.get(f"/user/callbacks/{cbid}").json()
        assert "status" in answer, answer
        return str(answer["status"])

    settle(api)
    assert status() == "Failed"
    hook.set_default(200)
    assert control(api, "POST", f"/deliveries/dead-letters/{event_id}/replay") == {"replayed": 1}
    assert ids_of(hook.wait_for_messages(1)) == [event_id]
    settle(api)
    assert status() == "Running"
    assert control(api, "GET", "/deliveries/dead-letters")["deadLetters"] == []


def test_batch_notify_waits_for_size_or_time_window(api: ApiClient, hook: WebhookReceiver) -> None:
    extra = _inline(hook, batchNotify={"size": 3, "timeWindow": 60})
    first = raise_events(api, 2, **extra)
    settle(api)
    assert hook.received == []
    first += raise_events(api, 1, **extra)
    (request,) = hook.wait_for(1)
    assert ids_of(request.messages()) == first
    (late,) = raise_events(api, 1, **extra)
    advance(api, 59)
    assert len(hook.received) == 1
    advance(api, 1)
    requests_ = hook.wait_for(2)
    assert requests_[1].json() == [requests_[1].messages()[0]]
    assert ids_of(requests_[1].messages()) == [late]


# ------------------------------------------------------------------ callback state
def test_paused_callback_keeps_events_until_resumed(api: ApiClient, hook: WebhookReceiver) -> None:
    cbid = create_callback(api, webhook=webhook(hook))
    path = f"{API}/user/callbacks/{cbid}/status"
    params = {"client_id": "demo-client"}
    paused = api.raw("PUT", path, params=params, headers=api.headers(), json={"status": "Paused"})
    assert paused.status_code == 202
    ids = raise_events(api, 3)
    settle(api)
    assert hook.received == []
    assert control(api, "GET", "/deliveries/pending")["total"] == 3
    api.raw("PUT", path, params=params, headers=api.headers(), json={"status": "Running"})
    assert ids_of(hook.wait_for_messages(3)) == ids


def test_deleting_a_callback_journals_its_queued_events_as_dropped(
    api: ApiClient, hook: WebhookReceiver
) -> None:
    cbid = create_callback(api, webhook=webhook(hook))
    hook.set_default(500)
    ids = raise_events(api, 2)
    wait_outcomes(api, "failed", 1)
    deleted = api.raw(
        "DELETE",
        f"{API}/user/callbacks/{cbid}",
        params={"client_id": "demo-client"},
        headers=api.headers(),
    )
    assert deleted.status_code == 204
    dropped = wait_outcomes(api, "dropped", 2)
    assert [r["eventId"] for r in dropped] == ids
    assert control(api, "GET", "/deliveries/pending")["total"] == 0


def test_an_event_for_another_users_callback_is_never_delivered(
    api: ApiClient, hook: WebhookReceiver, ccsim: ThreadedSimulator
) -> None:
    cbid = create_callback(api, webhook=webhook(hook))

    def publish(sim: Any) -> str:
        note = Notification(
            type="Remote",
            user_id="mallory@example.com",
            client_id="demo-client",
            vin=VIN,
            raised_at=sim.clock.time(),
            event=DOORS_DONE,
            callback_id=cbid,
            event_id=sim.ids.event(),
        )
        sim.bus.publish(note)
        return note.event_id

    event_id = ccsim.call(publish)
    (dropped,) = wait_outcomes(api, "dropped", 1)
    assert dropped["eventId"] == event_id
    settle(api)
    assert hook.received == []


def test_control_api_refuses_header_injection_in_overrides(api: ApiClient) -> None:
    cbid = create_callback(api, webhook={"target": "https://localhost:9/x", "name": "n"})
    response = api.raw(
        "POST",
        CONTROL + "/notifications",
        json={
            "callbackId": cbid,
            "vin": VIN,
            "remoteEvent": DOORS_DONE,
            "attributes": {
                "webhook": [{"type": "Header", "key": "X-A", "value": "a\r\nX-Injected: 1"}]
            },
        },
    )
    assert response.status_code == 400
    assert "attributes.webhook.0.value" in response.json()["debug"]


# ------------------------------------------------------------------ websocket and push
def test_websocket_frames_and_reconnection(
    api: ApiClient, ccsim_websocket: WebSocketReceiver
) -> None:
    ws = ccsim_websocket
    create_callback(
        api,
        websocket={
            "target": ws.url,
            "attributes": [{"type": "Body", "key": "car", "value": "$vin"}],
        },
    )
    ids = raise_events(api, 2)
    messages = ws.wait_for_messages(2)
    assert ids_of(messages) == ids
    assert messages[0]["attributes"] == [{"key": "car", "value": VIN}]
    ws.go_down()
    api.server.wait_websockets_closed()  # the simulator knows the target went down
    later = raise_events(api, 1)
    wait_outcomes(api, "failed", 1, channel="websocket")
    ws.come_up()
    for _ in range(5):
        advance(api, 10)
        if len(ws.messages()) >= 3:
            break
    assert ids_of(ws.wait_for_messages(3)) == ids + later
    assert ws.connections == 2
    delivered = journal(api, channel="websocket", outcome="delivered")
    assert [r["eventId"] for r in delivered] == ids + later


def test_push_outbox_holds_the_fcm_shape(api: ApiClient) -> None:
    create_callback(
        api,
        pushnotif={
            "devices": ["device-a", "device-b"],
            "attributes": [
                {"type": "Header", "key": "car", "value": "$vin"},
                {"type": "Header", "key": "title", "value": "Your car"},
            ],
        },
    )
    (event_id,) = raise_events(api, label="Lock doors")
    settle(api)
    (push,) = control(api, "GET", "/push/device-a")["messages"]
    assert push["name"] == "deliveries"
    assert push["token"] == "device-a"
    assert push["data"]["car"] == VIN
    assert push["notification"]["title"] == "Your car"
    assert push["notification"]["body"]
    message = json.loads(base64.b64decode(push["data"]["mph_message"]))
    assert message["eventId"] == event_id
    Message.model_validate(message)
    assert len(control(api, "GET", "/push/device-b")["messages"]) == 1
    records = wait_outcomes(api, "delivered", 1, channel="pushnotif")
    assert records[0]["target"] == "device-a,device-b"


def test_every_channel_of_a_callback_gets_the_event(
    api: ApiClient, hook: WebhookReceiver, ccsim_certs: Path
) -> None:
    with WebSocketReceiver(ccsim_certs) as ws:
        create_callback(
            api,
            webhook=webhook(hook),
            websocket={"target": ws.url},
            pushnotif={"devices": ["d-1"]},
        )
        (event_id,) = raise_events(api)
        assert ids_of(hook.wait_for_messages(1)) == [event_id]
        assert ids_of(ws.wait_for_messages(1)) == [event_id]
        records = wait_outcomes(api, "delivered", 3)
        assert sorted(r["channel"] for r in records) == ["pushnotif", "webhook", "websocket"]


def test_journal_filters_and_bad_filters(api: ApiClient, hook: WebhookReceiver) -> None:
    create_callback(api, webhook=webhook(hook))
    ids = raise_events(api, 2)
    hook.wait_for(2)
    wait_outcomes(api, "delivered", 2)
    assert [r["eventId"] for r in journal(api, eventId=ids[1])] == [ids[1]]
    bad = api.raw("GET", CONTROL + "/deliveries", params={"outcome": "lost"})
    assert bad.status_code == 400
    assert bad.json()["debug"] == "outcome"
    missing = api.raw("POST", CONTROL + "/deliveries/dead-letters/nope/replay")
    assert missing.status_code == 404


def test_raising_to_an_unknown_callback_is_404(api: ApiClient) -> None:
    response = api.raw(
        "POST", CONTROL + "/notifications", json={"callbackId": "nope", "vin": VIN,
                                                 "remoteEvent": DOORS_DONE}
    )  # fmt: skip
    assert response.status_code == 404


def test_a_slow_or_dead_target_does_not_delay_other_callbacks(
    api: ApiClient, hook: WebhookReceiver, ccsim_certs: Path
) -> None:
    with WebhookReceiver(ccsim_certs) as slow:
        slow.set_delay(1.5)
        slow_cb = create_callback(api, webhook=webhook(slow))
        fast_cb = create_callback(api, webhook=webhook(hook))
        raise_events(api, 3, callbackId=slow_cb)
        started = time.monotonic()
        (fast,) = raise_events(api, 1, callbackId=fast_cb)
        assert ids_of(hook.wait_for_messages(1)) == [fast]
        assert time.monotonic() - started < 1.0  # not behind the slow target's 4.5 s
        assert len(slow.accepted()) == 0
