"""Which notifications a receiver's ``wait_for`` wants, and a readable line for each one.

A filter is the conjunction of what is given:

* ``predicate``: any ``message -> bool``;
* ``remote``: a remote action id, the answer of ``POST .../remotes`` (its
  ``remoteActionId``), or a remote type (``"Doors"``, ``"Horn"``...);
* ``status``: a remote event's ``type`` (``Pending``/``Done``), ``status``
  (``Accepted``, ``Success``, ``Failed``...) or ``failureCause``;
* ``monitor``: a monitor id, or the answer of ``POST .../monitors`` (its ``id``);
* ``vin``: the message's VIN (a :class:`~simulator.testing.client.SimVehicle` works too).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Filter", "describe", "describe_all"]


def _key(value: Any, *names: str) -> Any:
    """An id given as itself, or inside an API answer (a mapping) or an object."""
    if isinstance(value, Mapping):
        for name in names:
            if name in value:
                return value[name]
        return value
    if not isinstance(value, str):
        for name in ("vin", "id"):
            if hasattr(value, name):
                return getattr(value, name)
    return value


@dataclass(frozen=True)
class Filter:
    predicate: Callable[[Any], bool] | None = None
    remote: Any = None
    status: str | None = None
    monitor: Any = None
    vin: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "remote", _key(self.remote, "remoteActionId", "id"))
        object.__setattr__(self, "monitor", _key(self.monitor, "monitorId", "id"))
        object.__setattr__(self, "vin", _key(self.vin, "vin"))

    def __call__(self, message: Any) -> bool:
        if not isinstance(message, dict):  # not a notification: only a predicate can want it
            if (self.remote, self.status, self.monitor, self.vin) != (None, None, None, None):
                return False
            return self.predicate is None or bool(self.predicate(message))
        if self.vin is not None and message.get("vin") != self.vin:
            return False
        if not self._remote_ok(message.get("remoteEvent")):
            return False
        if not self._monitor_ok(message.get("monitorEvent")):
            return False
        return self.predicate is None or bool(self.predicate(message))

    def _remote_ok(self, event: Any) -> bool:
        if self.remote is None and self.status is None:
            return True
        if not isinstance(event, dict):
            return False
        if self.remote is not None and self.remote not in (
            event.get("remoteActionId"),
            event.get("remoteType"),
        ):
            return False
        if self.status is None:
            return True
        status = event.get("eventStatus")
        return isinstance(status, dict) and self.status in (
            status.get("type"),
            status.get("status"),
            status.get("failureCause"),
        )

    def _monitor_ok(self, event: Any) -> bool:
        if self.monitor is None:
            return True
        return isinstance(event, dict) and event.get("monitorId") == self.monitor

    def text(self) -> str:
        """``remote='abc', status='Done'`` (what was asked, for a failure message)."""
        parts = [
            f"{name}={value!r}"
            for name, value in (
                ("remote", self.remote),
                ("status", self.status),
                ("monitor", self.monitor),
                ("vin", self.vin),
            )
            if value is not None
        ]
        if self.predicate is not None:
            parts.insert(0, f"predicate {getattr(self.predicate, '__name__', 'given')}")
        return ", ".join(parts) or "any"


def describe(message: Any) -> str:
    """One line: kind, VIN, then the remote's type, id and status or the monitor's id."""
    if not isinstance(message, dict):
        return f"(not a notification) {str(message)[:120]}"
    kind = message.get("type", "?")
    vin = message.get("vin", "?")
    remote, monitor = message.get("remoteEvent"), message.get("monitorEvent")
    if isinstance(remote, dict):
        status = remote.get("eventStatus") or {}
        cause = status.get("failureCause")
        text = f"{status.get('type')}/{status.get('status')}" + (f" ({cause})" if cause else "")
        return (
            f"{kind} vin={vin} remote {remote.get('remoteType')} "
            f"id={remote.get('remoteActionId')} {text}"
        )
    if isinstance(monitor, dict):
        refresh = " (refresh)" if monitor.get("refresh") else ""
        return f"{kind} vin={vin} monitor id={monitor.get('monitorId')}{refresh}"
    return f"{kind} vin={vin} {str(message)[:120]}"


def describe_all(messages: list[tuple[Any, str]], limit: int = 30) -> str:
    """``messages`` as (message, suffix) pairs, one indented line each (the last ``limit``)."""
    if not messages:
        return "nothing arrived"
    shown = messages[-limit:]
    head = f"{len(messages)} arrived" + (
        f" (the last {limit} shown)" if len(shown) < len(messages) else ""
    )
    return head + ":\n" + "\n".join(f"  {describe(m)}{suffix}" for m, suffix in shown)
