"""A bounded schemathesis run against the served OpenAPI document (issue 19, item 3).

Every v4, identity and control operation of ``/simulator/v1/openapi.json`` (but
``POST /simulator/v1/reset``, which would wipe what the other cases stand on) gets a
few generated requests over real mTLS, on a simulator of its own.  Checks: no 5xx,
every answer's status, content type and body as documented, every request valid by
the document accepted, every invalid one refused.  Deterministic (fixed seed,
derandomized), a few examples per operation, a timeout per request.

The document cannot know the ids this simulator made, nor the client the token was
issued to: the run pins ``client_id`` and the path ids (a vehicle with records, a
callback serving monitors and remotes, a monitor of each form...) as schemathesis'
parameter overrides.  Destructive operations get ids of their own.

Where the official reference (``../shared/reference/api-b2c.yaml``) is present, the
same checks run against it for its read operations, mapped to ``/connectedcar/v4``.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import requests
import schemathesis
from reference import API_BASE_PATH, load_reference, reference_available
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.specs.openapi import checks as openapi_checks

from simulator.api.paging import INDEX_RANGE_PATTERN, TIME_RANGE_PATTERN
from simulator.auth.models import AuthorizationRequest
from simulator.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_PASSWORD,
    DEFAULT_USER,
)
from simulator.control.openapi import openapi_document
from simulator.store import Simulator
from simulator.testing import DEFAULT_REALM, ThreadedSimulator

SEED = 19
MAX_EXAMPLES = 5
REQUEST_TIMEOUT = 10.0
CONTROL = "/simulator/v1"
API = "/connectedcar/v4"

POSITIVE_EXPECTED = ["2xx", "3xx", 401, 403, 404, 409, 429]
"""What a request valid by the document may answer: a success, or a refusal that the
document cannot foresee (credentials, ids that do not exist, the state, the quota)."""
NEGATIVE_EXPECTED = [400, 401, 403, 404, 409, 413, 415, 429]


# ------------------------------------------------------------------ the simulator under test
@dataclass
class Target:
    """The simulator the run talks to, the ids it pins, a token kept alive."""

    server: ThreadedSimulator
    session: requests.Session
    ids: dict[str, str] = field(default_factory=dict)
    _token: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def token(self) -> str:
        """A live access token (the run moves the clock: tokens expire)."""
        with self._lock:
            alive = bool(self._token) and self.server.call(
                lambda sim: sim.identity.introspect(self._token, sim.clock.time()) is not None
            )
            if not alive:
                self._token = self.server.token()["access_token"]
            return self._token

    def api(self, method: str, path: str, body: Any = None) -> Any:
        response = self.session.request(
            method,
            self.server.url + path,
            params={"client_id": DEFAULT_CLIENT_ID} if path.startswith(API) else None,
            headers=ThreadedSimulator.api_headers(self.token()),
            json=body,
            timeout=REQUEST_TIMEOUT,
        )
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else None


class _Offline(aiohttp.BaseConnector):
    async def _create_connection(self, req: Any, traces: Any, timeout: Any) -> Any:
        raise aiohttp.ClientConnectionError(f"fuzz run: no outbound connection ({req.url})")


def _block_outbound(server: ThreadedSimulator) -> None:
    """Generated callbacks and notifications name any https or wss URL: the simulator
    must not reach out to them (only 127.0.0.1 here).  Every delivery fails at once."""

    def swap(sim: Simulator) -> None:  # on the server's loop
        old = sim.delivery._session
        sim.delivery._session = aiohttp.ClientSession(connector=_Offline())
        if old is not None:
            closing.append(asyncio.ensure_future(old.close()))

    closing: list[asyncio.Future[None]] = []

    server.call(swap)


def _records(target: Target) -> None:
    """Pin the vehicle with the most kinds of records (alerts, alarms, collisions,
    trips), and one id of each it has."""
    vehicles = target.api("GET", f"{API}/user/vehicles")["_embedded"]["vehicles"]
    best: tuple[int, dict[str, str]] = (-1, {})
    for vehicle in vehicles:
        base = f"{API}/user/vehicles/{vehicle['id']}"
        found = {"id": vehicle["id"]}
        for kind, key, name in (
            ("alerts", "alerts", "aid"),
            ("collisions", "Collisions", "cid"),
            ("trips", "trips", "tid"),
        ):
            items = target.api("GET", f"{base}/{kind}")["_embedded"].get(key, [])
            if items:
                found[name] = items[0]["id"]
        alarms = target.api("GET", f"{base}/alarms")["_embedded"].get("alarms", [])
        if alarms:
            found["alarm"] = alarms[0]["id"]
        if len(found) > best[0]:
            best = (len(found), found)
    target.ids.update(best[1])


def _callback(target: Target, label: str) -> str:
    body = {
        "label": label,
        "type": ["Monitor", "Remote"],
        "callback": {"webhook": {"name": label, "target": "https://127.0.0.1:9/hook"}},
    }
    return str(target.api("POST", f"{API}/user/callbacks", body)["callbackId"])


def _monitor(target: Target, path: str, legacy: bool) -> str:
    body: dict[str, Any] = {
        "label": "fuzz",
        "triggerParam": {
            "triggers": [
                {"name": "moving", "data": {"data": "vehicle.kinetic.moving", "op": "onChange"}}
            ],
            "boolExp": "moving",
        },
    }
    if legacy:
        body["subscribeParam"] = {"callback": {"target": "https://127.0.0.1:9/m", "name": "m"}}
    return str(target.api("POST", path, body)["monitorId"])


@contextmanager
def _simulator_under_test(certs: Path) -> Iterator[Target]:
    with ThreadedSimulator(certs, manual_clock=True, vehicles=2, seed=SEED) as server:
        _block_outbound(server)
        session = requests.Session()
        session.trust_env = False
        session.verify = str(server.certs.ca)
        session.cert = (str(server.certs.client_cert), str(server.certs.client_key))
        target = Target(server, session)
        _records(target)
        vid = target.ids["id"]
        target.ids["cbid"] = _callback(target, "fuzz")
        target.ids["cbid_doomed"] = _callback(target, "doomed")
        target.ids["cbid_replaced"] = _callback(target, "replaced")
        target.ids["cbid_paused"] = _callback(target, "paused")
        cb = f"{API}/user/vehicles/{vid}/callbacks/{target.ids['cbid']}"
        target.ids["mid"] = _monitor(target, cb + "/monitors", legacy=False)
        target.ids["mid_doomed"] = _monitor(target, cb + "/monitors", legacy=False)
        legacy = f"{API}/user/vehicles/{vid}/monitors"
        target.ids["mid_legacy"] = _monitor(target, legacy, legacy=True)
        target.ids["mid_legacy_doomed"] = _monitor(target, legacy, legacy=True)
        remote = target.api("POST", cb + "/remotes", {"horn": {"state": "Activated"}})
        target.ids["rid"] = remote["remoteActionId"]
        client = {"clientId": "fuzz-client", "clientSecret": "fuzz-secret", "name": "fuzz"}
        target.api("POST", f"{CONTROL}/clients", client)
        try:
            yield target
        finally:
            session.close()


@pytest.fixture(scope="module")
def target(ccsim_certs: Path) -> Iterator[Target]:
    with _simulator_under_test(ccsim_certs) as target:
        yield target


@pytest.fixture(scope="module")
def reference_target(ccsim_certs: Path) -> Iterator[Target]:
    """A simulator of its own: what the first run made (the seed's Immobilization
    remotes, Query attributes: deliberate extensions) is not the reference's to read."""
    with _simulator_under_test(ccsim_certs) as target:
        yield target


