"""The delivery engine: every notification to every channel of its callback, retried
until delivered or dead-lettered, each attempt in the journal.

Each batch goes the way of svix's worker: *prepare* (the messages, with their
channel's attributes: :func:`~simulator.delivery.message.prepare`), *send* (the
channel's :mod:`~simulator.delivery.transports`), then *handle success* or *handle
failure* (the retry schedule: :mod:`~simulator.delivery.retry`).  When each lane
sends, in which batches and order, is :mod:`~simulator.delivery.scheduling`'s.  All
times are on the simulator clock except the network timeout, which is wall time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from simulator.callbacks.channels import Attr, Channel, ChannelName
from simulator.callbacks.model import Callback, CallbackStatus
from simulator.callbacks.registry import CallbackRegistry
from simulator.delivery.journal import DeadLetter, DeliveryJournal, DeliveryRecord, Outcome
from simulator.delivery.journal_log import log_deliveries
from simulator.delivery.message import prepare
from simulator.delivery.persist import DeliveryStore, StoredPending
from simulator.delivery.retry import EXPIRED, GiveUp, next_attempt, reconnect_cap, schedule_of
from simulator.delivery.scheduling import Lane, Pending, Scheduler, lane_key
from simulator.delivery.transports import (
    Attempt,
    HttpClient,
    Outgoing,
    PushTransport,
    Transport,
    WebhookTransport,
    WebsocketTransport,
)
from simulator.events import (
    CallbackChanged,
    DeliveriesAttempted,
    DeliveryAttempted,
    EventBus,
    Notification,
)

if TYPE_CHECKING:
    import aiohttp

    from simulator.clock import Clock
    from simulator.ids import IdKind, Ids

log = logging.getLogger("simulator.delivery")

PIPELINE_MIN = 10
"""Delivered batches of this many events or more are journalled while the next batch is
sent; a smaller one at once (a task and a turn of the loop would cost more)."""


class DeliveryEngine:
    def __init__(
        self,
        clock: Clock,
        callbacks: CallbackRegistry,
        bus: EventBus,
        ids: Ids,
        *,
        ssl_context: Callable[[], ssl.SSLContext],
        timeout: float = 10.0,
        data_dir: Any = None,
        journal_capacity: int = 10_000,
    ) -> None:
        self.clock = clock
        self.callbacks = callbacks
        self.ids = ids
        self.journal = DeliveryJournal(journal_capacity)
        self._default_timeout = timeout
        self._client = HttpClient(ssl_context, timeout)
        push = PushTransport()
        self.outbox = push.outbox
        self._websocket = WebsocketTransport(self._client)
        self._transports: dict[ChannelName, Transport] = {
            "webhook": WebhookTransport(self._client),
            "websocket": self._websocket,
            "pushnotif": push,
        }
        self._scheduler = Scheduler(clock, self._pump)
        self._lanes = self._scheduler.lanes
        self._data_dir = data_dir
        self._store: DeliveryStore | None = None
        self._seq = 0
        self._closing = False
        self._bus = bus
        # delivered batches whose journal is written once the next send is on its way
        self._deferred: deque[tuple[list[tuple[Pending, Attempt | None]], Lane, float]] = deque()
        bus.subscribe(Notification, self.raise_notification)
        bus.subscribe(DeliveriesAttempted, log_deliveries)  # the log lines: the same events
        bus.subscribe(CallbackChanged, self._on_callback_changed)

    @property
    def timeout(self) -> float:
        """Wall seconds a target has to answer."""
        return self._client.timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._client.timeout = seconds

    @property
    def _session(self) -> aiohttp.ClientSession | None:
        """The HTTP session while started (a test swaps it for an offline one)."""
        return self._client.http

    @_session.setter
    def _session(self, session: aiohttp.ClientSession | None) -> None:
        self._client.http = session

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._client.open()
        self._closing = False
        if self._data_dir is not None:
            self.callbacks.open(self._data_dir)  # the lanes restored name them
            self._store = DeliveryStore(self._data_dir)
            self._restore(self._store)

    def _restore(self, store: DeliveryStore) -> None:
        ids = self.ids
        for event_id, callback_id in store.journal_ids():  # every record, loaded or not
            ids.claim("event", (event_id,))
            if callback_id:  # a deleted callback's records still name it
                ids.claim("callback", (callback_id,))
        records, total = store.load_records(self.journal.capacity)
        self.journal.restore(records, total)
        for dead in store.load_dead():
            self._claim(dead.note)
            self.journal.dead[(dead.note.event_id, dead.channel)] = dead
        for row in store.load_pending():
            self._claim(row.note)
            self._seq = max(self._seq, row.seq)
            channel = cast(ChannelName, row.channel)
            item = Pending(row.seq, row.note, channel, row.attempts, row.not_before, row.since)
            self._scheduler.add(row.lane, item)
        restored = sum(len(lane.queue) for lane in self._lanes.values())
        if restored:
            log.info("restored %d pending deliveries from %s", restored, store.path)
        for lane in list(self._lanes.values()):
            self._pump(lane)

    def _claim(self, note: Notification) -> None:
        """A restored event's ids are in use: its own, its callback's, and the remote's or
        monitor's it tells about (which may be gone while the event waits)."""
        ids = self.ids
        ids.claim("event", (note.event_id,))
        if note.callback_id:
            ids.claim("callback", (note.callback_id,))
        refs: tuple[tuple[str, IdKind], ...] = (
            ("remoteActionId", "remote"),
            ("monitorId", "monitor"),
        )
        for key, kind in refs:
            value = note.event.get(key)
            if isinstance(value, str):
                ids.claim(kind, (value,))

    async def close(self, grace: float = 5.0) -> int:
        """Deliver what is pending within ``grace`` wall seconds (each waiting event gets
        one last try at once); what remains is journalled ``undelivered`` (and, with a
        data dir, kept for the next start).  Returns how many remained."""
        self._closing = True
        self._scheduler.due_now()
        for lane in list(self._lanes.values()):
            self._pump(lane)
        deadline = time.monotonic() + grace
        # a lane stays busy while it has something it can send (pumped after each send)
        while time.monotonic() < deadline and any(lane.busy for lane in self._lanes.values()):
            await asyncio.sleep(0.02)
        remaining = 0
        for lane in list(self._lanes.values()):
            if lane.task is not None:
                lane.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await lane.task
            remaining += len(lane.queue)
            self._log(
                [(i, None) for i in lane.queue], lane, Outcome.UNDELIVERED, "simulator stopped"
            )
            await self._websocket.disconnect(lane.key)
        self._lanes.clear()
        await self._client.close()
        if self._store is not None:
            self._store.close()
            self._store = None
        self.callbacks.close()
        if remaining:
            log.warning("%d deliveries still pending at shutdown", remaining)
        return remaining

    def reset(self) -> None:
        """Forget everything (``POST /simulator/v1/reset``): lanes, journal, outboxes."""
        self._flush()  # what was delivered is said (logs, event stream) before it goes
        for lane in list(self._lanes.values()):
            self._discard(lane)
        self._lanes.clear()
        self.journal.clear()
        self.outbox.clear()
        self.timeout = self._default_timeout
        if self._store is not None:
            self._store.clear()

    # ------------------------------------------------------------ intake
    def raise_notification(self, note: Notification) -> None:
        """Route one event to every channel of its destination (the bus handler)."""
        if note.inline is not None:
            channels: Iterable[ChannelName] = ("webhook",)
        else:
            callback = self.callbacks.find(note.callback_id or "")
            if (
                callback is None
                or callback.user_id != note.user_id
                or callback.client_id != note.client_id
            ):
                self._drop_unroutable(note)
                return
            channels = callback.channels.names
        now = self.clock.time()
        added: list[tuple[str, Pending]] = []
        for channel in channels:
            self._seq += 1
            item = Pending(self._seq, note, channel, since=now)
            key = lane_key(note, channel)
            self._scheduler.add(key, item)
            added.append((key, item))
        if self._store is not None:
            self._store.add_pending(
                StoredPending(i.seq, key, i.channel, 0, 0.0, i.since, note) for key, i in added
            )
        for key, _ in added:
            self._pump(self._lanes[key])

    def _drop_unroutable(self, note: Notification) -> None:
        record = DeliveryRecord(
            self.journal.next_seq(), note.event_id, note.callback_id, "", "",
            self.clock.time(), Outcome.DROPPED, 0, 1, note.vin, note.type,
            error="no such callback for this user and client",
        )  # fmt: skip
        self._journal([record])

    def replay(self, event_id: str) -> int:
        """Queue a dead-lettered event again, with a fresh retention window."""
        found = [k for k in self.journal.dead if k[0] == event_id]
        now = self.clock.time()
        for key in found:
            dead = self.journal.dead.pop(key)
            self._seq += 1
            item = Pending(self._seq, dead.note, cast(ChannelName, dead.channel), since=now)
            lane = self._scheduler.add(dead.lane, item)
            if self._store is not None:
                self._store.remove_dead(event_id, dead.channel)
                self._store.add_pending(
                    [StoredPending(item.seq, dead.lane, item.channel, 0, 0.0, now, dead.note)]
                )
            note = dead.note
            replayed = DeliveryAttempted(
                event_id, note.callback_id, note.vin, note.type, dead.channel,
                self._address(note, dead.channel), now, "replayed", dead.attempts,
            )  # fmt: skip
            self._bus.publish(DeliveriesAttempted((replayed,)))
            self._pump(lane)
        return len(found)

    # ------------------------------------------------------------ callbacks changing
    def _on_callback_changed(self, change: CallbackChanged) -> None:
        if change.change == "cleared":
            for lane in list(self._lanes.values()):
                self._discard(lane)
            self._lanes.clear()
            if self._store is not None:
                self._store.clear()
            return
        for lane in [x for x in self._lanes.values() if x.callback_id == change.callback_id]:
            if change.change == "deleted":
                self._log([(i, None) for i in lane.queue], lane, Outcome.DROPPED,
                          "callback deleted")  # fmt: skip
                self._remove(lane)
            else:
                self._pump(lane)

    def _discard(self, lane: Lane) -> None:
        self._scheduler.cancel(lane)
        connection = self._websocket.detach(lane.key)
        if connection is not None:
            asyncio.get_running_loop().create_task(connection.close())

    def _remove(self, lane: Lane) -> None:
        if self._store is not None:
            self._store.remove_pending(i.seq for i in lane.queue)
        self._discard(lane)
        self._lanes.pop(lane.key, None)

    # ------------------------------------------------------------ planning
    def _callback(self, lane: Lane) -> Callback | None:
        return None if lane.callback_id is None else self.callbacks.find(lane.callback_id)

    @staticmethod
    def _inline(note: Notification) -> Channel | None:
        """An older-form monitor's webhook, batched as the event asks."""
        return None if note.inline is None else note.inline.channel(note.batch_notify)

    def _channel(self, lane: Lane, callback: Callback | None) -> Channel | None:
        """The lane's channel now (None: the channel no longer exists)."""
        if lane.callback_id is None:
            return self._inline(lane.queue[0].note) if lane.queue else None
        return None if callback is None else callback.channels.get(lane.channel)

    def _pump(self, lane: Lane) -> None:
        """Start sending on ``lane`` if it is free and something is due."""
        if lane.busy or lane.closed or not lane.queue:
            return
        plan = self._plan(lane)
        if plan is not None:
            lane.task = asyncio.get_running_loop().create_task(self._drain(lane, *plan))

    def _plan(self, lane: Lane) -> tuple[list[Pending], Channel] | None:
        """The next batch to send now and the channel it goes to; None (with a wake-up
        timer set when something waits) if nothing can go now."""
        if lane.closed or not lane.queue:
            return None
        callback = self._callback(lane)
        if lane.callback_id is not None:
            if callback is None:
                return None
            if callback.status is CallbackStatus.PAUSED and not self._closing:
                return None
        channel = self._channel(lane, callback)
        if channel is None:
            self._log([(i, None) for i in lane.queue], lane, Outcome.DROPPED,
                      f"the callback has no {lane.channel} any more")  # fmt: skip
            self._remove(lane)
            return None
        now = self.clock.time()
        for item in self._scheduler.expire(lane, now):
            self._dead_letter(lane, item, EXPIRED, now)
        if not lane.queue:
            return None
        batch = self._scheduler.next_batch(lane, now, channel.limit, self._closing)
        if not batch:
            return None
        if lane.callback_id is None:  # batched (or not) as its first event asks
            channel = self._inline(batch[0].note) or channel
        return batch, channel

    # ------------------------------------------------------------ sending
    async def _drain(self, lane: Lane, batch: list[Pending], channel: Channel) -> None:
        """Send batch after batch while something is due: one send in flight per lane.
        A delivered batch of :data:`PIPELINE_MIN` events or more has its journal written
        while the next batch is on its way (still in order: whatever the engine journals
        next writes it first)."""
        sending: Awaitable[Attempt] = self._send_safely(lane, batch, channel)
        while True:
            try:
                attempt = await sending
            except asyncio.CancelledError:
                self._cancelled(lane, batch, sending)
                raise
            lane.task = None  # planning may drop the lane: it must not cancel this task
            self._finish(lane, batch, attempt)
            plan = self._plan(lane)
            if plan is None:
                self._flush()
                return
            lane.task = asyncio.current_task()
            batch, channel = plan
            if not self._deferred:
                sending = self._send_safely(lane, batch, channel)
                continue
            sending = asyncio.ensure_future(self._send_safely(lane, batch, channel))
            try:
                await asyncio.sleep(0)  # the next request goes out first
            except asyncio.CancelledError:
                self._cancelled(lane, batch, sending)
                raise
            self._flush()
            self._prepare_ahead(lane, channel)

    def _cancelled(self, lane: Lane, batch: list[Pending], sending: Awaitable[Attempt]) -> None:
        """The lane's task was cancelled: its send too, and its batch waits again."""
        if isinstance(sending, asyncio.Future):
            sending.cancel()
        lane.task = None
        if not lane.closed:
            self._scheduler.put_back(lane, batch)
        self._flush()

    async def _send_safely(self, lane: Lane, batch: list[Pending], channel: Channel) -> Attempt:
        try:
            return await self._send(lane, batch, channel)
        except Exception as exc:  # never lose a batch to a bug in a sender
            log.exception("delivery to %s failed unexpectedly", lane.key)
            return Attempt(False, lane.key, error=f"internal error: {exc!r}")

    @staticmethod
    def _base(lane: Lane, callback: Callback | None, note: Notification) -> tuple[Attr, ...]:
        """The attributes of the channel ``note`` goes to (before its overrides)."""
        if note.inline is not None:
            return note.inline.attrs
        current = callback.channels.get(lane.channel) if callback is not None else None
        return current.attributes if current is not None else ()

    async def _send(self, lane: Lane, batch: list[Pending], channel: Channel) -> Attempt:
        """Prepare the batch's messages (or take those made ahead), and send them on the
        lane's transport."""
        callback = self._callback(lane)
        label = callback.label if callback is not None else None
        items = []
        for item in batch:
            ready, made_for = item.ready, item.ready_for
            item.ready = item.ready_for = None
            if (
                ready is None
                or made_for is None
                or made_for[0] is not channel
                or made_for[1] != label
            ):
                base = self._base(lane, callback, item.note)
                ready = prepare(item.note, lane.channel, base, lane.callback_id, label)
            items.append(ready)
        outgoing = Outgoing(lane.key, channel, items, label or "")
        return await self._transports[lane.channel].send(outgoing)

    def _prepare_ahead(self, lane: Lane, channel: Channel) -> None:
        """Make the next batch's messages and their JSON while this one is in flight
        (``_send`` takes them if the channel and label are still the same)."""
        if lane.channel == "pushnotif" or lane.callback_id is None:
            return
        callback = self._callback(lane)
        if callback is None:
            return
        label = callback.label
        base = self._base(lane, callback, lane.queue[0].note) if lane.queue else ()
        for item in itertools.islice(lane.queue, channel.limit):
            if item.ready is None:
                item.ready = prepare(item.note, lane.channel, base, lane.callback_id, label,
                                     encode=True)  # fmt: skip
                item.ready_for = (channel, label)

    # ------------------------------------------------------------ outcomes
    def _finish(self, lane: Lane, batch: list[Pending], attempt: Attempt) -> None:
        now = self.clock.time()
        if attempt.ok:
            self._succeeded(lane, batch, attempt, now)
        else:
            self._failed(lane, batch, attempt, now)

    def _succeeded(self, lane: Lane, batch: list[Pending], attempt: Attempt, now: float) -> None:
        lane.failures = 0
        lane.last_success = now
        if len(batch) >= PIPELINE_MIN:
            self._deferred.append(([(i, attempt) for i in batch], lane, now))
        else:
            self._log([(i, attempt) for i in batch], lane, Outcome.DELIVERED, now=now)
        if self._store is not None:
            self._store.remove_pending(i.seq for i in batch)
        callback = self._callback(lane)
        if callback is not None and callback.status is CallbackStatus.FAILED:
            self._set_status(callback, CallbackStatus.RUNNING)

    def _failed(self, lane: Lane, batch: list[Pending], attempt: Attempt, now: float) -> None:
        """Each event waits for its next attempt, or is dead-lettered."""
        lane.failures += 1
        cap = reconnect_cap(lane.failures) if lane.channel == "websocket" else None
        plans = [
            next_attempt(schedule_of(i.note.retry), i.attempts + 1, i.since, now, cap)
            for i in batch
        ]
        later = [None if isinstance(when, GiveUp) else when for when in plans]
        self._log([(i, attempt) for i in batch], lane, Outcome.FAILED, attempt.error, later)
        retry: list[Pending] = []
        for item, when in zip(batch, plans, strict=True):
            item.attempts += 1
            if isinstance(when, GiveUp):
                self._dead_letter(lane, item, when.reason, now)
            else:
                item.not_before = when
                retry.append(item)
        if lane.closed:
            return
        self._scheduler.retry_later(lane, retry)
        if self._store is not None:
            self._store.update_pending((i.seq, i.attempts, i.not_before) for i in retry)

    def _dead_letter(self, lane: Lane, item: Pending, reason: str, now: float) -> None:
        dead = DeadLetter(item.note, item.channel, lane.key, reason, now, item.attempts)
        self.journal.dead[(item.note.event_id, item.channel)] = dead
        self._log([(item, None)], lane, Outcome.DEAD_LETTERED, reason)
        if self._store is not None:
            self._store.remove_pending([item.seq])
            self._store.add_dead(dead)
        callback = self._callback(lane)
        if (
            callback is not None
            and "retention" in reason
            and (lane.last_success is None or lane.last_success < item.since)
        ):
            self._set_status(callback, CallbackStatus.FAILED)

    def _set_status(self, callback: Callback, status: CallbackStatus) -> None:
        """Through the registry (so it is kept), once the current step is over."""

        def apply() -> None:
            if self.callbacks.find(callback.id) is callback:
                self.callbacks.set_status(
                    callback.user_id, callback.client_id, callback.id, status, self.clock.now()
                )

        asyncio.get_running_loop().call_soon(apply)

    def _address(self, note: Notification, channel: str) -> str:
        """Where ``note`` goes on ``channel`` now ("" when nowhere)."""
        if note.inline is not None:
            return note.inline.target
        callback = self.callbacks.find(note.callback_id or "")
        found = callback.channels.get(cast(ChannelName, channel)) if callback else None
        return found.address if found is not None else ""

    def _target(self, lane: Lane) -> str:
        if lane.callback_id is None:
            inline = lane.queue[0].note.inline if lane.queue else None
            return inline.target if inline is not None else ""
        callback = self._callback(lane)
        channel = callback.channels.get(lane.channel) if callback is not None else None
        return channel.address if channel is not None else ""

    def _log(
        self,
        items: list[tuple[Pending, Attempt | None]],
        lane: Lane,
        outcome: Outcome,
        error: str | None = None,
        next_retry: list[float | None] | None = None,
        now: float | None = None,
    ) -> None:
        if not items:
            return
        if now is None:
            now = self.clock.time()
        size = len(items)
        default_target = ""
        records = []
        for item, attempt in items:
            if attempt is not None:
                target, status, latency = attempt.target, attempt.http_status, attempt.latency_ms
            else:
                default_target = default_target or self._target(lane)
                target, status, latency = default_target, None, None
            live = outcome is Outcome.DELIVERED or outcome is Outcome.FAILED
            attempt_no = item.attempts + 1 if live else item.attempts
            records.append(
                DeliveryRecord(
                    self.journal.next_seq(), item.note.event_id, lane.callback_id,
                    item.channel, target, now, outcome, attempt_no,
                    size if attempt is not None else 1, item.note.vin, item.note.type,
                    status, error, latency,
                )
            )  # fmt: skip
        self._journal(records, next_retry)

    def _journal(
        self, records: list[DeliveryRecord], next_retry: list[float | None] | None = None
    ) -> None:
        """Keep ``records`` and publish each (the log lines and the event stream), after
        the delivered batches whose journal waits."""
        if self._deferred:
            self._flush()
        add = self.journal.add
        attempts = []
        for index, record in enumerate(records):
            add(record)
            attempts.append(
                DeliveryAttempted(
                    record.event_id, record.callback_id, record.vin, record.type,
                    record.channel, record.target, record.at, record.outcome, record.attempt,
                    record.http_status, record.error, record.latency_ms,
                    next_retry[index] if next_retry is not None else None, record.batch_size,
                )
            )  # fmt: skip
        self._bus.publish(DeliveriesAttempted(tuple(attempts)))
        if self._store is not None:
            self._store.add_records(records)

    def _flush(self) -> None:
        """Journal the delivered batches that wait, in the order they were delivered."""
        while self._deferred:
            waiting, self._deferred = self._deferred, deque()
            for items, lane, now in waiting:
                self._log(items, lane, Outcome.DELIVERED, now=now)

    # ------------------------------------------------------------ reading
    @property
    def idle(self) -> bool:
        """No send in flight on any lane (what is queued waits for the clock)."""
        return not any(lane.busy for lane in self._lanes.values())

    async def wait_idle(self) -> None:
        """Until no send is in flight and what the last one scheduled to run next (a
        callback's status) has run: a manual-clock run settles here after each step (the
        sends take no simulated time; what they schedule goes on the clock)."""
        while True:
            tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
            if tasks:
                await asyncio.wait(tasks)
            await asyncio.sleep(0)  # callbacks the sends scheduled with call_soon run
            if self.idle:
                return

    async def wait_websockets_closed(self) -> None:
        """Until every open websocket connection has been closed by its target (each
        connection's reader sees the close): a target that went down is known to be."""
        await self._websocket.wait_closed()

    def pending(self) -> list[dict[str, Any]]:
        return [
            {
                "lane": lane.key,
                "callbackId": lane.callback_id,
                "channel": lane.channel,
                "queued": len(lane.queue),
                "inFlight": lane.busy,
                "waitingRetry": lane.waiting,
            }
            for lane in self._lanes.values()
            if lane.queue or lane.busy
        ]
