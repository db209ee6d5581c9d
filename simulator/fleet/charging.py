"""Charging physics of a traction battery: plugging in and out, a charge on the clock
(the taper of a real battery above 80 %), a delayed start or a charge program making it
wait, and the figures the car reports (remainingTime, chargingRate).

Every caller that plugs (the control API, the remotes, the living fleet) goes through
the fleet's operations (:mod:`simulator.fleet.operations`), which hold one
:class:`Charging`.  Pure domain: the vehicle's state objects and the clock, no HTTP.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from simulator.fleet.enums import ChargeType, ChargingMode, ChargingPowerLevel, ChargingStatus
from simulator.fleet.models import Vehicle
from simulator.fleet.values import ChargeProgram
from simulator.fleet.weekly import next_occurrence, program_open, zone_of

if TYPE_CHECKING:
    from simulator.clock import Clock, Timer
    from simulator.fleet.samples import Samples

TICK_S = 60.0  # a charge updates the vehicle every simulated minute
HOME_CHARGER_KW = 7.4  # a home wallbox: the power of a plug when none is given
HYBRID_ONBOARD_KW = 11.0  # a plug-in hybrid's onboard charger takes no more
PLUGGED, UNPLUGGED, CHARGING = "plugged", "unplugged", "charging"  # causes of the samples
TAPER_FROM_PCT = 80.0  # full power below this level, then linearly less...
TAPER_FLOOR = 0.08  # ...down to this share of it at 100 %
TAPER_SLOPE = (1.0 - TAPER_FLOOR) / (100.0 - TAPER_FROM_PCT)  # share lost per percent
# full-power percent-equivalents of the tapered stretch from TAPER_FROM_PCT to 100 %
_TAPERED_SPAN = math.log(1.0 / TAPER_FLOOR) / TAPER_SLOPE

__all__ = [
    "CHARGING",
    "HOME_CHARGER_KW",
    "HYBRID_ONBOARD_KW",
    "PLUGGED",
    "UNPLUGGED",
    "Charging",
    "taper",
    "taper_span",
]


def taper(level: float) -> float:
    """Share of the charger's power the battery takes at this state of charge."""
    if level < TAPER_FROM_PCT:
        return 1.0
    return max(TAPER_FLOOR, 1.0 - (level - TAPER_FROM_PCT) * TAPER_SLOPE)


def taper_span(level: float) -> float:
    """How long the charge from ``level`` to 100 % takes, in percents at full power: the
    integral of 1 / taper over the way (closed form of the tapered curve)."""
    if level < TAPER_FROM_PCT:
        return TAPER_FROM_PCT - level + _TAPERED_SPAN
    if level >= 100.0:
        return 0.0
    share = 1.0 - (level - TAPER_FROM_PCT) * TAPER_SLOPE
    return max(0.0, math.log(share / TAPER_FLOOR) / TAPER_SLOPE)


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@dataclass(slots=True, eq=False)
class ChargeProcess:
    """The timers of one vehicle's charge, and the running charge's figures (computed at
    its start, again only when its power changes)."""

    ticking: Timer | None = None  # the next minute of a charge in progress
    delayed: Timer | None = None  # the start of a delayed charge
    power_kw: float = 0.0  # the power the figures were computed for
    minutes_per_pct: float = 0.0  # at full power
    rate_kmh: float = 0.0  # autonomy per hour at full power (unbounded)

    def cancel(self) -> None:
        for timer in (self.ticking, self.delayed):
            if timer is not None:
                timer.cancel()
        self.ticking = self.delayed = None


