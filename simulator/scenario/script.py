"""What a scenario scripts: places, receivers, callbacks, monitors, a timeline and
expectations (the contract's "Scenario files" section, plus extensions).

Bodies that the API or the control API reads (a callback's, a monitor's, a remote's,
a state or behaviour body) are kept as given here and checked by the server itself
when the scenario is played, so that a file is validated exactly as the API validates
a request; the loader checks what only the file knows (names, times, references).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

from simulator.bodies.rules import iso_duration
from simulator.scenario.base import Name, SpecModel

__all__ = [
    "ACTIONS",
    "CallbackDecl",
    "DeliveryFilter",
    "Expectation",
    "MonitorDecl",
    "NotificationFilter",
    "Point",
    "ReceiverDecl",
    "StateCheck",
    "Step",
]


def _offset(value: object) -> timedelta:
    return iso_duration(value, positive=False, at_most=timedelta(days=3650))


Offset = Annotated[
    timedelta,
    BeforeValidator(_offset),
    Field(
        description="an ISO 8601 duration from the scenario's start, e.g. PT10M",
        json_schema_extra={"type": "string", "format": "duration"},
    ),
]
Number = StrictInt | StrictFloat
Label = Annotated[StrictStr, Field(min_length=1, max_length=200, pattern=r"^[^\s:]+$")]
"""A name given in the file (vehicles, receivers, callbacks, monitors, remotes)."""


class Point(SpecModel):
    longitude: Annotated[Number, Field(ge=-180, le=180)]
    latitude: Annotated[Number, Field(ge=-90, le=90)]


Where = Label | Point
"""A place's name or a point."""


class ReceiverDecl(SpecModel):
    """A built-in HTTPS receiver (certificate from the simulator's CA)."""

    name: Label
    kind: Literal["webhook", "websocket"] = Field(
        default="webhook", description="webhook: answers POSTs; websocket: accepts connections"
    )
    status: Annotated[StrictInt, Field(ge=100, le=599)] = Field(
        default=200, description="what a webhook receiver answers (timeline steps change it)"
    )


class CallbackDecl(SpecModel):
    """Registered at the start as ``POST /user/callbacks`` by ``user`` and ``client``."""

    name: Label
    user: Name | None = Field(default=None, description="default: the only or the demo user")
    client: Name | None = Field(default=None, description="default: the user's client")
    body: dict[str, Any] = Field(
        description="the API's request body, unchanged; a target 'receiver:NAME' is that "
        "receiver's URL"
    )


class MonitorDecl(SpecModel):
    """Created at the start on ``vehicle`` (or on every vehicle of ``owner``), bound to
    ``callback``."""

    name: Label
    vehicle: Label | None = Field(default=None, description="a named vehicle")
    owner: Name | None = Field(
        default=None,
        description="instead of vehicle: the same monitor on every vehicle of this user "
        "(one name for all; expectations on it match any of them)",
    )
    callback: Label | None = Field(
        default=None,
        description="the callback (current form); without it the body must be the older "
        "form's (subscribeParam.callback)",
    )
    body: dict[str, Any] = Field(description="the API's monitor body, unchanged")

    @model_validator(mode="after")
    def _where(self) -> MonitorDecl:
        if (self.vehicle is None) == (self.owner is None):
            raise ValueError("give exactly one of vehicle or owner")
        return self


# ------------------------------------------------------------------ timeline
class VehicleStep(SpecModel):
    vehicle: Label


class DriveStep(VehicleStep):
    to: Where
    speedKmh: Annotated[Number, Field(gt=0, le=250)] | None = Field(
        default=None, description="average speed; default: the road's"
    )


class RemoteStep(VehicleStep):
    name: Label | None = Field(default=None, description="for expectations (remote: NAME)")
    callback: Label
    body: dict[str, Any] = Field(description="the API's remote body, unchanged")


class ReceiverStep(SpecModel):
    name: Label
    status: Annotated[StrictInt, Field(ge=100, le=599)] | None = Field(
        default=None, description="answer this from now on (200 heals it)"
    )
    down: StrictBool | None = Field(default=None, description="true: refuse connections")

    @model_validator(mode="after")
    def _something(self) -> ReceiverStep:
        if self.status is None and self.down is None:
            raise ValueError("give status or down")
        return self


class PlugStep(VehicleStep):
    powerKw: Annotated[Number, Field(gt=0, le=350)] | None = None


class PrivacyStep(VehicleStep):
    state: Literal["None", "Geolocation", "Full"]


class AlertsStep(VehicleStep):
    active: list[StrictStr] = Field(description="the active alerts (AlertType names)")


class StatusStep(SpecModel):
    """A monitor or callback paused, resumed or deleted."""

    name: Label
    status: Literal["Running", "Paused"] | None = None
    delete: StrictBool = False

    @model_validator(mode="after")
    def _one(self) -> StatusStep:
        if (self.status is None) == (not self.delete):
            raise ValueError("give exactly one of status or delete: true")
        return self


class FailureStep(VehicleStep):
    cause: StrictStr = Field(description="a remote failureCause, e.g. VehicleConnectionTimeout")
    count: Annotated[StrictInt, Field(ge=1, le=10_000)] = 1
    action: StrictStr | None = None


class RateLimitStep(SpecModel):
    client: Name
    perDay: Annotated[StrictInt, Field(ge=1)] | None
    burst: Annotated[StrictInt, Field(ge=1)] | None = None


