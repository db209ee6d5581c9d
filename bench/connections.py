"""Memory of many idle keep-alive mTLS connections: the simulator against bare aiohttp.

    python bench/connections.py [--connections 1000] [--calls 5] [--timeout 180]
                                [--extra-args "..."]

For each server (``python -m simulator serve`` and ``bench/bare_server.py``
serving the same status bytes with the same TLS setup, both subprocesses on
127.0.0.1, pinned to CPU 0), this driver (pinned to CPU 1):

1. warms the server up on a few connections, then reads its RSS (*before*);
2. opens ``--connections`` concurrent keep-alive mTLS connections and makes
   ``--calls`` ``GET /connectedcar/v4/user/vehicles/{id}/status`` calls on each
   (with a token), leaves them all open and idle, and reads the RSS (*open*);
3. closes them all, waits until the server has closed its sides (its open file
   descriptors are back to the warm count), and reads the RSS (*after*).

Growth per connection is (open - before) / connections.  The run is bounded:
every phase has a deadline and the whole run stops after ``--timeout`` seconds.
The soft RLIMIT_NOFILE is raised to the hard limit here; the servers inherit it.
The simulator's connection limit (``--max-connections``) must be above
``--connections`` for the figure to mean anything; it is set to fit unless
``--extra-args`` says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import ssl
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_status import ROOT, _pin, raw_get, rss_mb, start_process, status_call, stop
from loadgen import take_response

from simulator.tls import CertStore


@dataclass
class Figures:
    name: str
    before: float
    open: float
    after: float
    connections: int
    errors: int
    fds_open: int
    open_seconds: float

    @property
    def growth(self) -> float:
        return self.open - self.before

    def line(self) -> str:
        per = 1024 * self.growth / self.connections if self.connections else 0.0
        return (
            f"{self.name:<13} RSS before {self.before:7.1f} MiB  "
            f"open {self.open:7.1f} MiB (+{self.growth:6.1f}, {per:5.1f} KiB/conn)  "
            f"after close {self.after:7.1f} MiB (+{self.after - self.before:5.1f})  "
            f"connections {self.connections} (server fds {self.fds_open}), "
            f"opened and called in {self.open_seconds:4.1f} s, errors {self.errors}"
        )


class _Conn(asyncio.Protocol):
    """One keep-alive connection: ``calls`` requests one after the other, then idle."""

    def __init__(self, request: bytes, calls: int) -> None:
        self.request = request
        self.left = calls
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.errors = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (response := take_response(self.buffer)) is not None:
            status, _ = response
            if status != 200:
                self.errors += 1
            self.left -= 1
            if self.left > 0:
                assert self.transport is not None
                self.transport.write(self.request)
            elif not self.done.done():
                self.done.set_result(self.errors)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectionError(f"closed after calls: {exc!r}"))
        if not self.lost.done():
            self.lost.set_result(None)


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def _settle(pid: int, until: float, target: int | None = None) -> int:
    """Wait for the server's fd count to be ``target`` (or stop moving), before ``until``."""
    last, stable = -1, 0
    while time.monotonic() < until:
        count = fd_count(pid)
        if target is not None and count <= target:
            return count
        stable = stable + 1 if count == last else 0
        if target is None and stable >= 5:
            return count
        last = count
        await asyncio.sleep(0.1)
    return fd_count(pid)


async def _open_one(
    port: int, request: bytes, calls: int, ctx: ssl.SSLContext, gate: asyncio.Semaphore
) -> _Conn:
    loop = asyncio.get_running_loop()
    async with gate:
        _, conn = await loop.create_connection(
            lambda: _Conn(request, calls), "127.0.0.1", port, ssl=ctx, server_hostname="localhost"
        )
        await conn.done
    return conn


