"""``/simulator/v1`` delivery endpoints: raise a notification, read the delivery
journal, dead letters and pending lanes, replay, push outboxes, the target timeout."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import AfterValidator, AliasPath, ConfigDict, Field, model_validator

from simulator.api.callbacks import Webhook
from simulator.api.context import enum_param_doc
from simulator.api.http import model_response, read_model, sim_of
from simulator.api.operations import (
    Location,
    Operation,
    Param,
    control_errors,
    control_operation,
)
from simulator.api.paging import int_param, int_query, single
from simulator.bodies.rules import given
from simulator.callbacks.attributes import Attribute, PushNotifAttribute, WSAttribute
from simulator.callbacks.channels import BatchNotify, InlineWebhook, RetryPolicy
from simulator.callbacks.model import CallbackType
from simulator.config import DEFAULT_CLIENT_ID, DEFAULT_USER
from simulator.control import examples as ex
from simulator.control.base import (
    ClockTime,
    ControlModel,
    DomainView,
    check_exactly_one,
    exactly_one,
)
from simulator.delivery.journal import Outcome
from simulator.delivery.message import MonitorEvent, RemoteEvent
from simulator.errors import InvalidField, NotFound
from simulator.events import Notification

_J = "application/json"
_Q: Location = "query"
TAGS = ("Deliveries",)


class Overrides(ControlModel):
    webhook: list[Attribute] = Field(default_factory=list)
    websocket: list[WSAttribute] = Field(default_factory=list)
    pushnotif: list[PushNotifAttribute] = Field(default_factory=list)


class RetryPolicyIn(ControlModel):
    """The older monitor form's ``retryPolicy``."""

    policy: Literal["None", "Bounded", "Always"]
    maxRetryNumber: int = Field(default=3, ge=0, le=1000)
    retryDelay: int = Field(default=10, ge=1, le=86_400, description="seconds between attempts")


class BatchNotifyIn(ControlModel):
    size: int = Field(ge=1, le=1000, description="events per batch at most")
    timeWindow: int = Field(ge=1, le=86_400, description="seconds a batch waits at most")


_TARGETS = ("callbackId", "webhook")


class RaiseNotification(ControlModel):
    """Raise events as a remote or a monitor would: to a registered callback
    (``callbackId``), or to an older-form monitor's own ``webhook``."""

    model_config = ConfigDict(
        json_schema_extra={
            **exactly_one(*_TARGETS),
            # type Monitor needs monitorEvent; Remote (the default) remoteEvent
            "if": {"required": ["type"], "properties": {"type": {"const": "Monitor"}}},
            "then": given("monitorEvent"),
            "else": given("remoteEvent"),
        }
    )

    callbackId: str | None = None
    webhook: Webhook | None = None
    userId: str = DEFAULT_USER
    clientId: str = DEFAULT_CLIENT_ID
    vin: str = Field(min_length=1, max_length=17)
    type: Literal["Remote", "Monitor"] = "Remote"
    label: str | None = None
    remoteEvent: RemoteEvent | None = None
    monitorEvent: MonitorEvent | None = None
    variables: dict[str, str] = Field(default_factory=dict)
    attributes: Overrides = Field(default_factory=Overrides)
    retryPolicy: RetryPolicyIn | None = None
    batchNotify: BatchNotifyIn | None = None
    count: int = Field(default=1, ge=1, le=10_000)

    @model_validator(mode="after")
    def _check(self) -> RaiseNotification:
        check_exactly_one(self, *_TARGETS)
        event = self.remoteEvent if self.type == "Remote" else self.monitorEvent
        if event is None:
            raise ValueError(f"type {self.type} needs {self.type.lower()}Event")
        return self


class Raised(ControlModel):
    eventIds: list[str]


def _milliseconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# built from a delivery.journal.DeliveryRecord
class DeliveryEntry(DomainView):
    seq: int
    event_id: str
    callback_id: str | None = None
    channel: str
    target: str
    at: ClockTime
    outcome: Literal["delivered", "failed", "dead-lettered", "dropped", "undelivered"]
    attempt: int
    batch_size: int
    vin: str
    type: str
    http_status: int | None = None
    error: str | None = None
    latency_ms: Annotated[float | None, AfterValidator(_milliseconds)] = None


class DeliveryList(ControlModel):
    total: int
    counts: dict[str, int]
    deliveries: list[DeliveryEntry]


def _of_note(member: str, **field: Any) -> Any:
    """A dead letter's field read from its notification."""
    return Field(validation_alias=AliasPath("note", member), **field)


