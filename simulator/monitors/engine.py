"""The monitor engine: every data sample of a vehicle evaluated against its monitors.

A monitor's triggers are evaluated on each :class:`~simulator.events.VehicleSample`
of its vehicle, then its boolean expression.  When the expression goes from false
to true the monitor raises an event (``refresh: false``), and so does every change an
``onChange`` trigger sees while the expression holds; while it stays true and
the monitor asked for ``refreshEvent``, a reminder (``refresh: true``) every that
many seconds on the simulator clock; nothing while it stays false.  A monitor
starts from the vehicle's current state when created, replaced or resumed: a
condition that already holds then raises nothing until it goes false and true
again.  A paused monitor evaluates nothing.

Events go on the bus as :class:`~simulator.events.Notification` for the delivery
engine: to the monitor's callback, or (older form) to its own webhook with its
``retryPolicy`` and ``batchNotify``.

Pure domain: the clock, the bus and the fleet; no HTTP.  What an event's
``extensions`` carry is rendered by a function the composition root hands in
(it needs the API's document shapes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from simulator.callbacks.attributes import channel_overrides, scrub_owned_headers
from simulator.errors import InvalidField, NotFound
from simulator.events import CallbackChanged, EventBus, Notification, VehicleSample
from simulator.fleet.enums import IgnitionType, PrivacyState
from simulator.fleet.models import Vehicle
from simulator.monitors.pack import (
    CHANGE,
    DATA,
    STEP,
    TIME,
    WINDOWS,
    ZONE,
    ZONES,
    Pack,
    Row,
    data_reads,
)
from simulator.monitors.params import MAX_MONITORS, DataSpec, MonitorSpec, parse_monitor
from simulator.monitors.persist import MonitorStore
from simulator.monitors.triggers import (
    EQ,
    GT,
    LT,
    DataEval,
    Evaluator,
    TimeEval,
    ZoneEval,
    evaluator,
)

if TYPE_CHECKING:
    from pathlib import Path

    from simulator.clock import Clock, Timer
    from simulator.fleet.registry import Fleet
    from simulator.ids import Ids

log = logging.getLogger(__name__)
MonitorStatus = Literal["Running", "Paused"]
_NONE = PrivacyState.NONE
_STOP = IgnitionType.STOP
ExtensionRenderer = Callable[[Vehicle, Sequence[str], str, float], list[dict[str, Any]]]
"""``(vehicle, extendedEventParam, API base URL, time) -> MonitorEvent.extensions``."""


def _never(vehicle: Vehicle, t: float) -> bool:
    return False


@dataclass(slots=True, eq=False)
class Monitor:
    id: str
    vehicle_id: str
    vin: str
    user_id: str
    client_id: str
    callback_id: str | None  # None: the older form, with its own webhook
    spec: MonitorSpec
    base: str  # the API base URL it was created through (links in extensions)
    created_at: float
    updated_at: float
    status: MonitorStatus = "Running"
    paused: bool = False  # status != Running, read on every sample
    evals: list[Evaluator] = field(default_factory=list)
    values: list[bool] = field(default_factory=list)
    active: bool = False
    overrides: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    pulses: tuple[int, ...] = ()  # the onChange triggers: true only on the sample of a change
    single: bool = False  # one trigger and the expression is its name: the trigger decides
    step: Callable[[Vehicle, float], bool] = _never
    fast: int = STEP  # how the engine steps it (see simulator.monitors.pack)
    sole: Any = None  # the one evaluator of a ``single`` monitor
    reads: frozenset[str] | None = None  # see simulator.monitors.pack.data_reads
    timer: Timer | None = None
    events: int = 0
    last_event_at: float | None = None

    @property
    def legacy(self) -> bool:
        return self.callback_id is None

    def rebuild(self) -> None:
        """(Re)build the evaluators from the spec, forgetting what they saw."""
        spec = self.spec
        self.evals = evals = [evaluator(trigger) for trigger in spec.triggers]
        self.values = values = [False] * len(evals)
        self.active = False
        self.overrides = channel_overrides(spec.attributes, spec.callback_attributes)
        self.pulses = tuple(
            index
            for index, trigger in enumerate(spec.triggers)
            if isinstance(trigger, DataSpec) and trigger.op == "onChange"
        )
        self.single = len(evals) == 1 and spec.expression.text.strip() == evals[0].name
        self.fast = STEP
        self.sole = None
        self.reads = data_reads(self)
        if self.single:
            sole = self.sole = evals[0]
            self.step = sole.update
            if isinstance(sole, ZoneEval):
                self.fast = ZONE
            elif isinstance(sole, TimeEval):
                self.fast = TIME
            elif isinstance(sole, DataEval) and sole.prev_test is None:
                self.fast = CHANGE if sole.on_change else DATA
            return
        expression = spec.expression.fn
        indexed = tuple(enumerate(ev.update for ev in evals))

        def step(vehicle: Vehicle, t: float) -> bool:
            for index, update in indexed:
                values[index] = update(vehicle, t)
            return expression(values)

        self.step = step

    def pulsed(self) -> bool:
        """An onChange trigger saw a change on the latest sample."""
        if self.single:
            return True  # the expression is the trigger: it holds only on a change
        values = self.values
        return any(values[index] for index in self.pulses)


def _inputs(vehicle: Vehicle) -> tuple[bool, float, float, bool]:
    """What the one-trigger monitors read of a sample: whether the vehicle says where
    it is, its longitude and latitude, whether it is in use (ignition on or moving)."""
    state = vehicle.state
    in_use = state.ignition is not _STOP or state.moving
    if state.privacy is _NONE:
        p = state.position
        return True, p.lon, p.lat, in_use
    return False, 0.0, 0.0, in_use


class MonitorEngine:
    def __init__(self, clock: Clock, bus: EventBus, fleet: Fleet, ids: Ids) -> None:
        self.clock = clock
        self.bus = bus
        self.fleet = fleet
        self.ids = ids  # monitor and event ids (seeded)
        self.extensions: ExtensionRenderer | None = None
        self._by_id: dict[str, Monitor] = {}
        self._by_vehicle: dict[str, list[Monitor]] = {}
        # per vehicle, its monitors as _evaluate() reads them, side by side: built on
        # the first sample after a change of its monitors (dropped by every change)
        self._packs: dict[str, Pack] = {}
        self.evaluations = 0  # monitor evaluations done (benchmarks, control API)
        self._store: MonitorStore | None = None
        bus.subscribe(VehicleSample, self._on_sample)
        bus.subscribe(CallbackChanged, self._on_callback)

    # ------------------------------------------------------------ persistence
    def open(self, data_dir: Path) -> None:
        """Keep the monitors in ``data_dir`` and bring back those stored there."""
        self._store = store = MonitorStore(data_dir)
        records = store.load()
        # every stored id, restored or not (a vehicle gone, a spec no longer valid): it
        # stays in the store and must not name a new monitor
        self.ids.claim("monitor", (record["id"] for record in records))
        for record in records:
            vehicle = self.fleet.get(record["vehicle_id"])
            if vehicle is None:
                log.warning("monitor %s: vehicle %s is gone", record["id"], record["vehicle_id"])
                continue
            removed = scrub_owned_headers(record["monitor"])
            if removed:  # accepted before the rule; never sent anyway
                log.warning("monitor %s: header attributes %s dropped: the HTTP layer sets them",
                            record["id"], ", ".join(removed))  # fmt: skip
            try:
                spec = parse_monitor(record["monitor"], legacy=record["callback_id"] is None)
            except InvalidField as exc:
                log.warning("monitor %s no longer valid: %s", record["id"], exc.message)
                continue
            monitor = Monitor(
                record["id"],
                vehicle.id,
                vehicle.vin,
                record["user_id"],
                record["client_id"],
                record["callback_id"],
                spec,
                record["base"],
                record["created_at"],
                record["updated_at"],
                status=record["status"],
                paused=record["status"] != "Running",
            )
            monitor.rebuild()
            self._by_id[monitor.id] = monitor
            self._by_vehicle.setdefault(vehicle.id, []).append(monitor)
            self._packs.pop(vehicle.id, None)
            if not monitor.paused:
                self._prime(monitor, vehicle)
        if self._by_id:
            log.info("restored %d monitors from %s", len(self._by_id), store.path)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _save(self, monitor: Monitor) -> None:
        if self._store is not None:
            self._store.save(
                monitor.id,
                {
                    "id": monitor.id,
                    "vehicle_id": monitor.vehicle_id,
                    "user_id": monitor.user_id,
                    "client_id": monitor.client_id,
                    "callback_id": monitor.callback_id,
                    "base": monitor.base,
                    "status": monitor.status,
                    "created_at": monitor.created_at,
                    "updated_at": monitor.updated_at,
                    "monitor": monitor.spec.monitor,
                },
            )

    # ------------------------------------------------------------ resource
    def create(
        self,
        vehicle: Vehicle,
        user_id: str,
        client_id: str,
        callback_id: str | None,
        spec: MonitorSpec,
        base: str,
    ) -> Monitor:
        mine = self.of_vehicle(vehicle.id, user_id, client_id)
        if len(mine) >= MAX_MONITORS:
            raise InvalidField(
                "monitor",
                f"a vehicle has at most {MAX_MONITORS} monitors per user and client",
            )
        now = self.clock.time()
        mid = self.ids.monitor()
        while mid in self._by_id:  # ids never repeat nor give a claimed one: checked anyway
            mid = self.ids.monitor()
        monitor = Monitor(
            mid,
            vehicle.id,
            vehicle.vin,
            user_id,
            client_id,
            callback_id,
            spec,
            base,
            now,
            now,
        )
        monitor.rebuild()
        self._by_id[monitor.id] = monitor
        self._by_vehicle.setdefault(vehicle.id, []).append(monitor)
        self._packs.pop(vehicle.id, None)
        self._prime(monitor, vehicle)
        self._save(monitor)
        return monitor

    def replace(self, monitor: Monitor, spec: MonitorSpec) -> Monitor:
        self._cancel(monitor)
        monitor.spec = spec
        monitor.updated_at = self.clock.time()
        monitor.rebuild()
        self._packs.pop(monitor.vehicle_id, None)
        vehicle = self.fleet.get(monitor.vehicle_id)
        if vehicle is not None and monitor.status == "Running":
            self._prime(monitor, vehicle)
        self._save(monitor)
        return monitor

    def set_status(self, monitor: Monitor, status: MonitorStatus) -> Monitor:
        if status == monitor.status:
            return monitor
        monitor.status = status
        monitor.paused = status != "Running"
        monitor.updated_at = self.clock.time()
        self._cancel(monitor)
        monitor.active = False
        self._packs.pop(monitor.vehicle_id, None)
        vehicle = self.fleet.get(monitor.vehicle_id)
        if status == "Running" and vehicle is not None:
            monitor.rebuild()  # forget what it saw before the pause
            self._prime(monitor, vehicle)
        self._save(monitor)
        return monitor

    def delete(self, monitor: Monitor) -> None:
        self._cancel(monitor)
        if self._by_id.pop(monitor.id, None) is None:
            return
        if self._store is not None:
            self._store.delete(monitor.id)
        self._packs.pop(monitor.vehicle_id, None)
        siblings = self._by_vehicle.get(monitor.vehicle_id, [])
        if monitor in siblings:
            siblings.remove(monitor)
        if not siblings:
            self._by_vehicle.pop(monitor.vehicle_id, None)

    def reset(self) -> None:
        for monitor in list(self._by_id.values()):
            self._cancel(monitor)
        self._by_id.clear()
        self._by_vehicle.clear()
        self._packs.clear()
        self.evaluations = 0
        if self._store is not None:
            self._store.clear()

    # ------------------------------------------------------------ lookup
    def of_vehicle(
        self, vehicle_id: str, user_id: str, client_id: str, callback_id: str | None = None
    ) -> list[Monitor]:
        """The monitors of a vehicle made by this user and client (through one callback)."""
        return [
            monitor
            for monitor in self._by_vehicle.get(vehicle_id, ())
            if monitor.user_id == user_id
            and monitor.client_id == client_id
            and (callback_id is None or monitor.callback_id == callback_id)
        ]

    def get(
        self,
        vehicle_id: str,
        user_id: str,
        client_id: str,
        monitor_id: str,
        callback_id: str | None = None,
    ) -> Monitor:
        monitor = self._by_id.get(monitor_id)
        if (
            monitor is None
            or monitor.vehicle_id != vehicle_id
            or monitor.user_id != user_id
            or monitor.client_id != client_id
            or (callback_id is not None and monitor.callback_id != callback_id)
        ):
            raise NotFound("monitor")
        return monitor

    def all(self, vehicle_id: str | None = None) -> list[Monitor]:
        if vehicle_id is None:
            return list(self._by_id.values())
        return list(self._by_vehicle.get(vehicle_id, ()))

    def __len__(self) -> int:
        return len(self._by_id)

    # ------------------------------------------------------------ evaluation
    def _on_sample(self, sample: VehicleSample) -> None:
        pack = self._packs.get(sample.vehicle_id)
        if pack is None:
            monitors = self._by_vehicle.get(sample.vehicle_id)
            if not monitors:
                return
            pack = self._packs[sample.vehicle_id] = Pack(monitors)
        vehicle = self.fleet.get(sample.vehicle_id)
        if vehicle is not None:
            self._evaluate(vehicle, pack, sample.at, sample.changed)

    def evaluate(self, vehicle: Vehicle, monitors: Sequence[Monitor], t: float) -> int:
        """Evaluate ``monitors`` (all of ``vehicle``) on its current data; the events raised."""
        self.evaluations += len(monitors)
        self._packs.pop(vehicle.id, None)  # written to the monitors only
        return self._step_all(vehicle, monitors, t)

    def _evaluate(
        self, vehicle: Vehicle, pack: Pack, t: float, changed: frozenset[str] | None
    ) -> int:
        """Evaluate the running monitors of ``vehicle`` on its current data; the events
        raised.  ``changed``: the data fields that may have changed since its previous
        sample (None: any); a data trigger whose field did not change keeps its value.

        The pack's guards (see :mod:`simulator.monitors.pack`) leave out the monitors of
        zones and windows that cannot change: the vehicle is within its zones' reach
        (or does not say where it is), and within its windows' span and as in use as
        when they were evaluated.  Zones evaluated, the vehicle is anchored where it is;
        windows evaluated, their span is kept.  What the one-trigger monitors read is
        read once for all; after an event every monitor left is evaluated as it now is
        (whoever heard it might have changed the vehicle or its monitors), and the
        guards are dropped when the vehicle moved or changed use meanwhile."""
        self.evaluations += pack.count
        inputs = located, lon, lat, in_use = _inputs(vehicle)
        ok = ZONES | WINDOWS
        if located:
            dx = (lon - pack.lon0) * pack.cos0
            dy = lat - pack.lat0
            if dx * dx + dy * dy > pack.reach2:
                ok = WINDOWS
        if in_use is not pack.in_use or (in_use and not pack.t_lo <= t < pack.t_hi):
            ok &= ZONES
        raised = self._rows(vehicle, pack, pack.subsets[ok], t, changed, ok, *inputs)
        if ok == ZONES | WINDOWS and not raised:
            return raised
        if raised and _inputs(vehicle) != inputs:  # a listener moved it, or used it
            pack.reach2 = -1.0
            pack.in_use = None
            return raised
        if not ok & ZONES:
            pack.anchor(lon, lat)
        if not ok & WINDOWS:
            pack.timed(in_use)
        return raised

    def _rows(
        self,
        vehicle: Vehicle,
        pack: Pack,
        rows: tuple[Row, ...],
        t: float,
        changed: frozenset[str] | None,
        ok: int,
        located: bool,
        lon: float,
        lat: float,
        in_use: bool,
    ) -> int:
        """Step ``rows`` of ``pack`` (see :meth:`_evaluate`); the events raised."""
        raised = 0
        sides, active, boxes = pack.sides, pack.active, pack.boxes
        now: bool
        for row in rows:
            kind = row[0]
            pulse = False  # an onChange trigger saw a change: an event even if it held
            if kind == DATA:  # the rows most samples step (the guards leave out the others)
                if changed is not None and row[4] not in changed:
                    continue  # the same value: the same answer (and nothing else read)
                _, i, _, data, _, get, cmp, target, rounds = row
                value: Any = get(vehicle)
                data.last = value
                if value is None:
                    now = False
                elif cmp == GT:
                    now = (round(value) if rounds else value) > target
                elif cmp == LT:
                    now = (round(value) if rounds else value) < target
                elif cmp == EQ:
                    now = (round(value) if rounds else value) == target
                else:
                    now = data.test(value)
            elif kind == ZONE:
                _, i, _, zone, want = row
                side = sides[i]
                if located:
                    b = 8 * i  # outer box (lon_lo, lon_hi, lat_lo, lat_hi), then inner box
                    if not (
                        boxes[b] <= lon <= boxes[b + 1] and boxes[b + 2] <= lat <= boxes[b + 3]
                    ):
                        new = False  # far from the zone: outside, no geometry
                    elif (
                        boxes[b + 4] <= lon <= boxes[b + 5] and boxes[b + 6] <= lat <= boxes[b + 7]
                    ):
                        new = True  # well inside: inside, no geometry
                    else:
                        new = zone.test(lon, lat, zone.inside)
                    if new != side:
                        side = sides[i] = new
                        zone.inside = new
                now = side == want  # a vehicle hiding where it is stays on its side
            elif kind == CHANGE:
                i = row[1]
                now = pulse = (changed is None or row[4] in changed) and row[2].step(vehicle, t)
            elif kind == TIME:
                _, i, _, window = row
                now = in_use and (
                    window.within if window.lo <= t < window.hi else window.in_window(t)
                )
            else:
                _, i, monitor, reads, mask = row
                kept = not reads or (changed is not None and reads.isdisjoint(changed))
                if reads is not None and kept and not mask & ~ok:
                    continue  # its data kept their values, its zones and windows guarded
                now = monitor.step(vehicle, t)
                pulse = now and bool(monitor.pulses) and monitor.pulsed()
            if now == active[i] and not pulse:
                continue  # no transition (a change an onChange trigger sees is one)
            active[i] = now
            self._transition(row[2], vehicle, t, now)
            raised += now
            rest = pack.rows[i + 1 :]  # all of them, as they now are
            if self._packs.get(vehicle.id) is not pack:  # a listener changed its monitors
                return raised + self._step_all(vehicle, [row[2] for row in rest], t)
            return raised + self._rows(vehicle, pack, rest, t, None, 0, *_inputs(vehicle))
        return raised

    def _step_all(self, vehicle: Vehicle, monitors: Sequence[Monitor], t: float) -> int:
        """Step each of ``monitors`` as it is now (no pack); the events raised."""
        raised = 0
        for monitor in monitors:
            if monitor.paused:
                continue
            now = monitor.step(vehicle, t)
            if now is monitor.active and (not now or not monitor.pulses or not monitor.pulsed()):
                continue
            self._transition(monitor, vehicle, t, now)
            raised += now
        return raised

    def _transition(self, monitor: Monitor, vehicle: Vehicle, t: float, now: bool) -> None:
        monitor.active = now
        if monitor.single:
            monitor.values[0] = now
        if now:
            self._emit(monitor, vehicle, t, refresh=False)
            self._schedule_refresh(monitor)
        else:
            self._cancel(monitor)

    def _prime(self, monitor: Monitor, vehicle: Vehicle) -> None:
        """Start from the vehicle's current state, raising nothing."""
        monitor.active = monitor.step(vehicle, self.clock.time())
        if monitor.single:
            monitor.values[0] = monitor.active
        if monitor.active:
            self._schedule_refresh(monitor)

    # ------------------------------------------------------------ events
    def _emit(self, monitor: Monitor, vehicle: Vehicle, t: float, *, refresh: bool) -> None:
        spec = monitor.spec
        event: dict[str, Any] = {
            "monitorId": monitor.id,
            "values": [
                ev.describe(vehicle)
                for ev, holds in zip(monitor.evals, monitor.values, strict=True)
                if holds
            ],
            "extensions": (
                self.extensions(vehicle, spec.extended, monitor.base, t)
                if spec.extended and self.extensions is not None
                else []
            ),
            "refresh": refresh,
        }
        monitor.events += 1
        monitor.last_event_at = t
        self.bus.publish(
            Notification(
                type="Monitor",
                user_id=monitor.user_id,
                client_id=monitor.client_id,
                vin=vehicle.vin,
                raised_at=t,
                event=event,
                callback_id=monitor.callback_id,
                label=spec.label,
                variables={"monitorid": monitor.id, "monitorlabel": spec.label},
                overrides=monitor.overrides,
                inline=spec.inline,
                retry=spec.retry,
                batch_notify=spec.batch,
                event_id=self.ids.event(),
            )
        )

    def _schedule_refresh(self, monitor: Monitor) -> None:
        period = monitor.spec.refresh_s
        if period is None:
            return
        self._cancel(monitor)
        monitor.timer = self.clock.call_later(float(period), lambda: self._remind(monitor))

    def _remind(self, monitor: Monitor) -> None:
        monitor.timer = None
        if (
            self._by_id.get(monitor.id) is not monitor
            or monitor.status != "Running"
            or not monitor.active
        ):
            return
        vehicle = self.fleet.get(monitor.vehicle_id)
        if vehicle is None:
            return
        self._emit(monitor, vehicle, self.clock.time(), refresh=True)
        self._schedule_refresh(monitor)

    @staticmethod
    def _cancel(monitor: Monitor) -> None:
        if monitor.timer is not None:
            monitor.timer.cancel()
            monitor.timer = None

    def _on_callback(self, change: CallbackChanged) -> None:
        if change.change == "deleted":
            doomed = [m for m in self._by_id.values() if m.callback_id == change.callback_id]
        elif change.change == "cleared":
            doomed = [m for m in self._by_id.values() if m.callback_id is not None]
        else:
            return
        for monitor in doomed:  # the reference: deleting a callback deletes its monitors
            self.delete(monitor)
