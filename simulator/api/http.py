"""Small HTTP helpers shared by every sub-app: keys, JSON in and out, the error body."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from simulator.api.schemas import ErrorBody, dump_json
from simulator.bodies.errors import invalid
from simulator.errors import ApiError, ErrorCode
from simulator.store import Simulator

SIM = web.AppKey("simulator", Simulator)
OPENAPI_DOCUMENT: web.AppKey[Callable[[], dict[str, Any]]] = web.AppKey("openapi_document")
"""The OpenAPI document of everything served, set on the root app by the composition
root (``simulator.server``), which alone sees every sub-app."""
M = TypeVar("M", bound=BaseModel)

HAL_JSON = "application/hal+json"
GEO_JSON = "application/vnd.geo+json"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def sim_of(request: web.Request) -> Simulator:
    return request.config_dict[SIM]


def model_response(
    model: BaseModel, *, status: int = 200, content_type: str = HAL_JSON
) -> web.Response:
    return web.Response(body=dump_json(model), status=status, content_type=content_type)


def json_response(data: Any, *, status: int = 200) -> web.Response:
    """For the control API's plain JSON (never for the v4 API's documents)."""
    body = json.dumps(data, default=_default, separators=(",", ":")).encode()
    return web.Response(body=body, status=status, content_type="application/json")


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def error_body(error: ApiError, request_id: str, now: datetime) -> bytes:
    return dump_json(
        ErrorBody(
            code=int(error.code),
            uuid=request_id,
            message=error.message,
            timestamp=now,
            debug=error.debug,
        )
    )


def error_response(error: ApiError, request_id: str, now: datetime) -> web.Response:
    response = web.Response(
        body=error_body(error, request_id, now),
        status=error.status,
        content_type="application/json",
    )
    response.headers.update(error.headers)
    return response


def _check_json_content_type(request: web.Request) -> None:
    if request.content_type != "application/json":
        raise ApiError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"requests with a body must be application/json, not {request.content_type!r}",
            debug="Content-Type",
        )


MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects a request body may have (documented in docs/errors.md)."""
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def json_depth_exceeded(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` nests arrays and objects deeper than ``limit`` (strings skipped).

    Checked before parsing, so that the parser never recurses that far.  A body
    with fewer opening brackets than the limit cannot exceed it: no scan at all.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _json_number(text: str) -> float | int:
    """A JSON number with a fraction or an exponent: an ``int`` when it is one (``2.0``,
    ``1e3``), as JSON Schema reads it ("integer" is any number without a fractional part),
    so that an integer field takes it; else a ``float``."""
    if len(text) <= 32:  # beyond: no integer a field could take, and no giant int()
        number = Decimal(text)
        if number.is_finite() and number == number.to_integral_value() and abs(number) < 10**30:
            return int(number)
    return float(text)


async def read_json(request: web.Request) -> Any:
    """The request body as JSON: 415 for another type, 400 for bad UTF-8 or JSON, 413 if huge."""
    return (await _read_json(request))[1]


async def _read_json(request: web.Request) -> tuple[str, Any]:
    """The body's text and its JSON (see :func:`read_json`)."""
    _check_json_content_type(request)
    raw = await request.read()  # aiohttp enforces client_max_size -> 413
    if not raw.strip():
        raise ApiError(ErrorCode.MALFORMED_JSON, "request body is empty", debug="body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            ErrorCode.MALFORMED_JSON, f"body is not UTF-8 (byte {exc.start})", debug="body"
        ) from None
    if json_depth_exceeded(text):
        raise ApiError(
            ErrorCode.MALFORMED_JSON,
            f"body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels",
            debug="body",
        )
    try:
        return text, json.loads(text, parse_float=_json_number)
    except json.JSONDecodeError as exc:
        raise ApiError(
            ErrorCode.MALFORMED_JSON,
            f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            debug="body",
        ) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of over 4,300 digits
        raise ApiError(
            ErrorCode.MALFORMED_JSON, f"body cannot be read as JSON: {exc}", debug="body"
        ) from None


async def read_model(request: web.Request, model: type[M]) -> M:
    """The JSON body validated by ``model``: 400 naming the first offending field.

    Strictly, as JSON Schema reads JSON (what the OpenAPI document says): ``true`` is
    no number and ``"5"`` no integer; a date-time is a string.  The 400 is every API's
    (:func:`simulator.bodies.errors.invalid`)."""
    _, data = await _read_json(request)
    try:
        return model.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        raise invalid(exc, model=model) from None
