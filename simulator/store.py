"""One :class:`Simulator` object holds all the state of one simulator.

No module globals: tests run several simulators side by side.  The HTTP
layer reaches it through one ``web.AppKey``.
"""

from __future__ import annotations

from simulator.auth.models import Identity
from simulator.clock import Clock, ClockMode
from simulator.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_PASSWORD,
    DEFAULT_USER,
    Settings,
)
from simulator.fleet.generate import generate_fleet
from simulator.fleet.registry import Fleet
from simulator.journal import RequestJournal


def make_clock(settings: Settings) -> Clock:
    if settings.manual_clock:
        return Clock(ClockMode.MANUAL)
    if settings.speed != 1:
        return Clock(ClockMode.ACCELERATED, speed=settings.speed)
    return Clock(ClockMode.REAL)


class Simulator:
    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or make_clock(settings)
        self.identity = Identity(access_lifetime=settings.token_lifetime)
        self.fleet = Fleet()
        self.requests = RequestJournal(settings.journal_capacity)
        self.reset()

    def reset(self) -> None:
        """Back to the initial users, clients and fleet (same seed, same fleet).

        Live tokens survive a reset: users and clients keep their ids.
        """
        self.identity.users.clear()
        self.identity.clients.clear()
        self.identity.add_user(DEFAULT_USER, DEFAULT_PASSWORD, first_name="Demo", last_name="User")
        self.identity.add_client(
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
            name="Demo client",
            allow_localhost_redirects=True,
            default_user=DEFAULT_USER,
        )
        self.fleet.clear()
        for vehicle in generate_fleet(
            self.settings.seed, self.settings.vehicles, DEFAULT_USER, self.clock.now()
        ):
            self.fleet.add(vehicle)
        self.requests.clear()
