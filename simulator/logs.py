"""What ``serve`` prints after its ``ready`` line: one log line per thing an integrator
follows, as text or as JSON lines.

The lines come from the standard :mod:`logging` module, through named loggers:
``ccsim.http`` (each API request), ``ccsim.remote`` (each remote step),
``ccsim.monitor`` (each monitor event), ``ccsim.delivery`` (each delivery attempt),
``ccsim.clock`` (clock changes) and ``ccsim.banner`` (the lines after ``ready``).
A record's structured fields travel in its ``ccsim`` attribute (``extra={"ccsim":
{...}}``): the JSON form gives them as keys, the text form shows the message only.

Records are stamped with the simulator's clock (:func:`use_clock`) and handed to a
writer thread, so the event loop never blocks on a pipe nobody reads: past
:data:`QUEUE_LIMIT` waiting lines, new ones are dropped and counted (a warning says how
many once the writer catches up).  The ``ready`` line must stay the first line of
stdout, and a start-up failure is one line on stderr: before :func:`after_ready`,
warnings and errors go to stderr and the other lines (a scenario's set-up requests,
say) are held, to be printed on stdout after the banner once ``ready`` is out (or
never, when the start fails).  After it every line goes to stdout.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from simulator.api.journal import RequestRecord
    from simulator.events import Notification

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
FIELDS = "ccsim"
"""The record attribute holding a line's structured fields (a dict)."""

BANNER = "ccsim.banner"
QUEUE_LIMIT = 10_000
"""Lines waiting for the writer at most; more are dropped (stdout is not being read)."""

CLOSE_TIMEOUT = 1.0
"""Wall seconds the writer gets at exit to write what waits (a blocked pipe: not more)."""

BATCH_LIMIT = 2_000
"""Lines written at most in one batch."""

BATCH_PAUSE = 0.005
"""Wall seconds the writer waits after a batch: a line appears at most this much later."""

_BASIC = frozenset(("time", "level", "logger", "message"))

_clock: Callable[[], float] | None = None


def use_clock(time_source: Callable[[], float] | None) -> None:
    """Stamp the records logged from now on with ``time_source()`` (POSIX seconds, the
    simulator's clock); None: the wall clock."""
    global _clock
    _clock = time_source


def _stamp(record: logging.LogRecord) -> float:
    stamped = getattr(record, "ccsim_time", None)
    return record.created if stamped is None else float(stamped)


def iso(ts: float, *, millis: bool = False) -> str:
    """``ts`` as ``2026-01-05T06:00:12Z`` (with ``.123`` milliseconds when asked), as
    ``datetime.fromtimestamp(ts, UTC).isoformat`` writes it: rounded to the microsecond
    (half to even), then cut to the second or the millisecond."""
    global _last_second
    frac, whole = math.modf(ts)
    micros = round(frac * 1e6)  # datetime.fromtimestamp's rounding
    if micros >= 1_000_000:
        whole, micros = whole + 1, micros - 1_000_000
    elif micros < 0:
        whole, micros = whole - 1, micros + 1_000_000
    second, text = _last_second  # one tuple, read and replaced whole (two threads)
    if whole != second:  # a busy second's lines share its text
        text = datetime.fromtimestamp(whole, UTC).isoformat(timespec="seconds")[:-6]
        _last_second = (whole, text)
    if millis:
        return f"{text}.{micros // 1000:03d}Z"
    return text + "Z"


_last_second: tuple[float | None, str] = (None, "")


@functools.lru_cache(maxsize=1024)
def redact_url(url: str) -> str:
    """A target URL fit for a log: no user info, every query value replaced (a webhook's
    query often carries its token).  Remembered: a callback's target is redacted for
    every line and every event of the feed."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "[unparsable URL]"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port is not None else host
    query = "&".join(
        f"{pair.partition('=')[0]}=[redacted]" if "=" in pair else pair
        for pair in parts.query.split("&")
        if pair
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (the simulator's clock), ``level``, ``logger``,
    ``message``, then the record's structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = _json_entry(
            _stamp(record), record.levelname, record.name, record.getMessage(), fields_of(record)
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _encode(entry)


def _json_entry(
    at: float, level: str, name: str, message: str, fields: dict[str, Any] | None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "time": iso(at, millis=True),
        "level": level,
        "logger": name,
        "message": message,
    }
    if fields:
        if fields.keys().isdisjoint(_BASIC):
            entry.update(fields)
        else:
            entry.update((k, v) for k, v in fields.items() if k not in _BASIC)
    return entry


_encode = json.JSONEncoder(default=str, ensure_ascii=False).encode


class TextFormatter(logging.Formatter):
    """``2026-01-05T06:00:12Z INFO ccsim.http GET /path 200 3.1ms req=...``; the banner's
    lines as they are."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.name != BANNER:
            message = _text_line(_stamp(record), record.levelname, record.name, message)
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        return message


