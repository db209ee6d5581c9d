"""The hot log lines' short path writes what the formatters write from a record.

A hot line (one per request, delivery attempt, remote step or monitor event) is made
as text where it is logged when ``serve``'s output uses one of our formatters; any
other line goes through a :class:`logging.LogRecord`.  Both must print the same
bytes, and the time stamps must be those ``datetime`` writes.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from simulator import logs


def _reference_iso(ts: float, millis: bool) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.isoformat(timespec="milliseconds" if millis else "seconds").replace("+00:00", "Z")


def test_iso_writes_what_datetime_writes() -> None:
    rng = random.Random(7)
    stamps = [rng.uniform(0, 4e9) for _ in range(20_000)]
    stamps += [rng.randrange(0, 4 * 10**15) / 1e6 for _ in range(20_000)]
    # the rounding edges: half a microsecond before and after a second, a millisecond
    stamps += [k + 0.9999995 for k in range(1_700_000_000, 1_700_000_500)]
    stamps += [k + 0.0000005 for k in range(1_700_000_000, 1_700_000_500)]
    stamps += [1.7e9 + 0.9995, 1.7e9 + 0.0015, 0.0, 86_399.9999999]
    for ts in stamps:
        for millis in (False, True):
            assert logs.iso(ts, millis=millis) == _reference_iso(ts, millis), (ts, millis)


def _fields() -> dict[str, Any]:
    # "level" and "message" collide with the basic keys: the JSON form keeps its own
    return {"method": "GET", "status": 200, "ms": 3.1, "level": "x", "message": "y"}


LINES: list[tuple[str, int, str, tuple[Any, ...], Any]] = [
    ("ccsim.http", logging.INFO, "%s %s %d %.1fms req=%s", ("GET", "/p?a=1", 200, 3.14, "r"), {}),
    ("ccsim.http", logging.WARNING, "%s %s %d", ("POST", "/x", 503), _fields),
    ("ccsim.delivery", logging.INFO, "no arguments 100%", (), {"vin": "VR3", "ok": True}),
    ("ccsim.monitor", 25, "custom level %s", ("é ü",), {"triggered": ["a", "b"]}),
]


@pytest.mark.parametrize("formatter", [logs.TextFormatter(), logs.JsonFormatter()])
@pytest.mark.parametrize("line", LINES, ids=[line[2][:8] for line in LINES])
def test_a_hot_line_made_as_text_is_the_formatted_record(
    formatter: logging.Formatter, line: tuple[str, int, str, tuple[Any, ...], Any]
) -> None:
    name, level, msg, args, fields = line
    at, now = 1_767_600_012.3456, time.time()
    record = logs._line_record((name, level, msg, args, fields, now, at, True, None))
    hot = logs._HOT_FORMATS[type(formatter)](name, level, msg, args, fields, at)
    assert hot == formatter.format(record)
    if isinstance(formatter, logs.JsonFormatter):
        assert json.loads(hot)["time"] == "2026-01-05T08:00:12.345Z"


@pytest.fixture
def output() -> Iterator[logs.QueuedOutput]:
    """A ``serve``-like output: our text formatter, stdout (captured) once ready."""
    handler = logs.QueuedOutput(logs.TextFormatter())
    handler.ready = True
    try:
        yield handler
    finally:
        handler.close()


def test_hot_lines_and_records_keep_their_order(
    output: logs.QueuedOutput, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = output
    at = 1_767_600_012.0
    logs.use_clock(lambda: at)
    try:
        handler.queue_line("ccsim.http", logging.INFO, "first %d", (1,), {})
        record = logging.LogRecord("ccsim.clock", logging.INFO, "f", 0, "second", (), None)
        handler.emit(record)
        handler.queue_line(
            "ccsim.delivery", logging.INFO, "third", (), {}, [("fourth %s", ("x",), {})]
        )
        handler.close()
    finally:
        logs.use_clock(None)
    assert capsys.readouterr().out.splitlines() == [
        "2026-01-05T08:00:12Z INFO ccsim.http first 1",
        "2026-01-05T08:00:12Z INFO ccsim.clock second",
        "2026-01-05T08:00:12Z INFO ccsim.delivery third",
        "2026-01-05T08:00:12Z INFO ccsim.delivery fourth x",
    ]


def test_a_line_that_cannot_be_made_is_reported_like_any_record(
    output: logs.QueuedOutput, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = output
    handler.queue_line("ccsim.http", logging.INFO, "%d requests", ("many",), {})
    handler.queue_line("ccsim.http", logging.INFO, "after %s", ("it",), {})
    handler.close()
    captured = capsys.readouterr()
    assert captured.out.endswith(" INFO ccsim.http after it\n")
    assert "requests" not in captured.out
    assert "Logging error" in captured.err  # logging's report of a bad record


class _Upper(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage().upper()


def test_the_output_s_formatter_decides_how_a_hot_line_is_made(
    output: logs.QueuedOutput, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = output
    handler.setFormatter(logs.JsonFormatter())
    handler.queue_line("ccsim.http", logging.INFO, "as %s", ("json",), {"status": 200})
    handler.setFormatter(_Upper())  # not ours: the line goes through a record
    handler.queue_line("ccsim.http", logging.INFO, "through %s", ("a record",), {})
    handler.close()
    first, second = capsys.readouterr().out.splitlines()
    assert json.loads(first)["message"] == "as json" and json.loads(first)["status"] == 200
    assert second == "THROUGH A RECORD"
