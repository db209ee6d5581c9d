"""One :class:`Simulator` object holds all the state of one simulator.

No module globals: tests run several simulators side by side.  The HTTP
layer reaches it through one ``web.AppKey``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from simulator.api.journal import RequestJournal
from simulator.auth.models import Client, Identity, User
from simulator.auth.quota import RateLimiter
from simulator.callbacks.registry import CallbackRegistry
from simulator.clock import Clock, ClockMode
from simulator.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_PASSWORD,
    DEFAULT_USER,
    Settings,
)
from simulator.delivery.engine import DeliveryEngine
from simulator.errors import Conflict, InvalidField
from simulator.events import ClockChanged, EventBus
from simulator.faults import FaultRules
from simulator.feed import Feed
from simulator.fleet.generate import generate_fleet, generate_vehicle, new_faker
from simulator.fleet.life import FleetLife
from simulator.fleet.models import Vehicle
from simulator.fleet.operations import FleetOperations
from simulator.fleet.registry import Fleet
from simulator.ids import Ids
from simulator.monitors.engine import MonitorEngine
from simulator.remotes.engine import RemoteEngine
from simulator.scenario import ClientSpec, Scenario, UserSpec, VehicleSpec, load_scenario
from simulator.tls import CertStore

if TYPE_CHECKING:  # faker is imported where a fleet is made: start-up stays fast
    from faker import Faker


def make_clock(settings: Settings) -> Clock:
    start = settings.start
    if settings.manual_clock:
        return Clock(ClockMode.MANUAL, start=start)
    if settings.speed != 1:
        return Clock(ClockMode.ACCELERATED, speed=settings.speed, start=start)
    return Clock(ClockMode.REAL, start=start)


def _seeded(key: str) -> tuple[random.Random, Faker]:
    """The random sources of one declared vehicle or group, from a string key."""
    fake = new_faker()
    fake.seed_instance(key)
    return random.Random(key), fake


def _monitor_extensions(
    vehicle: Vehicle, wanted: Sequence[str], base: str, at: float
) -> list[dict[str, Any]]:
    """A monitor event's extensions, in the read endpoints' shapes (rendered by the API
    layer, imported on first use: the domain never imports it)."""
    from simulator.api.render import monitor_extensions

    return monitor_extensions(vehicle, wanted, base, at)


ADVANCE_TURN = 0.02
"""Wall seconds an advance runs before the server answers what else came in (a turn of
the event loop; the simulated outcome does not depend on it)."""


class Simulator:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or make_clock(settings)
        # raises ScenarioError naming the file, line and field
        self.scenario: Scenario | None = (
            load_scenario(settings.scenario) if settings.scenario is not None else None
        )
        self.identity = Identity(access_lifetime=settings.token_lifetime)
        self.fleet = Fleet()
        self.requests = RequestJournal(settings.journal_capacity)
        self.limits = RateLimiter()
        self.bus = EventBus()
        # callback, event, remote, monitor, alert and request ids: from the seed
        self.ids = Ids(settings.seed)
        self.callbacks = CallbackRegistry(self.ids, self.bus)
        self.delivery = DeliveryEngine(
            self.clock,
            self.callbacks,
            self.bus,
            self.ids,
            ssl_context=lambda: CertStore(settings.certs).outbound_context(settings.webhook_cas),
            timeout=settings.webhook_timeout,
            data_dir=settings.data_dir,
            journal_capacity=settings.delivery_journal_capacity,
        )
        # every vehicle change (trips, charges, plugs, locks, set data) and its sample
        self.operations = FleetOperations(
            self.clock, self.bus, settings.seed, alert_id=self.ids.alert
        )
        self.remotes = RemoteEngine(self.clock, self.bus, self.ids, self.operations)
        self.monitors = MonitorEngine(self.clock, self.bus, self.fleet, self.ids)
        self.monitors.extensions = _monitor_extensions
        self.life = FleetLife(self.clock, self.fleet, self.operations, settings.seed)
        self.life.enabled = settings.life
        self._rng, self._fake = _seeded(f"{settings.seed}:declared")
        self.named_vehicles: dict[str, str] = {}  # a scenario's vehicle names -> ids
        self.player: Any = None  # the scenario being played (scenario.player.Player)
        self._epoch = 0  # bumped by each reset: an advance under way stops there
        self._advancing = asyncio.Lock()  # one advance at a time
        self.reset()
        # the live event stream (GET /simulator/v1/events): what crosses the bus, numbered
        self.feed = Feed(self.bus, self.clock, self.fleet)
        self.clock.on_change = self._clock_changed

    def reset(self) -> None:
        """Back to the initial users, clients and fleet (same seed, same fleet).

        Without a scenario (or with one that declares no users) that is the demo user,
        client and fleet; a scenario's declarations come on top of them or, when it
        declares users, instead of them.  Rate limits go back to ``--rate-limit`` (else
        the scenario's ``rateLimit``) with fresh counts.  Live tokens survive a reset:
        users and clients keep their ids.  Callback, event, remote, monitor and alert ids
        start again from the seed: the same calls give the same ids as after the start.
        """
        scenario = self.scenario
        self._epoch += 1
        self.identity.users.clear()
        self.identity.clients.clear()
        self.fleet.clear()
        self.callbacks.clear()
        self.delivery.reset()
        self.remotes.reset()
        self.operations.reset()
        self.monitors.reset()
        self.ids.restart()
        if scenario is None or scenario.keeps_demo:
            self.identity.add_user(
                DEFAULT_USER, DEFAULT_PASSWORD, first_name="Demo", last_name="User"
            )
            self.identity.add_client(
                DEFAULT_CLIENT_ID,
                DEFAULT_CLIENT_SECRET,
                name="Demo client",
                allow_localhost_redirects=True,
                default_user=DEFAULT_USER,
            )
            for vehicle in generate_fleet(
                self.settings.seed, self.settings.vehicles, DEFAULT_USER, self.clock.now()
            ):
                self.fleet.add(vehicle)
        if scenario is not None:
            self._declare(scenario)
        self.life.reset()
        self.limits.reset(
            self.settings.rate_limit or (scenario.rate_limit if scenario is not None else None)
        )
        self._rng, self._fake = _seeded(f"{self.settings.seed}:declared")
        self.requests.clear()
        self.bus.publish(ClockChanged("reset", self.clock.time()))
        self.faults = FaultRules(self.settings.seed)  # API fault rules: none after a reset

    def _declare(self, scenario: Scenario) -> None:
        self.named_vehicles.clear()
        for user in scenario.users:
            self.add_user(user)
        for client in scenario.clients:
            self.add_client(client)
        for index, group in enumerate(scenario.vehicles):
            key = (
                f"seed:{group.seed}" if group.seed is not None else f"{self.settings.seed}:{index}"
            )
            rng, fake = _seeded(key)
            for _ in range(group.count):
                vehicle = self.add_vehicle(group, rng=rng, fake=fake)
                if group.name is not None:
                    self.named_vehicles[group.name] = vehicle.id

    # ------------------------------------------------------------- time passing
    def _clock_changed(self, change: str) -> None:
        if change in ("paused", "resumed", "speed"):
            self.bus.publish(ClockChanged(change, self.clock.time()))  # type: ignore[arg-type]

    @property
    def busy(self) -> bool:
        """Async work under way: a send in flight, or a scenario step being played."""
        return not self.delivery.idle or (self.player is not None and self.player.busy)

    async def settle(self) -> None:
        """Until no async work is under way (sends take no simulated time)."""
        while True:
            if self.player is not None:
                await self.player.wait_steps()
            await self.delivery.wait_idle()
            if not self.busy:
                return

    async def advance(
        self, seconds: float, each: Callable[[], Awaitable[None]] | None = None
    ) -> datetime:
        """Move a manual clock ``seconds`` forward as time would pass: timer by timer,
        the async work each instant starts (a send, a scenario step) finishing at that
        instant before the clock moves on; ``each`` runs after every instant.

        A long advance (months of a living fleet) lets the server answer other requests
        every :data:`ADVANCE_TURN` wall seconds: they see the simulator as it is at that
        instant.  Advances run one at a time; a reset under way ends one where it is."""
        async with self._advancing:
            return await self._advance(seconds, each)

    async def _advance(
        self, seconds: float, each: Callable[[], Awaitable[None]] | None
    ) -> datetime:
        clock = self.clock
        before = clock.time()
        target = before + seconds
        epoch = self._epoch
        turn = time.monotonic()
        while True:
            if self.busy:
                await self.settle()
            if each is not None:
                await each()
            if time.monotonic() - turn > ADVANCE_TURN:
                await asyncio.sleep(0)  # the other requests' turn
                turn = time.monotonic()
            if self._epoch != epoch:  # reset meanwhile: this advance is over
                return clock.now()
            due = clock.next_due()
            if due is None or due > target:
                break
            clock.advance(max(0.0, due - clock.time()))
        clock.advance(max(0.0, target - clock.time()))
        self.bus.publish(ClockChanged("advanced", clock.time(), clock.time() - before, before))
        await self.settle()
        if each is not None:
            await each()
        return clock.now()

    # ------------------------------------------------------------- declaring
    def add_user(self, spec: UserSpec) -> User:
        if spec.email.lower() in self.identity.users:
            raise Conflict("email", f"user {spec.email} already exists")
        return self.identity.add_user(
            spec.email, spec.password, first_name=spec.firstName, last_name=spec.lastName
        )

    def add_client(self, spec: ClientSpec) -> Client:
        if spec.clientId in self.identity.clients:
            raise Conflict("clientId", f"client {spec.clientId} already exists")
        if spec.defaultUser is not None and spec.defaultUser.lower() not in self.identity.users:
            raise InvalidField("defaultUser", f"defaultUser: no user {spec.defaultUser}")
        return self.identity.add_client(
            spec.clientId,
            spec.clientSecret,
            name=spec.name,
            scopes=spec.scopes,
            redirect_uris=spec.redirectUris,
            allow_localhost_redirects=spec.allowLocalhostRedirects,
            auto_consent=spec.autoConsent,
            default_user=spec.defaultUser,
        )

    def add_vehicle(
        self,
        spec: VehicleSpec,
        *,
        rng: random.Random | None = None,
        fake: Faker | None = None,
    ) -> Vehicle:
        """Generate one vehicle for an existing user (``spec.seed``, else the given or the
        simulator's own random sources, which restart at each reset)."""
        owner = self.identity.users.get(spec.owner.lower())
        if owner is None:
            raise InvalidField("owner", f"owner: no user {spec.owner}")
        if rng is None or fake is None:
            rng, fake = (
                _seeded(f"seed:{spec.seed}") if spec.seed is not None else (self._rng, self._fake)
            )
        try:
            vehicle = generate_vehicle(
                rng,
                fake,
                owner.id,
                self.clock.now(),
                brand=spec.brand,
                model=spec.model,
                motorization=spec.motorization,
                city=spec.city,
            )
        except ValueError as exc:
            field, message = spec.explain(exc)
            raise InvalidField(field, f"{field}: {message}") from None
        if self.fleet.get(vehicle.id) is not None:
            raise Conflict("seed", f"a vehicle made from seed {spec.seed} already exists")
        self.fleet.add(vehicle)
        self.life.adopt(vehicle)
        return vehicle
