"""``--data-dir``: the monitors in SQLite, so that a restarted simulator keeps watching.

One row per monitor: who made it, its vehicle and callback, its status and times, and
its canonical request (what GET serves under ``monitor``), which is validated again on
restore.  What the triggers saw is not kept: a restored monitor starts from the
vehicle's current state, as a resumed one does.  File mode 0600.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulator.persist.sqlite import open_db

SCHEMA = "CREATE TABLE IF NOT EXISTS monitors (id TEXT PRIMARY KEY, record TEXT NOT NULL);"


class MonitorStore:
    FILE = "monitors.sqlite3"

    def __init__(self, directory: Path) -> None:
        self.path, self._db = open_db(directory, self.FILE, SCHEMA)

    def close(self) -> None:
        self._db.close()

    def save(self, monitor_id: str, record: dict[str, Any]) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO monitors VALUES (?, ?)",
                (monitor_id, json.dumps(record, separators=(",", ":"))),
            )

    def delete(self, monitor_id: str) -> None:
        with self._db:
            self._db.execute("DELETE FROM monitors WHERE id = ?", (monitor_id,))

    def clear(self) -> None:
        with self._db:
            self._db.execute("DELETE FROM monitors")

    def load(self) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT record FROM monitors ORDER BY rowid").fetchall()
        return [json.loads(raw) for (raw,) in rows]
