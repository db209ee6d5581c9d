"""Deciding a scenario's expectations from what was seen, on the simulated clock.

The player hands the judge every arrival at a receiver, every delivery-journal entry and
the status of the vehicles that ``state`` expectations watch, each with its simulated
time; an expectation is decided as soon as the evidence allows (a notification that
arrived, a count exceeded) or once the clock has passed its ``within``.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from simulator.scenario.receivers import Arrival
from simulator.scenario.script import (
    DeliveryFilter,
    Expectation,
    NotificationFilter,
    StateCheck,
)

__all__ = ["Judge", "Names", "Result", "status_value"]

HELD, FAILED, OPEN = "held", "failed", "open"


@dataclass
class Names:
    """What the file's names stand for once played (ids given by the simulator)."""

    vehicles: dict[str, str] = field(default_factory=dict)  # name -> vehicle id
    vins: dict[str, str] = field(default_factory=dict)  # name -> VIN
    callbacks: dict[str, str] = field(default_factory=dict)  # name -> callback id
    monitors: dict[str, set[str]] = field(default_factory=dict)  # name -> monitor ids
    remotes: dict[str, str] = field(default_factory=dict)  # name -> remote action id


@dataclass
class Result:
    index: int
    name: str
    kind: str
    state: str = OPEN  # open, held or failed
    at: float | None = None  # when it was decided (simulated)
    reason: str = ""

    @property
    def held(self) -> bool:
        return self.state == HELD

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "kind": self.kind,
            "state": self.state,
            "decidedAt": _iso(self.at) if self.at is not None else None,
            "reason": self.reason,
        }


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def describe(expectation: Expectation) -> str:
    """A readable default name: the form and its members."""
    if expectation.name:
        return expectation.name
    detail = expectation.detail.model_dump(exclude_none=True)
    members = ", ".join(f"{k}={v}" for k, v in detail.items())
    window = ""
    if expectation.after is not None:
        window += f" after {_duration(expectation.after.total_seconds())}"
    if expectation.within is not None:
        window += f" within {_duration(expectation.within.total_seconds())}"
    return f"{expectation.kind}({members}){window}"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return text + (f"{secs}S" if secs or text == "PT" else "")


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def status_value(status: Any, path: str) -> Any:
    """``energies[0].level`` of a status document; KeyError when absent."""
    node = status
    for name, index in _PART.findall(path):
        if name:
            if not isinstance(node, dict) or name not in node:
                raise KeyError(path)
            node = node[name]
        else:
            if not isinstance(node, list) or int(index) >= len(node):
                raise KeyError(path)
            node = node[int(index)]
    return node


def _meets(check: StateCheck, value: Any) -> bool:
    if check.equals is not None:
        if isinstance(check.equals, bool) or isinstance(value, bool):
            return value is check.equals
        if isinstance(check.equals, int | float) and isinstance(value, int | float):
            return float(value) == float(check.equals)
        return str(value) == str(check.equals)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    if check.atLeast is not None and value < check.atLeast:
        return False
    return not (check.atMost is not None and value > check.atMost)


