"""Small frozen value objects of a vehicle's state, shared between vehicles and replaced
(``dataclasses.replace`` or a dedicated builder) rather than mutated: a GPS fix, energy
levels, charging, preconditioning, safety, lighting, transmission, ADAS, wipers; and the
shared defaults (``UNPLUGGED``, ``LIGHTS_OFF``...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from simulator.fleet.enums import (
    AutoECallTriggering,
    BeltState,
    ChargeType,
    ChargingMode,
    ChargingPowerLevel,
    ChargingStatus,
    DoorId,
    FixStatus,
    GearRatio,
    LightDirection,
    LightPosition,
    LightStatus,
    LockedState,
    PositionKind,
    PreconditioningFailureCause,
    PreconditioningStartingCause,
    PreconditioningStatus,
    Recurrence,
    Seat,
    Weekday,
    WipingSpeed,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    """A GPS fix (GeoJSON Point plus the reference's position properties)."""

    lon: float
    lat: float
    at: datetime  # properties.createdAt
    alt: float | None = None  # metres
    heading: int = 0  # degrees, 0..360
    signal_quality: int = 0
    fix_status: FixStatus | None = FixStatus.FIX_3D  # only meaningful for kind=Acquire
    kind: PositionKind = PositionKind.ACQUIRE

    def moved(
        self,
        lon: float,
        lat: float,
        heading: int,
        at: datetime,
        kind: PositionKind = PositionKind.ACQUIRE,
    ) -> Position:
        """A new fix elsewhere, with this one's altitude and signal (built directly, not
        with ``dataclasses.replace``: a driving or charging car makes one a minute)."""
        return Position(
            lon=lon,
            lat=lat,
            at=at,
            alt=self.alt,
            heading=heading,
            signal_quality=self.signal_quality,
            fix_status=self.fix_status,
            kind=kind,
        )

    def stamped(self, at: datetime, kind: PositionKind = PositionKind.ACQUIRE) -> Position:
        """The same fix taken again at ``at``."""
        return self.moved(self.lon, self.lat, self.heading, at, kind)


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyLevel:
    """Level and autonomy of one energy at a moment (the reference's LiteEnergy)."""

    level: float  # percent 0..100
    autonomy_km: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargeProgram:
    """A charging schedule program (the reference's ChargeScheduleProgram)."""

    slot: int
    enabled: bool
    start: timedelta  # from local midnight
    end: timedelta  # from local midnight
    days: tuple[Weekday, ...] = ()
    recurrence: Recurrence = Recurrence.DAILY
    charge_until_full: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Charging:
    """Charging state of the traction battery (the reference's EnergyCharging)."""

    plugged: bool = False
    status: ChargingStatus = ChargingStatus.DISCONNECTED
    mode: ChargingMode = ChargingMode.NO
    remaining: timedelta | None = None  # until the charge ends (remainingTime)
    rate_kmh: int = 0  # autonomy gained per hour, 0..500 (chargingRate)
    next_delayed_time: datetime | None = None  # next scheduled (delayed) charge start
    charger_power_kw: float = 0.0  # power currently delivered (0 when not charging)
    # what the charger the car is plugged into can deliver (0: unplugged, or not known),
    # kept while the car waits for a delayed charge or after a stop
    plug_kw: float = 0.0
    charge_type: ChargeType | None = None  # preferences.type (Full / Partial)
    preference_level: ChargingPowerLevel | None = None  # preferences.level
    programs: tuple[ChargeProgram, ...] = ()  # schedule.programs

    def with_figures(self, remaining: timedelta | None, rate_kmh: int) -> Charging:
        """This charge with a new remainingTime and chargingRate (built directly, not with
        ``dataclasses.replace``: a charging car updates them every simulated minute)."""
        return Charging(
            plugged=self.plugged,
            status=self.status,
            mode=self.mode,
            remaining=remaining,
            rate_kmh=rate_kmh,
            next_delayed_time=self.next_delayed_time,
            charger_power_kw=self.charger_power_kw,
            plug_kw=self.plug_kw,
            charge_type=self.charge_type,
            preference_level=self.preference_level,
            programs=self.programs,
        )

    @property
    def power_level(self) -> ChargingPowerLevel | None:
        """chargingPowerLevel derived from the delivered power, None when not charging."""
        kw = self.charger_power_kw
        if kw <= 0.0:
            return None
        if kw <= 2.3:
            return ChargingPowerLevel.LEVEL1
        if kw <= 3.7:
            return ChargingPowerLevel.LEVEL2
        if kw <= 7.4:
            return ChargingPowerLevel.LEVEL3
        if kw <= 22.0:
            return ChargingPowerLevel.LEVEL4
        return ChargingPowerLevel.LEVEL5


#: the state of every unplugged traction battery (shared)
UNPLUGGED = Charging()


@dataclass(frozen=True, slots=True, kw_only=True)
class PreconditioningProgram:
    """A cabin preconditioning program (the reference's PreconditioningProgram)."""

    slot: int  # 1..4 (0 accepted from the seed's example)
    enabled: bool
    start: timedelta  # from local midnight, < 24 h
    days: tuple[Weekday, ...] = ()
    recurrence: Recurrence = Recurrence.DAILY


@dataclass(frozen=True, slots=True, kw_only=True)
class Preconditioning:
    """Cabin air conditioning (``preconditioning.airConditioning``)."""

    status: PreconditioningStatus = PreconditioningStatus.DISABLED
    starting_cause: PreconditioningStartingCause | None = None
    failure_cause: PreconditioningFailureCause | None = None
    programs: tuple[PreconditioningProgram, ...] = ()
    updated_at: datetime | None = None  # None: use the state's updated_at


#: preconditioning of a car nobody asked anything of (shared)
PRECONDITIONING_OFF = Preconditioning()


@dataclass(frozen=True, slots=True, kw_only=True)
class BeltStatus:
    seat: Seat
    state: BeltState


@dataclass(frozen=True, slots=True, kw_only=True)
class Safety:
    belts: tuple[BeltStatus, ...] = (
        BeltStatus(seat=Seat.DRIVER, state=BeltState.NORMAL),
        BeltStatus(seat=Seat.PASSENGER, state=BeltState.NORMAL),
    )
    auto_ecall: AutoECallTriggering = AutoECallTriggering.NOT_DETECTED


SAFETY_NOMINAL = Safety()


@dataclass(frozen=True, slots=True, kw_only=True)
class Light:
    status: LightStatus
    direction: LightDirection | None = None
    position: LightPosition | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Lighting:
    """lightingSystem: turn indicators and fog lamps."""

    turn: tuple[Light, ...] = (
        Light(status=LightStatus.OFF, direction=LightDirection.LEFT),
        Light(status=LightStatus.OFF, direction=LightDirection.RIGHT),
    )
    fog: tuple[Light, ...] = (
        Light(status=LightStatus.OFF, position=LightPosition.FRONT),
        Light(status=LightStatus.OFF, position=LightPosition.REAR),
    )


LIGHTS_OFF = Lighting()


@dataclass(frozen=True, slots=True, kw_only=True)
class Transmission:
    automatic: bool
    ratio: GearRatio | None = GearRatio.NEUTRAL
    sport: bool = False
    snow: bool = False
    sequential: bool = False
    semi_manual: bool = False


TRANSMISSION_AUTOMATIC_PARKED = Transmission(automatic=True)
TRANSMISSION_MANUAL_PARKED = Transmission(automatic=False)

ParkAssistFront = Literal["Fault", "DriverInhibition", "Active", "Wait", "OutOfService"]
ParkAssistRear = Literal[
    "Fault", "DriverInhibition", "TrailerInhibition", "Active", "Wait", "OutOfService"
]
LaneKeeping = Literal["Authorized", "CorrectionInProgress", "NotAuthorized", "NotSelected"]


Accr = Literal[
    "Activated",
    "Fault",
    "Hold",
    "HoldWithOverSpeeding",
    "Off",
    "OverSpeedingByPedalPress",
    "StandBy",
]
"""Adaptive cruise control states (the reference's Adas.accr)."""
Rvv = Literal[
    "Off",
    "NoBestFit",
    "BestFitInProgress",
    "BestFitMax",
    "BestFitMin",
    "BestFitDeactivated",
    "AutoDeactivated",
    "OverflowSpeedConsign",
    "LackOfVisibilityRadar",
    "LearningRadar",
    "Deactivated",
    "LimitSetting",
]
"""Speed limit recognition states (the reference's Adas.rvv)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Adas:
    """Driver assistance systems (the reference's Adas); values are wire strings."""

    park_assist_front: tuple[ParkAssistFront, ...] = ("Wait",)
    park_assist_rear: tuple[ParkAssistRear, ...] = ("Wait",)
    accr: Accr = "Off"
    lvv: bool = False
    rvv: Rvv = "Off"
    aebs: Literal["off", "Fixed", "OnFlashing"] = "off"
    afil: Literal["FlashingFault", "FlashingWarning", "Off", "OnFixed"] = "Off"
    artiv: Literal["NotSelected", "Selected", "Unavailable"] = "Unavailable"
    bsm: Literal["Active", "Inactive", "Disabled", "Fault"] = "Inactive"
    esp: bool = True
    abs: bool = True
    fse: bool = True
    sli: int | None = None  # speed limit information, km/h
    rlka: LaneKeeping = "NotSelected"
    llka: LaneKeeping = "NotSelected"
    rgi: Literal["None", "Up", "Down", "UpDown"] = "None"


ADAS_PARKED = Adas()


@dataclass(frozen=True, slots=True, kw_only=True)
class Wiping:
    active: bool = False
    speed: WipingSpeed | None = None  # only when active


WIPERS_OFF = Wiping()

#: the usual lockedStates of a parked car (shared)
LOCKED: tuple[LockedState, ...] = (LockedState.LOCKED,)
NO_OPEN_DOORS: frozenset[DoorId] = frozenset()
