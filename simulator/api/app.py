"""The ``/connectedcar/v4`` routes: the thin handlers of views.py, each behind the
request checks of :mod:`simulator.api.checks` (token, client, realm, rate limit).  The
API fault rules (:mod:`simulator.api.faults`) act in front of routing, in the handler
wrapper of ``simulator.server`` (no middleware: none is paid per request)."""

from __future__ import annotations

from aiohttp import web

from simulator.api.cache import StatusCache
from simulator.api.checks import authenticated
from simulator.api.views import OPERATIONS, STATUS_CACHE


def add_api_routes(app: web.Application, prefix: str) -> None:
    """Mount the v4 API on ``app`` under ``prefix`` (on the root app: one routing step)."""
    app[STATUS_CACHE] = StatusCache()
    for op in OPERATIONS:
        app.router.add_route(
            op.method, prefix + op.path, authenticated(op.handler), name=op.operation_id
        )
