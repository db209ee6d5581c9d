"""The ``/connectedcar/v4`` routes: the thin handlers of views.py, each behind the
request checks of :mod:`simulator.api.checks` (token, client, realm, rate limit), and
in front of them the API fault rules (:mod:`simulator.api.faults`)."""

from __future__ import annotations

from aiohttp import web

from simulator.api.cache import StatusCache
from simulator.api.checks import authenticated
from simulator.api.faults import inject_faults
from simulator.api.views import OPERATIONS, STATUS_CACHE


def add_api_routes(app: web.Application, prefix: str) -> None:
    """Mount the v4 API on ``app`` under ``prefix`` (on the root app: one routing step),
    with the fault rules' middleware (on the root app, so that a rule naming an
    ``/am/oauth2`` path reaches the identity server too; never the control API)."""
    app[STATUS_CACHE] = StatusCache()
    app.middlewares.append(inject_faults)
    for op in OPERATIONS:
        app.router.add_route(
            op.method, prefix + op.path, authenticated(op.handler), name=op.operation_id
        )
