"""A pydantic ``ValidationError`` as the 400 every API answers: one function, one format.

The first error names its field as a dotted path spelt as the client sent it
(``callback.webhook.target``, ``door.state``, ``programs.1.start``; ``body`` for the
body as a whole), and the message is that name followed by what is wrong:
``"door.state Input should be 'Locked' or 'Unlocked'"``.
"""

from __future__ import annotations

from pydantic import ValidationError

from simulator.errors import InvalidField

Path = tuple[str | int, ...]


class Located(ValueError):
    """A rule broken below the model that checks it: ``path`` is relative to that model."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


_OBJECT_ERRORS = frozenset({"model_type", "model_attributes_type", "dict_type"})


def invalid(exc: ValidationError, prefix: Path = ()) -> InvalidField:
    """The 400 for the first error of ``exc``; ``prefix`` is where the validated model
    sits in the body (``("door",)`` when only ``body["door"]`` was validated)."""
    first = exc.errors(include_url=False)[0]
    loc: list[str | int] = [*prefix, *first["loc"]]
    error = first.get("ctx", {}).get("error")
    if isinstance(error, Located):
        loc.extend(error.path)
        message = error.message
    elif first["type"] in _OBJECT_ERRORS:
        message = "must be a JSON object"
    else:
        message = str(first["msg"]).removeprefix("Value error, ")
    name = ".".join(str(part) for part in loc) or "body"
    return InvalidField(name, f"{name} {message}")
