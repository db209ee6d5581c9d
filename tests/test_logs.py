"""What ``serve`` prints: the ``ready`` line first, the banner, then one log line per
request, remote step, monitor event, delivery attempt and clock change, as text or
JSON lines; ``--quiet`` keeps the ready line and the warnings only; no secret ever.

Each test runs ``python -m simulator serve --manual-clock`` in a child process and reads
its stdout as it comes (a reader thread; waiting for a line has a timeout).  Nothing
waits on the wall clock to prove a line is absent: the process is stopped and its whole
output read to the end.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from serving import mtls_session
from serving import served as serve_process

from simulator.logs import redact_url
from simulator.testing.receiver import WebhookReceiver
from simulator.tls import CertStore

API = "/connectedcar/v4"
CONTROL = "/simulator/v1"
REALM = {"x-introspect-realm": "clientsB2CPeugeot"}
PASSWORD = "pw-ana-7Qz1"
CLIENT_SECRET = "cs-ana-9Xk4"
HOOK_KEY = "hook-key-5Rt"  # in the webhook's query: must not be printed either
SCENARIO = f"""
start: 2026-01-05T06:00:00Z
life: false
users:
  - {{email: ana@example.com, password: {PASSWORD}}}
clients:
  - {{clientId: ana-app, clientSecret: {CLIENT_SECRET}, defaultUser: ana@example.com}}
vehicles:
  - name: ana-car
    owner: ana@example.com
    brand: Peugeot
    motorization: Electric
