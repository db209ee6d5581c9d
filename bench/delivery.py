"""Webhook delivery: events per second from the simulator to a local HTTPS receiver.

    python bench/delivery.py [--events-unbatched 5000] [--events-batched 100000]
                             [--slow-ms 5] [--rounds 3] [--keep-awake] [--profile FILE]

Two cases, each against a baseline measured in the same run: a bare aiohttp
client loop POSTing the same bytes, one request in flight on one keep-alive
connection (what the engine does per callback target), to the same receiver.

* unbatched: a callback without ``batch``, one event per POST, receiver
  answering at once.  Targets: >= 1,500 events/s and >= 0.9 of the baseline.
* batched: ``batch: {enabled: true, size: 100}`` and a receiver sleeping
  ``--slow-ms`` per request.  Targets: >= 15,000 events/s, >= 0.9 of the baseline and
  at most 15 us of the simulator's CPU per delivered event.

The simulator (``serve --manual-clock``) and the baseline client each run in
their own process pinned to CPU 0; the receiver and this driver on CPU 1 when
the machine has two.  The events are raised (``POST /simulator/v1/notifications``,
10,000 per call) while the receiver holds the first request back; the simulator's
time and CPU run from the moment the receiver lets requests through to its answer to
the last event, so they measure delivery alone (the raise calls' time and CPU are
printed apart: raising is the control API's work).  The baseline's time runs from its
first POST to the same.  The receiver counts
the messages it answered (array length, or 1).  The simulator logs as ``serve`` does
(``--log-format``, text by default), on a stdout that is read (``cat`` on CPU 1);
the number of lines written and dropped is printed last.  Rounds alternate simulator
and baseline; the table shows medians.  Below the table: POSTs, average batch,
CPU use of the simulator (or baseline client) and of the receiver.

With one POST in flight, ``--slow-ms`` alone caps the batched case at
100 events / slow-ms (20,000 events/s at 5 ms).  On a VM, waking a halted vCPU
can cost more than the request itself; ``--keep-awake`` runs a SCHED_IDLE
busy loop on each CPU to take that out (it can also cost CPU quota).
``--profile FILE`` runs the simulator under cProfile (figures then slower).

Internal roles of this file (started by the benchmark itself):
    python bench/delivery.py _receiver CERTS_DIR
    python bench/delivery.py _baseline CERTS_DIR URL BODY_FILE POSTS
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from simulator.tls import CertStore

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(__file__).resolve()
CHUNK = 10_000  # most events one control call may raise
BATCH_SIZE = 100
VIN = "VR3UHZKXZLT000001"
REMOTE_EVENT: dict[str, Any] = {
    "remoteActionId": "bench-remote-action",
    "remoteType": "Horn",
    "eventStatus": {"type": "Done", "status": "Success"},
}
TARGET_UNBATCHED = 1_500.0
TARGET_BATCHED = 15_000.0
TARGET_RATIO = 0.9
TARGET_CPU_US = 15.0  # CPU per delivered event, batched (the raise calls apart)
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ processes
def _pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {cpu})


def start_process(
    args: list[str], cpu: int, stderr: Any = None
) -> tuple[subprocess.Popen[str], str]:
    """Start ``args`` pinned to ``cpu``; wait for its ``ready URL`` line."""
    proc = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        cwd=ROOT,
        preexec_fn=lambda: _pin(cpu),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("ready "):
        proc.kill()
        raise SystemExit(f"{args[1:4]} did not start: {line!r}")
    return proc, line.split(" ", 1)[1]


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def drain(proc: subprocess.Popen[str], into: Path) -> subprocess.Popen[bytes]:
    """Read what ``proc`` prints after its ready line (its log lines) into ``into``, on
    CPU 1, as a terminal or a log shipper would (an unread pipe would make it drop lines)."""
    with into.open("wb") as out:
        return subprocess.Popen(["cat"], stdin=proc.stdout, stdout=out, preexec_fn=lambda: _pin(1))


def log_lines(stdout: Path, stderr: Path) -> None:
    """How many log lines the simulator wrote, and whether it had to drop any."""
    lines = dropped = 0
    for path in (stdout, stderr):
        with path.open("rb") as f:
            for line in f:
                lines += 1
                found = re.search(rb"(\d+) log lines dropped", line)
                if found:
                    dropped += int(found.group(1))
    print(f"simulator log lines written: {lines:,}; dropped (output not read fast enough): "
          f"{dropped:,}")  # fmt: skip


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    return stat_cpu_seconds(Path(f"/proc/{pid}/stat"))


def stat_cpu_seconds(stat: Path) -> float:
    """User + system CPU time in a ``/proc`` stat file (a process's or a thread's)."""
    text = stat.read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


# ------------------------------------------------------------------ receiver role
class Tally:
    """What the receiver answered since the last reset."""

    def __init__(self) -> None:
        self.waiters: list[tuple[int, asyncio.Future[None]]] = []
        self.reset()

    def reset(self) -> None:
        self.messages = 0
        self.requests = 0
        self.first = 0.0
        self.last = 0.0
        self.last_body = b""
        for _, fut in self.waiters:
            if not fut.done():
                fut.set_result(None)
        self.waiters = []

    def add(self, messages: int, body: bytes) -> None:
        now = time.monotonic()
        if not self.requests:
            self.first = now
        self.messages += messages
        self.requests += 1
        self.last = now
        self.last_body = body
        if self.waiters:
            ready = [w for w in self.waiters if w[0] <= self.messages]
            for _, fut in ready:
                if not fut.done():
                    fut.set_result(None)
            self.waiters = [w for w in self.waiters if w[0] > self.messages]

    async def wait(self, messages: int, timeout: float) -> None:
        if self.messages >= messages:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append((messages, fut))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(fut, timeout)

    def snapshot(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "requests": self.requests,
            "first": self.first,
            "last": self.last,
        }


async def receiver_main(certs: Path) -> None:
    """HTTPS (webhook.pem) on a free port: ``POST /d/{ms}`` waits ``ms`` then answers 200
    and counts the messages (held back between ``POST /hold`` and ``POST /release``);
    ``POST /warm`` answers without counting; ``POST /reset``,
    ``GET /wait?n=&timeout=`` (long poll) and ``GET /last`` (the last body) steer it."""
    tally = Tally()
    gate = asyncio.Event()
    gate.set()

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        await gate.wait()
        delay = int(request.match_info["ms"])
        if delay:
            await asyncio.sleep(delay / 1000)
        tally.add(body.count(b'"eventId"') if body[:1] == b"[" else 1, body)
        return web.Response()

    async def warm(request: web.Request) -> web.Response:
        await request.read()
        return web.Response()

    async def reset(_: web.Request) -> web.Response:
        tally.reset()
        return web.json_response(tally.snapshot())

    async def hold(_: web.Request) -> web.Response:
        gate.clear()
        return web.json_response({})

    async def release(_: web.Request) -> web.Response:
        gate.set()
        return web.json_response({})

    async def wait(request: web.Request) -> web.Response:
        await tally.wait(int(request.query["n"]), float(request.query.get("timeout", "60")))
        return web.json_response(tally.snapshot())

    async def last(_: web.Request) -> web.Response:
        return web.Response(body=tally.last_body, content_type="application/json")

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post(r"/d/{ms:\d+}", hook)
    app.router.add_post("/warm", warm)
    app.router.add_post("/reset", reset)
    app.router.add_post("/hold", hold)
    app.router.add_post("/release", release)
    app.router.add_get("/wait", wait)
    app.router.add_get("/last", last)
    await serve_until_sigterm(app, certs)


async def serve_until_sigterm(app: web.Application, certs: Path) -> None:
    """Serve ``app`` over HTTPS (``webhook.pem``) on a free port, print the ready line,
    stop on SIGTERM."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(
        runner, "127.0.0.1", 0, ssl_context=CertStore(certs).webhook_server_context()
    )
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.base_events.Server)
    print(f"ready https://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    done = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
    await done.wait()
    await runner.cleanup()


# ------------------------------------------------------------------ baseline client role
async def baseline_main(certs: Path, url: str, body_file: Path, posts: int) -> None:
    """POST the same bytes ``posts`` times, one at a time on one keep-alive connection;
    print the monotonic start, end and this process's CPU seconds as JSON."""
    body = body_file.read_bytes()
    headers = {"Content-Type": "application/json"}
    errors = 0
    connector = aiohttp.TCPConnector(ssl=CertStore(certs).outbound_context())
    async with aiohttp.ClientSession(connector=connector) as session:
        warm_url = url.split("/d/", 1)[0] + "/warm"
        async with session.post(warm_url, data=body, headers=headers) as resp:
            await resp.read()
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        started = time.monotonic()
        for _ in range(posts):
            async with session.post(url, data=body, headers=headers) as resp:
                await resp.read()
                if resp.status != 200:
                    errors += 1
        ended = time.monotonic()
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(json.dumps({"start": started, "end": ended, "cpu": cpu, "errors": errors}))


# ------------------------------------------------------------------ spinner role
def spin_main() -> None:
    """Burn idle time at the lowest priority, so that the CPU never halts (--keep-awake)."""
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    while True:
        pass


def start_spinners() -> list[subprocess.Popen[str]]:
    if (os.cpu_count() or 1) < 2 or not hasattr(os, "SCHED_IDLE"):
        return []
    return [
        subprocess.Popen(
            [sys.executable, str(SCRIPT), "_spin"], text=True, preexec_fn=partial(_pin, cpu)
        )
        for cpu in (0, 1)
    ]


# ------------------------------------------------------------------ the benchmark
@dataclass
class Run:
    events: int
    requests: int
    seconds: float
    cpu_seconds: float  # the simulator's, or the baseline client's
    receiver_cpu_seconds: float
    intake_seconds: float = 0.0  # simulator only: time spent in the raise calls
    intake_cpu_seconds: float = 0.0  # simulator only: its CPU during the raise calls

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def avg_batch(self) -> float:
        return self.events / self.requests if self.requests else 0.0

    @property
    def cpu_share(self) -> float:
        return self.cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def receiver_share(self) -> float:
        return self.receiver_cpu_seconds / self.seconds if self.seconds else 0.0


@dataclass
class Case:
    name: str
    events: int
    path: str  # on the receiver: /d/{ms}
    callback_id: str
    body_file: Path
    per_post: int  # messages per baseline POST
    target: float
    target_ratio: float | None
    target_cpu_us: float | None = None  # delivery CPU per event, at most


class Bench:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        certs: CertStore,
        sim: subprocess.Popen[str],
        sim_url: str,
        receiver: subprocess.Popen[str],
        receiver_url: str,
    ) -> None:
        self.session = session
        self.certs = certs
        self.sim = sim
        self.receiver = receiver
        self.sim_url = sim_url
        self.receiver_url = receiver_url
        self.auth: dict[str, str] = {}

    # -------------------------------------------------------------- plumbing
    async def _json(
        self, method: str, url: str, *, expect: int = 200, **kwargs: Any
    ) -> dict[str, Any]:
        async with self.session.request(method, url, **kwargs) as resp:
            text = await resp.text()
            if resp.status != expect:
                raise SystemExit(f"{method} {url} -> {resp.status}: {text[:500]}")
            answer: dict[str, Any] = json.loads(text) if text else {}
            return answer

    async def login(self) -> None:
        form = {
            "grant_type": "password",
            "username": "demo@example.com",
            "password": "demo",
            "client_id": "demo-client",
            "client_secret": "demo-secret",
        }
        token = await self._json("POST", self.sim_url + "/am/oauth2/access_token", data=form)
        self.auth = {
            "Authorization": f"Bearer {token['access_token']}",
            "x-introspect-realm": "clientsB2CPeugeot",
        }

    async def create_callback(self, label: str, path: str, batched: bool) -> str:
        webhook: dict[str, Any] = {"target": self.receiver_url + path, "name": "bench"}
        if batched:
            webhook["batch"] = {"enabled": True, "size": BATCH_SIZE}
        ref = await self._json(
            "POST",
            self.sim_url + "/connectedcar/v4/user/callbacks?client_id=demo-client",
            headers=self.auth,
            json={"label": label, "type": ["Remote"], "callback": {"webhook": webhook}},
        )
        return str(ref["callbackId"])

    async def raise_events(self, callback_id: str, count: int) -> None:
        left = count
        while left:
            n = min(CHUNK, left)
            await self._json(
                "POST",
                self.sim_url + "/simulator/v1/notifications",
                expect=202,
                json={
                    "callbackId": callback_id,
                    "vin": VIN,
                    "type": "Remote",
                    "remoteEvent": REMOTE_EVENT,
                    "count": n,
                },
            )
            left -= n

    async def receiver_reset(self) -> None:
        await self._json("POST", self.receiver_url + "/reset")

    async def receiver_wait(self, messages: int) -> dict[str, Any]:
        timeout = max(60.0, messages / 200)
        snap = await self._json(
            "GET",
            self.receiver_url + "/wait",
            params={"n": str(messages), "timeout": str(timeout)},
            timeout=aiohttp.ClientTimeout(total=timeout + 30),
        )
        if snap["messages"] < messages:
            pending = await self._json("GET", self.sim_url + "/simulator/v1/deliveries/pending")
            journal = await self._json(
                "GET", self.sim_url + "/simulator/v1/deliveries", params={"limit": "1"}
            )
            raise SystemExit(
                f"the receiver got {snap['messages']} of {messages} messages in {timeout:.0f} s; "
                f"pending {pending}; journal counts {journal['counts']}"
            )
        return snap

    async def sim_idle(self) -> None:
        """Until the engine has no lane queued or in flight (journal written)."""
        for _ in range(1000):
            pending = await self._json("GET", self.sim_url + "/simulator/v1/deliveries/pending")
            if not pending["lanes"]:
                return
            await asyncio.sleep(0.01)
        raise SystemExit(f"the simulator is still busy: {pending}")

    async def last_body(self) -> bytes:
        async with self.session.get(self.receiver_url + "/last") as resp:
            return await resp.read()

    # -------------------------------------------------------------- measurements
    async def warm_up(self, callback_id: str, events: int) -> bytes:
        """Deliver a few events (first-use costs out of the way); the last body received."""
        await self.receiver_reset()
        await self.raise_events(callback_id, events)
        await self.receiver_wait(events)
        await self.sim_idle()
        return await self.last_body()

    async def simulator_run(self, case: Case) -> Run:
        """Raise the events while the receiver holds the first request, then time their
        delivery from the moment it lets requests through."""
        await self.sim_idle()
        await self.receiver_reset()
        await self._json("POST", self.receiver_url + "/hold")
        intake_cpu0 = cpu_seconds(self.sim.pid)
        intake_started = time.monotonic()
        await self.raise_events(case.callback_id, case.events)
        intake = time.monotonic() - intake_started
        cpu0, rcpu0 = cpu_seconds(self.sim.pid), cpu_seconds(self.receiver.pid)
        started = time.monotonic()
        await self._json("POST", self.receiver_url + "/release")
        snap = await self.receiver_wait(case.events)
        cpu1, rcpu1 = cpu_seconds(self.sim.pid), cpu_seconds(self.receiver.pid)
        seconds = snap["last"] - started
        return Run(snap["messages"], snap["requests"], seconds, cpu1 - cpu0, rcpu1 - rcpu0, intake,
                   cpu0 - intake_cpu0)  # fmt: skip

    async def baseline_run(self, case: Case) -> Run:
        await self.receiver_reset()
        posts = -(-case.events // case.per_post)
        rcpu0 = cpu_seconds(self.receiver.pid)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SCRIPT),
            "_baseline",
            str(self.certs.directory),
            self.receiver_url + case.path,
            str(case.body_file),
            str(posts),
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
            preexec_fn=lambda: _pin(0),
        )
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"baseline client failed ({proc.returncode})")
        result = json.loads(out.decode().strip().splitlines()[-1])
        if result["errors"]:
            raise SystemExit(f"baseline client: {result['errors']} non-200 answers")
        snap = await self.receiver_wait(posts * case.per_post)
        rcpu = cpu_seconds(self.receiver.pid) - rcpu0
        seconds = snap["last"] - result["start"]
        return Run(snap["messages"], snap["requests"], seconds, result["cpu"], rcpu)


