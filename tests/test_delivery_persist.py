"""Nothing is lost at a stop: SIGTERM flushes or journals, ``--data-dir`` survives a kill.

Each test runs ``python -m simulator serve`` as a real process and a real HTTPS
receiver, and counts the events at the receiver.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator.testing.receiver import WebhookReceiver
from simulator.tls import CertStore

VIN = "VR3UHZKXZLT000009"
EVENT = {
    "remoteActionId": "ra-9",
    "remoteType": "Horn",
    "eventStatus": {"type": "Done", "status": "Success"},
}
REALM = {"x-introspect-realm": "clientsB2CPeugeot"}

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")


class Served:
    """``python -m simulator serve`` in a child process, called over mTLS."""

    def __init__(self, certs: Path, data_dir: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CCSIM_")}
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "simulator", "serve", "--port", "0"),
                *("--certs", str(certs), "--data-dir", str(data_dir), "--manual-clock"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("ready "), line + self.process.stderr.read()  # type: ignore[union-attr]
        self.url = line.split()[1]
        store = CertStore(certs)
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = str(store.ca)
        self.http.cert = (str(store.client_cert), str(store.client_key))
        answer = self.http.post(
            self.url + "/am/oauth2/access_token",
            data={
                "grant_type": "password",
                "username": "demo@example.com",
                "password": "demo",
                "client_id": "demo-client",
                "client_secret": "demo-secret",
            },
            timeout=30,
        )
        self.headers = {"Authorization": f"Bearer {answer.json()['access_token']}", **REALM}

    def call(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        response = self.http.request(
            method, self.url + path, json=body, params=params or None, timeout=30,
            headers=self.headers,
        )  # fmt: skip
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def journal(self, **filters: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.call("GET", "/simulator/v1/deliveries", **filters)[
            "deliveries"
        ]
        return found

    def wait_journal(self, outcome: str, count: int) -> list[dict[str, Any]]:
        """Once no send is in flight, the journal holds at least ``count`` such records."""
        self.call("POST", "/simulator/v1/deliveries/wait-idle")
        found = self.journal(outcome=outcome)
        assert len(found) >= count, f"wanted {count} {outcome}, journal: {self.journal()}"
        return found

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        code = self.process.wait(timeout=30)
        self.http.close()
        return code


@pytest.fixture
def serving(ccsim_certs: Path, tmp_path: Path) -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(timeout=30)


def start(serving: list[Served], certs: Path, data_dir: Path) -> Served:
    served = Served(certs, data_dir)
    serving.append(served)
    return served


def subscribe(served: Served, hook: WebhookReceiver) -> str:
    body = {"label": "kept", "callback": {"webhook": {"target": hook.url + "/in", "name": "n"}}}
    cbid: str = served.call("POST", "/connectedcar/v4/user/callbacks?client_id=demo-client", body)[
        "callbackId"
    ]
    return cbid


def raise_events(served: Served, cbid: str, count: int) -> list[str]:
    body = {"callbackId": cbid, "vin": VIN, "remoteEvent": EVENT, "count": count}
    ids: list[str] = served.call("POST", "/simulator/v1/notifications", body)["eventIds"]
    return ids


def test_killed_server_delivers_its_pending_events_after_a_restart(
    serving: list[Served], ccsim_certs: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    with WebhookReceiver(ccsim_certs) as hook:
        first = start(serving, ccsim_certs, data)
        cbid = subscribe(first, hook)
        hook.go_down()
        ids = raise_events(first, cbid, 4)
        first.wait_journal("failed", 1)
        first.process.kill()  # no chance to flush anything
        first.process.wait(timeout=30)
        assert oct((data / "delivery.sqlite3").stat().st_mode & 0o777) == "0o600"

        hook.come_up()
        second = start(serving, ccsim_certs, data)
        assert second.journal(outcome="failed")[0]["eventId"] == ids[0]  # the journal survived
        listed = second.call("GET", "/connectedcar/v4/user/callbacks?client_id=demo-client")
        assert [cb["id"] for cb in listed["_embedded"]["callbacks"]] == [cbid]
        second.call("POST", "/simulator/v1/clock/advance", {"seconds": 10})
        assert [m["eventId"] for m in hook.wait_for_messages(4)] == ids
        delivered = second.wait_journal("delivered", 4)
        assert [r["eventId"] for r in delivered] == ids
        assert second.stop(signal.SIGTERM) == 0


def test_sigterm_gives_waiting_events_a_last_try(
    serving: list[Served], ccsim_certs: Path, tmp_path: Path
) -> None:
    with WebhookReceiver(ccsim_certs) as hook:
        served = start(serving, ccsim_certs, tmp_path / "data")
        cbid = subscribe(served, hook)
        hook.respond_with(500)
        ids = raise_events(served, cbid, 2)
        served.wait_journal("failed", 1)
        assert hook.accepted() == []  # both wait: the first for its retry, the second behind it
        started = time.monotonic()
        assert served.stop(signal.SIGTERM) == 0
        assert time.monotonic() - started < 5
        assert [m["eventId"] for m in hook.messages()] == ids


def test_sigterm_journals_what_it_could_not_deliver_and_keeps_it(
    serving: list[Served], ccsim_certs: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    with WebhookReceiver(ccsim_certs) as hook:
        served = start(serving, ccsim_certs, data)
        cbid = subscribe(served, hook)
        hook.go_down()
        ids = raise_events(served, cbid, 3)
        served.wait_journal("failed", 1)
        assert served.stop(signal.SIGTERM) == 0

        hook.come_up()
        again = start(serving, ccsim_certs, data)
        undelivered = again.journal(outcome="undelivered")
        assert sorted(r["eventId"] for r in undelivered) == sorted(ids)
        again.call("POST", "/simulator/v1/clock/advance", {"seconds": 10})
        assert [m["eventId"] for m in hook.wait_for_messages(3)] == ids
        assert again.stop(signal.SIGTERM) == 0
