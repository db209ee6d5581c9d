"""The delivery engine: every notification to every channel of its callback, retried
until delivered or dead-lettered, each attempt in the journal.

One *lane* per destination (a callback's webhook, websocket or push devices;
an older-form monitor's own webhook).  A lane has at most one send in flight;
what piles up meanwhile goes out in the next batch (the real API batches "in
case of lag").  A failed event waits for its retry time; later events of the
same vehicle wait behind it so a vehicle's events stay in order, while other
vehicles' events keep flowing.  All times are on the simulator clock except
the network timeout, which is wall time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import aiohttp

from simulator.attributes import owned_header, scrub_owned_headers
from simulator.delivery.callbacks import Callback, CallbackRegistry, CallbackStatus
from simulator.delivery.journal import DeadLetter, DeliveryJournal, DeliveryRecord, Outcome
from simulator.delivery.message import (
    Attr,
    build_message,
    channel_attributes,
    expand,
    push_message,
    variables,
)
from simulator.delivery.persist import DeliveryStore, StoredPending
from simulator.events import (
    CHANNELS,
    RETENTION,
    CallbackChanged,
    Channel,
    EventBus,
    Notification,
)

if TYPE_CHECKING:
    from simulator.clock import Clock, Timer
    from simulator.ids import IdKind, Ids

log = logging.getLogger("simulator.delivery")

USER_AGENT = "connectedcar-simulator"
_NO_VARIABLES: dict[str, str] = {}
PUSH_OUTBOX_SIZE = 1000
WS_BACKOFF_MAX = 30.0


@dataclass(slots=True, eq=False)
class Pending:
    """One event on its way to one lane."""

    seq: int
    note: Notification
    channel: Channel
    attempts: int = 0
    not_before: float = 0.0
    since: float = 0.0  # start of the retention window (raised, or replayed)


@dataclass(slots=True, eq=False)
class Lane:
    key: str
    channel: Channel
    callback_id: str | None
    queue: deque[Pending] = field(default_factory=deque)
    waiting: int = 0  # queued items with a retry time set
    task: asyncio.Task[None] | None = None
    timer: Timer | None = None
    timer_due: float = 0.0
    failures: int = 0  # consecutive failed sends (websocket backoff)
    last_success: float | None = None
    ws: aiohttp.ClientWebSocketResponse | None = None
    ws_reader: asyncio.Task[None] | None = None
    closed: bool = False

    @property
    def busy(self) -> bool:
        return self.task is not None


@dataclass(slots=True)
class Attempt:
    ok: bool
    target: str
    http_status: int | None = None
    error: str | None = None
    latency_ms: float | None = None


def lane_key(note: Notification, channel: Channel) -> str:
    if note.inline is not None:
        return f"inline:{note.user_id}:{note.client_id}:{note.inline.target}"
    return f"{note.callback_id}:{channel}"


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
        self.timeout = timeout
        self.outbox: dict[str, deque[dict[str, Any]]] = {}
        self._ssl_factory = ssl_context
        self._ssl: ssl.SSLContext | None = None
        self._data_dir = data_dir
        self._store: DeliveryStore | None = None
        self._lanes: dict[str, Lane] = {}
        self._session: aiohttp.ClientSession | None = None
        self._seq = 0
        self._closing = False
        self._dropped: set[tuple[str, str]] = set()  # (lane, header) refused, said once
        bus.subscribe(Notification, self.raise_notification)
        bus.subscribe(CallbackChanged, self._on_callback_changed)

    @property
    def timeout(self) -> float:
        """Wall seconds a target has to answer."""
        return self._timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._timeout = seconds
        self._client_timeout = aiohttp.ClientTimeout(total=seconds)

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._ssl = self._ssl_factory()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=self._ssl, limit=0, force_close=False),
            headers={"User-Agent": USER_AGENT},
            skip_auto_headers=("Accept-Encoding",),
        )
        self._closing = False
        if self._data_dir is not None:
            self._store = DeliveryStore(self._data_dir)
            self._restore(self._store)

    def _restore(self, store: DeliveryStore) -> None:
        ids = self.ids
        for event_id, callback_id in store.journal_ids():  # every record, loaded or not
            ids.claim("event", (event_id,))
            if callback_id:  # a deleted callback's records still name it
                ids.claim("callback", (callback_id,))
        for callback in store.load_callbacks():
            if self.callbacks.find(callback.id) is None:
                removed = scrub_owned_headers(callback.subscription)
                if removed:  # accepted before the rule; never sent anyway
                    log.warning("callback %s: header attributes %s dropped: the HTTP layer "
                                "sets them", callback.id, ", ".join(removed))  # fmt: skip
                    store.save_callback(callback)
                self.callbacks.restore(callback)
        records, total = store.load_records(self.journal.capacity)
        self.journal.restore(records, total)
        for dead in store.load_dead():
            self._claim(dead.note)
            self.journal.dead[(dead.note.event_id, dead.channel)] = dead
        for row in store.load_pending():
            self._claim(row.note)
            self._seq = max(self._seq, row.seq)
            channel = cast(Channel, row.channel)
            item = Pending(row.seq, row.note, channel, row.attempts, row.not_before, row.since)
            self._lane(row.lane, item).queue.append(item)
            if item.not_before:
                self._lanes[row.lane].waiting += 1
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
        for lane in list(self._lanes.values()):
            for item in lane.queue:
                item.not_before = 0.0
            lane.waiting = 0
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
            await self._close_lane(lane)
        self._lanes.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._store is not None:
            self._store.close()
            self._store = None
        if remaining:
            log.warning("%d deliveries still pending at shutdown", remaining)
        return remaining

    def reset(self) -> None:
        """Forget everything (``POST /simulator/v1/reset``): lanes, journal, outboxes."""
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
            channels: Iterable[Channel] = ("webhook",)
        else:
            callback = self.callbacks.find(note.callback_id or "")
            if (
                callback is None
                or callback.user_id != note.user_id
                or callback.client_id != note.client_id
            ):
                self._drop_unroutable(note)
                return
            spec = callback.subscription["callback"]
            channels = [c for c in CHANNELS if c in spec]
        now = self.clock.time()
        added: list[tuple[str, Pending]] = []
        for channel in channels:
            self._seq += 1
            item = Pending(self._seq, note, channel, since=now)
            key = lane_key(note, channel)
            self._lane(key, item).queue.append(item)
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

    def _lane(self, key: str, item: Pending) -> Lane:
        lane = self._lanes.get(key)
        if lane is None:
            callback_id = None if item.note.inline is not None else item.note.callback_id
            lane = self._lanes[key] = Lane(key, item.channel, callback_id)
        return lane

    def replay(self, event_id: str) -> int:
        """Queue a dead-lettered event again, with a fresh retention window."""
        found = [k for k in self.journal.dead if k[0] == event_id]
        now = self.clock.time()
        for key in found:
            dead = self.journal.dead.pop(key)
            self._seq += 1
            item = Pending(self._seq, dead.note, cast(Channel, dead.channel), since=now)
            lane = self._lane(dead.lane, item)
            lane.queue.append(item)
            if self._store is not None:
                self._store.remove_dead(event_id, dead.channel)
                self._store.add_pending(
                    [StoredPending(item.seq, dead.lane, item.channel, 0, 0.0, now, dead.note)]
                )
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
        callback = self.callbacks.find(change.callback_id)
        if self._store is not None:
            if callback is None:
                self._store.delete_callback(change.callback_id)
            else:
                self._store.save_callback(callback)
        for lane in [x for x in self._lanes.values() if x.callback_id == change.callback_id]:
            if change.change == "deleted":
                self._log([(i, None) for i in lane.queue], lane, Outcome.DROPPED,
                          "callback deleted")  # fmt: skip
                self._remove(lane)
            else:
                self._pump(lane)

    def _discard(self, lane: Lane) -> None:
        lane.closed = True
        lane.queue.clear()
        if lane.timer is not None:
            lane.timer.cancel()
        if lane.task is not None:
            lane.task.cancel()
        if lane.ws is not None or lane.ws_reader is not None:
            asyncio.get_running_loop().create_task(self._close_lane(lane))

    def _remove(self, lane: Lane) -> None:
        if self._store is not None:
            self._store.remove_pending(i.seq for i in lane.queue)
        self._discard(lane)
        self._lanes.pop(lane.key, None)

    async def _close_lane(self, lane: Lane) -> None:
        if lane.ws_reader is not None:
            lane.ws_reader.cancel()
            lane.ws_reader = None
        if lane.ws is not None:
            ws, lane.ws = lane.ws, None
            with contextlib.suppress(Exception):
                await ws.close()

    # ------------------------------------------------------------ scheduling
    def _callback(self, lane: Lane) -> Callback | None:
        return None if lane.callback_id is None else self.callbacks.find(lane.callback_id)

    def _spec(self, lane: Lane, callback: Callback | None) -> dict[str, Any] | None:
        """The lane's channel definition now (None: the channel no longer exists)."""
        if lane.callback_id is None:
            inline = lane.queue[0].note.inline if lane.queue else None
            return None if inline is None else {"target": inline.target, "name": inline.name}
        if callback is None:
            return None
        spec: dict[str, Any] | None = callback.subscription["callback"].get(lane.channel)
        return spec

    def _pump(self, lane: Lane) -> None:
        """Start sending on ``lane`` if it is free and something is due."""
        if lane.busy or lane.closed or not lane.queue:
            return
        plan = self._plan(lane)
        if plan is not None:
            lane.task = asyncio.get_running_loop().create_task(self._drain(lane, *plan))

    def _plan(self, lane: Lane) -> tuple[list[Pending], dict[str, Any]] | None:
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
        spec = self._spec(lane, callback)
        if spec is None:
            self._log([(i, None) for i in lane.queue], lane, Outcome.DROPPED,
                      f"the callback has no {lane.channel} any more")  # fmt: skip
            self._remove(lane)
            return None
        now = self.clock.time()
        self._expire(lane, now)
        if not lane.queue:
            return None
        limit = self._batch_limit(lane, spec)
        batch = self._take(lane, now, limit)
        if batch and lane.callback_id is None and not self._closing:
            notify = batch[0].note.batch_notify
            if notify is not None and len(batch) < notify.size:
                window_end = min(i.note.raised_at for i in batch) + notify.time_window
                if now < window_end:  # wait for more, up to the time window
                    for item in reversed(batch):
                        lane.queue.appendleft(item)
                    self._wake_at(lane, window_end)
                    return None
        if not batch:
            due = min((i.not_before for i in lane.queue if i.not_before > now), default=None)
            if due is not None:
                self._wake_at(lane, due)
            return None
        return batch, spec

    def _wake_at(self, lane: Lane, due: float) -> None:
        if lane.timer is not None and not lane.timer.cancelled and lane.timer_due <= due:
            return
        if lane.timer is not None:
            lane.timer.cancel()
        lane.timer_due = due

        def wake() -> None:
            lane.timer = None
            self._pump(lane)

        lane.timer = self.clock.call_at(due, wake)

    def _batch_limit(self, lane: Lane, spec: dict[str, Any]) -> int:
        if lane.channel == "pushnotif":
            return 100
        if lane.callback_id is None:
            notify = lane.queue[0].note.batch_notify
            return notify.size if notify is not None else 1
        batch = spec.get("batch")
        if not batch or not batch.get("enabled", True) or self._vin_query(spec):
            return 1
        return int(batch.get("size", 100))

    @staticmethod
    def _vin_query(spec: dict[str, Any]) -> bool:
        return any(
            a.get("type") == "Query" and a.get("value", "").lower() == "$vin"
            for a in spec.get("attributes", ())
        )

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

    def _expire(self, lane: Lane, now: float) -> None:
        """Dead-letter what outlived the retention (e.g. kept while paused)."""
        if now - lane.queue[0].since <= RETENTION:  # the head is the oldest but for replays
            return
        expired = [i for i in lane.queue if now - i.since > RETENTION]
        lane.queue = deque(i for i in lane.queue if now - i.since <= RETENTION)
        lane.waiting = sum(1 for i in lane.queue if i.not_before)
        for item in expired:
            self._dead_letter(lane, item, "retention reached (72 h) before delivery", now)

    # ------------------------------------------------------------ sending
    async def _drain(self, lane: Lane, batch: list[Pending], spec: dict[str, Any]) -> None:
        """Send batch after batch while something is due: one send in flight per lane."""
        while True:
            try:
                if lane.channel == "webhook":
                    attempt = await self._post(lane, batch, spec)
                elif lane.channel == "websocket":
                    attempt = await self._frame(lane, batch, spec)
                else:
                    attempt = self._push(lane, batch, spec)
            except asyncio.CancelledError:
                lane.task = None
                if not lane.closed:
                    for item in reversed(batch):
                        lane.queue.appendleft(item)
                raise
            except Exception as exc:  # never lose a batch to a bug in a sender
                log.exception("delivery to %s failed unexpectedly", lane.key)
                attempt = Attempt(False, lane.key, error=f"internal error: {exc!r}")
            lane.task = None  # planning may drop the lane: it must not cancel this task
            self._finish(lane, batch, attempt)
            plan = self._plan(lane)
            if plan is None:
                return
            lane.task = asyncio.current_task()
            batch, spec = plan

    def _messages(
        self, lane: Lane, batch: list[Pending], callback: Callback | None
    ) -> tuple[list[dict[str, Any]], list[list[Attr]], list[dict[str, str]]]:
        label = callback.label if callback is not None else None
        messages: list[dict[str, Any]] = []
        attrs: list[list[Attr]] = []
        known: list[dict[str, str]] = []
        for item in batch:
            note = item.note
            merged = channel_attributes(callback, note, lane.channel)
            values = variables(note, lane.callback_id, label) if merged else _NO_VARIABLES
            body = [a for a in merged if a.type == "Body"] if merged else []
            messages.append(build_message(note, lane.callback_id, body, values))
            attrs.append(merged)
            known.append(values)
        return messages, attrs, known

    async def _post(self, lane: Lane, batch: list[Pending], spec: dict[str, Any]) -> Attempt:
        callback = self._callback(lane)
        messages, attrs, known = self._messages(lane, batch, callback)
        target = str(spec["target"])
        batched = lane.callback_id is None and batch[0].note.batch_notify is not None
        if lane.callback_id is not None:
            batch_spec = spec.get("batch")
            batched = bool(batch_spec and batch_spec.get("enabled", True))
            batched = batched and not self._vin_query(spec)
        headers: dict[str, str] = {}
        query: list[tuple[str, str]] = []
        for attr in attrs[0]:
            if attr.type not in ("Header", "Query") or (batched and attr.variable):
                continue  # a batched POST carries only literal header and query attributes
            if attr.type == "Header":
                if owned_header(attr.key):
                    self._dropped_header(lane, attr.key)
                    continue
                headers[attr.key] = expand(attr.value, known[0])
            else:
                query.append((attr.key, expand(attr.value, known[0])))
        payload = messages if batched else messages[0]
        body = json.dumps(payload, separators=(",", ":")).encode()
        # the engine alone frames the body: aiohttp derives Content-Length from these
        # bytes and Host from the target, and no Transfer-Encoding or Expect is set
        headers["Content-Type"] = "application/json"
        assert self._session is not None
        started = time.perf_counter()
        try:
            async with self._session.post(
                target,
                data=body,
                headers=headers,
                params=query or None,
                allow_redirects=False,
                timeout=self._client_timeout,
            ) as response:
                await response.read()
                status = response.status
        except aiohttp.ClientConnectorCertificateError as exc:
            return Attempt(False, target, error=f"untrusted certificate: {exc.certificate_error}")
        except aiohttp.ClientSSLError as exc:
            return Attempt(False, target, error=f"TLS error: {exc}")
        except TimeoutError:
            return Attempt(False, target, error=f"no answer within {self.timeout:g} s")
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return Attempt(False, target, error=f"connection error: {exc!r}")
        latency = (time.perf_counter() - started) * 1000
        ok = 200 <= status < 300
        return Attempt(ok, target, status, None if ok else f"HTTP {status}", latency)

    def _dropped_header(self, lane: Lane, key: str) -> None:
        """A header attribute the HTTP layer owns (kept from before the rule): not sent;
        said once per lane and key."""
        if (lane.key, key) not in self._dropped:
            self._dropped.add((lane.key, key))
            log.warning("%s: header attribute %s not sent: the HTTP layer sets it", lane.key, key)

    async def _frame(self, lane: Lane, batch: list[Pending], spec: dict[str, Any]) -> Attempt:
        callback = self._callback(lane)
        messages, _, _ = self._messages(lane, batch, callback)
        target = str(spec["target"])
        batch_spec = spec.get("batch")
        batched = bool(batch_spec and batch_spec.get("enabled", True))
        text = json.dumps(messages if batched else messages[0], separators=(",", ":"))
        assert self._session is not None
        started = time.perf_counter()
        try:
            ws = lane.ws
            if ws is None or ws.closed:
                await self._close_lane(lane)
                secure = target.lower().startswith("wss:")
                ws = await asyncio.wait_for(
                    self._session.ws_connect(
                        target, ssl=(self._ssl or True) if secure else False, autoping=True
                    ),
                    self.timeout,
                )
                lane.ws = ws
                lane.ws_reader = asyncio.get_running_loop().create_task(self._read(ws))
            await asyncio.wait_for(ws.send_str(text), self.timeout)
        except aiohttp.ClientConnectorCertificateError as exc:
            return Attempt(False, target, error=f"untrusted certificate: {exc.certificate_error}")
        except TimeoutError:
            return Attempt(False, target, error=f"no answer within {self.timeout:g} s")
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            await self._close_lane(lane)
            return Attempt(False, target, error=f"connection error: {exc!r}")
        return Attempt(True, target, None, None, (time.perf_counter() - started) * 1000)

    @staticmethod
    async def _read(ws: aiohttp.ClientWebSocketResponse) -> None:
        """Drain what the target sends, so a close from its side is noticed."""
        with contextlib.suppress(Exception):
            async for _ in ws:
                pass

    def _push(self, lane: Lane, batch: list[Pending], spec: dict[str, Any]) -> Attempt:
        callback = self._callback(lane)
        messages, attrs, known = self._messages(lane, batch, callback)
        label = callback.label if callback is not None else ""
        devices = [str(d) for d in spec.get("devices", ())]
        for message, merged, values, item in zip(messages, attrs, known, batch, strict=True):
            headers = [a for a in merged if a.type == "Header"]
            for device in devices:
                box = self.outbox.setdefault(device, deque(maxlen=PUSH_OUTBOX_SIZE))
                box.append(push_message(message, item.note, label, headers, values, device))
        return Attempt(True, ",".join(devices), None, None, 0.0)

    # ------------------------------------------------------------ outcomes
    def _finish(self, lane: Lane, batch: list[Pending], attempt: Attempt) -> None:
        now = self.clock.time()
        if attempt.ok:
            lane.failures = 0
            lane.last_success = now
            self._log([(i, attempt) for i in batch], lane, Outcome.DELIVERED)
            if self._store is not None:
                self._store.remove_pending(i.seq for i in batch)
            callback = self._callback(lane)
            if callback is not None and callback.status is CallbackStatus.FAILED:
                self._set_status(callback, CallbackStatus.RUNNING)
            return
        lane.failures += 1
        self._log([(i, attempt) for i in batch], lane, Outcome.FAILED, attempt.error)
        retry: list[Pending] = []
        for item in batch:
            item.attempts += 1
            policy = item.note.retry
            allowed = policy.retries_allowed()
            delay = policy.delay
            if lane.channel == "websocket":
                delay = min(delay, WS_BACKOFF_MAX, 2.0 ** (lane.failures - 1))
            if allowed is not None and item.attempts > allowed:
                self._dead_letter(lane, item, f"no retry left ({policy.policy})", now)
            elif now + delay - item.since > RETENTION:
                self._dead_letter(lane, item, "retention reached (72 h)", now)
            else:
                item.not_before = now + delay
                retry.append(item)
        if lane.closed:
            return
        for item in reversed(retry):
            lane.queue.appendleft(item)
        lane.waiting += len(retry)
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

    def _target(self, lane: Lane) -> str:
        if lane.callback_id is None:
            inline = lane.queue[0].note.inline if lane.queue else None
            return inline.target if inline is not None else ""
        callback = self._callback(lane)
        spec = callback.subscription["callback"].get(lane.channel) if callback else None
        if not spec:
            return ""
        if lane.channel == "pushnotif":
            return ",".join(spec.get("devices", ()))
        return str(spec.get("target", ""))

    def _log(
        self,
        items: list[tuple[Pending, Attempt | None]],
        lane: Lane,
        outcome: Outcome,
        error: str | None = None,
    ) -> None:
        if not items:
            return
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
        self._journal(records)

    def _journal(self, records: list[DeliveryRecord]) -> None:
        for record in records:
            self.journal.add(record)
        if self._store is not None:
            self._store.add_records(records)

    # ------------------------------------------------------------ reading
    @property
    def idle(self) -> bool:
        """No send in flight on any lane (what is queued waits for the clock)."""
        return not any(lane.busy for lane in self._lanes.values())

    async def wait_idle(self) -> None:
        """Until no send is in flight: a manual-clock run settles here after each step
        (the sends take no simulated time; what they schedule goes on the clock)."""
        while True:
            tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
            if not tasks:
                return
            await asyncio.wait(tasks)

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
