"""Weekly programs on a vehicle's local calendar: when a program next starts, whether a
time window is open now (charge and preconditioning programs)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from simulator.fleet.enums import Weekday
from simulator.fleet.models import Vehicle
from simulator.fleet.values import ChargeProgram

WEEKDAYS = list(Weekday)
DAY = timedelta(days=1)

__all__ = ["DAY", "WEEKDAYS", "next_occurrence", "program_open", "zone_of"]


def zone_of(vehicle: Vehicle) -> ZoneInfo | None:
    """The time zone of the vehicle's home (None: unknown, UTC is used)."""
    try:
        return ZoneInfo(vehicle.home.tz)
    except (ZoneInfoNotFoundError, ValueError):
        return None


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