class Charging:
    """Plugs, charges and unplugs vehicles on the clock."""

    def __init__(self, clock: Clock, samples: Samples) -> None:
        self.clock = clock
        self.samples = samples
        self._processes: dict[str, ChargeProcess] = {}

    def reset(self) -> None:
        for process in self._processes.values():
            process.cancel()
        self._processes.clear()

    def process(self, vehicle: Vehicle) -> ChargeProcess:
        found = self._processes.get(vehicle.id)
        if found is None:
            found = self._processes[vehicle.id] = ChargeProcess()
        return found

    def describe(self, vehicle: Vehicle) -> tuple[bool, bool]:
        """(a charge is ticking, a delayed start waits)."""
        process = self._processes.get(vehicle.id)
        if process is None:
            return False, False
        return process.ticking is not None, process.delayed is not None

    # ------------------------------------------------------------ plug
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

        It charges at once, with the taper of :func:`taper` up to 100 %, then reports
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
            self.cancel_delayed(vehicle)
            self._finished(vehicle)
        else:
            start = None if immediate else self.delayed_start(vehicle)
            if start is None:
                self.cancel_delayed(vehicle)
                self.start(vehicle)
            else:
                self.wait_until(vehicle, start)
        if cause is not None:
            self.samples.sample(vehicle, cause)

    def unplug(self, vehicle: Vehicle, *, cause: str | None = UNPLUGGED) -> None:
        """The car is unplugged: a charge in progress stops, a delayed start is called off,
        the charging status is ``Disconnected`` (the delayed-charge and program settings
        stay).  Publishes a sample with ``cause`` (None: the caller reports)."""
        electric = vehicle.state.electric
        if electric is not None and electric.charging.plugged:
            if electric.charging.status is ChargingStatus.IN_PROGRESS:
                self.stop(vehicle, ChargingStatus.DISCONNECTED)
            self.cancel_delayed(vehicle)
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
            self.samples.sample(vehicle, cause)

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
                self.stop(vehicle, ChargingStatus.FINISHED)
            else:
                self._update_figures(vehicle)
        elif charging.plugged and charging.remaining is not None:  # a delayed charge waits
            electric.charging = replace(charging, remaining=self.time_to_full(vehicle))

    # ------------------------------------------------------------ settings
    def set_preferences(
        self, vehicle: Vehicle, level: ChargingPowerLevel | None, kind: ChargeType | None
    ) -> None:
        """The charging preferences (power level, charge type).  Publishes no sample."""
        electric = vehicle.state.electric
        assert electric is not None
        electric.charging = replace(electric.charging, preference_level=level, charge_type=kind)

    def set_programs(self, vehicle: Vehicle, programs: tuple[ChargeProgram, ...]) -> None:
        """The charge programs (they decide when a car plugged in later starts charging).
        Publishes no sample."""
        electric = vehicle.state.electric
        assert electric is not None
        electric.charging = replace(electric.charging, programs=programs)

    # ------------------------------------------------------------ delayed start
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
        zone = zone_of(vehicle)
        if any(program_open(now, p, zone) for p in programs):
            return None
        starts = [next_occurrence(now, p.start, p.days, zone) for p in programs]
        found = [start for start in starts if start is not None]
        return min(found) if found else None

    def wait_until(self, vehicle: Vehicle, when: float) -> None:
        """Plugged, the charge starts at ``when`` (clock time): until then the car reports
        what a real one does while a delayed charge waits, ``Stopped`` with no power, a
        zero rate, the time a charge to 100 % will take and the delay (nextDelayedTime).
        A charge in progress stops and waits."""
        electric = vehicle.state.electric
        assert electric is not None
        if electric.charging.status is ChargingStatus.IN_PROGRESS:
            self.stop(vehicle, ChargingStatus.STOPPED)
        electric.charging = replace(
            electric.charging,
            status=ChargingStatus.STOPPED,
            mode=ChargingMode.NO,
            remaining=self.time_to_full(vehicle),
            rate_kmh=0,
            charger_power_kw=0.0,
            next_delayed_time=_utc(max(when, self.clock.time())),
        )
        self._schedule_start(vehicle, when)

    def cancel_delayed(self, vehicle: Vehicle) -> None:
        process = self._processes.get(vehicle.id)  # none made for a car that never had one
        if process is not None and process.delayed is not None:
            process.delayed.cancel()
            process.delayed = None

    def _schedule_start(self, vehicle: Vehicle, when: float) -> None:
        process = self.process(vehicle)
        if process.delayed is not None:
            process.delayed.cancel()

        def start() -> None:
            process.delayed = None
            electric = vehicle.state.electric
            if electric is None or not electric.charging.plugged:
                return
            electric.charging = replace(electric.charging, next_delayed_time=None)
            if electric.charging.status is not ChargingStatus.IN_PROGRESS:
                if electric.level >= 100.0:
                    self._finished(vehicle)
                else:
                    self.start(vehicle)
                self.samples.report(vehicle, CHARGING)

        process.delayed = self.clock.call_at(max(when, self.clock.time()), start)

    def _finished(self, vehicle: Vehicle) -> None:
        """Plugged with a full battery: nothing to charge."""
        electric = vehicle.state.electric
        assert electric is not None
        if electric.charging.status is ChargingStatus.IN_PROGRESS:
            self.stop(vehicle, ChargingStatus.FINISHED)
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

    # ------------------------------------------------------------ the charge
    def _charge_on(self, vehicle: Vehicle) -> None:
        """A charge in progress goes on: started again when the power changed, or when no
        process runs it (a vehicle generated mid-charge, the living fleet off)."""
        electric = vehicle.state.electric
        assert electric is not None
        process = self._processes.get(vehicle.id)
        ticking = process is not None and process.ticking is not None
        if not ticking or electric.charging.charger_power_kw != self.charger_kw(vehicle):
            self.start(vehicle)

    def time_to_full(self, vehicle: Vehicle) -> timedelta:
        """How long a charge from the current level to 100 % takes at the plug's power
        (the closed form of :func:`taper_span`, as the running charge's remainingTime)."""
        electric = vehicle.state.electric
        assert electric is not None
        power = self.charger_kw(vehicle)
        minutes = electric.usable_kwh / 100 / power * 60 * taper_span(electric.level)
        return timedelta(minutes=round(minutes))

    @staticmethod
    def charger_kw(vehicle: Vehicle) -> float:
        electric = vehicle.state.electric
        assert electric is not None
        charging = electric.charging
        power = charging.plug_kw or charging.charger_power_kw or HOME_CHARGER_KW
        return min(power, HYBRID_ONBOARD_KW) if vehicle.motorization != "Electric" else power

    def start(self, vehicle: Vehicle) -> None:
        """A charge starts now at the plug's power (the caller reports)."""
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
        self._update_figures(vehicle)
        process = self.process(vehicle)
        if process.ticking is not None:
            process.ticking.cancel()
        process.ticking = self.clock.call_later(TICK_S, partial(self._tick, vehicle))

    def stop(self, vehicle: Vehicle, status: ChargingStatus) -> None:
        """The charge in progress ends with ``status`` (the caller reports)."""
        electric = vehicle.state.electric
        assert electric is not None
        process = self.process(vehicle)
        if process.ticking is not None:
            process.ticking.cancel()
            process.ticking = None
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
        process.power_kw = 0.0  # the next charge computes its figures again

    def _figures(self, vehicle: Vehicle) -> ChargeProcess:
        """The running charge's constants, computed again only when its power changed."""
        electric = vehicle.state.electric
        assert electric is not None
        process = self.process(vehicle)
        power = electric.charging.charger_power_kw
        if power != process.power_kw:
            process.power_kw = power
            process.minutes_per_pct = electric.usable_kwh / 100 / power * 60 if power > 0 else 0.0
            consumption = electric.consumption_kwh_per_100km
            process.rate_kmh = power / consumption * 100 if consumption > 0 else 0.0
        return process

    def _update_figures(self, vehicle: Vehicle) -> None:
        """remainingTime and chargingRate at the current level: the time the tapered
        charge takes from here to 100 % (in closed form), the autonomy gained per hour."""
        electric = vehicle.state.electric
        assert electric is not None
        process = self._figures(vehicle)
        level = electric.level
        minutes = process.minutes_per_pct * taper_span(level)
        rate = int(min(500, process.rate_kmh * taper(level)))
        charging = electric.charging
        remaining = timedelta(minutes=round(minutes))
        if charging.remaining != remaining or charging.rate_kmh != rate:
            electric.charging = charging.with_figures(remaining, rate)

    def _tick(self, vehicle: Vehicle) -> None:
        process = self.process(vehicle)
        process.ticking = None
        electric = vehicle.state.electric
        if electric is None or electric.charging.status is not ChargingStatus.IN_PROGRESS:
            return
        kw = electric.charging.charger_power_kw * taper(electric.level)
        gained = 100 * kw * TICK_S / 3600 / max(electric.usable_kwh, 1)
        electric.level = min(100.0, electric.level + gained)
        if electric.level >= 100.0:
            self.stop(vehicle, ChargingStatus.FINISHED)
            self.samples.report(vehicle, CHARGING)
            return
        self._update_figures(vehicle)
        self.samples.report(vehicle, CHARGING)
        process.ticking = self.clock.call_later(TICK_S, partial(self._tick, vehicle))
