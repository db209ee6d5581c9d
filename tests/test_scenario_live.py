"""Scenarios played while serving: ``serve --scenario FILE`` in a child process and
``POST /simulator/v1/scenario`` in process, both over real mTLS on a manual clock.

The timeline's steps are timers on the simulator's clock; the control API shows the
steps done and each expectation's state.  Nothing here waits on the wall clock: the
tests move the clock (``/clock/advance``), wait until the simulator is idle
(``/deliveries/wait-idle``) and read ``GET /simulator/v1/scenario``, which on a manual
clock lets the steps due and the sends in flight finish before it answers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator.testing import ThreadedSimulator
from simulator.tls import CertStore

HERE = Path(__file__).parent
BASE = (HERE / "scenarios" / "base.yaml").read_text(encoding="utf-8")
CONTROL = "/simulator/v1"
API = "/connectedcar/v4"
REALM = {"x-introspect-realm": "clientsB2CPeugeot"}
SECRET = "live-ctl-3e9b"
ALICE = {
    "username": "alice@example.com",
    "password": "alice-pw",
    "client_id": "fleet-app",
    "client_secret": "fleet-secret",
}

LIVE = (
    BASE
    + """
timeline:
  - {at: PT1M, state: {vehicle: alice-car, lockedStates: [Unlocked]}}
  - at: PT2M
    remote:
      {name: lock, vehicle: alice-car, callback: app-callback, body: {door: {state: Locked}}}
expect:
  - notification: {receiver: app, monitor: locks}
    within: PT90S
  - notification: {receiver: app, remote: lock, status: Done, count: 1}
  - noNotification: {receiver: app, monitor: locks}
    after: PT6M
  - state: {vehicle: alice-car, field: 'energies[0].level', equals: 50}
until: PT10M
"""
)


def _line_of(text: str, fragment: str) -> int:
    """The 1-based line of ``text`` that holds ``fragment`` (once)."""
    (line,) = [i for i, row in enumerate(text.splitlines(), 1) if fragment in row]
    return line


def _session(certs: CertStore) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # else a REQUESTS_CA_BUNDLE variable overrides verify
    session.verify = str(certs.ca)
    session.cert = (str(certs.client_cert), str(certs.client_key))
    return session


def _states(scenario: dict[str, Any]) -> list[str]:
    return [e["state"] for e in scenario["expectations"]]


# ------------------------------------------------------------------ serve --scenario
posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")


class Served:
    """``python -m simulator serve --scenario FILE --manual-clock`` in a child process."""

    def __init__(self, certs: Path, scenario: Path, log: Path, *options: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CCSIM_")}
        self._log = log.open("w", encoding="utf-8")  # a file: a full pipe would block it
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "simulator", "serve", "--scenario", str(scenario)),
                *("--manual-clock", "--port", "0", "--certs", str(certs), *options),
            ],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("ready "), line + log.read_text(encoding="utf-8")
        self.url = line.split()[1]
        self.http = _session(CertStore(certs))
        if "--control-token" in options:
            self.http.headers["Authorization"] = f"Bearer {SECRET}"

    def control(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.http.request(method, self.url + CONTROL + path, json=body, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the clock, wait until idle, then the scenario's state."""
        self.control("POST", "/clock/advance", {"seconds": seconds})
        self.control("POST", "/deliveries/wait-idle")
        found: dict[str, Any] = self.control("GET", "/scenario")
        return found

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.http.close()
        self._log.close()
        return code


@pytest.fixture
def serving(ccsim_certs: Path, tmp_path: Path) -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
        served.stop()


def _serve(serving: list[Served], certs: Path, tmp_path: Path, text: str, *options: str) -> Served:
    path = tmp_path / "live.yaml"
    path.write_text(text, encoding="utf-8")
    served = Served(certs, path, tmp_path / "stderr.txt", *options)
    serving.append(served)
    return served


