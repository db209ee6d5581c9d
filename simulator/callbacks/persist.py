"""``--data-dir``: the callbacks in SQLite, so that a restarted simulator still knows them.

One row per callback: who owns it, its label, types and status, its times and its
canonical subscription (what GET serves).  Writes go through at once (WAL,
``synchronous=NORMAL``), file mode 0600.  A data dir written before the callbacks had
their own file kept them in the delivery store's ``callbacks`` table: they are moved
here the first time the directory is opened.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from simulator.callbacks.attributes import scrub_owned_headers
from simulator.callbacks.model import Callback, CallbackStatus, CallbackType
from simulator.persist.sqlite import RecordTable

LEGACY_FILE = "delivery.sqlite3"
"""Where the delivery engine kept the callbacks before (same table, same records)."""


def _record(callback: Callback) -> dict[str, Any]:
    return {
        "id": callback.id,
        "user_id": callback.user_id,
        "client_id": callback.client_id,
        "label": callback.label,
        "types": sorted(callback.types),
        "subscription": callback.subscription,
        "status": str(callback.status),
        "created_at": callback.created_at.isoformat(),
        "updated_at": callback.updated_at.isoformat(),
    }


def _callback(record: dict[str, Any]) -> Callback:
    return Callback(
        id=record["id"],
        user_id=record["user_id"],
        client_id=record["client_id"],
        label=record["label"],
        types=frozenset(CallbackType(t) for t in record["types"]),
        subscription=record["subscription"],
        status=CallbackStatus(record["status"]),
        created_at=datetime.fromisoformat(record["created_at"]),
        updated_at=datetime.fromisoformat(record["updated_at"]),
    )


class CallbackStore:
    FILE = "callbacks.sqlite3"

    def __init__(self, directory: Path) -> None:
        self._table = RecordTable(directory, self.FILE, "callbacks")
        self.path = self._table.path
        self._move_legacy(directory / LEGACY_FILE)

    def close(self) -> None:
        self._table.close()

    def save(self, callback: Callback) -> None:
        self._table.save(callback.id, _record(callback))

    def delete(self, callback_id: str) -> None:
        self._table.delete(callback_id)

    def clear(self) -> None:
        self._table.clear()

    def load(self) -> list[tuple[Callback, list[str]]]:
        """Each callback kept, and the header attributes taken out of it: those a store
        written before :func:`~simulator.callbacks.attributes.owned_header` was enforced
        may hold (the caller saves it again)."""
        found = []
        for record in self._table.load():
            removed = scrub_owned_headers(record["subscription"])  # before the channels
            found.append((_callback(record), removed))
        return found

    def _move_legacy(self, legacy: Path) -> None:
        """Take the callbacks an older version kept in ``legacy``, in their order, and
        drop its table (callbacks already here win)."""
        if not legacy.exists():
            return
        db = self._table.db
        db.execute("ATTACH DATABASE ? AS legacy", (str(legacy),))
        try:
            (found,) = db.execute(
                "SELECT count(*) FROM legacy.sqlite_master WHERE type = 'table'"
                " AND name = 'callbacks'"
            ).fetchone()
            if found:
                with db:  # idempotent: a second try inserts nothing new
                    db.execute(
                        "INSERT OR IGNORE INTO main.callbacks (id, record)"
                        " SELECT id, record FROM legacy.callbacks ORDER BY rowid"
                    )
                    db.execute("DROP TABLE legacy.callbacks")
        finally:
            db.execute("DETACH DATABASE legacy")
