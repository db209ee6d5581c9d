"""``--control-token``: the control API behind a bearer token, the simulated API unchanged."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import ApiClient
from serving import clean_env, mtls_session, served

from simulator.cli import build_parser
from simulator.testing import ThreadedSimulator

SECRET = "ctl-7f3a-secret"


@pytest.fixture(scope="module")
def guarded(ccsim_certs: Path) -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(ccsim_certs, manual_clock=True, control_token=SECRET) as server:
        yield server


def _control(server: ThreadedSimulator, path: str, **kw: object) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    session.cert = (str(server.certs.client_cert), str(server.certs.client_key))
    method = str(kw.pop("method", "GET"))
    return session.request(
        method, server.url + "/simulator/v1" + path, verify=str(server.certs.ca), timeout=30, **kw
    )


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer wrong",
        f"Basic {SECRET}",
        f"Bearer {SECRET}x",
        "Bearer",
        f"bearer  {SECRET[:-1]}",
    ],
)
def test_control_calls_without_the_token_are_refused(
    guarded: ThreadedSimulator, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    for method, path in (("GET", "/clock"), ("POST", "/reset"), ("GET", "/openapi.json")):
        answer = _control(guarded, path, method=method, headers=headers)
        assert answer.status_code == 401, (path, answer.text)
        body = answer.json()
        assert body["code"] == 40103 and body["debug"] == "Authorization"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer ")
        assert SECRET not in answer.text


def test_the_token_opens_the_control_api(guarded: ThreadedSimulator) -> None:
    for scheme in ("Bearer", "bearer"):
        answer = _control(guarded, "/clock", headers={"Authorization": f"{scheme} {SECRET}"})
        assert answer.status_code == 200, answer.text
    advanced = _control(
        guarded,
        "/clock/advance",
        method="POST",
        json={"seconds": 60},
        headers={"Authorization": f"Bearer {SECRET}"},
    )
    assert advanced.status_code == 200, advanced.text


def test_the_simulated_api_needs_no_control_token(guarded: ThreadedSimulator) -> None:
    client = ApiClient(guarded)
    assert client.get("/user/vehicles").status_code == 200


def test_the_digest_is_kept_not_the_token(guarded: ThreadedSimulator) -> None:
    assert SECRET not in repr(guarded.settings)
    assert guarded.settings.control_token_digest is not None
    assert SECRET.encode() not in guarded.settings.control_token_digest


def test_without_a_token_the_control_api_is_open(api: ApiClient) -> None:
    assert api.raw("GET", "/simulator/v1/clock").status_code == 200


def test_option_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    args = build_parser().parse_args(["serve", "--control-token", "abc"])
    assert args.control_token == "abc"
    monkeypatch.setenv("CCSIM_CONTROL_TOKEN", "from-env")
    assert build_parser().parse_args(["serve"]).control_token == "from-env"


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_served_process_reads_the_environment(ccsim_certs: Path) -> None:
    options = ("--certs", str(ccsim_certs), "--manual-clock", "--no-life")
    with served(*options, env=clean_env(CCSIM_CONTROL_TOKEN=SECRET)) as (_, base):
        session = mtls_session(ccsim_certs)
        url = base + "/simulator/v1/clock"
        assert session.get(url, timeout=30).status_code == 401
        opened = session.get(url, timeout=30, headers={"Authorization": f"Bearer {SECRET}"})
        assert opened.status_code == 200


def test_unknown_control_paths_and_methods_need_the_token_too(guarded: ThreadedSimulator) -> None:
    """The token is checked before routing: without it, a control path that does not
    exist, a wrong method or a percent-encoded path says nothing but 401."""
    for method, path in (("GET", "/no-such-thing"), ("DELETE", "/clock"), ("GET", "/%63lock"),
                         ("GET", "")):  # fmt: skip
        answer = _control(guarded, path, method=method)
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.json()["code"] == 40103
    opened = {"Authorization": f"Bearer {SECRET}"}
    assert _control(guarded, "/no-such-thing", headers=opened).status_code == 404
    assert _control(guarded, "/clock", method="DELETE", headers=opened).status_code == 405
    assert _control(guarded, "/%63lock", headers=opened).status_code == 200
