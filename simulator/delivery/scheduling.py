"""Scheduling on the simulator clock: lanes, batches and order.

One *lane* per destination (a callback's webhook, websocket or push devices; an
older-form monitor's own webhook).  A lane has at most one send in flight; what
piles up meanwhile goes out in the next batch (the real API batches "in case of
lag").  A failed event waits for its retry time; later events of the same vehicle
wait behind it so a vehicle's events stay in order, while other vehicles' events
keep flowing.  An older-form monitor's ``batchNotify`` holds a short batch back until
its time window ends.  Nothing here sends: the engine asks for the next batch and
is woken (``wake(lane)``) when one may be due.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulator.callbacks.channels import ChannelName
from simulator.delivery.message import Prepared
from simulator.delivery.retry import outlived
from simulator.events import Notification

if TYPE_CHECKING:
    from simulator.clock import Clock, Timer


@dataclass(slots=True, eq=False)
class Pending:
    """One event on its way to one lane."""

    seq: int
    note: Notification
    channel: ChannelName
    attempts: int = 0
    not_before: float = 0.0
    since: float = 0.0  # start of the retention window (raised, or replayed)
    # its message made ahead, while an earlier batch was in flight, and for what: the
    # channel (the object: a replaced callback has new ones) and the callback's label
    ready: Prepared | None = None
    ready_for: tuple[object, str | None] | None = None


@dataclass(slots=True, eq=False)
class Lane:
    key: str
    channel: ChannelName
    callback_id: str | None
    queue: deque[Pending] = field(default_factory=deque)
    waiting: int = 0  # queued items with a retry time set
    task: asyncio.Task[None] | None = None
    timer: Timer | None = None
    timer_due: float = 0.0
    failures: int = 0  # consecutive failed sends (websocket reconnects)
    last_success: float | None = None
    closed: bool = False

    @property
    def busy(self) -> bool:
        return self.task is not None


def lane_key(note: Notification, channel: ChannelName) -> str:
    if note.inline is not None:
        return f"inline:{note.user_id}:{note.client_id}:{note.inline.target}"
    return f"{note.callback_id}:{channel}"


class Scheduler:
    """The lanes, and when each may send next."""

    def __init__(self, clock: Clock, wake: Callable[[Lane], None]) -> None:
        self.clock = clock
        self.lanes: dict[str, Lane] = {}
        self._wake = wake

    def lane(self, key: str, item: Pending) -> Lane:
        """The lane ``key`` (made for ``item`` if new)."""
        lane = self.lanes.get(key)
        if lane is None:
            callback_id = None if item.note.inline is not None else item.note.callback_id
            lane = self.lanes[key] = Lane(key, item.channel, callback_id)
        return lane

    def add(self, key: str, item: Pending) -> Lane:
        lane = self.lane(key, item)
        lane.queue.append(item)
        if item.not_before:
            lane.waiting += 1
        return lane

    def due_now(self) -> None:
        """Everything waiting may go at once (shutting down)."""
        for lane in self.lanes.values():
            for item in lane.queue:
                item.not_before = 0.0
            lane.waiting = 0

    def cancel(self, lane: Lane) -> None:
        """Stop ``lane``: nothing more is sent or woken."""
        lane.closed = True
        lane.queue.clear()
        if lane.timer is not None:
            lane.timer.cancel()
        if lane.task is not None:
            lane.task.cancel()

    # ------------------------------------------------------------ the next batch
    def expire(self, lane: Lane, now: float) -> list[Pending]:
        """Take out what outlived the retention (e.g. kept while paused)."""
        if not outlived(lane.queue[0].since, now):  # the head is the oldest but for replays
            return []
        expired = [i for i in lane.queue if outlived(i.since, now)]
        lane.queue = deque(i for i in lane.queue if not outlived(i.since, now))
        lane.waiting = sum(1 for i in lane.queue if i.not_before)
        return expired

    def next_batch(self, lane: Lane, now: float, limit: int, closing: bool) -> list[Pending]:
        """Up to ``limit`` events due now, in order; none (with a wake-up set when
        something waits) if nothing can go now."""
        batch = self._take(lane, now, limit)
        if batch and lane.callback_id is None and not closing:
            notify = batch[0].note.batch_notify
            if notify is not None and len(batch) < notify.size:
                window_end = min(i.note.raised_at for i in batch) + notify.time_window
                if now < window_end:  # wait for more, up to the time window
                    self.put_back(lane, batch)
                    self.wake_at(lane, window_end)
                    return []
        if not batch:
            due = min((i.not_before for i in lane.queue if i.not_before > now), default=None)
            if due is not None:
                self.wake_at(lane, due)
        return batch

    def _take(self, lane: Lane, now: float, limit: int) -> list[Pending]:
        """Up to ``limit`` due items in order; a waiting item holds back its vehicle's."""
        queue = lane.queue
        if not lane.waiting:
            return [queue.popleft() for _ in range(min(limit, len(queue)))]
        batch: list[Pending] = []
        kept: deque[Pending] = deque()
        held: set[str] = set()
        while queue and len(batch) < limit:
            item = queue.popleft()
            vin = item.note.vin
            if vin in held or item.not_before > now:
                held.add(vin)
                kept.append(item)
                continue
            if item.not_before:
                lane.waiting -= 1
                item.not_before = 0.0
            batch.append(item)
        kept.extend(queue)
        lane.queue = kept
        return batch

    @staticmethod
    def put_back(lane: Lane, items: list[Pending]) -> None:
        """A batch not sent goes back to the head, in order."""
        for item in reversed(items):
            lane.queue.appendleft(item)

    def retry_later(self, lane: Lane, items: list[Pending]) -> None:
        """Failed items (their ``not_before`` set) go back to the head, in order."""
        self.put_back(lane, items)
        lane.waiting += len(items)

    def wake_at(self, lane: Lane, due: float) -> None:
        if lane.timer is not None and not lane.timer.cancelled and lane.timer_due <= due:
            return
        if lane.timer is not None:
            lane.timer.cancel()
        lane.timer_due = due

        def wake() -> None:
            lane.timer = None
            self._wake(lane)

        lane.timer = self.clock.call_at(due, wake)
