"""The fleet: every vehicle of one simulator, by id and by owner."""

from __future__ import annotations

from collections.abc import Iterator

from simulator.errors import VehicleForbidden
from simulator.fleet.models import Vehicle


class Fleet:
    def __init__(self) -> None:
        self._by_id: dict[str, Vehicle] = {}
        self._by_owner: dict[str, list[Vehicle]] = {}
        self._by_vin: dict[str, Vehicle] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Vehicle]:
        return iter(self._by_id.values())

    def add(self, vehicle: Vehicle) -> Vehicle:
        if vehicle.id in self._by_id:
            raise ValueError(f"vehicle id {vehicle.id} already exists")
        self._by_id[vehicle.id] = vehicle
        self._by_owner.setdefault(vehicle.owner, []).append(vehicle)
        self._by_vin[vehicle.vin] = vehicle
        return vehicle

    def remove(self, vehicle_id: str) -> Vehicle | None:
        vehicle = self._by_id.pop(vehicle_id, None)
        if vehicle is not None:
            self._by_owner[vehicle.owner].remove(vehicle)
            if self._by_vin.get(vehicle.vin) is vehicle:
                del self._by_vin[vehicle.vin]
                for other in self._by_id.values():  # the last other one with that VIN, if any
                    if other.vin == vehicle.vin:
                        self._by_vin[other.vin] = other
        return vehicle

    def clear(self) -> None:
        self._by_id.clear()
        self._by_owner.clear()
        self._by_vin.clear()

    def get(self, vehicle_id: str) -> Vehicle | None:
        return self._by_id.get(vehicle_id)

    def by_vin(self, vin: str) -> Vehicle | None:
        """The vehicle with this VIN (the last added, if two share it)."""
        return self._by_vin.get(vin)

    def owned_by(self, owner: str) -> list[Vehicle]:
        return list(self._by_owner.get(owner, ()))

    def of_user(self, owner: str, vehicle_id: str) -> Vehicle:
        """The user's vehicle; unknown and foreign ids raise the same 403."""
        vehicle = self._by_id.get(vehicle_id)
        if vehicle is None or vehicle.owner != owner:
            raise VehicleForbidden()
        return vehicle
