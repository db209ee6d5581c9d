"""Composition root: the root aiohttp app, its sub-apps, and serving over mTLS."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO, cast

from aiohttp import web
from cryptography import x509

from simulator.api.app import add_api_routes
from simulator.api.checks import GRANT
from simulator.api.faults import with_faults
from simulator.api.http import OPENAPI_DOCUMENT, SIM, error_body, error_response
from simulator.api.journal import RequestRecord, redact_target
from simulator.auth.routes import create_app as create_auth_app
from simulator.config import Settings
from simulator.control.app import check_control_request
from simulator.control.app import create_app as create_control_app
from simulator.control.openapi import openapi_document
from simulator.errors import ApiError, ErrorCode
from simulator.events import Notification
from simulator.logs import (
    BANNER,
    FIELDS,
    after_ready,
    log_clock_advance,
    log_notification,
    log_request,
    use_clock,
)
from simulator.paths import API_PREFIX, AUTH_PREFIX, CONTROL_PREFIX
from simulator.scenario.live import play_live
from simulator.store import Simulator
from simulator.tls import CertStore, TlsConnections
from simulator.ui.web import UI_PATH, add_ui_routes, check_local_request

log = logging.getLogger("simulator")
http_log = logging.getLogger("ccsim.http")

_ADVANCE_PATH = CONTROL_PREFIX + "/clock/advance"
_CONTROL_TREE = CONTROL_PREFIX + "/"
"""The request that moves a manual clock: logged as one clock change once answered."""

SHUTDOWN_TIMEOUT = 60.0
"""Seconds the requests in flight at ``stop()`` get to finish (aiohttp's default)."""

_STATUS_CODES = {
    400: ErrorCode.INVALID_PARAMETER,
    404: ErrorCode.UNKNOWN_PATH,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.BODY_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}


def _from_http_exception(exc: web.HTTPException) -> ApiError:
    code = _STATUS_CODES.get(exc.status, ErrorCode.UNEXPECTED)
    if exc.status == 404:
        message = "no such path"
    elif exc.status == 405:
        message = "method not allowed on this path"
    elif exc.status == 413:
        message = "request body is too large"
    else:
        message = exc.reason
    headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else {}
    return ApiError(code, message, headers=headers)


RawHandler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


def _error_answer(
    exc: Exception, request_id: str, now: datetime
) -> tuple[web.StreamResponse, int | None]:
    """The answer to a request that raised ``exc`` (called in its ``except`` block), and
    its error code (None for a redirect)."""
    if isinstance(exc, web.HTTPException) and exc.status < 400:
        return web.Response(status=exc.status, headers=exc.headers), None
    if isinstance(exc, ApiError):
        error = exc
    elif isinstance(exc, web.HTTPException):
        error = _from_http_exception(exc)
    else:
        log.exception("unexpected error, request id %s", request_id)
        error = ApiError(ErrorCode.UNEXPECTED, f"unexpected error, request id {request_id}")
    return error_response(error, request_id, now), int(error.code)


_PLAIN_TARGETS = 4096
"""Request targets remembered as needing no redaction (the same few paths come again)."""


def instrument(
    app: web.Application, handler: RawHandler, *, faults: bool = True, local: bool = False
) -> RawHandler:
    """Wrap the app's request handler: request id, the ``--ui-port`` listener's guard
    (``local``), the control API's checks, API fault rules (``faults``), one JSON error
    shape, the journal, the request's log line.

    It sits around the whole app (routing included, so 404 and 405 pass
    through it too) instead of being a middleware: same effect, less per-request
    machinery on the hot path.  The fault rules are asked only while one exists.
    """
    sim = app[SIM]
    # version-4 UUIDs from the seed (simulator.ids): a seeded run numbers its requests
    # the same way each time; a reset does not start them again (unique in a process)
    next_id = sim.ids.request
    clock = sim.clock
    journal = sim.requests
    perf_counter = time.perf_counter
    # request targets without secrets, as the journal keeps them (a hit skips the scan)
    plain_targets: dict[str, str] = {}

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        request_id = next_id()
        started = perf_counter()
        raw_path = request.raw_path
        before = clock.time() if raw_path.startswith(_ADVANCE_PATH) else None
        error_code: int | None = None
        response: web.StreamResponse
        try:
            if local:
                check_local_request(request)
            path = request.rel_url.path_safe  # as the router matches it
            if path.startswith(_CONTROL_TREE) or path == CONTROL_PREFIX:
                check_control_request(request, sim.settings.control_token_digest)
            if faults and sim.faults.rules:
                response = await with_faults(request, handler, sim)
            else:
                response = await handler(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every failure answers in the API's error shape
            response, error_code = _error_answer(exc, request_id, clock.now())
        response.headers["X-Request-Id"] = request_id
        target = plain_targets.get(raw_path)
        if target is None:
            target = redact_target(raw_path)
            if target is raw_path and len(plain_targets) < _PLAIN_TARGETS:
                plain_targets[raw_path] = target
        grant = request.get(GRANT)
        status = response.status
        record = RequestRecord(
            request_id,
            clock.time(),
            request.method,
            target,
            status,
            (perf_counter() - started) * 1000,
            grant.client_id if grant else None,
            grant.user_id if grant else None,
            error_code,
        )
        journal.record(record)
        if http_log.isEnabledFor(logging.INFO if status < 500 else logging.WARNING):
            log_request(http_log, record)
        if before is not None and status == 200:
            log_clock_advance(before, clock.time())
        return response

    return handle


def create_app(sim: Simulator) -> web.Application:
    app = web.Application(client_max_size=sim.settings.max_body_bytes)
    app[SIM] = sim
    document: Callable[[], dict[str, Any]] = openapi_document
    app[OPENAPI_DOCUMENT] = document  # what /simulator/v1/openapi.json serves

    async def run_clock(_: web.Application) -> AsyncIterator[None]:
        sim.clock.start()
        yield
        await sim.clock.stop()

    async def run_delivery(_: web.Application) -> AsyncIterator[None]:
        await sim.delivery.start()
        if sim.settings.data_dir is not None:
            sim.monitors.open(sim.settings.data_dir)
        yield
        await sim.delivery.close(sim.settings.shutdown_grace)
        sim.monitors.close()

    app.cleanup_ctx.append(run_clock)
    app.cleanup_ctx.append(run_delivery)
    add_api_routes(app, API_PREFIX)
    app.add_subapp(AUTH_PREFIX, create_auth_app())
    app.add_subapp(CONTROL_PREFIX, create_control_app())
    add_ui_routes(app)
    return app


def create_ui_app(sim: Simulator) -> web.Application:
    """The ``--ui-port`` listener's app: the live view and the control API (same
    handlers, same control token), to loopback ``Host`` names only."""
    app = web.Application(client_max_size=sim.settings.max_body_bytes)  # guard: instrument()
    app[SIM] = sim
    document: Callable[[], dict[str, Any]] = openapi_document
    app[OPENAPI_DOCUMENT] = document
    app.add_subapp(CONTROL_PREFIX, create_control_app())
    add_ui_routes(app)
    return app


class UiListenError(OSError):
    """The ``--ui-port`` listener could not start (the error names that option)."""

    ui_listener = True


@dataclass
class UiListener:
    """The plain-HTTP listener of the live view (``--ui-port``)."""

    runner: web.AppRunner
    server: web.Server
    listener: asyncio.Server
    url: str

    async def stop(self) -> None:
        self.listener.close()
        await asyncio.sleep(0)
        self.server.pre_shutdown()
        await self.server.shutdown(SHUTDOWN_TIMEOUT)
        await self.runner.cleanup()


async def _start_ui(sim: Simulator, settings: Settings) -> UiListener | None:
    if settings.ui_port is None:
        return None
    runner = web.AppRunner(create_ui_app(sim), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        server, protocols = _api_server(runner, settings, faults=False, local=True)
        listener = await asyncio.get_running_loop().create_server(
            protocols, settings.ui_host, settings.ui_port
        )
    except OSError as exc:
        await runner.cleanup()
        raise UiListenError(exc.errno, exc.strerror or str(exc)) from exc
    except BaseException:
        await runner.cleanup()
        raise
    host, port = listener.sockets[0].getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return UiListener(runner, server, listener, f"http://{shown}:{port}/simulator/ui/")


class _JsonErrorProtocol(web.RequestHandler):
    """Requests aiohttp cannot even parse (line too long, bad framing) get our JSON error too."""

    __slots__ = ("now", "request_id")

    def __init__(
        self,
        manager: web.Server,
        *,
        now: Callable[[], datetime],
        request_id: Callable[[], str],
        **options: Any,
    ) -> None:
        super().__init__(manager, **options)
        self.now = now
        self.request_id = request_id

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        super().handle_error(request, status, exc, message)  # logs, checks nothing was sent
        code = _STATUS_CODES.get(status, ErrorCode.UNEXPECTED)
        if status == 400:
            code = ErrorCode.MALFORMED_REQUEST
        text = "the request could not be parsed" if status < 500 else "unexpected error"
        request_id = self.request_id()
        response = web.Response(
            body=error_body(ApiError(code, text), request_id, self.now()),
            status=status,
            content_type="application/json",
            headers={"X-Request-Id": request_id},
        )
        response.force_close()
        return response


@dataclass(frozen=True, slots=True)
class _Protocols:
    """The HTTP protocol of each accepted API connection (inside its TLS): aiohttp's,
    serving ``server`` (whose handler is the app, :func:`instrument`-ed), with our JSON
    error for unparsable requests."""

    server: web.Server
    loop: asyncio.AbstractEventLoop
    options: Mapping[str, Any]
    now: Callable[[], datetime]
    request_id: Callable[[], str]

    def __call__(self) -> web.RequestHandler:
        return _JsonErrorProtocol(
            self.server,
            loop=self.loop,
            now=self.now,
            request_id=self.request_id,
            **self.options,
        )


class _TooManyConnections(asyncio.Protocol):
    """A connection past ``--max-connections``: its first request is answered 503 (the
    API's JSON error, ``Retry-After``, ``Connection: close``), then it is closed."""

    def __init__(
        self,
        limit: int,
        now: Callable[[], datetime],
        request_id: Callable[[], str],
        timeout: float,
    ) -> None:
        self._limit = limit
        self._now = now
        self._request_id = request_id
        self._timeout = timeout
        self._head = b""
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._timer = asyncio.get_running_loop().call_later(self._timeout, transport.close)

    def data_received(self, data: bytes) -> None:
        if self._transport is None or self._transport.is_closing():
            return
        self._head += data
        if b"\r\n\r\n" in self._head or len(self._head) > 65536:
            request_id = self._request_id()
            error = ApiError(
                ErrorCode.TOO_MANY_CONNECTIONS,
                f"too many connections (the limit is {self._limit}): retry later",
                debug="connections",
            )
            body = error_body(error, request_id, self._now())
            head = (
                "HTTP/1.1 503 Service Unavailable\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n"
                "Retry-After: 1\r\n"
                f"X-Request-Id: {request_id}\r\n"
                "Connection: close\r\n\r\n"
            )
            self._transport.write(head.encode("ascii") + body)
            self._transport.close()

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._transport = None


def _api_server(
    runner: web.AppRunner, settings: Settings, *, faults: bool = True, local: bool = False
) -> tuple[web.Server, _Protocols]:
    """The HTTP server of the API's connections: the set-up ``runner``'s app handler and
    request factory, wrapped by :func:`instrument` (the API fault rules act on the API
    listener only, never on the ``--ui-port`` one), with our protocol options."""
    plain = runner.server
    assert plain is not None, "runner not set up"
    sim = runner.app[SIM]
    options: dict[str, Any] = {
        "access_log": None,
        "max_line_size": 32768,
        "max_field_size": 32768,
        "keepalive_timeout": settings.keepalive_timeout,
    }
    server = web.Server(
        instrument(runner.app, plain.request_handler, faults=faults, local=local),
        request_factory=plain.request_factory,
        handler_cancellation=plain.handler_cancellation,
        **options,
    )
    loop = asyncio.get_running_loop()
    return server, _Protocols(server, loop, options, sim.clock.now, sim.ids.request)


def _connections(protocols: _Protocols, settings: Settings, certs: CertStore) -> TlsConnections:
    """The listener's protocol factory: TLS (with its alerts) around ``protocols``, and
    past ``--max-connections`` the 503 refusal."""
    now, request_id = protocols.now, protocols.request_id
    refusal_timeout = min(10.0, settings.keepalive_timeout)
    return TlsConnections(
        certs.server_context(),
        protocols,
        lambda: _TooManyConnections(settings.max_connections, now, request_id, refusal_timeout),
        limit=settings.max_connections,
        handshake_timeout=settings.tls_handshake_timeout,
    )


@dataclass
class RunningServer:
    """A started simulator: ``url`` to call, ``stop()`` to end it."""

    sim: Simulator
    runner: web.AppRunner  # the app's lifecycle (start-up, clean-up)
    server: web.Server  # the API's connections
    listener: asyncio.Server
    host: str
    port: int
    certs: CertStore
    ui: UiListener | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    async def stop(self) -> None:
        """As ``AppRunner.cleanup()`` with a site: stop listening, close idle connections,
        let the requests in flight finish, then clean the app up (a scenario being played
        stops first: its receivers and timers go)."""
        if self.sim.player is not None:
            player, self.sim.player = self.sim.player, None
            await player.close()
        self.sim.feed.close_readers()  # open event streams end now, not at the timeout
        if self.ui is not None:
            ui, self.ui = self.ui, None
            await ui.stop()
        self.listener.close()
        await asyncio.sleep(0)  # requests accepted before the close start being handled
        self.server.pre_shutdown()
        await self.server.shutdown(SHUTDOWN_TIMEOUT)
        await self.runner.cleanup()  # on_shutdown, then cleanup_ctx (clock, delivery)


async def start(settings: Settings, sim: Simulator | None = None) -> RunningServer:
    """Create missing certificates, build the simulator and listen (``port`` 0 = any free)."""
    certs = CertStore(settings.certs)
    hosts = ("localhost", "127.0.0.1", "::1", *settings.extra_hosts, settings.host)
    certs.ensure(hosts)
    if sim is None:
        sim = Simulator(settings)
        sim.bus.subscribe(Notification, log_notification)  # remote steps, monitor events
    runner = web.AppRunner(create_app(sim), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        server, protocols = _api_server(runner, settings)
        listener = await asyncio.get_running_loop().create_server(
            _connections(protocols, settings, certs), settings.host, settings.port, backlog=1024
        )
    except BaseException:
        await runner.cleanup()
        raise
    port = listener.sockets[0].getsockname()[1]
    running = RunningServer(sim, runner, server, listener, settings.host, port, certs)
    try:
        running.ui = await _start_ui(sim, settings)
    except BaseException:
        await running.stop()
        raise
    return running


def _fd_room(connections: int) -> None:
    """Raise the soft RLIMIT_NOFILE so that ``connections`` sockets (plus the refused
    ones, files and outgoing webhook sockets) fit: past it ``accept`` would fail."""
    if sys.platform == "win32":
        return
    import resource

    needed = connections + 512
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    room = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (room, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < needed:
        log.warning(
            "RLIMIT_NOFILE allows %d open files: fewer than --max-connections %d "
            "connections can be served",
            resource.getrlimit(resource.RLIMIT_NOFILE)[0],
            connections,
        )


GC_THRESHOLDS = (10_000, 10, 10)
"""``serve``'s cyclic GC thresholds.  With the default 700 a busy server (events queued
for delivery, the journal, the feed, log lines waiting for the writer: all objects that
live a while) spent about 40 % of its CPU in collections (bench/delivery.py, batched:
2.7 s of GC for 200,000 events); young collections every 10,000 allocations take that
to about 0.5 s.  Nearly all garbage goes by reference counting anyway."""


async def serve(settings: Settings, out: TextIO = sys.stdout) -> int:
    """``python -m simulator serve``: run until SIGINT or SIGTERM, then stop cleanly."""
    _fd_room(settings.max_connections)
    running = await start(settings)
    use_clock(running.sim.clock.time)  # log lines carry the simulated time
    try:
        await _play_scenario(running, settings)
    except BaseException:  # a body the API refused (ScenarioError): nothing left running
        await running.stop()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Event loops without POSIX signal support (Windows) cannot register handlers;
        # there Ctrl+C still ends the process through KeyboardInterrupt in cli.main.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    # Everything built at start-up lives as long as the process: keep it out of the
    # cyclic GC's way so collections stay proportional to per-request garbage.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    print(f"ready {running.url}", file=out, flush=True)
    after_ready(lambda: _banner(running))  # then the lines logged while starting
    try:
        await stop.wait()
    finally:
        await running.stop()
    return 0


async def _play_scenario(running: RunningServer, settings: Settings) -> None:
    """``--scenario`` with a timeline or expectations: set it up (receivers, states,
    callbacks, monitors) and start its timeline on the clock, before ``ready``."""
    scenario = running.sim.scenario
    if scenario is None or not scenario.scripted or settings.scenario is None:
        return
    text = settings.scenario.read_text(encoding="utf-8")
    await play_live(running.sim, running.url, settings.scenario, text, scenario)


def _names(path: Path) -> list[str]:
    """The host names and addresses the certificate at ``path`` is valid for."""
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return []
    return [*names.get_values_for_type(x509.DNSName),
            *(str(ip) for ip in names.get_values_for_type(x509.IPAddress))]  # fmt: skip


def _few(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _banner(running: RunningServer) -> None:
    """The lines after ``ready`` (``ccsim.banner``, at info: ``--quiet`` hides them): the
    certificates, who can log in (never a password or secret), the URLs."""
    banner = logging.getLogger(BANNER)
    if not banner.isEnabledFor(logging.INFO):
        return
    certs, sim = running.certs, running.sim
    folder = certs.directory.resolve()
    hosts = _names(certs.server_cert)
    users = [user.email for user in sim.identity.users.values()]
    clients = list(sim.identity.clients)
    where = (
        'docs/local.md, "Calling the API"'
        if sim.scenario is None or sim.scenario.keeps_demo
        else str(sim.settings.scenario)
    )
    control = running.url + CONTROL_PREFIX
    guarded = (
        " (Authorization: Bearer <--control-token>)" if sim.settings.control_token_digest else ""
    )
    lines: list[tuple[str, dict[str, Any]]] = [
        (
            f"certificates in {folder}: trust {certs.ca.name}, present "
            f"{certs.client_cert.name} + {certs.client_key.name} (webhook receivers: "
            f"{certs.webhook_cert.name} + {certs.webhook_key.name})",
            {
                "certs": str(folder),
                "ca": str(certs.ca.resolve()),
                "client_cert": str(certs.client_cert.resolve()),
                "client_key": str(certs.client_key.resolve()),
            },
        ),
        (f"server certificate valid for {', '.join(hosts) or '(unreadable)'}", {"hosts": hosts}),
        (
            f"users {_few(users)}; clients {_few(clients)} (passwords and secrets: {where})",
            {"users": users, "clients": clients},
        ),
        (
            f"API {running.url}{API_PREFIX}, control API {control}{guarded}, "
            f"OpenAPI {control}/openapi.json",
            {
                "api": running.url + API_PREFIX,
                "control": control,
                "openapi": control + "/openapi.json",
            },
        ),
    ]
    ui = [running.url + UI_PATH] + ([running.ui.url] if running.ui is not None else [])
    plain = " (plain HTTP, this machine only)" if running.ui is not None else ""
    lines.append(
        (
            f"live view {running.url}{UI_PATH} (import {certs.client_p12.name} into the "
            'browser: docs/local.md, "Live view")'
            + (f", {running.ui.url}{plain}" if running.ui is not None else ""),
            {"ui": ui},
        )
    )
    for message, fields in lines:
        banner.info("%s", message, extra={FIELDS: fields})
