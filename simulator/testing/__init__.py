"""Run a real simulator (mTLS, port 0) in a background thread, for tests and scripts.

    with ThreadedSimulator(certs_dir, vehicles=3, manual_clock=True) as sim:
        token = sim.token()
        requests.get(sim.url + "/connectedcar/v4/user/vehicles", ...)
        sim.advance(60)  # one minute of virtual time, then wait until the simulator is idle

Usable as a context manager or with ``start()`` / ``stop()``; works from sync
and async tests alike because the server owns its own event loop.

The helpers a test reads like its specification (:mod:`simulator.testing.client`)::

    car = sim.vehicles[0]                          # or sim.vehicles["alice-car"]
    sim.control.set_state(car, lockedStates=["Unlocked"])
    sim.api.get(f"/user/vehicles/{car.id}/status")  # parsed JSON; ApiCallError unless 2xx
    sim.control.advance("PT10M")

``ThreadedSimulator(certs, scenario=Path("file.yaml"))`` serves a scenario file as
``serve --scenario`` does: its users, clients and vehicles, its start and ``life``, and
when it scripts something its receivers, callbacks, monitors and timeline (played again
by :meth:`ThreadedSimulator.reset`).
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
from simulator.scenario import load_scenario
from simulator.scenario.live import play_live
from simulator.server import RunningServer, start
from simulator.store import Simulator
from simulator.testing.client import (
    DEFAULT_REALM,
    ApiClient,
    Control,
    Login,
    SimVehicle,
    Vehicles,
)
from simulator.testing.http import ApiCallError, Http
from simulator.testing.scenarios import (
    ExpectationResult,
    ScenarioResult,
    play_scenario,
    play_scenario_async,
)
from simulator.tls import CertStore

__all__ = [
    "ApiCallError",
    "ApiClient",
    "Control",
    "ExpectationResult",
    "ScenarioResult",
    "SimVehicle",
    "ThreadedSimulator",
    "Vehicles",
    "play_scenario",
    "play_scenario_async",
]

T = TypeVar("T")


class ThreadedSimulator:
    def __init__(self, certs: Path, *, control_token: str | None = None, **settings: Any) -> None:
        # a still fleet unless asked (life=True): tests see only what they do
        if control_token is not None:
            settings["control_token_digest"] = control_token_digest(control_token)
        scenario = settings.get("scenario")
        if scenario is not None:  # the file's start and life unless given (as `serve` does)
            settings["scenario"] = Path(scenario)
            declared = load_scenario(Path(scenario))  # ScenarioError: file:line: field: why
            if declared.start is not None:
                settings.setdefault("start", declared.start)
            if declared.life is not None:
                settings.setdefault("life", declared.life)
        self.settings = replace(Settings(certs=certs, port=0, life=False), **settings)
        self.certs = CertStore(certs)
        self._control_token = control_token
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: RunningServer | None = None
        self._api: ApiClient | None = None

    # ------------------------------------------------------------ lifecycle
    def start(self) -> ThreadedSimulator:
        ready: Future[RunningServer] = Future()
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)

            async def boot() -> None:
                try:
                    running = await start(self.settings)
                except BaseException as exc:  # hand any start failure to the caller
                    ready.set_exception(exc)
                    return
                try:
                    await self._play(running.sim, running.url)
                except BaseException as exc:  # a body the API refused: ScenarioError
                    await running.stop()
                    ready.set_exception(exc)
                    return
                ready.set_result(running)

            loop.run_until_complete(boot())
            if ready.exception() is None:  # else nothing runs: the thread ends
                loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="ccsim-server", daemon=True)
        self._thread.start()
        try:
            self._server = ready.result(timeout=30)
        except BaseException:
            self._thread.join(timeout=30)
            if not loop.is_running():
                loop.close()
            self._loop = self._thread = None
            raise
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
        self._api = None

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
    def ui_url(self) -> str | None:
        """The live view on the plain-HTTP ``ui_port`` listener (None without it)."""
        assert self._server is not None, "simulator not started"
        listener = self._server.ui
        return None if listener is None else listener.url

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

    def settle(self) -> None:
        """Let everything due now happen: the timers due fire, every send in flight and
        every scenario step under way ends (``advance(0)``).  What has not happened then
        waits for the clock to move."""
        self.advance(0)

    def reset(self) -> None:
        """Back to the initial users, clients and fleet; a scenario that scripts something
        is set up and played again from now (its receivers, callbacks, monitors, states)."""
        self._run(self._reset())

    async def _reset(self) -> None:
        sim = self.sim
        if sim.player is not None:
            await self._play(sim, self.url)
        else:
            sim.reset()

    async def _play(self, sim: Simulator, url: str) -> None:
        """A scenario that scripts something: set it up and start its timeline (as
        ``serve --scenario`` does before ``ready``)."""
        path = self.settings.scenario
        scenario = sim.scenario
        if path is None or scenario is None or not scenario.scripted:
            return
        await play_live(sim, url, path, path.read_text(encoding="utf-8"), scenario)

    # ------------------------------------------------------------ test helpers
    @property
    def http(self) -> Http:
        """HTTPS to this simulator (client certificate, its CA), paths from the root."""
        return Http(self.url, self.client_context)

    @property
    def api(self) -> ApiClient:
        """The v4 API as the demo user (or the scenario's first user) through its client:
        ``get/post/put/patch/delete(path, json=None, params=None)`` give parsed JSON and
        raise :class:`ApiCallError` (status and v4 error body) unless 2xx;
        ``as_user(email)`` acts as another user."""
        if self._api is None:
            self._api = ApiClient(self.http, self._login(None), logins=self._login_for)
        return self._api

    @property
    def control(self) -> Control:
        """The control API as helpers: ``advance``, ``set_state``, ``behaviour``,
        ``deliveries``, ``reset``, ``call``."""
        token = self._control_token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return Control(self, self.http, headers)

    @property
    def vehicles(self) -> Vehicles:
        """Every vehicle, in fleet order, with its scenario name when it has one:
        ``vehicles[0]``, ``vehicles["alice-car"]``, by id or VIN too."""

        def read(sim: Simulator) -> list[SimVehicle]:
            names = {vid: name for name, vid in sim.named_vehicles.items()}
            users = sim.identity.users
            return [
                SimVehicle(
                    id=v.id,
                    vin=v.vin,
                    name=names.get(v.id),
                    owner=users[v.owner].email if v.owner in users else v.owner,
                    brand=v.model.brand.name,
                    label=v.model.label,
                    motorization=str(v.model.motorization),
                )
                for v in sim.fleet
            ]

        return Vehicles(self.call(read))

    def _login_for(
        self,
        user: str,
        password: str | None,
        client_id: str | None,
        client_secret: str | None,
    ) -> Login:
        found = self._login(user, client_id)
        return Login(
            found.user,
            password if password is not None else found.password,
            found.client_id,
            client_secret if client_secret is not None else found.client_secret,
        )

    def _login(self, user: str | None, client_id: str | None = None) -> Login:
        """A user's password and a client (``client_id``, else the scenario's client whose
        default user they are, else its first, else the demo client), from the scenario
        file or the demo defaults; unknown ones get an empty password."""
        scenario = self.call(lambda sim: sim.scenario)
        users = {DEFAULT_USER.lower(): DEFAULT_PASSWORD}
        clients = {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET}
        ordered: list[tuple[str, str, str | None]] = []
        if scenario is not None:
            if not scenario.keeps_demo:
                users, clients = {}, {}
            users.update({u.email.lower(): u.password for u in scenario.users})
            clients.update({c.clientId: c.clientSecret for c in scenario.clients})
            ordered = [(c.clientId, c.clientSecret, c.defaultUser) for c in scenario.clients]
            if user is None and scenario.users:
                user = scenario.users[0].email
        user = user or DEFAULT_USER
        if client_id is None:
            own = [c for c, _, default in ordered if (default or "").lower() == user.lower()]
            fallback = DEFAULT_CLIENT_ID if DEFAULT_CLIENT_ID in clients else None
            client_id = next(iter(own), fallback or next(iter(clients), DEFAULT_CLIENT_ID))
        return Login(user, users.get(user.lower(), ""), client_id, clients.get(client_id, ""))

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
