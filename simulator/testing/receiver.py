"""Real HTTPS webhook and WebSocket receivers for tests, each in a background thread.

    with WebhookReceiver(certs_dir) as hook:
        ...  # point a callback at hook.url, make the simulator notify
        assert hook.wait_for_messages(2) == [{...}, {...}]

Each receiver runs an aiohttp server on its own event loop in a daemon thread,
so synchronous tests can use it.  TLS uses ``webhook.pem`` (valid for
``localhost`` and ``127.0.0.1``, signed by ``ca.pem``).  Everything is recorded
on the receiver's loop; the public methods are thread-safe.  Failure modes
(error statuses, slowness, dropped connections, a receiver that is down) can
be switched on at any time and apply to the next requests.

Both receivers answer the questions a test asks of them::

    done = hook.wait_for(remote=answer, status="Done")   # the matching messages
    hook.wait_for(monitor=monitor_id, vin=car.vin, count=2, timeout=5)
    hook.assert_nothing_received(ccsim)                  # once every due send is done

``wait_for`` fails with an AssertionError listing, one line each, what did arrive;
``assert_nothing_received`` first lets the simulator finish what is due (see
:meth:`_BackgroundServer.assert_nothing_received`), it never sleeps on the wall clock.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import itertools
import json
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, overload

from aiohttp import WSCloseCode, WSMsgType, web

from simulator.testing.matching import Filter, describe_all
from simulator.tls import CertStore

__all__ = ["Received", "WebSocketReceiver", "WebhookReceiver"]

T = TypeVar("T")

_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""})
_CALL_TIMEOUT = 30.0
_WS_CLOSE_TIMEOUT = 1.0  # how long go_down/stop wait for a client's close reply
_SHUTDOWN_TIMEOUT = 0.1  # stop() closed the connections already: in-flight answers are moot


def _as_list(value: Any) -> list[Any]:
    """A JSON array as is, anything else as a one-item list."""
    return list(value) if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Received:
    """One request that reached a :class:`WebhookReceiver`.

    ``answered_status`` is the status that was sent, or None while the answer
    is pending and when none was delivered (connection dropped on purpose,
    receiver went down, client gone before the answer).
    """

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    at: float
    answered_status: int | None = None

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)

    def messages(self) -> list[Any]:
        """The JSON body as a list: an array as is, anything else as ``[value]``; [] if empty."""
        if not self.body.strip():
            return []
        return _as_list(self.json())

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``."""
        return next((value for key, value in self.query if key == name), None)

    @property
    def accepted(self) -> bool:
        """Answered with a 2xx status."""
        return self.answered_status is not None and 200 <= self.answered_status < 300


class Settles(Protocol):
    """A simulator that can finish what is due (``ThreadedSimulator.settle``)."""

    def settle(self) -> None: ...


def _check_status(status: int) -> int:
    if not 200 <= status <= 599:
        raise ValueError(f"status must be within 200..599, got {status}")
    return status


