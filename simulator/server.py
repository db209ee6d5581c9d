"""Composition root: the root aiohttp app, its sub-apps, and serving over mTLS."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import logging
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from simulator.api.app import GRANT, add_api_routes
from simulator.api.http import SIM, error_body, error_response
from simulator.auth.web import create_app as create_auth_app
from simulator.config import Settings
from simulator.control.app import create_app as create_control_app
from simulator.errors import ApiError, ErrorCode
from simulator.journal import RequestRecord, redact_target
from simulator.store import Simulator
from simulator.tls import CertStore

log = logging.getLogger("simulator")


class RequestIds:
    """UUID-shaped request ids: a random per-process prefix and a counter.

    Unique and cheap (no system call per request); they identify, they do not
    authenticate, so they need not be unpredictable.
    """

    def __init__(self) -> None:
        head = uuid.uuid4().hex
        self._prefix = f"{head[:8]}-{head[8:12]}-4{head[13:16]}-{head[16:20]}-"
        self._next = itertools.count(int(head[20:], 16) & 0xFFFFFFFF).__next__

    def __call__(self) -> str:
        return f"{self._prefix}{self._next() & 0xFFFFFFFFFFFF:012x}"


REQUEST_IDS = web.AppKey("request_ids", RequestIds)

API_PREFIX = "/connectedcar/v4"
AUTH_PREFIX = "/am/oauth2"
CONTROL_PREFIX = "/simulator/v1"

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


def instrument(app: web.Application, handler: RawHandler) -> RawHandler:
    """Wrap the app's request handler: request id, one JSON error shape, the journal.

    It sits around the whole app (routing included, so 404 and 405 pass
    through it too) instead of being a middleware: same effect, less per-request
    machinery on the hot path.
    """
    sim = app[SIM]
    next_id = app[REQUEST_IDS]

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        request_id = next_id()
        started = time.perf_counter()
        error_code: int | None = None
        response: web.StreamResponse
        try:
            response = await handler(request)
        except ApiError as exc:
            error_code = int(exc.code)
            response = error_response(exc, request_id, sim.clock.now())
        except web.HTTPException as http_exc:
            if http_exc.status < 400:
                response = web.Response(status=http_exc.status, headers=http_exc.headers)
            else:
                mapped = _from_http_exception(http_exc)
                error_code = int(mapped.code)
                response = error_response(mapped, request_id, sim.clock.now())
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("unexpected error, request id %s", request_id)
            unexpected = ApiError(
                ErrorCode.UNEXPECTED, f"unexpected error, request id {request_id}"
            )
            error_code = int(unexpected.code)
            response = error_response(unexpected, request_id, sim.clock.now())
        response.headers["X-Request-Id"] = request_id
        grant = request.get(GRANT)
        sim.requests.record(
            RequestRecord(
                request_id,
                sim.clock.time(),
                request.method,
                redact_target(request.raw_path),
                response.status,
                (time.perf_counter() - started) * 1000,
                grant.client_id if grant else None,
                grant.user_id if grant else None,
                error_code,
            )
        )
        return response

    return handle


def create_app(sim: Simulator) -> web.Application:
    app = web.Application(client_max_size=sim.settings.max_body_bytes)
    app[SIM] = sim
    app[REQUEST_IDS] = RequestIds()

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
    return app


class _JsonErrorProtocol(RequestHandler):
    """Requests aiohttp cannot even parse (line too long, bad framing) get our JSON error too."""

    now: Callable[[], datetime]

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        super().handle_error(request, status, exc, message)  # logs, checks nothing was sent
        code = _STATUS_CODES.get(status, ErrorCode.UNEXPECTED)
        if status == 400:
            code = ErrorCode.MALFORMED_REQUEST
        text = "the request could not be parsed" if status < 500 else "unexpected error"
        request_id = str(uuid.uuid4())
        response = web.Response(
            body=error_body(ApiError(code, text), request_id, self.now()),
            status=status,
            content_type="application/json",
            headers={"X-Request-Id": request_id},
        )
        response.force_close()
        return response


class _Server(web.Server):
    def __init__(self, now: Callable[[], datetime], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._now = now

    def __call__(self) -> RequestHandler:
        protocol = _JsonErrorProtocol(self, loop=self._loop, **self._kwargs)
        protocol.now = self._now
        return protocol


class _Runner(web.AppRunner):
    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()
        return _Server(
            self.app[SIM].clock.now,
            instrument(self.app, plain.request_handler),
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            loop=plain._loop,
            **plain._kwargs,
        )


@dataclass
class RunningServer:
    """A started simulator: ``url`` to call, ``stop()`` to end it."""

    sim: Simulator
    runner: web.AppRunner
    host: str
    port: int
    certs: CertStore

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start(settings: Settings, sim: Simulator | None = None) -> RunningServer:
    """Create missing certificates, build the simulator and listen (``port`` 0 = any free)."""
    certs = CertStore(settings.certs)
    hosts = ("localhost", "127.0.0.1", "::1", *settings.extra_hosts, settings.host)
    certs.ensure(hosts)
    sim = sim or Simulator(settings)
    app = create_app(sim)
    runner = _Runner(
        app, access_log=None, handle_signals=False, max_line_size=32768, max_field_size=32768
    )
    await runner.setup()
    site = web.TCPSite(
        runner, settings.host, settings.port, ssl_context=certs.server_context(), backlog=1024
    )
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.base_events.Server)
    port = server.sockets[0].getsockname()[1]
    return RunningServer(sim, runner, settings.host, port, certs)


async def serve(settings: Settings, out: TextIO = sys.stdout) -> int:
    """``python -m simulator serve``: run until SIGINT or SIGTERM, then stop cleanly."""
    running = await start(settings)
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
    print(f"ready {running.url}", file=out, flush=True)
    try:
        await stop.wait()
    finally:
        await running.stop()
    return 0
