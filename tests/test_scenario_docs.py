"""What users read about scenario files stays true: the JSON Schema shipped in the
package is the model's and the server's, every shipped file validates against it, the
docs/scenarios.md's complete example plays and passes, and scenarios/README.md documents every
key, step, expectation form, filter and shipped file.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import urllib.request
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from simulator.scenario import Scenario
from simulator.scenario.locate import yaml_loader
from simulator.scenario.run import play
from simulator.scenario.schema import SCHEMA_FILE, main, render, shipped_schema, shipped_text
from simulator.scenario.script import ACTIONS, KINDS, DeliveryFilter, NotificationFilter
from simulator.testing import ThreadedSimulator

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCRIPTING = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
FORMAT = (ROOT / "scenarios" / "README.md").read_text(encoding="utf-8")


def as_json(node: Any) -> Any:
    """YAML data as JSON data: what the loader reads as a timestamp becomes its text."""
    if isinstance(node, dict):
        return {str(key): as_json(value) for key, value in node.items()}
    if isinstance(node, list):
        return [as_json(value) for value in node]
    if isinstance(node, datetime | date):
        return node.isoformat()
    return node


def load_yaml(text: str) -> Any:
    """As the loader reads a file: ruamel, safe, YAML 1.2."""
    data = yaml_loader("safe").load(text)
    return {} if data is None else data


def section(text: str, heading: str) -> str:
    """The text under ``heading`` (a level-2 heading) up to the next one."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def yaml_blocks(text: str) -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


# ------------------------------------------------------------------ the schema
def test_the_shipped_schema_is_the_models() -> None:
    assert SCHEMA_FILE.exists()
    assert shipped_schema() == Scenario.model_json_schema()
    # byte for byte what the generator writes: regenerating changes nothing
    assert shipped_text() == render()
    assert SCHEMA_FILE.read_text(encoding="utf-8") == shipped_text()


def test_the_shipped_schema_is_what_the_server_serves(ccsim_server: ThreadedSimulator) -> None:
    request = urllib.request.Request(ccsim_server.url + "/simulator/v1/scenario/schema.json")
    context = ccsim_server.client_context()
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        assert response.status == 200
        served = json.loads(response.read())
    assert served == shipped_schema()


