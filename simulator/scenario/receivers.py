"""A scenario's built-in receivers: real HTTPS servers (certificate from the simulator's
CA) on the player's own event loop, recording what arrives on the simulated clock.

A webhook receiver answers every POST with its current status (200 unless a step says
otherwise) and records the messages of each request with the answer it gave; ``down``
closes it (connections are refused) until a step brings it back on the same port.  A
websocket receiver accepts connections and records every frame.
"""

from __future__ import annotations

import contextlib
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

__all__ = ["Arrival", "Receiver"]


@dataclass(frozen=True, slots=True)
class Arrival:
    """One request (or websocket frame) a receiver got, and how it answered."""

    receiver: str
    at: float  # simulated POSIX seconds
    status: int  # the answer (a websocket frame counts as 200)
    messages: tuple[dict[str, Any], ...]

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


def _messages(text: str) -> tuple[dict[str, Any], ...]:
    try:
        body = json.loads(text)
    except ValueError:
        return ()
    items = body if isinstance(body, list) else [body]
    return tuple(item for item in items if isinstance(item, dict))


@dataclass(eq=False)
class Receiver:
    name: str
    kind: str  # webhook or websocket
    status: int
    clock: Callable[[], float]
    context: ssl.SSLContext
    arrivals: list[Arrival] = field(default_factory=list)
    port: int = 0
    down: bool = False
    frames: int = 0  # messages read from websocket frames
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        scheme = "wss" if self.kind == "websocket" else "https"
        return f"{scheme}://127.0.0.1:{self.port}/{self.name}"

    async def start(self) -> None:
        """Listen (on the port it had before, once it has one)."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(
            runner, "127.0.0.1", self.port, ssl_context=self.context, reuse_address=True
        )
        await site.start()
        if not self.port:
            self.port = int(runner.addresses[0][1])
        self._runner = runner
        self.down = False

    async def stop(self) -> None:
        """Close the listener and every connection: what comes next is refused."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def set(self, *, status: int | None = None, down: bool | None = None) -> None:
        if status is not None:
            self.status = status
        if down is True and not self.down:
            self.down = True
            await self.stop()
        elif down is False and self.down:
            await self.start()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.kind == "websocket":
            return await self._websocket(request)
        text = await request.text()
        status = self.status
        self.arrivals.append(Arrival(self.name, self.clock(), status, _messages(text)))
        return web.Response(status=status)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        with contextlib.suppress(ConnectionError):
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    arrival = Arrival(self.name, self.clock(), 200, _messages(message.data))
                    self.arrivals.append(arrival)
                    self.frames += len(arrival.messages)
        return ws
