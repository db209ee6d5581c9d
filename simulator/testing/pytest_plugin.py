"""pytest plugin (entry point ``pytest11``): a real simulator for your tests.

Installed with ``pip install connectedcar-simulator[pytest]``.  A test reads like its
specification::

    def test_locking(ccsim, ccsim_webhook):
        car = ccsim.vehicles[0]
        cb = ccsim.api.post("/user/callbacks", json={...ccsim_webhook.url...})
        remote = ccsim.api.post(f"/user/vehicles/{car.id}/callbacks/{cb['callbackId']}/remotes",
                                json={"door": {"state": "Locked"}})
        ccsim.control.advance("PT1M")
        ccsim_webhook.wait_for(remote=remote, status="Done")

Fixtures (``pytest --fixtures`` shows each one's documentation):

* ``ccsim``: a :class:`simulator.testing.ThreadedSimulator` reset before each test, with
  ``api`` (the v4 API as a user), ``control`` (``advance``, ``set_state``,
  ``behaviour``, ``deliveries``, ``reset``), ``vehicles``, ``url``, ``token()``...;
* ``ccsim_server``: the session's simulator behind ``ccsim`` (not reset);
* ``ccsim_certs``: the session's certificate folder (``ca.pem``, ``client.pem``...);
* ``ccsim_webhook`` / ``ccsim_websocket``: real HTTPS / WSS receivers, emptied before
  each test: ``wait_for(remote=..., status="Done")``, ``assert_nothing_received()``;
* ``ccsim_scenario``: ``play(path)`` plays a scenario file headless and judges it.

Configuration, without overriding a fixture (command line over ini file)::

    [pytest]
    # users, clients, vehicles (relative to the ini file)
    ccsim_scenario = tests/fleet.yaml
    # the demo fleet's size (default 3), the seed (default 0)
    ccsim_vehicles = 5
    ccsim_seed = 7
    # a running clock; absent: a manual clock
    ccsim_speed = 60

(or ``[tool.pytest.ini_options]`` in ``pyproject.toml``), or on the command line::

    pytest --ccsim-scenario fleet.yaml --ccsim-vehicles 5 --ccsim-seed 7 --ccsim-speed 60

and ``@pytest.mark.ccsim_scenario("file.yaml")`` on a test, a class or a module
(``pytestmark``): that test's ``ccsim`` serves the file (relative to the test's folder),
one simulator per file for the session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest

from simulator.scenario import ScenarioError, load_scenario
from simulator.testing import ThreadedSimulator
from simulator.testing.receiver import WebhookReceiver, WebSocketReceiver
from simulator.testing.scenarios import ScenarioResult, play_scenario
from simulator.tls import CertStore

MARKER = "ccsim_scenario"
_OPTIONS: dict[str, str] = {
    "ccsim_scenario": "a scenario file (users, clients, vehicles, and what it scripts) the "
    "session's simulator serves; relative to the ini file (to the current folder on the "
    "command line)",
    "ccsim_vehicles": "how many demo vehicles the session's simulator has (default 3)",
    "ccsim_seed": "the session simulator's --seed (default 0)",
    "ccsim_speed": "simulated seconds per real second; absent: a manual clock that moves "
    "only with ccsim.control.advance (the default)",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ccsim", "connected-car simulator (connectedcar-simulator)")
    for name, help_text in _OPTIONS.items():
        parser.addini(name, help_text, type="string", default="")
        group.addoption(
            "--" + name.replace("_", "-"),
            dest=name,
            default=None,
            metavar={"ccsim_scenario": "FILE", "ccsim_speed": "FACTOR"}.get(name, "N"),
            help=help_text,
        )


@dataclass(frozen=True)
class SimOptions:
    """The session simulator's settings, from the command line, else the ini file."""

    scenario: Path | None = None
    vehicles: int = 3
    seed: int = 0
    speed: float | None = None

    def settings(self, scenario: Path | None) -> dict[str, Any]:
        clock: dict[str, Any] = (
            {"manual_clock": True} if self.speed is None else {"speed": self.speed}
        )
        found: dict[str, Any] = {"vehicles": self.vehicles, "seed": self.seed, **clock}
        if scenario is not None:
            found["scenario"] = scenario
        return found