@posix_only
def test_serve_plays_the_timeline_on_the_clock(
    serving: list[Served], ccsim_certs: Path, tmp_path: Path
) -> None:
    served = _serve(serving, ccsim_certs, tmp_path, LIVE)
    # ready came after the set-up: receivers listen, the callback and monitor exist
    state = served.control("GET", "/scenario")
    assert state["file"].endswith("live.yaml")
    assert (state["steps"], state["stepsDone"], state["finished"]) == (2, 0, False)
    assert state.get("error") is None
    assert datetime.fromisoformat(state["start"]) == datetime.fromisoformat(
        "2026-03-02T06:30:00+01:00"
    )
    assert [e["kind"] for e in state["expectations"]] == [
        "notification",
        "notification",
        "noNotification",
        "state",
    ]
    assert _states(state) == ["open"] * 4
    assert state["receivers"]["app"].startswith("https://")
    token = served.http.post(served.url + "/am/oauth2/access_token", data={
        "grant_type": "password", **ALICE}, timeout=30).json()["access_token"]  # fmt: skip
    callbacks = served.http.get(
        served.url + API + "/user/callbacks",
        params={"client_id": "fleet-app"},
        headers={"Authorization": f"Bearer {token}", **REALM},
        timeout=30,
    ).json()["_embedded"]["callbacks"]
    target = callbacks[0]["subscribe"]["callback"]["webhook"]["target"]
    assert target == state["receivers"]["app"]

    state = served.advance(60)  # the unlock step: the monitor's notification arrives
    assert state["stepsDone"] == 1
    assert _states(state) == ["held", "open", "open", "open"]
    state = served.advance(60)  # the lock remote
    assert state["stepsDone"] == 2 and not state["finished"]
    # the remote's own steps (wake, lock, Done) are coroutines on the clock: they move on
    # between two advances, so the clock goes in steps of 30 s as time would
    for _ in range(10):  # to PT7M: past the noNotification's start, before the end
        state = served.advance(30)
    assert _states(state) == ["held", "open", "open", "open"]  # count: decided at the end
    for _ in range(6):  # to the end (PT10M)
        state = served.advance(30)
    assert state["finished"] is True and state.get("error") is None
    assert _states(state) == ["held", "held", "held", "failed"]
    assert "never met" in state["expectations"][3]["reason"]
    assert served.stop() == 0


HOME = "  home: {longitude: 2.3522, latitude: 48.8566}\n"
CONTROLLED = BASE.replace(HOME, HOME + "  work: {longitude: 2.2950, latitude: 48.8738}\n") + (
    "timeline:\n"
    "  - {at: PT1M, drive: {vehicle: alice-car, to: work, speedKmh: 40}}\n"
    "  - {at: PT2M, state: {vehicle: alice-car, lockedStates: [Unlocked]}}\n"
    "expect:\n"
    "  - notification: {receiver: app, monitor: locks}\n"
    "    within: PT3M\n"
    "until: PT5M\n"
)


@posix_only
def test_the_player_passes_the_control_token(
    serving: list[Served], ccsim_certs: Path, tmp_path: Path
) -> None:
    assert "work: {" in CONTROLLED
    served = _serve(serving, ccsim_certs, tmp_path, CONTROLLED, "--control-token", SECRET)
    refused = requests.get(
        served.url + CONTROL + "/scenario",
        verify=str(CertStore(ccsim_certs).ca),
        cert=served.http.cert,
        timeout=30,
    )
    assert refused.status_code == 401  # the token is needed by callers
    state = served.advance(60)  # the drive step: a control call
    assert state["stepsDone"] == 1 and state.get("error") is None, state
    state = served.advance(60)  # the state step: a control call
    assert state["stepsDone"] == 2 and state.get("error") is None, state
    assert _states(state) == ["held"]
    state = served.advance(3 * 60)
    assert state["finished"] is True
    assert served.stop() == 0


@posix_only
@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        # a callback body the API's own validation refuses
        ("type: [Monitor, Remote]", "type: [Monitor, Bogus]", "callbacks[0].body.type[1]"),
        # a vehicle state the control API refuses while the scenario is set up
        ("privacy: None}", "privacy: None, oilTempC: 90}", "vehicles[0].state.oilTempC"),
    ],
)
def test_serve_refuses_a_bad_file_in_one_line(
    ccsim_certs: Path, tmp_path: Path, old: str, new: str, where: str
) -> None:
    text = LIVE.replace(old, new, 1)
    assert new in text
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCSIM_")}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "simulator", "serve", "--scenario", str(path)),
            *("--manual-clock", "--port", "0", "--certs", str(ccsim_certs)),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "ready" not in done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"{path}:{_line_of(text, new)}: {where}: " in lines[0]
    assert "Traceback" not in done.stderr


