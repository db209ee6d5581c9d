"""``/user/callbacks``: the subscription model, its rules and the thin handlers.

The request (reference: CallbackSubscribe) is validated strictly; members the
spec does not list are ignored.  What is stored, and served back under
``subscribe``, is the canonical form: every default filled in, the seed's
websocket ``Header`` attributes written ``Body``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from simulator.api import schemas as s
from simulator.api.context import Context, list_param, list_param_doc, page_response
from simulator.api.examples import CALLBACK_EXAMPLES, CALLBACK_STATUS_EXAMPLES
from simulator.api.http import model_response, read_json
from simulator.api.operations import Example, Operation, Param, v4_errors
from simulator.bodies.errors import invalid
from simulator.bodies.rules import (
    HTTPS_URL,
    NO_FORBIDDEN_CHARS,
    WS_URL,
    at_least_one,
    check_at_least_one,
    check_url,
    url_schema,
)
from simulator.callbacks.attributes import (
    Attribute,
    PushNotifAttribute,
    WSAttribute,
    absolute_url,
    check_chars,
)
from simulator.callbacks.model import Callback, CallbackStatus, CallbackType
from simulator.errors import InvalidField

ALL_TYPES: tuple[CallbackType, ...] = (CallbackType.MONITOR, CallbackType.REMOTE)
TypeName = Literal["Monitor", "Remote"]
BOTH: tuple[TypeName, ...] = ("Monitor", "Remote")
TYPE_PARAMS = ("callbackType", "types")


# ------------------------------------------------------------------ request model
class _Input(BaseModel):
    """Strict JSON types; members the spec does not list are dropped."""

    model_config = ConfigDict(
        strict=True, extra="ignore", defer_build=True, regex_engine="python-re"
    )


_check_chars = check_chars


def _url(pattern: str) -> Any:
    return Field(json_schema_extra=url_schema(pattern))


class Batch(_Input):
    enabled: bool = True
    size: int = Field(default=100, ge=1, le=1000)


class Webhook(_Input):
    target: str = _url(HTTPS_URL)
    name: str = Field(min_length=1)
    batch: Batch | None = None
    attributes: list[Attribute] = Field(default_factory=list)

    @field_validator("target")
    @classmethod
    def _target(cls, target: str) -> str:
        check_url(HTTPS_URL, target, "an https URL")
        return absolute_url(target, ("https",), "an https URL")


class Websocket(_Input):
    target: str = _url(WS_URL)
    batch: Batch | None = None
    attributes: list[WSAttribute] = Field(default_factory=list)

    @field_validator("target")
    @classmethod
    def _target(cls, target: str) -> str:
        check_url(WS_URL, target, "a ws:// or wss:// URL")
        return absolute_url(target, ("ws", "wss"), "a ws:// or wss:// URL")


NonEmpty = Annotated[str, Field(min_length=1, json_schema_extra=NO_FORBIDDEN_CHARS)]


class PushNotif(_Input):
    devices: list[NonEmpty] = Field(min_length=1)
    attributes: list[PushNotifAttribute] = Field(default_factory=list)

    @field_validator("devices")
    @classmethod
    def _devices(cls, devices: list[str]) -> list[str]:
        for device in devices:
            _check_chars(device)
        return devices


CHANNELS = ("webhook", "websocket", "pushnotif")


class Channels(_Input):
    model_config = ConfigDict(json_schema_extra=at_least_one(*CHANNELS))

    webhook: Webhook | None = None
    websocket: Websocket | None = None
    pushnotif: PushNotif | None = None

    @model_validator(mode="after")
    def _one_at_least(self) -> Channels:
        check_at_least_one(self, *CHANNELS)
        return self


class CallbackSubscribe(_Input):
    """The body of ``POST`` and ``PUT /user/callbacks[/{cbid}]``."""

    label: str = Field(min_length=1, json_schema_extra=NO_FORBIDDEN_CHARS)
    type: list[TypeName] = Field(default_factory=lambda: list(BOTH), min_length=1)
    callback: Channels

    @field_validator("label")
    @classmethod
    def _label(cls, label: str) -> str:
        return _check_chars(label)

    @field_validator("type")
    @classmethod
    def _types(cls, types: list[TypeName]) -> list[TypeName]:
        # canonical: no duplicates, the reference's order
        return [t for t in BOTH if t in types]

    @property
    def types(self) -> tuple[CallbackType, ...]:
        return tuple(CallbackType(t) for t in self.type)


class CallbacksStatusSetter(_Input):
    status: Literal["Running", "Paused"]


# ------------------------------------------------------------------ response models
class CallbackRefLinks(s.ApiModel):
    callback: s.Link


class CallbackRef(s.ApiModel):
    """Answer to POST, PUT and status PUT (reference: CallbackRef)."""

    links: CallbackRefLinks = Field(alias="_links")
    callbackId: str
    status: Literal["Running", "Paused", "Failed"]


class UserCallback(s.ApiModel):
    """One callback (reference: UserCallback)."""

    links: s.SelfLinks = Field(alias="_links")
    id: str
    label: str | None = None
    subscribe: CallbackSubscribe
    status: Literal["Running", "Paused", "Failed"]


class CallbacksEmbedded(s.ApiModel):
    callbacks: list[UserCallback] = Field(default_factory=list)


class CallbacksPage(s.CollectionResult[CallbacksEmbedded]):
    """`GET /user/callbacks` (reference: UserCallbacks)."""


# ------------------------------------------------------------------ helpers
def _parse(model: type[_Input], data: Any) -> Any:
    """Validate a request body: 400 naming the first offending field."""
    if not isinstance(data, dict):
        raise InvalidField("body", "the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc) from None


def canonical(subscribe: CallbackSubscribe) -> dict[str, Any]:
    return subscribe.model_dump(mode="json", exclude_none=True)


def _href(base: str, cbid: str) -> str:
    return f"{base}/user/callbacks/{cbid}"


def callback_ref(callback: Callback, base: str) -> CallbackRef:
    return CallbackRef.model_validate(
        {
            "_links": {"callback": {"href": _href(base, callback.id)}},
            "callbackId": callback.id,
            "status": str(callback.status),
        }
    )


def user_callback_dict(callback: Callback, base: str) -> dict[str, Any]:
    return {
        "_links": {"self": {"href": _href(base, callback.id)}},
        "id": callback.id,
        "label": callback.label,
        "subscribe": callback.subscription,
        "status": str(callback.status),
    }


TYPE_VALUES = frozenset(BOTH)


def _type_filter(request: web.Request) -> list[CallbackType]:
    values: set[str] = set()
    for name in TYPE_PARAMS:
        values |= list_param(request.query, name, TYPE_VALUES)
    return [CallbackType(v) for v in sorted(values)]


# ------------------------------------------------------------------ handlers
async def create_callback(request: web.Request) -> web.Response:
    ctx = Context(request)
    user_id = ctx.user_id
    body: CallbackSubscribe = _parse(CallbackSubscribe, await read_json(request))
    callback = ctx.sim.callbacks.add(
        user_id,
        ctx.grant.client_id,
        label=body.label,
        types=body.types,
        subscription=canonical(body),
        now=ctx.now,
    )
    return model_response(callback_ref(callback, ctx.base))


async def list_callbacks(request: web.Request) -> web.Response:
    ctx = Context(request)
    types = _type_filter(request)
    found = ctx.sim.callbacks.of(ctx.user_id, ctx.grant.client_id, types)
    return page_response(ctx, CallbacksPage, found, lambda cb: user_callback_dict(cb, ctx.base))


async def get_callback(request: web.Request) -> web.Response:
    ctx = Context(request)
    callback = ctx.sim.callbacks.get(ctx.user_id, ctx.grant.client_id, request.match_info["cbid"])
    return model_response(UserCallback.model_validate(user_callback_dict(callback, ctx.base)))


async def replace_callback(request: web.Request) -> web.Response:
    ctx = Context(request)
    user_id, cbid = ctx.user_id, request.match_info["cbid"]
    ctx.sim.callbacks.get(user_id, ctx.grant.client_id, cbid)  # 404 before reading the body
    body: CallbackSubscribe = _parse(CallbackSubscribe, await read_json(request))
    callback = ctx.sim.callbacks.replace(
        user_id,
        ctx.grant.client_id,
        cbid,
        label=body.label,
        types=body.types,
        subscription=canonical(body),
        now=ctx.now,
    )
    return model_response(callback_ref(callback, ctx.base), status=202)


async def delete_callback(request: web.Request) -> web.Response:
    ctx = Context(request)
    ctx.sim.callbacks.remove(ctx.user_id, ctx.grant.client_id, request.match_info["cbid"])
    return web.Response(status=204)


async def set_callback_status(request: web.Request) -> web.Response:
    ctx = Context(request)
    user_id, cbid = ctx.user_id, request.match_info["cbid"]
    ctx.sim.callbacks.get(user_id, ctx.grant.client_id, cbid)
    body: CallbacksStatusSetter = _parse(CallbacksStatusSetter, await read_json(request))
    callback = ctx.sim.callbacks.set_status(
        user_id, ctx.grant.client_id, cbid, CallbackStatus(body.status), ctx.now
    )
    return model_response(callback_ref(callback, ctx.base), status=202)


# ------------------------------------------------------------------ route table
def _op(
    method: str,
    path: str,
    handler: Any,
    op_id: str,
    summary: str,
    responses: dict[int, Any],
    *,
    params: tuple[Param, ...],
    errors: tuple[int, ...],
    body: type[BaseModel] | None = None,
    examples: tuple[Example, ...] = (),
) -> Operation:
    return Operation(
        method,
        path,
        handler,
        op_id,
        summary,
        responses,
        params=params,
        body=body,
        tags=("Subscribe",),
        errors=errors,
        examples=examples,
    )


def callback_operations(common: Sequence[Param], paging: Sequence[Param]) -> tuple[Operation, ...]:
    """The callback operations, with the parameters every v4 operation takes."""
    cbid = "/user/callbacks/{cbid}"
    one = tuple(common)
    type_filters = tuple(
        list_param_doc(
            name,
            TYPE_VALUES,
            "only the callbacks serving one of these types (callbackType and types: the same)",
        )
        for name in TYPE_PARAMS
    )
    return (
        _op(
            "GET",
            "/user/callbacks",
            list_callbacks,
            "getUsertRemotes",
            "The user's callbacks",
            {200: CallbacksPage},
            params=(*common, *type_filters, *paging),
            errors=v4_errors(not_found=True),
        ),
        _op(
            "POST",
            "/user/callbacks",
            create_callback,
            "setUsertVehicleRemote",
            "Register a callback",
            {200: CallbackRef},
            params=one,
            body=CallbackSubscribe,
            errors=v4_errors(body=True),
            examples=CALLBACK_EXAMPLES,
        ),
        _op(
            "GET",
            cbid,
            get_callback,
            "getUsertRemotebyId",
            "One callback",
            {200: UserCallback},
            params=one,
            errors=v4_errors(not_found=True),
        ),
        _op(
            "PUT",
            cbid,
            replace_callback,
            "setUsertVehicleRemoteById",
            "Replace a callback's definition",
            {202: CallbackRef},
            params=one,
            body=CallbackSubscribe,
            errors=v4_errors(body=True, not_found=True),
            examples=CALLBACK_EXAMPLES,
        ),
        _op(
            "DELETE",
            cbid,
            delete_callback,
            "deleteUsertRemote",
            "Delete a callback",
            {204: None},
            params=one,
            errors=v4_errors(not_found=True),
        ),
        _op(
            "PUT",
            cbid + "/status",
            set_callback_status,
            "setUserCallbackStatus",
            "Pause or resume a callback",
            {202: CallbackRef},
            params=one,
            body=CallbacksStatusSetter,
            errors=v4_errors(body=True, not_found=True),
            examples=CALLBACK_STATUS_EXAMPLES,
        ),
    )
