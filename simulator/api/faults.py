"""Where API fault rules (:mod:`simulator.faults`) act: in the handler wrapper around the
API listener's app (``simulator.server.instrument``), in front of routing, on the
simulated API's paths only.  The wrapper calls :func:`with_faults` only while a rule
exists: without rules a request pays one list test, no middleware.

A rule that fires waits its ``latencyMs`` of real wall-clock time (the caller waits in
real time, whatever the simulator's clock), then either answers its error (the v4 error
body; RFC 6749's on ``/am/oauth2``) or lets the request through.  Either way the
request is journalled and logged like any other by the layer around the app.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable

from aiohttp import web

from simulator.api.checks import GRANT
from simulator.auth.models import Grant, OAuthError
from simulator.auth.web import oauth_error
from simulator.faults import FaultRule, fault_error
from simulator.paths import API_PREFIX
from simulator.store import Simulator

__all__ = ["with_faults"]

RawHandler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]

_OAUTH_ERRORS = {
    400: "invalid_request",
    401: "invalid_client",
    403: "access_denied",
    404: "invalid_request",
    429: "temporarily_unavailable",
    500: "server_error",
}


def _token_grant(request: web.BaseRequest, sim: Simulator) -> Grant | None:
    """The grant of the request's bearer token, if it has a live one (no error here: the
    request checks answer for a bad token when the request goes through)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return sim.identity.introspect(token.strip(), sim.clock.time())


def _basic_client(request: web.BaseRequest) -> str | None:
    """An identity request's client: HTTP basic auth, else the ``client_id`` query."""
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return request.query.get("client_id")


class _Caller:
    """Who sends the request, worked out once and only if a rule asks."""

    def __init__(self, request: web.BaseRequest, sim: Simulator) -> None:
        self._request = request
        self._sim = sim
        self.v4 = request.path.startswith(API_PREFIX)
        self.grant: Grant | None = None
        self._known: tuple[str | None, str | None] | None = None

    def __call__(self) -> tuple[str | None, str | None]:
        if self._known is None:
            if self.v4:
                self.grant = _token_grant(self._request, self._sim)
                grant = self.grant
                self._known = (grant.client_id, grant.user_id) if grant else (None, None)
            else:
                self._known = (_basic_client(self._request), None)
        return self._known


def _oauth_answer(rule: FaultRule, error: str) -> web.Response:
    status = rule.status
    assert status is not None
    name = _OAUTH_ERRORS.get(status, "temporarily_unavailable")
    return oauth_error(OAuthError(name, error, status))


async def _faulted(
    request: web.BaseRequest, handler: RawHandler, sim: Simulator, rule: FaultRule, caller: _Caller
) -> web.StreamResponse:
    if rule.latency_ms:
        await asyncio.sleep(rule.latency_ms / 1000)
    if rule.status is None:
        return await handler(request)
    error = fault_error(rule, sim.clock.time())
    if not caller.v4:
        response = _oauth_answer(rule, error.message)
        response.headers.update({k: v for k, v in error.headers.items() if k != "WWW-Authenticate"})
        return response
    caller()  # the journal shows whose request it was
    if caller.grant is not None:
        request[GRANT] = caller.grant
    raise error


async def with_faults(
    request: web.BaseRequest, handler: RawHandler, sim: Simulator
) -> web.StreamResponse:
    """The first rule that fires for the request acts on it, else ``handler`` answers
    (called only while some rule exists; the control API is never faulted)."""
    faults = sim.faults
    if not faults.covers(request.path):
        return await handler(request)
    caller = _Caller(request, sim)
    rule = faults.pick(request.method, request.path, sim.clock.time(), caller)
    if rule is None:
        return await handler(request)
    return await _faulted(request, handler, sim, rule, caller)
