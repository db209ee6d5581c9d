"""The SQLite files of ``--data-dir``: opened one way (WAL, ``synchronous=NORMAL``, mode 0600);
a table of JSON records by id (:class:`RecordTable`: the monitors, the callbacks).

``sqlite3`` is imported here on first use only: a simulator without ``--data-dir``
never loads it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3


def open_db(directory: Path, filename: str, schema: str) -> tuple[Path, sqlite3.Connection]:
    """The database ``directory/filename`` (created with ``schema`` if new), autocommit."""
    import sqlite3

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(schema)
    path.chmod(0o600)
    return path, db


class RecordTable:
    """``directory/filename``: one JSON record per id in ``table``, each write at once."""

    def __init__(self, directory: Path, filename: str, table: str) -> None:
        schema = f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, record TEXT NOT NULL);"
        self.path, self.db = open_db(directory, filename, schema)
        self.table = table

    def close(self) -> None:
        self.db.close()

    def save(self, record_id: str, record: dict[str, Any]) -> None:
        with self.db:
            self.db.execute(
                # an update keeps the row (and its place in the order)
                f"INSERT INTO {self.table} VALUES (?, ?)"
                " ON CONFLICT (id) DO UPDATE SET record = excluded.record",
                (record_id, json.dumps(record, separators=(",", ":"))),
            )

    def delete(self, record_id: str) -> None:
        with self.db:
            self.db.execute(f"DELETE FROM {self.table} WHERE id = ?", (record_id,))

    def clear(self) -> None:
        with self.db:
            self.db.execute(f"DELETE FROM {self.table}")

    def load(self) -> list[dict[str, Any]]:
        """Every record, in the order first saved (their creation order)."""
        rows = self.db.execute(f"SELECT record FROM {self.table} ORDER BY rowid").fetchall()
        return [json.loads(raw) for (raw,) in rows]