def _text_line(at: float, level: str, name: str, message: str) -> str:
    return f"{iso(at)} {level} {name} {message}"


def _hot_text(
    name: str, level: int, msg: str, args: tuple[Any, ...], fields: Fields, at: float
) -> str:
    """A hot line as :class:`TextFormatter` writes its record."""
    return _text_line(at, _level_name(level), name, msg % args if args else msg)


def _hot_json(
    name: str, level: int, msg: str, args: tuple[Any, ...], fields: Fields, at: float
) -> str:
    """A hot line as :class:`JsonFormatter` writes its record."""
    made = fields() if callable(fields) else fields
    message = msg % args if args else msg
    return _encode(_json_entry(at, _level_name(level), name, message, made))


_HOT_FORMATS: dict[type, Callable[..., str]] = {
    TextFormatter: _hot_text,
    JsonFormatter: _hot_json,
}
"""How each of our formatters writes a hot line without a record."""


class QueuedOutput(logging.Handler):
    """Stamps each record (time, stream) where it is logged; a daemon thread formats and
    writes it.  Never blocks the caller: a full queue drops the record."""

    def __init__(self, formatter: logging.Formatter, limit: int = QUEUE_LIMIT) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.limit = limit
        self.dropped = 0
        self.ready = False  # the ready line is out: stdout from now on
        self.held: list[logging.LogRecord] = []  # info and below, logged before ready
        self._queue: queue.SimpleQueue[logging.LogRecord | Queued | str | None] = (
            queue.SimpleQueue()
        )
        self._closed = False
        self._gone: set[TextIO] = set()  # streams whose reader closed the pipe
        self._writer = threading.Thread(target=self._run, name="ccsim-log", daemon=True)
        self._writer.start()

    def emit(self, record: logging.LogRecord) -> None:
        self.stamp_and_queue(record)

    def stamp_and_queue(self, record: logging.LogRecord) -> None:
        """Stamp ``record`` with where it is logged (the time of the simulator then, the
        stream then) and queue it for the writer (or hold or drop it)."""
        values = record.__dict__
        values["ccsim_time"] = _clock() if _clock is not None else record.created
        values["ccsim_stdout"] = ready = self.ready
        if not ready and record.levelno < logging.WARNING:
            if len(self.held) < self.limit:
                self.held.append(record)
            else:
                self.dropped += _lines_in(record)
        elif self._closed:  # at exit: written here and now
            self._write_all([record])
        elif self._queue.qsize() >= self.limit:
            self.dropped += _lines_in(record)
        else:
            self._queue.put(record)

    def queue_line(
        self,
        name: str,
        level: int,
        msg: str,
        args: tuple[Any, ...],
        fields: Fields,
        more: Sequence[Line] | None = None,
    ) -> None:
        """A hot line (and the ``more`` lines after it), stamped now.  On stdout through
        one of our formatters: queued as the text to write, made here (no record at all,
        and the writer only writes); else queued as a tuple, its record made by the
        writer (nothing for the cyclic GC to follow meanwhile)."""
        now = time.time()
        at = _clock() if _clock is not None else now
        ready = self.ready
        if self._closed or (not ready and level < logging.WARNING):
            self.stamp_and_queue(
                _line_record((name, level, msg, args, fields, now, at, ready, more))
            )
        elif self._queue.qsize() >= self.limit:
            self.dropped += 1 + len(more or ())
        else:
            hot_format = _HOT_FORMATS.get(type(self.formatter))
            if hot_format is not None and ready:  # the text as written, made here
                try:
                    text = hot_format(name, level, msg, args, fields, at)
                    if more:
                        text += "".join(
                            "\n" + hot_format(name, level, m, a, f, at) for m, a, f in more
                        )
                except Exception:  # the writer reports it, as for any record
                    pass
                else:
                    self._queue.put(text)
                    return
            self._queue.put((name, level, msg, args, fields, now, at, ready, more))

    def to_stdout(self, first: Callable[[], None]) -> None:
        """``ready`` is out: stdout from now on, what ``first`` logs, then the held lines."""
        self.ready = True
        first()
        held, self.held = self.held, []
        for record in held:
            record.__dict__["ccsim_stdout"] = True
            self._queue.put(record)

    def _run(self) -> None:
        """Write what waits in batches: one write per run of lines for the same stream
        (order kept), then a pause of :data:`BATCH_PAUSE` so a busy server's lines gather
        instead of waking this thread (and taking the GIL) once per line; no pause while
        more than a batch waits (a burst: the queue must not fill up)."""
        done = False
        while not done:
            batch = [self._queue.get()]
            while len(batch) < BATCH_LIMIT:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if None in batch:  # close(): write what came before it, then stop
                done = True
                batch = batch[: batch.index(None)]
            records = [
                item if isinstance(item, logging.LogRecord | str) else _line_record(item)
                for item in batch
                if item is not None
            ]
            if records:
                self._write_all(records)
                if self.dropped and self._queue.empty():
                    self._note_dropped(records[-1])
            if not done and len(batch) < BATCH_LIMIT:
                time.sleep(BATCH_PAUSE)

    def _note_dropped(self, last: logging.LogRecord | str) -> None:
        dropped, self.dropped = self.dropped, 0
        note = logging.LogRecord(
            "ccsim", logging.WARNING, __file__, 0,
            "%d log lines dropped: nothing read the output fast enough",
            (dropped,), None,
        )  # fmt: skip
        if isinstance(last, str):  # a line made as text: on stdout, stamped about now
            at, stdout = _clock() if _clock is not None else time.time(), True
        else:
            at, stdout = _stamp(last), getattr(last, "ccsim_stdout", False)
        note.__dict__.update(ccsim_time=at, ccsim_stdout=stdout)
        self._write_all([note])

    def _write_all(self, records: Sequence[logging.LogRecord | str]) -> None:
        """The records (and lines made as text, for stdout) in order, one write per run
        of them for the same stream."""
        run: list[str] = []
        stream: TextIO | None = None
        for record in records:
            made = isinstance(record, str)  # for stdout
            target = sys.stdout if made or getattr(record, "ccsim_stdout", False) else sys.stderr
            if target is not stream and run:
                self._put(stream, "".join(run), record)
                run = []
            stream = target
            if isinstance(record, str):
                run.append(record + "\n")
                continue
            for line in _expand(record):
                try:
                    run.append(self.format(line) + "\n")
                except Exception:
                    self.handleError(line)
        if run:
            self._put(stream, "".join(run), records[-1])

    def _put(self, stream: TextIO | None, text: str, record: logging.LogRecord | str) -> None:
        if stream is None or stream in self._gone:
            return
        try:
            _write_text(stream, text)
        except BrokenPipeError:  # the reader went away: nobody will read this stream again
            self._gone.add(stream)
        except Exception:
            if isinstance(record, str):
                record = logging.makeLogRecord({"msg": record})
            self.handleError(record)

    def close(self) -> None:
        """Write what waits (for at most :data:`CLOSE_TIMEOUT` seconds), then write
        any later record in the caller's thread."""
        if not self._closed:
            self._queue.put(None)
            self._writer.join(CLOSE_TIMEOUT)
            self._closed = True
        super().close()


