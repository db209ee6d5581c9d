"""Run a real simulator (mTLS, port 0) in a background thread, for tests and scripts.

    with ThreadedSimulator(certs_dir, vehicles=3, manual_clock=True) as sim:
        token = sim.token()
        requests.get(sim.url + "/connectedcar/v4/user/vehicles", ...)
        sim.advance(60)  # one minute of virtual time, then wait until the simulator is idle

Usable as a context manager or with ``start()`` / ``stop()``; works from sync
and async tests alike because the server owns its own event loop.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from simulator.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_PASSWORD,
    DEFAULT_USER,
    Settings,
    control_token_digest,
)
from simulator.paths import AUTH_PREFIX
from simulator.server import RunningServer, start
from simulator.store import Simulator
from simulator.testing.scenarios import (
    ExpectationResult,
    ScenarioResult,
    play_scenario,
    play_scenario_async,
)
from simulator.tls import CertStore

__all__ = [
    "ExpectationResult",
    "ScenarioResult",
    "ThreadedSimulator",
    "play_scenario",
    "play_scenario_async",
]

T = TypeVar("T")

DEFAULT_REALM = "clientsB2CPeugeot"


class ThreadedSimulator:
    def __init__(self, certs: Path, *, control_token: str | None = None, **settings: Any) -> None:
        # a still fleet unless asked (life=True): tests see only what they do
        if control_token is not None:
            settings["control_token_digest"] = control_token_digest(control_token)
        self.settings = replace(Settings(certs=certs, port=0, life=False), **settings)
        self.certs = CertStore(certs)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: RunningServer | None = None

    # ------------------------------------------------------------ lifecycle
    def start(self) -> ThreadedSimulator:
        ready: Future[RunningServer] = Future()
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)

            async def boot() -> None:
                try:
                    ready.set_result(await start(self.settings))
                except BaseException as exc:  # hand any start failure to the caller
                    ready.set_exception(exc)

            loop.run_until_complete(boot())
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="ccsim-server", daemon=True)
        self._thread.start()
        self._server = ready.result(timeout=30)
        return self

    def stop(self) -> None:
        if self._loop is None or self._server is None:
            return
        asyncio.run_coroutine_threadsafe(self._server.stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(timeout=30)
        self._loop.close()
        self._loop = self._server = self._thread = None

    def __enter__(self) -> ThreadedSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ access
    @property
    def url(self) -> str:
        assert self._server is not None, "simulator not started"
        return self._server.url

    @property
    def port(self) -> int:
        assert self._server is not None, "simulator not started"
        return self._server.port

    @property
    def sim(self) -> Simulator:
        """The live state.  Touch it only through :meth:`call` (it lives on the server loop)."""
        assert self._server is not None, "simulator not started"
        return self._server.sim

    def call(self, fn: Callable[[Simulator], T]) -> T:
        """Run ``fn(simulator)`` on the server's loop and return its result."""

        async def run() -> T:
            return fn(self.sim)

        return self._run(run())

    def _run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run ``coroutine`` on the server's loop and return its result."""
        assert self._loop is not None, "simulator not started"
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=timeout)

    def wait_idle(self, timeout: float = 30) -> None:
        """Until the simulator is idle: no delivery in flight, nothing left to run now.

        Whatever is still to happen waits for the clock (a retry, a batch window, a
        remote's next step): after this, what has not happened will not happen before
        the clock moves.  Sends are real I/O, so this may take wall time; never a sleep.
        """
        self._run(self.sim.delivery.wait_idle(), timeout)

    def wait_websockets_closed(self, timeout: float = 30) -> None:
        """Until the simulator has seen every websocket target that went down close its
        connection (the next send then reconnects, or fails)."""
        self._run(self.sim.delivery.wait_websockets_closed(), timeout)

    def advance(self, seconds: float) -> datetime:
        """Move the virtual clock ``seconds`` forward as time would pass (every timer due
        on the way, in order, the sends each starts finishing before the clock moves on),
        then :meth:`wait_idle`; the clock's new reading."""
        now = self._run(self.sim.advance(seconds), timeout=300)
        self.wait_idle()
        return now

    def client_context(self) -> ssl.SSLContext:
        return self.certs.client_context()

    def token(
        self,
        username: str = DEFAULT_USER,
        password: str = DEFAULT_PASSWORD,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        scope: str | None = None,
    ) -> dict[str, Any]:
        """A password-grant token answer (``access_token``, ``refresh_token``, ...)."""
        form = {
            "grant_type": "password",
            "username": username,
            "password": password,
            "client_id": client_id,
            "client_secret": client_secret,
        }
        if scope is not None:
            form["scope"] = scope
        request = urllib.request.Request(
            self.url + AUTH_PREFIX + "/access_token",
            data=urllib.parse.urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        with urllib.request.urlopen(request, context=self.client_context(), timeout=30) as resp:
            answer: dict[str, Any] = json.loads(resp.read())
        return answer

    @staticmethod
    def api_headers(access_token: str, realm: str = DEFAULT_REALM) -> dict[str, str]:
        return {"Authorization": f"Bearer {access_token}", "x-introspect-realm": realm}
