"""What each remote action does to a virtual vehicle, and the processes it starts
(charging, cabin preconditioning, scheduled programs, stolen-mode reports); plugging
a car in and out (:meth:`Effects.plug`, :meth:`Effects.unplug`), which every caller
that plugs (the control API, scenarios, the living fleet) goes through.

Pure domain: the vehicle's state objects and the simulator clock, no HTTP.
Every change goes through :func:`sample`, which stamps the vehicle's data
with the time and publishes a :class:`~simulator.events.VehicleSample`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from simulator.events import EventBus, VehicleSample
from simulator.fleet.enums import (
    ChargeType,
    ChargingMode,
    ChargingPowerLevel,
    ChargingStatus,
    LockedState,
    PositionKind,
    PreconditioningFailureCause,
    PreconditioningStartingCause,
    PreconditioningStatus,
    Recurrence,
    Weekday,
)
from simulator.fleet.models import Vehicle
from simulator.fleet.values import ChargeProgram, Position, PreconditioningProgram

if TYPE_CHECKING:
    from simulator.clock import Clock, Timer
    from simulator.remotes.commands import RemoteCommand

PRECONDITIONING_MINUTES = 30  # a run lasts this long unless stopped
CABIN_TARGET_C = 21.0
CABIN_TIME_CONSTANT_MIN = 6.0  # the cabin gets ~63 % of the way to target in this time
PRECONDITIONING_KW = 3.5  # drawn from the traction battery when not plugged
LOW_TRACTION_PCT = 10.0
LOW_12V = 11.6  # volts
TICK_S = 60.0  # processes update the vehicle every simulated minute
STOLEN_REPORT_S = 60.0
HOME_CHARGER_KW = 7.4  # a home wallbox: the power of a plug when none is given
HYBRID_ONBOARD_KW = 11.0  # a plug-in hybrid's onboard charger takes no more
PLUGGED, UNPLUGGED = "plugged", "unplugged"  # causes of the samples of plug / unplug
WEEKDAYS = list(Weekday)
DAY = timedelta(days=1)
DEFAULT_CHARGE = timedelta(hours=8)  # a charge program without an end lasts this long
TAPER_FROM_PCT = 80.0  # full power below this level, then linearly less...
TAPER_FLOOR = 0.08  # ...down to this share of it at 100 %
TAPER_SLOPE = (1.0 - TAPER_FLOOR) / (100.0 - TAPER_FROM_PCT)  # share lost per percent
# full-power percent-equivalents of the tapered stretch from TAPER_FROM_PCT to 100 %
_TAPERED_SPAN = math.log(1.0 / TAPER_FLOOR) / TAPER_SLOPE


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # Success, AlreadyDone, Failed
    failure_cause: str | None = None
    feedback_detail: str | None = None


SUCCESS = Outcome("Success")
ALREADY = Outcome("AlreadyDone")


def failed(cause: str) -> Outcome:
    return Outcome("Failed", cause)


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _zone(vehicle: Vehicle) -> ZoneInfo | None:
    try:
        return ZoneInfo(vehicle.home.tz)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(slots=True, eq=False)
class VehicleProcesses:
    """The timers running for one vehicle."""

    charging: Timer | None = None
    preconditioning: Timer | None = None
    precondition_end: float = 0.0
    stolen: Timer | None = None
    programs: list[Timer] = field(default_factory=list)
    charge_at: Timer | None = None  # the start of a delayed charge
    cabin_c: float | None = None  # None: at outside temperature
    # the running charge's figures, computed at its start (see Effects._charge_figures)
    charge_power_kw: float = 0.0  # the power they were computed for
    charge_minutes_per_pct: float = 0.0  # at full power
    charge_rate_kmh: float = 0.0  # autonomy per hour at full power (unbounded)

    def cancel(self) -> None:
        for timer in (self.charging, self.preconditioning, self.stolen, self.charge_at):
            if timer is not None:
                timer.cancel()
        for timer in self.programs:
            timer.cancel()
        self.charging = self.preconditioning = self.stolen = self.charge_at = None
        self.programs.clear()


class Effects:
    """Applies remote actions to vehicles and runs what they start on the clock."""

    def __init__(self, clock: Clock, bus: EventBus) -> None:
        self.clock = clock
        self.bus = bus
        self._processes: dict[str, VehicleProcesses] = {}

    def reset(self) -> None:
        for processes in self._processes.values():
            processes.cancel()
        self._processes.clear()

    def processes(self, vehicle: Vehicle) -> VehicleProcesses:
        found = self._processes.get(vehicle.id)
        if found is None:
            found = self._processes[vehicle.id] = VehicleProcesses()
        return found

    def cabin_temp(self, vehicle: Vehicle) -> float:
        cabin = self.processes(vehicle).cabin_c
        return vehicle.state.air_temp_c if cabin is None else cabin

    # ------------------------------------------------------------ data samples
    def sample(self, vehicle: Vehicle, cause: str) -> None:
        """The vehicle reports its data now (what the read endpoints then serve)."""
        now = self.clock.now()
        state = vehicle.state
        state.updated_at = now
        state.position = state.position.stamped(now, PositionKind.ACQUIRE)
        vehicle.updated_at = now
        self.bus.publish(VehicleSample(vehicle.id, vehicle.vin, self.clock.time(), cause))

    def report(self, vehicle: Vehicle, cause: str) -> None:
        """A sample from a process running in the vehicle (charging, preconditioning,
        stolen-mode reports): none while the vehicle is offline, which then owes one
        (``VehicleState.unreported``); back online, a ``catch-up`` sample comes first."""
        state = vehicle.state
        if not state.online:
            if not state.unreported:
                state.unreported = True
            return
        if state.unreported:
            state.unreported = False
            self.sample(vehicle, "catch-up")
        self.sample(vehicle, cause)

    # ------------------------------------------------------------ checks
    def battery_too_low(self, vehicle: Vehicle, command: RemoteCommand) -> bool:
        state = vehicle.state
        if state.battery_voltage < LOW_12V:
            return True
        electric = state.electric
        if command.action == "preconditioning" and electric is not None:
            return electric.level < LOW_TRACTION_PCT and not electric.charging.plugged
        return False

    # ------------------------------------------------------------ apply
    def apply(self, vehicle: Vehicle, command: RemoteCommand, driver_accepts: bool) -> Outcome:
        if command.action == "navigation" and not driver_accepts:
            return failed("CanceledByDriver")
        handler = getattr(self, f"_{command.action}")
        outcome: Outcome = handler(vehicle, command.params)
        self.sample(vehicle, f"remote:{command.action}")
        return outcome

    def _door(self, vehicle: Vehicle, params: Any) -> Outcome:
        state = vehicle.state
        want = LockedState(params.state)
        if want is LockedState.LOCKED:
            if state.open_doors:
                return failed("DoorsOpen")
            if all(
                s in (LockedState.LOCKED, LockedState.SUPER_LOCKED) for s in state.locked_states
            ):
                return ALREADY
            state.locked_states = (LockedState.LOCKED,)
            if getattr(params, "forced", False):
                return Outcome("Success", feedback_detail="NoCIDBlacklisted")
            return SUCCESS
        if state.locked_states == (LockedState.UNLOCKED,):
            return ALREADY
        state.locked_states = (LockedState.UNLOCKED,)
        return SUCCESS

    def _horn(self, vehicle: Vehicle, params: Any) -> Outcome:
        return SUCCESS

    def _lights(self, vehicle: Vehicle, params: Any) -> Outcome:
        return SUCCESS

    def _wakeup(self, vehicle: Vehicle, params: Any) -> Outcome:
        return SUCCESS

    def _immobilization(self, vehicle: Vehicle, params: Any) -> Outcome:
        activate = bool(params.activate)
        if vehicle.state.immobilized == activate:
            return ALREADY
        vehicle.state.immobilized = activate
        return SUCCESS

    def _stolen(self, vehicle: Vehicle, params: Any) -> Outcome:
        stolen = bool(params.stolen)
        if vehicle.state.stolen == stolen:
            return ALREADY
        vehicle.state.stolen = stolen
        processes = self.processes(vehicle)
        if processes.stolen is not None:
            processes.stolen.cancel()
            processes.stolen = None
        if stolen:
            self._stolen_report(vehicle)
        return SUCCESS

    def _stolen_report(self, vehicle: Vehicle) -> None:
        """While stolen: awake, a position report every minute."""
        processes = self.processes(vehicle)

        def report() -> None:
            processes.stolen = None
            if not vehicle.state.stolen:
                return
            vehicle.state.awake_until = _utc(self.clock.time() + STOLEN_REPORT_S * 2)
            self.report(vehicle, "stolen")
            self._stolen_report(vehicle)

        processes.stolen = self.clock.call_later(STOLEN_REPORT_S, report)

    def _navigation(self, vehicle: Vehicle, params: Any) -> Outcome:
        lon, lat = params.positions[-1].coordinates[:2]
        vehicle.state.destination = Position(lon=float(lon), lat=float(lat), at=self.clock.now())
        return SUCCESS

    # ------------------------------------------------------------ preconditioning
    def _preconditioning(self, vehicle: Vehicle, params: Any) -> Outcome:
        state = vehicle.state
        current = state.preconditioning
        changed = False
        if params.programs is not None:
            programs = {p.slot: p for p in current.programs}
            for program in params.programs:
                if program.actions_type == "Delete":
                    programs.pop(program.slot, None)
                    continue
                programs[program.slot] = PreconditioningProgram(
                    slot=program.slot,
                    enabled=bool(program.enabled),
                    start=program.start,
                    days=tuple(Weekday(d) for d in program.days),
                    recurrence=Recurrence(program.recurrence),
                )
            new_programs = tuple(programs[k] for k in sorted(programs))
            if new_programs != current.programs:
                changed = True
                state.preconditioning = replace(current, programs=new_programs)
                self._schedule_programs(vehicle)
        running = state.preconditioning.status is PreconditioningStatus.ENABLED
        if params.immediate is True:
            if running:
                return SUCCESS if changed else ALREADY
            self.start_preconditioning(vehicle, PreconditioningStartingCause.IMMEDIATE)
            return SUCCESS
        if params.immediate is False:
            if not running:
                return SUCCESS if changed else ALREADY
            self.stop_preconditioning(vehicle, PreconditioningStatus.DISABLED)
            return SUCCESS
        return SUCCESS if changed else ALREADY

    def start_preconditioning(self, vehicle: Vehicle, cause: PreconditioningStartingCause) -> None:
        state = vehicle.state
        processes = self.processes(vehicle)
        state.preconditioning = replace(
            state.preconditioning,
            status=PreconditioningStatus.ENABLED,
            starting_cause=cause,
            failure_cause=None,
            updated_at=self.clock.now(),
        )
        if processes.cabin_c is None:
            processes.cabin_c = state.air_temp_c
        processes.precondition_end = self.clock.time() + PRECONDITIONING_MINUTES * 60
        if processes.preconditioning is not None:
            processes.preconditioning.cancel()
        processes.preconditioning = self.clock.call_later(
            TICK_S, lambda: self._precondition_tick(vehicle)
        )

    def stop_preconditioning(
        self,
        vehicle: Vehicle,
        status: PreconditioningStatus,
        failure: PreconditioningFailureCause | None = None,
    ) -> None:
        processes = self.processes(vehicle)
        if processes.preconditioning is not None:
            processes.preconditioning.cancel()
            processes.preconditioning = None
        state = vehicle.state
        state.preconditioning = replace(
            state.preconditioning,
            status=status,
            failure_cause=failure,
            updated_at=self.clock.now(),
        )
        self._cabin_drift(vehicle)

    def _precondition_tick(self, vehicle: Vehicle) -> None:
        processes = self.processes(vehicle)
        processes.preconditioning = None
        state = vehicle.state
        if state.preconditioning.status is not PreconditioningStatus.ENABLED:
            return
        cabin = self.cabin_temp(vehicle)
        k = 1 - math.exp(-(TICK_S / 60) / CABIN_TIME_CONSTANT_MIN)
        processes.cabin_c = cabin + (CABIN_TARGET_C - cabin) * k
        electric = state.electric
        if electric is not None and not electric.charging.plugged:
            used = PRECONDITIONING_KW * TICK_S / 3600
            electric.level = max(0.0, electric.level - 100 * used / max(electric.usable_kwh, 1))
            if electric.level < LOW_TRACTION_PCT:
                self.stop_preconditioning(
                    vehicle, PreconditioningStatus.FAILURE, PreconditioningFailureCause.LOW_BATTERY
                )
                self.report(vehicle, "preconditioning")
                return
        if self.clock.time() >= processes.precondition_end:
            self.stop_preconditioning(vehicle, PreconditioningStatus.FINISHED)
            self.report(vehicle, "preconditioning")
            return
        self.report(vehicle, "preconditioning")
        processes.preconditioning = self.clock.call_later(
            TICK_S, lambda: self._precondition_tick(vehicle)
        )

    def _cabin_drift(self, vehicle: Vehicle) -> None:
        """Stopped: the cabin goes back to the outside temperature (forgotten)."""
        self.processes(vehicle).cabin_c = None

    def _schedule_programs(self, vehicle: Vehicle) -> None:
        processes = self.processes(vehicle)
        for timer in processes.programs:
            timer.cancel()
        processes.programs.clear()
        for program in vehicle.state.preconditioning.programs:
            if program.enabled:
                self._schedule_program(vehicle, program)

    def _schedule_program(self, vehicle: Vehicle, program: PreconditioningProgram) -> None:
        due = next_occurrence(self.clock.time(), program.start, program.days, _zone(vehicle))
        if due is None:
            return
        processes = self.processes(vehicle)

        def run() -> None:
            if program not in vehicle.state.preconditioning.programs:
                return
            if vehicle.state.preconditioning.status is not PreconditioningStatus.ENABLED:
                self.start_preconditioning(vehicle, PreconditioningStartingCause.SCHEDULED)
                self.report(vehicle, "preconditioning")
            if program.recurrence is Recurrence.DAILY:
                self._schedule_program(vehicle, program)

        processes.programs.append(self.clock.call_at(due, run))

    # ------------------------------------------------------------ charging
    def _charging(self, vehicle: Vehicle, params: Any) -> Outcome:
        electric = vehicle.state.electric
        if electric is None:
            return failed("WrongCommand")
        charging = electric.charging
        if params.preferences is not None:
            prefs = params.preferences
            electric.charging = replace(
                charging,
                preference_level=ChargingPowerLevel(prefs.level) if prefs.level else None,
                charge_type=ChargeType(prefs.type) if prefs.type else None,
            )
            return SUCCESS
        if params.programs is not None:
            electric.charging = replace(
                charging,
                programs=tuple(
                    ChargeProgram(
                        slot=p.slot if p.slot is not None else index,
                        enabled=p.enabled is not False,
                        start=p.start,
                        end=p.end if p.end is not None else (p.start + DEFAULT_CHARGE) % DAY,
                        days=tuple(Weekday(d) for d in p.days),
                    )
                    for index, p in enumerate(params.programs, start=1)
                ),
            )
            return SUCCESS
        if params.next_delayed_time is not None:
            if not charging.plugged:
                return failed("ExternalChargingSystemError")
            when: datetime = params.next_delayed_time
            # a charge in progress stops and waits (clients stop a charge this way)
            self._wait_for_charge(vehicle, when.timestamp())
            return SUCCESS
        if params.immediate is True:
            if not charging.plugged:
                return failed("ExternalChargingSystemError")
            if charging.status is ChargingStatus.IN_PROGRESS:
                return ALREADY
            if electric.level >= 100:
                return ALREADY
            self._cancel_delayed_charge(vehicle)  # charging now overrides the delayed start
            self.start_charging(vehicle)
            return SUCCESS
        if params.immediate is False:
            if charging.status is not ChargingStatus.IN_PROGRESS:
                return ALREADY
            self.stop_charging(vehicle, ChargingStatus.STOPPED)
            return SUCCESS
        return ALREADY

    def _schedule_charge(self, vehicle: Vehicle, when: float) -> None:
        processes = self.processes(vehicle)
        if processes.charge_at is not None:
            processes.charge_at.cancel()

        def start() -> None:
            processes.charge_at = None
            electric = vehicle.state.electric
            if electric is None or not electric.charging.plugged:
                return
            electric.charging = replace(electric.charging, next_delayed_time=None)
            if electric.charging.status is not ChargingStatus.IN_PROGRESS:
                if electric.level >= 100.0:
                    self._finished(vehicle)
                else:
                    self.start_charging(vehicle)
                self.report(vehicle, "charging")

        processes.charge_at = self.clock.call_at(max(when, self.clock.time()), start)

    def _cancel_delayed_charge(self, vehicle: Vehicle) -> None:
        processes = self._processes.get(vehicle.id)  # none made for a car that never had one
        if processes is not None and processes.charge_at is not None:
            processes.charge_at.cancel()
            processes.charge_at = None

    def _wait_for_charge(self, vehicle: Vehicle, when: float) -> None:
        """Plugged, the charge starts at ``when`` (clock time): until then the car reports
        what a real one does while a delayed charge waits, ``Stopped`` with no power, a
        zero rate, the time a charge to 100 % will take and the delay (nextDelayedTime)."""
        electric = vehicle.state.electric
        assert electric is not None
        if electric.charging.status is ChargingStatus.IN_PROGRESS:
            self.stop_charging(vehicle, ChargingStatus.STOPPED)
        electric.charging = replace(
            electric.charging,
            status=ChargingStatus.STOPPED,
            mode=ChargingMode.NO,
            remaining=self.time_to_full(vehicle),
            rate_kmh=0,
            charger_power_kw=0.0,
            next_delayed_time=_utc(max(when, self.clock.time())),
        )
        self._schedule_charge(vehicle, when)

    def _finished(self, vehicle: Vehicle) -> None:
        """Plugged with a full battery: nothing to charge."""
        electric = vehicle.state.electric
        assert electric is not None
        if electric.charging.status is ChargingStatus.IN_PROGRESS:
            self.stop_charging(vehicle, ChargingStatus.FINISHED)
            return
        electric.charging = replace(
            electric.charging,
            status=ChargingStatus.FINISHED,
            mode=ChargingMode.NO,
            remaining=None,
            rate_kmh=0,
            charger_power_kw=0.0,
            next_delayed_time=None,
        )

    def delayed_start(self, vehicle: Vehicle) -> float | None:
        """When a car plugged in now would start charging, if not at once: the pending
        delayed start (``next_delayed_time`` still ahead), else, with enabled charge
        programs none of which is open now, the next program's start.  None: at once."""
        electric = vehicle.state.electric
        assert electric is not None
        charging = electric.charging
        now = self.clock.time()
        delayed = charging.next_delayed_time
        if delayed is not None and delayed.timestamp() > now:
            return delayed.timestamp()
        programs = [p for p in charging.programs if p.enabled]
        if not programs:
            return None
        zone = _zone(vehicle)
        if any(program_open(now, p, zone) for p in programs):
            return None
        starts = [next_occurrence(now, p.start, p.days, zone) for p in programs]
        found = [start for start in starts if start is not None]
        return min(found) if found else None

    def plug(
        self,
        vehicle: Vehicle,
        power_kw: float | None = None,
        *,
        immediate: bool = False,
        cause: str | None = PLUGGED,
    ) -> None:
        """The car is plugged into a charger of ``power_kw`` (none given: the power it is
        plugged into already, else a home wallbox, ``HOME_CHARGER_KW``; a plug-in
        hybrid takes at most ``HYBRID_ONBOARD_KW``).

        It charges at once, with the taper of :meth:`taper` up to 100 %, then reports
        ``Finished``; unless a delayed charge waits (:meth:`delayed_start`; not with
        ``immediate``, the charge-now button): then ``Stopped`` until the delayed start
        on the clock.  A full battery is ``Finished`` at once.  Plugging a plugged car
        in again does the same, but a charge in progress goes on (at the new power).
        Publishes a sample with ``cause`` (None: the caller reports).

        Raises ValueError for a vehicle without a traction battery.
        """
        electric = vehicle.state.electric
        if electric is None:
            raise ValueError(f"a {vehicle.motorization} vehicle has no charging plug")
        charging = electric.charging
        if power_kw is None:
            known = (charging.plug_kw or charging.charger_power_kw) if charging.plugged else 0.0
            power_kw = known or HOME_CHARGER_KW
        electric.charging = replace(charging, plugged=True, plug_kw=power_kw)
        if charging.plugged and charging.status is ChargingStatus.IN_PROGRESS:
            self._charge_on(vehicle)
        elif electric.level >= 100.0:
            self._cancel_delayed_charge(vehicle)
            self._finished(vehicle)
        else:
            start = None if immediate else self.delayed_start(vehicle)
            if start is None:
                self._cancel_delayed_charge(vehicle)
                self.start_charging(vehicle)
            else:
                self._wait_for_charge(vehicle, start)
        if cause is not None:
            self.sample(vehicle, cause)

    def unplug(self, vehicle: Vehicle, *, cause: str | None = UNPLUGGED) -> None:
        """The car is unplugged: a charge in progress stops, a delayed start is called off,
        the charging status is ``Disconnected`` (the delayed-charge and program settings
        stay).  Publishes a sample with ``cause`` (None: the caller reports)."""
        electric = vehicle.state.electric
        if electric is not None and electric.charging.plugged:
            if electric.charging.status is ChargingStatus.IN_PROGRESS:
                self.stop_charging(vehicle, ChargingStatus.DISCONNECTED)
            self._cancel_delayed_charge(vehicle)
            electric.charging = replace(
                electric.charging,
                plugged=False,
                status=ChargingStatus.DISCONNECTED,
                mode=ChargingMode.NO,
                remaining=None,
                rate_kmh=0,
                charger_power_kw=0.0,
                plug_kw=0.0,
            )
        if cause is not None:
            self.sample(vehicle, cause)

    def set_charger_power(self, vehicle: Vehicle, power_kw: float) -> None:
        """The charger the car is plugged into now delivers up to ``power_kw``: a charge in
        progress goes on at that power, a waiting one will start at it.  Publishes no
        sample.  Raises ValueError when the car is not plugged."""
        electric = vehicle.state.electric
        if electric is None or not electric.charging.plugged:
            raise ValueError("the vehicle is not plugged")
        electric.charging = replace(electric.charging, plug_kw=power_kw)
        if electric.charging.status is ChargingStatus.IN_PROGRESS:
            self._charge_on(vehicle)
        elif electric.charging.remaining is not None:
            electric.charging = replace(electric.charging, remaining=self.time_to_full(vehicle))

    def _charge_on(self, vehicle: Vehicle) -> None:
        """A charge in progress goes on: started again when the power changed, or when no
        process runs it (a vehicle generated mid-charge, the living fleet off)."""
        electric = vehicle.state.electric
        assert electric is not None
        processes = self._processes.get(vehicle.id)
        ticking = processes is not None and processes.charging is not None
        if not ticking or electric.charging.charger_power_kw != self.charger_kw(vehicle):
            self.start_charging(vehicle)

    def level_changed(self, vehicle: Vehicle) -> None:
        """The traction battery's level was set from outside: a charge in progress gets
        its figures again (or finishes, at 100 %), a waiting one the time it will take.
        Publishes no sample."""
        electric = vehicle.state.electric
        if electric is None:
            return
        charging = electric.charging
        if charging.status is ChargingStatus.IN_PROGRESS:
            if electric.level >= 100.0:
                self.stop_charging(vehicle, ChargingStatus.FINISHED)
            else:
                self._update_charge_figures(vehicle)
        elif charging.plugged and charging.remaining is not None:  # a delayed charge waits
            electric.charging = replace(charging, remaining=self.time_to_full(vehicle))

    def time_to_full(self, vehicle: Vehicle) -> timedelta:
        """How long a charge from the current level to 100 % takes at the plug's power
        (the closed form of :func:`taper_span`, as the running charge's remainingTime)."""
        electric = vehicle.state.electric
        assert electric is not None
        power = self.charger_kw(vehicle)
        minutes = electric.usable_kwh / 100 / power * 60 * taper_span(electric.level)
        return timedelta(minutes=round(minutes))

    def charger_kw(self, vehicle: Vehicle) -> float:
        electric = vehicle.state.electric
        assert electric is not None
        charging = electric.charging
        power = charging.plug_kw or charging.charger_power_kw or HOME_CHARGER_KW
        return min(power, HYBRID_ONBOARD_KW) if vehicle.motorization != "Electric" else power

    def start_charging(self, vehicle: Vehicle) -> None:
        electric = vehicle.state.electric
        assert electric is not None
        power = self.charger_kw(vehicle)
        electric.charging = replace(
            electric.charging,
            status=ChargingStatus.IN_PROGRESS,
            mode=ChargingMode.QUICK if power > 22 else ChargingMode.SLOW,
            charger_power_kw=power,
            next_delayed_time=None,
        )
        self._update_charge_figures(vehicle)
        processes = self.processes(vehicle)
        if processes.charging is not None:
            processes.charging.cancel()
        processes.charging = self.clock.call_later(TICK_S, partial(self._charge_tick, vehicle))

    def stop_charging(self, vehicle: Vehicle, status: ChargingStatus) -> None:
        electric = vehicle.state.electric
        assert electric is not None
        processes = self.processes(vehicle)
        if processes.charging is not None:
            processes.charging.cancel()
            processes.charging = None
        charging = electric.charging
        electric.charging = replace(
            charging,
            status=status,
            mode=ChargingMode.NO,
            remaining=None,
            rate_kmh=0,
            charger_power_kw=0.0,
            plug_kw=charging.plug_kw or charging.charger_power_kw,  # the plug keeps its power
        )
        processes.charge_power_kw = 0.0  # the next charge computes its figures again

    @staticmethod
    def taper(level: float) -> float:
        """Share of the charger's power the battery takes at this state of charge."""
        if level < TAPER_FROM_PCT:
            return 1.0
        return max(TAPER_FLOOR, 1.0 - (level - TAPER_FROM_PCT) * TAPER_SLOPE)

    def _charge_figures(self, vehicle: Vehicle) -> VehicleProcesses:
        """The running charge's constants, computed again only when its power changed."""
        electric = vehicle.state.electric
        assert electric is not None
        processes = self.processes(vehicle)
        power = electric.charging.charger_power_kw
        if power != processes.charge_power_kw:
            processes.charge_power_kw = power
            processes.charge_minutes_per_pct = (
                electric.usable_kwh / 100 / power * 60 if power > 0 else 0.0
            )
            consumption = electric.consumption_kwh_per_100km
            processes.charge_rate_kmh = power / consumption * 100 if consumption > 0 else 0.0
        return processes

    def _update_charge_figures(self, vehicle: Vehicle) -> None:
        """remainingTime and chargingRate at the current level: the time the tapered
        charge takes from here to 100 % (in closed form), the autonomy gained per hour."""
        electric = vehicle.state.electric
        assert electric is not None
        processes = self._charge_figures(vehicle)
        level = electric.level
        minutes = processes.charge_minutes_per_pct * taper_span(level)
        rate = int(min(500, processes.charge_rate_kmh * self.taper(level)))
        charging = electric.charging
        remaining = timedelta(minutes=round(minutes))
        if charging.remaining != remaining or charging.rate_kmh != rate:
            electric.charging = charging.with_figures(remaining, rate)

    def _charge_tick(self, vehicle: Vehicle) -> None:
        processes = self.processes(vehicle)
        processes.charging = None
        electric = vehicle.state.electric
        if electric is None or electric.charging.status is not ChargingStatus.IN_PROGRESS:
            return
        kw = electric.charging.charger_power_kw * self.taper(electric.level)
        gained = 100 * kw * TICK_S / 3600 / max(electric.usable_kwh, 1)
        electric.level = min(100.0, electric.level + gained)
        if electric.level >= 100.0:
            self.stop_charging(vehicle, ChargingStatus.FINISHED)
            self.report(vehicle, "charging")
            return
        self._update_charge_figures(vehicle)
        self.report(vehicle, "charging")
        processes.charging = self.clock.call_later(TICK_S, partial(self._charge_tick, vehicle))

    def describe(self, vehicle: Vehicle) -> dict[str, Any]:
        processes = self.processes(vehicle)
        return {
            "cabinTempC": round(self.cabin_temp(vehicle), 1),
            "charging": processes.charging is not None,
            "delayedCharge": processes.charge_at is not None,
            "preconditioning": processes.preconditioning is not None,
            "programsScheduled": len(processes.programs),
            "stolenReports": processes.stolen is not None,
        }


