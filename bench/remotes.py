"""Remote actions over mTLS: remotes accepted per second, notifications to a local receiver,
end-to-end latency, and the GET status ratio against bare aiohttp, all in one run.

    python bench/remotes.py [--duration 5] [--connections 20] [--vehicles 50] [--speed 10]
                            [--latency-samples 20] [--status-rounds 3] [--background-rps 100]
                            [--profile FILE]

One simulator (``serve --speed S``, accelerated clock) pinned to CPU 0, with a
batched webhook callback (``size: 100``) to an HTTPS receiver on CPU 1; this
driver (load generator) on CPU 1 too.  Three phases:

1. throughput: ``--connections`` keep-alive mTLS connections POST remotes as
   fast as they are answered for ``--duration`` seconds (after a one-second
   warm-up), cycling over ``--vehicles`` vehicles and horn, lights, door
   lock/unlock and wakeUp; the 202s in the window give remotes/s (target
   >= 1,000 on one core).  Notifications flow to the receiver meanwhile.  Then
   every accepted remote (warm-up included) must reach its ``Done``
   notification at the receiver (matched by ``remoteActionId``); the count of
   notifications by status is printed.  A remote of an action still pending on
   its vehicle ends ``Failed/SameActionInProgress`` (Accepted, then Done).
2. status ratio: GET status throughput of the simulator against the bare
   aiohttp server serving the same bytes (``bench/http_status.py``'s
   machinery, alternating rounds), with ``--background-rps`` remotes per second
   flowing to the simulator during its rounds (target >= 0.80).
3. latency: ``--latency-samples`` remotes (horn), one per vehicle never used
   before (asleep: Accepted, WakingUpVehicle, SentToVehicle, Done), sent
   ``--latency-gap`` seconds apart; wall time from just before each POST to the
   receiver getting its ``Done``.  The simulated latency is the default step
   timing (accept + wake + send + execute = 26 s), ``/ --speed`` the ideal wall
   time; the notification dates give the simulated time actually spent.

``--profile FILE`` runs the simulator under cProfile (figures then slower).

With 50 vehicles most remotes of the load end ``SameActionInProgress`` (two
notifications each); ``--vehicles 1000`` makes most of them run the whole
lifecycle (three or four).  The simulator keeps every remote and scans a
vehicle's remotes on each submit, so the rate falls as ``--duration`` grows.

Internal role of this file (started by the benchmark itself):
    python bench/remotes.py _receiver CERTS_DIR
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import ssl
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
import delivery
import http_status
from loadgen import LoadResult, _Conn, _State, run_load, take_response

from simulator.remotes.engine import Timing
from simulator.tls import CertStore

SCRIPT = Path(__file__).resolve()
TARGET_REMOTES = 1_000.0
TARGET_RATIO = 0.8
API = "/connectedcar/v4/user"
QUERY = "?client_id=demo-client"
ACTIONS: tuple[dict[str, Any], ...] = (
    {"label": "honk", "horn": {"state": "Activated"}},
    {"label": "lights", "lights": {"on": True}},
    {"label": "lock", "door": {"state": "Locked"}},
    {"label": "wake", "wakeUp": {"action": "WakeUp"}},
    {"label": "unlock", "door": {"state": "Unlocked"}},
)
REMOTE_ID = re.compile(rb'"remoteActionId"\s*:\s*"([^"]+)"')


# ------------------------------------------------------------------ receiver role
class RemoteTally(delivery.Tally):
    """The delivery receiver's tally, plus what each remote notification said."""

    def reset(self) -> None:
        super().reset()
        self.statuses: Counter[str] = Counter()  # "Done/Failed/SameActionInProgress", ...
        self.done: dict[str, tuple[float, str]] = {}  # remoteActionId -> (arrival, date)
        self.done_messages = 0
        self.accepted: dict[str, str] = {}  # remoteActionId -> date of Accepted

    def add(self, messages: int, body: bytes) -> None:
        now = time.monotonic()
        parsed = json.loads(body)
        items: list[dict[str, Any]] = parsed if isinstance(parsed, list) else [parsed]
        for message in items:
            event = message.get("remoteEvent") or {}
            status = event.get("eventStatus") or {}
            parts = (status.get("type"), status.get("status"), status.get("failureCause"))
            self.statuses["/".join(p for p in parts if p)] += 1
            rid = str(event.get("remoteActionId"))
            if status.get("type") == "Done":
                self.done_messages += 1
                self.done[rid] = (now, str(message.get("date")))
            elif status.get("status") == "Accepted":
                self.accepted[rid] = str(message.get("date"))
        super().add(len(items), body)

    def stats(self) -> dict[str, Any]:
        return {
            **self.snapshot(),
            "statuses": dict(self.statuses),
            "done": len(self.done),
            "done_messages": self.done_messages,
        }


