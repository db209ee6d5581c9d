"""Playing a scenario on a running simulator: the same HTTPS requests a user's app and a
tester would make (token, callbacks, monitors, remotes, control API), a timeline on the
simulator's clock, and the judge watching what arrives.

Headless (:meth:`Player.run`, for ``python -m simulator run``) the clock is manual: the
player moves it from one due timer to the next and lets every send in flight finish at
each instant, so the run goes as fast as the machine allows and gives the same result
each time.  Live (:meth:`Player.start_live`, for ``serve --scenario``) the steps are
timers on the chosen clock and the judge looks every half second.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

from simulator.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_PASSWORD,
    DEFAULT_USER,
)
from simulator.errors import DomainError
from simulator.events import ScenarioProgress, VehicleSample
from simulator.paths import API_PREFIX, AUTH_PREFIX, CONTROL_PREFIX
from simulator.scenario import ScenarioError
from simulator.scenario.api_faults import play_api_fault
from simulator.scenario.checks import RECEIVER_PREFIX, callback_client, callback_user
from simulator.scenario.judge import OPEN, Judge, Result
from simulator.scenario.locate import field_name, line_of
from simulator.scenario.receivers import Receiver
from simulator.scenario.script import MonitorDecl, Point, Step

if TYPE_CHECKING:
    from simulator.scenario.model import Scenario
    from simulator.store import Simulator
    from simulator.tls import CertStore

__all__ = ["Player", "Progress"]

log = logging.getLogger("simulator.scenario")

API = API_PREFIX
CONTROL = CONTROL_PREFIX
REALM = "clientsB2CPeugeot"


@dataclass
class Progress:
    """What a progress display shows."""

    now: float
    start: float
    end: float
    steps_done: int
    steps: int
    decided: int
    expectations: int


class StepFailed(DomainError):
    """A step the simulator refused while playing (a 4xx answer)."""


def _loc(field: str) -> tuple[str | int, ...]:
    """An API error's field (``triggerParam.triggers.0.zone`` or ``a[0].b``) as a path."""
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", field):
        token = name or index
        parts.append(int(token) if token.isdigit() else token)
    return tuple(parts)


def _vehicle_request(action: str, detail: Any) -> tuple[str, str, dict[str, Any]]:
    """The control API request a vehicle step makes: method, resource, body."""
    match action:
        case "plug":
            body: dict[str, Any] = {"plugged": True}
            if detail.powerKw is not None:
                body["chargerPowerKw"] = detail.powerKw
            return "PATCH", "state", body
        case "unplug":
            return "PATCH", "state", {"plugged": False}
        case "privacy":
            return "PATCH", "state", {"privacy": detail.state}
        case "alerts":
            return "PATCH", "state", {"alerts": detail.active}
        case "sleep" | "wake":
            return "PATCH", "remote-behaviour", {"asleep": action == "sleep"}
        case "failures":
            return (
                "POST",
                "remote-failures",
                detail.model_dump(exclude={"vehicle"}, exclude_none=True),
            )
    raise ValueError(f"not a vehicle step: {action}")