class _BackgroundServer(abc.ABC):
    """An aiohttp low-level server on its own event loop in a daemon thread."""

    _thread_name = "ccsim-receiver"
    _scheme = "http"

    def __init__(
        self, certs: Path | CertStore, *, host: str = "127.0.0.1", port: int = 0, tls: bool = True
    ) -> None:
        self.certs = certs if isinstance(certs, CertStore) else CertStore(Path(certs))
        self.host = host
        self.tls = tls
        self._port = port
        self._cond = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.ServerRunner | None = None
        self._site: web.TCPSite | None = None
        self._ssl: ssl.SSLContext | None = None
        self.simulator: Settles | None = None
        """The simulator :meth:`assert_nothing_received` settles when given none (the
        pytest fixtures set it to the test's ``ccsim``)."""

    # ------------------------------------------------------------ lifecycle
    def start(self) -> Self:
        """Start the loop thread and listen (on a free port when ``port`` is 0)."""
        if self._loop is not None:
            return self
        if self.tls:
            self.certs.ensure()
            self._ssl = self.certs.webhook_server_context()
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=self._run_loop, args=(loop,), name=self._thread_name, daemon=True
        )
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            self._call(self._boot())
        except BaseException:
            self._end_loop()
            raise
        return self

    def stop(self) -> None:
        """Close every connection, stop listening and end the thread; recordings stay."""
        if self._loop is None:
            return
        try:
            self._call(self._shutdown())
        finally:
            self._end_loop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def go_down(self) -> None:
        """Stop listening (connections are refused) and close open connections."""
        self._call(self._go_down())

    def come_up(self) -> None:
        """Listen again, on the same port."""
        self._call(self._listen())

    # ------------------------------------------------------------ access
    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("receiver not started")
        return self._port

    @property
    def listening(self) -> bool:
        """True between start()/come_up() and go_down()/stop()."""
        return self._site is not None

    def _base_url(self) -> str:
        scheme = self._scheme + "s" if self.tls else self._scheme
        host = "localhost" if self.host in _LOCAL_HOSTS else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{self.port}"

    def _wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    # ------------------------------------------------------------ questions
    @abc.abstractmethod
    def _arrivals(self) -> list[tuple[Any, str, bool]]:
        """Each message that arrived, in order: (message, a note for a failure line,
        whether ``wait_for`` counts it)."""

    def _matching(self, wanted: Filter) -> list[Any]:
        return [m for m, _, counted in self._arrivals() if counted and wanted(m)]

    def _wait_matching(
        self,
        predicate: Callable[[Any], bool] | None,
        *,
        remote: Any,
        status: str | None,
        monitor: Any,
        vin: Any,
        count: int,
        timeout: float,
    ) -> list[Any]:
        __tracebackhide__ = True  # pytest: the failure shows at the test's call
        wanted = Filter(predicate, remote, status, monitor, vin)
        if not self._wait(lambda: len(self._matching(wanted)) >= count, timeout):
            found = self._matching(wanted)
            arrived = [(m, note) for m, note, _ in self._arrivals()]
            raise AssertionError(
                f"expected {count} message(s) with {wanted.text()} at {self.url} within "
                f"{timeout:g}s, {len(found)} matched; {describe_all(arrived)}"
            )
        return self._matching(wanted)

    def assert_nothing_received(self, simulator: Settles | None = None) -> None:
        """AssertionError listing what arrived, if anything did (since start or clear()).

        First the simulator (``simulator``, else :attr:`simulator`) finishes what is due:
        the timers due now fire and every send in flight ends (``ThreadedSimulator.settle``),
        so what has not arrived then will not arrive before the clock moves.  No wall-clock
        sleep."""
        __tracebackhide__ = True  # pytest: the failure shows at the test's call
        target = simulator if simulator is not None else self.simulator
        if target is None:
            raise RuntimeError(
                "assert_nothing_received needs the simulator to settle first: pass it "
                "(receiver.assert_nothing_received(ccsim)) or use the ccsim fixture"
            )
        target.settle()
        arrived = [(m, note) for m, note, _ in self._arrivals()]
        if arrived:
            raise AssertionError(f"expected nothing at {self.url}, but {describe_all(arrived)}")

    @property
    @abc.abstractmethod
    def url(self) -> str:
        """Where the simulator sends to."""

    # ------------------------------------------------------------ loop side
    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        loop.run_forever()

    def _end_loop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=_CALL_TIMEOUT)
        loop.close()
        self._loop = self._thread = None

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        loop = self._loop
        if loop is None:
            coro.close()
            raise RuntimeError("receiver not started")
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("blocking receiver call from the receiver's own loop")
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=_CALL_TIMEOUT)

    async def _boot(self) -> None:
        server = web.Server(self._handle, access_log=None)
        self._runner = web.ServerRunner(server, shutdown_timeout=_SHUTDOWN_TIMEOUT)
        await self._runner.setup()
        try:
            await self._listen()
        except BaseException:
            await self._runner.cleanup()
            self._runner = None
            raise

    async def _listen(self) -> None:
        if self._site is not None:
            return
        assert self._runner is not None
        site = web.TCPSite(
            self._runner, self.host, self._port, ssl_context=self._ssl, reuse_address=True
        )
        await site.start()
        self._site = site
        self._port = self._runner.addresses[-1][1]

    async def _go_down(self) -> None:
        if self._site is not None:
            site, self._site = self._site, None
            await site.stop()
        await self._close_connections()
        if self._runner is not None and self._runner.server is not None:
            for connection in self._runner.server.connections:
                connection.force_close()

    async def _shutdown(self) -> None:
        await self._go_down()
        if self._runner is not None:
            server = self._runner.server
            # Transports still in a TLS close (waiting for the peer's close_notify)
            # would outlive the loop: abort them once the runner is cleaned up.
            transports = list(server._connections.values()) if server is not None else []
            await self._runner.cleanup()
            self._runner = None
            for transport in transports:
                transport.abort()
            await asyncio.sleep(0)  # let the aborted transports call connection_lost
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _close_connections(self) -> None:  # noqa: B027 - optional hook
        """Hook: close long-lived connections gracefully before the transports go."""

    @abc.abstractmethod
    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """Answer one request (each receiver records what it receives)."""


