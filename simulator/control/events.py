"""``GET /simulator/v1/events``: the live event stream (server-sent events) of
:mod:`simulator.feed`, or, to a client that does not accept ``text/event-stream``, the
kept events as one JSON page.

Each event is ``id: N``, ``event: KIND``, ``data: {...}``.  ``Last-Event-ID`` (or
``lastEventId``) replays the kept events after N first; one that is no longer kept
is announced by ``event: gap`` (``{"kind": "gap", "from": N, "oldest": M}``), and so
is a reader that fell more than the buffer behind.  A comment line ``: ping`` every
:data:`PING_SECONDS` wall seconds keeps proxies from closing the stream.  At shutdown
every stream ends at once (:meth:`simulator.feed.Feed.close_readers`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from typing import Any

from aiohttp import web

from simulator.api.http import json_response, sim_of
from simulator.api.operations import Operation, Param, control_errors, control_operation
from simulator.api.paging import int_param, int_query, single
from simulator.control.base import ControlModel
from simulator.errors import ApiError, ErrorCode
from simulator.feed import KINDS, Reader

PING_SECONDS = 15.0
_KIND = "(" + "|".join(KINDS) + ")"
_KINDS_PATTERN = f"^{_KIND}(,{_KIND})*$"
_LAST_ID = "lastEventId"


class EventPage(ControlModel):
    """The kept events after ``lastEventId`` (JSON form of the stream)."""

    events: list[dict[str, Any]]
    lastId: int
    oldest: int
    gap: bool


def _csv(request: web.Request, name: str) -> list[str]:
    text = single(request.query, name)
    return [part.strip() for part in text.split(",") if part.strip()] if text else []


def _last_id(request: web.Request) -> int | None:
    query = int_query(request.query, _LAST_ID, 0, 10**18)  # checked even with the header
    header = request.headers.get("Last-Event-ID")
    if header is not None:
        if not re.fullmatch(r"\d{1,18}", header.strip()):
            raise ApiError(
                ErrorCode.INVALID_PARAMETER,
                "Last-Event-ID must be an event id (an integer)",
                debug="Last-Event-ID",
            )
        return int(header.strip())
    return query


def _reader(request: web.Request, default_after: int | None) -> Reader:
    kinds = _csv(request, "kinds")
    unknown = [k for k in kinds if k not in KINDS]
    given = single(request.query, "kinds")
    if unknown or (given is not None and not re.fullmatch(_KINDS_PATTERN, given)):
        raise ApiError(
            ErrorCode.INVALID_PARAMETER,
            f"kinds: unknown {', '.join(unknown)} (allowed: {', '.join(KINDS)})",
            debug="kinds",
        )
    after = _last_id(request)
    feed = sim_of(request).feed
    return feed.reader(after if after is not None else default_after, kinds, _csv(request, "vin"))


def _frame(data: dict[str, Any]) -> bytes:
    text = json.dumps(data, separators=(",", ":"), default=str)
    head = f"id: {data['id']}\n" if "id" in data else ""
    return f"{head}event: {data['kind']}\ndata: {text}\n\n".encode()


async def stream_events(request: web.Request) -> web.StreamResponse:
    if "text/event-stream" not in request.headers.get("Accept", ""):
        return _page(request)
    reader = _reader(request, None)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    try:
        await response.prepare(request)
        await response.write(b"retry: 2000\n\n")
        await _pump(reader, response, request)
    except ConnectionError:  # the client went away
        pass
    finally:
        reader.close()
    return response


async def _pump(reader: Reader, response: web.StreamResponse, request: web.Request) -> None:
    while not reader.closed:
        gap, events = reader.read()
        chunks = [_frame(gap)] if gap is not None else []
        chunks.extend(_frame(event) for event in events)
        if chunks:
            await response.write(b"".join(chunks))
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        if reader.wake.is_set():
            continue
        try:
            await asyncio.wait_for(reader.wake.wait(), PING_SECONDS)
        except TimeoutError:
            await response.write(b": ping\n\n")
    with contextlib.suppress(ConnectionError):
        await response.write_eof()


def _page(request: web.Request) -> web.Response:
    """The JSON form: every kept event after ``lastEventId`` (default: all kept)."""
    reader = _reader(request, 0)
    try:
        gap, events = reader.read()
    finally:
        reader.close()
    page = EventPage(
        events=events, lastId=reader.after, oldest=reader.feed.oldest_id, gap=gap is not None
    )
    return json_response(page.model_dump())


_STREAM_DOC = {
    "description": "server-sent events (Accept: text/event-stream); otherwise the kept "
    "events as JSON",
    "content": {
        "text/event-stream": {
            "schema": {"type": "string"},
            "example": 'id: 42\nevent: clock\ndata: {"id":42,"kind":"clock",'
            '"at":"2026-03-02T07:10:00Z","now":"2026-03-02T07:10:00Z","speed":1.0,'
            '"paused":false,"mode":"real","change":"speed"}\n\n',
        },
        "application/json": {"schema": {"$ref": "#/components/schemas/EventPage"}},
    },
}

_op = control_operation(
    "GET",
    "/events",
    stream_events,
    "simEvents",
    "The live event stream: samples, remote steps, monitor events, delivery attempts, "
    "clock changes, scenario progress, callback changes (Last-Event-ID replays)",
    {200: EventPage},
    params=(
        Param(
            "kinds",
            "query",
            {"type": "string", "pattern": _KINDS_PATTERN},
            description="comma-separated kinds (default: all)",
        ),
        Param("vin", "query", {"type": "string"}, description="comma-separated VINs"),
        int_param(_LAST_ID, 0, 10**18, "replay the kept events after this id"),
        Param(
            "Last-Event-ID",
            "header",
            {"type": "string", "pattern": r"^\d{1,18}$"},
            description="as lastEventId (sent by EventSource on reconnect)",
        ),
    ),
    errors=control_errors("/events", params=True),
    tags=("Control",),
)

EVENT_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        _op.method, _op.path, _op.handler, _op.operation_id, _op.summary, _op.responses,
        content_type=_op.content_type, params=_op.params, tags=_op.tags, security=False,
        errors=_op.errors, extra={"responses": {"200": _STREAM_DOC}},
    ),
)  # fmt: skip