class Player:
    def __init__(
        self,
        scenario: Scenario,
        path: Path,
        text: str,
        sim: Simulator,
        url: str,
        certs: CertStore,
        *,
        control_token: str | None = None,
    ) -> None:
        self.scenario = scenario
        self.path = path
        self.text = text
        self.sim = sim
        self.url = url
        self.certs = certs
        self._control_headers = (
            {"Authorization": f"Bearer {control_token}"} if control_token else {}
        )
        self.receivers: dict[str, Receiver] = {}
        self._session: aiohttp.ClientSession | None = None
        self._tokens: dict[tuple[str, str], str] = {}
        self._callback_owner: dict[str, tuple[str, str]] = {}  # name -> (user, client)
        self._dirty: set[str] = set()  # vehicle ids sampled since last looked at
        self._seen_records = 0
        self._frames_sent = 0  # messages delivered to our websocket receivers (the journal's)
        self._sockets: set[str] = set()  # their URLs
        self._monitor_ids: dict[str, list[tuple[str, str]]] = {}  # name -> (vehicle, monitor)
        self._fed: dict[str, int] = {}  # arrivals handed to the judge, per receiver
        self.steps_done = 0
        self.start = sim.clock.time()
        self.judge = Judge(
            scenario.expect, self.start, self.start + scenario.duration.total_seconds()
        )
        self._live: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._timers: list[Any] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.error: str | None = None
        self.finished = False
        self._told: set[int] = set()  # expectations whose verdict was published

    # ------------------------------------------------------------ set-up
    async def setup(self) -> None:
        """Receivers listen; named vehicles get their state; callbacks and monitors are
        registered as their users would.  A body the API refuses raises ScenarioError
        at its line in the file."""
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=self.certs.client_context()),
        )
        context = self.certs.webhook_server_context()
        for decl in self.scenario.receivers:
            receiver = Receiver(decl.name, decl.kind, decl.status, self.sim.clock.time, context)
            await receiver.start()
            self.receivers[decl.name] = receiver
            self._fed[decl.name] = 0
        self._sockets = {r.url for r in self.receivers.values() if r.kind == "websocket"}
        self._unsubscribe = self.sim.bus.subscribe(VehicleSample, self._sampled)
        names = self.judge.names
        for name, vehicle_id in self.sim.named_vehicles.items():
            names.vehicles[name] = vehicle_id
            vehicle = self.sim.fleet.get(vehicle_id)
            assert vehicle is not None
            names.vins[name] = vehicle.vin
        for i, group in enumerate(self.scenario.vehicles):
            if group.name is not None and group.state is not None:
                await self._state(group.name, dict(group.state), ("vehicles", i, "state"))
        for i in range(len(self.scenario.callbacks)):
            await self._register_callback(i)
        for i in range(len(self.scenario.monitors)):
            await self._create_monitor(i)
        self._observe()

    async def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for task in list(self._tasks):  # live steps still being played
            task.cancel()
        if self._live is not None:
            self._live.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._live
        if self._unsubscribe is not None:  # close() may come twice (the run, then the server)
            self._unsubscribe()
            self._unsubscribe = None
        for receiver in self.receivers.values():
            await receiver.stop()
        if self._session is not None:
            await self._session.close()

    def _sampled(self, sample: VehicleSample) -> None:
        self._dirty.add(sample.vehicle_id)

    # ------------------------------------------------------------ HTTP
    async def _call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        auth: tuple[str, str] | None = None,
        where: tuple[str | int, ...] | None = None,
    ) -> Any:
        """One request (as ``auth``'s user and client for the API: a token that expired
        on the simulated clock is renewed once); a 4xx is the file's fault (ScenarioError
        at ``where``)."""
        status, answer = await self._send(method, path, body, auth)
        if status == 401 and auth is not None:
            self._tokens.pop(auth, None)
            status, answer = await self._send(method, path, body, auth)
        if status < 400:
            return answer
        message = answer.get("message", "") if isinstance(answer, dict) else str(answer)
        field = answer.get("debug") if isinstance(answer, dict) else None
        if where is None:
            raise StepFailed(f"{method} {path}: {status} {message}")
        loc = (*where, *_loc(field)) if isinstance(field, str) and field != "body" else where
        raise ScenarioError(
            self.path,
            message or f"refused ({status})",
            line=line_of(self.text, loc),
            field=field_name(loc),
        )

    async def _send(
        self, method: str, path: str, body: Any, auth: tuple[str, str] | None
    ) -> tuple[int, Any]:
        assert self._session is not None
        headers = dict(self._control_headers) if path.startswith(CONTROL) else {}
        params: dict[str, str] = {}
        if auth is not None:
            token = await self._token(*auth)
            headers = {"Authorization": f"Bearer {token}", "x-introspect-realm": REALM}
            params["client_id"] = auth[1]
        async with self._session.request(
            method, self.url + path, json=body, headers=headers, params=params
        ) as response:
            empty = response.content_length == 0
            return response.status, None if empty else await response.json(content_type=None)

    async def _token(self, user: str, client: str) -> str:
        key = (user, client)
        if key not in self._tokens:
            password = next(
                (u.password for u in self.scenario.users if u.email.lower() == user),
                DEFAULT_PASSWORD if user == DEFAULT_USER else "",
            )
            secret = next(
                (c.clientSecret for c in self.scenario.clients if c.clientId == client),
                DEFAULT_CLIENT_SECRET if client == DEFAULT_CLIENT_ID else "",
            )
            assert self._session is not None
            form = {"grant_type": "password", "username": user, "password": password}
            basic = base64.b64encode(f"{client}:{secret}".encode()).decode()
            async with self._session.post(
                self.url + AUTH_PREFIX + "/access_token",
                data=form,
                headers={"Authorization": f"Basic {basic}"},
            ) as response:
                answer = await response.json(content_type=None)
                if response.status != 200:
                    raise StepFailed(f"no token for {user} with {client}: {answer}")
            self._tokens[key] = str(answer["access_token"])
        return self._tokens[key]

    def _owner_key(self, vid: str) -> tuple[str, str]:
        """The owner of vehicle ``vid`` and the client they use."""
        vehicle_obj = self.sim.fleet.get(vid)
        assert vehicle_obj is not None
        user = next(u for u in self.sim.identity.users.values() if u.id == vehicle_obj.owner)
        email = user.email.lower()
        client = callback_client(self.scenario, email, None) or next(
            iter(self.sim.identity.clients)
        )
        return email, client

    # ------------------------------------------------------------ declarations
    def _place(self, value: Any) -> dict[str, float]:
        if isinstance(value, str):
            point = self.scenario.places[value]
        elif isinstance(value, Point):
            point = value
        else:
            return dict(value)
        return {"longitude": float(point.longitude), "latitude": float(point.latitude)}

    def _with_receivers(self, body: Any) -> Any:
        if isinstance(body, str) and body.startswith(RECEIVER_PREFIX):
            return self.receivers[body.removeprefix(RECEIVER_PREFIX)].url
        if isinstance(body, dict):
            return {k: self._with_receivers(v) for k, v in body.items()}
        if isinstance(body, list):
            return [self._with_receivers(v) for v in body]
        return body

    async def _register_callback(self, i: int) -> None:
        decl = self.scenario.callbacks[i]
        email = callback_user(self.scenario, decl)
        assert email is not None
        client_id = callback_client(self.scenario, email, decl.client)
        assert client_id is not None
        answer = await self._call(
            "POST",
            API + "/user/callbacks",
            self._with_receivers(decl.body),
            auth=(email, client_id),
            where=("callbacks", i, "body"),
        )
        self.judge.names.callbacks[decl.name] = str(answer["callbackId"])
        self._callback_owner[decl.name] = (email, client_id)

    def _vehicles_of(self, decl: MonitorDecl) -> list[str]:
        """The ids of the vehicles ``decl`` watches: its vehicle, or every one of its owner."""
        if decl.vehicle is not None:
            return [self.judge.names.vehicles[decl.vehicle]]
        assert decl.owner is not None
        user = self.sim.identity.users[decl.owner.lower()]
        return [v.id for v in self.sim.fleet if v.owner == user.id]

    def _monitors_of(self, decl: MonitorDecl, vid: str) -> tuple[str, tuple[str, str]]:
        """Where ``decl``'s monitors on vehicle ``vid`` are (current form under its callback,
        else the older form's path) and who made them."""
        names = self.judge.names
        if decl.callback is not None:
            cbid = names.callbacks[decl.callback]
            return (
                f"{API}/user/vehicles/{vid}/callbacks/{cbid}/monitors",
                self._callback_owner[decl.callback],
            )
        return f"{API}/user/vehicles/{vid}/monitors", self._owner_key(vid)

    async def _create_monitor(self, i: int) -> None:
        decl = self.scenario.monitors[i]
        body = self._with_receivers(decl.body)
        made = self._monitor_ids[decl.name] = []
        for vid in self._vehicles_of(decl):
            path, auth = self._monitors_of(decl, vid)
            answer = await self._call("POST", path, body, auth=auth, where=("monitors", i, "body"))
            made.append((vid, str(answer.get("monitorId") or answer.get("mid"))))
        self.judge.names.monitors[decl.name] = {mid for _, mid in made}

    async def _state(
        self, vehicle: str, body: dict[str, Any], where: tuple[str | int, ...] | None
    ) -> None:
        body.pop("vehicle", None)
        if "position" in body:
            body["position"] = self._place(body["position"])
        vid = self.judge.names.vehicles[vehicle]
        await self._call("PATCH", f"{CONTROL}/vehicles/{vid}/state", body, where=where)

    # ------------------------------------------------------------ steps
    async def do(self, index: int, step: Step) -> None:
        """Play one timeline step (a refused one: ScenarioError at its line)."""
        where: tuple[str | int, ...] = ("timeline", index, step.action)
        detail = step.detail
        names = self.judge.names
        action = step.action
        if action in ("state", "behaviour"):
            body = dict(detail)
            vehicle = str(body.pop("vehicle"))
            if action == "state":
                await self._state(vehicle, body, where)
            else:
                vid = names.vehicles[vehicle]
                await self._call(
                    "PATCH", f"{CONTROL}/vehicles/{vid}/remote-behaviour", body, where=where
                )
        elif action == "drive":
            body = {"to": self._place(detail.to)}
            if detail.speedKmh is not None:
                body["speedKmh"] = detail.speedKmh
            vid = names.vehicles[detail.vehicle]
            await self._call("POST", f"{CONTROL}/vehicles/{vid}/drive", body, where=where)
        elif action == "remote":
            vid = names.vehicles[detail.vehicle]
            cbid = names.callbacks[detail.callback]
            token = self._callback_owner[detail.callback]
            answer = await self._call(
                "POST",
                f"{API}/user/vehicles/{vid}/callbacks/{cbid}/remotes",
                self._with_receivers(detail.body),
                auth=token,
                where=(*where, "body"),
            )
            names.remotes[detail.name or f"timeline[{index}]"] = str(answer["remoteActionId"])
        elif action == "receiver":
            await self.receivers[detail.name].set(status=detail.status, down=detail.down)
        else:
            await self._vehicle_step(action, detail, where)
        self.steps_done += 1

    async def _vehicle_step(self, action: str, detail: Any, where: tuple[str | int, ...]) -> None:
        names = self.judge.names
        if action in ("monitor", "callback"):
            await self._status_step(action, detail, where)
            return
        if action == "replay":
            answer = await self._call("GET", f"{CONTROL}/deliveries/dead-letters", where=where)
            cbid = names.callbacks.get(detail.callback) if detail.callback else None
            for dead in answer["deadLetters"]:
                if cbid is None or dead.get("callbackId") == cbid:
                    event = dead["eventId"]
                    await self._call(
                        "POST", f"{CONTROL}/deliveries/dead-letters/{event}/replay", where=where
                    )
            return
        if action == "life":
            await self._call("PUT", f"{CONTROL}/fleet/life", {"enabled": detail}, where=where)
            return
        if action == "apiFault":
            await play_api_fault(self._call, self.start, detail, where)
            return
        if action == "rateLimit":
            body = detail.model_dump(exclude={"client"})
            await self._call(
                "PUT", f"{CONTROL}/clients/{detail.client}/rate-limit", body, where=where
            )
            return
        vid = names.vehicles[detail.vehicle]
        method, resource, body = _vehicle_request(action, detail)
        await self._call(method, f"{CONTROL}/vehicles/{vid}/{resource}", body, where=where)

    async def _status_step(self, action: str, detail: Any, where: tuple[str | int, ...]) -> None:
        if action == "monitor":
            await self._each_monitor(detail, where)
            return
        auth = self._callback_owner[detail.name]
        path = f"{API}/user/callbacks/{self.judge.names.callbacks[detail.name]}"
        await self._status_or_delete(path, auth, detail, where)

    async def _each_monitor(self, detail: Any, where: tuple[str | int, ...]) -> None:
        monitor = next(m for m in self.scenario.monitors if m.name == detail.name)
        for vid, mid in self._monitor_ids[detail.name]:
            monitors, auth = self._monitors_of(monitor, vid)
            await self._status_or_delete(f"{monitors}/{mid}", auth, detail, where)

    async def _status_or_delete(
        self, path: str, auth: tuple[str, str], detail: Any, where: tuple[str | int, ...]
    ) -> None:
        if detail.delete:
            await self._call("DELETE", path, auth=auth, where=where)
        else:
            body = {"status": detail.status}
            await self._call("PUT", path + "/status", body, auth=auth, where=where)

    # ------------------------------------------------------------ watching
    def _observe(self) -> None:
        """Hand the judge what happened since it last looked (not the states: async)."""
        judge = self.judge
        journal = self.sim.delivery.journal
        new = journal.total - self._seen_records
        if new > 0:
            for record in journal.latest(new):
                judge.feed_record(record)
                if record.outcome == "delivered" and record.target in self._sockets:
                    self._frames_sent += 1
            self._seen_records = journal.total
        fresh = []
        for receiver in self.receivers.values():
            arrivals = receiver.arrivals
            if len(arrivals) > self._fed[receiver.name]:
                fresh.extend(arrivals[self._fed[receiver.name] :])
                self._fed[receiver.name] = len(arrivals)
        fresh.sort(key=lambda a: a.at)
        for arrival in fresh:
            judge.feed_arrival(arrival)

    async def _look_at_states(self) -> None:
        watched = self.judge.watched_vehicles()
        if not watched or not self._dirty:
            self._dirty.clear()
            return
        names = self.judge.names
        dirty, self._dirty = self._dirty, set()
        for vehicle in watched:
            vid = names.vehicles.get(vehicle)
            if vid is None or vid not in dirty:
                continue
            token = self._owner_key(vid)
            status = await self._call("GET", f"{API}/user/vehicles/{vid}/status", auth=token)
            self.judge.samples.setdefault(vehicle, []).append((self.sim.clock.time(), status))

    async def _settle(self) -> None:
        """Until no send is in flight and what the receivers got is counted."""
        await self.sim.delivery.wait_idle()
        self._observe()
        await self._frames_read()
        await self._look_at_states()
        self._observe()

    async def _frames_read(self) -> None:
        """Until the websocket receivers have read every message sent to them (a frame
        is sent before the receiver's own task reads it)."""
        sockets = [r for r in self.receivers.values() if r.kind == "websocket"]
        for _ in range(10_000):
            if sum(r.frames for r in sockets) >= self._frames_sent:
                return
            await asyncio.sleep(0)

    # ------------------------------------------------------------ headless
    async def run(self, progress: Callable[[Progress], None] | None = None) -> list[Result]:
        """The whole timeline on a manual clock, then the verdicts."""
        clock = self.sim.clock
        self._dirty.update(self.judge.names.vehicles.values())
        await self._settle()
        steps = sorted(enumerate(self.scenario.timeline), key=lambda pair: pair[1].at)
        shown = 0.0

        def report() -> None:
            nonlocal shown
            if progress is None or time.monotonic() - shown < 0.1:
                return
            shown = time.monotonic()
            progress(self.progress())

        for index, step in steps:
            await self._advance_to(self.start + step.at.total_seconds(), report)
            await self.do(index, step)
            await self._settle()
            self.judge.decide(clock.time())
            report()
        await self._advance_to(self.judge.end, report)
        self.finished = True
        results = self.judge.decide(clock.time(), final=True)
        if progress is not None:
            progress(self.progress())
        return results

    async def _advance_to(self, target: float, report: Callable[[], None]) -> None:
        async def instant() -> None:
            await self._settle()
            self.judge.decide(self.sim.clock.time())
            report()

        await self.sim.advance(max(0.0, target - self.sim.clock.time()), each=instant)

    @property
    def busy(self) -> bool:
        """A live step is being played."""
        return bool(self._tasks)

    async def wait_steps(self) -> None:
        """Until the live steps being played are done."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def progress(self) -> Progress:
        results = self.judge.results
        return Progress(
            now=self.sim.clock.time(),
            start=self.start,
            end=self.judge.end,
            steps_done=self.steps_done,
            steps=len(self.scenario.timeline),
            decided=sum(1 for r in results if r.state != OPEN),
            expectations=len(results),
        )

    # ------------------------------------------------------------ live
    def _announce(self, message: str) -> None:
        """Publish where the scenario is (the live view's progress, the event stream)."""
        results = self.judge.results
        held = sum(1 for r in results if r.held)
        pending = sum(1 for r in results if r.state == OPEN)
        self.sim.bus.publish(
            ScenarioProgress(
                self.path.name, self.sim.clock.time(), self.steps_done,
                len(self.scenario.timeline), held, len(results) - held - pending, pending,
                message,
            )
        )  # fmt: skip

    def start_live(self) -> None:
        """Steps as timers on the running clock (those already due run at once), in the
        file's order; the judge looks twice a second.  A step the simulator refuses
        counts as played and sets :attr:`error` (the file's line and field)."""
        loop = asyncio.get_running_loop()
        steps = sorted(enumerate(self.scenario.timeline), key=lambda pair: pair[1].at)
        chain: asyncio.Lock = asyncio.Lock()

        def due(index: int, step: Step) -> Callable[[], None]:
            async def play() -> None:
                async with chain:  # steps of one instant keep the file's order
                    try:
                        await self.do(index, step)
                    except Exception as exc:
                        self.steps_done += 1
                        self.error = str(exc) or type(exc).__name__
                        expected = isinstance(exc, DomainError | aiohttp.ClientError)
                        log.warning("scenario step %d failed: %s", index, self.error,
                                    exc_info=not expected)  # fmt: skip
                        self._announce(f"step {index} ({step.action}) failed: {self.error}")
                    else:
                        self._announce(f"step {index} ({step.action}) done")

            def fire() -> None:
                task = loop.create_task(play())
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

            return fire

        now = self.sim.clock.time()
        for index, step in steps:
            at = self.start + step.at.total_seconds()
            if at <= now:
                due(index, step)()
            else:
                self._timers.append(self.sim.clock.call_at(at, due(index, step)))
        self._live = loop.create_task(self._watch())

    async def look(self, *, settle: bool) -> None:
        """Bring the judge up to now (live).  With ``settle`` (a manual clock, where
        nothing moves meanwhile) the steps already due and every send in flight finish
        first, so what the judge decides no longer depends on when it looked."""
        if self._session is None or self._session.closed:  # closed meanwhile (a restart)
            return
        with contextlib.suppress(DomainError, aiohttp.ClientError):
            if settle:
                await self.wait_steps()
                await self._settle()
            else:
                await self._look_at_states()
        self._observe()
        now = self.sim.clock.time()
        final = now >= self.judge.end and self.steps_done == len(self.scenario.timeline)
        self.judge.decide(now, final=final)
        for result in self.judge.results:
            if result.state != OPEN and result.index not in self._told:
                self._told.add(result.index)
                reason = f": {result.reason}" if result.reason and not result.held else ""
                self._announce(f"expectation {result.name} {result.state}{reason}")
        if final:
            self.finished = True
            self._announce("finished")

    async def _watch(self) -> None:
        settle = self.sim.settings.manual_clock
        while not self.finished:
            await asyncio.sleep(0.5)
            await self.look(settle=settle)
