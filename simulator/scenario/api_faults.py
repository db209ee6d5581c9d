"""Playing an ``apiFault`` timeline step: a fault rule added through the control API
(``POST /simulator/v1/faults``), or cleared (``clear: NAME`` or ``clear: true``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from simulator.bodies.rules import iso_duration
from simulator.paths import CONTROL_PREFIX

__all__ = ["play_api_fault"]

FAULTS = CONTROL_PREFIX + "/faults"
Call = Callable[..., Awaitable[Any]]
"""The player's control call: ``call(method, path, body=None, *, where=...)``."""


async def play_api_fault(
    call: Call, start: float, detail: dict[str, Any], where: tuple[str | int, ...]
) -> None:
    """Add the step's rule (``until``: an ISO 8601 duration from ``start``, sent as a
    date-time), or delete the rules it clears (the file checks name an earlier step's)."""
    body = dict(detail)
    clear = body.get("clear")
    if clear is True:
        await call("DELETE", FAULTS, where=where)
        return
    if isinstance(clear, str):
        listed = await call("GET", FAULTS, where=where)
        for rule in listed["faults"]:
            if rule.get("name") == clear:
                await call("DELETE", f"{FAULTS}/{rule['id']}", where=where)
        return
    if "until" in body:
        offset = iso_duration(body["until"], positive=False)
        body["until"] = datetime.fromtimestamp(start + offset.total_seconds(), UTC).isoformat()
    await call("POST", FAULTS, body, where=where)
