"""The vehicle status (`GET .../status`) and its parts, shared with telemetry, alarms and
trips: positions, doors, energies, engines, preconditioning, the alarm.

Members of the older API generation (`Status.energy`, `Status.preconditionning`,
`DoorsState.lockedState`) are computed from their current counterparts and never
stored: one value, two names on the wire.
"""

from typing import Literal

from pydantic import ConfigDict, Field, computed_field

from simulator.api.schemas.base import (
    AlarmLinks,
    ApiModel,
    IsoDuration,
    RoundedInt,
    StatusLinks,
    UtcDateTime,
)
from simulator.api.schemas.enums import (
    LEGACY_LOCKED_STATES,
    AirConditioningStatus,
    AlarmActivation,
    AlarmTriggerType,
    AutoECallTriggering,
    BeltState,
    ChargeType,
    ChargingMode,
    ChargingStatus,
    DoorIdentifier,
    DrivingMode,
    EnergySubType,
    EnergyType,
    EngineType,
    FixStatus,
    IgnitionType,
    LegacyLockedState,
    LightDirection,
    LightPosition,
    LockedState,
    OnOff,
    PositionKind,
    PowerLevel,
    PowertrainStatus,
    PreconditioningFailureCause,
    PrivacyState,
    Recurrence,
    Seat,
    ServiceKind,
    StartingCause,
    Weekday,
)

# ---------------------------------------------------------------------------
# Position (GeoJSON Feature)
# ---------------------------------------------------------------------------


class Point(ApiModel):
    """GeoJSON Point: `coordinates` is `[longitude, latitude(, altitude)]`."""

    type: Literal["Point"] = "Point"
    coordinates: list[float] = Field(min_length=2, max_length=3)


class PositionPropertiesBase(ApiModel):
    heading: RoundedInt | None = Field(default=None, ge=0, le=360)
    signal_quality: RoundedInt | None = None
    type: PositionKind | None = None
    fix_status: FixStatus | None = None


class PositionProperties(PositionPropertiesBase):
    created_at: UtcDateTime


class PositionBase(ApiModel):
    type: Literal["Feature"] = "Feature"
    geometry: Point
    properties: PositionPropertiesBase


class Position(PositionBase):
    properties: PositionProperties


# ---------------------------------------------------------------------------
# Status parts
# ---------------------------------------------------------------------------


class Ignition(ApiModel):
    created_at: UtcDateTime
    type: IgnitionType


class KineticBase(ApiModel):
    acceleration: float | None = None
    speed: float | None = None
    moving: bool | None = None


class Kinetic(KineticBase):
    created_at: UtcDateTime


class OdometerBase(ApiModel):
    mileage: float | None = Field(default=None, ge=0)


class Odometer(OdometerBase):
    created_at: UtcDateTime


class DoorOpening(ApiModel):
    identifier: DoorIdentifier | None = None
    state: Literal["Open", "Closed"] | None = None


class DoorsStateBase(ApiModel):
    locked_states: list[LockedState] | None = None
    opening: list[DoorOpening] | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def locked_state(self) -> list[LegacyLockedState] | None:
        """Older generation: `lockedStates` without the trunk values."""
        if self.locked_states is None:
            return None
        return [s for s in self.locked_states if s in LEGACY_LOCKED_STATES]


class DoorsState(DoorsStateBase):
    created_at: UtcDateTime


class PrivacyBase(ApiModel):
    state: PrivacyState | None = None


class Privacy(PrivacyBase):
    created_at: UtcDateTime


class BatteryBase(ApiModel):
    """The 12 V battery."""

    voltage: float | None = None


class Battery(BatteryBase):
    created_at: UtcDateTime


class ServiceType(ApiModel):
    created_at: UtcDateTime
    type: ServiceKind | None = None


class BeltStatus(ApiModel):
    belt: BeltState | None = None
    id: Seat | None = None