def _api_fault(value: dict[str, Any]) -> dict[str, Any]:
    """What the file alone can check of an ``apiFault`` step (the server checks the rest
    of the body when the step is played)."""
    if "clear" in value:
        clear = value["clear"]
        if len(value) != 1:
            raise ValueError("clear goes alone (clear: NAME or clear: true)")
        if clear is not True and not (isinstance(clear, str) and clear and len(clear) <= 200):
            raise ValueError("clear is a fault's name, or true for every fault")
    elif "until" in value:
        _offset(value["until"])
    return value


ApiFault = Annotated[
    dict[str, Any],
    AfterValidator(_api_fault),
    Field(
        description="the control API's fault body (POST /simulator/v1/faults), with until "
        "as an ISO 8601 duration from the start; or clear: NAME (the faults of that name) "
        "or clear: true (every fault)"
    ),
]


class ReplayStep(SpecModel):
    """The dead-lettered events (of one callback) are sent again."""

    callback: Label | None = None


ACTIONS = (
    "drive",
    "state",
    "remote",
    "receiver",
    "behaviour",
    "plug",
    "unplug",
    "sleep",
    "wake",
    "privacy",
    "alerts",
    "monitor",
    "callback",
    "failures",
    "rateLimit",
    "life",
    "replay",
    "apiFault",
)


class Step(SpecModel):
    """One thing that happens at ``at``: exactly one of the actions."""

    at: Offset
    drive: DriveStep | None = Field(default=None, description="a real trip to a place")
    state: dict[str, Any] | None = Field(
        default=None, description="vehicle: NAME, then the control API's state body"
    )
    remote: RemoteStep | None = None
    receiver: ReceiverStep | None = None
    behaviour: dict[str, Any] | None = Field(
        default=None, description="vehicle: NAME, then the control API's remote-behaviour body"
    )
    plug: PlugStep | None = None
    unplug: VehicleStep | None = None
    sleep: VehicleStep | None = Field(default=None, description="the next remote must wake it")
    wake: VehicleStep | None = None
    privacy: PrivacyStep | None = None
    alerts: AlertsStep | None = None
    monitor: StatusStep | None = None
    callback: StatusStep | None = None
    failures: FailureStep | None = Field(default=None, description="scripted remote failures")
    rateLimit: RateLimitStep | None = Field(default=None, description="a client's quota")
    life: StrictBool | None = Field(default=None, description="the living fleet on or off")
    replay: ReplayStep | None = Field(default=None, description="replay dead letters")
    apiFault: ApiFault | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Step:
        given = [name for name in ACTIONS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"a step has exactly one of {', '.join(ACTIONS)}")
        return self

    @property
    def action(self) -> str:
        return next(name for name in ACTIONS if getattr(self, name) is not None)

    @property
    def detail(self) -> Any:
        return getattr(self, self.action)


# ------------------------------------------------------------------ expectations
class NotificationFilter(SpecModel):
    """Which notifications count: every given member must match."""

    receiver: Label | None = None
    callback: Label | None = None
    monitor: Label | None = None
    remote: Label | None = Field(default=None, description="a timeline remote's name")
    vehicle: Label | None = None
    type: Literal["Monitor", "Remote"] | None = None
    status: StrictStr | None = Field(
        default=None,
        description="a remote's eventStatus type (Pending, Done), status (Success, Failed, "
        "...) or failureCause",
    )
    refresh: StrictBool | None = Field(default=None, description="a monitor's reminder or not")
    count: Annotated[StrictInt, Field(ge=0)] | None = Field(
        default=None, description="exactly this many (default: at least one)"
    )


class DeliveryFilter(SpecModel):
    callback: Label | None = None
    outcome: Literal["delivered", "failed", "dead-lettered", "dropped", "undelivered"]
    vehicle: Label | None = None
    count: Annotated[StrictInt, Field(ge=0)] | None = Field(
        default=None, description="exactly this many journal entries (default: at least one)"
    )


class StateCheck(SpecModel):
    """A field of ``GET /user/vehicles/{id}/status`` (dotted, with [i] for lists)."""

    vehicle: Label
    field: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    equals: StrictStr | Number | StrictBool | None = None
    atLeast: Number | None = None
    atMost: Number | None = None

    @model_validator(mode="after")
    def _condition(self) -> StateCheck:
        if self.equals is None and self.atLeast is None and self.atMost is None:
            raise ValueError("give equals, atLeast or atMost")
        return self


KINDS = ("notification", "noNotification", "delivery", "state")


class Expectation(SpecModel):
    """Holds or fails; decided on the simulated clock between ``after`` and ``within``."""

    name: Annotated[StrictStr, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="the report's name for it (default: made from its form)"
    )
    notification: NotificationFilter | None = Field(
        default=None, description="at least one (or exactly count) arrived: answered 2xx"
    )
    noNotification: NotificationFilter | None = Field(default=None, description="none arrived")
    delivery: DeliveryFilter | None = Field(
        default=None, description="the delivery journal has such an entry"
    )
    state: StateCheck | None = Field(
        default=None, description="the field meets the condition at some moment of the window"
    )
    within: Offset | None = Field(default=None, description="default: the end of the run")
    after: Offset | None = Field(default=None, description="default: the start")

    @model_validator(mode="after")
    def _exactly_one(self) -> Expectation:
        given = [name for name in KINDS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"an expectation has exactly one of {', '.join(KINDS)}")
        if self.within is not None and self.after is not None and self.after > self.within:
            raise ValueError("after is later than within")
        return self

    @property
    def kind(self) -> str:
        return next(name for name in KINDS if getattr(self, name) is not None)

    @property
    def detail(self) -> Any:
        return getattr(self, self.kind)
