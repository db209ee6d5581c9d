"""The vehicle (`GET .../vehicles/{id}`, with its embedded extension: branding, pictures,
onboard capabilities), the user (`GET /user`) and the vehicles page."""

from typing import Literal

from pydantic import Field

from simulator.api.schemas.base import (
    ApiModel,
    CollectionResult,
    UserLinks,
    UtcDateTime,
    VehicleLinks,
)
from simulator.api.schemas.enums import Motorization, OnboardDataCapability, RemoteScope

# ---------------------------------------------------------------------------
# Vehicle and user
# ---------------------------------------------------------------------------

Url = str


class StolenCallCenter(ApiModel):
    country_code: Literal["CL", "BR", "AR"] | None = None
    phone_number: str | None = None


class CallCenter(ApiModel):
    stolen: StolenCallCenter | None = None


class VehicleBranding(ApiModel):
    brand: str | None = None
    label: str | None = None


class RemoteCapability(ApiModel):
    supported: bool
    scope_name: RemoteScope


class ProgramsCapability(ApiModel):
    size: int


class PreconditioningCapabilityParameters(ApiModel):
    programs: ProgramsCapability | None = None
    immediate: bool | None = None


class PreconditioningCapability(ApiModel):
    supported: bool
    scope_name: Literal["remote:preconditioning:write"] = "remote:preconditioning:write"
    parameters: PreconditioningCapabilityParameters


class ImmediateChargingCapability(ApiModel):
    start: bool | None = None
    stop: bool | None = None


class ChargingPreferencesCapability(ApiModel):
    level: bool | None = None
    type: bool | None = None


class ScheduleProgramsCapability(ApiModel):
    supported: bool
    size: int | None = None


class ChargingScheduleCapability(ApiModel):
    programs: ScheduleProgramsCapability
    next_delayed_time: bool
    # The reference requires `preferences` here although it defines it one
    # level up, in the parameters: it is served in both places.
    preferences: ChargingPreferencesCapability


class ChargingCapabilityParameters(ApiModel):
    immediate: ImmediateChargingCapability | None = None
    schedule: ChargingScheduleCapability | None = None
    preferences: ChargingPreferencesCapability | None = None


class ChargingCapability(ApiModel):
    supported: bool
    scope_name: Literal["remote:charging:write"] = "remote:charging:write"
    parameters: ChargingCapabilityParameters


class RemoteCapabilities(ApiModel):
    """`onboardCapabilities.remote`: which remotes the vehicle supports."""

    preconditioning: PreconditioningCapability
    door: RemoteCapability
    horn: RemoteCapability
    charging: ChargingCapability
    lights: RemoteCapability
    wakeup: RemoteCapability
    navigation: RemoteCapability


class OnboardCapabilities(ApiModel):
    data: list[OnboardDataCapability] | None = None
    remote: RemoteCapabilities | None = None


class VehicleExtension(ApiModel):
    onboard_capabilities: OnboardCapabilities | None = None
    branding: VehicleBranding | None = None
    pictures: list[Url] | None = Field(default=None, min_length=1, max_length=12)


class VehicleEmbedded(ApiModel):
    extension: VehicleExtension | None = None


class Vehicle(ApiModel):
    """`GET /user/vehicles/{id}`.  The older `engine` member is never served."""

    links: VehicleLinks = Field(alias="_links")
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None
    id: str
    vin: str
    motorization: Motorization
    call_center: CallCenter | None = None
    brand: str | None = None
    label: str | None = None
    pictures: list[Url] | None = Field(default=None, min_length=1, max_length=12)
    embedded: VehicleEmbedded | None = Field(default=None, alias="_embedded")


class UserEmbedded(ApiModel):
    vehicles: list[Vehicle] = Field(default_factory=list, alias="Vehicles")


class User(ApiModel):
    """`GET /user`."""

    links: UserLinks = Field(alias="_links")
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    embedded: UserEmbedded | None = Field(default=None, alias="_embedded")


class VehiclesEmbedded(ApiModel):
    vehicles: list[Vehicle] = Field(default_factory=list)


class VehiclesPage(CollectionResult[VehiclesEmbedded]):
    """`GET /user/vehicles` (reference: Vehicles)."""
