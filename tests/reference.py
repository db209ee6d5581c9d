"""Test helper: check our JSON against the official OpenAPI reference.

The reference (``api-b2c.yaml`` v4.17.2 and ``api-b2c-webhook-template.yaml``)
lives outside the repository, in ``../shared/reference`` (override with the
``CCSIM_REFERENCE_DIR`` environment variable); tests that need it skip when it
is absent (see :func:`reference_available`).

Reading it (see the spec, "Reading the reference"):

* TAB characters are replaced with spaces;
* whitespace-only lines are emptied (ruamel.yaml's pure scanner rejects the
  reference's ``description: >`` blocks that start with a line of spaces
  shorter than the text that follows, although YAML allows it);
* it is parsed as YAML 1.2 so that ``No``, ``On``, ``Off`` stay strings;
* known defects are repaired: ``$ref`` values written ``#components/...``
  (missing ``/``, ``Vehicle.callCenter.stolen``) and the ``MonitorTrigger.name``
  pattern wrapped in literal quotes.

Validation uses openapi-schema-validator's OAS 3.0 read validator (``nullable``,
``readOnly``/``writeOnly``, OAS ``allOf``...) with format checking
(``date-time`` included).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker
from ruamel.yaml import YAML

__all__ = [
    "API_BASE_PATH",
    "API_FILE",
    "REFERENCE_DIR",
    "WEBHOOK_FILE",
    "load_reference",
    "load_webhook_template",
    "reference_available",
    "reference_dir",
    "validate_response",
    "validate_schema",
    "validate_webhook_schema",
]

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference"
"""Default place of the reference: ``../shared/reference`` from the repo root."""

ENV_VAR = "CCSIM_REFERENCE_DIR"
API_FILE = "api-b2c.yaml"
WEBHOOK_FILE = "api-b2c-webhook-template.yaml"
API_BASE_PATH = "/connectedcar/v4"
"""Where our server serves the reference's (relative) paths."""

_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def reference_dir() -> Path:
    """The reference directory: ``$CCSIM_REFERENCE_DIR`` or :data:`REFERENCE_DIR`."""
    override = os.environ.get(ENV_VAR)
    return Path(override) if override else REFERENCE_DIR


