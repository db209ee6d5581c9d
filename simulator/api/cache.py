"""Rendered status documents, reused while the vehicle's state has not changed.

A status is the hottest read of the API; rendering and validating it costs
far more than serving bytes.  An entry is valid while it belongs to the very
same state object (``is``) and every revision counter matches (see
``fleet.models.Revisioned``), for the same base URL and position visibility.
``nextDelayedTime`` is served as a duration from now, so a status that has
one is only reused within the same second.
"""

from __future__ import annotations

from collections.abc import Callable

from simulator.fleet import models as m

Key = tuple[str, str, bool]
Stamp = tuple[int, int, int, int, int]


def _stamp(state: m.VehicleState, now: float) -> Stamp:
    electric, fuel, engine = state.electric, state.fuel, state.engine
    ticking = electric is not None and electric.charging.next_delayed_time is not None
    return (
        state.revision,
        electric.revision if electric is not None else -1,
        fuel.revision if fuel is not None else -1,
        engine.revision if engine is not None else -1,
        int(now) if ticking else 0,
    )


class StatusCache:
    def __init__(self) -> None:
        self._entries: dict[Key, tuple[m.VehicleState, Stamp, bytes]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(
        self,
        vehicle: m.Vehicle,
        base: str,
        visible: bool,
        now: float,
        render: Callable[[], bytes],
    ) -> bytes:
        key = (vehicle.id, base, visible)
        state = vehicle.state
        stamp = _stamp(state, now)
        entry = self._entries.get(key)
        if entry is not None and entry[0] is state and entry[1] == stamp:
            return entry[2]
        body = render()
        self._entries[key] = (state, stamp, body)
        return body

    def clear(self) -> None:
        self._entries.clear()
