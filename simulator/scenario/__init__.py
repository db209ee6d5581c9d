"""Scenario files: YAML 1.2 documents declaring users, clients, vehicles and a rate limit.

``load_scenario(path)`` reads and checks one; every problem is reported as a
:class:`ScenarioError` naming the file, the line when it is known, and the field.
The format is documented in ``scenarios/README.md``; its JSON schema is
``Scenario.model_json_schema()`` (served at ``/simulator/v1/scenario/schema.json``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from simulator.errors import DomainError
from simulator.scenario.locate import field_name, line_of, yaml_loader
from simulator.scenario.model import (
    ClientSpec,
    Scenario,
    UserSpec,
    VehicleGroup,
    VehicleSpec,
    check_redirect_uri,
)

__all__ = [
    "ClientSpec",
    "Scenario",
    "ScenarioError",
    "UserSpec",
    "VehicleGroup",
    "VehicleSpec",
    "check_redirect_uri",
    "load_scenario",
    "parse_scenario",
]

MAX_BYTES = 1024 * 1024


class ScenarioError(DomainError):
    """A scenario file that cannot be used: ``file:line: field: message``."""

    def __init__(
        self, path: Path, message: str, *, line: int | None = None, field: str = ""
    ) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        text = f"{where}: {field}: {message}" if field else f"{where}: {message}"
        super().__init__(text)
        self.path = path
        self.line = line
        self.field = field


def load_scenario(path: Path) -> Scenario:
    """Read, parse (YAML 1.2, safe) and check a scenario file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(path, f"cannot read the file: {exc.strerror or exc}") from None
    return parse_scenario(raw, path)


def parse_scenario(raw: bytes | str, path: Path) -> Scenario:
    """Parse (YAML 1.2, safe) and check a scenario's text; ``path`` names it in errors."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_BYTES:
        raise ScenarioError(path, f"the file is over {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, f"not UTF-8 (byte {exc.start})") from None
    try:
        data = yaml_loader("safe").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError(path, f"invalid YAML: {problem}", line=line) from None
    except YAMLError as exc:
        raise ScenarioError(path, f"invalid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(path, "the document must be a mapping (users, clients, ...)", line=1)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        # an unknown key is most often a misspelt one: report it before what it left missing
        errors = sorted(
            exc.errors(include_input=False, include_url=False),
            key=lambda e: e["type"] != "extra_forbidden",
        )
        first = errors[0]
        loc = tuple(first["loc"])
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        message = first["msg"].removeprefix("Value error, ")
        raise ScenarioError(
            path, message + more, line=line_of(text, loc), field=field_name(loc) or "body"
        ) from None
    problems = scenario.problems()
    if problems:
        loc, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ScenarioError(path, message + more, line=line_of(text, loc), field=field_name(loc))
    return scenario