class BaseSafety(ApiModel):
    belt_status: list[BeltStatus] | None = None
    auto_e_call_triggering: AutoECallTriggering | None = None


class Safety(BaseSafety):
    created_at: UtcDateTime


class LuminosityBase(ApiModel):
    day: bool | None = None


class Luminosity(LuminosityBase):
    created_at: UtcDateTime


class AirBase(ApiModel):
    temp: float | None = None


class Air(AirBase):
    created_at: UtcDateTime


class EnvironmentBase(ApiModel):
    luminosity: LuminosityBase | None = None
    air: AirBase | None = None


class Environment(EnvironmentBase):
    luminosity: Luminosity | None = None
    air: Air | None = None


class DrivingBehaviorBase(ApiModel):
    mode: DrivingMode | None = None


class DrivingBehavior(DrivingBehaviorBase):
    created_at: UtcDateTime


class Light(ApiModel):
    model_config = ConfigDict(from_attributes=True)  # built from the domain object

    direction: LightDirection | None = None
    position: LightPosition | None = None
    status: OnOff | None = None


class LightingSystemBase(ApiModel):
    turn: list[Light] | None = None
    fog: list[Light] | None = None


class LightingSystem(LightingSystemBase):
    created_at: UtcDateTime


class PowertrainBase(ApiModel):
    status: PowertrainStatus | None = None


class Powertrain(PowertrainBase):
    created_at: UtcDateTime


class EngineLiquid(ApiModel):
    level: RoundedInt | None = Field(default=None, ge=0, le=100)
    temp: float | None = None


class EngineAir(ApiModel):
    temp: float | None = None


class EngineOil(ApiModel):
    """Deprecated `engines[].oil`; the current place is `extension.thermic.oil`."""

    temp: float | None = None


class ThermicEngineExtension(ApiModel):
    coolant: EngineLiquid | None = None
    oil: EngineLiquid | None = None
    air: EngineAir | None = None


class EngineExtension(ApiModel):
    thermic: ThermicEngineExtension | None = None


class EngineBase(ApiModel):
    type: EngineType | None = None
    oil: EngineOil | None = None
    speed: float | None = None
    gmp_status: PowertrainStatus | None = None
    extension: EngineExtension | None = None


class Engine(EngineBase):
    created_at: UtcDateTime


# -- alarm ------------------------------------------------------------------


class BaseAlarmStatus(ApiModel):
    activation: AlarmActivation


class AlarmStatus(BaseAlarmStatus):
    created_at: UtcDateTime


class BaseAlarmTrigger(ApiModel):
    type: AlarmTriggerType
    position: Position | None = None
    start_at: UtcDateTime


class AlarmTrigger(BaseAlarmTrigger):
    created_at: UtcDateTime


class BaseAlarm(ApiModel):
    status: BaseAlarmStatus | None = None
    trigger: BaseAlarmTrigger | None = None


class Alarm(BaseAlarm):
    """The vehicle alarm as in `Status.alarm` (reference: VehicleStatusAlarm)."""

    status: AlarmStatus | None = None
    trigger: AlarmTrigger | None = None


class AlarmDetails(Alarm):
    """One item of the alarms collection / `GET .../alarms/{aid}`."""

    links: AlarmLinks | None = Field(default=None, alias="_links")
    id: str


# -- preconditioning ----------------------------------------------------------


class Occurence(ApiModel):
    """Days of a program (the reference spells it `occurence`)."""

    day: list[Weekday]


class PreconditioningProgram(ApiModel):
    enabled: bool
    slot: RoundedInt | None = None
    recurrence: Recurrence | None = None
    start: IsoDuration
    occurence: Occurence | None = None


class AirConditioning(ApiModel):
    created_at: UtcDateTime
    updated_at: UtcDateTime | None = None
    status: AirConditioningStatus | None = None
    starting_cause: StartingCause | None = None
    failure_cause: PreconditioningFailureCause | None = None
    programs: list[PreconditioningProgram] | None = None