def taper_span(level: float) -> float:
    """How long the charge from ``level`` to 100 % takes, in percents at full power: the
    integral of 1 / taper over the way (closed form of the tapered curve)."""
    if level < TAPER_FROM_PCT:
        return TAPER_FROM_PCT - level + _TAPERED_SPAN
    if level >= 100.0:
        return 0.0
    share = 1.0 - (level - TAPER_FROM_PCT) * TAPER_SLOPE
    return max(0.0, math.log(share / TAPER_FLOOR) / TAPER_SLOPE)


def program_open(now: float, program: ChargeProgram, zone: ZoneInfo | None) -> bool:
    """Whether ``now`` is inside the program's window (local ``start`` to ``end``, across
    midnight when ``end`` is not after ``start``; the window belongs to its start day)."""
    tz = zone or UTC
    local = datetime.fromtimestamp(now, tz)
    length = (program.end - program.start) % DAY or DAY
    for back in (0, 1):
        day = local.date() - timedelta(days=back)
        if program.days and WEEKDAYS[day.weekday()] not in program.days:
            continue
        begin = datetime.combine(day, time(), tz) + program.start
        if begin.timestamp() <= now < (begin + length).timestamp():
            return True
    return False


def next_occurrence(
    now: float, start: timedelta, days: tuple[Weekday, ...] | list[Any], zone: ZoneInfo | None
) -> float | None:
    """The next time of day ``start`` (local) on one of ``days`` (all days if empty)."""
    tz = zone or UTC
    local_now = datetime.fromtimestamp(now, tz)
    wanted = {WEEKDAYS.index(Weekday(d)) for d in days} if days else set(range(7))
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in range(8):
        day = midnight + timedelta(days=offset)
        if day.weekday() not in wanted:
            continue
        candidate = datetime.combine(day.date(), datetime.min.time(), tz) + start
        if candidate.timestamp() > now:
            return candidate.timestamp()
    return None


__all__ = [
    "HOME_CHARGER_KW",
    "HYBRID_ONBOARD_KW",
    "PLUGGED",
    "UNPLUGGED",
    "Effects",
    "Outcome",
    "next_occurrence",
    "program_open",
    "taper_span",
]