def reference_available() -> bool:
    """True when the official API reference can be read."""
    return (reference_dir() / API_FILE).is_file()


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def _read_yaml(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8").replace("\t", " ")
    text = re.sub(r"(?m)^[ ]+$", "", text)
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    data = yaml.load(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not an OpenAPI document")
    return data


def _repair(node: Any) -> None:
    """Fix the reference's known defects in place."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#") and not ref.startswith("#/"):
            node["$ref"] = "#/" + ref[1:]
        for value in node.values():
            _repair(value)
    elif isinstance(node, list):
        for value in node:
            _repair(value)


def _repair_monitor_trigger(doc: dict[str, Any]) -> None:
    schemas = doc.get("components", {}).get("schemas", {})
    name = schemas.get("MonitorTrigger", {}).get("properties", {}).get("name", {})
    pattern = name.get("pattern")
    if isinstance(pattern, str) and len(pattern) >= 2 and pattern[0] == pattern[-1] == '"':
        # Unquoted; the hyphen is escaped so that it is the character the
        # spec describes (`[.\-_]`), not a `.`-to-`_` range.
        name["pattern"] = pattern[1:-1].replace("[.-_]", r"[.\-_]")


@functools.cache
def _load(file_name: str, directory: str) -> dict[str, Any]:
    doc = _read_yaml(Path(directory) / file_name)
    _repair(doc)
    _repair_monitor_trigger(doc)
    return doc


def load_reference() -> dict[str, Any]:
    """The API reference as plain data, repaired (cached: do not modify it)."""
    return _load(API_FILE, str(reference_dir()))


def load_webhook_template() -> dict[str, Any]:
    """The notification template as plain data, repaired (cached: do not modify it)."""
    return _load(WEBHOOK_FILE, str(reference_dir()))


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _pointer(*tokens: str) -> str:
    return "".join("/" + _escape(t) for t in tokens)


def _get(doc: Mapping[str, Any], pointer: str) -> Any:
    node: Any = doc
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _follow(doc: Mapping[str, Any], pointer: str) -> tuple[Any, str]:
    """The node at ``pointer``, following ``$ref`` chains (local refs only)."""
    seen: set[str] = set()
    node = _get(doc, pointer)
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        if not ref.startswith("#"):
            raise AssertionError(f"non-local $ref {ref!r} at {pointer}")
        if ref in seen:
            raise AssertionError(f"$ref loop at {ref!r}")
        seen.add(ref)
        pointer = ref[1:]
        node = _get(doc, pointer)
    return node, pointer


@functools.cache
def _validator(file_name: str, directory: str, pointer: str) -> Any:
    doc = _load(file_name, directory)
    # The whole document is the root schema, so that every local `$ref`
    # (`#/components/...`, `#/x-fragment/...`) resolves; the root's own
    # `$ref` selects the schema to apply.  None of the document's top-level
    # keys is a validation keyword.
    root = {**doc, "$ref": "#" + pointer}
    return OAS30ReadValidator(root, format_checker=oas30_format_checker)


def _path_text(error: ValidationError) -> str:
    text = "$"
    for part in error.absolute_path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _flatten(errors: Iterable[ValidationError], depth: int = 0) -> Iterator[str]:
    for error in sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        schema_path = "/".join(str(p) for p in error.absolute_schema_path)
        yield f"{'  ' * depth}{_path_text(error)}: {error.message}  [schema: {schema_path}]"
        if error.context:
            yield from _flatten(error.context, depth + 1)


def _check(
    file_name: str,
    pointer: str,
    instance: object,
    exempt: Iterable[str],
    what: str,
) -> None:
    exempt = frozenset(exempt)
    if exempt and isinstance(instance, dict):
        instance = {k: v for k, v in instance.items() if k not in exempt}
    validator = _validator(file_name, str(reference_dir()), pointer)
    errors = []
    for error in validator.iter_errors(instance):
        if (
            exempt
            and error.validator == "required"
            and not error.absolute_path
            and any(repr(name) in error.message for name in exempt)
        ):
            continue
        errors.append(error)
    if errors:
        lines = "\n".join(_flatten(errors))
        raise AssertionError(f"{what}: {len(errors)} error(s) against the reference\n{lines}")


def validate_schema(name: str, instance: object, *, exempt: Iterable[str] = frozenset()) -> None:
    """Validate JSON data against ``components/schemas/<name>`` of the API reference.

    ``instance`` must already be plain JSON data (e.g. ``schemas.dump(model)``).
    ``exempt`` names top-level members to leave out of the check, where our
    spec deliberately differs from the reference (e.g. ``{"energy"}`` on a
    Status).  Raises AssertionError listing every error with its JSON path.
    """
    doc = load_reference()
    if name not in doc.get("components", {}).get("schemas", {}):
        raise AssertionError(f"no schema {name!r} in the reference")
    _check(API_FILE, _pointer("components", "schemas", name), instance, exempt, name)


def validate_webhook_schema(
    name: str, instance: object, *, exempt: Iterable[str] = frozenset()
) -> None:
    """As :func:`validate_schema`, against the notification template's schemas."""
    doc = load_webhook_template()
    if name not in doc.get("components", {}).get("schemas", {}):
        raise AssertionError(f"no schema {name!r} in the webhook template")
    _check(WEBHOOK_FILE, _pointer("components", "schemas", name), instance, exempt, name)


def _template_key(path: str) -> str:
    return re.sub(r"\{[^}/]*\}", "{}", path.rstrip("/") or "/")


def _find_path(doc: Mapping[str, Any], path_template: str) -> str:
    path = path_template.split("?", 1)[0]
    if path.startswith(API_BASE_PATH):
        path = path[len(API_BASE_PATH) :] or "/"
    paths: Mapping[str, Any] = doc.get("paths", {})
    if path in paths:
        return path
    wanted = _template_key(path)
    for candidate in paths:
        if _template_key(candidate) == wanted:
            return candidate
    raise AssertionError(f"no path {path_template!r} in the reference")


def _is_json(media_type: str) -> bool:
    base = media_type.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def validate_response(
    method: str,
    path_template: str,
    status: int,
    instance: object,
    *,
    exempt: Iterable[str] = frozenset(),
) -> None:
    """Validate a response body against the reference's operation.

    ``path_template`` is the reference's path, e.g. ``/user/vehicles/{id}/status``
    (the ``/connectedcar/v4`` prefix and other parameter names are accepted).
    The response is the one declared for ``status``, else its ``NXX`` range,
    else ``default``; its JSON content type (``application/hal+json``,
    ``application/vnd.geo+json``, ``application/json``...) gives the schema.
    A declared response without content is not checked.  ``exempt`` is as
    for :func:`validate_schema`.
    """
    doc = load_reference()
    path = _find_path(doc, path_template)
    item, item_ptr = _follow(doc, _pointer("paths", path))
    op_name = method.lower()
    if op_name not in _METHODS or op_name not in item:
        raise AssertionError(f"no operation {method.upper()} {path} in the reference")
    responses_ptr = f"{item_ptr}{_pointer(op_name, 'responses')}"
    responses: Mapping[str, Any] = _get(doc, responses_ptr)
    for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
        if key in responses:
            break
    else:
        raise AssertionError(f"{method.upper()} {path}: no response {status} in the reference")
    response, response_ptr = _follow(doc, f"{responses_ptr}{_pointer(key)}")
    content: Mapping[str, Any] = response.get("content") or {}
    if not content:
        return
    media = [m for m in content if _is_json(m)] or list(content)
    schema_ptr = f"{response_ptr}{_pointer('content', media[0], 'schema')}"
    what = f"{method.upper()} {path} {status}"
    if "schema" not in content[media[0]]:
        raise AssertionError(f"{what}: the reference declares no schema")
    _check(API_FILE, schema_ptr, instance, exempt, what)
