"""The SQLite files of ``--data-dir``: opened one way (WAL, ``synchronous=NORMAL``, mode 0600).

``sqlite3`` is imported here on first use only: a simulator without ``--data-dir``
never loads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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
