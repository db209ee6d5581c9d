"""Remote actions: their lifecycle on the simulator clock and their notifications.

A remote is accepted at once (the API answers 202) and then lives on the
clock: ``Pending`` steps (``Accepted``, ``WakingUpVehicle``, ``SentToVehicle``,
...) and exactly one ``Done`` (``Success``, ``AlreadyDone`` or ``Failed`` with
a cause).  Each status is recorded in the action's history and raised as a
:class:`~simulator.events.Notification` on the bus for its callback.  The
remotes of one vehicle run one after the other, in order; a remote of an
action already pending for the vehicle ends ``SameActionInProgress``.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from simulator.callbacks.attributes import channel_overrides
from simulator.events import EventBus, Notification
from simulator.fleet.models import Vehicle
from simulator.remotes.effects import Effects, Outcome, failed

if TYPE_CHECKING:
    from simulator.clock import Clock, Timer
    from simulator.fleet.operations import FleetOperations
    from simulator.ids import Ids
    from simulator.remotes.commands import RemoteCommand

PENDING = "Pending"
DONE = "Done"
DEFAULT_WAKEUP_LIMIT = 100  # per vehicle and calendar month (sim)
KEPT_PER_VEHICLE = 100  # finished remotes kept per vehicle for GET .../remotes (sim)


@dataclass
class Timing:
    """Seconds of simulated time each step takes (settable per vehicle)."""

    accept: float = 1.0
    wake: float = 20.0
    send: float = 2.0
    execute: float = 3.0
    driver: float = 15.0
    timeout: float = 300.0  # an offline vehicle: VehicleConnectionTimeout after this
    awake: float = 180.0  # a vehicle stays awake this long after each message

    def update(self, values: dict[str, float]) -> None:
        for name, value in values.items():
            setattr(self, name, float(value))

    def as_dict(self) -> dict[str, float]:
        return dict(vars(self))


@dataclass(slots=True)
class StatusEntry:
    at: float
    type: str
    status: str
    failure_cause: str | None = None
    feedback_detail: str | None = None


@dataclass(slots=True, eq=False)
class RemoteAction:
    id: str
    vehicle_id: str
    vin: str
    user_id: str
    client_id: str
    callback_id: str
    command: RemoteCommand
    created_at: float
    history: list[StatusEntry] = field(default_factory=list)
    overrides: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return bool(self.history) and self.history[-1].type == DONE

    @property
    def latest(self) -> StatusEntry | None:
        return self.history[-1] if self.history else None


@dataclass(slots=True)
class ScriptedFailure:
    cause: str
    remaining: int
    action: str | None = None  # None: any action


@dataclass(slots=True, eq=False)
class VehicleRemotes:
    """Per vehicle: its remotes, the queue, and what the control API scripted."""

    actions: dict[str, RemoteAction] = field(default_factory=dict)
    pending: Counter[str] = field(default_factory=Counter)  # not yet Done, per action
    queue: deque[RemoteAction] = field(default_factory=deque)
    running: RemoteAction | None = None
    timer: Timer | None = None
    failures: list[ScriptedFailure] = field(default_factory=list)
    driver_accepts: bool = True
    timing: Timing = field(default_factory=Timing)
    wakeups: dict[str, int] = field(default_factory=dict)  # "YYYY-MM" -> count
    wakeup_limit: int = DEFAULT_WAKEUP_LIMIT


class RemoteEngine:
    def __init__(self, clock: Clock, bus: EventBus, ids: Ids, operations: FleetOperations) -> None:
        self.clock = clock
        self.bus = bus
        self.ids = ids  # remote action and event ids (seeded)
        self.operations = operations  # the vehicle changes
        self.effects = Effects(clock, operations)
        self._vehicles: dict[str, VehicleRemotes] = {}
        self._generation = 0  # lifecycles of before a reset stop at their next step

    def reset(self) -> None:
        self._generation += 1
        for remotes in self._vehicles.values():
            if remotes.timer is not None:
                remotes.timer.cancel()
        self._vehicles.clear()
        self.effects.reset()

    def of(self, vehicle_id: str) -> VehicleRemotes:
        found = self._vehicles.get(vehicle_id)
        if found is None:
            found = self._vehicles[vehicle_id] = VehicleRemotes()
        return found

    # ------------------------------------------------------------ reading
    def is_awake(self, vehicle: Vehicle) -> bool:
        """Stolen vehicles never sleep; others stay awake a while after each message."""
        state = vehicle.state
        until = state.awake_until
        return state.stolen or (until is not None and until > self.clock.now())

    def actions(
        self, vehicle_id: str, user_id: str, client_id: str, callback_id: str | None = None
    ) -> list[RemoteAction]:
        remotes = self._vehicles.get(vehicle_id)
        if remotes is None:
            return []
        return [
            a
            for a in remotes.actions.values()
            if a.user_id == user_id
            and a.client_id == client_id
            and (callback_id is None or a.callback_id == callback_id)
        ]

    def all_actions(self, vehicle_id: str) -> list[RemoteAction]:
        remotes = self._vehicles.get(vehicle_id)
        return list(remotes.actions.values()) if remotes else []

    # ------------------------------------------------------------ submitting
    def submit(
        self,
        vehicle: Vehicle,
        user_id: str,
        client_id: str,
        callback_id: str,
        command: RemoteCommand,
    ) -> RemoteAction:
        remotes = self.of(vehicle.id)
        rid = self.ids.remote()
        routing = channel_overrides(command.attributes, command.callback_attributes)
        action = RemoteAction(
            rid, vehicle.id, vehicle.vin, user_id, client_id, callback_id, command,
            self.clock.time(), overrides=routing,
        )  # fmt: skip
        busy = remotes.pending[command.action] > 0
        remotes.pending[command.action] += 1
        remotes.actions[rid] = action
        if len(remotes.actions) > KEPT_PER_VEHICLE:
            self._forget_oldest(remotes)
        if busy:
            self._run(vehicle, action, self._same_action(action, remotes.timing), alone=True)
        else:
            remotes.queue.append(action)
            self._next(vehicle)
        return action

    @staticmethod
    def _forget_oldest(remotes: VehicleRemotes) -> None:
        """Keep the newest finished remotes (the pending ones are always kept)."""
        excess = len(remotes.actions) - KEPT_PER_VEHICLE
        for rid in [rid for rid, a in remotes.actions.items() if a.done][:excess]:
            del remotes.actions[rid]

    def _next(self, vehicle: Vehicle) -> None:
        remotes = self.of(vehicle.id)
        if remotes.running is not None or not remotes.queue:
            return
        action = remotes.queue.popleft()
        remotes.running = action
        self._run(vehicle, action, self._lifecycle(vehicle, action, remotes))

    def _run(
        self,
        vehicle: Vehicle,
        action: RemoteAction,
        steps: Generator[float, None, None],
        alone: bool = False,
    ) -> None:
        """Drive a lifecycle: each value it yields is a delay before its next step."""
        generation = self._generation

        def step() -> None:
            if generation != self._generation:
                return
            try:
                delay = next(steps)
            except StopIteration:
                remotes = self.of(vehicle.id)
                if not alone and remotes.running is action:
                    remotes.running = None
                    self._next(vehicle)
                return
            timer = self.clock.call_later(delay, step)
            if not alone:
                self.of(vehicle.id).timer = timer

        step()

    # ------------------------------------------------------------ lifecycles
    def _same_action(self, action: RemoteAction, timing: Timing) -> Generator[float, None, None]:
        if action.command.action != "navigation":
            yield timing.accept
            self._emit(action, PENDING, "Accepted")
        yield timing.accept
        self._done(action, failed("SameActionInProgress"))

    def _lifecycle(
        self, vehicle: Vehicle, action: RemoteAction, remotes: VehicleRemotes
    ) -> Generator[float, None, None]:
        timing = remotes.timing
        command = action.command
        navigation = command.action == "navigation"
        state = vehicle.state
        yield timing.accept
        if not navigation:
            self._emit(action, PENDING, "Accepted")
        if not state.online:
            yield timing.timeout
            self._done(action, failed("VehicleConnectionTimeout"))
            return
        now = self.clock.now()
        if not self.is_awake(vehicle):
            month = now.strftime("%Y-%m")
            if remotes.wakeups.get(month, 0) >= remotes.wakeup_limit:
                self._emit(action, PENDING, "TooManyWakeUpsOverMonth")
                yield timing.accept
                self._done(action, failed("TooManyWakeUpsOverMonth"))
                return
            if not navigation:
                self._emit(action, PENDING, "WakingUpVehicle")
            yield timing.wake
            remotes.wakeups[month] = remotes.wakeups.get(month, 0) + 1
            if not state.online:  # went offline meanwhile
                yield timing.timeout
                self._done(action, failed("VehicleConnectionTimeout"))
                return
        self._keep_awake(vehicle, timing)
        if self.effects.battery_too_low(vehicle, command):
            self._emit(action, PENDING, "VehicleBatteryChargeTooLow")
            yield timing.send
            self._done(action, failed("NotPossibleDueToVehicleBatteryLevel"))
            return
        yield timing.send
        self._emit(action, PENDING, "SentToVehicle")
        driver_accepts = True
        if navigation and getattr(command.params, "driver_approval", False):
            yield timing.driver
            driver_accepts = remotes.driver_accepts
        else:
            yield timing.execute
        if not state.online:
            yield timing.timeout
            self._done(action, failed("VehicleConnectionTimeout"))
            return
        scripted = self._scripted(remotes, command.action)
        if scripted is not None:
            self._done(action, failed(scripted))
        else:
            self._done(action, self.effects.apply(vehicle, command, driver_accepts))
        self._keep_awake(vehicle, timing)

    def _keep_awake(self, vehicle: Vehicle, timing: Timing) -> None:
        """Awake ``timing.awake`` more seconds after each message (never less)."""
        until = datetime.fromtimestamp(self.clock.time() + timing.awake, UTC)
        awake_until = vehicle.state.awake_until
        if awake_until is None or awake_until < until:
            self.operations.wake(vehicle, seconds=timing.awake)

    @staticmethod
    def _scripted(remotes: VehicleRemotes, action: str) -> str | None:
        for failure in remotes.failures:
            if failure.remaining > 0 and failure.action in (None, action):
                failure.remaining -= 1
                cause = failure.cause
                remotes.failures = [f for f in remotes.failures if f.remaining > 0]
                return cause
        return None

    # ------------------------------------------------------------ notifications
    def _done(self, action: RemoteAction, outcome: Outcome) -> None:
        self.of(action.vehicle_id).pending[action.command.action] -= 1
        self._emit(action, DONE, outcome.status, outcome.failure_cause, outcome.feedback_detail)

    def _emit(
        self,
        action: RemoteAction,
        kind: str,
        status: str,
        failure_cause: str | None = None,
        feedback_detail: str | None = None,
    ) -> None:
        now = self.clock.time()
        action.history.append(StatusEntry(now, kind, status, failure_cause, feedback_detail))
        command = action.command
        event_status: dict[str, Any] = {"type": kind, "status": status}
        if failure_cause is not None:
            event_status["failureCause"] = failure_cause
        if feedback_detail is not None:
            event_status["feedbackDetail"] = feedback_detail
        self.bus.publish(
            Notification(
                type="Remote",
                user_id=action.user_id,
                client_id=action.client_id,
                vin=action.vin,
                raised_at=now,
                event={
                    "remoteActionId": action.id,
                    "remoteType": command.remote_type,
                    "eventStatus": event_status,
                },
                callback_id=action.callback_id,
                label=command.label,
                variables={
                    "remotetype": command.remote_type,
                    "remotestatus": status,
                    "remotelabel": command.label or "",
                },
                overrides=action.overrides,
                event_id=self.ids.event(),
            )
        )
