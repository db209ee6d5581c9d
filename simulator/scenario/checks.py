"""What only the whole file can tell: every name used is declared once, every reference
resolves, steps come in time order, callbacks know their user and client.

The same rules (:func:`callback_user`, :func:`callback_client`) tell the player who
registers each callback, so that a checked file always plays.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from simulator.config import DEFAULT_CLIENT_ID, DEFAULT_USER

if TYPE_CHECKING:
    from simulator.scenario.model import Problem, Scenario
    from simulator.scenario.script import CallbackDecl

__all__ = [
    "RECEIVER_PREFIX",
    "callback_client",
    "callback_user",
    "receiver_refs",
    "script_problems",
]

RECEIVER_PREFIX = "receiver:"


def receiver_refs(
    body: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every ``receiver:NAME`` string in a body, with where it is."""
    if isinstance(body, str):
        if body.startswith(RECEIVER_PREFIX):
            yield path, body.removeprefix(RECEIVER_PREFIX)
    elif isinstance(body, dict):
        for key, value in body.items():
            yield from receiver_refs(value, (*path, str(key)))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from receiver_refs(value, (*path, index))


def _emails(scenario: Scenario) -> list[str]:
    return [DEFAULT_USER] if scenario.keeps_demo else [u.email.lower() for u in scenario.users]


def callback_user(scenario: Scenario, decl: CallbackDecl) -> str | None:
    """The user who registers ``decl`` (lower case): as given, else the only user."""
    if decl.user is not None:
        return decl.user.lower()
    emails = _emails(scenario)
    return emails[0] if len(emails) == 1 else None


def callback_client(scenario: Scenario, user: str, client: str | None) -> str | None:
    """The client ``user`` registers with: as given, else the one client whose default
    user it is, else the only client (the demo client when the demo is kept)."""
    ids = [c.clientId for c in scenario.clients]
    if scenario.keeps_demo:
        ids.append(DEFAULT_CLIENT_ID)
    if client is not None:
        return client if client in ids else None
    defaults = [
        c.clientId
        for c in scenario.clients
        if c.defaultUser is not None and c.defaultUser.lower() == user
    ]
    if scenario.keeps_demo and user == DEFAULT_USER:
        defaults.append(DEFAULT_CLIENT_ID)
    if len(defaults) == 1:
        return defaults[0]
    return ids[0] if len(ids) == 1 else None


class _Names:
    """The names a file declares, and the problems of declaring them."""

    def __init__(self, scenario: Scenario, found: list[Problem]) -> None:
        self.found = found
        self.places = set(scenario.places)
        self.vehicles: dict[str, str] = {}  # name -> owner (lower case)
        for i, group in enumerate(scenario.vehicles):
            if group.name is not None:
                self._unique(self.vehicles, group.name, ("vehicles", i, "name"), "vehicle")
                self.vehicles[group.name] = group.owner.lower()
        self.receivers: dict[str, str] = {}
        for i, receiver in enumerate(scenario.receivers):
            self._unique(self.receivers, receiver.name, ("receivers", i, "name"), "receiver")
            self.receivers[receiver.name] = receiver.kind
        self.callbacks: dict[str, str] = {}  # name -> user
        for i, decl in enumerate(scenario.callbacks):
            self._unique(self.callbacks, decl.name, ("callbacks", i, "name"), "callback")
            self.callbacks[decl.name] = callback_user(scenario, decl) or ""
        self.monitors: dict[str, str] = {}
        for i, monitor in enumerate(scenario.monitors):
            self._unique(self.monitors, monitor.name, ("monitors", i, "name"), "monitor")
            self.monitors[monitor.name] = monitor.vehicle or ""
        self.faults: set[str] = set()  # apiFault names, filled in timeline order by _step
        self.remotes: dict[str, str] = {}
        for i, step in enumerate(scenario.timeline):
            if step.remote is not None and step.remote.name is not None:
                where = ("timeline", i, "remote", "name")
                self._unique(self.remotes, step.remote.name, where, "remote")
                self.remotes[step.remote.name] = step.remote.vehicle

    def _unique(
        self, known: dict[str, str], name: str, where: tuple[str | int, ...], what: str
    ) -> None:
        if name in known:
            self.found.append((where, f"{what} {name!r} is declared twice"))

    def need(self, kind: str, name: str | None, where: tuple[str | int, ...]) -> None:
        if name is None:
            return
        known: set[str] | dict[str, str] = getattr(self, kind)
        if name not in known:
            listed = ", ".join(sorted(known)) or "none"
            self.found.append((where, f"no {kind[:-1]} named {name!r} (declared: {listed})"))

    def need_vehicle_of(self, body: dict[str, Any] | None, where: tuple[str | int, ...]) -> None:
        """A state or behaviour step's body: ``vehicle: NAME`` first."""
        if body is None:
            return
        vehicle = body.get("vehicle")
        if not isinstance(vehicle, str):
            self.found.append(((*where, "vehicle"), "name the vehicle (vehicle: NAME)"))
            return
        self.need("vehicles", vehicle, (*where, "vehicle"))
        self.position(body.get("position"), (*where, "position"))

    def same_owner(
        self,
        callback: str | None,
        vehicle: str | None,
        where: tuple[str | int, ...],
        owner: str | None = None,
    ) -> None:
        """A monitor or remote acts on a vehicle of its callback's user."""
        user = self.callbacks.get(callback or "")
        owner = owner.lower() if owner is not None else self.vehicles.get(vehicle or "")
        if user and owner and user != owner:
            self.found.append((where, "the vehicle's owner is not the callback's user"))

    def position(self, value: Any, where: tuple[str | int, ...]) -> None:
        if isinstance(value, str):
            self.need("places", value, where)


