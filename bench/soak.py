"""Soak: steady mixed traffic for a long time; the simulator's memory must stay flat.

    python bench/soak.py [--minutes 30] [--rps 16] [--speed 60] [--sample 15]
                         [--tracemalloc 0] [--idle-minutes 0]

One simulator (``serve --speed S``, accelerated clock, living fleet on) in a
child process, an HTTPS webhook receiver (``simulator.testing.receiver``) in this
process, and a driver sending about ``--rps`` requests per second of mixed
traffic over keep-alive mTLS connections:

* reads: vehicles, status, lastPosition, trips, alerts, maintenance;
* callbacks created, then deleted a little later (at most 20 live);
* remotes (horn, lights, wake-up, door lock/unlock) on a webhook callback,
  whose notifications go to the receiver;
* monitors created on that callback, then deleted (at most 5 per vehicle);
* a control-API read of the delivery journal now and then.

It prints the server's RSS every ``--sample`` seconds, then: RSS at start and
end, the least-squares slope over the second half (KiB/min; flat means under
50 KiB/min), requests served by status class, events the journal says were
delivered against those the receiver accepted, and events lost (raised but
neither delivered nor dead-lettered nor still pending: must be 0).  The
baseline, measured in the same run, is the same simulator left idle for
``--idle-minutes`` (default: a fifth of ``--minutes``) before the traffic.

``--tracemalloc N`` runs the simulator under tracemalloc and prints, at the
end, the N source lines whose allocations grew most over the second half (to
find what grows; RSS figures are then inflated by tracemalloc itself).

Internal role of this file (started by the benchmark itself):
    python bench/soak.py _server TRACE_FILE SERVE_ARGS...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from simulator.testing.receiver import WebhookReceiver
from simulator.tls import CertStore

ROOT = Path(__file__).resolve().parents[1]
REALM = "clientsB2CPeugeot"
READS = ["/status", "/lastPosition", "/trips", "/alerts", "/maintenance"]
ACTIONS: list[dict[str, Any]] = [
    {"horn": {"state": "Activated"}},
    {"lights": {"on": True}},
    {"wakeUp": {"action": "WakeUp"}},
    {"door": {"state": "Locked"}},
    {"door": {"state": "Unlocked"}},
]


# ----------------------------------------------------------------- the server role
def server_main(trace_file: str, serve_args: list[str]) -> None:
    """The simulator in this process, under tracemalloc; snapshots on SIGUSR1/SIGUSR2."""
    from simulator.cli import main as cli_main

    tracemalloc.start(8)
    first: list[tracemalloc.Snapshot] = []

    def keep_first(*_: object) -> None:
        first[:] = [tracemalloc.take_snapshot()]

    def compare(*_: object) -> None:
        if not first:
            return
        now = tracemalloc.take_snapshot()
        keep = [tracemalloc.Filter(True, "*/simulator/*"), tracemalloc.Filter(True, "*aiohttp*")]
        keep += [tracemalloc.Filter(True, "*asyncio*"), tracemalloc.Filter(True, "*ssl*")]
        stats = now.filter_traces(keep).compare_to(first[0].filter_traces(keep), "traceback")
        lines = []
        for stat in stats[:40]:
            if stat.size_diff <= 0:
                continue
            where = " <- ".join(
                f"{Path(f.filename).name}:{f.lineno}" for f in reversed(list(stat.traceback))
            )
            lines.append(f"{stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d}  {where}")
        Path(trace_file).write_text("\n".join(lines) + "\n")

    signal.signal(signal.SIGUSR1, keep_first)
    signal.signal(signal.SIGUSR2, compare)
    sys.exit(cli_main(["serve", *serve_args]))


# ----------------------------------------------------------------- measuring
def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def slope_kib_per_min(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of RSS (KiB) over time (minutes)."""
    if len(samples) < 2:
        return 0.0
    xs = [t / 60 for t, _ in samples]
    ys = [float(r) for _, r in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)

    def count(self, kind: str, status: int) -> None:
        self.statuses[status] += 1
        self.kinds[kind] += 1


