"""Ids come from the seed: the same seed and the same calls give the same callback, event,
remote, monitor, alert and request ids; another seed other ids; a reset the same ids
again; a ``--data-dir`` restart never an id kept there.

Real simulators over mTLS on the manual clock (nothing waits on the wall clock); the
events are read off the simulator's bus as they are raised.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import API, ApiClient

import simulator.ids
from simulator.config import Settings
from simulator.events import Notification
from simulator.ids import Ids
from simulator.store import Simulator
from simulator.testing import ThreadedSimulator
from simulator.testing.receiver import WebhookReceiver

SEED = 11
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the same fleet whenever the test runs
CONTROL = "/simulator/v1"
DOWN = "https://localhost:9/down"  # refuses: its events stay pending
HEX32 = re.compile(r"[0-9a-f]{32}")
HEX40 = re.compile(r"[0-9a-f]{40}")
REMOTE_EVENT = {
    "remoteActionId": "ra-1",
    "remoteType": "Doors",
    "eventStatus": {"type": "Done", "status": "Success"},
}


def doors_monitor(label: str, **extra: Any) -> dict[str, Any]:
    return {
        "label": label,
        "triggerParam": {
            "triggers": [
                {"name": "doors", "data": {"data": "vehicle.doorsState.opening", "op": "onChange"}}
            ],
            "boolExp": "doors",
        },
        **extra,
    }


@dataclass
class Run:
    """Every id one scripted run was given, by kind, in order."""

    callbacks: list[str] = field(default_factory=list)
    remotes: list[str] = field(default_factory=list)
    monitors: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def world(self) -> dict[str, list[str]]:
        """The simulated world's ids (all but the request ids)."""
        return {
            "callbacks": self.callbacks,
            "remotes": self.remotes,
            "monitors": self.monitors,
            "events": self.events,
            "alerts": self.alerts,
        }

    def every(self) -> set[str]:
        return {i for ids in (*self.world().values(), self.requests) for i in ids}


class Script:
    """One user's calls over mTLS, keeping each id answered and each ``X-Request-Id``."""

    def __init__(self, server: ThreadedSimulator, run: Run) -> None:
        self.server = server
        self.api = ApiClient(server)
        self.run = run

    def call(self, method: str, path: str, body: Any = None, *, user: bool = True) -> Any:
        params = {"client_id": "demo-client"} if user else None
        headers = self.api.headers() if user else None
        response: requests.Response = self.api.raw(
            method, path, params=params, headers=headers, json=body
        )
        assert response.status_code < 300, response.text
        self.run.requests.append(response.headers["X-Request-Id"])
        return response.json() if response.content else None

    def control(self, method: str, path: str, body: Any = None) -> Any:
        return self.call(method, CONTROL + path, body, user=False)

    def callback(self, target: str) -> str:
        body = {"label": "ids", "type": ["Remote", "Monitor"], "callback": {"webhook": {
            "target": target, "name": "n"}}}  # fmt: skip
        cbid: str = self.call("POST", API + "/user/callbacks", body)["callbackId"]
        self.run.callbacks.append(cbid)
        return cbid

    def vehicle(self) -> str:
        vehicles = self.call("GET", API + "/user/vehicles")["_embedded"]["vehicles"]
        vid: str = vehicles[0]["id"]
        return vid

    def remote(self, vid: str, cbid: str, body: dict[str, Any]) -> str:
        path = f"{API}/user/vehicles/{vid}/callbacks/{cbid}/remotes"
        rid: str = self.call("POST", path, body)["remoteActionId"]
        self.run.remotes.append(rid)
        return rid

    def monitor(self, path: str, body: dict[str, Any]) -> str:
        answer = self.call("POST", API + path, body)
        mid: str = answer.get("monitorId") or answer["mid"]
        self.run.monitors.append(mid)
        return mid

    def raise_events(self, cbid: str, vin: str, count: int) -> None:
        body = {"callbackId": cbid, "vin": vin, "remoteEvent": REMOTE_EVENT, "count": count}
        self.control("POST", "/notifications", body)  # their ids come off the bus

    def alerts(self, vid: str) -> None:
        found = self.call("GET", f"{API}/user/vehicles/{vid}/alerts")["_embedded"]["alerts"]
        self.run.alerts.extend(a["id"] for a in found if a["type"] == "AddWasherFluid")


