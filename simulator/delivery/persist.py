"""``--data-dir``: pending events, dead letters and the journal in SQLite (the callbacks
are kept by :mod:`simulator.callbacks.persist`).

Writes go through at once (WAL, ``synchronous=NORMAL``): an event the API
accepted is on disk before the answer leaves, so a killed simulator delivers
it after its restart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.delivery.journal import DeadLetter, DeliveryRecord
from simulator.events import Notification
from simulator.persist.sqlite import open_db

SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    seq INTEGER PRIMARY KEY, lane TEXT NOT NULL, channel TEXT NOT NULL,
    attempts INTEGER NOT NULL, not_before REAL NOT NULL, since REAL NOT NULL,
    note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (
    event_id TEXT NOT NULL, channel TEXT NOT NULL, lane TEXT NOT NULL, reason TEXT NOT NULL,
    at REAL NOT NULL, attempts INTEGER NOT NULL, note TEXT NOT NULL,
    PRIMARY KEY (event_id, channel));
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, record TEXT NOT NULL);
"""


@dataclass(slots=True)
class StoredPending:
    seq: int
    lane: str
    channel: str
    attempts: int
    not_before: float
    since: float
    note: Notification


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class DeliveryStore:
    FILE = "delivery.sqlite3"

    def __init__(self, directory: Path) -> None:
        self.path, self._db = open_db(directory, self.FILE, SCHEMA)

    def close(self) -> None:
        self._db.close()

    def clear(self) -> None:
        with self._db:
            for table in ("pending", "dead_letters", "journal"):
                self._db.execute(f"DELETE FROM {table}")

    # ------------------------------------------------------------ pending
    def add_pending(self, rows: Iterable[StoredPending]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (r.seq, r.lane, r.channel, r.attempts, r.not_before, r.since,
                     _dumps(r.note.to_json()))
                    for r in rows
                ],
            )  # fmt: skip

    def update_pending(self, rows: Iterable[tuple[int, int, float]]) -> None:
        """(seq, attempts, not_before) after a failed attempt."""
        with self._db:
            self._db.executemany(
                "UPDATE pending SET attempts = ?, not_before = ? WHERE seq = ?",
                [(attempts, not_before, seq) for seq, attempts, not_before in rows],
            )

    def remove_pending(self, seqs: Iterable[int]) -> None:
        with self._db:
            self._db.executemany("DELETE FROM pending WHERE seq = ?", [(s,) for s in seqs])

    def load_pending(self) -> list[StoredPending]:
        rows = self._db.execute("SELECT * FROM pending ORDER BY seq").fetchall()
        return [
            StoredPending(seq, lane, channel, attempts, not_before, since,
                          Notification.from_json(json.loads(note)))
            for seq, lane, channel, attempts, not_before, since, note in rows
        ]  # fmt: skip

    # ------------------------------------------------------------ dead letters
    def add_dead(self, dead: DeadLetter) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO dead_letters VALUES (?, ?, ?, ?, ?, ?, ?)",
                (dead.note.event_id, dead.channel, dead.lane, dead.reason, dead.at,
                 dead.attempts, _dumps(dead.note.to_json())),
            )  # fmt: skip

    def remove_dead(self, event_id: str, channel: str) -> None:
        with self._db:
            self._db.execute(
                "DELETE FROM dead_letters WHERE event_id = ? AND channel = ?", (event_id, channel)
            )

    def load_dead(self) -> list[DeadLetter]:
        rows = self._db.execute("SELECT * FROM dead_letters ORDER BY at").fetchall()
        return [
            DeadLetter(Notification.from_json(json.loads(note)), channel, lane, reason, at,
                       attempts)
            for _, channel, lane, reason, at, attempts, note in rows
        ]  # fmt: skip

    # ------------------------------------------------------------ journal
    def add_records(self, records: Iterable[DeliveryRecord]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO journal VALUES (?, ?)",
                [(r.seq, _dumps(r.to_json())) for r in records],
            )

    def load_records(self, limit: int) -> tuple[list[DeliveryRecord], int]:
        (total,) = self._db.execute("SELECT count(*) FROM journal").fetchone()
        rows = self._db.execute(
            "SELECT record FROM journal ORDER BY seq DESC LIMIT ?", (limit,)
        ).fetchall()
        return [DeliveryRecord(**json.loads(r)) for (r,) in reversed(rows)], int(total)

    def journal_ids(self) -> Iterator[tuple[str, str | None]]:
        """(event id, callback id) of every record kept, loaded or not (ids in use)."""
        yield from self._db.execute(
            "SELECT DISTINCT json_extract(record, '$.event_id'),"
            " json_extract(record, '$.callback_id') FROM journal"
        )