def _number(config: pytest.Config, name: str, kind: type[float] | type[int]) -> Any:
    given = config.getoption(name)
    where = "--" + name.replace("_", "-") if given is not None else f"ini option {name}"
    text = given if given is not None else str(config.getini(name)).strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        raise pytest.UsageError(f"{where}: not a number: {text!r}") from None
    if not value > 0 and not (name == "ccsim_seed" and value == 0):
        raise pytest.UsageError(f"{where}: must be above 0, got {text!r}")
    return value


def _scenario_option(config: pytest.Config) -> Path | None:
    given = config.getoption(MARKER)
    if given:
        path, where = Path(given), f"--ccsim-scenario {given}"
        if not path.is_absolute():
            path = Path(config.invocation_params.dir) / path
    else:
        text = str(config.getini(MARKER)).strip()
        if not text:
            return None
        base = config.inipath.parent if config.inipath is not None else config.rootpath
        path, where = base / text, f"ini option ccsim_scenario = {text}"
    try:
        load_scenario(path)
    except ScenarioError as exc:
        raise pytest.UsageError(f"{where}: {exc}") from None
    return path.resolve()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f'{MARKER}(path): this test\'s ccsim serves the scenario file "path" (relative to '
        "the test's folder); on a module through pytestmark, or a class",
    )
    seed = _number(config, "ccsim_seed", int)
    config.stash[_KEY] = SimOptions(
        scenario=_scenario_option(config),
        vehicles=_number(config, "ccsim_vehicles", int) or 3,
        seed=seed if seed is not None else 0,
        speed=_number(config, "ccsim_speed", float),
    )


_KEY = pytest.StashKey[SimOptions]()


class SimulatorPool:
    """One started simulator per scenario file (None: the configured one), for the session."""

    def __init__(self, certs: Path, options: SimOptions) -> None:
        self.certs = certs
        self.options = options
        self._servers: dict[Path | None, ThreadedSimulator] = {}

    def get(self, scenario: Path | None) -> ThreadedSimulator:
        key = scenario if scenario is not None else self.options.scenario
        server = self._servers.get(key)
        if server is None:
            server = ThreadedSimulator(self.certs, **self.options.settings(key)).start()
            self._servers[key] = server
        return server

    def stop(self) -> None:
        for server in self._servers.values():
            server.stop()
        self._servers.clear()


