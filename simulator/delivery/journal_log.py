"""The delivery journal's log lines (``ccsim.delivery``): each attempt with its target,
answer and what follows (delivered, the next retry, or no more tries), and each event
given up (dead-lettered, dropped, undelivered at shutdown).

A delivered attempt is logged at info, everything else at warning, so ``--quiet``
still shows what went wrong.  Targets lose their user info and query values
(:func:`~simulator.logs.redact_url`).
"""

from __future__ import annotations

import logging
from typing import Any

from simulator.delivery.journal import DeliveryRecord, Outcome
from simulator.delivery.transports import Attempt
from simulator.events import Notification
from simulator.logs import FIELDS, iso, redact_url

log = logging.getLogger("ccsim.delivery")


def logs(level: int) -> bool:
    """Whether lines at ``level`` are printed (check before building them)."""
    return log.isEnabledFor(level)


def _answer(http_status: int | None, error: str | None, ok: bool) -> str:
    if http_status is not None:
        return f"HTTP {http_status}"
    return error or ("sent" if ok else "failed")


def log_attempt(
    note: Notification,
    channel: str,
    callback_id: str | None,
    attempt: Attempt,
    number: int,
    next_retry: float | None = None,
) -> None:
    """Attempt ``number`` for one event: delivered, or failed with its ``next_retry``
    (None: no more tries)."""
    event_id = note.event_id
    target = redact_url(attempt.target)
    if attempt.ok:
        after, outcome = "delivered", Outcome.DELIVERED
    elif next_retry is not None:
        after, outcome = f"next retry {iso(next_retry)}", Outcome.FAILED
    else:
        after, outcome = "no more tries", Outcome.FAILED
    answer = _answer(attempt.http_status, attempt.error, attempt.ok)
    fields: dict[str, Any] = {
        "event_id": event_id,
        "callback_id": callback_id,
        "target": target,
        "http_status": attempt.http_status,
        "error": attempt.error,
        "attempt": number,
        "outcome": outcome.value,
        "next_retry": iso(next_retry) if next_retry is not None else None,
        "ms": round(attempt.latency_ms, 1) if attempt.latency_ms is not None else None,
    }
    fields.update(channel=channel, vin=note.vin, type=note.type)
    log.log(
        logging.INFO if attempt.ok else logging.WARNING,
        "event %s callback=%s -> %s: %s, attempt %d, %s",
        event_id, callback_id, target, answer, number, after,
        extra={FIELDS: fields},
    )  # fmt: skip


def log_given_up(record: DeliveryRecord) -> None:
    """An event that will not be sent again: dead-lettered, dropped or undelivered."""
    target = redact_url(record.target) if record.target else "-"
    fields: dict[str, Any] = {
        "event_id": record.event_id,
        "callback_id": record.callback_id,
        "target": target,
        "outcome": record.outcome,
        "attempt": record.attempt,
        "reason": record.error,
        "channel": record.channel,
        "vin": record.vin,
        "type": record.type,
    }
    log.warning(
        "event %s callback=%s -> %s: %s after %d attempts (%s)",
        record.event_id, record.callback_id, target, record.outcome, record.attempt,
        record.error or "-",
        extra={FIELDS: fields},
    )  # fmt: skip
