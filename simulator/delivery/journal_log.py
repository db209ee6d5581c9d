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

from simulator.delivery.journal import Outcome
from simulator.events import DeliveriesAttempted, DeliveryAttempted
from simulator.logs import FIELDS, Line, iso, log_line, log_lines, redact_url

log = logging.getLogger("ccsim.delivery")

_GIVEN_UP = frozenset((Outcome.DEAD_LETTERED, Outcome.DROPPED, Outcome.UNDELIVERED))
"""Outcomes that end an event's delivery without success."""


def log_deliveries(batch: DeliveriesAttempted) -> None:
    """The bus handler: the lines of a journal write, in order (a batch's delivered or
    failed attempts, all of one level, as one write of several lines)."""
    attempts = batch.attempts
    first = attempts[0] if attempts else None
    if first is not None and len(attempts) > 1 and first.outcome in _ATTEMPTS:
        level = logging.INFO if first.outcome == Outcome.DELIVERED else logging.WARNING
        if all(a.outcome == first.outcome for a in attempts):
            if log.isEnabledFor(level):
                log_lines(log, level, [_attempt_line(a) for a in attempts])
            return
    for attempt in attempts:
        log_delivery(attempt)


_ATTEMPTS = frozenset((Outcome.DELIVERED, Outcome.FAILED))


def log_delivery(event: DeliveryAttempted) -> None:
    """The bus handler: one line per attempt, per event given up, per replay."""
    outcome = event.outcome
    if outcome == Outcome.DELIVERED:
        if log.isEnabledFor(logging.INFO):
            log_attempt(event)
    elif outcome == Outcome.FAILED:
        if log.isEnabledFor(logging.WARNING):
            log_attempt(event)
    elif outcome in _GIVEN_UP:
        if log.isEnabledFor(logging.WARNING):
            log_given_up(event)
    elif log.isEnabledFor(logging.INFO):
        log.info(
            "event %s callback=%s: %s",
            event.event_id, event.callback_id, outcome,
            extra={FIELDS: {"event_id": event.event_id, "callback_id": event.callback_id,
                            "outcome": outcome, "channel": event.channel, "vin": event.vin,
                            "type": event.type}},
        )  # fmt: skip


def _answer(http_status: int | None, error: str | None, ok: bool) -> str:
    if http_status is not None:
        return f"HTTP {http_status}"
    return error or ("sent" if ok else "failed")


def log_attempt(event: DeliveryAttempted) -> None:
    """An attempt for one event: delivered, or failed with its ``next_retry`` (None: no
    more tries)."""
    msg, args, fields = _attempt_line(event)
    ok = event.outcome == Outcome.DELIVERED
    log_line(log, logging.INFO if ok else logging.WARNING, msg, args, fields)


def _attempt_line(event: DeliveryAttempted) -> Line:
    next_retry = event.next_retry
    target = redact_url(event.target)
    ok = event.outcome == Outcome.DELIVERED
    if ok:
        after = "delivered"
    elif next_retry is not None:
        after = f"next retry {iso(next_retry)}"
    else:
        after = "no more tries"
    answer = _answer(event.http_status, event.error, ok)

    def fields() -> dict[str, Any]:
        latency = event.latency_ms
        return {
            "event_id": event.event_id,
            "callback_id": event.callback_id,
            "target": target,
            "http_status": event.http_status,
            "error": event.error,
            "attempt": event.attempt,
            "outcome": event.outcome,
            "next_retry": iso(next_retry) if next_retry is not None else None,
            "ms": round(latency, 1) if latency is not None else None,
            "channel": event.channel,
            "vin": event.vin,
            "type": event.type,
        }

    return (
        "event %s callback=%s -> %s: %s, attempt %d, %s",
        (event.event_id, event.callback_id, target, answer, event.attempt, after),
        fields,
    )


def log_given_up(event: DeliveryAttempted) -> None:
    """An event that will not be sent again: dead-lettered, dropped or undelivered."""
    target = redact_url(event.target) if event.target else "-"
    fields: dict[str, Any] = {
        "event_id": event.event_id,
        "callback_id": event.callback_id,
        "target": target,
        "outcome": event.outcome,
        "attempt": event.attempt,
        "reason": event.error,
        "channel": event.channel,
        "vin": event.vin,
        "type": event.type,
    }
    log.warning(
        "event %s callback=%s -> %s: %s after %d attempts (%s)",
        event.event_id, event.callback_id, target, event.outcome, event.attempt,
        event.error or "-",
        extra={FIELDS: fields},
    )  # fmt: skip