# ------------------------------------------------------------------ the run's configuration
REDIRECT_URI = "http://localhost:8765/callback"
PIN = "pinned-"
"""Overrides are fixed when tests are collected, before the simulator runs: they name
the id (``pinned-cbid``) and the test binds it to this run's id just before sending."""

PINS: dict[str, str] = {
    "query.client_id": DEFAULT_CLIENT_ID,
    "query.client_secret": DEFAULT_CLIENT_SECRET,
    "query.redirect_uri": REDIRECT_URI,  # the demo client takes any localhost one
    "path.client_id": "fuzz-client",  # its rate limits change: not the demo client's
    "header.Authorization": PIN + "bearer",
    **{f"path.{name}": PIN + name for name in ("id", "cbid", "mid", "rid", "tid", "cid", "aid")},
}
PIN_OVERRIDES: list[dict[str, Any]] = [
    # operations that delete or change what others stand on get ids of their own
    # (the first override that matches an operation applies)
    {"include-operation-id": "deleteUsertRemote", "parameters": {"path.cbid": PIN + "cbid_doomed"}},
    {
        "include-operation-id": "setUserCallbackStatus",
        "parameters": {"path.cbid": PIN + "cbid_paused"},
    },
    {
        "include-operation-id": "setUsertVehicleRemoteById",
        "parameters": {"path.cbid": PIN + "cbid_replaced"},
    },
    {
        "include-operation-id": "deleteVehicleMonitor",
        "parameters": {"path.mid": PIN + "mid_doomed"},
    },
    {
        "include-operation-id": "deleteVehicleMonitorLegacy",
        "parameters": {"path.mid": PIN + "mid_legacy_doomed"},
    },
    {
        "include-path-regex": r"^/connectedcar/v4/user/vehicles/\{id\}/monitors/\{mid\}",
        "parameters": {"path.mid": PIN + "mid_legacy"},
    },
    {"include-path-regex": r"/alarms/\{aid\}$", "parameters": {"path.aid": PIN + "alarm"}},
]