# built from a delivery.journal.DeadLetter
class DeadLetterEntry(DomainView):
    event_id: str = _of_note("event_id")
    callback_id: str | None = _of_note("callback_id", default=None)
    channel: str
    vin: str = _of_note("vin")
    type: str = _of_note("type")
    reason: str
    at: ClockTime
    attempts: int
    raised_at: ClockTime = _of_note("raised_at")


class DeadLetterList(ControlModel):
    deadLetters: list[DeadLetterEntry]


class Replayed(ControlModel):
    replayed: int


class LaneState(ControlModel):
    lane: str
    callbackId: str | None = None
    channel: str
    queued: int
    inFlight: bool
    waitingRetry: int


class PendingState(ControlModel):
    total: int
    lanes: list[LaneState]


class DeliveryConfig(ControlModel):
    timeoutSeconds: float = Field(gt=0, le=600, description="wall-clock seconds")


class PushOutbox(ControlModel):
    device: str
    messages: list[dict[str, Any]]


# ------------------------------------------------------------------ handlers
async def raise_notification(request: web.Request) -> web.Response:
    sim = sim_of(request)
    body = await read_model(request, RaiseNotification)
    user_id, client_id, inline = body.userId.lower(), body.clientId, None
    if body.callbackId is not None:
        callback = sim.callbacks.find(body.callbackId)
        if callback is None:
            raise NotFound("callback")
        if CallbackType(body.type) not in callback.types:
            raise InvalidField("type", f"type: callback {callback.id} does not serve {body.type}")
        user_id, client_id = callback.user_id, callback.client_id
    else:
        assert body.webhook is not None
        attrs = tuple(a.model_dump() for a in body.webhook.attributes)
        inline = InlineWebhook(body.webhook.target, body.webhook.name, attrs)
    event = body.remoteEvent if body.type == "Remote" else body.monitorEvent
    assert event is not None
    retry = RetryPolicy()
    if body.retryPolicy is not None:
        p = body.retryPolicy
        retry = RetryPolicy(p.policy, p.maxRetryNumber, float(p.retryDelay))
    batch = (
        BatchNotify(body.batchNotify.size, float(body.batchNotify.timeWindow))
        if body.batchNotify is not None
        else None
    )
    overrides = {
        channel: [a.model_dump() for a in attrs]
        for channel, attrs in (
            ("webhook", body.attributes.webhook),
            ("websocket", body.attributes.websocket),
            ("pushnotif", body.attributes.pushnotif),
        )
        if attrs
    }
    event_json = event.model_dump(mode="json", exclude_none=True)
    ids = []
    for _ in range(body.count):
        note = Notification(
            type=body.type,
            user_id=user_id,
            client_id=client_id,
            vin=body.vin,
            raised_at=sim.clock.time(),
            event=event_json,
            callback_id=body.callbackId,
            label=body.label,
            variables={k.lower(): v for k, v in body.variables.items()},
            overrides=overrides,
            inline=inline,
            retry=retry,
            batch_notify=batch,
            event_id=sim.ids.event(),
        )
        sim.bus.publish(note)
        ids.append(note.event_id)
    return model_response(Raised(eventIds=ids), status=202, content_type=_J)


LIMIT = int_param("limit", 1, 100_000, "at most this many (default 1000)")
AFTER = int_param("after", 0, description="only records after this seq")
OUTCOMES = frozenset(str(o) for o in Outcome)


FILTERS = {
    "eventId": "event_id",
    "callbackId": "callback_id",
    "channel": "channel",
    "outcome": "outcome",
    "vin": "vin",
    "type": "type",
    "target": "target",
}


async def list_deliveries(request: web.Request) -> web.Response:
    journal = sim_of(request).delivery.journal
    limit = int_query(request.query, LIMIT.name, 1, LIMIT.schema["maximum"]) or 1000
    wanted = {attr: single(request.query, name) for name, attr in FILTERS.items()}
    wanted = {k: v for k, v in wanted.items() if v is not None}
    if "outcome" in wanted and wanted["outcome"] not in OUTCOMES:
        raise InvalidField("outcome", "outcome must be one of " + ", ".join(map(str, Outcome)))
    since = int_query(request.query, AFTER.name, 0) or 0
    found = [
        r for r in journal if r.seq > since and all(getattr(r, k) == v for k, v in wanted.items())
    ]
    page = found[:limit]
    return model_response(
        DeliveryList(
            total=journal.total,
            counts=journal.counts(),
            deliveries=[DeliveryEntry.model_validate(r) for r in page],
        ),
        content_type=_J,
    )


