"""The transports: how a batch reaches its channel, behind one small interface.

Each :class:`Transport` has one ``send(outgoing)`` that returns the
:class:`Attempt` (delivered or not, and why); it never raises for a target's fault.
The webhook POSTs the JSON body (one message, or an array when the channel batches)
with the header and query attributes; the websocket keeps one connection per lane
and sends a text frame; push writes FCM-shaped messages to each device's outbox.
Network timeouts are wall time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from simulator.callbacks.attributes import owned_header
from simulator.callbacks.channels import Channel, PushChannel
from simulator.callbacks.variables import expand
from simulator.delivery.message import Prepared, compact_json, push_message

log = logging.getLogger("simulator.delivery")

USER_AGENT = "connectedcar-simulator"
PUSH_OUTBOX_SIZE = 1000


@dataclass(slots=True)
class Attempt:
    ok: bool
    target: str
    http_status: int | None = None
    error: str | None = None
    latency_ms: float | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One batch for one lane's channel: ``label`` is the callback's (push name)."""

    lane: str
    channel: Channel
    items: Sequence[Prepared]
    label: str = ""


class Transport(Protocol):
    async def send(self, outgoing: Outgoing) -> Attempt: ...


def _text(outgoing: Outgoing) -> str:
    """The body: one message, or an array when the channel batches (made of the texts
    encoded ahead when every message has one: the same JSON)."""
    items = outgoing.items
    batched = outgoing.channel.batched
    if all(p.text is not None for p in items):
        texts = [p.text or "" for p in items]
        return "[" + ",".join(texts) + "]" if batched else texts[0]
    return compact_json([p.message for p in items] if batched else items[0].message)


class HttpClient:
    """The one HTTP session the webhook and websocket transports share, and how long
    a target has to answer."""

    def __init__(self, ssl_context: Callable[[], ssl.SSLContext], timeout: float) -> None:
        self._ssl_factory = ssl_context
        self.ssl: ssl.SSLContext | None = None
        self.http: aiohttp.ClientSession | None = None  # while started
        self.timeout = timeout

    @property
    def timeout(self) -> float:
        """Wall seconds a target has to answer."""
        return self._timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._timeout = seconds
        self.client_timeout = aiohttp.ClientTimeout(total=seconds)

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self.http is not None, "the delivery engine is not started"
        return self.http

    def open(self) -> None:
        self.ssl = self._ssl_factory()
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=self.ssl, limit=0, force_close=False),
            headers={"User-Agent": USER_AGENT},
            skip_auto_headers=("Accept-Encoding",),
        )

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()
            self.http = None

    def no_answer(self, target: str) -> Attempt:
        return Attempt(False, target, error=f"no answer within {self.timeout:g} s")


def _untrusted(target: str, exc: aiohttp.ClientConnectorCertificateError) -> Attempt:
    return Attempt(False, target, error=f"untrusted certificate: {exc.certificate_error}")


def _connection_error(target: str, exc: BaseException) -> Attempt:
    return Attempt(False, target, error=f"connection error: {exc!r}")


class WebhookTransport:
    """One POST per batch; header and query attributes from the batch's first event
    (a batched POST carries only the literal ones)."""

    def __init__(self, client: HttpClient) -> None:
        self._client = client
        self._dropped: set[tuple[str, str]] = set()  # (lane, header) refused, said once

    def _request_attributes(
        self, outgoing: Outgoing
    ) -> tuple[dict[str, str], list[tuple[str, str]]]:
        first = outgoing.items[0]
        batched = outgoing.channel.batched
        headers: dict[str, str] = {}
        query: list[tuple[str, str]] = []
        for attr in first.attributes:
            if attr.type not in ("Header", "Query") or (batched and attr.variable):
                continue  # a batched POST carries only literal header and query attributes
            if attr.type == "Header":
                if owned_header(attr.key):
                    self._dropped_header(outgoing.lane, attr.key)
                    continue
                headers[attr.key] = expand(attr.value, first.variables)
            else:
                query.append((attr.key, expand(attr.value, first.variables)))
        return headers, query

    def _dropped_header(self, lane: str, key: str) -> None:
        """A header attribute the HTTP layer owns (kept from before the rule): not sent;
        said once per lane and key."""
        if (lane, key) not in self._dropped:
            self._dropped.add((lane, key))
            log.warning("%s: header attribute %s not sent: the HTTP layer sets it", lane, key)

    async def send(self, outgoing: Outgoing) -> Attempt:
        target = outgoing.channel.address
        headers, query = self._request_attributes(outgoing)
        body = _text(outgoing).encode()
        # the engine alone frames the body: aiohttp derives Content-Length from these
        # bytes and Host from the target, and no Transfer-Encoding or Expect is set
        headers["Content-Type"] = "application/json"
        client = self._client
        started = time.perf_counter()
        try:
            async with client.session.post(
                target,
                data=body,
                headers=headers,
                params=query or None,
                allow_redirects=False,
                timeout=client.client_timeout,
            ) as response:
                await response.read()
                status = response.status
        except aiohttp.ClientConnectorCertificateError as exc:
            return _untrusted(target, exc)
        except aiohttp.ClientSSLError as exc:
            return Attempt(False, target, error=f"TLS error: {exc}")
        except TimeoutError:
            return client.no_answer(target)
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return _connection_error(target, exc)
        latency = (time.perf_counter() - started) * 1000
        ok = 200 <= status < 300
        return Attempt(ok, target, status, None if ok else f"HTTP {status}", latency)


