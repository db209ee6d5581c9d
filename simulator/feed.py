"""The live event feed (``GET /simulator/v1/events``, the live view's timeline): what
crosses the bus, as numbered JSON-ready dicts without any secret.

The feed subscribes to the bus (samples, remote steps, monitor events, delivery
attempts, clock changes, scenario progress, callback changes), numbers each event
(ids strictly increase for the life of the process; a reset does not start them
again) and keeps the last :data:`CAPACITY` in a ring buffer.  Readers are cursors on
that buffer: publishing only appends and wakes them, so a slow reader never holds the
simulator up; one that falls more than the buffer behind is told of the gap.

Publishing must cost the simulator next to nothing (a living fleet makes thousands of
samples an hour, a busy callback thousands of deliveries a second): an event is kept as
what it was published with (a sample as a tuple of the few values it shows, a remote
step or a delivery attempt as its immutable bus event, with what may change later, such
as the vehicle id of a VIN, read at once); its dict is built only when someone reads it.

No aiohttp here: the HTTP side is :mod:`simulator.control.events`.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from simulator.events import (
    CallbackChanged,
    ClockChanged,
    DeliveriesAttempted,
    DeliveryAttempted,
    EventBus,
    Notification,
    ScenarioProgress,
    VehicleSample,
)
from simulator.fleet.enums import ChargingStatus, Motorization
from simulator.logs import redact_url

if TYPE_CHECKING:
    from simulator.clock import Clock
    from simulator.fleet.models import Vehicle
    from simulator.fleet.registry import Fleet

CAPACITY: Final = 5000
KINDS: Final = ("sample", "remote", "monitor", "delivery", "clock", "scenario", "callback")
_CHANNELS: Final = {"pushnotif": "push"}
_OUTCOMES: Final = {"dead-lettered": "deadLettered"}


def iso(ts: float) -> str:
    """``2026-03-02T07:10:00Z`` (milliseconds when not a whole second)."""
    moment = datetime.fromtimestamp(ts, UTC)
    spec = "seconds" if moment.microsecond == 0 else "milliseconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


# ------------------------------------------------------------------ vehicles
def vehicle_state(vehicle: Vehicle) -> str:
    """``stolen``, ``offline``, ``driving``, ``charging`` or ``parked`` (the map's colour)."""
    state = vehicle.state
    if state.stolen:
        return "stolen"
    if not state.online:
        return "offline"
    if state.moving or state.speed_kmh > 0:
        return "driving"
    electric = state.electric
    if electric is not None and electric.charging.status is ChargingStatus.IN_PROGRESS:
        return "charging"
    return "parked"


def energy_level(vehicle: Vehicle) -> float | None:
    """The main energy's level in percent: the battery of an electric car, else the fuel."""
    state = vehicle.state
    first, second = (
        (state.electric, state.fuel)
        if vehicle.model.motorization is Motorization.ELECTRIC
        else (state.fuel, state.electric)
    )
    energy = first or second
    return None if energy is None else round(energy.level, 1)


def asleep(vehicle: Vehicle, now: datetime) -> bool:
    """Remotes would have to wake it (as the remote behaviour reports it)."""
    state = vehicle.state
    until = state.awake_until
    return not (state.stolen or (until is not None and until > now))


def vehicle_view(vehicle: Vehicle, now: datetime) -> dict[str, Any]:
    """One vehicle of ``GET /simulator/v1/fleet``."""
    state = vehicle.state
    position = state.position
    return {
        "id": vehicle.id,
        "vin": vehicle.vin,
        "label": vehicle.model.label,
        "owner": vehicle.owner,
        "brand": vehicle.brand,
        "motorization": str(vehicle.model.motorization),
        "latitude": position.lat,
        "longitude": position.lon,
        "heading": position.heading,
        "speedKmh": round(state.speed_kmh, 1),
        "state": vehicle_state(vehicle),
        "asleep": asleep(vehicle, now),
        "energyLevel": energy_level(vehicle),
        "odometerKm": round(state.mileage_km, 1),
        "city": vehicle.home.name,
    }


# ------------------------------------------------------------------ entries
_SAMPLE_KEYS: Final = (
    "vin", "vehicleId", "cause", "latitude", "longitude", "heading", "speedKmh", "state",
    "energyLevel", "odometerKm",
)  # fmt: skip


Builder = Callable[[Any], dict[str, Any]]
"""Makes an event's dict of what was published (when someone reads it)."""


def _sample_data(raw: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(_SAMPLE_KEYS, raw, strict=True))


class Entry:
    """One numbered event: its kind, VIN (for the filter), and its data (a dict, or what
    was published and the function making the dict of it, until someone reads it)."""

    __slots__ = ("at", "build", "id", "kind", "raw", "vin")

    def __init__(self, id: int, kind: str, at: float, vin: str | None, raw: Any,
                 build: Builder | None = None) -> None:  # fmt: skip
        self.id = id
        self.kind = kind
        self.at = at
        self.vin = vin
        self.raw = raw
        self.build = build

    def data(self) -> dict[str, Any]:
        """The event as the stream sends it (built once)."""
        build = self.build
        if build is not None:
            self.raw = {"id": self.id, "kind": self.kind, "at": iso(self.at), **build(self.raw)}
            self.build = None
        return self.raw  # type: ignore[no-any-return]


class Reader:
    """A cursor on the feed: what it has not read yet, filtered by kinds and VINs."""

    def __init__(self, feed: Feed, after: int, kinds: frozenset[str], vins: frozenset[str]):
        self.feed = feed
        self.after = after
        self.kinds = kinds
        self.vins = vins
        self.wake = asyncio.Event()
        self.closed = False

    def wants(self, entry: Entry) -> bool:
        return (not self.kinds or entry.kind in self.kinds) and (
            not self.vins or entry.vin in self.vins
        )

    def read(self) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """What came since the last read: the ``gap`` event when some of it is no longer
        kept (``from``: the last id read, ``oldest``: the oldest kept), and the events
        this reader wants, oldest first."""
        self.wake.clear()
        missed, entries = self.feed.since(self.after)
        gap = None
        if missed:
            gap = {"kind": "gap", "from": self.after, "oldest": self.feed.oldest_id}
        if entries:
            self.after = entries[-1].id
        elif missed:
            self.after = self.feed.last_id
        return gap, [entry.data() for entry in entries if self.wants(entry)]

    def close(self) -> None:
        self.closed = True
        self.feed.readers.discard(self)
        self.wake.set()


def _note_data(raw: tuple[Notification, str | None]) -> dict[str, Any]:
    """A remote's step or a monitor's event, as the stream shows it."""
    note, vehicle_id = raw
    event = note.event
    common = {"vin": note.vin, "vehicleId": vehicle_id, "callbackId": note.callback_id,
              "label": note.label, "eventId": note.event_id}  # fmt: skip
    if note.type != "Remote":
        return {**common, "monitorId": event.get("monitorId"), "event": event}
    status = event.get("eventStatus") or {}
    return {
        **common,
        "remoteActionId": event.get("remoteActionId"),
        "type": event.get("remoteType"),
        "status": status.get("type"),  # Pending, Done, Failed...
        "detail": status.get("status"),  # Accepted, WakingUpVehicle, AlreadyDone...
        "failureCause": status.get("failureCause"),
    }


def _delivery_data(raw: tuple[DeliveryAttempted, str | None]) -> dict[str, Any]:
    """A delivery attempt as the stream shows it: the target and error redacted."""
    attempt, vehicle_id = raw
    target = redact_url(attempt.target) if attempt.target else ""
    error = attempt.error
    if error and attempt.target and attempt.target in error:
        error = error.replace(attempt.target, target)
    return {
        "eventId": attempt.event_id,
        "callbackId": attempt.callback_id,
        "vin": attempt.vin,
        "vehicleId": vehicle_id,
        "type": attempt.type,
        "channel": _CHANNELS.get(attempt.channel, attempt.channel),
        "target": target,
        "attempt": attempt.attempt,
        "httpStatus": attempt.http_status,
        "error": error,
        "outcome": _OUTCOMES.get(attempt.outcome, attempt.outcome),
        "nextRetry": iso(attempt.next_retry) if attempt.next_retry is not None else None,
        "latencyMs": round(attempt.latency_ms, 1) if attempt.latency_ms is not None else None,
    }


class Feed:
    """The bus's events, numbered, kept and handed to readers."""

    def __init__(self, bus: EventBus, clock: Clock, fleet: Fleet, capacity: int = CAPACITY) -> None:
        self.clock = clock
        self.fleet = fleet
        self.buffer: deque[Entry] = deque(maxlen=capacity)
        self.readers: set[Reader] = set()
        self._ids = itertools.count(1)
        self.last_id = 0
        self.scenario_file: str | None = None
        handlers: Iterable[tuple[type, Callable[[Any], None]]] = (
            (VehicleSample, self._sample),
            (Notification, self._notification),
            (DeliveriesAttempted, self._deliveries),
            (ClockChanged, self._clock),
            (ScenarioProgress, self._scenario),
            (CallbackChanged, self._callback),
        )
        for kind, handler in handlers:
            bus.subscribe(kind, handler)

    # ------------------------------------------------------------ reading
    def reader(
        self,
        after: int | None,
        kinds: Iterable[str] = (),
        vins: Iterable[str] = (),
    ) -> Reader:
        """A new reader of what comes after event ``after`` (None: from now on)."""
        reader = Reader(self, self.last_id if after is None else after, frozenset(kinds),
                        frozenset(vins))  # fmt: skip
        self.readers.add(reader)
        return reader

    def close_readers(self) -> None:
        """End every reader (the server stops: open streams end at once)."""
        for reader in list(self.readers):
            reader.close()

    def since(self, after: int) -> tuple[bool, list[Entry]]:
        """Whether events after id ``after`` were missed (no longer kept, or ``after`` is
        no id of this process), and the kept events after it."""
        buffer = self.buffer
        if after > self.last_id:  # an id of an earlier process: all we have is new
            return True, list(buffer)
        if not buffer:
            return False, []
        oldest = buffer[0].id
        if after + 1 < oldest:
            return True, list(buffer)
        return False, list(itertools.islice(buffer, after + 1 - oldest, None))

    @property
    def oldest_id(self) -> int:
        return self.buffer[0].id if self.buffer else self.last_id + 1

    # ------------------------------------------------------------ intake
    def _add(self, kind: str, at: float, vin: str | None, raw: Any,
             build: Builder | None = None) -> None:  # fmt: skip
        """Keep an event: ``raw`` its dict, or what ``build`` makes it of when read."""
        number = self.last_id = next(self._ids)
        if build is None:
            raw = {"id": number, "kind": kind, "at": iso(at), **raw}
        self.buffer.append(Entry(number, kind, at, vin, raw, build))
        for reader in self.readers:
            reader.wake.set()

    def _sample(self, sample: VehicleSample) -> None:
        vehicle = self.fleet.get(sample.vehicle_id)
        if vehicle is None:
            return
        state = vehicle.state
        position = state.position
        values = (
            sample.vin, sample.vehicle_id, sample.cause, position.lat, position.lon,
            position.heading, round(state.speed_kmh, 1), vehicle_state(vehicle),
            energy_level(vehicle), round(state.mileage_km, 1),
        )  # fmt: skip
        self._add("sample", sample.at, sample.vin, values, _sample_data)

    def _vehicle_id(self, vin: str) -> str | None:
        vehicle = self.fleet.by_vin(vin)
        return None if vehicle is None else vehicle.id

    def _notification(self, note: Notification) -> None:
        kind = "remote" if note.type == "Remote" else "monitor"
        self._add(kind, note.raised_at, note.vin, (note, self._vehicle_id(note.vin)), _note_data)

    def _deliveries(self, batch: DeliveriesAttempted) -> None:
        for attempt in batch.attempts:
            vehicle_id = self._vehicle_id(attempt.vin)
            self._add("delivery", attempt.at, attempt.vin, (attempt, vehicle_id), _delivery_data)

    def _clock(self, change: ClockChanged) -> None:
        clock = self.clock
        data: dict[str, Any] = {
            "now": iso(change.at),
            "speed": clock.speed,
            "paused": clock.paused,
            "mode": clock.mode.value,
            "change": change.change,
        }
        if change.seconds is not None:
            data["seconds"] = change.seconds
        if change.before is not None:
            data["from"] = iso(change.before)
        self._add("clock", change.at, None, data)

    def _scenario(self, progress: ScenarioProgress) -> None:
        data = {
            "file": progress.file,
            "step": progress.step,
            "steps": progress.steps,
            "held": progress.held,
            "failed": progress.failed,
            "pending": progress.pending,
            "message": progress.message,
        }
        self._add("scenario", progress.at, None, data)

    def _callback(self, change: CallbackChanged) -> None:
        data = {"callbackId": change.callback_id, "change": change.change}
        self._add("callback", self.clock.time(), None, data)
