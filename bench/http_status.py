"""GET status over mTLS with keep-alive: the simulator against bare aiohttp, same bytes, same TLS.

    python bench/http_status.py [--connections 50] [--duration 2] [--rounds 8] [--uvloop]

Prints both throughputs and their ratio (target >= 0.9), each server's CPU per
request (less sensitive to a busy machine than the rates), the time from process
start to the ready line (target < 1 s with certificates present) and the
simulator's RSS after the load.  Each server runs in its own process pinned to
CPU 0 and the load generator to CPU 1 when the machine has two.

The simulator runs as a plain ``serve`` does: text log lines at ``info``, one per
request, on a stdout that is read (``cat`` to /dev/null on CPU 1, as a terminal or
a container runtime would); ``--extra-args=--quiet`` measures it without them.
``--uvloop`` runs both servers on uvloop's event loop instead of asyncio's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from delivery import cpu_seconds, stat_cpu_seconds
from loadgen import LoadResult, run_load

from simulator.tls import CertStore

ROOT = Path(__file__).resolve().parents[1]


def _pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {cpu})


def loop_cpu_seconds(pid: int) -> float:
    """The CPU of process ``pid``'s main thread (its event loop) so far; the rest of
    :func:`cpu_seconds` is its other threads' (the simulator's log writer)."""
    return stat_cpu_seconds(Path(f"/proc/{pid}/task/{pid}/stat"))


def drain(proc: subprocess.Popen[str]) -> subprocess.Popen[bytes]:
    """Read what ``proc`` prints after its ready line (its log lines), on CPU 1."""
    return subprocess.Popen(
        ["cat"], stdin=proc.stdout, stdout=subprocess.DEVNULL, preexec_fn=lambda: _pin(1)
    )


_ON_UVLOOP = (
    "import runpy, sys, uvloop; uvloop.install(); target = sys.argv.pop(1); "
    "runpy.run_module(target[3:], run_name='__main__', alter_sys=True) "
    "if target.startswith('-m ') else runpy.run_path(target, run_name='__main__')"
)
"""Runs a script or ``-m module`` on uvloop's event loop (``asyncio.run`` picks the policy)."""


def python(script: str, *, uvloop: bool) -> list[str]:
    """The command line running ``script`` (a path, or ``-m module``) on the loop asked."""
    if uvloop:
        return [sys.executable, "-c", _ON_UVLOOP, script]
    return [sys.executable, *script.split(" ", 1)]