# ------------------------------------------------------------------ control API, in process
class Control:
    """The control API of a ThreadedSimulator, over mTLS."""

    def __init__(self, server: ThreadedSimulator, token: str | None = None) -> None:
        self.server = server
        self.http = _session(server.certs)
        if token is not None:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def raw(self, method: str, path: str, body: Any = None) -> requests.Response:
        return self.http.request(method, self.server.url + CONTROL + path, json=body, timeout=30)

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.raw(method, path, body)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the clock 30 s at a time (a remote's own steps move on in between),
        waiting until idle each time; then the scenario's state."""
        for _ in range(int(seconds // 30)):
            self.server.advance(30)
        self.server.advance(seconds % 30)
        found: dict[str, Any] = self.ok("GET", "/scenario")
        return found

    def alice(self, method: str, path: str) -> Any:
        token = self.server.token(**ALICE)["access_token"]
        answer = self.http.request(
            method,
            self.server.url + API + path,
            params={"client_id": "fleet-app"},
            headers=ThreadedSimulator.api_headers(token),
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def alice_car(self) -> str:
        (vehicle,) = self.alice("GET", "/user/vehicles")["_embedded"]["vehicles"]
        return str(vehicle["id"])


@pytest.fixture(scope="module")
def live(ccsim_certs: Path) -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(ccsim_certs, manual_clock=True) as server:
        yield server


@pytest.fixture
def control(live: ThreadedSimulator) -> Iterator[Control]:
    client = Control(live)
    yield client
    client.http.close()


def test_without_a_scenario_get_and_restart_answer_409(ccsim_certs: Path) -> None:
    with ThreadedSimulator(ccsim_certs, manual_clock=True) as server:
        client = Control(server)
        for method, path in (("GET", "/scenario"), ("POST", "/scenario/restart")):
            answer = client.raw(method, path)
            assert answer.status_code == 409, answer.text
            assert answer.json()["debug"] == "scenario"
        client.http.close()


def test_posting_a_scenario_resets_and_plays_it(control: Control) -> None:
    state = control.ok("POST", "/scenario", {"yaml": LIVE})
    assert state["file"] == "<posted>"
    assert (state["steps"], state["stepsDone"], state["finished"]) == (2, 0, False)
    assert _states(state) == ["open"] * 4
    # reset to the file's declarations: its user and vehicle, not the demo fleet
    with pytest.raises(urllib.error.HTTPError):
        control.server.token()
    vid = control.alice_car()
    assert control.server.call(lambda sim: sim.named_vehicles) == {"alice-car": vid}
    (callback,) = control.alice("GET", "/user/callbacks")["_embedded"]["callbacks"]
    assert callback["subscribe"]["callback"]["webhook"]["target"] == state["receivers"]["app"]
    assert control.ok("GET", "/scenario")["receivers"] == state["receivers"]

    state = control.advance(60)
    assert state["stepsDone"] == 1
    assert _states(state) == ["held", "open", "open", "open"]
    state = control.advance(10 * 60)
    assert state["finished"] is True
    assert _states(state) == ["held", "held", "held", "failed"]

    # again from now: fresh results, a new start, the same file
    restarted = control.ok("POST", "/scenario/restart")
    assert restarted["file"] == "<posted>"
    assert (restarted["stepsDone"], restarted["finished"]) == (0, False)
    assert _states(restarted) == ["open"] * 4
    assert restarted["start"] > state["start"]
    assert restarted["start"] == restarted["now"]
    state = control.advance(60)
    assert state["stepsDone"] == 1 and _states(state)[0] == "held"


def test_a_bad_yaml_is_refused_naming_the_line(control: Control) -> None:
    control.ok("POST", "/scenario", {"yaml": LIVE})
    ghost = LIVE.replace(
        "{at: PT1M, state: {vehicle: alice-car", "{at: PT1M, state: {vehicle: ghost"
    )
    broken = "life: false\nplaces: [unclosed\n  x: 1\n"  # not YAML: line 3
    late = "life: false\nuntil: soon\n"  # not a duration: line 2
    cases = ((ghost, _line_of(ghost, "vehicle: ghost")), (broken, 3), (late, 2))
    for text, line in cases:
        answer = control.raw("POST", "/scenario", {"yaml": text})
        assert answer.status_code == 400, answer.text
        body = answer.json()
        assert body["debug"] == "yaml"
        assert f"<posted>:{line}" in body["message"], body["message"]
    assert control.raw("POST", "/scenario", {"yaml": ""}).status_code == 400
    assert control.raw("POST", "/scenario", {"text": LIVE}).status_code == 400
    # the scenario being played goes on
    assert control.ok("GET", "/scenario")["steps"] == 2


def test_a_refused_step_sets_the_error_and_the_play_goes_on(control: Control) -> None:
    text = BASE + (
        "timeline:\n"
        "  - {at: PT1M, state: {vehicle: alice-car, oilTempC: 90}}\n"
        "  - {at: PT2M, state: {vehicle: alice-car, lockedStates: [Unlocked]}}\n"
        "expect:\n"
        "  - notification: {receiver: app, monitor: locks}\n"
        "until: PT3M\n"
    )
    control.ok("POST", "/scenario", {"yaml": text})
    state = control.advance(60)
    line = _line_of(text, "oilTempC: 90")
    assert state["stepsDone"] == 1
    assert state.get("error") is not None
    assert state["error"].startswith(f"<posted>:{line}: timeline[0].state.oilTempC: ")
    state = control.advance(60)
    assert state["stepsDone"] == 2 and _states(state) == ["held"]
    state = control.advance(60)
    assert state["finished"] is True


def test_a_step_due_at_the_start_runs_at_once(control: Control) -> None:
    text = BASE + (
        "timeline:\n"
        "  - {at: PT0S, state: {vehicle: alice-car, lockedStates: [Unlocked]}}\n"
        "expect:\n"
        "  - notification: {receiver: app, monitor: locks}\n"
        "    within: PT0S\n"
    )
    control.ok("POST", "/scenario", {"yaml": text})
    state = control.ok("GET", "/scenario")  # the clock has not moved
    assert state["stepsDone"] == 1
    assert _states(state) == ["held"]
    assert state["finished"] is True


def test_the_player_uses_its_own_token_with_a_control_token(ccsim_certs: Path) -> None:
    text = BASE + (
        "timeline:\n"
        "  - {at: PT1M, state: {vehicle: alice-car, lockedStates: [Unlocked]}}\n"
        "expect:\n"
        "  - notification: {receiver: app, monitor: locks}\n"
    )
    with ThreadedSimulator(ccsim_certs, manual_clock=True, control_token=SECRET) as server:
        client = Control(server, SECRET)
        assert Control(server).raw("POST", "/scenario", {"yaml": text}).status_code == 401
        client.ok("POST", "/scenario", {"yaml": text})
        state = client.advance(60)
        assert state["stepsDone"] == 1 and state.get("error") is None, state
        assert _states(state) == ["held"]
        client.http.close()


def test_drive_makes_a_real_trip(control: Control) -> None:
    control.ok("POST", "/scenario", {"yaml": BASE})
    vid = control.alice_car()
    before = control.alice("GET", f"/user/vehicles/{vid}/status")
    trips = control.alice("GET", f"/user/vehicles/{vid}/trips")["_embedded"]["trips"]
    to = {"longitude": 2.40, "latitude": 48.87}
    body = {"to": to, "speedKmh": 40}
    driving = control.ok("POST", f"/vehicles/{vid}/drive", body)
    assert driving == {"vehicleId": vid, "driving": True, "to": to}

    again = control.raw("POST", f"/vehicles/{vid}/drive", body)
    assert again.status_code == 409, again.text
    assert control.raw("POST", "/vehicles/no-such-car/drive", body).status_code == 404
    for bad in ({"to": {"longitude": 2.4}}, {"to": to, "speedKmh": 0}, {"to": to, "x": 1}, []):
        answer = control.raw("POST", f"/vehicles/{vid}/drive", bad)
        assert answer.status_code == 400, (bad, answer.text)

    control.server.advance(120)
    moving = control.alice("GET", f"/user/vehicles/{vid}/status")
    assert moving["kinetic"]["moving"] is True
    assert (
        moving["lastPosition"]["geometry"]["coordinates"][:2]
        != before["lastPosition"]["geometry"]["coordinates"][:2]
    )
    control.server.advance(30 * 60)
    after = control.alice("GET", f"/user/vehicles/{vid}/status")
    assert after["kinetic"]["moving"] is False
    assert after["odometer"]["mileage"] > before["odometer"]["mileage"]
    assert after["energies"][0]["level"] < before["energies"][0]["level"]
    assert after["lastPosition"]["geometry"]["coordinates"][:2] == pytest.approx(
        [to["longitude"], to["latitude"]], abs=1e-6
    )
    now = control.alice("GET", f"/user/vehicles/{vid}/trips")["_embedded"]["trips"]
    assert len(now) == len(trips) + 1
