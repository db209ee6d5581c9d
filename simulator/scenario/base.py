"""What every shape of a scenario file shares: unknown keys are errors, names are short."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictStr

__all__ = ["Name", "SpecModel"]

Name = Annotated[StrictStr, Field(max_length=200)]


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