# ------------------------------------------------------------------ the hot lines
Fields = dict[str, Any] | Callable[[], dict[str, Any]]
"""A line's structured fields, or what makes them (called only if a handler reads them)."""

_LEVEL_NAMES: dict[int, str] = {
    logging.DEBUG: "DEBUG", logging.INFO: "INFO", logging.WARNING: "WARNING",
    logging.ERROR: "ERROR", logging.CRITICAL: "CRITICAL",
}  # fmt: skip
_new_record = logging.LogRecord.__new__


def _level_name(level: int) -> str:
    return _LEVEL_NAMES.get(level) or logging.getLevelName(level)


def _only_output(logger: logging.Logger) -> QueuedOutput | None:
    """The one handler ``logger``'s records reach, when it is ``serve``'s output and no
    filter anywhere could look at them (else None: the standard path)."""
    found = None
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if found is not None or type(handler) is not QueuedOutput or handler.filters:
                return None
            found = handler
        if not current.propagate:
            break
        current = current.parent
    return found


def log_line(
    logger: logging.Logger, level: int, msg: str, args: tuple[Any, ...], fields: Fields
) -> None:
    """Log one of the lines a busy simulator writes per request or per event (the caller
    has checked ``logger.isEnabledFor(level)``).  When the line only goes to ``serve``'s
    output, the record is made without :class:`logging.LogRecord`'s bookkeeping (no
    caller, thread or process is shown) and the fields are made only if the JSON form
    prints them; else through :meth:`logging.Logger.log`, the same line as any other."""
    output = _only_output(logger)
    if output is None or level < output.level:
        logger.log(level, msg, *args, extra={FIELDS: fields() if callable(fields) else fields})
        return
    output.queue_line(logger.name, level, msg, args, fields)


