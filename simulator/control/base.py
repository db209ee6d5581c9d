"""The base of every control API model: plain JSON, unknown members refused."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ControlModel(BaseModel):
    # built on first use: start-up does not pay for endpoints nobody calls
    model_config = ConfigDict(extra="forbid", defer_build=True)
