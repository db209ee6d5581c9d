"""The ``/connectedcar/v4`` sub-app: request checks, then the thin handlers of views.py.

Check order (connectedcar-v4.md, Transport): token (401 + ``WWW-Authenticate:
Bearer``), ``client_id`` present (400) and the token's (401), realm known (400).
Scopes are checked per operation by the handlers.
"""

from __future__ import annotations

from aiohttp import web

from simulator.api.http import Handler, sim_of
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


@web.middleware
async def check_request(request: web.Request, handler: Handler) -> web.StreamResponse:
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
    sim = sim_of(request)
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
    request[GRANT] = grant
    return await handler(request)


def create_app() -> web.Application:
    from simulator.api.operations import add_routes
    from simulator.api.views import OPERATIONS

    app = web.Application(middlewares=[check_request])
    add_routes(app, OPERATIONS)
    return app
