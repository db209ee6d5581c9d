"""``/simulator/v1/faults``: API fault injection, rules that delay or fail the simulated
API's requests (:mod:`simulator.faults`), with how many times each fired."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import ConfigDict, Field, StrictStr, model_validator

from simulator.api.http import model_response, read_model, sim_of
from simulator.api.operations import Operation, control_errors, control_operation
from simulator.bodies.rules import Timestamp, given
from simulator.control import examples as ex
from simulator.control.base import (
    ClockTime,
    ControlModel,
    DomainView,
    at_least_one,
    required_with,
)
from simulator.errors import InvalidField, NotFound
from simulator.faults import DEFAULT_PATH, FaultRule, pattern_problem

_J = "application/json"
TAGS = ("Faults control",)

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
Status = Literal[400, 401, 403, 404, 429, 500, 502, 503, 504]
_PATH = r"^(/connectedcar/v4|/am/oauth2)(/(\*|[^/*?#]+))*(/\*\*)?/?$"  # pattern_problem in words


def _retry_after_needs() -> dict[str, Any]:
    """JSON Schema: retryAfter goes with status 429 or 503."""
    status: dict[str, Any] = {
        "required": ["status"],
        "properties": {"status": {"enum": [429, 503]}},
    }
    return {"if": given("retryAfter"), "then": status}


class FaultIn(ControlModel):
    """One rule: which requests (all given filters must match), what happens (latency,
    an error, or both), how often (every matching request unless count, probability or
    until say otherwise)."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                at_least_one("latencyMs", "status"),
                required_with("message", "status"),
                _retry_after_needs(),
            ]
        }
    )

    name: Annotated[StrictStr, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="a label for you (ids are the simulator's)"
    )
    method: Method | None = Field(default=None, description="default: any method")
    path: Annotated[StrictStr, Field(min_length=1, max_length=2000, pattern=_PATH)] = Field(
        default=DEFAULT_PATH,
        description="a path of the simulated API: * is one segment, a final ** any rest "
        "(default: every /connectedcar/v4 path); /am/oauth2/... paths only when named",
    )
    clientId: Annotated[StrictStr, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="only this client's requests (its token's, or basic auth)"
    )
    user: Annotated[StrictStr, Field(min_length=1, max_length=254)] | None = Field(
        default=None, description="only this user's requests (e-mail, any case; v4 only)"
    )
    latencyMs: int | None = Field(
        default=None,
        ge=0,
        le=120_000,
        description="real wall-clock milliseconds added before the answer (the caller "
        "waits in real time, whatever the simulator's clock)",
    )
    status: Status | None = Field(
        default=None, description="answer this error (the API's error body, code status*100+99)"
    )
    message: Annotated[StrictStr, Field(min_length=1, max_length=1000)] | None = Field(
        default=None, description="the error body's message (default: the status's reason)"
    )
    retryAfter: int | None = Field(
        default=None,
        ge=0,
        le=86_400,
        description="Retry-After seconds of a 429 (default 1) or 503 (default: none)",
    )
    count: int | None = Field(
        default=None, ge=1, le=1_000_000, description="the next COUNT matching requests only"
    )
    probability: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="each matching request with this probability (the seeded random source)",
    )
    until: Timestamp | None = Field(
        default=None,
        description="until this simulated time (RFC 3339 with offset; after now, else 400)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> FaultIn:
        if self.latencyMs is None and self.status is None:
            raise ValueError("needs at least one of latencyMs, status")
        return self


# built from a simulator.faults.FaultRule
class FaultOut(DomainView):
    id: str
    name: str | None = None
    method: str | None = None
    path: str
    client_id: str | None = None
    user: str | None = None
    latency_ms: int
    status: int | None = None
    message: str | None = None
    retry_after: int | None = None
    count: int | None = None
    probability: float | None = None
    until: ClockTime | None = None
    created_at: ClockTime
    fired: int = Field(description="requests it delayed or failed")
    remaining: int | None = Field(default=None, description="fires left when count was given")
    active: bool = Field(default=True, description="not used up (count) nor over (until)")


class FaultList(ControlModel):
    faults: list[FaultOut]


def _out(request: web.Request, rule: FaultRule) -> FaultOut:
    out = FaultOut.model_validate(rule)
    out.active = rule.live(sim_of(request).clock.time())
    return out


async def list_faults(request: web.Request) -> web.Response:
    rules = sim_of(request).faults.rules
    return model_response(FaultList(faults=[_out(request, r) for r in rules]), content_type=_J)


def _rule(request: web.Request, body: FaultIn) -> FaultRule:
    sim = sim_of(request)
    now = sim.clock.time()
    problem = pattern_problem(body.path)
    if problem is not None:
        raise InvalidField("path", f"path {problem}")
    if body.retryAfter is not None and body.status not in (429, 503):
        raise InvalidField("retryAfter", "retryAfter goes with status 429 or 503")
    if body.message is not None and body.status is None:
        raise InvalidField("message", "message goes with a status")
    until = None if body.until is None else body.until.timestamp()
    if until is not None and until <= now:
        raise InvalidField("until", "until must be after the simulator's current time")
    return FaultRule(
        sim.faults.new_id(),
        now,
        path=body.path,
        name=body.name,
        method=body.method,
        client_id=body.clientId,
        user=body.user,
        latency_ms=body.latencyMs or 0,
        status=body.status,
        message=body.message,
        retry_after=body.retryAfter,
        count=body.count,
        probability=body.probability,
        until=until,
    )


async def add_fault(request: web.Request) -> web.Response:
    body = await read_model(request, FaultIn)
    rule = sim_of(request).faults.add(_rule(request, body))
    return model_response(_out(request, rule), status=201, content_type=_J)


async def delete_fault(request: web.Request) -> web.Response:
    if not sim_of(request).faults.remove(request.match_info["id"]):
        raise NotFound("fault rule")
    return web.Response(status=204)


async def clear_faults(request: web.Request) -> web.Response:
    sim_of(request).faults.clear()
    return web.Response(status=204)


FAULT_OPERATIONS: tuple[Operation, ...] = (
    control_operation(
        "GET",
        "/faults",
        list_faults,
        "simListFaults",
        "The API fault rules, in the order they are tried, with how often each fired",
        {200: FaultList},
        tags=TAGS,
    ),
    control_operation(
        "POST",
        "/faults",
        add_fault,
        "simAddFault",
        "Delay or fail the simulated API's matching requests (tried after the others)",
        {201: FaultOut},
        body=FaultIn,
        examples=ex.FAULTS,
        tags=TAGS,
    ),
    control_operation(
        "DELETE",
        "/faults/{id}",
        delete_fault,
        "simDeleteFault",
        "Remove one fault rule",
        {204: None},
        tags=TAGS,
    ),
    control_operation(
        "DELETE",
        "/faults",
        clear_faults,
        "simClearFaults",
        "Remove every fault rule",
        {204: None},
        errors=control_errors("/faults"),
        tags=TAGS,
    ),
)
