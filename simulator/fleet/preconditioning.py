"""Cabin preconditioning on the clock: a run warms or cools the cabin towards 21 °C for
30 minutes (drawing on the traction battery when not plugged, failing when it runs
low), and the weekly programs that start runs.

Held by the fleet's operations (:mod:`simulator.fleet.operations`).  Pure domain: the
vehicle's state objects and the clock, no HTTP.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING

from simulator.fleet.enums import (
    PreconditioningFailureCause,
    PreconditioningStartingCause,
    PreconditioningStatus,
    Recurrence,
)
from simulator.fleet.models import Vehicle
from simulator.fleet.values import PreconditioningProgram
from simulator.fleet.weekly import next_occurrence, zone_of

if TYPE_CHECKING:
    from simulator.clock import Clock, Timer
    from simulator.fleet.samples import Samples

PRECONDITIONING_MINUTES = 30  # a run lasts this long unless stopped
CABIN_TARGET_C = 21.0
CABIN_TIME_CONSTANT_MIN = 6.0  # the cabin gets ~63 % of the way to target in this time
PRECONDITIONING_KW = 3.5  # drawn from the traction battery when not plugged
LOW_TRACTION_PCT = 10.0  # below this, a run fails (and a remote is refused)
TICK_S = 60.0  # a run updates the vehicle every simulated minute
PRECONDITIONING = "preconditioning"  # cause of the samples of a run

__all__ = ["LOW_TRACTION_PCT", "Cabin"]


@dataclass(slots=True, eq=False)
class CabinProcess:
    """One vehicle's run and program timers, and its cabin temperature."""

    ticking: Timer | None = None
    ends_at: float = 0.0
    programs: list[Timer] = field(default_factory=list)
    cabin_c: float | None = None  # None: at outside temperature

    def cancel(self) -> None:
        if self.ticking is not None:
            self.ticking.cancel()
            self.ticking = None
        for timer in self.programs:
            timer.cancel()
        self.programs.clear()


class Cabin:
    """Preconditioning runs and programs of the fleet's vehicles."""

    def __init__(self, clock: Clock, samples: Samples) -> None:
        self.clock = clock
        self.samples = samples
        self._processes: dict[str, CabinProcess] = {}

    def reset(self) -> None:
        for process in self._processes.values():
            process.cancel()
        self._processes.clear()

    def process(self, vehicle: Vehicle) -> CabinProcess:
        found = self._processes.get(vehicle.id)
        if found is None:
            found = self._processes[vehicle.id] = CabinProcess()
        return found

    def temperature(self, vehicle: Vehicle) -> float:
        cabin = self.process(vehicle).cabin_c
        return vehicle.state.air_temp_c if cabin is None else cabin

    def describe(self, vehicle: Vehicle) -> tuple[bool, int]:
        """(a run is ticking, programs scheduled)."""
        process = self.process(vehicle)
        return process.ticking is not None, len(process.programs)

    # ------------------------------------------------------------ runs
    def start(self, vehicle: Vehicle, cause: PreconditioningStartingCause) -> None:
        """A run starts now (the caller reports)."""
        state = vehicle.state
        process = self.process(vehicle)
        state.preconditioning = replace(
            state.preconditioning,
            status=PreconditioningStatus.ENABLED,
            starting_cause=cause,
            failure_cause=None,
            updated_at=self.clock.now(),
        )
        if process.cabin_c is None:
            process.cabin_c = state.air_temp_c
        process.ends_at = self.clock.time() + PRECONDITIONING_MINUTES * 60
        if process.ticking is not None:
            process.ticking.cancel()
        process.ticking = self.clock.call_later(TICK_S, partial(self._tick, vehicle))

    def stop(
        self,
        vehicle: Vehicle,
        status: PreconditioningStatus,
        failure: PreconditioningFailureCause | None = None,
    ) -> None:
        """The run ends with ``status``; the cabin goes back to the outside temperature
        (the caller reports)."""
        process = self.process(vehicle)
        if process.ticking is not None:
            process.ticking.cancel()
            process.ticking = None
        state = vehicle.state
        state.preconditioning = replace(
            state.preconditioning,
            status=status,
            failure_cause=failure,
            updated_at=self.clock.now(),
        )
        process.cabin_c = None

    def _tick(self, vehicle: Vehicle) -> None:
        process = self.process(vehicle)
        process.ticking = None
        state = vehicle.state
        if state.preconditioning.status is not PreconditioningStatus.ENABLED:
            return
        cabin = self.temperature(vehicle)
        k = 1 - math.exp(-(TICK_S / 60) / CABIN_TIME_CONSTANT_MIN)
        process.cabin_c = cabin + (CABIN_TARGET_C - cabin) * k
        electric = state.electric
        if electric is not None and not electric.charging.plugged:
            used = PRECONDITIONING_KW * TICK_S / 3600
            electric.level = max(0.0, electric.level - 100 * used / max(electric.usable_kwh, 1))
            if electric.level < LOW_TRACTION_PCT:
                self.stop(
                    vehicle, PreconditioningStatus.FAILURE, PreconditioningFailureCause.LOW_BATTERY
                )
                self.samples.report(vehicle, PRECONDITIONING)
                return
        if self.clock.time() >= process.ends_at:
            self.stop(vehicle, PreconditioningStatus.FINISHED)
            self.samples.report(vehicle, PRECONDITIONING)
            return
        self.samples.report(vehicle, PRECONDITIONING)
        process.ticking = self.clock.call_later(TICK_S, partial(self._tick, vehicle))

    # ------------------------------------------------------------ programs
    def set_programs(self, vehicle: Vehicle, programs: tuple[PreconditioningProgram, ...]) -> None:
        """The weekly programs (the enabled ones scheduled on the clock).  No sample."""
        state = vehicle.state
        state.preconditioning = replace(state.preconditioning, programs=programs)
        process = self.process(vehicle)
        for timer in process.programs:
            timer.cancel()
        process.programs.clear()
        for program in programs:
            if program.enabled:
                self._schedule(vehicle, program)

    def _schedule(self, vehicle: Vehicle, program: PreconditioningProgram) -> None:
        due = next_occurrence(self.clock.time(), program.start, program.days, zone_of(vehicle))
        if due is None:
            return

        def run() -> None:
            if program not in vehicle.state.preconditioning.programs:
                return
            if vehicle.state.preconditioning.status is not PreconditioningStatus.ENABLED:
                self.start(vehicle, PreconditioningStartingCause.SCHEDULED)
                self.samples.report(vehicle, PRECONDITIONING)
            if program.recurrence is Recurrence.DAILY:
                self._schedule(vehicle, program)

        self.process(vehicle).programs.append(self.clock.call_at(due, run))
