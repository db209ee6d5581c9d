"""A vehicle's monitors as the engine's hot path reads them: side by side in memory.

With ten thousand vehicles of ten monitors each, a sample costs more in reading
memory than in computing: the monitor objects, their evaluators and their shapes of
one vehicle are spread over the heap, a cache miss each.  A :class:`Pack` gathers,
for one vehicle, what deciding "nothing happens" needs, built in one go on the
first sample after its monitors changed (so its parts are allocated together):

- one row per running monitor, a tuple: how it is stepped, its index, the monitor,
  and for a one-trigger monitor its evaluator and what it compares with (a data
  trigger's field, getter and target);
- the boxes of its one-zone monitors in one array of floats, eight per row: the box
  outside which the vehicle is outside and the one inside which it is inside, whatever
  side it was on (a zone's geometry is only computed between the two);
- two byte arrays indexed by row: the side of each one-zone monitor's vehicle
  (0 outside, 1 inside, 2 not known yet) and each monitor's current value (the
  engine writes both through to the objects on every change).

The objects stay the truth: any change of a vehicle's monitors (created, replaced,
paused, resumed, deleted, evaluated elsewhere) drops its pack, rebuilt from them.

Guards: most samples change nothing a zone or a time window looks at, and reading the
rows of those monitors at all costs most of what they cost.  A pack keeps, for its
vehicle as a whole:

- an anchor (where its zones were last evaluated) and a reach: within it, in the
  anchor's equirectangular plane, no zone of the vehicle can change side (the least
  :meth:`~simulator.monitors.geometry.Circle.reach_deg` of its zones, computed when they
  were evaluated there); negative when not known (a pack just built, a side unknown);
- the instants within which every time window of the vehicle keeps its answer
  (``t_lo <= t < t_hi``) and whether the vehicle was in use then (None: not known).

A sample that stays within both evaluates the rows of :attr:`subsets` ``[3]``: neither
its one-zone or one-window monitors nor the two-trigger ones made only of zones and
windows (the data rows, and those mixing data with zones or windows, which are then
stepped only when a field they read changed).  ``subsets[1]`` skips the zones only,
``subsets[2]`` the windows only, ``subsets[0]`` is every row.  The engine re-anchors
after evaluating the zones, and drops a guard when an event's listener moved the
vehicle (or put it in use) in the middle of a sample.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from math import cos, inf, pi, sqrt
from typing import TYPE_CHECKING, Any

from simulator.monitors.params import DataSpec
from simulator.monitors.triggers import DataEval, TimeEval, ZoneEval

if TYPE_CHECKING:
    from simulator.monitors.engine import Monitor

STEP, ZONE, TIME, DATA, CHANGE = 0, 1, 2, 3, 4
"""How the engine steps a monitor (``Monitor.fast``): through ``Monitor.step``, or, for a
monitor of one trigger whose expression is its name, inline: a zone, a time window, a
data comparison, an ``onChange`` data trigger with no ``previous`` rule."""

_SIDE = {None: 2, False: 0, True: 1}
_RAD = pi / 180.0
ZONES, WINDOWS = 1, 2
"""The guards of a sample (bits): the vehicle is within its zones' reach, within its
time windows' span."""

Row = tuple[Any, ...]