# ----------------------------------------------------------------- the driver
class Driver:
    def __init__(self, url: str, certs: CertStore, receiver_url: str, seed: int) -> None:
        self.url = url
        self.certs = certs
        self.receiver_url = receiver_url
        self.rng = random.Random(seed)
        self.tally = Tally()
        self.callbacks: list[str] = []
        self.monitors: list[tuple[str, str]] = []
        self.hook = ""
        self.vehicles: list[str] = []
        self.session: aiohttp.ClientSession | None = None
        self.headers: dict[str, str] = {}
        self.refresh_token = ""
        self.remote_ids: list[str] = []  # accepted remotes: each must reach Done

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(ssl=self.certs.client_context(), limit=8)
        self.session = aiohttp.ClientSession(connector=connector)
        await self.sign_in()
        body = await self.call("GET", "/user/vehicles", kind="read")
        self.vehicles = [v["id"] for v in body["_embedded"]["vehicles"]]
        created = await self.call("POST", "/user/callbacks", self._callback("hook"), kind="cb")
        self.hook = created["callbackId"]

    async def sign_in(self) -> None:
        """A token (again: at --speed 60 an hour-long token lasts a minute of wall time)."""
        assert self.session is not None
        form = {"grant_type": "password", "username": "demo@example.com", "password": "demo"}
        if self.refresh_token:
            form = {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        async with self.session.post(
            self.url + "/am/oauth2/access_token",
            data=form,
            headers={"Authorization": aiohttp.encode_basic_auth("demo-client", "demo-secret")},
        ) as resp:
            self.tally.count("token", resp.status)
            tokens = await resp.json()
        self.refresh_token = tokens["refresh_token"]
        self.headers = {
            "Authorization": f"Bearer {tokens['access_token']}",
            "x-introspect-realm": REALM,
        }

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    def _callback(self, label: str) -> dict[str, Any]:
        return {
            "label": label,
            "type": ["Remote", "Monitor"],
            "callback": {"webhook": {"name": label, "target": self.receiver_url}},
        }

    async def call(
        self, method: str, path: str, body: Any = None, *, kind: str, control: bool = False
    ) -> Any:
        assert self.session is not None
        url = self.url + ("/simulator/v1" if control else "/connectedcar/v4") + path
        params = None if control else {"client_id": "demo-client"}
        for _ in range(2):
            async with self.session.request(
                method, url, json=body, params=params, headers=None if control else self.headers
            ) as resp:
                if resp.status == 401 and not control:
                    await resp.read()
                    await self.sign_in()  # the token expired on the accelerated clock
                    continue
                return await self._answer(kind, resp)
        raise SystemExit(f"{method} {path}: still 401 with a fresh token")

    async def _answer(self, kind: str, resp: aiohttp.ClientResponse) -> Any:
        self.tally.count(kind, resp.status)
        if resp.status >= 300 or resp.status == 204:
            await resp.read()
            return None
        return await resp.json(content_type=None)

    async def one(self) -> None:
        roll = self.rng.random()
        vid = self.rng.choice(self.vehicles)
        if roll < 0.5:
            tail = self.rng.choice(
                ["/status", "/lastPosition", "/trips", "/alerts", "/maintenance"]
            )
            await self.call("GET", f"/user/vehicles/{vid}{tail}", kind="read")
        elif roll < 0.6:
            if len(self.callbacks) >= 20 or (self.callbacks and self.rng.random() < 0.5):
                cbid = self.callbacks.pop(0)
                await self.call("DELETE", f"/user/callbacks/{cbid}", kind="cb")
            else:
                made = await self.call("POST", "/user/callbacks", self._callback("c"), kind="cb")
                if made:
                    self.callbacks.append(made["callbackId"])
        elif roll < 0.8:
            body = {"label": "soak", **self.rng.choice(ACTIONS)}
            made = await self.call(
                "POST", f"/user/vehicles/{vid}/callbacks/{self.hook}/remotes", body, kind="remote"
            )
            if made is not None:
                self.remote_ids.append(made["remoteActionId"])
        elif roll < 0.95:
            mine = [m for m in self.monitors if m[0] == vid]
            if len(mine) >= 5 or (mine and self.rng.random() < 0.5):
                self.monitors.remove(mine[0])
                await self.call(
                    "DELETE",
                    f"/user/vehicles/{vid}/callbacks/{self.hook}/monitors/{mine[0][1]}",
                    kind="monitor",
                )
            else:
                made = await self.call(
                    "POST",
                    f"/user/vehicles/{vid}/callbacks/{self.hook}/monitors",
                    self._monitor(),
                    kind="monitor",
                )
                if made:
                    self.monitors.append((vid, made["monitorId"]))
        else:
            await self.call("GET", "/deliveries?limit=5", kind="control", control=True)

    def _monitor(self) -> dict[str, Any]:
        field_name, value = self.rng.choice(
            [("vehicle.energy.electric.level", "40"), ("vehicle.kinetic.speed", "90")]
        )
        trigger = {"data": field_name, "op": "lowerThan", "value": [value]}
        return {
            "label": "soak",
            "triggerParam": {"triggers": [{"name": "t1", "data": trigger}], "boolExp": "t1"},
        }


def _done_remotes(receiver: WebhookReceiver) -> set[str]:
    """The remotes whose Done notification the receiver accepted."""
    return {
        message["remoteEvent"]["remoteActionId"]
        for request in receiver.accepted()
        for message in request.messages()
        if message.get("remoteEvent", {}).get("eventStatus", {}).get("type") == "Done"
    }


async def soak(opts: argparse.Namespace, certs: CertStore, url: str, pid: int) -> dict[str, Any]:
    samples: list[tuple[float, int]] = []
    with WebhookReceiver(certs.directory) as receiver:
        driver = Driver(url, certs, receiver.url, seed=7)
        await driver.start()
        started = time.monotonic()
        duration = opts.minutes * 60
        next_sample = 0.0
        gap = 1.0 / opts.rps
        sent = 0
        halfway_signalled = False
        while (elapsed := time.monotonic() - started) < duration:
            if elapsed >= next_sample:
                samples.append((elapsed, rss_kib(pid)))
                print(
                    f"  t={elapsed / 60:6.2f} min  RSS {samples[-1][1] / 1024:7.1f} MiB", flush=True
                )
                next_sample += opts.sample
            if opts.tracemalloc and not halfway_signalled and elapsed >= duration / 2:
                os.kill(pid, signal.SIGUSR1)
                halfway_signalled = True
            await driver.one()
            sent += 1
            delay = started + sent * gap - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        samples.append((time.monotonic() - started, rss_kib(pid)))
        if opts.tracemalloc:
            os.kill(pid, signal.SIGUSR2)
        # Let the last remotes finish and their events go out on the accelerated clock.
        counts: dict[str, int] = {}
        pending, journal, done = -1, {"total": 0}, set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            journal = await driver.call("GET", "/deliveries?limit=1", kind="final", control=True)
            counts = journal["counts"]
            lanes = await driver.call("GET", "/deliveries/pending", kind="final", control=True)
            pending = int(lanes["total"])
            done = _done_remotes(receiver)
            if pending == 0 and done >= set(driver.remote_ids):
                break
            await asyncio.sleep(0.5)
        accepted = receiver.accepted()
        await driver.close()
    return {
        "samples": samples,
        "tally": driver.tally,
        "counts": counts,
        "attempts": journal["total"],
        "pending": pending,
        "accepted": len(accepted),
        "remotes": len(driver.remote_ids),
        "remotes_without_done": len(set(driver.remote_ids) - done),
    }


def start_server(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("ready "):
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return proc, line.split(" ", 1)[1]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_server":
        server_main(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rps", type=float, default=16.0)
    parser.add_argument("--speed", type=float, default=60.0)
    parser.add_argument("--sample", type=float, default=15.0, help="seconds between RSS samples")
    parser.add_argument("--vehicles", type=int, default=20)
    parser.add_argument("--idle-minutes", type=float, default=None)
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="N")
    opts = parser.parse_args()
    idle_minutes = opts.idle_minutes if opts.idle_minutes is not None else opts.minutes / 5

    with tempfile.TemporaryDirectory() as tmp:
        certs = CertStore(Path(tmp) / "certs")
        certs.ensure()
        trace_file = Path(tmp) / "trace.txt"
        serve = [
            *("--port", "0", "--certs", str(certs.directory), "--speed", str(opts.speed)),
            *("--vehicles", str(opts.vehicles), "--log-format", "json"),
        ]
        if opts.tracemalloc:
            command = [sys.executable, __file__, "_server", str(trace_file), *serve]
        else:
            command = [sys.executable, "-m", "simulator", "serve", *serve]
        proc, url = start_server(command)
        try:
            idle: list[tuple[float, int]] = []
            idle_start = time.monotonic()
            print(f"idle baseline: {idle_minutes:.1f} min", flush=True)
            while (elapsed := time.monotonic() - idle_start) < idle_minutes * 60:
                idle.append((elapsed, rss_kib(proc.pid)))
                time.sleep(min(opts.sample, max(0.1, idle_minutes * 60 - elapsed)))
            idle.append((time.monotonic() - idle_start, rss_kib(proc.pid)))
            print(f"traffic: {opts.minutes:.1f} min at {opts.rps:g} requests/s", flush=True)
            result = asyncio.run(soak(opts, certs, url, proc.pid))
        finally:
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
            if proc.poll() is None:
                proc.kill()
        samples: list[tuple[float, int]] = result["samples"]
        half = [s for s in samples if s[0] >= samples[-1][0] / 2]
        idle_half = [s for s in idle if s[0] >= idle[-1][0] / 2]
        tally: Tally = result["tally"]
        counts: dict[str, int] = result["counts"]
        served = sum(tally.statuses.values())
        server_errors = sum(n for s, n in tally.statuses.items() if s >= 500)
        delivered = counts.get("delivered", 0)
        dead = counts.get("dead-lettered", 0)
        print()
        print(f"RSS start {samples[0][1] / 1024:.1f} MiB, end {samples[-1][1] / 1024:.1f} MiB")
        print(
            f"slope, second half of the traffic: {slope_kib_per_min(half):+.1f} KiB/min "
            f"(idle baseline, same run: {slope_kib_per_min(idle_half):+.1f} KiB/min; "
            "target: under 50)"
        )
        by_status = dict(sorted(tally.statuses.items()))
        print(f"requests served: {served} ({by_status}), 5xx: {server_errors}")
        print(f"  by kind: {dict(tally.kinds)}")
        print(
            f"deliveries: journal {result['attempts']} attempts (newest {sum(counts.values())}: "
            f"{delivered} delivered, {dead} dead-lettered), still pending {result['pending']}; "
            f"receiver accepted {result['accepted']} requests"
        )
        lost = result["remotes_without_done"] + max(0, result["attempts"] - result["accepted"])
        print(
            f"lost events: {lost} ({result['remotes']} remotes accepted, "
            f"{result['remotes_without_done']} without their Done notification at the receiver; "
            f"{result['attempts'] - result['accepted']} journalled attempts not received)"
        )
        print(json.dumps({"journal counts (newest)": counts}))
        if opts.tracemalloc and trace_file.exists():
            print("\ngrowth over the second half (tracemalloc, top lines):")
            print("\n".join(trace_file.read_text().splitlines()[: opts.tracemalloc]))


if __name__ == "__main__":
    main()
