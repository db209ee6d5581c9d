"""The ``/connectedcar/v4`` routes: request checks around the thin handlers of views.py.

Check order (connectedcar-v4.md, Transport): token (401 + ``WWW-Authenticate:
Bearer``), ``client_id`` present (400) and the token's (401), realm known (400).
Scopes are checked per operation by the handlers.
"""

from __future__ import annotations

import functools

from aiohttp import web

from simulator.api.http import SIM, Handler
from simulator.auth.models import REALMS, Grant
from simulator.errors import ApiError, ErrorCode

GRANT = web.RequestKey("grant", Grant)


def _unauthorized(message: str, error: str = "invalid_token") -> ApiError:
    return ApiError(
        ErrorCode.BAD_TOKEN,
        message,
        debug="Authorization",
        headers={"WWW-Authenticate": f'Bearer realm="connectedcar", error="{error}"'},
    )


def _check(request: web.Request) -> Grant:
    header = request.headers.get("Authorization")
    if header is None:
        raise ApiError(
            ErrorCode.BAD_TOKEN,
            "an access token is required",
            debug="Authorization",
            headers={"WWW-Authenticate": 'Bearer realm="connectedcar"'},
        )
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("the Authorization header must be 'Bearer <token>'", "invalid_request")
    sim = request.app[SIM]
    grant = sim.identity.introspect(token, sim.clock.time())
    if grant is None:
        raise _unauthorized("the access token is invalid, expired or revoked")
    client_ids = request.query.getall("client_id", [])
    if not client_ids or not client_ids[0]:
        raise ApiError(
            ErrorCode.MISSING_CLIENT_ID, "query parameter client_id is required", debug="client_id"
        )
    if len(client_ids) > 1 or client_ids[0] != grant.client_id:
        raise ApiError(
            ErrorCode.CLIENT_MISMATCH,
            "client_id is not the client the token was issued to",
            debug="client_id",
        )
    realm = request.headers.get("x-introspect-realm")
    if not realm:
        raise ApiError(
            ErrorCode.BAD_REALM, "header x-introspect-realm is required", debug="x-introspect-realm"
        )
    if realm not in REALMS:
        raise ApiError(ErrorCode.BAD_REALM, "unknown realm", debug="x-introspect-realm")
    return grant


def authenticated(handler: Handler) -> Handler:
    """Wrap a v4 handler with the request checks (cheaper than a sub-app middleware)."""

    @functools.wraps(handler)
    async def checked(request: web.Request) -> web.StreamResponse:
        request[GRANT] = _check(request)
        return await handler(request)

    return checked


def add_api_routes(app: web.Application, prefix: str) -> None:
    """Mount the v4 API on ``app`` under ``prefix`` (on the root app: one routing step)."""
    from simulator.api.cache import StatusCache
    from simulator.api.views import OPERATIONS, STATUS_CACHE

    app[STATUS_CACHE] = StatusCache()
    for op in OPERATIONS:
        app.router.add_route(
            op.method, prefix + op.path, authenticated(op.handler), name=op.operation_id
        )
