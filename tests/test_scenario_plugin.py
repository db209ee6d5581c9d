"""Scenario files played from tests: ``simulator.testing.play_scenario`` and the pytest
plugin's ``ccsim_scenario`` fixture (a real simulator, real HTTPS receivers, manual clock).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LEAN_PYTEST

from simulator.scenario import ScenarioError
from simulator.testing import ScenarioResult, play_scenario
from simulator.testing.pytest_plugin import PlayScenario

pytest_plugins = ["pytester"]

HERE = Path(__file__).parent
BASE = (HERE / "scenarios" / "base.yaml").read_text(encoding="utf-8")

# unlocked at 1 min, locked by a remote at 2 min: two lock-state events, one Done remote
TIMELINE = """
timeline:
  - {at: PT1M, state: {vehicle: alice-car, lockedStates: [Unlocked]}}
  - at: PT2M
    remote:
      {name: lock, vehicle: alice-car, callback: app-callback, body: {door: {state: Locked}}}
"""

PASSING = (
    BASE
    + TIMELINE
    + """
expect:
  - name: two lock changes
    notification: {receiver: app, monitor: locks, count: 2}
  - name: the lock ends Done
    notification: {receiver: app, remote: lock, status: Done, count: 1}
    within: PT5M
until: PT10M
"""
)

FAILING = (
    BASE
    + TIMELINE
    + """
expect:
  - name: the lock ends Done
    notification: {receiver: app, remote: lock, status: Done}
  - name: the lock fails
    notification: {receiver: app, remote: lock, status: Failed}
  - name: a change before the first minute
    notification: {receiver: app, monitor: locks}
    within: PT30S
until: PT10M
"""
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_passing_file_hands_back_verdicts_and_messages(tmp_path: Path, ccsim_certs: Path) -> None:
    result = play_scenario(_write(tmp_path, "ok.yaml", PASSING), certs=ccsim_certs)
    assert isinstance(result, ScenarioResult)
    assert result.passed
    result.assert_passed()
    assert [e.name for e in result.expectations] == ["two lock changes", "the lock ends Done"]
    assert all(e.held and e.state == "held" for e in result.expectations)
    assert result["two lock changes"].reason == "2 notifications"
    assert result["the lock ends Done"].kind == "notification"
    with pytest.raises(KeyError):
        result["no such expectation"]

    # the messages the receiver accepted, as the app would read them
    assert list(result.received) == ["app"]
    monitors = result.messages("app", type="Monitor")
    remotes = result.messages("app", type="Remote")
    assert len(monitors) == 2
    assert len(monitors) + len(remotes) == len(result.received["app"])
    locks = [m["monitorEvent"]["values"][0]["value"]["body"]["literalValue"] for m in monitors]
    assert locks == ["Unlocked", "Locked"]
    assert len({m["vin"] for m in result.received["app"]}) == 1
    statuses = [m["remoteEvent"]["eventStatus"] for m in remotes]
    assert statuses[0] == {"type": "Pending", "status": "Accepted"}
    assert statuses[-1] == {"type": "Done", "status": "Success"}
    assert all(a.accepted for a in result.arrivals)
    assert result.simulated_seconds == 600
    assert 0 < result.wall_seconds < 120


def test_a_failing_file_names_what_failed_and_what_was_seen(
    tmp_path: Path, ccsim_certs: Path
) -> None:
    result = play_scenario(_write(tmp_path, "bad.yaml", FAILING), certs=ccsim_certs)
    assert not result.passed
    assert [e.name for e in result.failed] == ["the lock fails", "a change before the first minute"]
    assert result["the lock ends Done"].held
    with pytest.raises(AssertionError) as raised:
        result.assert_passed()
    text = str(raised.value)
    assert "2 of 3 expectations failed" in text
    assert "FAILED the lock fails: none matched; arrived: " in text
    assert "Remote" in text  # what did arrive instead
    assert "FAILED a change before the first minute: none in the window" in text
    listed = [line for line in text.splitlines() if line.startswith("  [")]
    assert [line.split(":")[0] for line in listed] == [
        "  [1] FAILED the lock fails",
        "  [2] FAILED a change before the first minute",
    ]


def test_a_bad_file_raises_the_loaders_error(tmp_path: Path, ccsim_certs: Path) -> None:
    path = _write(tmp_path, "typo.yaml", BASE + "timline: []\n")
    with pytest.raises(ScenarioError, match=r"typo\.yaml:\d+: timline: "):
        play_scenario(path, certs=ccsim_certs)


async def test_play_scenario_works_inside_an_event_loop(tmp_path: Path, ccsim_certs: Path) -> None:
    result = play_scenario(_write(tmp_path, "ok.yaml", PASSING), certs=ccsim_certs)
    assert result.passed, result.summary()


def test_the_fixture_finds_a_file_beside_the_test(
    ccsim_scenario: PlayScenario, request: pytest.FixtureRequest
) -> None:
    # tests/scenarios/base.yaml declares a monitor and no expectation: it passes vacuously
    result = ccsim_scenario("scenarios/base.yaml")
    assert result.passed and result.expectations == []
    assert result.path == Path(request.path).parent / "scenarios" / "base.yaml"
    assert result.received == {"app": []}


USER_TEST = """
from pathlib import Path


def test_commute(ccsim_scenario, ccsim_certs):
    result = ccsim_scenario("lock.yaml")
    result.assert_passed()
    assert len(result.messages("app", type="Monitor")) == 2
    assert (ccsim_certs / "ca.pem").exists()


def test_a_broken_promise(ccsim_scenario):
    ccsim_scenario(Path(__file__).parent / "broken.yaml").assert_passed()
"""


def test_a_users_test_file_uses_the_installed_plugin(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", lock=PASSING, broken=FAILING)
    pytester.makepyfile(test_user=USER_TEST)
    # a new process: the plugin is found through its pytest11 entry point
    outcome = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", *LEAN_PYTEST)
    outcome.assert_outcomes(passed=1, failed=1)
    outcome.stdout.fnmatch_lines(
        [
            "*AssertionError: 2 of 3 expectations failed in *broken.yaml:*",
            "*FAILED the lock fails: none matched*",
        ]
    )
