"""The fleet: every vehicle of one simulator, by id and by owner."""

from __future__ import annotations

from collections.abc import Iterator

from simulator.errors import VehicleForbidden
from simulator.fleet.models import Vehicle


class Fleet:
    def __init__(self) -> None:
        self._by_id: dict[str, Vehicle] = {}
        self._by_owner: dict[str, list[Vehicle]] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Vehicle]:
        return iter(self._by_id.values())

    def add(self, vehicle: Vehicle) -> Vehicle:
        if vehicle.id in self._by_id:
            raise ValueError(f"vehicle id {vehicle.id} already exists")
        self._by_id[vehicle.id] = vehicle
        self._by_owner.setdefault(vehicle.owner, []).append(vehicle)
        return vehicle

    def remove(self, vehicle_id: str) -> Vehicle | None:
        vehicle = self._by_id.pop(vehicle_id, None)
        if vehicle is not None:
            self._by_owner[vehicle.owner].remove(vehicle)
        return vehicle

    def clear(self) -> None:
        self._by_id.clear()
        self._by_owner.clear()

    def get(self, vehicle_id: str) -> Vehicle | None:
        return self._by_id.get(vehicle_id)

    def owned_by(self, owner: str) -> list[Vehicle]:
        return list(self._by_owner.get(owner, ()))

    def of_user(self, owner: str, vehicle_id: str) -> Vehicle:
        """The user's vehicle; unknown and foreign ids raise the same 403."""
        vehicle = self._by_id.get(vehicle_id)
        if vehicle is None or vehicle.owner != owner:
            raise VehicleForbidden()
        return vehicle