def test_the_generator_writes_and_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "schema.json"
    assert main(["--check", "--output", str(out)]) == 1  # missing: stale
    assert main(["--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == shipped_text()
    assert main(["--check", "--output", str(out)]) == 0
    out.write_text(render({"title": "old"}), encoding="utf-8")
    assert main(["--check", "--output", str(out)]) == 1
    assert "is stale" in capsys.readouterr().err
    # and as a module, on the shipped file itself
    checked = subprocess.run(
        [sys.executable, "-m", "simulator.scenario.schema", "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr
    assert "up to date" in checked.stdout


def test_the_schema_is_in_the_built_package(tmp_path: Path) -> None:
    """setuptools' package data names it: a build of the package carries it."""
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copy(ROOT / "README.md", source)
    for folder in ("simulator", "scenarios"):  # scenarios/ ships as simulator.examples
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    built = tmp_path / "built"
    code = "from setuptools import setup; setup()"
    result = subprocess.run(
        [sys.executable, "-c", code, "-q", "build_py", "--build-lib", str(built)],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    packaged = built / "simulator" / "scenario" / "schema.json"
    assert packaged.read_text(encoding="utf-8") == shipped_text()


@pytest.fixture(scope="module")
def validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = shipped_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_file_validates_against_the_schema(validator: Any, path: Path) -> None:
    data = as_json(load_yaml(path.read_text(encoding="utf-8")))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []


def test_the_schema_rejects_what_the_loader_rejects(validator: Any) -> None:
    text = (ROOT / "scenarios" / "morning-commute.yaml").read_text(encoding="utf-8")
    good = as_json(load_yaml(text))
    cases = [
        {**good, "timline": []},  # a misspelt key
        {**good, "timeline": [{"at": "PT1M", "life": "yes"}]},  # a string, not a boolean
        {**good, "expect": [{"notification": {"receiver": "app", "count": -1}}]},
        {**good, "receivers": [{"name": "has space"}]},
    ]
    for case in cases:
        assert not validator.is_valid(case), case


# ------------------------------------------------------------------ README.md
def readme_example() -> str:
    blocks = yaml_blocks(section(SCRIPTING, "Scenario files"))
    assert blocks, "no ```yaml block under docs/scenarios.md's Scenario files heading"
    return blocks[0]


def test_the_readme_puts_make_run_and_make_test_first() -> None:
    first = README.index("\n## ")
    assert "make run" in README[:first] and "make test" in README[:first]
    for page in ("docs/ci.md", "docs/local.md", "docs/scenarios.md"):  # one page per use
        assert f"]({page})" in README, page


def test_the_readmes_example_plays_and_passes(tmp_path: Path, ccsim_certs: Path) -> None:
    text = readme_example()
    path = tmp_path / "commute.yaml"
    path.write_text(text, encoding="utf-8")
    outcome = asyncio.run(play(path, certs=ccsim_certs))
    assert [r.state for r in outcome.results] == ["held"] * len(outcome.results), [
        (r.name, r.reason) for r in outcome.results
    ]
    assert outcome.exit_code == 0
    scenario = Scenario.model_validate(load_yaml(text))
    assert len(outcome.results) == len(scenario.expect) >= 4
    # what the README says it has: places, a named vehicle, a receiver, a callback, a
    # zone monitor, a drive, a receiver outage, a remote
    actions = {step.action for step in scenario.timeline}
    assert {"drive", "receiver", "remote"} <= actions
    assert scenario.places and scenario.receivers and scenario.callbacks
    assert any(v.name for v in scenario.vehicles)
    assert "zone" in json.dumps(scenario.monitors[0].body)
    # the README's pytest example reads the zone trigger's name from the first event
    monitors = [
        m for a in outcome.arrivals if a.accepted for m in a.messages if m["type"] == "Monitor"
    ]
    assert monitors[0]["monitorEvent"]["values"][0]["trigger"] == "away"
    assert outcome.simulated_s == 3600


def test_the_readmes_example_validates_against_the_schema(validator: Any) -> None:
    data = as_json(load_yaml(readme_example()))
    assert [e.message for e in validator.iter_errors(data)] == []


def test_the_readme_names_the_commands_and_the_plugin() -> None:
    text = section(SCRIPTING, "Scenario files")
    for words in (
        "python -m simulator run",
        "--report",
        "serve --scenario",
        "ccsim_scenario",
        "assert_passed()",
        "**0**",
        "**1**",
        "**2**",
    ):
        assert words in text, words


# ------------------------------------------------------------------ scenarios/README.md
def _table_keys(text: str) -> set[str]:
    """The first column of the Markdown tables: ``| `key` | ...``."""
    return set(re.findall(r"^\| `([^`]+)` \|", text, flags=re.MULTILINE))


def test_the_format_documents_every_key_step_form_and_filter() -> None:
    keys = _table_keys(FORMAT)
    assert set(Scenario.model_fields) <= keys
    assert set(ACTIONS) <= keys
    assert set(KINDS) <= keys
    assert set(NotificationFilter.model_fields) <= keys
    for member in DeliveryFilter.model_fields:
        assert f"`{member}`" in section(FORMAT, "Format"), member
    for words in ("owner:", "kind: websocket", "`replay`", "`name`", "failureCause", "within"):
        assert words in section(FORMAT, "Format"), words


def test_the_formats_examples_are_valid_shapes() -> None:
    blocks = yaml_blocks(FORMAT)
    assert len(blocks) >= 4
    for block in blocks:
        Scenario.model_validate(load_yaml(block))  # the field checks; names are not all declared


def test_every_shipped_scenario_is_listed_with_what_it_shows() -> None:
    listed = section(FORMAT, "The scenarios shipped here")
    for path in SHIPPED:
        assert f"- `{path.name}`: " in listed, path.name
        assert path.read_text(encoding="utf-8").startswith("#"), f"{path.name}: no comment"
