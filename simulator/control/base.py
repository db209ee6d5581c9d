"""The base of every control API model: plain JSON, unknown members refused."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from simulator.bodies.rules import (
    at_least_one,
    check_at_least_one,
    check_exactly_one,
    check_required_with,
    exactly_one,
    required_with,
)

__all__ = [
    "ControlModel",
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
