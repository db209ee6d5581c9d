"""The live view's listeners: ``/simulator/ui/`` on the mTLS listener and on the
plain-HTTP ``--ui-port`` one (loopback only), its headers and redirects, the Host and
Origin guards, the control token there too, and a non-loopback ``--ui-host`` refused."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from serving import clean_env, mtls_session

from simulator.testing import ThreadedSimulator

TOKEN = "ui-control-token-1234"


@pytest.fixture(scope="module")
def ui_server(ccsim_certs: Path) -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(ccsim_certs, manual_clock=True, ui_port=0, control_token=TOKEN) as s:
        yield s


def _base(server: ThreadedSimulator) -> str:
    ui = server._server.ui if server._server is not None else None
    assert ui is not None and ui.url.startswith("http://127.0.0.1:")
    return ui.url.removesuffix("/simulator/ui/")


def _plain() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def test_the_ui_port_serves_the_page_with_its_headers(ui_server: ThreadedSimulator) -> None:
    base = _base(ui_server)
    with _plain() as http:
        page = http.get(base + "/simulator/ui/", timeout=10)
        assert page.status_code == 200 and "<html" in page.text
        assert page.headers["Content-Type"].startswith("text/html")
        csp = page.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert page.headers["Cache-Control"] == "no-cache"
        for path in ("/", "/simulator/ui"):
            moved = http.get(base + path, allow_redirects=False, timeout=10)
            assert moved.status_code == 302 and moved.headers["Location"] == "/simulator/ui/"
        for path in ("/simulator/ui/../cli.py", "/simulator/ui/nothing.html",
                     "/simulator/ui/%2e%2e/web.py", "/simulator/ui/.hidden.js"):  # fmt: skip
            assert http.get(base + path, timeout=10).status_code == 404, path


def test_the_mtls_listener_serves_the_page_too(ui_server: ThreadedSimulator) -> None:
    with mtls_session(ui_server.certs.directory) as session:
        page = session.get(ui_server.url + "/simulator/ui/", timeout=10)
        assert page.status_code == 200 and "Content-Security-Policy" in page.headers
        moved = session.get(ui_server.url + "/", allow_redirects=False, timeout=10)
        assert moved.status_code == 302


def test_the_control_api_and_its_token_on_the_ui_port(ui_server: ThreadedSimulator) -> None:
    base = _base(ui_server) + "/simulator/v1"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with _plain() as http:
        assert http.get(base + "/clock", timeout=10).status_code == 401
        fleet = http.get(base + "/fleet", headers=auth, timeout=10)
        assert fleet.status_code == 200
        body = fleet.json()
        assert len(body["vehicles"]) == 3 and body["cities"]
        car = body["vehicles"][0]
        assert car["state"] in {"driving", "parked", "charging", "offline", "asleep", "stolen"}
        keys = {"id", "vin", "label", "owner", "brand", "motorization", "latitude", "longitude",
                "heading", "speedKmh", "energyLevel", "odometerKm", "city"}  # fmt: skip
        assert keys <= set(car)
        status = http.get(base + f"/vehicles/{car['id']}/status", headers=auth, timeout=10)
        assert status.status_code == 200 and "lastPosition" in status.json()
        assert http.get(base + "/vehicles/nope/status", headers=auth, timeout=10).status_code == 404
        openapi = http.get(base + "/openapi.json", headers=auth, timeout=10).json()
        paths = openapi["paths"]
        assert {"/simulator/v1/fleet", "/simulator/v1/events"} <= set(paths)
        assert (
            "text/event-stream"
            in paths["/simulator/v1/events"]["get"]["responses"]["200"]["content"]
        )
        same = {**auth, "Origin": base.removesuffix("/simulator/v1")}
        assert http.post(base + "/clock/advance", json={"seconds": 1}, headers=same,
                         timeout=10).status_code == 200  # fmt: skip


def test_a_foreign_host_or_origin_is_refused(ui_server: ThreadedSimulator) -> None:
    base = _base(ui_server)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with _plain() as http:
        rebound = http.get(base + "/simulator/ui/", headers={"Host": "evil.example:80"}, timeout=10)
        assert rebound.status_code == 403 and rebound.json()["debug"] == "Host"
        for host in ("localhost", "[::1]:8080", "127.0.0.1"):
            assert http.get(base + "/simulator/ui/", headers={"Host": host}, timeout=10).ok
        csrf = http.post(
            base + "/simulator/v1/clock/advance",
            json={"seconds": 1},
            headers={**auth, "Origin": "http://evil.example"},
            timeout=10,
        )
        assert csrf.status_code == 403 and csrf.json()["debug"] == "Origin"
        # a GET from elsewhere is no write; the mTLS listener refuses a foreign write too
        assert http.get(base + "/simulator/v1/clock", headers={**auth, "Origin": "http://x"},
                        timeout=10).status_code == 200  # fmt: skip
    with mtls_session(ui_server.certs.directory) as session:
        refused = session.post(
            ui_server.url + "/simulator/v1/clock/advance",
            json={"seconds": 1},
            headers={**auth, "Origin": "https://evil.example"},
            timeout=10,
        )
        assert refused.status_code == 403


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_a_non_loopback_ui_host_is_refused(host: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "serve", "--port", "0", "--certs", str(tmp_path),
         "--ui-port", "0", "--ui-host", host],
        capture_output=True, text=True, timeout=60, env=clean_env(),
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--ui-host" in lines[0] and "loopback" in lines[0], done.stderr
    assert done.stdout == ""


def test_the_banner_prints_the_ui_url(ccsim_certs: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--port", "0", "--certs", str(ccsim_certs),
         "--ui-port", "0", "--manual-clock"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(),
    )  # fmt: skip
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("ready https://")
        for _ in range(20):
            line = process.stdout.readline()
            if "live view" in line:
                break
        assert "/simulator/ui/" in line and "http://127.0.0.1:" in line, line
        ui = line.split("http://")[1].split()[0].rstrip(",")
        # an open event stream does not hold the stop up
        stream = _plain().get(
            "http://" + ui.replace("/simulator/ui/", "/simulator/v1/events"),
            headers={"Accept": "text/event-stream"}, stream=True, timeout=10,
        )  # fmt: skip
        assert stream.status_code == 200
        process.terminate()
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
