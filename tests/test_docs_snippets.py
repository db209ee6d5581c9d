"""Every fenced block of the docs is run or checked (issue 24), so the docs cannot rot.

The pages: README.md, docs/*.md, scenarios/README.md, certs/README.md.  Each block falls
under one rule of :func:`rule`; a block no rule covers fails
``test_every_block_is_covered_by_a_rule``, so a new block needs a rule (or a line in
``NOT_RUN`` with its reason).

- ``python`` defining ``test_`` functions: run by pytest in a subprocess with the plugin;
  other ``python``: run as a script against a live simulator (base URL and ``certs/``
  substituted); the testcontainers fixture (no Docker engine here): compiled, and every
  name it imports or calls exists in the installed ``testcontainers``.
- ``sh``: curl commands run against the live simulator; ``python -m simulator`` and
  ``connectedcar-sim`` commands run in a temporary folder (``serve`` with ``--port 0``
  until ``ready``).
- ``json``: the request bodies are posted by tests/test_readme_gallery.py; an error body
  and a JSON log line are compared with real ones.
- ``yaml``: scenario files validated by the scenario model; compose files parsed and
  their ``CCSIM_*`` names checked.  ``ini``: keys checked against the plugin's options.
- plain/``text``: output (ready line and banner, log lines, event stream, error lines)
  compared with what the real command prints; command synopses checked and run.
"""

from __future__ import annotations

import ast
import configparser
import importlib
import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import LEAN_PYTEST
from serving import clean_env, served
from test_logs import Printed

from simulator.cli import build_parser
from simulator.scenario import Scenario
from simulator.scenario.locate import yaml_loader
from simulator.testing import ThreadedSimulator
from simulator.testing.pytest_plugin import _OPTIONS as PLUGIN_INI
from simulator.testing.receiver import WebhookReceiver

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
PAGES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "scenarios" / "README.md",
    ROOT / "certs" / "README.md",
]
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
GALLERY = re.compile(r"\*\*`(POST|PUT|PATCH) \S+`\*\*[^\n]*\n\n$")
DOC_URL = "https://127.0.0.1:8443"
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"

# A part of a block's text -> why the block is not run here.
NOT_RUN: dict[str, str] = {
    "make test   # creates .venv": "make test is what CI runs (this file among it); make run "
    "is `serve`, which the commands below start with --port 0",
    "docker build -t connectedcar-sim .": "no Docker engine here: "
    "tests/test_container_entrypoint.py runs the image's entrypoint command as the "
    "container would; the image's variables are checked against docs/container.md there",
    "docker compose -f docs/compose.yaml up": "no Docker engine here: docs/compose.yaml is "
    "parsed and its CCSIM_* names checked by test_compose_files_name_real_variables",
    "serve: bad scenario: bad.yaml:7:": "abridged with '...'; the same line is produced in "
    "full from docs/scenarios.md's error block by test_error_lines_are_what_the_commands_print",
}


@dataclass(frozen=True)
class Block:
    page: str  # relative to the repository
    line: int
    lang: str
    text: str
    before: str  # the page's text since the previous block

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def _blocks() -> list[Block]:
    found: list[Block] = []
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        end = 0
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            page = str(path.relative_to(ROOT))
            found.append(Block(page, line, match[1], match[2], text[end : match.start()]))
            end = match.end()
    return found


BLOCKS = _blocks()


