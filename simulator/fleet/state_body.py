"""The state body: vehicle data set directly (the control API's ``PATCH .../state``,
applied by :meth:`simulator.fleet.operations.FleetOperations.set_data`).

A plain JSON model with unknown members refused, like every control API model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from simulator.fleet.charging import HOME_CHARGER_KW, HYBRID_ONBOARD_KW
from simulator.fleet.enums import AlertType, DoorId, IgnitionType, LockedState, PrivacyState

__all__ = ["PointIn", "StateInjection"]


class _Body(BaseModel):
    # built on first use: start-up does not pay for endpoints nobody calls
    model_config = ConfigDict(extra="forbid", defer_build=True)


class PointIn(_Body):
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False, description="degrees east")
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False, description="degrees north")


class StateInjection(_Body):
    """Set vehicle data directly (a data sample follows, as if the car reported it)."""

    position: PointIn | None = None
    ignition: IgnitionType | None = None
    speedKmh: float | None = Field(
        default=None, ge=0, le=300, description="km/h; moving follows: true above 0"
    )
    privacy: PrivacyState | None = None
    mileageKm: float | None = Field(default=None, ge=0, le=2_000_000, description="odometer, km")
    alerts: list[AlertType] | None = Field(
        default=None, description="the active alerts: new ones start, missing ones end"
    )

    openDoors: list[DoorId] | None = None
    lockedStates: list[LockedState] | None = Field(default=None, min_length=1)
    batteryVoltage: float | None = Field(
        default=None, ge=0, le=16, description="the 12 V battery's voltage, V"
    )
    electricLevel: float | None = Field(
        default=None, ge=0, le=100, description="traction battery charge, %"
    )
    fuelLevel: float | None = Field(default=None, ge=0, le=100, description="fuel tank, %")
    plugged: bool | None = Field(
        default=None,
        description=(
            "true: plugged in; it charges at once (InProgress, to 100 %, then Finished) "
            "unless a delayed charge or a charge program makes it wait (Stopped until "
            "then); a charge in progress goes on. false: unplugged (Disconnected). "
            "Electric and plug-in hybrid vehicles only (else 400)"
        ),
    )
    chargerPowerKw: float | None = Field(
        default=None,
        gt=0,
        le=350,
        description=(
            "what the charger can deliver, kW (a plug-in hybrid takes at most "
            f"{HYBRID_ONBOARD_KW:g}); with plugged true, or for a plugged vehicle; "
            f"when plugging without it: a home wallbox, {HOME_CHARGER_KW:g} kW"
        ),
    )
    airTempC: float | None = Field(default=None, ge=-60, le=60, description="outside air, °C")
    oilTempC: float | None = Field(
        default=None,
        ge=-60,
        le=200,
        description="engine oil temperature, °C; Thermic and Hybrid vehicles only (else 400)",
    )
    coolantTempC: float | None = Field(
        default=None,
        ge=-60,
        le=150,
        description="engine coolant temperature, °C; Thermic and Hybrid vehicles only (else 400)",
    )