Line = tuple[str, tuple[Any, ...], Fields]
"""One line: its message, the message's arguments, its fields."""


def log_lines(logger: logging.Logger, level: int, lines: Sequence[Line]) -> None:
    """Several lines at once, in order (the caller has checked the level): one record
    carrying them all when only ``serve``'s output reads them (its writer makes each
    line's record), else a record each (:func:`log_line`)."""
    output = _only_output(logger)
    if output is None or level < output.level or len(lines) < 2:
        for msg, args, fields in lines:
            log_line(logger, level, msg, args, fields)
        return
    msg, args, fields = lines[0]
    output.queue_line(logger.name, level, msg, args, fields, lines[1:])


_MORE = "ccsim_more"
"""A record's attribute holding the lines that follow it (:func:`log_lines`)."""


Queued = tuple[str, int, str, tuple[Any, ...], Fields, float, float, bool, Sequence["Line"] | None]
"""A hot line as queued: logger name, level, message, arguments, fields, wall time,
simulated time, whether for stdout, the lines that follow it."""


def _line_record(item: Queued) -> logging.LogRecord:
    name, level, msg, args, fields, now, at, stdout, more = item
    record = _hot_record(name, level, msg, args, fields, now)
    values = record.__dict__
    values["ccsim_time"] = at
    values["ccsim_stdout"] = stdout
    if more:
        values[_MORE] = more
    return record


def _hot_record(
    name: str, level: int, msg: str, args: tuple[Any, ...], fields: Fields, now: float
) -> logging.LogRecord:
    record = _new_record(logging.LogRecord)
    values = _RECORD.copy()
    values["name"] = name
    values["msg"] = msg
    values["args"] = args
    values["levelno"] = level
    values["levelname"] = _level_name(level)
    values["created"] = now
    values["msecs"] = (now - int(now)) * 1000
    values["relativeCreated"] = (now - _STARTED) * 1000
    values[FIELDS] = fields
    record.__dict__ = values
    return record


def _expand(record: logging.LogRecord) -> list[logging.LogRecord]:
    """``record`` and a record for each line it carries (the same but for the message
    and fields)."""
    more: Sequence[Line] | None = record.__dict__.pop(_MORE, None)
    if not more:
        return [record]
    records = [record]
    for msg, args, fields in more:
        line = _new_record(logging.LogRecord)
        values = record.__dict__.copy()
        values["msg"] = msg
        values["args"] = args
        values[FIELDS] = fields
        line.__dict__ = values
        records.append(line)
    return records


def _lines_in(record: logging.LogRecord) -> int:
    return 1 + len(record.__dict__.get(_MORE) or ())


_RECORD: dict[str, Any] = {
    "pathname": __file__, "filename": "logs.py", "module": "logs", "lineno": 0,
    "funcName": None, "exc_info": None, "exc_text": None, "stack_info": None,
    "thread": None, "threadName": None, "processName": None, "process": None,
    "taskName": None,
}  # fmt: skip
"""What a hot line's record says of where it was logged: nothing (as ``serve`` sets
:mod:`logging` up, no line shows it)."""
_STARTED = time.time()


def fields_of(record: logging.LogRecord) -> dict[str, Any] | None:
    """A record's structured fields (made now if the line deferred them)."""
    fields = getattr(record, FIELDS, None)
    if callable(fields):
        fields = fields()
        setattr(record, FIELDS, fields)
    return fields if isinstance(fields, dict) else None


