"""Shared fixtures.  The simulator itself comes from our pytest plugin (``ccsim``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from simulator.testing import ThreadedSimulator

API = "/connectedcar/v4"

LEAN_PYTEST = tuple(
    arg
    for name in (
        "schemathesis",
        "hypothesispytest",
        "anyio",
        "asyncio",
        "xdist",
        "xdist.looponfail",
    )
    for arg in ("-p", f"no:{name}")
)
"""For a user's test run under ``pytester``: the plugins of this venv such a run has no
use for, blocked (their imports cost a new pytest process about two seconds of CPU).
Our plugin is still found through its ``pytest11`` entry point (the whole suite runs
it beside all of them)."""


class ApiClient:
    """A requests session set up as an integrator would: mTLS, bearer token, realm, client_id."""

    def __init__(self, server: ThreadedSimulator, token: str | None = None) -> None:
        self.server = server
        self.session = requests.Session()
        # REQUESTS_CA_BUNDLE would override the session's verify unless trust_env is off
        self.session.trust_env = False
        self.verify = str(server.certs.ca)
        self.session.verify = self.verify
        self.session.cert = (str(server.certs.client_cert), str(server.certs.client_key))
        self.token = token or server.token()["access_token"]

    def headers(self, **extra: str) -> dict[str, str]:
        return {**ThreadedSimulator.api_headers(self.token), **extra}

    def get(
        self, path: str, *, params: dict[str, Any] | None = None, **kw: Any
    ) -> requests.Response:
        query = {"client_id": "demo-client", **(params or {})}
        headers = kw.pop("headers", None) or self.headers()
        kw.setdefault("verify", self.verify)
        return self.session.get(
            self.server.url + API + path, params=query, headers=headers, timeout=30, **kw
        )

    def raw(self, method: str, url_path: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", 30)
        kw.setdefault("verify", self.verify)
        return self.session.request(method, self.server.url + url_path, **kw)

    def vehicle_ids(self) -> list[str]:
        body = self.get("/user/vehicles").json()
        return [v["id"] for v in body["_embedded"]["vehicles"]]


@pytest.fixture
def api(ccsim: ThreadedSimulator) -> Iterator[ApiClient]:
    client = ApiClient(ccsim)
    yield client
    client.session.close()