class Preconditioning(ApiModel):
    air_conditioning: AirConditioning | None = None


# -- energy -------------------------------------------------------------------


class Consumption(ApiModel):
    """A consumption value (instant fuel / electric consumption, residual energy)."""

    consumption: float = Field(ge=0)


class CompositFuelEnergyConsumption(ApiModel):
    total: float | None = Field(default=None, ge=0)
    instant: float | None = None


class ChargeScheduleProgram(ApiModel):
    start: IsoDuration
    occurence: Occurence | None = None
    enabled: bool | None = None
    end: IsoDuration | None = None
    charge_until_full: bool | None = None


class ChargeSchedule(ApiModel):
    programs: list[ChargeScheduleProgram] | None = None


class EnergyCharging(ApiModel):
    plugged: bool | None = None
    status: ChargingStatus | None = None
    remaining_time: IsoDuration | None = None
    charging_rate: RoundedInt | None = Field(default=None, ge=0, le=500)
    charging_power_level: PowerLevel | None = None
    charging_mode: ChargingMode | None = None
    next_delayed_time: IsoDuration | None = None
    schedule: ChargeSchedule | None = None
    type: ChargeType | None = None


class HealthElectricEnergy(ApiModel):
    capacity: RoundedInt | None = Field(default=None, ge=0, le=100)
    resistance: RoundedInt | None = Field(default=None, ge=0, le=100)


class TimedHealthElectricEnergy(HealthElectricEnergy):
    created_at: UtcDateTime


class LoadElectricEnergy(ApiModel):
    """Traction battery load, in Wh."""

    capacity: RoundedInt | None = None
    residual: RoundedInt | None = None


class TimedLoadElectricEnergy(LoadElectricEnergy):
    created_at: UtcDateTime


class EnergyBatteryBase(ApiModel):
    capacity: float | None = None
    load: LoadElectricEnergy | None = None
    health: HealthElectricEnergy | None = None


class EnergyBattery(EnergyBatteryBase):
    load: TimedLoadElectricEnergy | None = None
    health: TimedHealthElectricEnergy | None = None


class FuelEnergyExtension(ApiModel):
    consumption: Consumption | None = None
    consumptions: CompositFuelEnergyConsumption | None = None


class ElectricEnergyBaseExtension(ApiModel):
    residual: Consumption | None = None
    battery: EnergyBatteryBase | None = None
    charging: EnergyCharging | None = None
    consumption: Consumption | None = None


class ElectricEnergyExtension(ElectricEnergyBaseExtension):
    battery: EnergyBattery | None = None


class EnergyBaseExtension(ApiModel):
    fuel: FuelEnergyExtension | None = None
    electric: ElectricEnergyBaseExtension | None = None


class EnergyExtension(EnergyBaseExtension):
    electric: ElectricEnergyExtension | None = None


class LiteEnergy(ApiModel):
    """Level and autonomy of one energy (trip start / end)."""

    type: EnergyType | None = None
    sub_type: EnergySubType | None = None
    level: float | None = Field(default=None, ge=0, le=100)
    autonomy: RoundedInt | None = Field(default=None, ge=0)


class EnergyBase(ApiModel):
    """One energy as telemetry reports it."""

    type: EnergyType
    sub_type: EnergySubType | None = None
    level: float | None = Field(default=None, ge=0, le=100)
    autonomy: RoundedInt | None = Field(default=None, ge=0)
    extension: EnergyBaseExtension | None = None