async def list_dead_letters(request: web.Request) -> web.Response:
    journal = sim_of(request).delivery.journal
    entries = [DeadLetterEntry.model_validate(d) for d in journal.dead.values()]
    return model_response(DeadLetterList(deadLetters=entries), content_type=_J)


async def replay_dead_letter(request: web.Request) -> web.Response:
    replayed = sim_of(request).delivery.replay(request.match_info["event_id"])
    if not replayed:
        raise NotFound("dead letter")
    return model_response(Replayed(replayed=replayed), status=202, content_type=_J)


async def wait_idle(request: web.Request) -> web.Response:
    """Answers once no send is in flight: what is still pending waits for the clock."""
    await sim_of(request).delivery.wait_idle()
    return await pending_deliveries(request)


async def pending_deliveries(request: web.Request) -> web.Response:
    lanes = [LaneState.model_validate(lane) for lane in sim_of(request).delivery.pending()]
    return model_response(
        PendingState(total=sum(lane.queued for lane in lanes), lanes=lanes), content_type=_J
    )


async def get_config(request: web.Request) -> web.Response:
    return model_response(
        DeliveryConfig(timeoutSeconds=sim_of(request).delivery.timeout), content_type=_J
    )


async def set_config(request: web.Request) -> web.Response:
    body = await read_model(request, DeliveryConfig)
    sim_of(request).delivery.timeout = body.timeoutSeconds
    return model_response(body, content_type=_J)


async def get_outbox(request: web.Request) -> web.Response:
    device = request.match_info["device"]
    messages = list(sim_of(request).delivery.outbox.get(device, ()))
    return model_response(PushOutbox(device=device, messages=messages), content_type=_J)


async def clear_outbox(request: web.Request) -> web.Response:
    sim_of(request).delivery.outbox.pop(request.match_info["device"], None)
    return web.Response(status=204)


_op = partial(control_operation, tags=TAGS)

_S = {"type": "string"}
DELIVERY_OPERATIONS: tuple[Operation, ...] = (
    _op(
        "POST",
        "/notifications",
        raise_notification,
        "simRaiseNotification",
        "Raise events as a remote or monitor would, to a callback or an inline webhook",
        {202: Raised},
        body=RaiseNotification,
        examples=ex.NOTIFICATION,
        errors=control_errors("/notifications", body=True, not_found=True),  # callbackId
    ),
    _op(
        "GET",
        "/deliveries",
        list_deliveries,
        "simListDeliveries",
        "The delivery journal: every attempt and its outcome, oldest first",
        {200: DeliveryList},
        params=(
            *(Param(name, _Q, _S) for name in FILTERS if name != "outcome"),
            enum_param_doc("outcome", OUTCOMES),
            AFTER,
            LIMIT,
        ),
    ),
    _op(
        "GET",
        "/deliveries/pending",
        pending_deliveries,
        "simPendingDeliveries",
        "Events waiting per lane (callback channel or inline webhook)",
        {200: PendingState},
    ),
    _op(
        "POST",
        "/deliveries/wait-idle",
        wait_idle,
        "simWaitDeliveriesIdle",
        "Answer once no send is in flight (each takes at most the target timeout): what "
        "is still pending then waits for the clock (a retry, a batch window)",
        {200: PendingState},
    ),
    _op(
        "GET",
        "/deliveries/dead-letters",
        list_dead_letters,
        "simListDeadLetters",
        "Events given up on (retries or the 72 h retention exhausted)",
        {200: DeadLetterList},
    ),
    _op(
        "POST",
        "/deliveries/dead-letters/{event_id}/replay",
        replay_dead_letter,
        "simReplayDeadLetter",
        "Queue a dead-lettered event again, with a fresh retention window",
        {202: Replayed},
    ),
    _op(
        "GET",
        "/deliveries/config",
        get_config,
        "simGetDeliveryConfig",
        "Delivery settings",
        {200: DeliveryConfig},
    ),
    _op(
        "PUT",
        "/deliveries/config",
        set_config,
        "simSetDeliveryConfig",
        "Change the target timeout (wall seconds)",
        {200: DeliveryConfig},
        body=DeliveryConfig,
        examples=ex.DELIVERY_CONFIG,
    ),
    _op(
        "GET",
        "/push/{device}",
        get_outbox,
        "simGetPushOutbox",
        "The FCM-shaped pushes sent to one device, oldest first",
        {200: PushOutbox},
        errors=control_errors("/push/{device}", not_found=False),
    ),
    _op(
        "DELETE",
        "/push/{device}",
        clear_outbox,
        "simClearPushOutbox",
        "Empty one device's outbox",
        {204: None},
        errors=control_errors("/push/{device}", not_found=False),
    ),
)