class Pack:
    """The running monitors of one vehicle as :meth:`MonitorEngine._evaluate` reads them."""

    __slots__ = (
        "active",
        "balls",
        "boxes",
        "cos0",
        "count",
        "in_use",
        "lat0",
        "lon0",
        "reach2",
        "rows",
        "sides",
        "subsets",
        "t_hi",
        "t_lo",
        "windows",
        "zones",
    )

    def __init__(self, monitors: Sequence[Monitor]) -> None:
        self.count = len(monitors)  # paused ones included: evaluations counted as before
        running = [monitor for monitor in monitors if not monitor.paused]
        self.rows: tuple[Row, ...] = tuple(_row(i, m) for i, m in enumerate(running))
        self.sides = bytearray(_SIDE[m.sole.inside] if m.fast == ZONE else 2 for m in running)
        self.active = bytearray(m.active for m in running)
        boxes = array("d")
        for m in running:
            if m.fast == ZONE:
                z = m.sole
                boxes.extend((z.lon_lo, z.lon_hi, z.lat_lo, z.lat_hi, *z.inner))
            else:
                boxes.extend((0.0,) * 8)
        self.boxes = boxes
        zones: list[ZoneEval] = []
        windows: list[TimeEval] = []
        masks: list[int] = []
        for m in running:
            mask = guards(m)
            masks.append(mask)
            if mask:
                zones += (ev for ev in m.evals if isinstance(ev, ZoneEval))
                windows += (ev for ev in m.evals if isinstance(ev, TimeEval))
        self.zones = tuple(zones)
        # each zone's own reach (see anchor): lon, lat, cos(lat), reach, side (-1: none)
        self.balls = array("d", (0.0, 0.0, 1.0, -1.0, -1.0) * len(zones))
        self.windows = tuple(windows)
        # rows[i] is skipped when its guards all hold and it reads no data field
        self.subsets = tuple(
            tuple(
                row
                for row, mask in zip(self.rows, masks, strict=True)
                if not mask or mask & ~ok or (row[0] == STEP and row[3])
            )
            for ok in range(4)
        )
        self.lon0 = self.lat0 = 0.0
        self.cos0 = 1.0
        self.reach2 = inf if not zones else -1.0  # no zones: nothing to guard
        self.in_use: bool | None = None
        self.t_lo, self.t_hi = -inf, inf

    def anchor(self, lon: float, lat: float) -> None:
        """The zones were all evaluated at ``(lon, lat)``: guard them from there.

        Each zone keeps its own reach, anchored where it was computed, as long as its
        side stays: from a point within it, what is left of it is a reach too (the
        triangle inequality in the old anchor's plane, scaled down to the new one's), so
        only the zones whose reach the vehicle left are measured again."""
        reach = inf
        c = cos(lat * _RAD)
        balls = self.balls
        b = 0
        for zone in self.zones:
            side = zone.inside
            if side is None:
                reach = -1.0
                break
            r = balls[b + 3]
            if balls[b + 4] == side and r > 0.0:
                dx = (lon - balls[b]) * balls[b + 2]
                dy = lat - balls[b + 1]
                left = r - sqrt(dx * dx + dy * dy)
                r = left / max(1.0, balls[b + 2] / c) if left > 0.0 else -1.0
            else:
                r = -1.0
            if r <= 0.0:  # measured again, from here
                r = zone.shape.reach_deg(lon, lat, side)
                balls[b : b + 5] = array("d", (lon, lat, c, r, side))
            if r < reach:
                reach = r
            b += 5
        self.lon0, self.lat0, self.cos0 = lon, lat, c
        self.reach2 = reach * reach if reach > 0.0 else -1.0

    def timed(self, in_use: bool) -> None:
        """The windows were all evaluated with the vehicle ``in_use`` or not."""
        self.in_use = in_use
        if in_use:
            self.t_lo = max((w.lo for w in self.windows), default=-inf)
            self.t_hi = min((w.hi for w in self.windows), default=inf)


def guards(monitor: Monitor) -> int:
    """The guards that can settle ``monitor`` (bits ZONES, WINDOWS): 0 unless it is made
    of zones, windows and data triggers that are not ``onChange`` (these keep their
    value while their field does), with at least one zone or window."""
    mask = 0
    for ev in monitor.evals:
        if isinstance(ev, ZoneEval):
            mask |= ZONES
        elif isinstance(ev, TimeEval):
            mask |= WINDOWS
        elif not isinstance(ev, DataEval) or ev.on_change:
            return 0
    return mask


def _row(index: int, monitor: Monitor) -> Row:
    """``(kind, index, monitor, ...)``: what the engine reads of the monitor on a sample.

    - ZONE: the evaluator and the side that makes it true (1 In, 0 Out);
    - TIME: the evaluator;
    - DATA: the evaluator, the field's name, its getter, how it compares, the target
      and whether the value is rounded first;
    - CHANGE: the evaluator and the field's name;
    - STEP: the data fields it reads when it has data triggers only and no ``onChange``
      (unchanged, it cannot change), or zones, windows and such data triggers (then
      unchanged and within its guards, it cannot change), else None; then its guards
      (see :func:`guards`; 0 for data triggers only).
    """
    kind = monitor.fast
    sole = monitor.sole
    if kind == ZONE:
        want = 1 if sole.want_in else 0
        return (ZONE, index, monitor, sole, want)
    if kind == TIME:
        return (TIME, index, monitor, sole)
    if kind == DATA:
        name = sole.spec.field.name
        return (DATA, index, monitor, sole, name, sole.get, sole.cmp, sole.target, sole.rounds)
    if kind == CHANGE:
        return (CHANGE, index, monitor, sole, sole.spec.field.name)
    mask = guards(monitor)
    if mask:  # zones, windows and data: the data fields it reads, and its guards
        reads = frozenset(ev.spec.field.name for ev in monitor.evals if isinstance(ev, DataEval))
        return (STEP, index, monitor, reads, mask)
    return (STEP, index, monitor, monitor.reads, 0)


def data_reads(monitor: Monitor) -> frozenset[str] | None:
    """The fields a monitor of data triggers only, none ``onChange``, reads (its value
    cannot change while they do not); None for any other monitor."""
    triggers = monitor.spec.triggers
    if all(isinstance(t, DataSpec) and t.op != "onChange" for t in triggers):
        return frozenset(t.field.name for t in triggers if isinstance(t, DataSpec))
    return None