def _config(
    operations: list[dict[str, Any]], pins: dict[str, str] | None = None
) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "request-timeout": REQUEST_TIMEOUT,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "mode": "all"},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "checks": {
                "positive_data_acceptance": {"expected-statuses": POSITIVE_EXPECTED},
                "negative_data_rejection": {"expected-statuses": NEGATIVE_EXPECTED},
            },
            "parameters": {**PINS, **(pins or {})},
            "operations": operations,
        }
    )


def _bind(case: Case, target: Target) -> None:
    for container in (case.path_parameters, case.query, case.headers):
        if not container:
            continue
        for name, value in list(container.items()):
            if not isinstance(value, str) or not value.startswith(PIN):
                continue
            key = value.removeprefix(PIN)
            if key == "bearer":
                container[name] = f"Bearer {target.token()}"
            else:
                container[name] = target.ids.get(key, "not-in-this-fleet")


# ------------------------------------------------------------------ checks
@dataclass(frozen=True)
class Refusal:
    """A 4xx a request valid by the document may still get: a rule the document states
    in words because JSON Schema cannot (the state, or a relation between values)."""

    operations: re.Pattern[str]
    status: int
    debug: re.Pattern[str]
    message: re.Pattern[str]
    why: str
    unless: Callable[[Response], bool] | None = None
    """When this says the request is valid after all, the refusal is not excused."""

    def matches(self, case: Case, response: Response) -> bool:
        operation_id = str(case.operation.definition.raw.get("operationId", ""))
        if response.status_code != self.status or not self.operations.fullmatch(operation_id):
            return False
        if self.unless is not None and self.unless(response):
            return False
        try:
            body = response.json()
        except ValueError:
            return False
        if not isinstance(body, dict):
            return False
        # the API's error body, or RFC 6749's (identity)
        message = body.get("message", body.get("error_description", ""))
        return bool(
            self.debug.fullmatch(str(body.get("debug", ""))) and self.message.search(str(message))
        )


def _r(
    operations: str,
    status: int,
    debug: str,
    message: str,
    why: str,
    unless: Callable[[Response], bool] | None = None,
) -> Refusal:
    return Refusal(
        re.compile(operations), status, re.compile(debug), re.compile(message), why, unless
    )