"""
MONITOR = {
    "label": "locks",
    "triggerParam": {
        "triggers": [{"name": "lock", "data": {"data": "vehicle.doorsState.lockedState",
                                               "op": "onChange"}}],
        "boolExp": "lock",
    },
}  # fmt: skip
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")


class Printed:
    """``serve`` in a child process; its stdout lines as they come, its stderr in a file."""

    def __init__(self, certs: Path, tmp: Path, *options: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CCSIM_")}
        self._stderr = (tmp / "stderr.txt").open("w+", encoding="utf-8")
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "simulator", "serve", "--port", "0"),
                *("--manual-clock", "--certs", str(certs), *options),
            ],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._seen = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        first = self.wait_line(lambda line: True)
        assert first.startswith("ready https://"), first + self.stderr()
        assert self.lines[0] == first  # the very first line of stdout
        self.url = first.split()[1]
        self.http = requests.Session()
        self.http.trust_env = False
        store = CertStore(certs)
        self.http.verify = str(store.ca)
        self.http.cert = (str(store.client_cert), str(store.client_key))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._seen:
                self.lines.append(line.rstrip("\n"))
                self._seen.notify_all()

    def wait_line(self, match: Callable[[str], bool], timeout: float = 30) -> str:
        """The first line printed so far, or until ``timeout``, that ``match``es."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                found = [line for line in self.lines if match(line)]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    shown = "\n".join(self.lines[-40:])
                    raise AssertionError(f"no such line; printed:\n{shown}\n{self.stderr()}")
                self._seen.wait(left)

    def expect(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        line = self.wait_line(lambda text: re.search(pattern, text) is not None, timeout)
        found = re.search(pattern, line)
        assert found is not None
        return found

    def stderr(self) -> str:
        self._stderr.flush()
        return Path(self._stderr.name).read_text(encoding="utf-8")

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.url + path, json=body, timeout=30, **kwargs)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.call(method, CONTROL + path, body)
        assert answer.status_code in (200, 202), answer.text
        return answer.json()

    def advance(self, seconds: float) -> None:
        self.control("POST", "/clock/advance", {"seconds": seconds})
        self.control("POST", "/deliveries/wait-idle")

    def token(self, form: dict[str, str]) -> dict[str, Any]:
        answer = self.http.post(
            self.url + "/am/oauth2/access_token", data={"grant_type": "password", **form}
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        self.http.headers.update({"Authorization": f"Bearer {found['access_token']}", **REALM})
        return found

    def stop(self) -> tuple[str, str]:
        """SIGTERM, then everything it printed: stdout and stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=30) == 0
        self._reader.join(30)
        self.http.close()
        return "\n".join(self.lines), self.stderr()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self._stderr.close()


@pytest.fixture
def printed(ccsim_certs: Path, tmp_path: Path) -> Iterator[Callable[..., Printed]]:
    started: list[Printed] = []

    def run(*options: str) -> Printed:
        started.append(Printed(ccsim_certs, tmp_path, *options))
        return started[-1]

    yield run
    for served in started:
        served.kill()


def _request_line(served: Printed, method: str, path: str, answer: requests.Response) -> None:
    """The text line of one request: method, path, status, ms, the X-Request-Id."""
    request_id = answer.headers["X-Request-Id"]
    found = served.expect(
        rf"^{TIME} INFO ccsim\.http {method} (\S+) (\d+) (\d+\.\d)ms req={request_id}$"
    )
    assert found.group(1).startswith(path)
    assert int(found.group(2)) == answer.status_code


def _banner(served: Printed, certs: Path, users: str) -> None:
    banner = served.lines[1:5]
    assert banner[0] == (
        f"certificates in {certs.resolve()}: trust ca.pem, present client.pem + client.key "
        "(webhook receivers: webhook.pem + webhook.key)"
    )
    assert banner[1].startswith("server certificate valid for localhost, 127.0.0.1")
    assert banner[2].startswith(users)
    control = served.url + CONTROL
    assert banner[3] == (
        f"API {served.url}{API}, control API {control}, OpenAPI {control}/openapi.json"
    )


def test_text_lines_follow_requests_remotes_monitors_deliveries_and_the_clock(
    printed: Callable[..., Printed], ccsim_certs: Path, tmp_path: Path
) -> None:
    scenario = tmp_path / "ana.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    served = printed("--scenario", str(scenario), "--no-life")
    served.wait_line(lambda line: line.startswith("API "))
    _banner(served, ccsim_certs, "users ana@example.com; clients ana-app (passwords and secrets")
    form = {"username": "ana@example.com", "password": PASSWORD}
    tokens = served.token({**form, "client_id": "ana-app", "client_secret": CLIENT_SECRET})
    listed = served.call("GET", API + "/user/vehicles", params={"client_id": "ana-app"})
    _request_line(served, "GET", API + "/user/vehicles?client_id=ana-app", listed)
    vehicle = listed.json()["_embedded"]["vehicles"][0]
    vid, vin = vehicle["id"], vehicle["vin"]
    served.control("PATCH", f"/vehicles/{vid}/state", {"lockedStates": ["Unlocked"]})
    with WebhookReceiver(ccsim_certs) as hook:
        target = f"{hook.url}/in?key={HOOK_KEY}"
        body = {"label": "app", "type": ["Remote", "Monitor"],
                "callback": {"webhook": {"name": "app", "target": target}}}  # fmt: skip
        answer = served.call("POST", API + "/user/callbacks?client_id=ana-app", body)
        assert answer.status_code == 200, answer.text
        cbid = answer.json()["callbackId"]
        base = f"{API}/user/vehicles/{vid}/callbacks/{cbid}"
        answer = served.call("POST", base + "/monitors?client_id=ana-app", MONITOR)
        assert answer.status_code == 202, answer.text
        mid = answer.json()["monitorId"]
        answer = served.call(
            "POST", base + "/remotes?client_id=ana-app", {"door": {"state": "Locked"}}
        )
        assert answer.status_code == 202, answer.text
        rid = answer.json()["remoteActionId"]
        served.advance(120)
        served.expect(rf" INFO ccsim\.remote remote {rid} vin={vin} Doors Pending Accepted$")
        served.expect(rf" INFO ccsim\.remote remote {rid} vin={vin} Doors Done Success$")
        served.expect(
            rf" INFO ccsim\.monitor monitor {mid} vin={vin} raised: "
            r"data lock vehicle\.doorsState\.lockedState=Locked"
        )
        served.expect(
            rf"^{TIME} INFO ccsim\.clock advanced 120s from 2026-01-05T06:00:00Z "
            "to 2026-01-05T06:02:00Z$"
        )
        hook_url = re.escape(f"{hook.url}/in?key=[redacted]")
        served.expect(
            rf" INFO ccsim\.delivery event \S+ callback={cbid} -> {hook_url}: HTTP 200, "
            "attempt 1, delivered$"
        )
        hook.go_down()
        horn = {"horn": {"state": "Activated"}}
        answer = served.call("POST", base + "/remotes?client_id=ana-app", horn)
        assert answer.status_code == 202, answer.text
        served.advance(60)
        failed = served.expect(
            rf"^{TIME} WARNING ccsim\.delivery event (\S+) callback={cbid} -> {hook_url}: "
            rf"connection error: .*, attempt 1, next retry ({TIME})$"
        )
        hook.come_up()
        served.advance(3600)
        delivered = served.expect(
            rf" INFO ccsim\.delivery event {failed.group(1)} callback={cbid} -> {hook_url}: "
            r"HTTP 200, attempt (\d+), delivered$"
        )
        assert int(delivered.group(1)) > 1  # the retries in between are warnings too
    stdout, stderr = served.stop()
    for secret in (tokens["access_token"], tokens["refresh_token"], PASSWORD, CLIENT_SECRET,
                   HOOK_KEY):  # fmt: skip
        assert secret not in stdout and secret not in stderr
    assert "ccsim.http" not in stderr  # after ready, everything goes to stdout


def test_json_lines_have_the_fields_as_keys(
    printed: Callable[..., Printed], ccsim_certs: Path
) -> None:
    served = printed("--log-format", "json", "--no-life", "--start", "2026-01-05T06:00:00Z")
    form = {"username": "demo@example.com", "password": "demo"}
    tokens = served.token({**form, "client_id": "demo-client", "client_secret": "demo-secret"})
    listed = served.call("GET", API + "/user/vehicles", params={"client_id": "demo-client"})
    served.advance(30)
    request_id = listed.headers["X-Request-Id"]
    served.wait_line(lambda line: '"change": "advance"' in line)
    stdout, stderr = served.stop()
    entries = [json.loads(line) for line in stdout.splitlines()[1:]]  # each line parses
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    banner = [e for e in entries if e["logger"] == "ccsim.banner"]
    assert [e["users"] for e in banner if "users" in e] == [["demo@example.com"]]
    assert [e["clients"] for e in banner if "clients" in e] == [["demo-client"]]
    assert [e["openapi"] for e in banner if "openapi" in e] == [
        served.url + CONTROL + "/openapi.json"
    ]
    (request,) = [e for e in entries if e.get("request_id") == request_id]
    assert request["logger"] == "ccsim.http" and request["level"] == "INFO"
    assert request["method"] == "GET" and request["status"] == 200
    assert request["path"] == API + "/user/vehicles?client_id=demo-client"
    assert request["client_id"] == "demo-client" and request["ms"] >= 0
    assert request["time"] == "2026-01-05T06:00:00.000Z"  # the simulator's clock
    (clock,) = [e for e in entries if e["logger"] == "ccsim.clock"]
    assert clock["seconds"] == 30 and clock["to"] == "2026-01-05T06:00:30Z"
    for secret in (tokens["access_token"], tokens["refresh_token"], "demo-secret"):
        assert secret not in stdout and secret not in stderr


def test_quiet_prints_the_ready_line_and_the_warnings_only(
    printed: Callable[..., Printed], ccsim_certs: Path
) -> None:
    served = printed("--quiet", "--no-life")
    form = {"username": "demo@example.com", "password": "demo"}
    served.token({**form, "client_id": "demo-client", "client_secret": "demo-secret"})
    with WebhookReceiver(ccsim_certs) as hook:
        body = {"label": "q", "callback": {"webhook": {"target": hook.url + "/in", "name": "q"}}}
        answer = served.call("POST", API + "/user/callbacks?client_id=demo-client", body)
        assert answer.status_code == 200, answer.text
        hook.respond_with(503)
        event = {"remoteActionId": "ra-1", "remoteType": "Horn",
                 "eventStatus": {"type": "Done", "status": "Success"}}  # fmt: skip
        raised = {"callbackId": answer.json()["callbackId"], "vin": "VR3ATTENTION00001",
                  "remoteEvent": event}  # fmt: skip
        (event_id,) = served.control("POST", "/notifications", raised)["eventIds"]
        served.control("POST", "/deliveries/wait-idle")
        stdout, _ = served.stop()
    lines = stdout.splitlines()
    assert lines[0] == f"ready {served.url}"
    # no banner, no request or clock line: the failed attempt (a warning) only, and what
    # the shutdown did with the event waiting for its retry
    assert lines[1:] and all(" WARNING ccsim.delivery " in line for line in lines[1:]), lines
    assert f"event {event_id} " in lines[1] and "HTTP 503, attempt 1, next retry" in lines[1]


def test_urls_in_lines_lose_their_user_info_and_query_values() -> None:
    assert redact_url("https://u:pw@hooks.example:8443/in?token=t0k&tenant=a") == (
        "https://hooks.example:8443/in?token=[redacted]&tenant=[redacted]"
    )
    assert redact_url("wss://[::1]:9000/ws") == "wss://[::1]:9000/ws"


def test_a_stdout_nobody_reads_never_blocks_the_server(ccsim_certs: Path) -> None:
    """More lines than a pipe holds (64 KiB): they are dropped, requests are still served,
    and SIGTERM still ends the process at once with exit code 0."""
    options = ("--manual-clock", "--no-life", "--certs", str(ccsim_certs))
    with (
        serve_process(*options, stderr=subprocess.DEVNULL) as (_, url),
        mtls_session(ccsim_certs) as http,
    ):
        for _ in range(1500):  # ~150 KB of request lines
            assert http.get(url + CONTROL + "/clock", timeout=10).status_code == 200


def test_a_scenarios_set_up_lines_come_after_the_banner_not_before_ready(
    printed: Callable[..., Printed], ccsim_certs: Path
) -> None:
    """``serve --scenario`` registers the file's callbacks and monitors through the API
    before ``ready``: those request lines are held, then printed after the banner."""
    served = printed("--scenario", str(Path(__file__).parent / "scenarios" / "base.yaml"))
    setup = served.expect(r" INFO ccsim\.http POST /connectedcar/v4/user/callbacks\S* 200 ")
    stdout, stderr = served.stop()
    lines = stdout.splitlines()
    assert lines[0].startswith("ready ") and lines[4].startswith("API ")
    assert lines.index(setup.string) > 4
    assert "ccsim" not in stderr and "alice-pw" not in stdout and "fleet-secret" not in stdout


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_batch_prints_one_line_per_event_in_order(
    printed: Callable[..., Printed], ccsim_certs: Path, fmt: str
) -> None:
    """A batched webhook's attempts are written together (one record carrying the
    batch's lines, expanded by the writer): still one line per event, in the order
    raised, delivered at info or failed at warning with the next retry."""
    served = printed("--log-format", fmt, "--no-life", "--start", "2026-01-05T06:00:00Z")
    form = {"username": "demo@example.com", "password": "demo"}
    served.token({**form, "client_id": "demo-client", "client_secret": "demo-secret"})
    vin = served.call("GET", API + "/user/vehicles", params={"client_id": "demo-client"}).json()[
        "_embedded"
    ]["vehicles"][0]["vin"]
    with WebhookReceiver(ccsim_certs) as hook:
        # the first POST carries the first event alone (sent as it is raised), the second
        # the next ten: it fails, and the events after it wait behind (same vehicle)
        hook.respond_with(200, 503)
        webhook = {"name": "app", "target": f"{hook.url}/in", "batch": {"size": 10}}
        body = {"label": "app", "type": ["Remote"], "callback": {"webhook": webhook}}
        answer = served.call("POST", API + "/user/callbacks?client_id=demo-client", body)
        assert answer.status_code == 200, answer.text
        raised = served.control(
            "POST",
            "/notifications",
            {"callbackId": answer.json()["callbackId"], "vin": vin, "type": "Remote",
             "remoteEvent": {"remoteActionId": "r1", "remoteType": "Horn",
                             "eventStatus": {"type": "Done", "status": "Success"}},
             "count": 25},
        )  # fmt: skip
        ids = raised["eventIds"]
        served.control("POST", "/deliveries/wait-idle")
        served.advance(3600)  # the failed events' retry
        for event_id in (ids[1], ids[-1]):  # the retried batch, and the last one
            served.wait_line(lambda line, e=event_id: e in line and "delivered" in line)
    stdout, _ = served.stop()
    lines = [line for line in stdout.splitlines() if "ccsim.delivery" in line]
    if fmt == "json":
        entries = [json.loads(line) for line in lines]
        delivered = [e["event_id"] for e in entries if e["outcome"] == "delivered"]
        failed = [e for e in entries if e["outcome"] == "failed"]
        assert all(e["level"] == "WARNING" and e["next_retry"] for e in failed)
        assert all(e["http_status"] == 503 and e["attempt"] == 1 for e in failed)
    else:
        ok = re.compile(r" INFO ccsim\.delivery event (\S+) .*: HTTP 200, attempt \d, delivered$")
        retry = re.compile(
            r" WARNING ccsim\.delivery event (\S+) .*: HTTP 503, attempt 1, next retry "
        )
        delivered = [m.group(1) for m in map(ok.search, lines) if m]
        failed = [m.group(1) for m in map(retry.search, lines) if m]
        assert failed == ids[1:11]
    assert len(failed) == 10  # the second batch
    assert sorted(delivered) == sorted(ids) and len(delivered) == 25  # one line per event
    later = [i for i in ids[10:] if i in delivered]
    assert [i for i in delivered if i in later] == later  # in the order raised
