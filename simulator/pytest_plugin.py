"""pytest plugin (entry point ``pytest11``): a real simulator for your tests.

Fixtures:

* ``ccsim_certs``: a session-wide folder with ``ca.pem``, ``client.pem``/``.key``...
* ``ccsim_server``: one simulator per test session, on a free port, mTLS, manual clock;
* ``ccsim``: the same simulator, reset to its initial fleet before each test.

Each hands a :class:`simulator.testing.ThreadedSimulator`: ``url``,
``client_context()``, ``token()``, ``api_headers()``, ``call(fn)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.testing import ThreadedSimulator
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