ANY = ".*"
STATED_REFUSALS: tuple[Refusal, ...] = (
    _r(
        "simLoadScenario",
        400,
        "yaml",
        ANY,
        "the text must be a scenario file: its own schema is /simulator/v1/scenario/schema.json",
    ),
    _r(
        "simAdvanceClock",
        400,
        "to",
        "before the simulator's current time",
        "the clock does not go back: depends on the clock",
    ),
    _r(
        "simAddFault",
        400,
        "until",
        "after the simulator's current time",
        "a fault rule ends after now: depends on the clock",
    ),
    _r(
        "(create|update)VehicleVehicleMonitor(Legacy)?",
        400,
        r"triggerParam(\..*)?",
        ANY,
        "the monitor language (each trigger's zone, time or data, boolExp naming them), "
        "stated in the MonitorRequest description",
    ),
    _r(
        "createVehicleVehicleMonitor(Legacy)?",
        400,
        "monitor",
        "at most [0-9]+ monitors",
        "a vehicle has at most 5 monitors per user and client: depends on those made",
    ),
    _r(
        "sendRemoteToVhl",
        400,
        r".*\.programs\.[0-9]+\.slot",
        "is used twice",
        "two programs on one slot (JSON Schema cannot compare items' members)",
    ),
    _r(
        "sendRemoteToVhl",
        400,
        r".*\.programs\.[0-9]+\.(start|end)",
        "under 24 hours",
        "a program's time of day is an ISO 8601 duration under 24 h",
    ),
    _r(
        "simInjectVehicleState",
        400,
        "plugged|chargerPowerKw",
        "charging plug|not plugged|unplugged",
        "plugging depends on the vehicle: its motorization and whether it is plugged",
    ),
    _r(
        "simInjectVehicleState",
        400,
        "oilTempC|coolantTempC",
        "no combustion engine",
        "engine temperatures depend on the vehicle's motorization (stated in the fields)",
    ),
    _r(
        "simCreateVehicle|simCreateClient",
        400,
        "owner|defaultUser",
        "no user",
        "the user must have been declared: depends on the users",
    ),
    _r(
        "simCreateVehicle",
        400,
        "brand|model|motorization|city",
        ANY,
        "the catalog has no vehicle of this description (brand, model, motorization, city)",
    ),
    _r(
        "simCreateClient",
        400,
        r"redirectUris\.[0-9]+",
        ANY,
        "RFC 6749 §3.1.2 / RFC 8252 §7 redirect URI rules (stated in words)",
    ),
    _r(
        "revokeToken",
        400,
        ANY,
        "missing parameter: token",
        "token (or refresh_token) in the form body or the query string: OpenAPI cannot "
        "require a value in one place or the other",
    ),
    _r(
        "userinfoPost",
        400,
        ANY,
        "given twice",
        "RFC 6750 §2: the token in the Authorization header or the form, not both",
    ),
)


def _valid_by_our_document(name: str, pattern: str) -> Callable[[Response], bool]:
    """Whether every value of query parameter ``name`` sent matches our ``pattern``."""

    def check(response: Response) -> bool:
        sent = parse_qs(urlsplit(str(response.request.url)).query, keep_blank_values=True)
        values = [part for value in sent.get(name, []) for part in value.split(",")]
        return bool(values) and all(re.search(pattern, value) for value in values)

    return check


REFERENCE_REFUSALS: tuple[Refusal, ...] = (
    _r(
        ANY,
        400,
        "timestamps",
        ANY,
        "the reference's pattern \\w?/\\w? matches anywhere: any text with a slash; its "
        "description asks RFC 3339 instants and ISO 8601 durations (our document's pattern)",
        unless=_valid_by_our_document("timestamps", TIME_RANGE_PATTERN),
    ),
    _r(
        ANY,
        400,
        "indexRange",
        ANY,
        "the reference's pattern \\d+-\\d* matches anywhere (x1-2y); the whole value must",
        unless=_valid_by_our_document("indexRange", INDEX_RANGE_PATTERN),
    ),
)


