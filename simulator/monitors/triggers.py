"""Trigger evaluators: each reads one vehicle sample and says whether its trigger holds.

Built once from a monitor's validated specs; called on every data sample of the
vehicle, so the hot paths only read attributes and compare.  Each evaluator keeps
what it needs of the previous samples:

- zone: whether the vehicle was inside (the hysteresis band of
  :mod:`simulator.monitors.geometry` needs it); a vehicle whose privacy hides
  its position keeps its last known side;
- time: the current window's bounds, recomputed only when the sample's time
  leaves them; true while the vehicle is in use (ignition on or moving);
- data: the previous value, for ``onChange`` (true on the sample where the
  value changed; a new active alert for ``vehicle.alert``) and for the
  ``previous`` rule (the value before the transition must match it; checked
  on the first transition only, again after the condition went false).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from simulator.fleet.enums import IgnitionType, PrivacyState, Weekday
from simulator.fleet.models import Vehicle
from simulator.monitors import fields as f
from simulator.monitors.params import DataSpec, TimeSpec, TriggerSpec, ZoneSpec

_NONE = PrivacyState.NONE
_STOP = IgnitionType.STOP
_WEEKDAYS = tuple(Weekday)


def _string(text: str) -> dict[str, Any]:
    return {"type": "string", "body": {"literalValue": text}}


def _where(item: dict[str, Any], vehicle: Vehicle) -> dict[str, Any]:
    """(sim) where the vehicle was, as a GeoJSON Point, unless its privacy hides it."""
    state = vehicle.state
    if state.privacy is _NONE:
        item["position"] = {
            "type": "Point",
            "coordinates": [round(state.position.lon, 6), round(state.position.lat, 6)],
        }
    return item


class ZoneEval:
    __slots__ = (
        "inner",
        "inside",
        "lat_hi",
        "lat_lo",
        "lon_hi",
        "lon_lo",
        "name",
        "shape",
        "test",
        "want_in",
    )

    kind = "zone"

    def __init__(self, spec: ZoneSpec) -> None:
        self.name = spec.name
        self.shape = spec.shape
        self.test = spec.shape.inside
        # outside this box the vehicle is outside, whatever its previous side: no
        # geometry at all for the zones far from where it is
        self.lon_lo, self.lon_hi, self.lat_lo, self.lat_hi = spec.shape.box()
        # inside this one the vehicle is inside, whatever its previous side (may be empty)
        self.inner = spec.shape.inner_box()
        self.want_in = spec.transition == "In"
        self.inside: bool | None = None

    def at(self, lon: float, lat: float) -> bool:
        """The trigger's value for a located vehicle at ``(lon, lat)``."""
        if lon < self.lon_lo or lon > self.lon_hi or lat < self.lat_lo or lat > self.lat_hi:
            self.inside = False
            return not self.want_in
        inside = self.inside = self.test(lon, lat, self.inside)
        return inside is self.want_in

    def update(self, vehicle: Vehicle, t: float) -> bool:
        state = vehicle.state
        if state.privacy is _NONE:
            p = state.position
            return self.at(p.lon, p.lat)
        # the car does not say where it is: it stays on the side it was
        return self.inside is self.want_in  # None (never seen) is neither

    def describe(self, vehicle: Vehicle) -> dict[str, Any]:
        item = {
            "trigger": self.name,
            "kind": "zone",
            "value": _string("In" if self.want_in else "Out"),
        }
        return _where(item, vehicle)


class TimeEval:
    __slots__ = ("hi", "lo", "name", "spec", "within")

    kind = "time"

    def __init__(self, spec: TimeSpec) -> None:
        self.name = spec.name
        self.spec = spec
        self.lo = math.inf  # the answer ``within`` holds for lo <= t < hi
        self.hi = -math.inf
        self.within = False

    def in_window(self, t: float) -> bool:
        if self.lo <= t < self.hi:
            return self.within
        self._recompute(t)
        return self.within

    def _intervals(self, t: float) -> list[tuple[float, float]]:
        zone = self.spec.zone
        today = datetime.fromtimestamp(t, zone).date()
        found: list[tuple[float, float]] = []
        for window in self.spec.windows:
            if window.daily:
                assert isinstance(window.start, timedelta) and window.duration is not None
                length = window.duration.total_seconds()
                for shift in (-1, 0, 1, 2):
                    day = today + timedelta(days=shift)
                    if _WEEKDAYS[day.weekday()] not in window.days:
                        continue
                    begin = _local(day, zone) + window.start
                    start = begin.timestamp()
                    found.append((start, start + length))
            else:
                assert isinstance(window.start, datetime)
                start = window.start.timestamp()
                end = (
                    math.inf if window.duration is None else start + window.duration.total_seconds()
                )
                found.append((start, end))
        return found

    def _recompute(self, t: float) -> None:
        intervals = self._intervals(t)
        self.within = any(a <= t < b for a, b in intervals)
        later = [x for a, b in intervals for x in (a, b) if x > t]
        self.lo = t
        self.hi = min(later) if later else t + 86400.0

    def update(self, vehicle: Vehicle, t: float) -> bool:
        state = vehicle.state
        if state.ignition is _STOP and not state.moving:
            return False
        return self.in_window(t)

    def describe(self, vehicle: Vehicle) -> dict[str, Any]:
        local = vehicle.state.updated_at.astimezone(self.spec.zone)
        item = {
            "trigger": self.name,
            "kind": "time",
            "value": _string(local.isoformat("T", "seconds")),
        }
        return _where(item, vehicle)