def scripted(server: ThreadedSimulator, target: str) -> Run:
    """Callbacks, remotes, monitors (both forms), monitor and raised events, an alert."""
    run = Run()
    seen: list[Notification] = []
    stop = server.call(lambda sim: sim.bus.subscribe(Notification, seen.append))
    script = Script(server, run)
    try:
        cbid = script.callback(target)
        script.callback(target)
        vid = script.vehicle()
        vin: str = script.call("GET", f"{API}/user/vehicles/{vid}")["vin"]
        script.remote(vid, cbid, {"door": {"state": "Unlocked"}})
        script.remote(vid, cbid, {"horn": {"state": "Activated"}})
        script.control("POST", "/clock/advance", {"seconds": 120})  # both remotes run out
        script.monitor(f"/user/vehicles/{vid}/callbacks/{cbid}/monitors", doors_monitor("cb"))
        legacy = {"subscribeParam": {"callback": {"target": target, "name": "o"}}}
        script.monitor(f"/user/vehicles/{vid}/monitors", doors_monitor("older", **legacy))
        state = {"openDoors": ["Driver"], "alerts": ["AddWasherFluid"]}
        script.control("PATCH", f"/vehicles/{vid}/state", state)  # both monitors fire
        script.raise_events(cbid, vin, 3)
        script.alerts(vid)
    finally:
        script.api.session.close()
        server.call(lambda sim: stop())
    run.events = server.call(lambda sim: [note.event_id for note in seen])
    return run


@pytest.fixture(scope="module")
def runs(ccsim_certs: Path, ccsim_webhook_server: WebhookReceiver) -> Iterator[dict[str, Run]]:
    """Seed SEED twice (the first also after a reset), and seed SEED + 1."""
    target = ccsim_webhook_server.url + "/ids"
    found: dict[str, Run] = {}
    settings: dict[str, Any] = {"manual_clock": True, "start": START, "vehicles": 2}
    with ThreadedSimulator(ccsim_certs, seed=SEED, **settings) as server:
        found["first"] = scripted(server, target)
        server.call(lambda sim: sim.reset())
        found["after reset"] = scripted(server, target)
    with ThreadedSimulator(ccsim_certs, seed=SEED, **settings) as server:
        found["again"] = scripted(server, target)
    with ThreadedSimulator(ccsim_certs, seed=SEED + 1, **settings) as server:
        found["other seed"] = scripted(server, target)
    yield found


# ------------------------------------------------------------------ over HTTP
def test_every_kind_of_id_keeps_its_format(runs: dict[str, Run]) -> None:
    run = runs["first"]
    assert len(run.callbacks) == 2 and len(run.remotes) == 2 and len(run.monitors) == 2
    assert len(run.events) >= 2 * 3 + 2 + 3  # each remote's steps, both monitors, raised
    assert run.alerts
    for kind in ("callbacks", "monitors", "events", "alerts"):
        assert all(HEX32.fullmatch(i) for i in getattr(run, kind)), kind
    assert all(HEX40.fullmatch(i) for i in run.remotes)
    for rid in run.requests:
        parsed = uuid.UUID(rid)
        assert str(parsed) == rid and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    ids = [i for ids in run.world().values() for i in ids]
    assert len(set(ids)) == len(ids)
    assert len(set(run.requests)) == len(run.requests)


def test_the_same_seed_and_calls_give_the_same_ids(runs: dict[str, Run]) -> None:
    assert runs["again"].world() == runs["first"].world()
    assert runs["again"].requests == runs["first"].requests