def script_problems(scenario: Scenario) -> list[Problem]:
    found: list[Problem] = []
    names = _Names(scenario, found)
    for i, group in enumerate(scenario.vehicles):
        if group.state is not None:
            if "vehicle" in group.state:
                found.append(
                    (("vehicles", i, "state", "vehicle"), "the state's vehicle is this one")
                )
            names.position(group.state.get("position"), ("vehicles", i, "state", "position"))
    for i, decl in enumerate(scenario.callbacks):
        _callback(scenario, names, i, decl)
    for i, monitor in enumerate(scenario.monitors):
        names.need("vehicles", monitor.vehicle, ("monitors", i, "vehicle"))
        names.need("callbacks", monitor.callback, ("monitors", i, "callback"))
        for path, name in receiver_refs(monitor.body):
            names.need("receivers", name, ("monitors", i, "body", *path))
        if monitor.owner is not None and monitor.owner.lower() not in _emails(scenario):
            found.append((("monitors", i, "owner"), f"no user {monitor.owner} is declared"))
        where = ("monitors", i, "vehicle" if monitor.vehicle else "owner")
        names.same_owner(monitor.callback, monitor.vehicle, where, monitor.owner)
    previous = None
    for i, step in enumerate(scenario.timeline):
        if previous is not None and step.at < previous:
            found.append((("timeline", i, "at"), "steps must come in time order"))
        previous = step.at
        _step(names, i, step)
    for i, expectation in enumerate(scenario.expect):
        detail = expectation.detail
        for kind in ("receiver", "callback", "monitor", "remote", "vehicle"):
            if hasattr(detail, kind):
                names.need(f"{kind}s", getattr(detail, kind), ("expect", i, expectation.kind, kind))
    return found


def _callback(scenario: Scenario, names: _Names, i: int, decl: CallbackDecl) -> None:
    found = names.found
    user = callback_user(scenario, decl)
    emails = _emails(scenario)
    if user is None:
        found.append((("callbacks", i, "user"), "name the user (the file declares several)"))
    elif user not in emails:
        found.append((("callbacks", i, "user"), f"no user {decl.user} is declared"))
    elif callback_client(scenario, user, decl.client) is None:
        what = f"no client {decl.client} is declared" if decl.client else "name the client"
        found.append((("callbacks", i, "client"), what))
    for path, name in receiver_refs(decl.body):
        names.need("receivers", name, ("callbacks", i, "body", *path))


def _step(names: _Names, i: int, step: Any) -> None:
    action, detail = step.action, step.detail
    where: tuple[str | int, ...] = ("timeline", i, action)
    if action in ("state", "behaviour"):
        names.need_vehicle_of(detail, where)
        return
    if hasattr(detail, "vehicle"):
        names.need("vehicles", detail.vehicle, (*where, "vehicle"))
    if action == "drive":
        names.position(detail.to, (*where, "to"))
    elif action == "remote":
        names.need("callbacks", detail.callback, (*where, "callback"))
        names.same_owner(detail.callback, detail.vehicle, (*where, "vehicle"))
    elif action == "replay":
        names.need("callbacks", detail.callback, (*where, "callback"))
    elif action in ("receiver", "monitor", "callback"):
        names.need(f"{action}s", detail.name, (*where, "name"))
    elif action == "apiFault":  # clear: NAME needs an earlier step to give that name
        if isinstance(detail.get("clear"), str):
            names.need("faults", detail["clear"], (*where, "clear"))
        elif isinstance(detail.get("name"), str):
            names.faults.add(detail["name"])