def _commands(text: str) -> list[str]:
    """The lines of a shell block, comments dropped."""
    lines = [line.split("  #", 1)[0].strip() for line in text.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def rule(block: Block) -> str:
    """The name of the rule that runs or checks ``block``; LookupError if none does."""
    text, first = block.text, (block.text.splitlines() or [""])[0]
    if any(part in text for part in NOT_RUN):
        return "not-run"
    if block.lang == "python":
        if "testcontainers" in text:
            return "testcontainers"
        return "pytest" if re.search(r"^def test_", text, re.MULTILINE) else "script"
    if block.lang == "sh":
        if "curl " in text:
            return "curl"
        heads = ("python -m simulator ", "connectedcar-sim ")
        if all(line.startswith(heads) for line in _commands(text)):
            return "command"
    if block.lang == "json":
        if GALLERY.search(block.before):
            return "gallery"
        data = json.loads(text)
        if "logger" in data:
            return "json-log"
        if {"code", "uuid", "debug"} <= set(data):
            return "error-body"
    if block.lang == "yaml":
        return "compose" if re.search(r"^services:", text, re.MULTILINE) else "scenario"
    if block.lang == "ini":
        return "ini"
    if block.lang in ("", "text"):
        if first.startswith("ready https://"):
            return "banner"
        if re.match(TIME + r" [A-Z]+ ccsim\.", first):
            return "log-lines"
        if first.startswith("id: "):
            return "event-stream"
        if first.startswith(("connectedcar-sim serve: --port", "connectedcar-sim run: bad")):
            return "error-lines"
        if first.startswith(("python -m simulator ", "CCSIM_")):
            return "synopsis"
    raise LookupError(
        f"{block.id}: no rule of tests/test_docs_snippets.py covers this ```{block.lang} block"
    )


def by_rule(name: str) -> list[Any]:
    return [pytest.param(b, id=b.id) for b in BLOCKS if _safe_rule(b) == name]


def _safe_rule(block: Block) -> str | None:
    try:
        return rule(block)
    except (LookupError, ValueError):
        return None


def _one(name: str, page: str | None = None) -> Block:
    found = [b for b in BLOCKS if _safe_rule(b) == name and page in (None, b.page)]
    assert len(found) == 1, (name, [b.id for b in found])
    return found[0]


def _yaml(text: str) -> Any:
    return yaml_loader("safe").load(text)


def _variables() -> set[str]:
    """Every CCSIM_* name the command line reads (each subcommand's --help names them)."""
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a.choices, dict))
    assert isinstance(subparsers.choices, dict)
    helps = " ".join(p.format_help() for p in subparsers.choices.values())
    return set(re.findall(r"CCSIM_[A-Z0-9_]+", " ".join(helps.split())))


def _scenario_example(page: str) -> str:
    """The complete scenario file of ``page`` (its first yaml block)."""
    return next(b.text for b in BLOCKS if b.page == page and b.lang == "yaml")


# ------------------------------------------------------------------ coverage
def test_every_block_is_covered_by_a_rule() -> None:
    assert len(BLOCKS) >= 30
    uncovered = []
    for block in BLOCKS:
        try:
            rule(block)
        except LookupError as error:
            uncovered.append(str(error))
    assert uncovered == []
    for part, reason in NOT_RUN.items():  # no stale entry: each names one block
        assert reason and len([b for b in BLOCKS if part in b.text]) == 1, part


# ------------------------------------------------------------------ a live simulator
@pytest.fixture(scope="module")
def sim(ccsim_certs: Path) -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(ccsim_certs, manual_clock=True, vehicles=2, seed=24) as server:
        yield server


def _substituted(text: str, sim: ThreadedSimulator) -> str:
    return text.replace(DOC_URL, sim.url).replace("certs/", f"{sim.certs.directory}/")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """A documented script or command, in a clean environment (no CCSIM_ variable)."""
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=120, env=clean_env()
    )


