"""The rules request bodies are read with: strict JSON types, ISO 8601 durations,
RFC 3339 date-times, rules between members (declared once: checked and documented),
strings and target URLs.  Pydantic only: no aiohttp.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError

from simulator.callbacks.attributes import FORBIDDEN_CHARS
from simulator.errors import InvalidField
from simulator.fleet.enums import Weekday

DAY = timedelta(days=1)

_DURATION = re.compile(
    r"^P(?!$)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$"
)
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$")
_TIMEDELTA: TypeAdapter[timedelta] = TypeAdapter(timedelta)
_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)


# ------------------------------------------------------------------ scalar rules


def _parse_duration(value: object, message: str) -> timedelta:
    """An ISO 8601 duration, or ValueError(message)."""
    if not isinstance(value, str) or not _DURATION.match(value):
        raise ValueError(message)
    try:
        return _TIMEDELTA.validate_python(value)
    except ValidationError:
        raise ValueError(message) from None


def time_of_day(value: object) -> timedelta:
    """An ISO 8601 duration from midnight (``PT14H30M``), at least 0 and under 24 h."""
    message = "must be an ISO 8601 duration under 24 hours, such as PT14H30M"
    parsed = _parse_duration(value, message)
    if not timedelta(0) <= parsed < DAY:
        raise ValueError(message)
    return parsed


def rfc3339(value: object) -> datetime:
    """An RFC 3339 date-time with its offset (``2024-05-01T22:00:00+02:00``)."""
    message = "must be an RFC 3339 date-time with an offset, such as 2024-05-01T22:00:00Z"
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError(message)
    try:
        return _DATETIME.validate_python(value.upper())
    except ValidationError:
        raise ValueError(message) from None


Duration = Annotated[timedelta, BeforeValidator(time_of_day)]
Timestamp = Annotated[datetime, BeforeValidator(rfc3339)]
Day = Annotated[Weekday, Field(strict=False)]  # the wire string, read as the enum
Coordinate = Annotated[float, Field(allow_inf_nan=False)]


def iso_duration_text(value: timedelta) -> str:
    return str(_TIMEDELTA.dump_python(value, mode="json"))


def iso_time_text(value: datetime) -> str:
    return str(_DATETIME.dump_python(value, mode="json"))


def days(days: Sequence[Weekday]) -> tuple[Weekday, ...]:
    """No duplicates, Monday first."""
    return tuple(day for day in Weekday if day in days)


def iso_duration(
    value: object, *, positive: bool = True, at_most: timedelta | None = None
) -> timedelta:
    """An ISO 8601 duration (``PT4H30M``), above zero when ``positive``, at most ``at_most``."""
    message = "must be an ISO 8601 duration, such as PT4H30M"
    if at_most is not None:
        message += f" (at most {iso_duration_text(at_most)})"
    parsed = _parse_duration(value, message)
    if (positive and parsed <= timedelta(0)) or (at_most is not None and parsed > at_most):
        raise ValueError(message)
    return parsed


class Input(BaseModel):
    """Strict JSON types; members the spec does not list are dropped."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, defer_build=True)


# ------------------------------------------------------------------ rules between members
# Declared once, by name: the same declaration checks a body (in a model validator) and
# documents it (merged into the model's JSON schema), so the OpenAPI document says it.
def given(name: str) -> dict[str, Any]:
    """JSON Schema: member ``name`` is there and not null."""
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}


def exactly_one(*names: str) -> dict[str, Any]:
    """JSON Schema of :func:`check_exactly_one`."""
    return {"oneOf": [given(name) for name in names]}


def check_exactly_one(model: BaseModel, *names: str) -> None:
    if sum(getattr(model, name) is not None for name in names) != 1:
        raise ValueError(f"needs exactly one of {', '.join(names)}")


def at_least_one(*names: str) -> dict[str, Any]:
    """JSON Schema of :func:`check_at_least_one`."""
    return {"anyOf": [given(name) for name in names]}


def check_at_least_one(model: BaseModel, *names: str) -> None:
    if all(getattr(model, name) is None for name in names):
        raise ValueError(f"needs at least one of {', '.join(names)}")


def required_with(name: str, needs: str) -> dict[str, Any]:
    """JSON Schema of :func:`check_required_with`."""
    return {"if": given(name), "then": given(needs)}


def check_required_with(model: BaseModel, name: str, needs: str) -> None:
    """When ``name`` is given (not null), ``needs`` must be too: 400 naming ``needs``."""
    if getattr(model, name) is not None and getattr(model, needs) is None:
        raise InvalidField(needs, f"{needs}: required when {name} is set")


# ------------------------------------------------------------------ strings
SPACE_CHARS = (
    "\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000"
)
"""A regex class body of exactly the characters ``str.isspace()`` calls white space
(regex engines' ``\\s`` differ: Python's, ECMAScript's and ASCII's are three sets)."""
NO_FORBIDDEN_CHARS: dict[str, Any] = {
    "not": {"pattern": "[" + "".join(f"\\x{ord(c):02x}" for c in sorted(FORBIDDEN_CHARS)) + "]"}
}
"""JSON Schema of :func:`simulator.callbacks.attributes.check_chars`: no CR, LF or NUL anywhere."""


# ------------------------------------------------------------------ URLs of targets
def any_case(text: str) -> str:
    """A regex matching ``text`` in any case, without flags (JSON Schema has none)."""
    out = []
    for char in text:
        if char.isalpha():
            out.append(f"[{char.upper()}{char.lower()}]")
        elif char.isalnum() or char in "_-:":
            out.append(char)
        else:
            out.append(re.escape(char))
    return "".join(out)


_PORT = "(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_HOST_PORT_PATH = f"://[A-Za-z0-9.-]+(?::{_PORT})?(?:[/?#][^{SPACE_CHARS}\\x00]*)?$"
HTTPS_URL = f"^{any_case('https')}{_HOST_PORT_PATH}"
"""A webhook target: an https URL naming a host or an IPv4 address, any port, any path
(:func:`simulator.callbacks.attributes.absolute_url` accepts each of them)."""
WS_URL = f"^{any_case('ws')}[sS]?{_HOST_PORT_PATH}"
"""A websocket target: ws:// or wss://, as :data:`HTTPS_URL`."""
_SPACE = f"[{SPACE_CHARS}\\x00]"


def url_schema(pattern: str) -> dict[str, Any]:
    """How :func:`check_url` is documented."""
    return {"pattern": pattern, "not": {"pattern": _SPACE}}


def check_url(pattern: str, value: str, what: str) -> str:
    """``value`` if it matches ``pattern`` (a search, as JSON Schema reads it) and holds no
    white space or NUL; else ValueError("must be <what>")."""
    if not re.search(pattern, value) or re.search(_SPACE, value):
        raise ValueError(f"must be {what}")
    return value
