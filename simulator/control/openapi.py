"""The OpenAPI document of everything served: the v4 API, identity and control."""

from __future__ import annotations

from functools import cache
from typing import Any

from simulator.api.operations import build_openapi
from simulator.api.schemas import ErrorBody
from simulator.api.views import OPERATIONS as API_OPERATIONS
from simulator.auth.routes import OPERATIONS as AUTH_OPERATIONS
from simulator.control.app import OPERATIONS as CONTROL_OPERATIONS
from simulator.paths import API_PREFIX, AUTH_PREFIX, CONTROL_PREFIX


@cache
def openapi_document() -> dict[str, Any]:
    return build_openapi(
        [
            (API_PREFIX, API_OPERATIONS),
            (AUTH_PREFIX, AUTH_OPERATIONS),
            (CONTROL_PREFIX, CONTROL_OPERATIONS),
        ],
        error_model=ErrorBody,
        title="connectedcar-simulator: Stellantis connected-car API v4 and control API",
    )
