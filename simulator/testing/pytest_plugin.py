"""pytest plugin (entry point ``pytest11``): a real simulator for your tests.

Fixtures:

* ``ccsim_certs``: a session-wide folder with ``ca.pem``, ``client.pem``/``.key``...
* ``ccsim_server``: one simulator per test session, on a free port, mTLS, manual clock;
* ``ccsim``: the same simulator, reset to its initial fleet before each test;
* ``ccsim_webhook``: a real HTTPS webhook receiver (``webhook.pem``), emptied and
  back to answering 200 before each test: point a callback at its ``url`` and
  ``wait_for_messages(n)``;
* ``ccsim_websocket``: the same for a WebSocket (``wss://``) callback;
* ``ccsim_scenario``: ``play(path, seed=0)`` plays a scenario file headless (its own
  simulator and receivers, manual clock, the session's certificates) and returns a
  :class:`simulator.testing.scenarios.ScenarioResult`: ``assert_passed()``, each
  expectation held or failed with its reason, ``received[receiver]`` the messages.

Each hands a :class:`simulator.testing.ThreadedSimulator`: ``url``,
``client_context()``, ``token()``, ``api_headers()``, ``call(fn)``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from simulator.testing import ThreadedSimulator
from simulator.testing.receiver import WebhookReceiver, WebSocketReceiver
from simulator.testing.scenarios import ScenarioResult, play_scenario
from simulator.tls import CertStore


@pytest.fixture(scope="session")
def ccsim_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("ccsim-certs")
    CertStore(directory).ensure()
    return directory


@pytest.fixture(scope="session")
def ccsim_server(ccsim_certs: Path) -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(ccsim_certs, manual_clock=True, vehicles=3, seed=0) as server:
        yield server


@pytest.fixture
def ccsim(ccsim_server: ThreadedSimulator) -> ThreadedSimulator:
    ccsim_server.call(lambda sim: sim.reset())
    return ccsim_server


@pytest.fixture(scope="session")
def ccsim_webhook_server(ccsim_certs: Path) -> Iterator[WebhookReceiver]:
    with WebhookReceiver(ccsim_certs) as receiver:
        yield receiver


@pytest.fixture
def ccsim_webhook(ccsim_webhook_server: WebhookReceiver) -> WebhookReceiver:
    if not ccsim_webhook_server.listening:
        ccsim_webhook_server.come_up()
    ccsim_webhook_server.reset()
    return ccsim_webhook_server


@pytest.fixture(scope="session")
def ccsim_websocket_server(ccsim_certs: Path) -> Iterator[WebSocketReceiver]:
    with WebSocketReceiver(ccsim_certs) as receiver:
        yield receiver


@pytest.fixture
def ccsim_websocket(ccsim_websocket_server: WebSocketReceiver) -> WebSocketReceiver:
    if not ccsim_websocket_server.listening:
        ccsim_websocket_server.come_up()
    ccsim_websocket_server.clear()
    return ccsim_websocket_server


class PlayScenario(Protocol):
    """What ``ccsim_scenario`` hands: ``play(path, *, seed=0) -> ScenarioResult``."""

    def __call__(self, path: str | os.PathLike[str], *, seed: int = 0) -> ScenarioResult: ...


@pytest.fixture
def ccsim_scenario(ccsim_certs: Path, request: pytest.FixtureRequest) -> PlayScenario:
    """Play a scenario file; a relative path is looked up from the current directory,
    then from the test file's folder."""
    here = Path(request.path).parent

    def play(path: str | os.PathLike[str], *, seed: int = 0) -> ScenarioResult:
        file = Path(path)
        if not file.is_absolute() and not file.exists() and (here / file).exists():
            file = here / file
        return play_scenario(file, certs=ccsim_certs, seed=seed)

    return play
