"""The one in-process event bus between the domain and delivery.

Domain code (callbacks, remotes, monitors, the fleet) publishes plain
objects; delivery and the monitor engine subscribe by type.  Handlers run
synchronously, in subscription order, on the publisher's thread (always the
simulator's event loop): a handler that needs I/O schedules it.

The event types that cross the bus live here too, so neither side imports
the other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypeVar

E = TypeVar("E")

NotificationType = Literal["Remote", "Monitor"]
Channel = Literal["webhook", "websocket", "pushnotif"]
CHANNELS: tuple[Channel, ...] = ("webhook", "websocket", "pushnotif")

B2C_RETRY_DELAY = 10.0
RETENTION = 72 * 3600.0


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


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When a failed delivery is tried again.

    ``B2C`` is the real API's rule: every 10 s until 72 h after the event was
    raised.  The older monitor form's policies: ``None`` (one retry),
    ``Bounded`` (up to ``max_retries``), ``Always`` (until 72 h); each waits
    ``delay`` seconds between tries.
    """

    policy: Literal["B2C", "None", "Bounded", "Always"] = "B2C"
    max_retries: int = 0
    delay: float = B2C_RETRY_DELAY

    def retries_allowed(self) -> int | None:
        """How many retries after the first attempt (None: until the retention ends)."""
        if self.policy == "None":
            return 1
        if self.policy == "Bounded":
            return self.max_retries
        return None


@dataclass(frozen=True, slots=True)
class BatchNotify:
    """The older monitor form's batching: send ``size`` events at once, or what is
    there ``time_window`` seconds after the first."""

    size: int
    time_window: float


@dataclass(frozen=True, slots=True)
class InlineWebhook:
    """The older monitor form's own webhook (``subscribeParam.callback``)."""

    target: str
    name: str
    attributes: tuple[Mapping[str, str], ...] = ()


@dataclass(slots=True)
class Notification:
    """One event for an integrator: a remote's status change or a monitor's trigger.

    ``event`` is the ``remoteEvent`` / ``monitorEvent`` member of the message;
    ``variables`` holds the per-event ``$variables`` (lower-cased names,
    e.g. ``remotetype``); ``overrides`` per channel the attributes that add to
    or replace the callback's, by key.  ``callback_id`` names a registered
    callback; ``inline`` is set instead for the older monitor form.  ``event_id`` (the
    message's ``eventId``) comes from the simulator's seeded ids (``Ids.event()``).
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
    retry: RetryPolicy = RetryPolicy()
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
