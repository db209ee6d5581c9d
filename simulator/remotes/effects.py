"""What each remote action does to a virtual vehicle: its outcome (``Success``,
``AlreadyDone``, ``Failed`` with a cause), and the stolen-mode reports it starts.

Pure domain, no HTTP.  The vehicle changes themselves are the fleet's operations
(:class:`~simulator.fleet.operations.FleetOperations`: lock, plug, charge,
precondition, drive...); every remote ends with a data sample (``remote:<action>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from simulator.fleet.enums import (
    ChargeType,
    ChargingPowerLevel,
    ChargingStatus,
    LockedState,
    PreconditioningStatus,
    Recurrence,
    Weekday,
)
from simulator.fleet.models import Vehicle
from simulator.fleet.preconditioning import LOW_TRACTION_PCT
from simulator.fleet.values import ChargeProgram, PreconditioningProgram
from simulator.fleet.weekly import DAY

if TYPE_CHECKING:
    from simulator.clock import Clock, Timer
    from simulator.fleet.operations import FleetOperations
    from simulator.remotes.commands import RemoteCommand

LOW_12V = 11.6  # volts
STOLEN_REPORT_S = 60.0
DEFAULT_CHARGE = timedelta(hours=8)  # a charge program without an end lasts this long


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # Success, AlreadyDone, Failed
    failure_cause: str | None = None
    feedback_detail: str | None = None


SUCCESS = Outcome("Success")
ALREADY = Outcome("AlreadyDone")


def failed(cause: str) -> Outcome:
    return Outcome("Failed", cause)


class Effects:
    """Applies remote actions to vehicles."""

    def __init__(self, clock: Clock, operations: FleetOperations) -> None:
        self.clock = clock
        self.operations = operations
        self._stolen_reports: dict[str, Timer] = {}  # per vehicle, while stolen

    def reset(self) -> None:
        for timer in self._stolen_reports.values():
            timer.cancel()
        self._stolen_reports.clear()

    def cabin_temp(self, vehicle: Vehicle) -> float:
        return self.operations.cabin.temperature(vehicle)

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
        self.operations.sample(vehicle, f"remote:{command.action}")
        if command.action == "navigation":
            # the driver sets off at once when parked (else on the next departure)
            self.operations.head_for_destination(vehicle)
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
            self.operations.lock(vehicle)
            if getattr(params, "forced", False):
                return Outcome("Success", feedback_detail="NoCIDBlacklisted")
            return SUCCESS
        if state.locked_states == (LockedState.UNLOCKED,):
            return ALREADY
        self.operations.unlock(vehicle)
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
        self.operations.immobilize(vehicle, activate)
        return SUCCESS

    def _stolen(self, vehicle: Vehicle, params: Any) -> Outcome:
        stolen = bool(params.stolen)
        if vehicle.state.stolen == stolen:
            return ALREADY
        self.operations.set_stolen(vehicle, stolen)
        timer = self._stolen_reports.pop(vehicle.id, None)
        if timer is not None:
            timer.cancel()
        if stolen:
            self._stolen_report(vehicle)
        return SUCCESS

    def _stolen_report(self, vehicle: Vehicle) -> None:
        """While stolen: awake, a position report every minute."""

        def report() -> None:
            self._stolen_reports.pop(vehicle.id, None)
            if not vehicle.state.stolen:
                return
            self.operations.wake(vehicle, seconds=STOLEN_REPORT_S * 2)
            self.operations.report(vehicle, "stolen")
            self._stolen_report(vehicle)

        self._stolen_reports[vehicle.id] = self.clock.call_later(STOLEN_REPORT_S, report)

    def _navigation(self, vehicle: Vehicle, params: Any) -> Outcome:
        lon, lat = params.positions[-1].coordinates[:2]
        self.operations.set_destination(vehicle, (float(lon), float(lat)))
        return SUCCESS

    # ------------------------------------------------------------ preconditioning
    def _preconditioning(self, vehicle: Vehicle, params: Any) -> Outcome:
        current = vehicle.state.preconditioning
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
                self.operations.set_preconditioning_programs(vehicle, new_programs)
        running = vehicle.state.preconditioning.status is PreconditioningStatus.ENABLED
        if params.immediate is True:
            if running:
                return SUCCESS if changed else ALREADY
            self.operations.start_preconditioning(vehicle)
            return SUCCESS
        if params.immediate is False:
            if not running:
                return SUCCESS if changed else ALREADY
            self.operations.stop_preconditioning(vehicle)
            return SUCCESS
        return SUCCESS if changed else ALREADY

    # ------------------------------------------------------------ charging
    def _charging(self, vehicle: Vehicle, params: Any) -> Outcome:
        electric = vehicle.state.electric
        if electric is None:
            return failed("WrongCommand")
        charging = electric.charging
        operations = self.operations
        if params.preferences is not None:
            prefs = params.preferences
            operations.set_charge_preferences(
                vehicle,
                ChargingPowerLevel(prefs.level) if prefs.level else None,
                ChargeType(prefs.type) if prefs.type else None,
            )
            return SUCCESS
        if params.programs is not None:
            operations.set_charge_programs(
                vehicle,
                tuple(
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
            # a charge in progress stops and waits (clients stop a charge this way)
            operations.delay_charge(vehicle, params.next_delayed_time)
            return SUCCESS
        if params.immediate is True:
            if not charging.plugged:
                return failed("ExternalChargingSystemError")
            if charging.status is ChargingStatus.IN_PROGRESS or electric.level >= 100:
                return ALREADY
            operations.start_charge(vehicle)  # charging now overrides the delayed start
            return SUCCESS
        if params.immediate is False:
            if charging.status is not ChargingStatus.IN_PROGRESS:
                return ALREADY
            operations.stop_charge(vehicle)
            return SUCCESS
        return ALREADY

    def describe(self, vehicle: Vehicle) -> dict[str, Any]:
        operations = self.operations
        charging, delayed = operations.charging.describe(vehicle)
        preconditioning, programs = operations.cabin.describe(vehicle)
        return {
            "cabinTempC": round(self.cabin_temp(vehicle), 1),
            "charging": charging,
            "delayedCharge": delayed,
            "preconditioning": preconditioning,
            "programsScheduled": programs,
            "stolenReports": vehicle.id in self._stolen_reports,
        }


__all__ = ["Effects", "Outcome", "failed"]