async def receiver_main(certs: Path) -> None:
    """Like ``bench/delivery.py _receiver`` (``POST /d/{ms}``, ``/reset``), recording per
    remote its Done arrival (monotonic) and notification dates: ``GET /stats`` (counts),
    ``POST /remotes`` with a JSON list of ids answers ``{id: [arrival, done date,
    accepted date] | null}``."""
    tally = RemoteTally()

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        delay = int(request.match_info["ms"])
        if delay:
            await asyncio.sleep(delay / 1000)
        tally.add(0, body)
        return web.Response()

    async def reset(_: web.Request) -> web.Response:
        tally.reset()
        return web.json_response(tally.stats())

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(tally.stats())

    async def remotes(request: web.Request) -> web.Response:
        found: dict[str, list[Any] | None] = {}
        for rid in await request.json():
            done = tally.done.get(rid)
            found[rid] = None if done is None else [*done, tally.accepted.get(rid)]
        return web.json_response(found)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post(r"/d/{ms:\d+}", hook)
    app.router.add_post("/reset", reset)
    app.router.add_get("/stats", stats)
    app.router.add_post("/remotes", remotes)
    await delivery.serve_until_sigterm(app, certs)


# ------------------------------------------------------------------ remote load generator
def raw_request(method: str, path: str, auth: dict[str, str], body: bytes = b"") -> bytes:
    """One HTTP/1.1 request as bytes, for ``bench/loadgen.py``'s connections."""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: {auth['Authorization']}\r\n"
        f"x-introspect-realm: {auth['x-introspect-realm']}\r\n"
    )
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


class RemoteState(_State):
    """loadgen's counters (``ok`` = 202) plus every answer's status and remoteActionId."""

    def __init__(self, requests: list[bytes]) -> None:
        super().__init__(sample_every=10)
        self.requests = requests
        self.sent = 0
        self.answers: Counter[int] = Counter()  # warm-up included
        self.ids: list[str] = []  # of every 202, warm-up included

    def next_request(self) -> bytes:
        request = self.requests[self.sent % len(self.requests)]
        self.sent += 1
        return request

    def answer(self, status: int, body: bytes, seconds: float) -> None:
        self.answers[status] += 1
        if status == 202:
            found = REMOTE_ID.search(body)
            if found:
                self.ids.append(found.group(1).decode())
        self.record(status == 202, seconds)


class RemoteConn(_Conn):
    """A loadgen connection sending the next request of the rotation each time and reading
    the status code and body of each answer."""

    def __init__(self, state: RemoteState) -> None:
        super().__init__(b"", state)
        self.remote_state = state

    def _send(self) -> None:
        self.request = self.remote_state.next_request()
        super()._send()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (response := take_response(self.buffer)) is not None:
            status, body = response
            self.remote_state.answer(status, body, time.perf_counter() - self.sent_at)
            self._send()


@dataclass
class RemoteLoad:
    result: LoadResult  # requests = 202s in the window, errors = other answers
    state: RemoteState
    sim_cpu_seconds: float

    @property
    def accepted(self) -> int:
        return self.result.requests - self.result.errors

    @property
    def rate(self) -> float:
        return self.accepted / self.result.seconds if self.result.seconds else 0.0