@pytest.mark.parametrize("block", by_rule("script"))
def test_python_scripts_run_against_a_live_simulator(
    block: Block, sim: ThreadedSimulator, tmp_path: Path
) -> None:
    sim.reset()
    assert DOC_URL in block.text and "certs/" in block.text
    done = _run([sys.executable, "-c", _substituted(block.text, sim)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "the script printed nothing"


@pytest.mark.parametrize("block", by_rule("curl"))
def test_curl_commands_run_against_a_live_simulator(
    block: Block, sim: ThreadedSimulator, tmp_path: Path
) -> None:
    sim.reset()
    done = _run(["bash", "-c", "set -euo pipefail\n" + _substituted(block.text, sim)], tmp_path)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert len(answer["_embedded"]["vehicles"]) == 2


def test_the_error_body_is_the_servers(sim: ThreadedSimulator) -> None:
    documented = json.loads(_one("error-body").text)
    answer = sim.api.request("GET", "/user/vehicles", params={"pageSize": "0"})
    assert answer.status == 400
    assert set(answer.json()) == set(documented)


def test_the_event_stream_shows_a_remotes_event(sim: ThreadedSimulator) -> None:
    block = _one("event-stream")
    lines = dict(line.split(": ", 1) for line in block.text.splitlines())
    documented = json.loads(lines["data"])
    sim.reset()
    car = sim.vehicles[0]
    sim.control.set_state(car, lockedStates=["Unlocked"])
    hook = {"name": "h", "target": "https://localhost:9/hook"}  # nobody listens: no matter
    callback = sim.api.post(
        "/user/callbacks", json={"label": "h", "type": ["Remote"], "callback": {"webhook": hook}}
    )
    path = f"/user/vehicles/{car.id}/callbacks/{callback['callbackId']}/remotes"
    sim.api.post(path, json={"door": {"state": "Locked"}})
    sim.control.advance("PT1M")
    page = sim.control.call("GET", "/events", params={"kinds": "remote"})
    event = page["events"][0]
    assert lines["event"] == event["kind"] == "remote"
    assert set(event) == set(documented), sorted(set(event) ^ set(documented))
    assert re.fullmatch(TIME, event["at"]) and re.fullmatch(TIME, documented["at"])


# ------------------------------------------------------------------ python tests, pytest
def test_test_blocks_run_as_a_users_tests(pytester: pytest.Pytester) -> None:
    """Each block defining tests is a test file of a user's project, the plugin loaded."""
    blocks = [p.values[0] for p in by_rule("pytest")]
    assert {b.page for b in blocks} >= {"docs/ci.md", "docs/scenarios.md"}
    ci = next(b for b in blocks if b.page == "docs/ci.md")
    assert 'ccsim_webhook.wait_for(remote=lock, status="Done")' in ci.text
    shutil.copytree(ROOT / "scenarios", pytester.path / "scenarios")
    (pytester.path / "commute.yaml").write_text(
        _scenario_example("docs/scenarios.md"), encoding="utf-8"
    )
    for number, block in enumerate(blocks):
        pytester.makepyfile(**{f"test_doc_{number}": block.text})
    outcome = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-q", "-p", "no:randomly", *LEAN_PYTEST
    )
    count = sum(len(re.findall(r"^def test_", b.text, re.MULTILINE)) for b in blocks)
    outcome.assert_outcomes(passed=count)


@pytest.mark.parametrize("block", by_rule("testcontainers"))
def test_the_testcontainers_fixture_uses_real_names(block: Block) -> None:
    """No Docker engine here: the block compiles, and what it imports and calls exists."""
    tree = ast.parse(block.text, filename=block.id)
    compile(tree, block.id, "exec")
    names: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name), f"{node.module}.{alias.name}"
                names[alias.asname or alias.name] = getattr(module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                importlib.import_module(alias.name)
    container = names["DockerContainer"]
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    for method in {c for c in calls if c.startswith(("with_", "get_"))}:
        assert callable(getattr(container, method, None)), f"DockerContainer.{method}"


# ------------------------------------------------------------------ commands
def _run_cli(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    words = shlex.split(line)
    words = words[3:] if words[:3] == ["python", "-m", "simulator"] else words[1:]
    return subprocess.run(
        [sys.executable, "-m", "simulator", *words],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def _workdir(tmp_path: Path, page: str) -> Path:
    """A folder as a clone's: scenarios/, and the page's own scenario as commute.yaml."""
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    example = [b for b in BLOCKS if b.page == page and b.lang == "yaml"]
    if example:
        (tmp_path / "commute.yaml").write_text(example[0].text, encoding="utf-8")
    return tmp_path


def _check_done(line: str, done: subprocess.CompletedProcess[str], cwd: Path) -> None:
    assert done.returncode == 0, (line, done.stdout, done.stderr)
    if "--report" in line:
        report = cwd / shlex.split(line)[shlex.split(line).index("--report") + 1]
        assert "<testcase" in report.read_text(encoding="utf-8"), line


@pytest.mark.parametrize("block", by_rule("command"))
def test_commands_run(block: Block, tmp_path: Path) -> None:
    cwd = _workdir(tmp_path, block.page)
    for line in _commands(block.text):
        assert " serve" not in line, "a serve command: run it as the synopsis does"
        _check_done(line, _run_cli(line, cwd, clean_env()), cwd)


@pytest.mark.parametrize("block", by_rule("synopsis"))
def test_command_synopses_name_real_options_and_run(block: Block, tmp_path: Path) -> None:
    """``[...]`` are optional parts: their options must exist; the rest runs."""
    cwd = _workdir(tmp_path, block.page)
    variables = _variables()
    for line in _commands(block.text):
        words = line.split()
        env = dict(w.split("=", 1) for w in words if re.match(r"CCSIM_\w+=", w))
        assert set(env) <= variables, env
        command = words[len(env) :][3]
        options = set(re.findall(r"(?<![\w-])--[a-z][\w-]*", line))
        parser = next(a for a in build_parser()._actions if isinstance(a.choices, dict))
        known = parser.choices[command]._option_string_actions  # type: ignore[index]
        assert options <= set(known), (line, options - set(known))
        plain = re.sub(r"\s*\[[^\]]*\]", "", " ".join(words[len(env) :]))
        if command == "serve":
            with served(*shlex.split(plain)[4:], env=clean_env(**env)) as (_, url):
                assert url.startswith("https://127.0.0.1:")
        else:
            _check_done(plain, _run_cli(plain, cwd, clean_env(**env)), cwd)


# ------------------------------------------------------------------ output blocks
def _shape(line: str) -> str:
    """A log line with what changes from run to run (times, ids, ports, timings) replaced."""
    line = re.sub(TIME, "T", line)
    line = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "U", line)
    line = re.sub(r"\b[0-9a-f]{32}\b", "H", line)
    return re.sub(r"\d+(\.\d+)?", "N", line)


def test_output_blocks_match_real_output(
    ccsim_certs: Path, tmp_path: Path, sim: ThreadedSimulator
) -> None:
    """The ready line and banner, the log lines and the JSON log line: printed by serve."""
    text = Printed(ccsim_certs, tmp_path)
    try:
        text.wait_line(lambda line: line.startswith("live view "))
        banner = _one("banner").text.splitlines()
        printed = [
            line.replace(text.url, DOC_URL).replace(
                str(ccsim_certs.resolve()), "/home/me/sim/certs"
            )
            for line in text.lines[: len(banner)]
        ]
        assert printed == banner
        text.token({"username": "demo@example.com", "password": "demo",
                    "client_id": "demo-client", "client_secret": "demo-secret"})  # fmt: skip
        listed = text.call("GET", "/connectedcar/v4/user/vehicles?client_id=demo-client")
        car = listed.json()["_embedded"]["vehicles"][0]["id"]
        logged = _one("log-lines").text.splitlines()
        http = text.wait_line(lambda line: " ccsim.http GET /connectedcar/v4/user/vehicles" in line)
        assert _shape(http) == _shape(logged[0])
        with WebhookReceiver(ccsim_certs) as hook:
            hook.respond_with(*[503] * 10)
            webhook = {"name": "app", "target": hook.url + "/in?key=k"}
            body = {"label": "app", "type": ["Remote"], "callback": {"webhook": webhook}}
            answer = text.call(
                "POST", "/connectedcar/v4/user/callbacks?client_id=demo-client", body
            )
            cbid = answer.json()["callbackId"]
            path = f"/connectedcar/v4/user/vehicles/{car}/callbacks/{cbid}/remotes"
            text.call("POST", path + "?client_id=demo-client", {"horn": {"state": "Activated"}})
            text.advance(1)
            failed = text.wait_line(lambda line: " WARNING ccsim.delivery " in line)
        assert _shape(failed) == _shape(logged[1])
    finally:
        text.stop()
        text.kill()
    as_json = Printed(ccsim_certs, tmp_path, "--log-format", "json")
    try:
        as_json.call("GET", "/connectedcar/v4/user/vehicles?client_id=demo-client")
        line = as_json.wait_line(lambda line: '"ccsim.http"' in line and "/user/vehicles" in line)
        documented = json.loads(_one("json-log").text)
        assert set(json.loads(line)) == set(documented)
    finally:
        as_json.stop()
        as_json.kill()


def test_error_lines_are_what_the_commands_print(ccsim_certs: Path, tmp_path: Path) -> None:
    for block in [p.values[0] for p in by_rule("error-lines")]:
        for documented in block.text.splitlines():
            assert isinstance(documented, str)
            printed = _error_line(documented, ccsim_certs, tmp_path, block)
            assert _shape(printed) == _shape(documented), (printed, documented)


def _error_line(documented: str, certs: Path, tmp_path: Path, block: Block) -> str:
    if "already in use" in documented:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = str(taken.getsockname()[1])
            done = _run_cli(
                f"connectedcar-sim serve --port {port} --certs {certs}", tmp_path, clean_env()
            )
    elif "CCSIM_PORT=abc" in documented:
        done = _run_cli(
            f"connectedcar-sim serve --certs {certs}", tmp_path, clean_env(CCSIM_PORT="abc")
        )
    else:  # the page's scenario with the mistake the page names
        found = re.search(r"bad scenario: (\S+?):\d+:", documented)
        assert found and "down: yes" in block.before.split("```")[-1], documented
        text = _scenario_example(block.page).replace("down: true", "down: yes", 1)
        (tmp_path / found[1]).write_text(text, encoding="utf-8")
        done = _run_cli(
            f"connectedcar-sim run {found[1]}", tmp_path, clean_env(CCSIM_CERTS=str(certs))
        )
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.splitlines()
    return line


# ------------------------------------------------------------------ data blocks
def test_request_bodies_are_posted_by_the_gallery_test() -> None:
    import test_readme_gallery

    bodies = [p.values[0] for p in by_rule("gallery")]
    assert {b.page for b in bodies} == {str(test_readme_gallery.README.relative_to(ROOT))}
    assert len(test_readme_gallery._gallery()) == len(bodies)
    for block in bodies:
        json.loads(block.text)


@pytest.mark.parametrize("block", by_rule("scenario"))
def test_scenario_blocks_are_valid_scenarios(block: Block) -> None:
    Scenario.model_validate(_yaml(block.text) or {})


def _check_compose(text: str) -> None:
    data = _yaml(text)
    variables = _variables()
    named = [
        key
        for service in data["services"].values()
        for key in (service.get("environment") or {})
        if key.startswith("CCSIM_")
    ]
    assert named and set(named) <= variables, set(named) - variables
    commented = set(re.findall(r"#\s*(CCSIM_\w+):", text))
    assert commented <= variables, commented - variables


def test_compose_files_name_real_variables() -> None:
    """docs/compose.yaml, and any compose file shown in a page."""
    for path in (ROOT / "docs").glob("*compose*.y*ml"):
        _check_compose(path.read_text(encoding="utf-8"))
    for param in by_rule("compose"):
        _check_compose(param.values[0].text)


@pytest.mark.parametrize("block", by_rule("ini"))
def test_ini_blocks_set_the_plugins_options(block: Block) -> None:
    """Parsed, every key an option of the plugin (tests/test_plugin_options.py runs it)."""
    parser = configparser.ConfigParser()
    parser.read_string(block.text)
    assert parser.sections() == ["pytest"]
    assert set(parser["pytest"]) <= set(PLUGIN_INI)


def test_not_run_blocks_say_why() -> None:
    for block in [p.values[0] for p in by_rule("not-run")]:
        assert any(part in block.text for part in NOT_RUN), block.id
