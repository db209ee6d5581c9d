"""The one in-process event bus between the domain and delivery.

Domain code (callbacks, remotes, monitors, the fleet) publishes plain
objects; delivery and the monitor engine subscribe by type.  Handlers run
synchronously, in subscription order, on the publisher's thread (always the
simulator's event loop): a handler that needs I/O schedules it.

The event types that cross the bus live here too, so neither side imports
the other.  What an event carries for its delivery (an older-form monitor's own
webhook, its retry policy and batching) are the callbacks' channel values
(:mod:`simulator.callbacks.channels`); what they mean is delivery's rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypeVar

from simulator.callbacks.channels import BatchNotify, InlineWebhook, RetryPolicy

E = TypeVar("E")

NotificationType = Literal["Remote", "Monitor"]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Callable[[Any], None]]] = {}

    def subscribe(self, kind: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Call ``handler(event)`` for every published ``kind``; returns the unsubscriber."""
        handlers = self._handlers.setdefault(kind, [])
        handlers.append(handler)
        return lambda: handlers.remove(handler)

    def publish(self, event: object) -> None:
        for handler in tuple(self._handlers.get(type(event), ())):
            handler(event)


@dataclass(slots=True)
class Notification:
    """One event for an integrator: a remote's status change or a monitor's trigger.

    ``event`` is the ``remoteEvent`` / ``monitorEvent`` member of the message;
    ``variables`` holds the per-event ``$variables`` (lower-cased names,
    e.g. ``remotetype``); ``overrides`` per channel the attributes that add to
    or replace the callback's, by key.  ``callback_id`` names a registered
    callback; ``inline`` is set instead for the older monitor form, with its
    ``retry`` policy and ``batch_notify`` (the default ``retry``: the real API's
    rule).  ``event_id`` (the message's ``eventId``) comes from the simulator's
    seeded ids (``Ids.event()``).
    """

    type: NotificationType
    user_id: str
    client_id: str
    vin: str
    raised_at: float  # simulator clock, POSIX seconds
    event: dict[str, Any]
    callback_id: str | None = None
    label: str | None = None  # the remote's or monitor's label
    variables: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    inline: InlineWebhook | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    batch_notify: BatchNotify | None = None
    event_id: str = field(kw_only=True)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Notification:
        values = dict(data)
        inline = values.pop("inline", None)
        retry = values.pop("retry", None)
        batch = values.pop("batch_notify", None)
        return cls(
            **values,
            inline=(
                InlineWebhook(inline["target"], inline["name"], tuple(inline.get("attributes", ())))
                if inline
                else None
            ),
            retry=RetryPolicy(**retry) if retry else RetryPolicy(),
            batch_notify=BatchNotify(**batch) if batch else None,
        )


@dataclass(frozen=True, slots=True)
class CallbackChanged:
    """A callback was created, replaced, paused, resumed or deleted."""

    callback_id: str
    change: Literal["created", "replaced", "status", "deleted", "cleared"]


@dataclass(frozen=True, slots=True)
class VehicleSample:
    """A vehicle reported its data (the read endpoints now serve it)."""

    vehicle_id: str
    vin: str
    at: float  # simulator clock
    cause: str
    # the data fields (monitor field names, e.g. ``vehicle.kinetic.speed``) whose value
    # may differ from the vehicle's previous sample; None: unknown, any may have changed
    changed: frozenset[str] | None = None


@dataclass(slots=True)  # not frozen: one per event delivered (a frozen init costs 5x)
class DeliveryAttempted:
    """What became of one event on one channel: an attempt (``delivered``, ``failed``
    with its ``next_retry`` or None when no try is left), or the end of its delivery
    (``dead-lettered``, ``dropped``, ``undelivered``), or a dead letter queued again
    (``replayed``).  ``target`` is the raw address (whoever shows it redacts it)."""

    event_id: str
    callback_id: str | None
    vin: str
    type: str  # Remote | Monitor
    channel: str  # webhook | websocket | pushnotif
    target: str
    at: float  # simulator clock
    outcome: str  # simulator.delivery.journal.Outcome, or "replayed"
    attempt: int
    http_status: int | None = None
    error: str | None = None
    latency_ms: float | None = None
    next_retry: float | None = None
    batch_size: int = 1


@dataclass(frozen=True, slots=True)
class DeliveriesAttempted:
    """What one journal write keeps (a batch's attempts, a lane's dropped events, one
    replay), published at once: whoever reads it takes each attempt, in order."""

    attempts: tuple[DeliveryAttempted, ...]


ClockChange = Literal["advanced", "paused", "resumed", "speed", "set", "reset"]


@dataclass(frozen=True, slots=True)
class ClockChanged:
    """The simulator clock was paused, resumed, sped up or advanced (``seconds`` from
    ``before``), or the simulator was reset."""

    change: ClockChange
    at: float  # simulator clock, after the change
    seconds: float | None = None
    before: float | None = None


@dataclass(frozen=True, slots=True)
class ScenarioProgress:
    """The scenario being played moved on: a step done (or refused), an expectation
    decided."""

    file: str
    at: float
    step: int  # steps done
    steps: int
    held: int
    failed: int
    pending: int
    message: str
