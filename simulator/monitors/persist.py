"""``--data-dir``: the monitors in SQLite, so that a restarted simulator keeps watching.

One row per monitor: who made it, its vehicle and callback, its status and times, and
its canonical request (what GET serves under ``monitor``), which is validated again on
restore.  What the triggers saw is not kept: a restored monitor starts from the
vehicle's current state, as a resumed one does.  File mode 0600.
"""

from __future__ import annotations

from pathlib import Path

from simulator.persist.sqlite import RecordTable


class MonitorStore(RecordTable):
    FILE = "monitors.sqlite3"

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, self.FILE, "monitors")
