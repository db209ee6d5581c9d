"""A batched lane makes the next batch's messages while one is in flight, and journals
the batch before while the next is on its way: what targets receive, the journal and its
order must be exactly what sending each batch from scratch gives, even when the callback
is replaced between the making and the sending."""

from __future__ import annotations

import json
from typing import Any

from conftest import API, ApiClient
from test_delivery import create_callback, journal, raise_events, settle, webhook

from simulator.testing.receiver import WebhookReceiver

BODY_CAR = {"type": "Body", "key": "car", "value": "$vin"}
BODY_LABEL = {"type": "Body", "key": "app", "value": "$callbackLabel"}


def _replace(api: ApiClient, cbid: str, hook: WebhookReceiver, label: str) -> None:
    webhook_ = webhook(hook, batch={"enabled": True, "size": 10}, attributes=[BODY_LABEL])
    body = {"label": label, "type": ["Remote"], "callback": {"webhook": webhook_}}
    answer = api.raw("PUT", f"{API}/user/callbacks/{cbid}", params={"client_id": "demo-client"},
                     headers=api.headers(), json=body)  # fmt: skip
    assert answer.status_code == 202, answer.text


def test_messages_made_ahead_follow_a_replaced_callback(
    api: ApiClient, ccsim_webhook: WebhookReceiver
) -> None:
    hook = ccsim_webhook
    cbid = create_callback(
        api, webhook=webhook(hook, batch={"enabled": True, "size": 10}, attributes=[BODY_CAR])
    )
    hook.set_delay(0.4)
    ids = raise_events(api, 1)
    hook.wait_received(1)  # the first POST (one event) is in flight
    ids += raise_events(api, 60)  # batches of ten: the next made while one is in flight
    hook.wait_received(3)  # the third is in flight: the fourth's messages are made
    _replace(api, cbid, hook, "renamed")
    hook.set_delay(0)
    messages = hook.wait_for_messages(61, timeout=30)
    settle(api)
    assert [m["eventId"] for m in messages] == ids  # each once, in order
    requests = hook.accepted()
    sizes = [len(r.messages()) for r in requests]
    assert sizes[:3] == [1, 10, 10] and sum(sizes) == 61
    sent_before = sum(sizes[:3])
    old: list[Any] = [{"key": "car", "value": "VR3UHZKXZLT000001"}]
    assert all(m["attributes"] == old for m in messages[:sent_before])
    # made ahead with the old definition, sent after the replacement: made again
    assert all(m["attributes"] == [{"key": "app", "value": "renamed"}]
               for m in messages[sent_before:])  # fmt: skip
    # the journal: one delivered record per event, in the order delivered
    records = [r for r in journal(api, outcome="delivered") if r["eventId"] in set(ids)]
    assert [r["eventId"] for r in records] == ids
    assert [r["batchSize"] for r in records] == [s for s in sizes for _ in range(s)]
    seqs = [r["seq"] for r in records]
    assert seqs == sorted(seqs)


def test_a_batch_body_made_of_texts_made_ahead_is_the_same_json(
    api: ApiClient, ccsim_webhook: WebhookReceiver
) -> None:
    """Bodies joined from messages encoded ahead are byte for byte what encoding the
    whole array gives (compact JSON)."""
    hook = ccsim_webhook
    create_callback(
        api, webhook=webhook(hook, batch={"enabled": True, "size": 10}, attributes=[BODY_CAR])
    )
    hook.set_delay(0.2)
    raise_events(api, 1)
    hook.wait_received(1)
    raise_events(api, 40)
    hook.set_delay(0)
    hook.wait_for_messages(41, timeout=30)
    for request in hook.accepted():
        assert request.body == json.dumps(request.json(), separators=(",", ":")).encode()
