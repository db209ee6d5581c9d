"""The request checks every ``/connectedcar/v4`` operation passes, and the grant they
leave on the request (``GRANT``) for the handlers and the journal.

Check order (connectedcar-v4.md, Transport): token (401 + ``WWW-Authenticate:
Bearer``), ``client_id`` present (400) and the token's (401), realm known (400).
Scopes are checked per operation by the handlers.

Rate limits (``simulator.auth.quota``), when on for the token's client, are counted
right after the token check: from there on every answer, success or error, carries
the four ``X-RateLimit-*`` headers, and an exhausted quota answers 429 (code 42901)
with ``Retry-After`` and ``X-RateLimit-Reset`` without counting the request.
"""

from __future__ import annotations

import functools

from aiohttp import web

from simulator.api.http import SIM, Handler
from simulator.api.operations import Param
from simulator.auth.models import REALMS, Grant
from simulator.errors import ApiError, ErrorCode
from simulator.store import Simulator

GRANT = web.RequestKey("grant", Grant)

# What every v4 operation takes besides its token, documented from the checks below.
CLIENT_ID_PARAM = Param(
    "client_id",
    "query",
    {"type": "string", "minLength": 1},
    required=True,
    description="the client the access token was issued to (another: 401)",
)
REALM_PARAM = Param(
    "x-introspect-realm",
    "header",
    {"type": "string", "enum": sorted(REALMS)},
    required=True,
    description="the brand's realm; it need not match the vehicle's brand",
)
COMMON_PARAMS = (CLIENT_ID_PARAM, REALM_PARAM)


def _unauthorized(message: str, error: str = "invalid_token") -> ApiError:
    return ApiError(
        ErrorCode.BAD_TOKEN,
        message,
        debug="Authorization",
        headers={"WWW-Authenticate": f'Bearer realm="connectedcar", error="{error}"'},
    )


def _token_grant(request: web.Request, sim: Simulator) -> Grant:
    """The grant of the request's bearer token (401 when there is none or it is dead)."""
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
    grant = sim.identity.introspect(token, sim.clock.time())
    if grant is None:
        raise _unauthorized("the access token is invalid, expired or revoked")
    return grant


def _check_client_and_realm(request: web.Request, grant: Grant) -> None:
    # Common case without parsing the query: exactly "client_id=<the token's client>".
    if request.rel_url.raw_query_string != "client_id=" + grant.client_id:
        _check_client_id(request, grant)
    realm = request.headers.get("x-introspect-realm")
    if not realm:
        raise ApiError(
            ErrorCode.BAD_REALM, "header x-introspect-realm is required", debug="x-introspect-realm"
        )
    if realm not in REALMS:
        raise ApiError(ErrorCode.BAD_REALM, "unknown realm", debug="x-introspect-realm")


def _check_client_id(request: web.Request, grant: Grant) -> None:
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


def authenticated(handler: Handler) -> Handler:
    """Wrap a v4 handler with the request checks (cheaper than a sub-app middleware)."""

    @functools.wraps(handler)
    async def checked(request: web.Request) -> web.StreamResponse:
        sim = request.app[SIM]
        grant = _token_grant(request, sim)
        quota = sim.limits.quota(grant.client_id)
        if quota is None:  # limits off: one dict lookup
            _check_client_and_realm(request, grant)
            request[GRANT] = grant
            return await handler(request)
        decision = quota.take(sim.clock.time())
        if not decision.allowed:
            request[GRANT] = grant  # the journal shows whose quota ran out
            raise ApiError(
                ErrorCode.RATE_LIMITED,
                "rate limit reached, retry after the delay in Retry-After",
                headers=decision.headers,
            )
        try:
            _check_client_and_realm(request, grant)
            request[GRANT] = grant
            response = await handler(request)
        except ApiError as exc:
            exc.headers = {**exc.headers, **decision.headers}
            raise
        if not response.prepared:
            response.headers.update(decision.headers)
        return response

    return checked
