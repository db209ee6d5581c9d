"""The pytest plugin configured the way a user would: ini options, command-line options
and the ``ccsim_scenario`` marker, in separate test directories run through ``pytester``
(the plugin is found through its ``pytest11`` entry point).  A run that starts a
simulator is a new process; ``--help``, ``--fixtures``, ``--markers`` and the usage
errors start none and run in this one (a new pytest config, entry points loaded again).
The venv's unrelated plugins are blocked in the inner runs (``LEAN_PYTEST``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import LEAN_PYTEST

pytest_plugins = ["pytester"]

QUIET = ("-p", "no:cacheprovider", "-p", "no:randomly", "-q", *LEAN_PYTEST)

# two users, a client whose default user is alice, two named vehicles and one more
FLEET = """
users:
  - {email: alice@example.com, password: alice-pw}
  - {email: bob@example.com, password: bob-pw}
clients:
  - {clientId: fleet-app, clientSecret: fleet-secret, defaultUser: alice@example.com}
vehicles:
  - {name: van, owner: alice@example.com, brand: Peugeot, motorization: Electric, seed: 5}
  - {name: car, owner: alice@example.com, brand: Opel, seed: 6}
  - {owner: bob@example.com, brand: Citroen, seed: 7}
"""

# the same people, scripted: unlocked at 1 min (a timeline step of the file)
SCRIPTED = """
start: 2026-03-02T06:30:00+01:00
life: false
users:
  - {email: alice@example.com, password: alice-pw}
clients:
  - {clientId: fleet-app, clientSecret: fleet-secret, defaultUser: alice@example.com}
vehicles:
  - name: alice-car
    owner: alice@example.com
    motorization: Electric
    seed: 5
    state: {lockedStates: [Locked]}
timeline:
  - {at: PT1M, state: {vehicle: alice-car, lockedStates: [Unlocked]}}
"""

SETTINGS_TEST = """
def test_settings(ccsim):
    s = ccsim.settings
    print("SETTINGS", len(ccsim.vehicles), s.seed, s.manual_clock, s.speed)
    mode = ccsim.control.call("GET", "/clock")["mode"]
    print("CLOCK", mode)
"""


def _settings_line(outcome: pytest.RunResult) -> list[str]:
    outcome.assert_outcomes(passed=1)
    lines = [line for line in outcome.outlines if line.startswith(("SETTINGS", "CLOCK"))]
    return lines


def test_defaults_are_a_manual_clock_three_vehicles_seed_0(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=SETTINGS_TEST)
    outcome = pytester.runpytest_subprocess(*QUIET, "-s")
    assert _settings_line(outcome) == ["SETTINGS 3 0 True 1.0", "CLOCK manual"]


def test_ini_options_configure_the_session_simulator(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        ccsim_vehicles = 5
        ccsim_seed = 7
        ccsim_speed = 60
        """
    )
    pytester.makepyfile(test_user=SETTINGS_TEST)
    outcome = pytester.runpytest_subprocess(*QUIET, "-s")
    assert _settings_line(outcome) == ["SETTINGS 5 7 False 60.0", "CLOCK accelerated"]


def test_the_command_line_wins_over_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nccsim_vehicles = 5\nccsim_seed = 7\n")
    pytester.makepyfile(test_user=SETTINGS_TEST)
    outcome = pytester.runpytest_subprocess(
        *QUIET, "-s", "--ccsim-vehicles", "2", "--ccsim-speed", "10"
    )
    assert _settings_line(outcome) == ["SETTINGS 2 7 False 10.0", "CLOCK accelerated"]


SCENARIO_TEST = """
def test_the_scenario_is_served(ccsim):
    assert [v.name for v in ccsim.vehicles] == ["van", "car", None]
    van = ccsim.vehicles["van"]
    assert van.owner == "alice@example.com" and van.motorization == "Electric"
    assert ccsim.vehicles[van.vin] is ccsim.vehicles[van.vin] or ccsim.vehicles[van.vin] == van
    # the scenario's first user, through the client whose default user she is
    assert (ccsim.api.user, ccsim.api.client_id) == ("alice@example.com", "fleet-app")
    mine = ccsim.api.get("/user/vehicles")["_embedded"]["vehicles"]
    assert sorted(v["vin"] for v in mine) == sorted([van.vin, ccsim.vehicles["car"].vin])
    bob = ccsim.api.as_user("bob@example.com")
    theirs = bob.get("/user/vehicles")["_embedded"]["vehicles"]
    assert [v["vin"] for v in theirs] == [ccsim.vehicles[2].vin]
"""


def test_ini_scenario_is_relative_to_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.mkdir("conf")
    (pytester.path / "conf" / "fleet.yaml").write_text(FLEET, encoding="utf-8")
    (pytester.path / "conf" / "pytest.ini").write_text(
        "[pytest]\nccsim_scenario = fleet.yaml\n", encoding="utf-8"
    )
    pytester.makepyfile(test_user=SCENARIO_TEST)
    outcome = pytester.runpytest_subprocess(*QUIET, "-c", "conf/pytest.ini", "--rootdir", ".")
    outcome.assert_outcomes(passed=1)


def test_command_line_scenario_is_relative_to_the_current_folder(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".yaml", fleet=FLEET)
    pytester.makepyfile(test_user=SCENARIO_TEST)
    outcome = pytester.runpytest_subprocess(*QUIET, "--ccsim-scenario", "fleet.yaml")
    outcome.assert_outcomes(passed=1)


