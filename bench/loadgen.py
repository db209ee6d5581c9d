"""A lean keep-alive HTTPS load generator (asyncio protocols, mTLS).

Much cheaper per request than an HTTP client library, so that on a small
machine the server, not the generator, is what gets measured.  It reports
its own CPU use so a run can show it was not the bottleneck.
"""

from __future__ import annotations

import asyncio
import resource
import ssl
import time
from dataclasses import dataclass


def take_response(buffer: bytearray) -> tuple[int, bytes] | None:
    """Cut one complete HTTP/1.1 response (``Content-Length`` framed) off ``buffer``:
    its status and body, or None while it is incomplete."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    marker = head.find(b"content-length:")
    length = 0
    if marker >= 0:
        line_end = head.find(b"\r\n", marker)
        length = int(head[marker + 15 : line_end if line_end >= 0 else None])
    total = end + 4 + length
    if len(buffer) < total:
        return None
    status = int(head[9:12])
    body = bytes(buffer[end + 4 : total])
    del buffer[:total]
    return status, body


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    client_cpu_seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Conn(asyncio.Protocol):
    def __init__(self, request: bytes, state: _State) -> None:
        self.request = request
        self.state = state
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.sent_at = 0.0
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._send()

    def _send(self) -> None:
        if self.state.stop or self.transport is None:
            if self.transport is not None:
                self.transport.close()
            return
        self.sent_at = time.perf_counter()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (response := take_response(self.buffer)) is not None:
            status, _ = response
            self.state.record(status == 200, time.perf_counter() - self.sent_at)
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class _State:
    def __init__(self, sample_every: int) -> None:
        self.stop = False
        self.count = 0
        self.errors = 0
        self.latencies: list[float] = []
        self.sample_every = sample_every
        self.measuring = False

    def record(self, ok: bool, seconds: float) -> None:
        if not self.measuring:
            return
        self.count += 1
        if not ok:
            self.errors += 1
        if self.count % self.sample_every == 0:
            self.latencies.append(seconds * 1000)


async def run_load(
    host: str,
    port: int,
    request: bytes,
    ssl_context: ssl.SSLContext,
    *,
    connections: int = 50,
    duration: float = 5.0,
    warmup: float = 1.0,
) -> LoadResult:
    loop = asyncio.get_running_loop()
    state = _State(sample_every=10)
    conns = []
    for _ in range(connections):
        _, proto = await loop.create_connection(
            lambda: _Conn(request, state), host, port, ssl=ssl_context, server_hostname="localhost"
        )
        conns.append(proto)
    await asyncio.sleep(warmup)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    state.measuring = True
    started = time.perf_counter()
    await asyncio.sleep(duration)
    state.measuring = False
    elapsed = time.perf_counter() - started
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    state.stop = True
    await asyncio.wait([c.closed for c in conns], timeout=5)
    for conn in conns:
        if conn.transport is not None:
            conn.transport.close()
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return LoadResult(state.count, state.errors, elapsed, cpu, state.latencies)