class Judge:
    """Evidence is fed as it comes (in time order) and kept per expectation, only inside
    its window: deciding is then a look at a few counters, however long the run."""

    def __init__(self, expectations: list[Expectation], start: float, end: float) -> None:
        self.expectations = expectations
        self.start = start
        self.end = end
        self.names = Names()
        self.samples: dict[str, list[tuple[float, Any]]] = {}  # vehicle name -> statuses
        self.results = [Result(i, describe(e), e.kind) for i, e in enumerate(expectations)]
        self.seen: list[list[tuple[float, Any]]] = [[] for _ in expectations]
        self.early: list[list[float]] = [[] for _ in expectations]  # matches outside, first 3
        self.accepted: list[dict[str, Any]] = []  # the first few arrived messages
        self.arrived = 0
        self.refused = 0
        self.outcomes: set[str] = set()

    def watched_vehicles(self) -> set[str]:
        return {e.state.vehicle for e in self.expectations if e.state is not None}

    def window(self, expectation: Expectation) -> tuple[float, float]:
        after = self.start + (expectation.after.total_seconds() if expectation.after else 0.0)
        within = expectation.within.total_seconds() if expectation.within else None
        return after, (self.start + within if within is not None else self.end)

    # ------------------------------------------------------------ evidence
    def _keep(self, index: int, at: float, item: Any) -> None:
        after, within = self.window(self.expectations[index])
        if after <= at <= within:
            self.seen[index].append((at, item))
        elif len(self.early[index]) < 3:
            self.early[index].append(at)

    def feed_arrival(self, arrival: Arrival) -> None:
        if not arrival.accepted:
            self.refused += len(arrival.messages)
            return
        for message in arrival.messages:
            self.arrived += 1
            if len(self.accepted) < 5:
                self.accepted.append(message)
            for index, expectation in enumerate(self.expectations):
                flt = expectation.notification or expectation.noNotification
                if flt is not None and self._message_matches(flt, arrival, message):
                    self._keep(index, arrival.at, message)

    def feed_record(self, record: Any) -> None:
        self.outcomes.add(record.outcome)
        for index, expectation in enumerate(self.expectations):
            flt = expectation.delivery
            if flt is not None and self._record_matches(flt, record):
                self._keep(index, record.at, record)

    # ------------------------------------------------------------ deciding
    def decide(self, now: float, final: bool = False) -> list[Result]:
        """Decide what can be decided at ``now`` (``final``: the run is over)."""
        for index, (result, expectation) in enumerate(
            zip(self.results, self.expectations, strict=True)
        ):
            if result.state != OPEN:
                if final and result.state == FAILED and self._late(index, expectation):
                    # failed when its window closed; say what came after it
                    what = "entries" if expectation.kind == "delivery" else "notifications"
                    result.reason = self._instead(index, what)
                continue
            after, within = self.window(expectation)
            verdict = self._judge(index, expectation, after, within, now, final or now > within)
            if verdict is not None:
                result.state, result.at, result.reason = verdict
        return self.results

    def _late(self, index: int, expectation: Expectation) -> bool:
        """Nothing matched inside the window of this notification or delivery
        expectation (without count), but something matched outside it."""
        detail = expectation.notification or expectation.delivery
        return (
            detail is not None
            and detail.count is None
            and not self.seen[index]
            and bool(self.early[index])
        )

    def _judge(
        self,
        index: int,
        expectation: Expectation,
        after: float,
        within: float,
        now: float,
        closed: bool,
    ) -> tuple[str, float, str] | None:
        kind = expectation.kind
        if kind == "state":
            assert expectation.state is not None
            return self._state(expectation.state, after, within, now, closed)
        seen = self.seen[index]
        if kind == "noNotification":
            if seen:
                t, m = seen[0]
                return FAILED, t, f"{len(seen)} arrived, first: {_summary(m)} at {_iso(t)}"
            return (HELD, within, "none arrived") if closed else None
        detail = expectation.delivery or expectation.notification
        assert detail is not None
        count = detail.count
        what = "entries" if kind == "delivery" else "notifications"
        if count is None:
            if seen:
                return HELD, seen[0][0], f"first at {_iso(seen[0][0])}"
            return (FAILED, within, self._instead(index, what)) if closed else None
        if len(seen) > count:
            return FAILED, seen[count][0], f"{len(seen)} {what} (expected {count})"
        if not closed:
            return None
        if len(seen) == count:
            return HELD, within, f"{count} {what}"
        return (
            FAILED,
            within,
            f"{len(seen)} {what} (expected {count}); " + self._instead(index, what),
        )

    def _instead(self, index: int, what: str) -> str:
        early = self.early[index]
        if early:
            times = ", ".join(_iso(t) for t in early)
            return f"none in the window; matching {what} came at {times}"
        if what == "entries":
            found = ", ".join(sorted(self.outcomes)) or "nothing"
            return f"no matching {what}; the journal has: {found}"
        shown = "; ".join(_summary(m) for m in self.accepted)
        more = f" (+{self.arrived - len(self.accepted)} more)" if self.arrived > 5 else ""
        text = f"none matched; arrived: {shown}{more}" if self.arrived else "nothing arrived"
        return text + (f"; {self.refused} refused (non-2xx)" if self.refused else "")

    def _state(
        self, check: StateCheck, after: float, within: float, now: float, closed: bool
    ) -> tuple[str, float, str] | None:
        """The status holds between samples: the last one read before ``after`` is the
        state at ``after`` (once the clock is there), then each sample in the window."""
        samples = self.samples.get(check.vehicle, [])  # in time order
        first = bisect.bisect_left(samples, after, key=lambda pair: pair[0])
        end = bisect.bisect_right(samples, within, key=lambda pair: pair[0])
        seen = [(after, samples[first - 1][1])] if first and now >= after else []
        seen += samples[first:end]
        last: Any = "no status read"
        for at, status in seen:
            try:
                value = status_value(status, check.field)
            except KeyError:
                last = f"{check.field} absent"
                continue
            if _meets(check, value):
                return HELD, at, f"{check.field} = {value!r} at {_iso(at)}"
            last = f"{check.field} = {value!r} at {_iso(at)}"
        if closed:
            return FAILED, within, f"never met; last seen {last}"
        return None

    # ------------------------------------------------------------ matching
    def _message_matches(
        self, flt: NotificationFilter, arrival: Arrival, m: dict[str, Any]
    ) -> bool:
        names = self.names
        if flt.receiver is not None and arrival.receiver != flt.receiver:
            return False
        if flt.callback is not None and m.get("callbackId") != names.callbacks.get(flt.callback):
            return False
        if flt.type is not None and m.get("type") != flt.type:
            return False
        if flt.vehicle is not None and m.get("vin") != names.vins.get(flt.vehicle):
            return False
        return _monitor_matches(flt, m.get("monitorEvent"), names) and _remote_matches(
            flt, m.get("remoteEvent"), names
        )

    def _record_matches(self, flt: DeliveryFilter, record: Any) -> bool:
        if record.outcome != flt.outcome:
            return False
        if flt.callback is not None and record.callback_id != self.names.callbacks.get(
            flt.callback
        ):
            return False
        return not (flt.vehicle is not None and record.vin != self.names.vins.get(flt.vehicle))