async def remote_load(
    port: int,
    requests: list[bytes],
    ssl_context: ssl.SSLContext,
    sim_pid: int,
    *,
    connections: int,
    duration: float,
    warmup: float = 1.0,
) -> RemoteLoad:
    """``loadgen.run_load`` with a rotation of POSTs, 202 as success, the simulator's CPU."""
    loop = asyncio.get_running_loop()
    state = RemoteState(requests)
    conns = []
    for _ in range(connections):
        _, proto = await loop.create_connection(
            lambda: RemoteConn(state),
            "127.0.0.1",
            port,
            ssl=ssl_context,
            server_hostname="localhost",
        )
        conns.append(proto)
    await asyncio.sleep(warmup)
    cpu0, sim0 = time.process_time(), delivery.cpu_seconds(sim_pid)
    state.measuring = True
    started = time.perf_counter()
    await asyncio.sleep(duration)
    state.measuring = False
    elapsed = time.perf_counter() - started
    cpu1, sim1 = time.process_time(), delivery.cpu_seconds(sim_pid)
    state.stop = True
    await asyncio.wait([c.closed for c in conns], timeout=5)
    for conn in conns:
        if conn.transport is not None:
            conn.transport.close()
    result = LoadResult(state.count, state.errors, elapsed, cpu1 - cpu0, state.latencies)
    return RemoteLoad(result, state, sim1 - sim0)


