"""Where a field is in a scenario file: the line of a path such as
``("monitors", 0, "body", "triggerParam")``, for error messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

__all__ = ["field_name", "line_of", "yaml_loader"]


def yaml_loader(typ: str) -> YAML:
    yaml = YAML(typ=typ, pure=True)
    yaml.version = (1, 2)
    return yaml


def field_name(loc: Sequence[str | int]) -> str:
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
    return name


def line_of(text: str, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of ``loc`` in the document (its nearest parent that exists)."""
    try:
        node: Any = yaml_loader("rt").load(text)
    except YAMLError:
        return None
    line: int | None = None
    for part in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
                if lc is not None:
                    line = lc.item(part)[0] + 1
                node = node[part]
            elif isinstance(part, str) and isinstance(node, dict) and part in node:
                if lc is not None:
                    line = lc.key(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
    return line
