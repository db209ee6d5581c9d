"""The webhook and WebSocket receivers, over real sockets (TLS with the session certificates)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests

from simulator.testing import ThreadedSimulator
from simulator.testing.receiver import Received, WebhookReceiver, WebSocketReceiver
from simulator.tls import CertStore


@pytest.fixture
def hook(ccsim_certs: Path) -> Iterator[WebhookReceiver]:
    with WebhookReceiver(ccsim_certs) as receiver:
        yield receiver


@pytest.fixture
def http(ccsim_certs: Path) -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False  # no proxy, no REQUESTS_CA_BUNDLE
    session.verify = str(CertStore(ccsim_certs).ca)
    with session:
        yield session


@pytest.fixture
def client_ssl(ccsim_certs: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(CertStore(ccsim_certs).ca))


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


# ------------------------------------------------------------------ webhook


def test_records_requests_and_flattens_messages(
    hook: WebhookReceiver, http: requests.Session
) -> None:
    assert hook.url == f"https://localhost:{hook.port}"
    first = http.post(
        hook.url + "/cb?a=1&b=2&a=3", json={"n": 1}, headers={"X-Tag": "t"}, timeout=5
    )
    second = http.post(hook.url, json=[{"n": 2}, {"n": 3}], timeout=5)
    assert (first.status_code, first.json()) == (200, {})
    assert second.status_code == 200

    assert hook.messages() == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert hook.wait_for_messages(3, timeout=1) == [{"n": 1}, {"n": 2}, {"n": 3}]
    got = hook.wait_for(2, timeout=1)
    assert [r.answered_status for r in got] == [200, 200]
    record = got[0]
    assert (record.method, record.path) == ("POST", "/cb")
    assert record.query == [("a", "1"), ("b", "2"), ("a", "3")]
    assert record.param("a") == "1"
    assert record.param("missing") is None
    assert record.headers["x-tag"] == "t"
    assert record.headers["content-type"] == "application/json"
    assert record.json() == {"n": 1}
    assert got[1].path == "/"
    assert got[0].at <= got[1].at <= time.monotonic()

    hook.clear()
    assert hook.received == []
    assert hook.messages() == []


def test_received_helpers() -> None:
    def make(body: bytes) -> Received:
        return Received("POST", "/", [], {}, body, 0.0, 200)

    assert make(b"[1, 2]").messages() == [1, 2]
    assert make(b'{"a": 1}').messages() == [{"a": 1}]
    assert make(b"").messages() == []
    assert make(b"").accepted
    assert not Received("POST", "/", [], {}, b"", 0.0, None).accepted


def test_respond_with_queues_statuses_then_default(
    hook: WebhookReceiver, http: requests.Session
) -> None:
    hook.respond_with(500, 503)
    statuses = [http.post(hook.url, json={"i": i}, timeout=5) for i in range(3)]
    assert [r.status_code for r in statuses] == [500, 503, 200]
    assert statuses[0].json()["status"] == 500
    assert [r.answered_status for r in hook.received] == [500, 503, 200]
    assert hook.messages() == [{"i": 2}]

    hook.default_status = 202
    assert http.post(hook.url, json={}, timeout=5).status_code == 202
    hook.set_default(204)
    answer = http.post(hook.url, json={}, timeout=5)
    assert (answer.status_code, answer.content) == (204, b"")
    with pytest.raises(ValueError):
        hook.respond_with(100)


def test_wait_for_times_out_with_what_arrived(
    hook: WebhookReceiver, http: requests.Session
) -> None:
    hook.respond_with(500)
    http.post(hook.url + "/x", json={"late": True}, timeout=5)
    with pytest.raises(AssertionError, match=r"(?s)expected 1 accepted.*POST /x -> 500"):
        hook.wait_for(1, timeout=0.05)
    with pytest.raises(AssertionError, match="expected 1 message"):
        hook.wait_for_messages(1, timeout=0.05)


def test_delay_makes_a_short_timeout_client_time_out(
    hook: WebhookReceiver, http: requests.Session
) -> None:
    hook.set_delay(0.3)
    with pytest.raises(requests.Timeout):
        http.post(hook.url, json={"slow": True}, timeout=0.1)
    assert len(hook.received) == 1  # recorded on arrival, answer pending

    hook.set_delay(0)  # applies to the next requests only
    assert http.post(hook.url, json={"fast": True}, timeout=5).status_code == 200
    # once the slow answer was due: the client had left, so nothing was delivered
    answered = hook.wait_answered(timeout=5)
    assert [r.answered_status for r in answered] == [None, 200]
    assert hook.messages() == [{"fast": True}]


def test_wait_answered_fails_while_an_answer_is_pending(
    hook: WebhookReceiver, http: requests.Session
) -> None:
    hook.set_delay(5)
    with pytest.raises(requests.Timeout):
        http.post(hook.url, json={"slow": True}, timeout=0.1)
    with pytest.raises(AssertionError, match=r"1 request\(s\) still unanswered after 0.05s"):
        hook.wait_answered(timeout=0.05)


def _notification(vin: str, remote: str | None = None, status: str = "Done") -> dict[str, Any]:
    if remote is None:
        return {"type": "Monitor", "vin": vin, "monitorEvent": {"monitorId": "m1"}}
    return {
        "type": "Remote",
        "vin": vin,
        "remoteEvent": {
            "remoteActionId": remote,
            "remoteType": "Doors",
            "eventStatus": {"type": status, "status": "Success" if status == "Done" else "Sent"},
        },
    }


def test_wait_for_filters_messages_and_counts_batches(
    hook: WebhookReceiver, http: requests.Session
) -> None:
    batch = [_notification("V1", "r1", "Pending"), _notification("V1", "r1"), _notification("V2")]
    http.post(hook.url, json=batch, timeout=5)
    hook.respond_with(500)
    http.post(hook.url, json=_notification("V3", "r3"), timeout=5)  # refused: not counted

    assert hook.wait_for(remote="r1", status="Done", timeout=1) == [batch[1]]
    assert hook.wait_for(remote={"remoteActionId": "r1"}, count=2, timeout=1) == batch[:2]
    assert hook.wait_for(remote="Doors", status="Sent", timeout=1) == [batch[0]]
    assert hook.wait_for(monitor={"monitorId": "m1"}, timeout=1) == [batch[2]]
    assert hook.wait_for(vin="V1", count=2, timeout=1) == batch[:2]
    assert hook.wait_for(lambda m: m["vin"] != "V1", timeout=1) == [batch[2]]
    assert hook.wait_for(timeout=1) == batch
    assert [r.answered_status for r in hook.wait_for(1)] == [200]  # the older form

    with pytest.raises(AssertionError) as raised:
        hook.wait_for(vin="V3", timeout=0.05)
    assert str(raised.value).splitlines() == [
        f"expected 1 message(s) with vin='V3' at {hook.url} within 0.05s, 0 matched; 4 arrived:",
        "  Remote vin=V1 remote Doors id=r1 Pending/Sent",
        "  Remote vin=V1 remote Doors id=r1 Done/Success",
        "  Monitor vin=V2 monitor id=m1",
        "  Remote vin=V3 remote Doors id=r3 Done/Success [answered 500]",
    ]


def test_assert_nothing_received_needs_a_simulator_to_settle(
    hook: WebhookReceiver, http: requests.Session, ccsim: ThreadedSimulator
) -> None:
    with pytest.raises(RuntimeError, match=r"pass it \(receiver.assert_nothing_received"):
        hook.assert_nothing_received()
    hook.assert_nothing_received(ccsim)
    http.post(hook.url, json=_notification("V1"), timeout=5)
    with pytest.raises(AssertionError, match=r"(?s)but 1 arrived:\n  Monitor vin=V1"):
        hook.assert_nothing_received(ccsim)
    hook.clear()
    hook.simulator = ccsim
    hook.assert_nothing_received()


def test_drop_next_closes_the_connection_without_answer(
    hook: WebhookReceiver, http: requests.Session
) -> None:
    hook.drop_next()
    with pytest.raises(requests.ConnectionError):
        http.post(hook.url, json={"dropped": True}, timeout=5)
    assert http.post(hook.url, json={"kept": True}, timeout=5).status_code == 200
    assert [r.answered_status for r in hook.received] == [None, 200]
    assert hook.received[0].json() == {"dropped": True}
    assert hook.messages() == [{"kept": True}]


def test_go_down_refuses_and_come_up_listens_on_the_same_port(
    hook: WebhookReceiver, http: requests.Session
) -> None:
    port = hook.port
    assert http.post(hook.url, json={"before": 1}, timeout=5).status_code == 200  # keep-alive

    hook.go_down()
    assert not hook.listening
    assert _refused(port)
    with pytest.raises(requests.ConnectionError):
        http.post(hook.url, json={"down": 1}, timeout=5)
    assert hook.messages() == [{"before": 1}]  # recordings survive

    hook.come_up()
    assert hook.port == port
    assert http.post(hook.url, json={"after": 1}, timeout=5).status_code == 200
    assert hook.messages() == [{"before": 1}, {"after": 1}]


def test_plain_http_and_reset(ccsim_certs: Path) -> None:
    with WebhookReceiver(ccsim_certs, tls=False) as hook:
        assert hook.url == f"http://localhost:{hook.port}"
        hook.respond_with(500)
        hook.set_delay(5)
        hook.drop_next(2)
        hook.reset()
        with requests.Session() as session:
            session.trust_env = False
            assert session.get(hook.url + "/ping", timeout=5).status_code == 200
        assert [(r.method, r.path, r.body) for r in hook.accepted()] == [("GET", "/ping", b"")]
        assert hook.messages() == []


# ------------------------------------------------------------------ websocket


def test_websocket_frames_and_reconnection(ccsim_certs: Path, client_ssl: ssl.SSLContext) -> None:
    with WebSocketReceiver(ccsim_certs) as wsr:
        assert wsr.url == f"wss://localhost:{wsr.port}/"
        port = wsr.port

        async def scenario() -> None:
            async with aiohttp.ClientSession(trust_env=False) as session:
                async with session.ws_connect(wsr.url, ssl=client_ssl) as ws:
                    await ws.send_str('{"n": 1}')
                    await ws.send_str('[{"n": 2}, {"n": 3}]')
                    await asyncio.to_thread(wsr.wait_for_messages, 3, 2.0)
                    going_down = asyncio.create_task(asyncio.to_thread(wsr.go_down))
                    closing = await ws.receive(timeout=2)
                    await going_down
                assert closing.type is aiohttp.WSMsgType.CLOSE
                assert closing.data == aiohttp.WSCloseCode.GOING_AWAY

                assert _refused(port)
                with pytest.raises(aiohttp.ClientConnectionError):
                    await session.ws_connect(wsr.url, ssl=client_ssl)

                await asyncio.to_thread(wsr.come_up)
                assert wsr.port == port
                async with session.ws_connect(wsr.url + "events", ssl=client_ssl) as ws:
                    await ws.send_str('{"n": 4}')
                    await asyncio.to_thread(wsr.wait_for_messages, 4, 2.0)

        asyncio.run(scenario())
        assert wsr.frames == ['{"n": 1}', '[{"n": 2}, {"n": 3}]', '{"n": 4}']
        assert wsr.messages() == [{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]
        assert wsr.connections == 2
        assert wsr.wait_for_connections(2, timeout=0.1) == 2
        assert wsr.wait_for(lambda m: m["n"] > 2, count=2, timeout=0.1) == [{"n": 3}, {"n": 4}]
        with pytest.raises(AssertionError, match=r"(?s)0 matched; 4 arrived:\n  \? vin=\?"):
            wsr.wait_for(vin="V1", timeout=0.05)
        with pytest.raises(AssertionError, match="expected 3 WebSocket"):
            wsr.wait_for_connections(3, timeout=0.05)

        wsr.clear()
        assert (wsr.frames, wsr.connections) == ([], 0)


def test_websocket_receiver_answers_plain_requests_426(
    ccsim_certs: Path, http: requests.Session
) -> None:
    with WebSocketReceiver(ccsim_certs) as wsr:
        url = wsr.url.replace("wss://", "https://")
        assert http.get(url, timeout=5).status_code == 426
        assert wsr.connections == 0
