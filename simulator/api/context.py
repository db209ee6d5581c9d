"""What every v4 handler shares: the request context and collection pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web
from multidict import MultiMapping

from simulator.api import render
from simulator.api import schemas as s
from simulator.api.checks import GRANT
from simulator.api.http import SIM, model_response
from simulator.api.operations import Param
from simulator.api.paging import PAGE_SIZE_MAX, paginate
from simulator.auth.models import Grant
from simulator.callbacks.model import Callback, CallbackType
from simulator.errors import ApiError, ErrorCode
from simulator.fleet import models as m
from simulator.paths import API_PREFIX
from simulator.store import Simulator

T = TypeVar("T")
P = TypeVar("P", bound=s.CollectionResult[Any])


class Context:
    """What every handler needs: the simulator, the grant, the base URL, the time."""

    __slots__ = ("_now", "base", "grant", "request", "sim")

    def __init__(self, request: web.Request) -> None:
        self.request = request
        self.sim: Simulator = request.app[SIM]
        self.grant: Grant = request[GRANT]
        self.base = f"https://{request.host}{API_PREFIX}"
        self._now: datetime | None = None

    @property
    def now(self) -> datetime:
        if self._now is None:
            self._now = self.sim.clock.now()
        return self._now

    @property
    def user_id(self) -> str:
        if self.grant.user_id is None:
            raise ApiError(ErrorCode.NO_END_USER, "the access token is not bound to an end user")
        return self.grant.user_id

    def require(self, scope: str) -> None:
        if scope not in self.grant.scopes:
            raise ApiError(
                ErrorCode.SCOPE_MISSING, f"the access token lacks the scope {scope}", debug=scope
            )

    def callback(self, kind: CallbackType) -> Callback:
        """The path's ``{cbid}``: 404 if unknown to this user and client, 400 if it does not
        serve ``kind`` (Remote or Monitor)."""
        callback = self.sim.callbacks.get(
            self.user_id, self.grant.client_id, self.request.match_info["cbid"]
        )
        if kind not in callback.types:
            raise ApiError(
                ErrorCode.INVALID_FIELD,
                f"callback {callback.id} does not serve type {kind}",
                debug="cbid",
            )
        return callback

    def vehicle(self) -> m.Vehicle:
        return self.sim.fleet.of_user(self.user_id, self.request.match_info["id"])

    def position_visible(self, vehicle: m.Vehicle) -> bool:
        return render.position_visible(vehicle, self.grant.scopes)


def list_param(query: MultiMapping[str], name: str, allowed: frozenset[str]) -> frozenset[str]:
    """A filter of values among ``allowed``: repeated parameters (as documented, see
    :func:`list_param_doc`) or comma separated in one value (older generated clients).
    An empty or unknown value answers 400 naming the parameter."""
    values: set[str] = set()
    for raw in query.getall(name, []):
        values.update(part.strip() for part in raw.split(","))
    if values - allowed:
        raise ApiError(
            ErrorCode.INVALID_PARAMETER,
            f"{name} must be among {', '.join(sorted(allowed))}",
            debug=name,
        )
    return frozenset(values)


def list_param_doc(name: str, allowed: frozenset[str], description: str = "") -> Param:
    """How :func:`list_param` is documented: an array of ``allowed`` values."""
    schema = {"type": "array", "items": {"type": "string", "enum": sorted(allowed)}}
    return Param(name, "query", schema, description=description)


def enum_param_doc(name: str, allowed: frozenset[str], description: str = "") -> Param:
    """A :func:`list_param` documented as the reference has it: one value among ``allowed``."""
    return Param(
        name, "query", {"type": "string", "enum": sorted(allowed)}, description=description
    )


def page_response(
    ctx: Context,
    page_type: type[P],
    items: Sequence[T],
    to_dict: Callable[[T], Any],
    *,
    max_page_size: int = PAGE_SIZE_MAX,
) -> web.Response:
    page = paginate(items, ctx.request.query, ctx.request.url, max_page_size=max_page_size)
    document = {
        "links": {name: {"href": href} for name, href in page.links.items()},
        "total": page.total,
        "totalPage": page.total_page,
        "currentPage": page.current_page,
        "embedded": {page_type.embedded_key: [to_dict(item) for item in page.items]},
    }
    return model_response(page_type.model_validate(document))
