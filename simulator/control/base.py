"""The base of every control API model: plain JSON, unknown members refused; and of the
answers built from a domain object (:class:`DomainView`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel

from simulator.bodies.rules import (
    at_least_one,
    check_at_least_one,
    check_exactly_one,
    check_required_with,
    exactly_one,
    required_with,
)

__all__ = [
    "ClockTime",
    "ControlModel",
    "DomainView",
    "at_least_one",
    "check_at_least_one",
    "check_exactly_one",
    "check_required_with",
    "exactly_one",
    "required_with",
]


class ControlModel(BaseModel):
    # built on first use: start-up does not pay for endpoints nobody calls
    model_config = ConfigDict(extra="forbid", defer_build=True)


def _from_clock(value: Any) -> Any:
    """A simulator clock reading (epoch seconds) as an aware UTC datetime."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return value


ClockTime = Annotated[datetime, BeforeValidator(_from_clock)]
"""A datetime on the wire, read from the domain's clock seconds."""


class DomainView(ControlModel):
    """A control answer built in one call from a domain object
    (``Model.model_validate(obj)``): its snake_case fields are read from the object's
    members of the same name, or from ``Field(validation_alias=AliasPath(...))`` through
    them; the wire names are their camelCase (the generated alias)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        serialize_by_alias=True,
        from_attributes=True,
    )