class WebhookReceiver(_BackgroundServer):
    """An HTTPS server recording every request on any path and method.

    Answers 2xx with ``{}`` (no body for 204), other statuses with a JSON error.
    """

    _thread_name = "ccsim-webhook"

    def __init__(
        self, certs: Path | CertStore, *, host: str = "127.0.0.1", port: int = 0, tls: bool = True
    ) -> None:
        super().__init__(certs, host=host, port=port, tls=tls)
        self._records: dict[int, Received] = {}
        self._seq = itertools.count()
        self._statuses: deque[int] = deque()
        self._default_status = 200
        self._delay = 0.0
        self._drops = 0
        self._pending: set[int] = set()

    @property
    def url(self) -> str:
        """``https://localhost:{port}`` (``http://`` without TLS); every path is accepted."""
        return self._base_url()

    # ------------------------------------------------------------ behaviour
    @property
    def default_status(self) -> int:
        """The status answered when no queued status is left (200 at first)."""
        with self._cond:
            return self._default_status

    @default_status.setter
    def default_status(self, status: int) -> None:
        self.set_default(status)

    def set_default(self, status: int) -> None:
        with self._cond:
            self._default_status = _check_status(status)

    def respond_with(self, *statuses: int) -> None:
        """Queue statuses: the next requests get them in order, then the default again."""
        checked = [_check_status(status) for status in statuses]
        with self._cond:
            self._statuses.extend(checked)

    def set_delay(self, seconds: float) -> None:
        """Wait this long (wall time) before each answer; 0 answers at once."""
        if seconds < 0:
            raise ValueError("delay must be >= 0")
        with self._cond:
            self._delay = float(seconds)

    def drop_next(self, n: int = 1) -> None:
        """Close the connection of the next ``n`` requests without any answer."""
        if n < 0:
            raise ValueError("n must be >= 0")
        with self._cond:
            self._drops += n

    def reset(self) -> None:
        """Forget the recordings and go back to default behaviour (200, no delay, no drop)."""
        with self._cond:
            self._records.clear()
            self._pending.clear()
            self._statuses.clear()
            self._default_status = 200
            self._delay = 0.0
            self._drops = 0

    def clear(self) -> None:
        """Forget the recorded requests (behaviour settings stay)."""
        with self._cond:
            self._records.clear()
            self._pending.clear()

    # ------------------------------------------------------------ recordings
    @property
    def received(self) -> list[Received]:
        """Every request that reached the receiver, in arrival order."""
        with self._cond:
            return list(self._records.values())

    def accepted(self) -> list[Received]:
        """The requests answered with a 2xx status."""
        with self._cond:
            return [r for r in self._records.values() if r.accepted]

    def messages(self) -> list[Any]:
        """The messages of every accepted request, flattened, in order."""
        return [message for r in self.accepted() for message in r.messages()]

    def wait_received(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until ``count`` requests came in, answered yet or not; return them all."""
        if not self._wait(lambda: len(self.received) >= count, timeout):
            raise AssertionError(
                f"expected {count} request(s) within {timeout}s, got {len(self.received)}"
            )
        return self.received

    def wait_answered(self, timeout: float = 10.0) -> list[Received]:
        """Wait until every request that came in was answered, or given up (client gone,
        dropped, stopped); return them all."""
        if not self._wait(lambda: not self._pending, timeout):
            raise AssertionError(
                f"{len(self._pending)} request(s) still unanswered after {timeout}s; "
                f"{self._describe()}"
            )
        return self.received

    @overload
    def wait_for(self, predicate: int, timeout: float = 10.0) -> list[Received]: ...

    @overload
    def wait_for(
        self,
        predicate: Callable[[Any], bool] | None = None,
        *,
        remote: Any = None,
        status: str | None = None,
        monitor: Any = None,
        vin: Any = None,
        count: int = 1,
        timeout: float = 10.0,
    ) -> list[Any]: ...

    def wait_for(
        self,
        predicate: Callable[[Any], bool] | int | None = None,
        timeout: float = 10.0,
        *,
        remote: Any = None,
        status: str | None = None,
        monitor: Any = None,
        vin: Any = None,
        count: int = 1,
    ) -> list[Any]:
        """Wait until ``count`` accepted (2xx) messages match; return every matching one.

        Filters (all optional, together): ``predicate(message)``, ``remote`` (an id, the
        ``POST .../remotes`` answer, or a type such as ``"Doors"``), ``status``
        (``"Done"``, ``"Success"``, ``"Failed"``, a failure cause...), ``monitor`` (an
        id or the ``POST .../monitors`` answer), ``vin``.  A batch counts each message.
        On timeout: AssertionError listing what arrived, one line per message.

        The older form ``wait_for(n)`` waits for ``n`` accepted requests and returns
        them (:class:`Received`)."""
        __tracebackhide__ = True  # pytest: the failure shows at the test's call
        if isinstance(predicate, int):  # the older form: n accepted requests
            return self._wait_accepted(predicate, timeout)
        return self._wait_matching(
            predicate,
            remote=remote,
            status=status,
            monitor=monitor,
            vin=vin,
            count=count,
            timeout=timeout,
        )

    def _arrivals(self) -> list[tuple[Any, str, bool]]:
        found: list[tuple[Any, str, bool]] = []
        for record in self.received:
            try:
                messages = record.messages()
            except ValueError:
                messages = [record.body[:200].decode("utf-8", "replace")]
            note = "" if record.accepted else f" [answered {record.answered_status or 'nothing'}]"
            found += [(message, note, record.accepted) for message in messages]
        return found

    def _wait_accepted(self, count: int, timeout: float) -> list[Received]:
        """Wait until ``count`` requests were accepted; return all accepted ones."""
        if not self._wait(lambda: len(self.accepted()) >= count, timeout):
            raise AssertionError(
                f"expected {count} accepted request(s) within {timeout}s, "
                f"got {len(self.accepted())}; {self._describe()}"
            )
        return self.accepted()

    def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[Any]:
        """Wait until accepted requests hold ``count`` messages; return all of them."""
        if not self._wait(lambda: len(self.messages()) >= count, timeout):
            raise AssertionError(
                f"expected {count} message(s) within {timeout}s, "
                f"got {len(self.messages())}; {self._describe()}"
            )
        return self.messages()

    def _describe(self, limit: int = 20) -> str:
        records = self.received
        if not records:
            return "nothing arrived"
        lines = [
            f"{r.method} {r.path} -> {r.answered_status or 'no answer'}: {r.body[:200]!r}"
            for r in records[-limit:]
        ]
        skipped = f" (last {limit})" if len(records) > limit else ""
        return f"{len(records)} arrived{skipped}:\n  " + "\n  ".join(lines)

    # ------------------------------------------------------------ loop side
    def _next_action(self) -> tuple[int | None, float]:
        """(status, delay) for a new request; status None means drop it."""
        if self._drops:
            self._drops -= 1
            return None, 0.0
        status = self._statuses.popleft() if self._statuses else self._default_status
        return status, self._delay

    def _settle(self, seq: int, status: int | None) -> None:
        with self._cond:
            record = self._records.get(seq)
            if record is not None:
                self._records[seq] = replace(record, answered_status=status)
            self._pending.discard(seq)
            self._cond.notify_all()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        at = time.monotonic()
        body = await request.content.read()
        record = Received(
            method=request.method,
            path=request.path,
            query=list(request.query.items()),
            headers={name.lower(): value for name, value in request.headers.items()},
            body=body,
            at=at,
        )
        with self._cond:
            seq = next(self._seq)
            self._records[seq] = record
            self._pending.add(seq)
            status, delay = self._next_action()
            self._cond.notify_all()

        if status is None:
            # Writing the returned response fails on the closed transport; aiohttp
            # treats that as a client disconnection and ends the connection quietly.
            if request.transport is not None:
                request.transport.close()
            self._settle(seq, None)
            return web.Response(status=204)

        response = self._response(status)
        if delay:
            try:
                await asyncio.sleep(delay)
            except asyncio.CancelledError:
                self._settle(seq, None)  # stop() while waiting
                raise
        transport = request.transport
        if transport is None or transport.is_closing():
            self._settle(seq, None)  # the client or go_down closed the connection first
            return response
        # Recorded before writing, so a client holding the answer always finds it recorded.
        self._settle(seq, status)
        try:
            await response.prepare(request)
            await response.write_eof()
        except ConnectionError:
            self._settle(seq, None)
        return response

    @staticmethod
    def _response(status: int) -> web.Response:
        if status in (204, 205):
            return web.Response(status=status)
        if 200 <= status < 300:
            return web.Response(status=status, body=b"{}", content_type="application/json")
        error = {"status": status, "error": "simulated failure by the webhook receiver"}
        return web.json_response(error, status=status)


class WebSocketReceiver(_BackgroundServer):
    """A WebSocket (``wss://``) server recording the text frames of every connection."""

    _thread_name = "ccsim-websocket"
    _scheme = "ws"

    def __init__(
        self, certs: Path | CertStore, *, host: str = "127.0.0.1", port: int = 0, tls: bool = True
    ) -> None:
        super().__init__(certs, host=host, port=port, tls=tls)
        self._frames: list[str] = []
        self._connections = 0
        self._open: set[web.WebSocketResponse] = set()

    @property
    def url(self) -> str:
        """``wss://localhost:{port}/`` (``ws://`` without TLS); every path is accepted."""
        return self._base_url() + "/"

    @property
    def frames(self) -> list[str]:
        """The text frames received, in arrival order, across connections."""
        with self._cond:
            return list(self._frames)

    @property
    def connections(self) -> int:
        """How many WebSocket connections were accepted (since start or clear())."""
        with self._cond:
            return self._connections

    def messages(self) -> list[Any]:
        """Every frame decoded as JSON, flattened (an array gives its items)."""
        return [message for frame in self.frames for message in _as_list(json.loads(frame))]

    def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[Any]:
        """Wait until the frames hold ``count`` messages; return all of them."""
        if not self._wait(lambda: len(self.messages()) >= count, timeout):
            raise AssertionError(
                f"expected {count} message(s) within {timeout}s, got {len(self.messages())}; "
                f"{self.connections} connection(s), frames: {_preview(self.frames)}"
            )
        return self.messages()

    def wait_for(
        self,
        predicate: Callable[[Any], bool] | None = None,
        *,
        remote: Any = None,
        status: str | None = None,
        monitor: Any = None,
        vin: Any = None,
        count: int = 1,
        timeout: float = 10.0,
    ) -> list[Any]:
        """Wait until ``count`` messages match; return every matching one (the filters
        of :meth:`WebhookReceiver.wait_for`; a frame holding an array counts each item)."""
        __tracebackhide__ = True  # pytest: the failure shows at the test's call
        return self._wait_matching(
            predicate,
            remote=remote,
            status=status,
            monitor=monitor,
            vin=vin,
            count=count,
            timeout=timeout,
        )

    def _arrivals(self) -> list[tuple[Any, str, bool]]:
        found: list[tuple[Any, str, bool]] = []
        for frame in self.frames:
            try:
                found += [(message, "", True) for message in _as_list(json.loads(frame))]
            except ValueError:
                found.append((frame[:200], " [not JSON]", False))
        return found

    def wait_for_connections(self, count: int, timeout: float = 10.0) -> int:
        """Wait until ``count`` connections were accepted; return how many were."""
        if not self._wait(lambda: self.connections >= count, timeout):
            raise AssertionError(
                f"expected {count} WebSocket connection(s) within {timeout}s, "
                f"got {self.connections}"
            )
        return self.connections

    def clear(self) -> None:
        """Forget the frames and reset the connection count (open connections stay open)."""
        with self._cond:
            self._frames.clear()
            self._connections = 0

    # ------------------------------------------------------------ loop side
    async def _close_connections(self) -> None:
        sockets = list(self._open)
        closes = (ws.close(code=WSCloseCode.GOING_AWAY, message=b"going down") for ws in sockets)
        await asyncio.gather(*closes, return_exceptions=True)

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        ws = web.WebSocketResponse(timeout=_WS_CLOSE_TIMEOUT)
        if not ws.can_prepare(request).ok:
            return web.Response(status=426, text="WebSocket connections only\n")
        await ws.prepare(request)
        with self._cond:
            self._connections += 1
            self._cond.notify_all()
        self._open.add(ws)
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    with self._cond:
                        self._frames.append(message.data)
                        self._cond.notify_all()
        finally:
            self._open.discard(ws)
            with contextlib.suppress(Exception):
                await ws.close()
        return ws


def _preview(frames: Iterable[str], limit: int = 20) -> str:
    shown = [frame[:200] for frame in frames][-limit:]
    return repr(shown) if shown else "none"
