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
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from simulator.monitors.params import DataSpec

if TYPE_CHECKING:
    from simulator.monitors.engine import Monitor

STEP, ZONE, TIME, DATA, CHANGE = 0, 1, 2, 3, 4
"""How the engine steps a monitor (``Monitor.fast``): through ``Monitor.step``, or, for a
monitor of one trigger whose expression is its name, inline: a zone, a time window, a
data comparison, an ``onChange`` data trigger with no ``previous`` rule."""

_SIDE = {None: 2, False: 0, True: 1}

Row = tuple[Any, ...]


class Pack:
    """The running monitors of one vehicle as :meth:`MonitorEngine._evaluate` reads them."""

    __slots__ = ("active", "boxes", "count", "rows", "sides")

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


def _row(index: int, monitor: Monitor) -> Row:
    """``(kind, index, monitor, ...)``: what the engine reads of the monitor on a sample.

    - ZONE: the evaluator and the side that makes it true (1 In, 0 Out);
    - TIME: the evaluator;
    - DATA: the evaluator, the field's name, its getter, how it compares, the target
      and whether the value is rounded first;
    - CHANGE: the evaluator and the field's name;
    - STEP: the data fields it reads when it has data triggers only and no ``onChange``
      (unchanged, it cannot change), else None.
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
    return (STEP, index, monitor, monitor.reads)


def data_reads(monitor: Monitor) -> frozenset[str] | None:
    """The fields a monitor of data triggers only, none ``onChange``, reads (its value
    cannot change while they do not); None for any other monitor."""
    triggers = monitor.spec.triggers
    if all(isinstance(t, DataSpec) and t.op != "onChange" for t in triggers):
        return frozenset(t.field.name for t in triggers if isinstance(t, DataSpec))
    return None