def test_another_seed_gives_other_ids(runs: dict[str, Run]) -> None:
    first, other = runs["first"], runs["other seed"]
    for kind, ids in first.world().items():
        assert not set(ids) & set(other.world()[kind]), kind
    assert not set(first.requests) & set(other.requests)


def test_a_reset_gives_the_same_ids_again_but_new_request_ids(runs: dict[str, Run]) -> None:
    first, after = runs["first"], runs["after reset"]
    assert after.world() == first.world()
    assert not set(after.requests) & set(first.requests)  # unique in a process


# ------------------------------------------------------------------ --data-dir
def test_a_data_dir_restart_never_gives_a_stored_id(ccsim_certs: Path, tmp_path: Path) -> None:
    settings: dict[str, Any] = {
        "manual_clock": True, "start": START, "vehicles": 2, "seed": SEED,
        "data_dir": tmp_path, "shutdown_grace": 0.5,
    }  # fmt: skip
    with ThreadedSimulator(ccsim_certs, **settings) as first:
        before = scripted(first, DOWN)  # every event still pending at the stop
        gone = Script(first, before)
        dropped = gone.callback(DOWN)
        gone.raise_events(dropped, "VR3UHZKXZLT000001", 1)
        gone.call("DELETE", f"{API}/user/callbacks/{dropped}")  # its records name it
        gone.api.session.close()
    with ThreadedSimulator(ccsim_certs, **settings) as second:
        kept = second.call(lambda sim: sorted(cb.id for cb in sim.callbacks.all()))
        assert kept == sorted(set(before.callbacks) - {dropped})
        after = scripted(second, DOWN)
    stored = set(before.every()) - set(before.alerts) - set(before.requests)
    for kind, ids in after.world().items():
        if kind != "alerts":  # the fleet (and its alerts) is made again from the seed
            assert not set(ids) & stored, kind
    # a stream restored past its last stored id goes on from there
    expected = Ids(SEED)
    assert after.callbacks[0] == [expected.callback() for _ in range(4)][3]
    assert after.monitors[0] == [expected.monitor() for _ in range(3)][2]


# ------------------------------------------------------------------ the id source itself
def test_streams_are_independent_and_restart_except_request_ids() -> None:
    ids = Ids(SEED)
    first = [ids.callback(), ids.event(), ids.callback(), ids.remote(), ids.monitor()]
    request = ids.request()
    ids.restart()
    ids.event()  # an extra event id shifts no other kind
    assert [ids.callback(), ids.callback(), ids.remote(), ids.monitor()] == [
        first[0], first[2], first[3], first[4]
    ]  # fmt: skip
    assert ids.request() != request


def test_claimed_ids_move_the_stream_past_them() -> None:
    stream = Ids(SEED)
    made = [stream.event() for _ in range(5)]
    restored = Ids(SEED)
    restored.claim("event", [made[3], made[1]])
    assert restored.event() == made[4]
    assert restored.stream("event").claimed == set()  # nothing to remember


def test_ids_of_elsewhere_are_remembered_and_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    made = Ids(SEED)
    upcoming = [made.monitor() for _ in range(3)]
    monkeypatch.setattr(simulator.ids, "_REACH", 0)  # as if another seed had made them
    restored = Ids(SEED)
    restored.claim("monitor", upcoming[:2])
    assert restored.stream("monitor").claimed == set(upcoming[:2])
    assert restored.monitor() == upcoming[2]
    restored.claim("monitor", ["not-an-id", "AB" * 16])  # any text is kept and avoided
    assert {"not-an-id", "AB" * 16} <= restored.stream("monitor").claimed


def test_a_simulator_resets_its_ids_with_its_world() -> None:
    sim = Simulator(Settings(vehicles=1, manual_clock=True, life=False, seed=SEED, start=START))
    first = [sim.ids.callback(), sim.ids.event(), sim.ids.remote(), sim.ids.monitor()]
    sim.reset()
    assert [sim.ids.callback(), sim.ids.event(), sim.ids.remote(), sim.ids.monitor()] == first