# ------------------------------------------------------------------ the benchmark
def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def sim_seconds(later: str, earlier: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


@dataclass
class Latency:
    wall: list[float]
    simulated: list[float]  # Done date - Accepted date + accept step
    statuses: Counter[str]


class RemoteBench(delivery.Bench):
    """delivery.py's driver (login, callback, JSON calls) plus remotes and the status read."""

    callback_id = ""

    def remote_path(self, vehicle_id: str) -> str:
        return f"{API}/vehicles/{vehicle_id}/callbacks/{self.callback_id}/remotes{QUERY}"

    async def vehicle_ids(self) -> list[str]:
        ids: list[str] = []
        url: str | None = self.sim_url + f"{API}/vehicles{QUERY}"
        while url is not None:
            page = await self._json("GET", url, headers=self.auth)
            ids += [v["id"] for v in page["_embedded"]["vehicles"]]
            url = page.get("_links", {}).get("next", {}).get("href")
            if url is not None and url.startswith("/"):
                url = self.sim_url + url
        return ids

    async def read(self, path: str) -> tuple[bytes, str]:
        async with self.session.get(self.sim_url + path, headers=self.auth) as resp:
            if resp.status != 200:
                raise SystemExit(f"GET {path} -> {resp.status}")
            return await resp.read(), resp.headers.get("Content-Type", "")

    async def send_remote(self, vehicle_id: str, body: dict[str, Any]) -> str:
        answer = await self._json(
            "POST",
            self.sim_url + self.remote_path(vehicle_id),
            expect=202,
            headers=self.auth,
            json=body,
        )
        return str(answer["remoteActionId"])

    async def receiver_stats(self) -> dict[str, Any]:
        return await self._json("GET", self.receiver_url + "/stats")

    async def receiver_remotes(self, ids: list[str]) -> dict[str, list[Any] | None]:
        return await self._json("POST", self.receiver_url + "/remotes", json=ids)

    async def wait_done(self, ids: list[str], timeout: float) -> tuple[dict[str, Any], float]:
        """Until the receiver has a Done for each of ``ids`` (it was reset before they were
        sent); its stats and the seconds waited."""
        started = time.monotonic()
        while True:
            stats = await self.receiver_stats()
            if stats["done"] >= len(ids) or time.monotonic() - started > timeout:
                return stats, time.monotonic() - started
            await asyncio.sleep(0.1)

    async def background(self, vehicles: list[str], rate: float, sent: list[int]) -> None:
        """Remotes at ``rate`` per second, round robin over vehicles and actions, until
        cancelled; ``sent[0]`` counts the 202s."""
        interval, due, k = 1 / rate, time.monotonic(), 0
        while True:
            due += interval
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            vid = vehicles[k % len(vehicles)]
            await self.send_remote(vid, ACTIONS[(k // len(vehicles)) % len(ACTIONS)])
            sent[0] += 1
            k += 1

    async def latency(self, vehicles: list[str], gap: float, timeout: float) -> Latency:
        sent: dict[str, float] = {}
        for i, vid in enumerate(vehicles):
            if i:
                await asyncio.sleep(gap)
            started = time.monotonic()
            sent[await self.send_remote(vid, ACTIONS[0])] = started
        deadline = time.monotonic() + timeout
        while True:
            found = await self.receiver_remotes(list(sent))
            if all(found.values()) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        wall, simulated = [], []
        accept = Timing().accept
        for rid, got in found.items():
            if got is None:
                continue
            arrival, done_date, accepted_date = got
            wall.append(arrival - sent[rid])
            if accepted_date:
                simulated.append(sim_seconds(done_date, accepted_date) + accept)
        if len(wall) < len(sent):
            print(f"latency: {len(sent) - len(wall)} of {len(sent)} Done not received")
        stats = await self.receiver_stats()
        return Latency(wall, simulated, Counter(stats["statuses"]))


async def status_ratio(
    b: RemoteBench,
    opts: argparse.Namespace,
    certs: CertStore,
    ports: dict[str, int],
    request: bytes,
    vehicles: list[str],
) -> tuple[dict[str, list[LoadResult]], int]:
    """``bench/http_status.py``'s alternating rounds; remotes in the background during the
    simulator's."""
    runs: dict[str, list[LoadResult]] = {name: [] for name in ports}
    sent = [0]
    for _ in range(opts.status_rounds):
        for name, port in ports.items():
            task = None
            if name == "simulator" and opts.background_rps > 0:
                task = asyncio.create_task(b.background(vehicles, opts.background_rps, sent))
            try:
                runs[name].append(
                    await run_load(
                        "127.0.0.1",
                        port,
                        request,
                        certs.client_context(),
                        connections=opts.status_connections,
                        duration=opts.status_duration,
                    )
                )
            finally:
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
    return runs, sent[0]


async def bench(opts: argparse.Namespace, certs: CertStore, tmp: Path, sim_args: list[str]) -> None:
    receiver, receiver_url = delivery.start_process(
        [sys.executable, str(SCRIPT), "_receiver", str(certs.directory)], cpu=1
    )
    sim_log = (tmp / "simulator.log").open("w")
    sim: Any = None
    bare: Any = None
    try:
        sim, sim_url = delivery.start_process(sim_args, cpu=0, stderr=sim_log)
        delivery._pin(1)  # this driver shares the receiver's CPU, not the measured one
        connector = aiohttp.TCPConnector(ssl=certs.client_context(), limit=0)
        timeout = aiohttp.ClientTimeout(total=600)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            b = RemoteBench(session, certs, sim, sim_url, receiver, receiver_url)
            await b.login()
            b.callback_id = await b.create_callback("bench", "/d/0", batched=True)
            ids = await b.vehicle_ids()
            need = 1 + opts.latency_samples + opts.vehicles
            if len(ids) < need:
                raise SystemExit(f"the simulator has {len(ids)} vehicles, {need} needed")
            status_vehicle = ids[0]
            latency_vehicles = ids[1 : 1 + opts.latency_samples]
            load_vehicles = ids[1 + opts.latency_samples : need]

            # status body for the bare server, read before any remote changes anything
            status_path = f"{API}/vehicles/{status_vehicle}/status"
            body, content_type = await b.read(status_path + QUERY)
            (tmp / "status.json").write_bytes(body)
            bare, bare_url = delivery.start_process(
                [
                    sys.executable,
                    str(SCRIPT.parent / "bare_server.py"),
                    str(certs.directory),
                    str(tmp / "status.json"),
                    content_type.split(";")[0],
                    status_path,
                ],
                cpu=0,
            )
            sim_port = int(sim_url.rsplit(":", 1)[1])

            # 1. throughput
            requests = [
                raw_request("POST", b.remote_path(vid), b.auth, json.dumps(action).encode())
                for action in ACTIONS
                for vid in load_vehicles
            ]
            await b.receiver_reset()
            load = await remote_load(
                sim_port,
                requests,
                certs.client_context(),
                sim.pid,
                connections=opts.connections,
                duration=opts.duration,
            )
            drained, drain_s = await b.wait_done(load.state.ids, opts.drain_timeout)
            found = await b.receiver_remotes(load.state.ids)
            missing = sum(1 for v in found.values() if v is None)

            # 2. GET status, simulator vs bare aiohttp
            status_request = raw_request("GET", status_path + QUERY, b.auth)
            ports = {"simulator": sim_port, "bare aiohttp": int(bare_url.rsplit(":", 1)[1])}
            runs, background_sent = await status_ratio(
                b, opts, certs, ports, status_request, load_vehicles
            )

            # 3. latency on vehicles still asleep
            await b.receiver_reset()
            lat = await b.latency(latency_vehicles, opts.latency_gap, opts.drain_timeout)
            sim_rss = delivery.rss_mb(sim.pid)
    finally:
        for proc in (bare, sim):
            if proc is not None:
                delivery.stop(proc)
        delivery.stop(receiver)
        sim_log.close()

    # ------------------------------------------------------------------ report
    ours = http_status.combine(runs["simulator"])
    base = http_status.combine(runs["bare aiohttp"])
    ratio = ours.rps / base.rps if base.rps else 0.0
    timing = Timing()
    nominal = timing.accept + timing.wake + timing.send + timing.execute
    accepted_all = len(load.state.ids)
    wall_med = statistics.median(lat.wall) if lat.wall else float("nan")
    wall_p95 = percentile(lat.wall, 0.95)
    r = load.result
    print(
        f"Remotes over mTLS to a simulator at --speed {opts.speed:g} on CPU 0, batched webhook "
        f"(size 100) to a receiver on CPU 1 (driver on CPU 1 too)"
    )
    print()
    print(
        f"1. throughput: {opts.connections} keep-alive connections, {opts.duration:g} s after "
        f"1 s warm-up, {len(load_vehicles)} vehicles x {len(ACTIONS)} actions in rotation"
    )
    print(
        f"   {load.accepted} remotes accepted (202) in the window = {load.rate:,.0f}/s; other "
        f"answers {r.errors}; POST p50 {r.percentile(0.5):.2f} ms, p99 {r.percentile(0.99):.2f} "
        f"ms; all answers {dict(load.state.answers)}"
    )
    print(
        f"   simulator CPU {100 * load.sim_cpu_seconds / r.seconds:.0f} % = "
        f"{1e6 * load.sim_cpu_seconds / max(1, load.accepted):.0f} us/remote (deliveries "
        f"included); load generator CPU {100 * r.client_cpu_seconds / r.seconds:.0f} %"
    )
    notes = drained["messages"]
    print(
        f"   notifications received: {notes} in {drained['requests']} POSTs "
        f"({notes / max(1, accepted_all):.2f} per accepted remote); Done {drained['done']} for "
        f"{accepted_all} accepted (warm-up included), {missing} missing, "
        f"{drained['done_messages'] - drained['done']} duplicate; all Done {drain_s:.1f} s "
        f"after the load stopped"
    )
    print(
        "   by status: "
        + ", ".join(f"{k} {v}" for k, v in sorted(drained["statuses"].items(), key=lambda i: -i[1]))
    )
    print()
    print(
        f"2. GET status, {opts.status_connections} connections, {opts.status_rounds} alternating "
        f"rounds of {opts.status_duration:g} s, body {len(body)} bytes; {background_sent} remotes "
        f"sent in the background during the simulator's rounds "
        f"(~{opts.background_rps:g}/s)"
    )
    http_status.report("simulator", ours)
    http_status.report("bare aiohttp", base)
    per_round = [
        a.rps / b_.rps for a, b_ in zip(runs["simulator"], runs["bare aiohttp"], strict=True)
    ]
    print("   per round ratio: " + ", ".join(f"{x:.2f}" for x in per_round))
    print()
    print(
        f"3. latency: {len(lat.wall)} horn remotes on sleeping vehicles, {opts.latency_gap:g} s "
        f"apart; simulated {nominal:g} s (accept {timing.accept:g} + wake {timing.wake:g} + send "
        f"{timing.send:g} + execute {timing.execute:g}) / speed {opts.speed:g} = ideal "
        f"{nominal / opts.speed:.2f} s"
    )
    if lat.simulated:
        print(
            f"   simulated POST->Done from notification dates: median "
            f"{statistics.median(lat.simulated):.2f} s, max {max(lat.simulated):.2f} s"
        )
    print(
        f"   wall POST->Done received: median {wall_med:.3f} s, p95 {wall_p95:.3f} s, max "
        f"{max(lat.wall, default=float('nan')):.3f} s; overhead over ideal (median) "
        f"{1000 * (wall_med - nominal / opts.speed):.0f} ms"
    )
    print("   by status: " + ", ".join(f"{k} {v}" for k, v in sorted(lat.statuses.items())))
    print()
    header = f"{'measure':<40} {'figure':>22}  {'target':<24} {'met':<3}"
    print(header)
    print("-" * len(header))
    rows = [
        (
            "remotes accepted/s (simulator on 1 core)",
            f"{load.rate:,.0f}",
            f">= {TARGET_REMOTES:,.0f}",
            "yes" if load.rate >= TARGET_REMOTES else "NO",
        ),
        (
            "accepted remotes with Done received",
            f"{accepted_all - missing} / {accepted_all}",
            "all",
            "yes" if not missing and accepted_all else "NO",
        ),
        (
            "GET status simulator / bare aiohttp",
            f"{ratio:.2f}",
            f">= {TARGET_RATIO:.2f}",
            "yes" if ratio >= TARGET_RATIO else "NO",
        ),
        (
            f"e2e latency median / p95 (sim {nominal:g} s)",
            f"{wall_med:.2f} / {wall_p95:.2f} s",
            f"(ideal {nominal / opts.speed:.2f} s)",
            "",
        ),
    ]
    for name, figure, target, met in rows:
        print(f"{name:<40} {figure:>22}  {target:<24} {met:<3}")
    print(f"simulator RSS after the run: {sim_rss:.1f} MB")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_receiver":
        asyncio.run(receiver_main(Path(sys.argv[2])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of remote load")
    parser.add_argument("--connections", type=int, default=20, help="for the remote load")
    parser.add_argument("--vehicles", type=int, default=50, help="vehicles the load cycles over")
    parser.add_argument("--speed", type=float, default=10.0, help="simulated seconds per second")
    parser.add_argument("--latency-samples", type=int, default=20)
    parser.add_argument("--latency-gap", type=float, default=0.1, help="seconds between them")
    parser.add_argument("--status-rounds", type=int, default=3)
    parser.add_argument("--status-duration", type=float, default=2.0, help="seconds per round")
    parser.add_argument("--status-connections", type=int, default=50)
    parser.add_argument(
        "--background-rps", type=float, default=100.0, help="remotes/s during status rounds"
    )
    parser.add_argument("--drain-timeout", type=float, default=60.0)
    parser.add_argument(
        "--profile", type=Path, default=None, metavar="FILE", help="cProfile the simulator"
    )
    parser.add_argument("--extra-args", default="", help="more simulator serve options")
    opts = parser.parse_args()
    if min(opts.connections, opts.vehicles, opts.latency_samples, opts.status_rounds) < 1:
        parser.error("connections, vehicles, latency samples and rounds must be positive")
    if min(opts.duration, opts.speed, opts.status_duration) <= 0:
        parser.error("durations and speed must be positive")

    with tempfile.TemporaryDirectory() as tmp:
        certs = CertStore(Path(tmp) / "certs")
        certs.ensure()
        sim_args = delivery.serve_command(
            certs,
            opts.profile,
            *("--vehicles", str(1 + opts.latency_samples + opts.vehicles)),
            *("--speed", str(opts.speed), "--log-format", "json"),
            *opts.extra_args.split(),
        )
        asyncio.run(bench(opts, certs, Path(tmp), sim_args))


if __name__ == "__main__":
    main()