def _local(day: date, zone: Any) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


Test = Callable[[Any], bool]
CALL, GT, LT, EQ = 0, 1, 2, 3
"""``DataEval.cmp``: call ``test``, or compare (rounded to an integer when ``rounds``)
with ``target``: greater, lower, equal."""
_CMP = {"greaterThan": GT, "lowerThan": LT, "equalsTo": EQ}


def _test(kind: f.Kind, op: f.Op, values: tuple[object, ...]) -> Test:
    target = values[0] if values else None
    if kind == "alerts":
        wanted = frozenset(values)
        if op == "equalsTo":
            return lambda v: target in v
        return lambda v: not wanted.isdisjoint(v)
    if op == "includedIn":
        allowed = frozenset(values)
        return lambda v: v in allowed
    if kind == "int":  # the API reports these as integers: compare what it would serve
        assert isinstance(target, int)
        if op == "greaterThan":
            return lambda v: round(v) > target
        if op == "lowerThan":
            return lambda v: round(v) < target
        return lambda v: round(v) == target
    if op == "greaterThan":
        return lambda v: v > target
    if op == "lowerThan":
        return lambda v: v < target
    return lambda v: v == target


class DataEval:
    __slots__ = (
        "alerts",
        "before",
        "cmp",
        "get",
        "last",
        "name",
        "on_change",
        "phase",
        "prev_test",
        "rounds",
        "seen",
        "spec",
        "target",
        "test",
    )

    kind = "data"

    def __init__(self, spec: DataSpec) -> None:
        self.name = spec.name
        self.spec = spec
        field = spec.field
        self.get = field.get
        self.on_change = spec.op == "onChange"
        self.alerts = field.kind == "alerts"
        self.test: Test = (
            (lambda v: False) if self.on_change else _test(field.kind, spec.op, spec.values)
        )
        # a plain comparison, for the engine to make inline (same result as ``test``)
        self.cmp = CALL
        self.target: Any = spec.values[0] if spec.values else None
        self.rounds = field.kind == "int"
        if not self.on_change and field.kind in ("int", "number") and spec.op in _CMP:
            self.cmp = _CMP[spec.op]
        self.prev_test: Test | None = (
            None if spec.previous is None else _test(field.kind, *spec.previous)
        )
        self.last: object = None
        self.seen = False
        self.phase = 0  # previous rule: 0 condition false, 1 fired, 2 blocked
        self.before: object = None  # the value before the last change (for ``previous``)

    def update(self, vehicle: Vehicle, t: float) -> bool:
        value = self.get(vehicle)
        last = self.last
        self.last = value
        if self.on_change:
            if not self.seen:
                self.seen = True
                result = False
            elif self.alerts:
                result = value is not None and last is not None and bool(value - last)  # type: ignore[operator]
            else:
                result = value != last
        else:
            result = value is not None and self.test(value)
        if self.prev_test is None:
            return result
        if not result:
            self.phase = 0
            return False
        if self.phase == 0:
            self.before = last
            self.phase = 1 if last is not None and self.prev_test(last) else 2
        return self.phase == 1

    def describe(self, vehicle: Vehicle) -> dict[str, Any]:
        spec = self.spec
        value = self.last
        item: dict[str, Any] = {"data": spec.field.name, "trigger": self.name, "kind": "data"}
        if self.alerts:
            active = [a for a in vehicle.alerts if a.active]
            item["value"] = {
                "type": "obj.alert",
                "body": {
                    "objectValues": [
                        {
                            "id": a.id,
                            "type": a.type.value,
                            "severity": a.severity.value,
                            "startedAt": a.started_at.isoformat().replace("+00:00", "Z"),
                        }
                        for a in active
                    ]
                },
            }
        else:
            item["value"] = _string(spec.field.literal(value))
        if spec.previous is not None:
            item["previous"] = spec.field.literal(self.before)
        return _where(item, vehicle)


Evaluator = ZoneEval | TimeEval | DataEval


def evaluator(spec: TriggerSpec) -> Evaluator:
    if isinstance(spec, ZoneSpec):
        return ZoneEval(spec)
    if isinstance(spec, TimeSpec):
        return TimeEval(spec)
    return DataEval(spec)