def _marked_scenario(request: pytest.FixtureRequest) -> Path | None:
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return None
    if len(marker.args) != 1 or marker.kwargs:
        pytest.fail(f'use @pytest.mark.{MARKER}("file.yaml"), got {marker}', pytrace=False)
    path = Path(marker.args[0])
    if not path.is_absolute():
        beside = Path(request.path).parent / path
        path = beside if beside.exists() or not path.exists() else path
    return path.resolve()


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="session")
def ccsim_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's certificate folder: ``ca.pem`` (trust it), ``client.pem`` +
    ``client.key`` (present them), ``server.pem``, ``webhook.pem`` + ``webhook.key``."""
    directory = tmp_path_factory.mktemp("ccsim-certs")
    CertStore(directory).ensure()
    return directory


@pytest.fixture(scope="session")
def ccsim_pool(ccsim_certs: Path, pytestconfig: pytest.Config) -> Iterator[SimulatorPool]:
    """The session's simulators: the configured one, and one per scenario file a
    ``@pytest.mark.ccsim_scenario`` names; all stopped at the end of the session."""
    pool = SimulatorPool(ccsim_certs, pytestconfig.stash[_KEY])
    yield pool
    pool.stop()


@pytest.fixture(scope="session")
def ccsim_server(ccsim_pool: SimulatorPool) -> ThreadedSimulator:
    """The session's simulator (mTLS, a free port; manual clock, 3 vehicles, seed 0
    unless ``ccsim_speed``/``ccsim_vehicles``/``ccsim_seed``/``ccsim_scenario`` say
    otherwise), not reset between tests: use ``ccsim``."""
    return ccsim_pool.get(None)


@pytest.fixture
def ccsim(request: pytest.FixtureRequest, ccsim_pool: SimulatorPool) -> ThreadedSimulator:
    """A real simulator reset before the test (its initial users, clients and fleet; a
    scenario played again), the one ``@pytest.mark.ccsim_scenario`` names if any.

    ``ccsim.api.get/post/put/patch/delete(path, json=None, params=None)``: the v4 API as
    the demo user (or the scenario's first user), parsed JSON back, ``ApiCallError`` with
    the status and the v4 error body unless 2xx; ``ccsim.api.as_user(email)``.
    ``ccsim.control.advance("PT10M")`` (then idle), ``set_state(vehicle, **fields)``,
    ``behaviour(vehicle, **fields)``, ``deliveries(**filters)``, ``reset()``.
    ``ccsim.vehicles``: ``[0]``, ``["name"]`` (a scenario's), ``.id``, ``.vin``.
    Also ``url``, ``token()``, ``client_context()``, ``call(fn)``, ``wait_idle()``.
    """
    scenario = _marked_scenario(request)
    server = (
        ccsim_pool.get(scenario)
        if scenario is not None
        else request.getfixturevalue("ccsim_server")
    )
    server.reset()
    return server


def _bind(receiver: WebhookReceiver | WebSocketReceiver, request: pytest.FixtureRequest) -> None:
    """Settle the test's ``ccsim`` in ``assert_nothing_received`` when the test has one."""
    receiver.simulator = (
        request.getfixturevalue("ccsim") if "ccsim" in request.fixturenames else None
    )


@pytest.fixture(scope="session")
def ccsim_webhook_server(ccsim_certs: Path) -> Iterator[WebhookReceiver]:
    """The session's HTTPS webhook receiver behind ``ccsim_webhook``."""
    with WebhookReceiver(ccsim_certs) as receiver:
        yield receiver


@pytest.fixture
def ccsim_webhook(
    ccsim_webhook_server: WebhookReceiver, request: pytest.FixtureRequest
) -> WebhookReceiver:
    """A real HTTPS webhook receiver (``webhook.pem``, trusted by the simulator), emptied
    and answering 200 before each test.  Point a callback at ``ccsim_webhook.url``;
    ``wait_for(remote=..., status="Done", monitor=..., vin=..., count=1, timeout=10)``
    returns the matching messages or fails listing what arrived;
    ``assert_nothing_received()`` first lets ``ccsim`` finish what is due.  Failure modes:
    ``respond_with(500)``, ``set_delay(s)``, ``drop_next()``, ``go_down()``/``come_up()``."""
    if not ccsim_webhook_server.listening:
        ccsim_webhook_server.come_up()
    ccsim_webhook_server.reset()
    _bind(ccsim_webhook_server, request)
    return ccsim_webhook_server


@pytest.fixture(scope="session")
def ccsim_websocket_server(ccsim_certs: Path) -> Iterator[WebSocketReceiver]:
    """The session's WSS receiver behind ``ccsim_websocket``."""
    with WebSocketReceiver(ccsim_certs) as receiver:
        yield receiver


@pytest.fixture
def ccsim_websocket(
    ccsim_websocket_server: WebSocketReceiver, request: pytest.FixtureRequest
) -> WebSocketReceiver:
    """A real WebSocket (``wss://``) receiver for a websocket callback, emptied before each
    test: ``url``, ``wait_for(...)`` and ``assert_nothing_received()`` as
    ``ccsim_webhook``, ``frames``, ``connections``, ``go_down()``/``come_up()``."""
    if not ccsim_websocket_server.listening:
        ccsim_websocket_server.come_up()
    ccsim_websocket_server.clear()
    _bind(ccsim_websocket_server, request)
    return ccsim_websocket_server


class PlayScenario(Protocol):
    """What ``ccsim_scenario`` hands: ``play(path, *, seed=0) -> ScenarioResult``."""

    def __call__(self, path: str | os.PathLike[str], *, seed: int = 0) -> ScenarioResult: ...


@pytest.fixture
def ccsim_scenario(ccsim_certs: Path, request: pytest.FixtureRequest) -> PlayScenario:
    """``play(path, seed=0)`` plays a scenario file headless (its own simulator and
    receivers, a manual clock, as fast as the machine allows) and returns its
    ``ScenarioResult``: ``assert_passed()``, ``result["name"].held``,
    ``messages(receiver)``.  A relative path is looked up from the current folder, then
    from the test file's folder."""
    here = Path(request.path).parent

    def play(path: str | os.PathLike[str], *, seed: int = 0) -> ScenarioResult:
        file = Path(path)
        if not file.is_absolute() and not file.exists() and (here / file).exists():
            file = here / file
        return play_scenario(file, certs=ccsim_certs, seed=seed)

    return play
