"""A pydantic ``ValidationError`` as the 400 every API answers: one function, one format.

The first error names its field as a dotted path spelt as the client sent it
(``callback.webhook.target``, ``door.state``, ``programs.1.start``; ``body`` for the
body as a whole), and the message is that name followed by what is wrong:
``"door.state Input should be 'Locked' or 'Unlocked'"``.
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from simulator.errors import InvalidField

Path = tuple[str | int, ...]


class Located(ValueError):
    """A rule broken below the model that checks it: ``path`` is relative to that model."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


_OBJECT_ERRORS = frozenset({"model_type", "model_attributes_type", "dict_type"})


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation holds (through Optional, unions, lists and dicts)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in (Union, types.UnionType, list, tuple, dict) or get_args(
        annotation
    ):
        return [model for arg in get_args(annotation) for model in _models_in(arg)]
    return []


def _members(model: type[BaseModel], loc: Path) -> list[str] | None:
    """The members the object at ``loc`` (in a body ``model`` reads) may have, or None
    when the path does not lead to one model."""
    current = [model]
    for part in loc:
        if isinstance(part, int):
            continue
        found: list[type[BaseModel]] = []
        for candidate in current:
            for name, info in candidate.model_fields.items():
                if part in (name, info.alias, info.validation_alias):
                    found += _models_in(info.annotation)
        if not found:
            return None
        current = found
    if len(current) != 1:
        return None
    return [info.alias or name for name, info in current[0].model_fields.items()]


def invalid(
    exc: ValidationError, prefix: Path = (), *, model: type[BaseModel] | None = None
) -> InvalidField:
    """The 400 for the first error of ``exc``; ``prefix`` is where the validated model
    sits in the body (``("door",)`` when only ``body["door"]`` was validated).  With the
    ``model`` that refused it, a member it does not know is answered with the members
    it does know."""
    first = exc.errors(include_url=False)[0]
    loc: list[str | int] = [*prefix, *first["loc"]]
    error = first.get("ctx", {}).get("error")
    members = None
    if first["type"] == "extra_forbidden" and model is not None:
        members = _members(model, first["loc"][:-1])
    if isinstance(error, Located):
        loc.extend(error.path)
        message = error.message
    elif first["type"] in _OBJECT_ERRORS:
        message = "must be a JSON object"
    elif members is not None:
        message = f"is not allowed here (allowed: {', '.join(members)})"
    else:
        message = str(first["msg"]).removeprefix("Value error, ")
    name = ".".join(str(part) for part in loc) or "body"
    return InvalidField(name, f"{name} {message}")
