"""``--data-dir`` keeps the monitors: a killed simulator watches again after its restart."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from test_delivery_persist import Served, serving, start, subscribe

from simulator.testing.receiver import WebhookReceiver

__all__ = ["serving"]  # the fixture, imported for the tests below

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
V4 = "/connectedcar/v4"
Q = "?client_id=demo-client"


def doors_monitor(label: str) -> dict[str, Any]:
    return {
        "label": label,
        "triggerParam": {
            "triggers": [
                {"name": "doors", "data": {"data": "vehicle.doorsState.opening", "op": "onChange"}}
            ],
            "boolExp": "doors",
        },
    }


def monitors_of(served: Served, path: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = served.call("GET", path + Q)["_embedded"]["monitors"]
    return found


def test_monitors_survive_a_kill(serving: list[Served], ccsim_certs: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with WebhookReceiver(ccsim_certs) as hook:
        first = start(serving, ccsim_certs, data)
        cbid = subscribe(first, hook)
        vid = first.call("GET", V4 + "/user/vehicles" + Q)["_embedded"]["vehicles"][0]["id"]
        bound = f"{V4}/user/vehicles/{vid}/callbacks/{cbid}/monitors"
        legacy = f"{V4}/user/vehicles/{vid}/monitors"
        running = first.call("POST", bound + Q, doors_monitor("running"))["monitorId"]
        paused = first.call("POST", bound + Q, doors_monitor("paused"))["monitorId"]
        first.call("PUT", f"{bound}/{paused}/status{Q}", {"status": "Paused"})
        old_body = {
            **doors_monitor("older"),
            "subscribeParam": {"callback": {"target": hook.url + "/old", "name": "o"}},
        }
        old = first.call("POST", legacy + Q, old_body)["mid"]
        first.process.kill()
        first.process.wait(timeout=30)
        assert oct((data / "monitors.sqlite3").stat().st_mode & 0o777) == "0o600"

        second = start(serving, ccsim_certs, data)
        shown = {m["monitorId"]: m["status"] for m in monitors_of(second, bound)}
        assert shown == {running: "Running", paused: "Paused"}
        assert [m["mid"] for m in monitors_of(second, legacy) if "mid" in m] == [old]
        second.call("PATCH", f"/simulator/v1/vehicles/{vid}/state", {"openDoors": ["Driver"]})
        messages = hook.wait_for_messages(2)
        assert sorted(m["monitorEvent"]["monitorId"] for m in messages) == sorted([running, old])
        second.call("DELETE", f"{bound}/{running}{Q}")
        second.process.kill()
        second.process.wait(timeout=30)

        third = start(serving, ccsim_certs, data)
        assert [m["monitorId"] for m in monitors_of(third, bound)] == [paused]