MARKED_TESTS = """
import pytest

pytestmark = pytest.mark.ccsim_scenario("scripted.yaml")


def test_the_module_marker_serves_the_file_and_its_timeline(ccsim):
    car = ccsim.vehicles["alice-car"]
    path = f"/user/vehicles/{car.id}/status"
    assert ccsim.api.get(path)["doorsState"]["lockedStates"] == ["Locked"]
    assert ccsim.control.now().isoformat() >= "2026-03-02T05:30:00"
    ccsim.control.advance("PT1M")  # the file's step
    assert ccsim.api.get(path)["doorsState"]["lockedStates"] == ["Unlocked"]


def test_each_test_gets_the_file_played_again(ccsim):
    car = ccsim.vehicles["alice-car"]
    path = f"/user/vehicles/{car.id}/status"
    assert ccsim.api.get(path)["doorsState"]["lockedStates"] == ["Locked"]
    ccsim.control.advance(60)
    assert ccsim.api.get(path)["doorsState"]["lockedStates"] == ["Unlocked"]


@pytest.mark.ccsim_scenario("fleet.yaml")
def test_a_test_marker_wins_over_the_module_one(ccsim):
    assert sorted(ccsim.vehicles.names) == ["car", "van"]
"""

UNMARKED_TEST = """
def test_an_unmarked_test_keeps_the_demo_fleet(ccsim):
    assert len(ccsim.vehicles) == 3 and ccsim.vehicles.names == {}
    assert ccsim.api.user == "demo@example.com"
"""


def test_the_marker_serves_a_file_for_a_test_or_a_module(pytester: pytest.Pytester) -> None:
    pytester.mkdir("sub")
    (pytester.path / "sub" / "scripted.yaml").write_text(SCRIPTED, encoding="utf-8")
    (pytester.path / "sub" / "fleet.yaml").write_text(FLEET, encoding="utf-8")
    (pytester.path / "sub" / "test_marked.py").write_text(MARKED_TESTS, encoding="utf-8")
    pytester.makepyfile(test_plain=UNMARKED_TEST)
    outcome = pytester.runpytest_subprocess(*QUIET, "-W", "error::pytest.PytestUnknownMarkWarning")
    outcome.assert_outcomes(passed=4)


def test_bad_options_are_one_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=SETTINGS_TEST)
    outcome = pytester.runpytest_inprocess(*QUIET, "--ccsim-vehicles", "many")
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    outcome.stderr.fnmatch_lines(["ERROR: --ccsim-vehicles: not a number: 'many'"])

    pytester.makefile(".yaml", typo="users: []\ntimline: []\n")
    pytester.makeini("[pytest]\nccsim_scenario = typo.yaml\n")
    outcome = pytester.runpytest_inprocess(*QUIET)
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    outcome.stderr.fnmatch_lines(
        ["ERROR: ini option ccsim_scenario = typo.yaml: *typo.yaml:2: timline: *"]
    )


def test_help_and_fixtures_explain_the_plugin(pytester: pytest.Pytester) -> None:
    outcome = pytester.runpytest_inprocess("--help", *LEAN_PYTEST)
    outcome.stdout.fnmatch_lines(
        [
            "connected-car simulator (connectedcar-simulator):",
            "*--ccsim-scenario=FILE*",
            "*--ccsim-vehicles=N*how many demo vehicles*",
            "*--ccsim-seed=N*",
            "*--ccsim-speed=FACTOR*simulated seconds per real second*",
            "*ccsim_scenario (string):*",
            "*a scenario file (users, clients, vehicles*",
        ]
    )
    pytester.makepyfile(test_user="def test_nothing(): pass\n")
    outcome = pytester.runpytest_inprocess("--fixtures", "-p", "no:randomly", *LEAN_PYTEST)
    outcome.stdout.fnmatch_lines_random(
        [
            "ccsim -- *",
            "*A real simulator reset before the test*",
            "ccsim_webhook -- *",
            "*returns the matching messages or fails listing what arrived*",
            "ccsim_websocket -- *",
            "ccsim_scenario -- *",
            "ccsim_certs *-- *",
            "ccsim_server *-- *",
        ]
    )
    outcome = pytester.runpytest_inprocess("--markers", *LEAN_PYTEST)
    outcome.stdout.fnmatch_lines(["@pytest.mark.ccsim_scenario(path): this test's ccsim *"])


def test_the_readme_ini_example_configures_the_plugin(pytester: pytest.Pytester) -> None:
    readme = (Path(__file__).resolve().parents[1] / "docs" / "ci.md").read_text(encoding="utf-8")
    section = readme.split("\n## Testing your app with pytest\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```ini\n(.*?)```", section, re.DOTALL)
    assert found, "no ini block in docs/ci.md's pytest section"
    (pytester.path / "pytest.ini").write_text(found.group(1), encoding="utf-8")
    pytester.mkdir("tests")
    (pytester.path / "tests" / "fleet.yaml").write_text(FLEET, encoding="utf-8")
    (pytester.path / "tests" / "test_user.py").write_text(
        SETTINGS_TEST + "    assert sorted(ccsim.vehicles.names) == ['car', 'van']\n",
        encoding="utf-8",
    )
    outcome = pytester.runpytest_subprocess(*QUIET, "-s")
    # the file declares users: its three vehicles, not a demo fleet of 5
    assert _settings_line(outcome) == ["SETTINGS 3 7 False 60.0", "CLOCK accelerated"]
