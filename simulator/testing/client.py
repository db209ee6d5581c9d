"""What ``ccsim.api``, ``ccsim.control`` and ``ccsim.vehicles`` hand a test.

    car = ccsim.vehicles[0]                      # or ccsim.vehicles["alice-car"] (a scenario name)
    ccsim.control.set_state(car, lockedStates=["Unlocked"])
    answer = ccsim.api.post(f"/user/vehicles/{car.id}/callbacks/{cb}/remotes",
                            json={"door": {"state": "Locked"}})
    ccsim.control.advance("PT1M")                # then waits until the simulator is idle
    ccsim.api.as_user("bob@example.com").get("/user/vehicles")

Every call returns the parsed JSON answer and raises :class:`ApiCallError` (status and
the v4 error body in its message) when the answer is not a 2xx.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from simulator.paths import AUTH_PREFIX
from simulator.testing.http import Http, Params, Response, checked

__all__ = ["ApiClient", "Control", "Login", "SimVehicle", "Vehicles", "seconds_of"]

API_PREFIX = "/connectedcar/v4"
CONTROL_PREFIX = "/simulator/v1"
DEFAULT_REALM = "clientsB2CPeugeot"
_DURATION = TypeAdapter(timedelta)


@dataclass(frozen=True)
class Login:
    """Who calls: a user, their password and the OAuth client used for the token."""

    user: str
    password: str = field(repr=False)
    client_id: str
    client_secret: str = field(repr=False)


class ApiClient:
    """The v4 API as one user through one client: mTLS, a bearer token (fetched on first
    use, fetched again when the simulator answers 401, e.g. after the clock passed its
    hour), ``x-introspect-realm`` and ``client_id`` on every call.

    ``path`` is relative to ``base_url`` (``/user/vehicles``); the full
    ``/connectedcar/v4/user/vehicles`` works too.
    """

    def __init__(
        self,
        http: Http,
        login: Login,
        *,
        realm: str = DEFAULT_REALM,
        logins: Callable[[str, str | None, str | None, str | None], Login] | None = None,
    ) -> None:
        self._http = http
        self.login = login
        self.realm = realm
        self._logins = logins
        self._token: str | None = None

    def __repr__(self) -> str:
        return f"ApiClient({self.base_url!r}, user={self.user!r}, client_id={self.client_id!r})"

    @property
    def base_url(self) -> str:
        """``https://localhost:PORT/connectedcar/v4``."""
        return self._http.base_url + API_PREFIX

    @property
    def user(self) -> str:
        return self.login.user

    @property
    def client_id(self) -> str:
        return self.login.client_id

    @property
    def token(self) -> str:
        """The current access token (fetched with the password grant when needed)."""
        if self._token is None:
            form = {
                "grant_type": "password",
                "username": self.login.user,
                "password": self.login.password,
                "client_id": self.login.client_id,
                "client_secret": self.login.client_secret,
            }
            path = AUTH_PREFIX + "/access_token"
            answer = self._http.request("POST", path, form=form)
            self._token = str(checked("POST", path, answer)["access_token"])
        return self._token

    def headers(self) -> dict[str, str]:
        """``Authorization`` and ``x-introspect-realm``, as the real API wants them."""
        return {"Authorization": f"Bearer {self.token}", "x-introspect-realm": self.realm}

    def as_user(
        self,
        user: str,
        password: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> ApiClient:
        """The same API as another user.  A user or client the scenario declares needs no
        password or secret here: they are read from the scenario (the demo user's too)."""
        if self._logins is None:
            if password is None or client_secret is None:
                raise ValueError("as_user needs password and client_secret here")
            login = Login(user, password, client_id or self.client_id, client_secret)
        else:
            login = self._logins(user, password, client_id, client_secret)
        return ApiClient(self._http, login, realm=self.realm, logins=self._logins)

    # ------------------------------------------------------------ calls
    def request(
        self, method: str, path: str, *, json: Any = None, params: Params = None
    ) -> Response:
        """One call, whatever the status (for tests about errors); see :meth:`get`."""
        full = path if path.startswith(API_PREFIX + "/") else API_PREFIX + path
        query = {"client_id": self.login.client_id, **(params or {})}
        answer = self._http.request(
            method, full, json_body=json, params=query, headers=self.headers()
        )
        if answer.status == 401:  # an expired token: one more try with a fresh one
            self._token = None
            answer = self._http.request(
                method, full, json_body=json, params=query, headers=self.headers()
            )
        return answer

    def call(self, method: str, path: str, *, json: Any = None, params: Params = None) -> Any:
        """The parsed JSON answer (None when empty); :class:`ApiCallError` unless 2xx."""
        answer = self.request(method, path, json=json, params=params)
        full = path if path.startswith(API_PREFIX + "/") else API_PREFIX + path
        return checked(method, full, answer)

    def get(self, path: str, json: Any = None, params: Params = None) -> Any:
        return self.call("GET", path, json=json, params=params)

    def post(self, path: str, json: Any = None, params: Params = None) -> Any:
        return self.call("POST", path, json=json, params=params)

    def put(self, path: str, json: Any = None, params: Params = None) -> Any:
        return self.call("PUT", path, json=json, params=params)

    def patch(self, path: str, json: Any = None, params: Params = None) -> Any:
        return self.call("PATCH", path, json=json, params=params)

    def delete(self, path: str, json: Any = None, params: Params = None) -> Any:
        return self.call("DELETE", path, json=json, params=params)


# ------------------------------------------------------------------ vehicles
@dataclass(frozen=True)
class SimVehicle:
    """One simulated vehicle; ``name`` is its name in the scenario file, if any."""

    id: str
    vin: str
    name: str | None
    owner: str  # the owner's email
    brand: str
    label: str
    motorization: str

    def __str__(self) -> str:
        return self.id


class Vehicles:
    """The simulator's vehicles in fleet order: ``vehicles[0]``, ``vehicles["van"]`` (a
    scenario name), or by id or VIN; ``len()``, iteration, ``names``, ``ids``, ``vins``."""

    def __init__(self, vehicles: list[SimVehicle]) -> None:
        self._vehicles = vehicles

    def __len__(self) -> int:
        return len(self._vehicles)

    def __iter__(self) -> Iterator[SimVehicle]:
        return iter(self._vehicles)

    def __repr__(self) -> str:
        return f"Vehicles({[v.name or v.vin for v in self._vehicles]})"

    def __getitem__(self, key: int | str) -> SimVehicle:
        if isinstance(key, int):
            return self._vehicles[key]
        found = self.get(key)
        if found is None:
            known = ", ".join(self.names) or "none"
            raise KeyError(f"no vehicle named, with id or with VIN {key!r} (names: {known})")
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def get(self, key: str) -> SimVehicle | None:
        """The vehicle with this name, id or VIN, else None."""
        for attribute in ("name", "id", "vin"):
            for vehicle in self._vehicles:
                if getattr(vehicle, attribute) == key:
                    return vehicle
        return None

    @property
    def names(self) -> dict[str, SimVehicle]:
        return {v.name: v for v in self._vehicles if v.name is not None}

    @property
    def ids(self) -> list[str]:
        return [v.id for v in self._vehicles]

    @property
    def vins(self) -> list[str]:
        return [v.vin for v in self._vehicles]


# ------------------------------------------------------------------ control
def seconds_of(duration: str | float | timedelta) -> float:
    """An ISO 8601 duration (``PT10M``), seconds, or a timedelta, as seconds (>= 0)."""
    if isinstance(duration, timedelta):
        seconds = duration.total_seconds()
    elif isinstance(duration, int | float) and not isinstance(duration, bool):
        seconds = float(duration)
    elif isinstance(duration, str) and duration.upper().startswith(("P", "-P")):
        try:
            seconds = _DURATION.validate_python(duration.upper()).total_seconds()
        except ValidationError:
            seconds = float("nan")
    else:
        seconds = float("nan")
    if not seconds >= 0:
        raise ValueError(
            f"a duration is an ISO 8601 duration such as PT10M, seconds or a timedelta, "
            f"not negative: got {duration!r}"
        )
    return seconds


class _Host(Protocol):
    """What :class:`Control` needs of the simulator."""

    def advance(self, seconds: float) -> datetime: ...

    def reset(self) -> None: ...

    @property
    def vehicles(self) -> Vehicles: ...


class Control:
    """The control API (``/simulator/v1``) as test helpers."""

    def __init__(self, host: _Host, http: Http, headers: Mapping[str, str]) -> None:
        self._host = host
        self._http = http
        self._headers = dict(headers)

    def call(self, method: str, path: str, *, json: Any = None, params: Params = None) -> Any:
        """Any control call, ``path`` under ``/simulator/v1``; JSON back, ApiCallError
        unless 2xx."""
        full = path if path.startswith(CONTROL_PREFIX + "/") else CONTROL_PREFIX + path
        return self._http.call(method, full, json_body=json, params=params, headers=self._headers)

    def advance(self, duration: str | float | timedelta) -> datetime:
        """Move the clock (``"PT10M"``, ``600`` or ``timedelta(minutes=10)``) as time would
        pass, every timer on the way firing in order, then wait until the simulator is
        idle; the simulated time reached."""
        return self._host.advance(seconds_of(duration))

    def now(self) -> datetime:
        """The simulated time."""
        return datetime.fromisoformat(self.call("GET", "/clock")["now"])

    def set_state(self, vehicle: SimVehicle | str, **fields: Any) -> Any:
        """``PATCH /vehicles/{id}/state``: set doors, energy, position... directly, e.g.
        ``set_state(car, lockedStates=["Unlocked"], electricLevel=15)``."""
        return self.call("PATCH", f"/vehicles/{self._id(vehicle)}/state", json=fields)

    def behaviour(self, vehicle: SimVehicle | str, **fields: Any) -> Any:
        """``PATCH /vehicles/{id}/remote-behaviour``: how it answers remotes, e.g.
        ``behaviour(car, online=False)`` or ``behaviour(car, asleep=True)``."""
        return self.call("PATCH", f"/vehicles/{self._id(vehicle)}/remote-behaviour", json=fields)

    def deliveries(self, **filters: Any) -> list[dict[str, Any]]:
        """The delivery journal's entries, oldest first, e.g. ``deliveries(outcome=
        "dead-lettered")``; filters: eventId, callbackId, channel, outcome, vin (a vehicle
        too), type, after, limit."""
        vin = filters.get("vin")
        if isinstance(vin, SimVehicle):
            filters["vin"] = vin.vin
        elif isinstance(vin, str) and vin in self._host.vehicles:
            filters["vin"] = self._host.vehicles[vin].vin
        found: list[dict[str, Any]] = self.call("GET", "/deliveries", params=filters)["deliveries"]
        return found

    def fault(self, path: str | None = None, **fields: Any) -> dict[str, Any]:
        """``POST /faults``: delay or fail the simulated API's matching requests; the rule
        back (its ``id``).  ``path`` is relative to ``/connectedcar/v4`` unless it starts
        with it or ``/am/oauth2``, e.g. ``fault("/user/vehicles/*/status", status=503,
        count=2)`` or ``fault(latencyMs=500)`` (every API call, real milliseconds)."""
        if path is not None:
            fields["path"] = (
                path if path.startswith(("/connectedcar/", AUTH_PREFIX)) else (API_PREFIX + path)
            )
        rule: dict[str, Any] = self.call("POST", "/faults", json=fields)
        return rule

    def faults(self) -> list[dict[str, Any]]:
        """The fault rules, with how many times each fired (``fired``)."""
        found: list[dict[str, Any]] = self.call("GET", "/faults")["faults"]
        return found

    def clear_faults(self, rule: dict[str, Any] | str | None = None) -> None:
        """Remove one fault rule (the dict :meth:`fault` gave, or its id), or every one."""
        if rule is None:
            self.call("DELETE", "/faults")
        else:
            self.call("DELETE", f"/faults/{rule if isinstance(rule, str) else rule['id']}")

    def reset(self) -> None:
        """Back to the initial users, clients and fleet (a scenario is played again)."""
        self._host.reset()

    def _id(self, vehicle: SimVehicle | str) -> str:
        if isinstance(vehicle, SimVehicle):
            return vehicle.id
        found = self._host.vehicles.get(vehicle)
        return found.id if found is not None else vehicle
