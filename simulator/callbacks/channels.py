"""A callback's channels as typed values, and the older monitor form's own webhook.

The API validates a subscription (``CallbackSubscribe``) and stores its canonical
JSON form, which it serves back as is; :meth:`Channels.from_subscription` reads that
form once into the frozen values below, which delivery uses.  Each channel says
where it sends (:attr:`address`), with which attributes, and how many events go in
one send.

The older monitor form (``subscribeParam.callback``) has no callback: its events carry
their own :class:`InlineWebhook`, with the :class:`RetryPolicy` and
:class:`BatchNotify` the monitor asked for (what they mean for delivery is the
delivery's rule: :mod:`simulator.delivery.retry`).

Nothing here imports the rest of the simulator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

ChannelName = Literal["webhook", "websocket", "pushnotif"]
CHANNELS: tuple[ChannelName, ...] = ("webhook", "websocket", "pushnotif")
PUSH_BATCH = 100
"""Events handed to the push service at once."""


@dataclass(frozen=True, slots=True)
class Attr:
    """One routing attribute: where it goes (``Header``, ``Query`` or ``Body``), its key,
    and its value (a literal, or a ``$variable`` expanded per event)."""

    type: str
    key: str
    value: str

    @property
    def variable(self) -> bool:
        return self.value.startswith("$")

    @classmethod
    def of(cls, item: Mapping[str, str]) -> Attr:
        return cls(item.get("type", "Body"), item["key"], item["value"])


def attrs(items: Iterable[Mapping[str, str]]) -> tuple[Attr, ...]:
    return tuple(Attr.of(item) for item in items)


@dataclass(frozen=True, slots=True)
class Batch:
    enabled: bool = True
    size: int = 100


def _vin_query(attributes: tuple[Attr, ...]) -> bool:
    """A ``$vin`` query parameter: one event per request (the URL names the vehicle)."""
    return any(a.type == "Query" and a.value.lower() == "$vin" for a in attributes)


@dataclass(frozen=True, slots=True)
class WebhookChannel:
    target: str
    name: str
    batch: Batch | None = None
    attributes: tuple[Attr, ...] = ()

    @property
    def address(self) -> str:
        return self.target

    @property
    def batched(self) -> bool:
        """The body is an array of messages."""
        return self.batch is not None and self.batch.enabled and not _vin_query(self.attributes)

    @property
    def limit(self) -> int:
        """The most events in one send."""
        return self.batch.size if self.batch is not None and self.batched else 1


@dataclass(frozen=True, slots=True)
class WebsocketChannel:
    target: str
    batch: Batch | None = None
    attributes: tuple[Attr, ...] = ()

    @property
    def address(self) -> str:
        return self.target

    @property
    def batched(self) -> bool:
        return self.batch is not None and self.batch.enabled

    @property
    def limit(self) -> int:
        if self.batch is None or not self.batched or _vin_query(self.attributes):
            return 1
        return self.batch.size


@dataclass(frozen=True, slots=True)
class PushChannel:
    devices: tuple[str, ...]
    attributes: tuple[Attr, ...] = ()

    @property
    def address(self) -> str:
        return ",".join(self.devices)

    @property
    def batched(self) -> bool:
        return False

    @property
    def limit(self) -> int:
        return PUSH_BATCH


Channel: TypeAlias = WebhookChannel | WebsocketChannel | PushChannel


def _batch(spec: Mapping[str, Any]) -> Batch | None:
    batch = spec.get("batch")
    if not batch:
        return None
    return Batch(bool(batch.get("enabled", True)), int(batch.get("size", 100)))


@dataclass(frozen=True, slots=True)
class Channels:
    """The channels of one callback (at least one)."""

    webhook: WebhookChannel | None = None
    websocket: WebsocketChannel | None = None
    pushnotif: PushChannel | None = None
    names: tuple[ChannelName, ...] = field(init=False, repr=False, compare=False)
    """The channels defined, in the reference's order (read for every event)."""

    def __post_init__(self) -> None:
        names = tuple(name for name in CHANNELS if getattr(self, name) is not None)
        object.__setattr__(self, "names", names)

    def get(self, name: ChannelName) -> Channel | None:
        found: Channel | None = getattr(self, name)
        return found

    @classmethod
    def from_subscription(cls, subscription: Mapping[str, Any]) -> Channels:
        """From a subscription's canonical form (``{"label", "type", "callback"}``)."""
        spec: Mapping[str, Any] = subscription.get("callback") or {}
        webhook = spec.get("webhook")
        websocket = spec.get("websocket")
        push = spec.get("pushnotif")
        return cls(
            webhook=WebhookChannel(
                str(webhook["target"]),
                str(webhook.get("name", "")),
                _batch(webhook),
                attrs(webhook.get("attributes", ())),
            )
            if webhook
            else None,
            websocket=WebsocketChannel(
                str(websocket["target"]), _batch(websocket), attrs(websocket.get("attributes", ()))
            )
            if websocket
            else None,
            pushnotif=PushChannel(
                tuple(str(d) for d in push.get("devices", ())), attrs(push.get("attributes", ()))
            )
            if push
            else None,
        )


# ------------------------------------------------------------------ the older monitor form
@dataclass(frozen=True, slots=True)
class InlineWebhook:
    """The older monitor form's own webhook (``subscribeParam.callback``); its attributes
    as given (``{type, key, value}``)."""

    target: str
    name: str
    attributes: tuple[Mapping[str, str], ...] = ()

    @property
    def attrs(self) -> tuple[Attr, ...]:
        return attrs(self.attributes)

    def channel(self, batch: BatchNotify | None) -> WebhookChannel:
        """As a webhook channel: an array of up to ``batch.size`` messages per POST when
        the monitor batches, else one message.  (Its attributes come with each event.)"""
        return WebhookChannel(
            self.target, self.name, Batch(True, batch.size) if batch is not None else None
        )


RetryPolicyName = Literal["B2C", "None", "Bounded", "Always"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Which retry rule an event asked for: ``B2C``, the real API's (no older-form
    policy given), or the older monitor form's ``retryPolicy``: ``None`` (one retry),
    ``Bounded`` (up to ``max_retries``), ``Always``, each ``delay`` seconds apart (10 s,
    the older form's default ``retryDelay``, unless given)."""

    policy: RetryPolicyName = "B2C"
    max_retries: int = 0
    delay: float = 10.0


@dataclass(frozen=True, slots=True)
class BatchNotify:
    """The older monitor form's batching: send ``size`` events at once, or what is
    there ``time_window`` seconds after the first."""

    size: int
    time_window: float