def _monitor_matches(flt: NotificationFilter, event: Any, names: Names) -> bool:
    if flt.monitor is None and flt.refresh is None:
        return True
    if not isinstance(event, dict):
        return False
    if flt.monitor is not None and event.get("monitorId") not in names.monitors.get(
        flt.monitor, ()
    ):
        return False
    return flt.refresh is None or event.get("refresh") == flt.refresh


def _remote_matches(flt: NotificationFilter, event: Any, names: Names) -> bool:
    if flt.remote is None and flt.status is None:
        return True
    if not isinstance(event, dict):
        return False
    if flt.remote is not None and event.get("remoteActionId") != names.remotes.get(flt.remote):
        return False
    status = event.get("eventStatus")
    if flt.status is None:
        return True
    if not isinstance(status, dict):
        return False
    return flt.status in (status.get("type"), status.get("status"), status.get("failureCause"))


def _summary(message: dict[str, Any]) -> str:
    kind = message.get("type", "?")
    if isinstance(message.get("remoteEvent"), dict):
        event = message["remoteEvent"]
        status = event.get("eventStatus") or {}
        return f"Remote {event.get('remoteType')} {status.get('type')}/{status.get('status')}"
    if isinstance(message.get("monitorEvent"), dict):
        event = message["monitorEvent"]
        return f"Monitor {event.get('monitorId')}" + (" (refresh)" if event.get("refresh") else "")
    return str(kind)
