"""``GET /simulator/v1/events``: the live event stream over the real mTLS listener, read
by a real HTTP client as server-sent events (order, filters, Last-Event-ID replay, gap,
no secret in any event) and in its JSON form."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from serving import mtls_session

from simulator.config import DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD
from simulator.testing import ThreadedSimulator
from simulator.testing.receiver import WebhookReceiver

EVENTS = "/simulator/v1/events"
LOCK = {"door": {"state": "Locked"}}
Event = dict[str, Any]


class Stream:
    """A real SSE client: a thread reads the response line by line into a queue."""

    def __init__(self, server: ThreadedSimulator, headers: dict[str, str] | None = None,
                 **params: str) -> None:  # fmt: skip
        self.session = mtls_session(server.certs.directory)
        self.response = self.session.get(
            server.url + EVENTS,
            params=params,
            headers={"Accept": "text/event-stream", **(headers or {})},
            stream=True,
            timeout=30,
        )
        assert self.response.status_code == 200, self.response.text
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.events: queue.Queue[Event] = queue.Queue()
        self.frames: list[dict[str, str]] = []
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        frame: dict[str, str] = {}
        try:
            for raw in self._lines():
                if raw == "":
                    if "data" in frame:
                        self.frames.append(frame)
                        data = json.loads(frame["data"])
                        assert data["kind"] == frame["event"]
                        if "id" in frame:
                            assert int(frame["id"]) == data["id"]
                        self.events.put(data)
                    frame = {}
                elif not raw.startswith(":"):
                    name, _, value = raw.partition(":")
                    frame[name] = value.removeprefix(" ")
        except Exception:  # the test closed the stream (any error of a shut socket)
            if not self.closed:
                raise

    def _lines(self) -> Iterator[str]:
        """The lines as they come: each chunk the server writes, at once (``iter_lines``
        waits for 512 bytes)."""
        pending = ""
        for chunk in self.response.raw.stream(None, decode_content=True):
            pending += chunk.decode()
            *lines, pending = pending.split("\n")
            yield from lines

    def until(self, wanted: Callable[[Event], bool], timeout: float = 10) -> list[Event]:
        """Every event read up to (and with) the first one ``wanted``."""
        seen: list[Event] = []
        while True:
            try:
                event = self.events.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"not seen; got {seen}") from None
            seen.append(event)
            if wanted(event):
                return seen

    def close(self) -> None:
        """Shut the socket first: the reader thread, blocked in a read until the next
        ``: ping`` (15 s), returns at once; then close (which waits for that read)."""
        self.closed = True
        connection = getattr(self.response.raw, "connection", None)
        sock = getattr(connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.response.close()
        self.session.close()


@pytest.fixture
def open_stream(ccsim: ThreadedSimulator) -> Iterator[Callable[..., Stream]]:
    streams: list[Stream] = []

    def opened(headers: dict[str, str] | None = None, **params: str) -> Stream:
        stream = Stream(ccsim, headers, **params)
        streams.append(stream)
        return stream

    yield opened
    for stream in streams:
        stream.close()


def _callback(ccsim: ThreadedSimulator, url: str, attrs: bool = False) -> str:
    webhook: dict[str, Any] = {"name": "app", "target": url}
    if attrs:
        webhook["attributes"] = [{"type": "Header", "key": "Authorization",
                                  "value": "Bearer hook-secret-0xC0FFEE"}]  # fmt: skip
    body = {"label": "app", "type": ["Remote", "Monitor"], "callback": {"webhook": webhook}}
    return str(ccsim.api.post("/user/callbacks", json=body)["callbackId"])


def _kind(kind: str, **fields: Any) -> Callable[[Event], bool]:
    return lambda e: e["kind"] == kind and all(e.get(k) == v for k, v in fields.items())


def test_a_remote_streams_its_steps_in_order_with_its_deliveries(
    ccsim: ThreadedSimulator, ccsim_webhook: WebhookReceiver, open_stream: Callable[..., Stream]
) -> None:
    stream = open_stream()
    car = ccsim.vehicles[0]
    cbid = _callback(ccsim, ccsim_webhook.url)
    remote = ccsim.api.post(f"/user/vehicles/{car.id}/callbacks/{cbid}/remotes", json=LOCK)
    rid = remote["remoteActionId"]
    ccsim.control.advance("PT2M")
    seen = stream.until(_kind("remote", remoteActionId=rid, status="Done"))
    steps = [e for e in seen if e["kind"] == "remote" and e["remoteActionId"] == rid]
    assert steps[0]["status"] == "Pending"
    assert steps[-1]["status"] == "Done"
    first = steps[0]
    assert first["vin"] == car.vin and first["vehicleId"] == car.id
    assert first["callbackId"] == cbid and first["type"] == "Doors"
    assert first["at"].endswith("Z") and first["eventId"]
    ids = [e["id"] for e in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    if not any(e["kind"] == "clock" and e["change"] == "advanced" for e in seen):
        seen += stream.until(_kind("clock", change="advanced"))
    clocks = [e for e in seen if e["kind"] == "clock"]
    assert clocks and clocks[-1]["change"] == "advanced" and clocks[-1]["seconds"] == 120
    assert {"now", "speed", "paused", "mode"} <= set(clocks[-1])
    # each step was delivered, and the stream says so after the step
    done = steps[-1]
    wanted = _kind("delivery", eventId=done["eventId"])
    delivered = next((e for e in seen if wanted(e)), None) or stream.until(wanted)[-1]
    assert delivered["outcome"] == "delivered" and delivered["httpStatus"] == 200
    assert delivered["channel"] == "webhook" and delivered["attempt"] == 1
    assert delivered["nextRetry"] is None and delivered["callbackId"] == cbid


def test_a_monitor_event_and_callback_changes(
    ccsim: ThreadedSimulator, ccsim_webhook: WebhookReceiver, open_stream: Callable[..., Stream]
) -> None:
    stream = open_stream(kinds="monitor,callback")
    car = ccsim.vehicles[1]
    cbid = _callback(ccsim, ccsim_webhook.url)
    created = stream.until(_kind("callback"))[-1]
    assert created["callbackId"] == cbid and created["change"] == "created"
    assert set(created) == {"id", "kind", "at", "callbackId", "change"}
    monitor = ccsim.api.post(
        f"/user/vehicles/{car.id}/callbacks/{cbid}/monitors",
        json={"label": "locks", "triggerParam": {"boolExp": "lock", "triggers": [
            {"name": "lock", "data": {"data": "vehicle.doorsState.lockedState",
                                      "op": "onChange"}}]}},
    )  # fmt: skip
    ccsim.control.set_state(car, lockedStates=["Unlocked"])
    ccsim.control.advance("PT1M")
    seen = stream.until(_kind("monitor", monitorId=monitor["monitorId"]))
    assert {e["kind"] for e in seen} <= {"monitor", "callback"}
    event = seen[-1]
    assert event["vin"] == car.vin and event["vehicleId"] == car.id
    assert event["label"] == "locks" and event["callbackId"] == cbid
    assert event["event"]["monitorId"] == monitor["monitorId"]


def test_a_failing_webhook_retries_then_dead_letters(
    ccsim: ThreadedSimulator, ccsim_webhook: WebhookReceiver, open_stream: Callable[..., Stream]
) -> None:
    stream = open_stream(kinds="delivery")
    ccsim_webhook.set_default(500)
    car = ccsim.vehicles[0]
    cbid = _callback(ccsim, ccsim_webhook.url + "?token=query-secret-42")
    ccsim.api.post(f"/user/vehicles/{car.id}/callbacks/{cbid}/remotes", json=LOCK)
    ccsim.control.advance("PT1S")
    failed = stream.until(_kind("delivery", outcome="failed"))[-1]
    assert failed["httpStatus"] == 500 and failed["attempt"] == 1
    assert failed["nextRetry"] is not None and failed["nextRetry"].endswith("Z")
    assert "query-secret-42" not in failed["target"] and "token=" in failed["target"]
    # the real rule retries every 10 s for 72 h (tests/test_delivery.py plays it whole);
    # here an event with the older form's short policy goes through the same steps (on
    # a callback of its own: a vehicle's events on one target keep their order)
    bounded = {"policy": "Bounded", "maxRetryNumber": 2, "retryDelay": 10}
    other = _callback(ccsim, ccsim_webhook.url + "/bounded")
    raised = ccsim.control.call("POST", "/notifications", json={
        "callbackId": other, "vin": ccsim.vehicles[1].vin, "type": "Remote", "retryPolicy": bounded,
        "remoteEvent": {"remoteActionId": "ra-stream", "remoteType": "Doors",
                        "eventStatus": {"type": "Done", "status": "Success"}},
    })  # fmt: skip
    (event_id,) = raised["eventIds"]
    ccsim.control.advance("PT1M")  # past both retries: dead-lettered
    seen = stream.until(_kind("delivery", eventId=event_id, outcome="deadLettered"))
    assert all(e["kind"] == "delivery" for e in seen)
    retries = [e for e in seen if e["outcome"] == "failed" and e["eventId"] == event_id]
    assert [e["attempt"] for e in retries] == [1, 2, 3]  # the first try, then 2 retries
    dead = seen[-1]
    ccsim_webhook.set_default(200)
    ccsim.control.call("POST", f"/deliveries/dead-letters/{dead['eventId']}/replay")
    replayed = stream.until(_kind("delivery", eventId=dead["eventId"], outcome="replayed"))
    assert replayed[-1]["channel"] == "webhook"


def test_clock_changes_and_filters(
    ccsim: ThreadedSimulator, open_stream: Callable[..., Stream]
) -> None:
    car = ccsim.vehicles[2]
    only_car = open_stream(kinds="sample", vin=car.vin)
    clock = open_stream(kinds="clock")
    ccsim.control.set_state(car, mileageKm=50000)
    ccsim.control.set_state(ccsim.vehicles[0], mileageKm=50001)
    ccsim.control.advance("PT5M")
    sample = only_car.until(_kind("sample"))[-1]
    assert sample["vin"] == car.vin and sample["vehicleId"] == car.id
    for key in ("cause", "latitude", "longitude", "heading", "speedKmh", "state",
                "energyLevel", "odometerKm"):  # fmt: skip
        assert key in sample
    assert sample["state"] in {"driving", "parked", "charging", "offline", "asleep", "stolen"}
    advanced = clock.until(_kind("clock", change="advanced"))[-1]
    assert advanced["seconds"] == 300
    ccsim.control.advance("PT1M")
    assert clock.until(_kind("clock"))[-1]["seconds"] == 60
    assert only_car.events.empty() or all(e["vin"] == car.vin for e in list(only_car.events.queue))


def test_unknown_kind_and_bad_last_event_id_are_400(ccsim: ThreadedSimulator) -> None:
    session = mtls_session(ccsim.certs.directory)
    with session:
        bad = session.get(ccsim.url + EVENTS, params={"kinds": "sample,nope"}, timeout=10)
        assert bad.status_code == 400 and "nope" in bad.json()["message"]
        bad = session.get(ccsim.url + EVENTS, headers={"Last-Event-ID": "x"}, timeout=10)
        assert bad.status_code == 400


def test_reconnect_with_last_event_id_loses_and_repeats_nothing(
    ccsim: ThreadedSimulator, open_stream: Callable[..., Stream]
) -> None:
    first = open_stream(kinds="clock")
    ccsim.control.advance("PT1M")
    ccsim.control.advance("PT2M")
    got = first.until(_kind("clock", seconds=120))
    last = got[-1]["id"]
    first.close()
    ccsim.control.advance("PT3M")  # while disconnected
    ccsim.control.advance("PT4M")
    again = open_stream({"Last-Event-ID": str(last)}, kinds="clock")
    replay = again.until(_kind("clock", seconds=240))
    assert [e["seconds"] for e in replay] == [180, 240]
    assert replay[0]["id"] > last
    ccsim.control.advance("PT5M")
    assert again.until(_kind("clock"))[-1]["seconds"] == 300
    # the query form, and the JSON form of the same kept events
    with mtls_session(ccsim.certs.directory) as session:
        page = session.get(
            ccsim.url + EVENTS, params={"kinds": "clock", "lastEventId": str(last)}, timeout=10
        ).json()
    assert [e["seconds"] for e in page["events"]] == [180, 240, 300]
    assert page["gap"] is False and page["lastId"] >= page["events"][-1]["id"]


def test_an_id_no_longer_kept_gets_a_gap_first(
    ccsim: ThreadedSimulator, open_stream: Callable[..., Stream]
) -> None:
    feed = ccsim.sim.feed
    ccsim.control.advance("PT1S")
    oldest = ccsim.call(lambda sim: sim.feed.oldest_id)
    if oldest <= 1:  # nothing dropped yet: fill the buffer with clock events
        for _ in range(feed.buffer.maxlen or 0):
            ccsim.call(lambda sim: sim.bus.publish(_clock_event(sim)))
        oldest = ccsim.call(lambda sim: sim.feed.oldest_id)
    assert oldest > 1
    stream = open_stream({"Last-Event-ID": "0"}, kinds="clock")
    first = stream.until(lambda e: True)[0]
    assert stream.frames[0]["event"] == "gap" and "id" not in stream.frames[0]
    assert first == {"kind": "gap", "from": 0, "oldest": oldest}


def _clock_event(sim: Any) -> Any:
    from simulator.events import ClockChanged

    return ClockChanged("set", sim.clock.time())


def test_no_secret_in_any_event_of_a_busy_run(
    ccsim: ThreadedSimulator, ccsim_webhook: WebhookReceiver, open_stream: Callable[..., Stream]
) -> None:
    stream = open_stream()
    token = ccsim.api.token
    cbid = _callback(ccsim, ccsim_webhook.url + "?key=query-secret-77", attrs=True)
    for car in ccsim.vehicles:
        ccsim.api.post(f"/user/vehicles/{car.id}/callbacks/{cbid}/remotes", json=LOCK)
        ccsim.api.post(
            f"/user/vehicles/{car.id}/callbacks/{cbid}/remotes",
            json={"horn": {"state": "Activated"}},
        )
        ccsim.control.set_state(car, lockedStates=["Unlocked"], mileageKm=60000)
    ccsim_webhook.respond_with(500, 500)
    ccsim.control.call("PUT", "/fleet/life", json={"enabled": True})
    try:
        ccsim.control.advance("PT3H")
    finally:
        ccsim.control.call("PUT", "/fleet/life", json={"enabled": False})
    ccsim.control.advance("PT1S")
    seen = stream.until(_kind("clock", seconds=1), timeout=20)
    kinds = {e["kind"] for e in seen}
    assert {"remote", "delivery", "clock", "callback", "sample"} <= kinds
    text = json.dumps(seen)
    for secret in (token, DEFAULT_CLIENT_SECRET, DEFAULT_PASSWORD, "hook-secret-0xC0FFEE",
                   "query-secret-77", "BEGIN", "access_token", "refresh"):  # fmt: skip
        assert secret not in text, secret
    for frame in stream.frames:  # the raw lines too
        assert token not in frame["data"]
