"""The delivery journal: every attempt and its outcome, and the dead letters."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from simulator.events import Notification


class Outcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"  # one attempt failed; the event will be tried again
    DEAD_LETTERED = "dead-lettered"  # no more tries: retries or retention exhausted
    DROPPED = "dropped"  # its callback (or channel) was deleted before delivery
    UNDELIVERED = "undelivered"  # still pending when the simulator stopped


@dataclass(slots=True)
class DeliveryRecord:
    seq: int
    event_id: str
    callback_id: str | None
    channel: str
    target: str
    at: float  # simulator clock
    outcome: str
    attempt: int
    batch_size: int
    vin: str
    type: str
    http_status: int | None = None
    error: str | None = None
    latency_ms: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class DeadLetter:
    note: Notification
    channel: str
    lane: str
    reason: str
    at: float
    attempts: int


class DeliveryJournal:
    """Newest last, bounded; dead letters are kept until replayed or reset."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._records: deque[DeliveryRecord] = deque(maxlen=capacity)
        self.dead: dict[tuple[str, str], DeadLetter] = {}
        self.total = 0
        self._seq = 0

    @property
    def capacity(self) -> int:
        return self._records.maxlen or 0

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def add(self, record: DeliveryRecord) -> None:
        self._records.append(record)
        self.total += 1

    def restore(self, records: Iterable[DeliveryRecord], total: int) -> None:
        for record in records:
            self._records.append(record)
            self._seq = max(self._seq, record.seq)
        self.total = total

    def clear(self) -> None:
        self._records.clear()
        self.dead.clear()
        self.total = 0

    def __iter__(self) -> Iterator[DeliveryRecord]:
        return iter(self._records)

    def latest(self, n: int) -> list[DeliveryRecord]:
        """The ``n`` newest records still kept, oldest first."""
        return list(itertools.islice(reversed(self._records), n))[::-1]

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for record in self._records:
            found[record.outcome] = found.get(record.outcome, 0) + 1
        return found