# ------------------------------------------------------------------ report
def median_run(runs: list[Run]) -> Run:
    """The run with the median rate (lower median for an even count)."""
    ordered = sorted(runs, key=lambda r: r.rate)
    return ordered[(len(ordered) - 1) // 2]


def report(
    cases: list[Case],
    results: dict[str, tuple[list[Run], list[Run]]],
    opts: argparse.Namespace,
    sim_rss: float,
) -> None:
    print(
        f"Webhook delivery to a local HTTPS receiver (mTLS control API, TLS to the receiver), "
        f"{opts.rounds} alternating rounds, medians; simulator and baseline client on CPU 0, "
        f"receiver on CPU {1 if (os.cpu_count() or 1) > 1 else 0}"
        + ("; SCHED_IDLE spinners keep both CPUs awake" if opts.keep_awake else "")
    )
    header = (
        f"{'case':<10} {'events':>7} {'seconds':>8} {'events/s':>9} {'baseline ev/s':>13} "
        f"{'ratio':>6} {'CPU us':>7}  {'target':<38} {'met':<3}"
    )
    print(header)
    print("-" * len(header))
    for case in cases:
        ours, base = results[case.name]
        sim, bl = median_run(ours), median_run(base)
        ratio = sim.rate / bl.rate if bl.rate else 0.0
        cpu_us = 1e6 * sim.cpu_seconds / sim.events
        target = f">= {case.target:,.0f} ev/s"
        met = sim.rate >= case.target
        if case.target_ratio is not None:
            target += f", ratio >= {case.target_ratio:.1f}"
            met = met and ratio >= case.target_ratio
        if case.target_cpu_us is not None:
            target += f", <= {case.target_cpu_us:.0f} us"
            met = met and cpu_us <= case.target_cpu_us
        print(
            f"{case.name:<10} {sim.events:>7} {sim.seconds:>8.2f} {sim.rate:>9,.0f} "
            f"{bl.rate:>13,.0f} {ratio:>6.2f} {cpu_us:>7.1f}  {target:<38} "
            f"{'yes' if met else 'NO':<3}"
        )
    print()
    for case in cases:
        ours, base = results[case.name]
        sim, bl = median_run(ours), median_run(base)
        print(
            f"{case.name} (receiver {case.path}): simulator {sim.requests} POSTs, avg batch "
            f"{sim.avg_batch:.1f}, CPU {100 * sim.cpu_share:.0f} % = "
            f"{1e6 * sim.cpu_seconds / sim.events:.1f} us/event, receiver CPU "
            f"{100 * sim.receiver_share:.0f} %; before that, the raise calls took "
            f"{sim.intake_seconds:.2f} s, {1e6 * sim.intake_cpu_seconds / sim.events:.1f} us of "
            f"CPU per event"
        )
        print(
            f"  baseline {bl.requests} POSTs, avg batch {bl.avg_batch:.1f}, client CPU "
            f"{100 * bl.cpu_share:.0f} % = {1e6 * bl.cpu_seconds / bl.events:.1f} us/event, "
            f"receiver CPU {100 * bl.receiver_share:.0f} %"
        )
        print(
            "  per round simulator / baseline ev/s: "
            + ", ".join(f"{a.rate:,.0f} / {b.rate:,.0f}" for a, b in zip(ours, base, strict=True))
            + f"; median of per-round ratios "
            f"{statistics.median(a.rate / b.rate for a, b in zip(ours, base, strict=True)):.2f}"
        )
    if opts.slow_ms:
        ceiling = BATCH_SIZE * 1000 / opts.slow_ms
        print(
            f"note: one POST in flight per target, {BATCH_SIZE} events per POST and "
            f"{opts.slow_ms} ms per answer cap batched delivery at {ceiling:,.0f} events/s "
            f"before any network or CPU cost"
        )
    print(f"simulator RSS after the run: {sim_rss:.1f} MB")


# ------------------------------------------------------------------ main
async def bench(opts: argparse.Namespace, certs: CertStore, tmp: Path, sim_args: list[str]) -> None:
    receiver, receiver_url = start_process(
        [sys.executable, str(SCRIPT), "_receiver", str(certs.directory)], cpu=1
    )
    sim_log = (tmp / "simulator.log").open("w")
    sim: subprocess.Popen[str] | None = None
    sim_out: subprocess.Popen[bytes] | None = None
    spinners: list[subprocess.Popen[str]] = []
    try:
        if opts.keep_awake:
            spinners = start_spinners()
        sim, sim_url = start_process(sim_args, cpu=0, stderr=sim_log)
        sim_out = drain(sim, tmp / "simulator.out")
        _pin(1)  # this driver shares the receiver's CPU, not the measured one
        connector = aiohttp.TCPConnector(ssl=certs.client_context(), limit=0)
        timeout = aiohttp.ClientTimeout(total=600)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            b = Bench(session, certs, sim, sim_url, receiver, receiver_url)
            await b.login()
            fast, slow = "/d/0", f"/d/{opts.slow_ms}"
            unbatched_id = await b.create_callback("bench unbatched", fast, batched=False)
            batched_id = await b.create_callback("bench batched", slow, batched=True)
            one = await b.warm_up(unbatched_id, 200)
            if one[:1] != b"{":
                raise SystemExit(f"unexpected unbatched body: {one[:200]!r}")
            many = await b.warm_up(batched_id, 2 * BATCH_SIZE + 1)
            if many.count(b'"eventId"') != BATCH_SIZE:
                many = b"[" + b",".join([one] * BATCH_SIZE) + b"]"
            (tmp / "one.json").write_bytes(one)
            (tmp / "batch.json").write_bytes(many)
            cases = [
                Case(
                    "unbatched",
                    opts.events_unbatched,
                    fast,
                    unbatched_id,
                    tmp / "one.json",
                    1,
                    TARGET_UNBATCHED,
                    TARGET_RATIO,
                ),
                Case(
                    "batched",
                    opts.events_batched,
                    slow,
                    batched_id,
                    tmp / "batch.json",
                    BATCH_SIZE,
                    TARGET_BATCHED,
                    TARGET_RATIO,
                    TARGET_CPU_US,
                ),
            ]
            results: dict[str, tuple[list[Run], list[Run]]] = {c.name: ([], []) for c in cases}
            for case in cases:
                for _ in range(opts.rounds):
                    results[case.name][0].append(await b.simulator_run(case))
                    results[case.name][1].append(await b.baseline_run(case))
            await b.sim_idle()
            journal = await b._json(
                "GET", sim_url + "/simulator/v1/deliveries", params={"limit": "1"}
            )
            sim_rss = rss_mb(sim.pid)
    finally:
        for spinner in spinners:
            stop(spinner)
        if sim is not None:
            stop(sim)
        stop(receiver)
        sim_log.close()
    if sim_out is not None:
        sim_out.wait()
    report(cases, results, opts, sim_rss)
    log_lines(tmp / "simulator.out", tmp / "simulator.log")
    print(f"simulator journal (last {sum(journal['counts'].values())}): {journal['counts']}")


def serve_command(certs: CertStore, profile: Path | None, *options: str) -> list[str]:
    """``python -m simulator serve`` on a free port with these certificates (under cProfile
    writing to ``profile`` if given)."""
    runner = [sys.executable]
    if profile is not None:
        runner += ["-m", "cProfile", "-o", str(profile.resolve())]
    return [*runner, "-m", "simulator", "serve", "--port", "0", "--certs", str(certs.directory),
            *options]  # fmt: skip


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_receiver":
        asyncio.run(receiver_main(Path(sys.argv[2])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_spin":
        spin_main()
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_baseline":
        certs_dir, url, body, posts = sys.argv[2:6]
        asyncio.run(baseline_main(Path(certs_dir), url, Path(body), int(posts)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events-unbatched", type=int, default=5_000)
    parser.add_argument("--events-batched", type=int, default=100_000)
    parser.add_argument("--slow-ms", type=int, default=5, help="receiver delay, batched case")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per case")
    parser.add_argument(
        "--profile", type=Path, default=None, metavar="FILE", help="cProfile the simulator"
    )
    parser.add_argument(
        "--keep-awake",
        action="store_true",
        help="run a SCHED_IDLE busy loop on each CPU so that no CPU halts between requests "
        "(on VMs a halted vCPU takes long to wake, which dominates one-in-flight latency)",
    )
    parser.add_argument("--extra-args", default="", help="more simulator serve options")
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="the simulator's log lines (read from its stdout as a terminal would)",
    )
    opts = parser.parse_args()
    if min(opts.events_unbatched, opts.events_batched, opts.rounds) < 1 or opts.slow_ms < 0:
        parser.error("events and rounds must be positive, --slow-ms not negative")

    with tempfile.TemporaryDirectory() as tmp:
        certs = CertStore(Path(tmp) / "certs")
        certs.ensure()
        sim_args = serve_command(
            certs,
            opts.profile,
            "--manual-clock",
            "--log-format",
            opts.log_format,
            *opts.extra_args.split(),
        )
        asyncio.run(bench(opts, certs, Path(tmp), sim_args))


if __name__ == "__main__":
    main()