def _write_text(stream: TextIO, text: str) -> None:
    """Straight to the stream's file descriptor when it has one (no buffer lock held
    while a pipe is full), else through the stream."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        stream.write(text)
        stream.flush()
        return
    data = text.encode("utf-8", "replace")
    while data:
        data = data[os.write(fd, data) :]


def configure_logging(fmt: str = "text", level: str = "info", quiet: bool = False) -> None:
    """The process's logging for ``serve``: ``fmt`` ``text`` or ``json``, records at
    ``level`` and above (``quiet``: warnings and errors only)."""
    try:
        chosen = LEVELS[level.strip().lower()]
    except KeyError:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}, not {level!r}") from None
    if quiet:
        chosen = max(chosen, logging.WARNING)
    formatter: logging.Formatter = JsonFormatter() if fmt == "json" else TextFormatter()
    root = logging.getLogger()
    for old in root.handlers:
        if isinstance(old, QueuedOutput):
            old.close()
    root.handlers[:] = [QueuedOutput(formatter)]
    root.setLevel(chosen)
    # what no line shows, not gathered for each record (logging's documented optimisations)
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    if hasattr(logging, "logAsyncioTasks"):  # Python 3.12+
        logging.logAsyncioTasks = False


def after_ready(first: Callable[[], None] = lambda: None) -> None:
    """The ``ready`` line is out: log lines go to stdout from now on, starting with what
    ``first`` logs (the banner), then the lines held since the start."""
    outputs = [h for h in logging.getLogger().handlers if isinstance(h, QueuedOutput)]
    if not outputs:
        first()
    for index, output in enumerate(outputs):
        output.to_stdout(first if index == 0 else lambda: None)


# ------------------------------------------------------------------ the lines
_remote_log = logging.getLogger("ccsim.remote")
_monitor_log = logging.getLogger("ccsim.monitor")
_clock_log = logging.getLogger("ccsim.clock")
_MAX_PATH = 512  # longer request targets are cut in the line (the journal keeps them whole)


def log_request(logger: logging.Logger, record: RequestRecord) -> None:
    """``GET /connectedcar/v4/user/vehicles 200 3.1ms req=...`` (the target as the request
    journal keeps it: secret query values redacted)."""
    target = record.target if len(record.target) <= _MAX_PATH else record.target[:_MAX_PATH] + "..."

    def fields() -> dict[str, Any]:
        return {
            "method": record.method,
            "path": target,
            "status": record.status,
            "ms": round(record.duration_ms, 1),
            "request_id": record.request_id,
            "client_id": record.client_id,
        }

    log_line(
        logger, logging.INFO if record.status < 500 else logging.WARNING,
        "%s %s %d %.1fms req=%s",
        (record.method, target, record.status, record.duration_ms, record.request_id), fields,
    )  # fmt: skip


def log_notification(note: Notification) -> None:
    """A remote's step or a monitor's event, as it is published (the bus handler)."""
    if note.type == "Remote":
        if _remote_log.isEnabledFor(logging.INFO):
            _log_remote(note)
    elif _monitor_log.isEnabledFor(logging.INFO):
        _log_monitor(note)


def _log_remote(note: Notification) -> None:
    event = note.event
    status = event.get("eventStatus") or {}
    cause = status.get("failureCause")
    remote_id, action, step = (
        event.get("remoteActionId"),
        event.get("remoteType"),
        status.get("type"),
    )

    def fields() -> dict[str, Any]:
        return {
            "remote_id": remote_id,
            "vin": note.vin,
            "action": action,
            "step": step,
            "status": status.get("status"),
            "failure_cause": cause,
            "callback_id": note.callback_id,
            "event_id": note.event_id,
        }

    log_line(
        _remote_log, logging.INFO, "remote %s vin=%s %s %s %s%s",
        (remote_id, note.vin, action, step, status.get("status"), f" ({cause})" if cause else ""),
        fields,
    )  # fmt: skip


def _trigger(value: Any) -> str:
    """One member of a monitor event's ``values``: ``data lock vehicle.doorsState...=Locked``."""
    if not isinstance(value, dict):
        return str(value)
    text = f"{value.get('kind', '?')} {value.get('trigger', '?')}"
    if "data" in value:
        text += f" {value['data']}"
    shown = value.get("value")
    if isinstance(shown, dict):
        body = shown.get("body") or {}
        if "literalValue" in body:
            text += f"={body['literalValue']}"
        elif "objectValues" in body:
            text += f"={len(body['objectValues'])} active"
    return text


def _log_monitor(note: Notification) -> None:
    event = note.event
    values = event.get("values")
    triggered = [_trigger(v) for v in values] if isinstance(values, list) else []
    refresh = bool(event.get("refresh"))

    def fields() -> dict[str, Any]:
        return {
            "monitor_id": event.get("monitorId"),
            "vin": note.vin,
            "label": note.label,
            "triggered": triggered,
            "refresh": refresh,
            "callback_id": note.callback_id,
            "event_id": note.event_id,
        }

    log_line(
        _monitor_log, logging.INFO, "monitor %s vin=%s %s: %s",
        (event.get("monitorId"), note.vin, "still true (refresh)" if refresh else "raised",
         "; ".join(triggered) or "-"),
        fields,
    )  # fmt: skip


def log_clock_advance(before: float, after: float) -> None:
    """The control API moved the clock from ``before`` to ``after`` (POSIX seconds)."""
    if _clock_log.isEnabledFor(logging.INFO):
        seconds = after - before
        _clock_log.info(
            "advanced %gs from %s to %s", seconds, iso(before), iso(after),
            extra={FIELDS: {"change": "advance", "seconds": seconds, "from": iso(before),
                            "to": iso(after)}},
        )  # fmt: skip