class Energy(EnergyBase):
    """One energy of `Status.energies`."""

    created_at: UtcDateTime
    updated_at: UtcDateTime | None = None
    extension: EnergyExtension | None = None

    def legacy(self) -> "LegacyEnergy":
        """This energy as the older generation's flat `Status.energy` entry."""
        ext = self.extension
        electric = ext.electric if ext else None
        fuel = ext.fuel if ext else None
        charging: LegacyEnergyCharging | None = None
        battery: LegacyEnergyBattery | None = None
        consumption: float | None = None
        residual: float | None = None
        if electric is not None:
            if electric.charging is not None:
                c = electric.charging
                charging = LegacyEnergyCharging(
                    plugged=c.plugged,
                    status=c.status,
                    remaining_time=c.remaining_time,
                    charging_rate=c.charging_rate,
                    charging_mode=c.charging_mode,
                    next_delayed_time=c.next_delayed_time,
                )
            if electric.battery is not None:
                b = electric.battery
                capacity = b.capacity
                if capacity is None and b.load is not None and b.load.capacity is not None:
                    capacity = float(b.load.capacity)
                health = None
                if b.health is not None:
                    health = HealthElectricEnergy(
                        capacity=b.health.capacity, resistance=b.health.resistance
                    )
                battery = LegacyEnergyBattery(capacity=capacity, health=health)
            if electric.consumption is not None:
                consumption = electric.consumption.consumption
            if electric.residual is not None:
                residual = electric.residual.consumption
        if fuel is not None and fuel.consumption is not None and consumption is None:
            consumption = fuel.consumption.consumption
        return LegacyEnergy(
            created_at=self.created_at,
            updated_at=self.updated_at or self.created_at,
            type=self.type,
            level=self.level,
            autonomy=self.autonomy,
            charging=charging,
            battery=battery,
            consumption=consumption,
            residual=residual,
        )


class LegacyEnergyCharging(ApiModel):
    """`charging` of an older-generation energy entry."""

    plugged: bool | None = None
    status: ChargingStatus | None = None
    remaining_time: IsoDuration | None = None
    charging_rate: RoundedInt | None = Field(default=None, ge=0, le=500)
    charging_mode: ChargingMode | None = None
    next_delayed_time: IsoDuration | None = None


class LegacyEnergyBattery(ApiModel):
    """`battery` of an older-generation energy entry (traction battery)."""

    capacity: float | None = None
    health: HealthElectricEnergy | None = None


class LegacyEnergy(ApiModel):
    """Older generation's flat energy entry (`Status.energy[]`), derived only."""

    created_at: UtcDateTime
    updated_at: UtcDateTime
    type: EnergyType
    level: float | None = Field(default=None, ge=0, le=100)
    autonomy: RoundedInt | None = Field(default=None, ge=0)
    charging: LegacyEnergyCharging | None = None
    battery: LegacyEnergyBattery | None = None
    consumption: float | None = None
    residual: float | None = None


# ---------------------------------------------------------------------------
# Status
# ---------------------------------------------------------------------------


class Status(ApiModel):
    """`GET /user/vehicles/{id}/status`."""

    links: StatusLinks = Field(alias="_links")
    created_at: UtcDateTime
    updated_at: UtcDateTime | None = None
    ignition: Ignition | None = None
    last_position: Position | None = None
    preconditioning: Preconditioning | None = None
    energies: list[Energy] | None = None
    engines: list[Engine] | None = None
    powertrain: Powertrain | None = None
    doors_state: DoorsState | None = None
    privacy: Privacy | None = None
    battery: Battery | None = None
    service: ServiceType | None = None
    safety: Safety | None = None
    odometer: Odometer | None = None
    kinetic: Kinetic | None = None
    environment: Environment | None = None
    driving_behavior: DrivingBehavior | None = None
    lighting_system: LightingSystem | None = None
    alarm: Alarm | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def preconditionning(self) -> Preconditioning | None:
        """Older generation's spelling of `preconditioning` (same object)."""
        return self.preconditioning

    @computed_field  # type: ignore[prop-decorator]
    @property
    def energy(self) -> list[LegacyEnergy] | None:
        """Older generation: `energies` as a list of flat entries."""
        if self.energies is None:
            return None
        return [e.legacy() for e in self.energies]