def start_process(args: list[str]) -> tuple[subprocess.Popen[str], str, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, text=True, cwd=ROOT, preexec_fn=lambda: _pin(0)
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    elapsed = time.perf_counter() - started
    if not line.startswith("ready "):
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return proc, line.split(" ", 1)[1], elapsed


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fetch(
    url: str, certs: CertStore, *, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[bytes, str]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(req, context=certs.client_context(), timeout=30) as resp:
        return resp.read(), resp.headers.get("Content-Type", "")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def status_call(sim_url: str, certs: CertStore) -> tuple[str, dict[str, str], bytes, str]:
    """Sign in as the demo user and GET the first vehicle's status once.

    Answers the status path, the API headers (token and realm), the body and
    its content type: what a load generator or a bare server needs to serve
    or ask for the same bytes.
    """
    form = urllib.parse.urlencode(
        {
            "grant_type": "password",
            "username": "demo@example.com",
            "password": "demo",
            "client_id": "demo-client",
            "client_secret": "demo-secret",
        }
    ).encode()
    token = json.loads(fetch(sim_url + "/am/oauth2/access_token", certs, data=form)[0])
    auth = {
        "Authorization": f"Bearer {token['access_token']}",
        "x-introspect-realm": "clientsB2CPeugeot",
    }
    listing = json.loads(
        fetch(
            sim_url + "/connectedcar/v4/user/vehicles?client_id=demo-client", certs, headers=auth
        )[0]
    )
    vid = listing["_embedded"]["vehicles"][0]["id"]
    path = f"/connectedcar/v4/user/vehicles/{vid}/status"
    body, content_type = fetch(f"{sim_url}{path}?client_id=demo-client", certs, headers=auth)
    return path, auth, body, content_type


def raw_get(path: str, auth: dict[str, str]) -> bytes:
    """The raw keep-alive request line and headers of a status GET."""
    return (
        f"GET {path}?client_id=demo-client HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: {auth['Authorization']}\r\n"
        f"x-introspect-realm: {auth['x-introspect-realm']}\r\n\r\n"
    ).encode()


def report(name: str, result: LoadResult) -> None:
    print(
        f"{name:<12} {result.rps:>9.0f} req/s  p50 {result.percentile(0.5):6.2f} ms  "
        f"p99 {result.percentile(0.99):6.2f} ms  errors {result.errors}  "
        f"load-generator CPU {100 * result.client_cpu_seconds / result.seconds:4.0f} %"
    )


def cpu_per_request_us(result: LoadResult, cpu: float, warmup: float = 1.0) -> float:
    """A server's CPU per request in a round, approximately: ``run_load``'s warm-up second
    is taken to run at the measured rate (connecting, handshakes, closing count in)."""
    served = result.rps * (result.seconds + warmup)
    return 1e6 * cpu / served if served else float("nan")


def combine(results: list[LoadResult]) -> LoadResult:
    return LoadResult(
        requests=sum(r.requests for r in results),
        errors=sum(r.errors for r in results),
        seconds=sum(r.seconds for r in results),
        client_cpu_seconds=sum(r.client_cpu_seconds for r in results),
        latencies_ms=[x for r in results for x in r.latencies_ms],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=8, help="alternating rounds per server")
    parser.add_argument("--vehicles", type=int, default=3)
    parser.add_argument("--extra-args", default="", help="more simulator serve options")
    parser.add_argument("--uvloop", action="store_true", help="both servers on uvloop")
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        certs = CertStore(Path(tmp) / "certs")
        certs.ensure()
        sim, sim_url, ready_s = start_process(
            [
                *python("-m simulator", uvloop=opts.uvloop),
                "serve",
                "--port",
                "0",
                "--certs",
                str(certs.directory),
                "--vehicles",
                str(opts.vehicles),
                *opts.extra_args.split(),
            ]
        )
        bare = None
        reader = drain(sim)
        try:
            path, auth, body, content_type = status_call(sim_url, certs)
            body_file = Path(tmp) / "status.json"
            body_file.write_bytes(body)
            bare, bare_url, _ = start_process(
                [
                    *python(str(ROOT / "bench" / "bare_server.py"), uvloop=opts.uvloop),
                    str(certs.directory),
                    str(body_file),
                    content_type.split(";")[0],
                    path,
                ]
            )
            request = raw_get(path, auth)
            _pin(1)
            ports = {
                "simulator": int(sim_url.rsplit(":", 1)[1]),
                "bare aiohttp": int(bare_url.rsplit(":", 1)[1]),
            }
            pids = {"simulator": sim.pid, "bare aiohttp": bare.pid}
            runs: dict[str, list[LoadResult]] = {name: [] for name in ports}
            cpu: dict[str, list[float]] = {name: [] for name in ports}
            loop_cpu: list[float] = []  # the simulator's event loop thread
            # Alternate the two servers so that machine noise hits both alike.
            for _ in range(opts.rounds):
                for name, port in ports.items():
                    cpu_before = cpu_seconds(pids[name])
                    loop_before = loop_cpu_seconds(sim.pid)
                    runs[name].append(
                        asyncio.run(
                            run_load(
                                "127.0.0.1",
                                port,
                                request,
                                certs.client_context(),
                                connections=opts.connections,
                                duration=opts.duration,
                            )
                        )
                    )
                    cpu[name].append(cpu_seconds(pids[name]) - cpu_before)
                    if name == "simulator":
                        loop_cpu.append(loop_cpu_seconds(sim.pid) - loop_before)
            sim_rss = rss_mb(sim.pid)
        finally:
            stop(sim)
            reader.wait(10)
            if bare is not None:
                stop(bare)

    ours, base = combine(runs["simulator"]), combine(runs["bare aiohttp"])
    print(
        f"GET status over mTLS, keep-alive, {opts.connections} connections, "
        f"{opts.rounds} alternating rounds of {opts.duration:.0f} s per server, "
        f"body {len(body)} bytes, {'uvloop' if opts.uvloop else 'asyncio'} event loop"
    )
    report("simulator", ours)
    report("bare aiohttp", base)
    ratios = [a.rps / b.rps for a, b in zip(runs["simulator"], runs["bare aiohttp"], strict=True)]
    print(
        f"ratio simulator / bare aiohttp: {ours.rps / base.rps:.2f} over all rounds, "
        f"median of rounds {statistics.median(ratios):.2f}  (target >= 0.90)"
    )
    print("per round: " + ", ".join(f"{r:.2f}" for r in ratios))
    ours_us = [
        cpu_per_request_us(r, c) for r, c in zip(runs["simulator"], cpu["simulator"], strict=True)
    ]
    base_us = [
        cpu_per_request_us(r, c)
        for r, c in zip(runs["bare aiohttp"], cpu["bare aiohttp"], strict=True)
    ]
    print(
        f"server CPU per request (medians of rounds): simulator "
        f"{statistics.median(ours_us):.1f} us, bare aiohttp {statistics.median(base_us):.1f} us, "
        f"bare / simulator {statistics.median(base_us) / statistics.median(ours_us):.2f}"
    )
    loop_us = [cpu_per_request_us(r, c) for r, c in zip(runs["simulator"], loop_cpu, strict=True)]
    writer_us = [total - loop for total, loop in zip(ours_us, loop_us, strict=True)]
    print(
        f"simulator CPU per request by thread (medians): event loop "
        f"{statistics.median(loop_us):.1f} us, log writer {statistics.median(writer_us):.1f} us"
    )
    print(f"process start to ready line: {ready_s * 1000:.0f} ms  (target < 1000 ms)")
    print(f"simulator RSS after load: {sim_rss:.1f} MB")


if __name__ == "__main__":
    main()