def positive_data_acceptance(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """schemathesis' check, but for the refusals the document states in words.

    Only for a case whose every part is valid: schemathesis' coverage phase may call a
    case positive when it varied a valid parameter but filled the body with an invalid
    value (``0`` for an object)."""
    if not _positive(case):
        return None
    try:
        return openapi_checks.positive_data_acceptance(ctx, response, case)
    except Failure:
        refusals = STATED_REFUSALS
        if case.operation.schema.raw_schema.get("openapi", "").startswith("3.0"):
            refusals = REFERENCE_REFUSALS  # the reference (ours is 3.1)
        if any(refusal.matches(case, response) for refusal in refusals):
            return None
        raise


CHECKS = [
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    positive_data_acceptance,
    openapi_checks.negative_data_rejection,
]
NO_NEGATIVE_CHECK = {
    # RFC 6749 §4.1.2.1: once client_id and redirect_uri are trusted, every other error
    # of the request goes back to the client in a 302 to redirect_uri, never a 4xx.
    "authorize",
}


def _positive(case: Case) -> bool:
    meta = case.meta
    return (
        meta is not None
        and meta.generation.mode.is_positive
        and all(part.mode.is_positive for part in meta.components.values())
    )


def _consent_token(target: Target) -> str:
    """A live request_token, as a consent page would carry it (single use, 60 s)."""
    record = AuthorizationRequest(
        client_id=DEFAULT_CLIENT_ID,
        redirect_uri=REDIRECT_URI,
        scopes=frozenset({"data:trip"}),
        scope="data:trip",
    )
    return target.server.call(lambda sim: sim.identity.park_authorization(record, sim.clock.time()))


ADVANCE_CAP = 3600.0
SEEN: defaultdict[str, Counter[int]] = defaultdict(Counter)
"""Statuses answered, per operation: the run must reach past the request checks."""


KNOWN = {
    # what the document cannot know: who exists, and their secrets
    "client_id": DEFAULT_CLIENT_ID,
    "client_secret": DEFAULT_CLIENT_SECRET,
    "username": DEFAULT_USER,
    "password": DEFAULT_PASSWORD,
    "owner": DEFAULT_USER,
    "defaultUser": DEFAULT_USER,
}


def _fill_known(operation_id: str, body: dict[str, Any], target: Target) -> None:
    """A valid body, kept valid: the members naming who exists (users, clients, their
    secrets, a callback) get real ones, and the work asked is bounded so that the run
    takes a few minutes.  (Advancing the clock years fires every periodic report of a
    stolen vehicle or a living fleet on the way: minutes of work, see the report.)"""
    for name, value in KNOWN.items():
        if isinstance(body.get(name), str):
            body[name] = value
    if isinstance(body.get("callbackId"), str):
        body["callbackId"] = target.ids["cbid"]
    if operation_id == "simRaiseNotification":
        count = body.get("count")
        if isinstance(count, int) and not isinstance(count, bool) and count > 3:
            body["count"] = 3
    elif operation_id == "simAdvanceClock":
        seconds = body.get("seconds")
        if isinstance(seconds, int | float) and not isinstance(seconds, bool):
            body["seconds"] = min(seconds, ADVANCE_CAP)
        to = body.get("to")
        if isinstance(to, str):
            latest = target.server.call(lambda sim: sim.clock.now()) + timedelta(
                seconds=ADVANCE_CAP
            )
            if datetime.fromisoformat(to.upper().replace("Z", "+00:00")) > latest:
                body["to"] = latest.isoformat()


def _send(
    case: Case, target: Target, extra_headers: dict[str, str] | None = None, **kwargs: Any
) -> None:
    _bind(case, target)
    operation_id = str(case.operation.definition.raw.get("operationId", ""))
    if operation_id == "authorizeConsent" and _positive(case) and isinstance(case.body, dict):
        case.body["request_token"] = _consent_token(target)
    if _positive(case) and isinstance(case.body, dict):
        _fill_known(operation_id, case.body, target)
    headers = dict(extra_headers or {})
    if not case.operation.path.startswith("/am/oauth2/"):  # identity: as documented
        headers["Authorization"] = f"Bearer {target.token()}"
    certs = target.server.certs
    response = case.call(
        session=target.session,
        headers=headers,
        timeout=REQUEST_TIMEOUT,
        verify=str(certs.ca),
        cert=(str(certs.client_cert), str(certs.client_key)),
        **kwargs,
    )
    if operation_id == "simSetLife":
        # a living fleet makes a long clock advance (up to the documented 10 years)
        # simulate every trip: minutes of work (see the report): the run keeps it still
        target.server.call(lambda sim: sim.life.stop() if sim.life.enabled else None)
    elif operation_id == "simAddFault":
        # a fault rule would fail or delay the other operations' requests (by design)
        target.server.call(lambda sim: sim.faults.clear())
    SEEN[case.operation.label][response.status_code] += 1
    checks = CHECKS
    if operation_id in NO_NEGATIVE_CHECK:
        checks = [c for c in CHECKS if c is not openapi_checks.negative_data_rejection]
    case.validate_response(response, checks=checks)


# ------------------------------------------------------------------ the run against our document
ours = schemathesis.openapi.from_dict(openapi_document(), config=_config(PIN_OVERRIDES)).exclude(
    path=CONTROL + "/reset"
)


def test_the_run_reads_the_served_document(target: Target) -> None:
    served = target.session.get(target.server.url + CONTROL + "/openapi.json", timeout=30)
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(openapi_document()))


