"""A vehicle's data samples: stamping its data with the time and publishing a
:class:`~simulator.events.VehicleSample`, and the one catch-up rule of an offline car.

Pure domain: the clock and the bus, no HTTP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.events import EventBus, VehicleSample
from simulator.fleet.enums import PositionKind
from simulator.fleet.models import Vehicle

if TYPE_CHECKING:
    from simulator.clock import Clock

CATCH_UP = "catch-up"  # the sample an offline car owes, sent first once back online

__all__ = ["CATCH_UP", "Samples"]


class Samples:
    """Publishes a vehicle's data samples on the bus."""

    __slots__ = ("bus", "clock")

    def __init__(self, clock: Clock, bus: EventBus) -> None:
        self.clock = clock
        self.bus = bus

    def sample(self, vehicle: Vehicle, cause: str, *, locate: bool = True) -> None:
        """The vehicle reports its data now (what the read endpoints then serve); with
        ``locate`` its position is a fix taken now (else it keeps its own time: a parked
        or driving car of the living fleet, whose trips set it)."""
        now = self.clock.now()
        state = vehicle.state
        state.updated_at = now
        if locate:
            state.position = state.position.stamped(now, PositionKind.ACQUIRE)
        vehicle.updated_at = now
        self.bus.publish(VehicleSample(vehicle.id, vehicle.vin, self.clock.time(), cause))

    def report(
        self, vehicle: Vehicle, cause: str, *, locate: bool = True, routine: bool = False
    ) -> None:
        """A sample from something running in the vehicle (a trip, a charge, a parked
        report...): none while the vehicle is offline, which then owes one
        (``VehicleState.unreported``); back online, a ``catch-up`` sample comes first, and
        a ``routine`` report (a parked car's) is that catch-up sample alone."""
        state = vehicle.state
        if not state.online:
            if not state.unreported:
                state.unreported = True
            return
        if state.unreported:
            state.unreported = False
            self.sample(vehicle, CATCH_UP, locate=locate)
            if routine:
                return
        self.sample(vehicle, cause, locate=locate)