async def measure(
    name: str,
    pid: int,
    port: int,
    request: bytes,
    ctx: ssl.SSLContext,
    *,
    connections: int,
    calls: int,
    deadline: float,
) -> Figures:
    # warm-up: a few connections through the whole path, so that first-use
    # allocations (imports, caches) are not counted as per-connection memory
    warm = [await _open_one(port, request, calls, ctx, asyncio.Semaphore(1)) for _ in range(4)]
    for conn in warm:
        assert conn.transport is not None
        conn.transport.close()
    await asyncio.wait([c.lost for c in warm], timeout=5)
    idle_fds = await _settle(pid, min(deadline, time.monotonic() + 5))
    before = rss_mb(pid)

    started = time.monotonic()
    gate = asyncio.Semaphore(64)  # handshakes in flight at once; all stay open afterwards
    tasks = [
        asyncio.ensure_future(_open_one(port, request, calls, ctx, gate))
        for _ in range(connections)
    ]
    finished, pending = await asyncio.wait(tasks, timeout=max(1.0, deadline - time.monotonic()))
    for task in pending:
        task.cancel()
    opened = [t.result() for t in finished if not t.cancelled() and t.exception() is None]
    errors = sum(c.errors for c in opened) + (connections - len(opened))
    open_seconds = time.monotonic() - started
    fds_open = await _settle(pid, min(deadline, time.monotonic() + 3))
    await asyncio.sleep(1.0)  # idle: nothing in flight
    open_rss = rss_mb(pid)

    for conn in opened:
        if conn.transport is not None:
            conn.transport.close()
    if opened:
        await asyncio.wait(
            [c.lost for c in opened], timeout=max(1.0, min(30.0, deadline - time.monotonic()))
        )
    await _settle(pid, min(deadline, time.monotonic() + 30), target=idle_fds)
    await asyncio.sleep(1.0)
    after = rss_mb(pid)
    return Figures(name, before, open_rss, after, len(opened), errors, fds_open, open_seconds)


def raise_nofile(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise SystemExit(f"RLIMIT_NOFILE hard limit {hard} is below the {needed} needed")
    if soft == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=5, help="requests per connection")
    parser.add_argument("--timeout", type=float, default=180.0, help="bound of the whole run (s)")
    parser.add_argument("--vehicles", type=int, default=3)
    parser.add_argument("--extra-args", default="", help="more simulator serve options")
    parser.add_argument("--skip-baseline", action="store_true")
    opts = parser.parse_args()
    if opts.connections < 1 or opts.calls < 1:
        raise SystemExit("--connections and --calls must be positive")
    raise_nofile(opts.connections + 256)
    deadline = time.monotonic() + opts.timeout

    extra = opts.extra_args.split()
    if not any(arg.startswith("--max-connections") for arg in extra):
        extra += ["--max-connections", str(opts.connections + 64)]
    results: list[Figures] = []
    with tempfile.TemporaryDirectory() as tmp:
        certs = CertStore(Path(tmp) / "certs")
        certs.ensure()
        sim, sim_url, _ = start_process(
            [
                sys.executable,
                "-m",
                "simulator",
                "serve",
                "--port",
                "0",
                "--certs",
                str(certs.directory),
                "--vehicles",
                str(opts.vehicles),
                "--no-life",
                *extra,
            ]
        )
        bare = None
        try:
            path, auth, body, content_type = status_call(sim_url, certs)
            request = raw_get(path, auth)
            _pin(1)
            ctx = certs.client_context()
            results.append(
                asyncio.run(
                    measure(
                        "simulator",
                        sim.pid,
                        int(sim_url.rsplit(":", 1)[1]),
                        request,
                        ctx,
                        connections=opts.connections,
                        calls=opts.calls,
                        deadline=deadline,
                    )
                )
            )
            stop(sim)
            if not opts.skip_baseline and time.monotonic() < deadline:
                body_file = Path(tmp) / "status.json"
                body_file.write_bytes(body)
                bare, bare_url, _ = start_process(
                    [
                        sys.executable,
                        str(ROOT / "bench" / "bare_server.py"),
                        str(certs.directory),
                        str(body_file),
                        content_type.split(";")[0],
                        path,
                    ]
                )
                results.append(
                    asyncio.run(
                        measure(
                            "bare aiohttp",
                            bare.pid,
                            int(bare_url.rsplit(":", 1)[1]),
                            request,
                            ctx,
                            connections=opts.connections,
                            calls=opts.calls,
                            deadline=deadline,
                        )
                    )
                )
        finally:
            stop(sim)
            if bare is not None:
                stop(bare)

    print(
        f"{opts.connections} concurrent keep-alive mTLS connections, {opts.calls} GET status "
        f"calls each (body {len(body)} bytes), then idle; server RSS (VmRSS)"
    )
    for figures in results:
        print(figures.line())


if __name__ == "__main__":
    main()