@ours.parametrize()
def test_served_document_holds(case: Case, target: Target) -> None:
    _send(case, target, base_url=target.server.url)


# ------------------------------------------------------------------ the run against the reference
DELIBERATE = {"Status": {"energy"}}
"""Where connectedcar-v4.md departs from the reference on purpose (as the schema tests
exempt them): the legacy ``energy`` of a status is a list, for older clients."""


def _reference_document() -> dict[str, Any]:
    document = json.loads(json.dumps(load_reference()))  # a copy (the loader caches)
    document["servers"] = [{"url": API_BASE_PATH}]
    schemas = document["components"]["schemas"]
    for name, members in DELIBERATE.items():
        for part in [schemas[name], *schemas[name].get("allOf", [])]:
            for member in members & set(part.get("properties", {})):
                part["properties"][member] = {"description": "(deliberately ours)"}
    return document


if reference_available():
    reference = schemathesis.openapi.from_dict(
        _reference_document(),
        # a page token is made by the server only: the first page's
        # (no per-operation overrides: with them schemathesis 4.32 ignores include())
        config=_config([], {"query.pageToken": "p1"}),
    ).include(method="GET")

    @reference.parametrize()
    def test_reference_holds_for_reads(case: Case, reference_target: Target) -> None:
        _send(
            case,
            reference_target,
            base_url=reference_target.server.url + API_BASE_PATH,
            params={"client_id": DEFAULT_CLIENT_ID},
            extra_headers={"x-introspect-realm": DEFAULT_REALM},
        )

else:

    def test_reference_holds_for_reads() -> None:
        pytest.skip("no official reference here (../shared/reference/api-b2c.yaml)")


def test_the_runs_got_past_the_request_checks() -> None:
    """Each operation run above got answers beyond 401/403 (the token, client_id and realm
    checks) and 405 (the methods schemathesis tries besides): the pins worked."""
    if not SEEN:
        pytest.skip("the runs above were not selected")
    stuck = {
        label: dict(counts) for label, counts in SEEN.items() if not set(counts) - {401, 403, 405}
    }
    assert not stuck, stuck
    requests_sent = sum(sum(counts.values()) for counts in SEEN.values())
    assert requests_sent > 20 * len(SEEN), (requests_sent, len(SEEN))
    print(f"{requests_sent} requests to {len(SEEN)} operations")  # shown with -s