@dataclass(slots=True)
class _Connection:
    ws: aiohttp.ClientWebSocketResponse
    reader: asyncio.Task[None]

    async def close(self) -> None:
        self.reader.cancel()
        with contextlib.suppress(Exception):
            await self.ws.close()


class WebsocketTransport:
    """One connection per lane, opened at the first send and again after it dropped;
    one text frame per batch."""

    def __init__(self, client: HttpClient) -> None:
        self._client = client
        self._connections: dict[str, _Connection] = {}

    def detach(self, lane: str) -> _Connection | None:
        """Forget ``lane``'s connection (to be closed by the caller)."""
        return self._connections.pop(lane, None)

    async def disconnect(self, lane: str) -> None:
        connection = self.detach(lane)
        if connection is not None:
            await connection.close()

    async def wait_closed(self) -> None:
        """Until the target has closed every open connection (its reader has ended)."""
        readers = [c.reader for c in self._connections.values()]
        if readers:
            await asyncio.wait(readers)

    async def _connect(self, target: str) -> _Connection:
        client = self._client
        secure = target.lower().startswith("wss:")
        ws = await asyncio.wait_for(
            client.session.ws_connect(
                target, ssl=(client.ssl or True) if secure else False, autoping=True
            ),
            client.timeout,
        )
        return _Connection(ws, asyncio.get_running_loop().create_task(self._read(ws)))

    @staticmethod
    async def _read(ws: aiohttp.ClientWebSocketResponse) -> None:
        """Drain what the target sends, so a close from its side is noticed."""
        with contextlib.suppress(Exception):
            async for _ in ws:
                pass

    async def send(self, outgoing: Outgoing) -> Attempt:
        target = outgoing.channel.address
        text = _text(outgoing)
        started = time.perf_counter()
        try:
            connection = self._connections.get(outgoing.lane)
            if connection is None or connection.ws.closed:
                await self.disconnect(outgoing.lane)
                connection = self._connections[outgoing.lane] = await self._connect(target)
            await asyncio.wait_for(connection.ws.send_str(text), self._client.timeout)
        except aiohttp.ClientConnectorCertificateError as exc:
            return _untrusted(target, exc)
        except TimeoutError:
            return self._client.no_answer(target)
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            await self.disconnect(outgoing.lane)
            return _connection_error(target, exc)
        return Attempt(True, target, None, None, (time.perf_counter() - started) * 1000)


class PushTransport:
    """FCM-shaped messages in each device's outbox (the newest :data:`PUSH_OUTBOX_SIZE`),
    one per event and device; ``Header`` attributes fill the data map and keywords."""

    def __init__(self) -> None:
        self.outbox: dict[str, deque[dict[str, Any]]] = {}

    async def send(self, outgoing: Outgoing) -> Attempt:
        channel = outgoing.channel
        assert isinstance(channel, PushChannel)
        for item in outgoing.items:
            headers = [a for a in item.attributes if a.type == "Header"]
            for device in channel.devices:
                box = self.outbox.setdefault(device, deque(maxlen=PUSH_OUTBOX_SIZE))
                box.append(
                    push_message(
                        item.message, item.note, outgoing.label, headers, item.variables, device
                    )
                )
        return Attempt(True, channel.address, None, None, 0.0)
