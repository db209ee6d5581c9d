"""Scenario files played headless (``python -m simulator run``): every expectation form
held and failed, a malformed file for each section, the shipped scenarios, JUnit XML.

Each play starts a real simulator (mTLS) with real HTTPS receivers on a manual clock.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from simulator.scenario import ScenarioError
from simulator.scenario.run import Outcome, play
from simulator.tls import CertStore

HERE = Path(__file__).parent
BASE = (HERE / "scenarios" / "base.yaml").read_text(encoding="utf-8")
SHIPPED = sorted((HERE.parent / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario-certs")
    CertStore(path).ensure()
    return path


def _play(tmp_path: Path, certs: Path, text: str, name: str = "case.yaml") -> Outcome:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return asyncio.run(play(path, certs=certs))


UNLOCK = """
timeline:
  - {at: PT1M, state: {vehicle: alice-car, lockedStates: [Unlocked]}}
  - at: PT2M
    remote:
      {name: lock, vehicle: alice-car, callback: app-callback, body: {door: {state: Locked}}}
"""

# (expect section, holds?, words the reason must contain)
FORMS = [
    ("notification: {receiver: app, monitor: locks}\n    within: PT5M", True, "first at"),
    ("notification: {receiver: app, monitor: locks}\n    within: PT30S", False, "came at"),
    ("notification: {receiver: app, monitor: locks, count: 2}", True, "2 notifications"),
    ("notification: {receiver: app, monitor: locks, count: 1}", False, "expected 1"),
    ("notification: {receiver: app, remote: lock, status: Done, count: 1}", True, "1 notif"),
    ("notification: {receiver: app, remote: lock, status: Failed}", False, "none matched"),
    ("noNotification: {receiver: app, monitor: locks}\n    within: PT50S", True, "none arrived"),
    ("noNotification: {receiver: app, monitor: locks}\n    after: PT30S", False, "arrived"),
    ("delivery: {callback: app-callback, outcome: delivered}", True, "first at"),
    ("delivery: {callback: app-callback, outcome: dead-lettered}", False, "journal has"),
    ("state: {vehicle: alice-car, field: 'energies[0].level', atLeast: 79}", True, "= 80"),
    ("state: {vehicle: alice-car, field: 'energies[0].level', equals: 50}", False, "never met"),
    # no sample after PT5M: the state read before the window is the state in it
    (
        "state: {vehicle: alice-car, field: 'energies[0].level', atLeast: 79}\n    after: PT5M",
        True,
        "= 80",
    ),
]


@pytest.mark.parametrize(("expect", "holds", "words"), FORMS)
def test_every_expectation_form_holds_and_fails(
    tmp_path: Path, certs: Path, expect: str, holds: bool, words: str
) -> None:
    outcome = _play(tmp_path, certs, BASE + UNLOCK + f"expect:\n  - {expect}\nuntil: PT10M\n")
    (result,) = outcome.results
    assert result.held is holds, result.reason
    assert outcome.exit_code == (0 if holds else 1)
    assert words in result.reason


def test_a_refusing_receiver_counts_nothing_as_arrived(tmp_path: Path, certs: Path) -> None:
    text = BASE.replace("  - name: app\n", "  - {name: app, status: 503}\n", 1) + UNLOCK
    text += "expect:\n  - notification: {receiver: app}\nuntil: PT5M\n"
    (result,) = _play(tmp_path, certs, text).results
    assert not result.held
    assert "refused (non-2xx)" in result.reason


def _line(text: str, words: str, nth: int = 0) -> int:
    """The 1-based line of the ``nth`` line holding ``words``."""
    return [i for i, line in enumerate(text.splitlines(), 1) if words in line][nth]


def test_a_websocket_receiver_gets_every_event(tmp_path: Path, certs: Path) -> None:
    text = BASE.replace("  - name: app\n", "  - {name: app, kind: websocket}\n", 1).replace(
        '{webhook: {name: app, target: "receiver:app"}}', '{websocket: {target: "receiver:app"}}'
    )
    assert "kind: websocket" in text and "websocket: {target" in text
    text += UNLOCK + "expect:\n  - notification: {receiver: app, monitor: locks, count: 2}\n"
    text += "  - notification: {receiver: app, remote: lock, status: Done, count: 1}\n"
    outcome = _play(tmp_path, certs, text + "until: PT10M\n")
    assert [r.reason for r in outcome.results if not r.held] == []


# (what to change in the base file, the line reported (its words, which one), the field)
MALFORMED = [
    ("start: 2026-03-02T06:30:00+01:00", "start: yesterday", ("start:", 0), "start"),
    ("  home: {longitude: 2.3522", "  home: {longitude: 500.0", ("home:", 0), "places.home"),
    ("    seed: 5\n", "    seed: 5\n    count: 2\n", ("count: 2", 0), "vehicles[0].count"),
    ("  - name: app\n", "  - name: app\n  - name: app\n", ("name: app", 1), "receivers[1]"),
    (
        "      type: [Monitor, Remote]",
        "      type: [Monitor, Nope]",
        ("Nope", 0),
        "callbacks[0].body.type",
    ),
    (
        "        boolExp: lock",
        "        boolExp: lock &",
        ("boolExp", 0),
        "monitors[0].body.triggerParam",
    ),
]


@pytest.mark.parametrize(("old", "new", "where", "field"), MALFORMED)
def test_a_malformed_section_names_its_line(
    tmp_path: Path, certs: Path, old: str, new: str, where: tuple[str, int], field: str
) -> None:
    assert old in BASE
    text = BASE.replace(old, new, 1) + "until: PT1M\n"
    with pytest.raises(ScenarioError) as caught:
        _play(tmp_path, certs, text)
    assert caught.value.line == _line(text, *where), str(caught.value)
    assert caught.value.field.startswith(field), str(caught.value)


TAILS = [
    ("timeline:\n  - {at: PT1M, life: true, replay: {}}\n", "timeline[0]"),
    ("timeline:\n  - {at: PT1M, drive: {vehicle: bob-car, to: home}}\n", "timeline[0].drive"),
    ("timeline:\n  - {at: PT1M, drive: {vehicle: alice-car, to: mars}}\n", "timeline[0].drive.to"),
    ("expect:\n  - notification: {monitor: nope}\n", "expect[0].notification.monitor"),
    ("expect:\n  - state: {vehicle: alice-car, field: x}\n", "expect[0].state"),
    ("until: soon\n", "until"),
]


@pytest.mark.parametrize(("tail", "field"), TAILS)
def test_malformed_timeline_expect_and_until(
    tmp_path: Path, certs: Path, tail: str, field: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        _play(tmp_path, certs, BASE + tail)
    line = len(BASE.splitlines()) + len(tail.splitlines())  # the tail's last line
    assert caught.value.line == line, str(caught.value)
    assert caught.value.field.startswith(field), str(caught.value)


def test_a_step_the_api_refuses_points_at_the_step(tmp_path: Path, certs: Path) -> None:
    tail = (
        "timeline:\n  - at: PT1M\n    remote: {vehicle: alice-car, callback: app-callback, "
        "body: {door: {state: Ajar}}}\n"
    )
    with pytest.raises(ScenarioError) as caught:
        _play(tmp_path, certs, BASE + tail)
    assert caught.value.line == len(BASE.splitlines()) + 3
    assert caught.value.field.startswith("timeline[0].remote.body.door")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", "run", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_run_command_exit_codes_and_junit_report(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(BASE + UNLOCK + "expect:\n  - notification: {monitor: locks}\n")
    report = tmp_path / "out" / "report.xml"
    done = _cli(str(good), "--report", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 held, 0 failed of 1 expectations" in done.stdout
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "1" and suite.get("failures") == "0"

    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE + UNLOCK + "expect:\n  - noNotification: {monitor: locks}\n")
    done = _cli(str(bad), "--report", str(report), "--quiet")
    assert done.returncode == 1
    assert done.stdout.startswith("FAILED noNotification(monitor=locks)")
    case = ET.parse(report).getroot().find("testsuite/testcase/failure")
    assert case is not None and "arrived" in (case.get("message") or "")

    broken = tmp_path / "broken.yaml"
    broken.write_text(BASE + "timeline:\n  - {at: PT1M}\n")
    done = _cli(str(broken))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert (
        f"{broken}:{len(BASE.splitlines()) + 2}: timeline[0]"
        in done.stderr.strip().splitlines()[-1]
    )


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenarios_pass(path: Path, certs: Path) -> None:
    outcome = asyncio.run(play(path, certs=certs))
    failed = [f"{r.name}: {r.reason}" for r in outcome.results if not r.held]
    assert not failed
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#"), "each shipped scenario opens with what it shows"
