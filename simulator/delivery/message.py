"""What a target receives: the ``Message`` of the notification template, with the
routing attributes of its channel applied (:func:`prepare`), and the push form.

The model here is ours, written from the template (``Message``,
``RemoteEvent``, ``MonitorEvent``); messages are built as plain dicts on the
delivery path and the model documents and validates them (tests, control API).
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from simulator.callbacks.channels import Attr
from simulator.callbacks.variables import channel_attributes, expand, variables
from simulator.events import Notification


# ------------------------------------------------------------------ the template's model
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class KeyValue(_Model):
    key: str
    value: str


RemoteTypeName = Literal[
    "ThermalPreconditioning",
    "ElectricBatteryChargingRequest",
    "Horn",
    "Doors",
    "Lights",
    "ChargingState",
    "WakeUp",
    "Navigation",
    "Immobilization",  # (sim) from the seed
    "Stolen",  # (sim) from the seed
]
PendingStatus = Literal[
    "Accepted",
    "WakingUpVehicle",
    "CheckingVehicle",
    "SentToVehicle",
    "VehicleBatteryChargeTooLow",
    "TooManyWakeUpsOverMonth",
]
DoneStatus = Literal["Success", "AlreadyDone", "Failed"]
FailureCause = Literal[
    "GeneralError",
    "VehicleError",
    "WrongCommand",
    "VehicleConnectionTimeout",
    "MissingRights",
    "NotPossibleDueToVehicleBatteryLevel",
    "NotPossibleDueToVehiclePrivacyLevel",
    "TooManyWakeUpsOverMonth",
    "TooManyRequestInShortTime",
    "SameActionInProgress",
    "NotPossibleDueToVehicleStolenState",
    "VehicleInUse",
    "TooManyRequestSent",
    "DoorsOpen",
    "VehicleErrorOrCidInside",
    "CidInside",
    "ExternalChargingSystemError",
    "VehicleChargingSystemError",
    "VehicleIsNotLocked",
    "CanceledByDriver",
]


class RemoteEventStatus(_Model):
    type: Literal["Pending", "Done"]
    status: PendingStatus | DoneStatus
    failureCause: FailureCause | None = None
    feedbackDetail: Literal["NoCIDBlacklisted", "CIDBlacklisted"] | None = None


class RemoteEvent(_Model):
    remoteActionId: str
    remoteType: RemoteTypeName
    eventStatus: RemoteEventStatus


class MonitorEvent(_Model):
    monitorId: str
    values: list[dict[str, Any]] = Field(default_factory=list)
    extensions: list[dict[str, Any]] = Field(default_factory=list)
    refresh: bool = False


class Message(_Model):
    """One event as a target receives it (template ``Message``, plus ``eventId`` and
    ``vin``, the simulator's additive fields)."""

    callbackId: str | None = None
    type: Literal["Remote", "Monitor"]
    date: datetime
    attributes: list[KeyValue] = Field(default_factory=list)
    remoteEvent: RemoteEvent | None = None
    monitorEvent: MonitorEvent | None = None
    eventId: str
    vin: str


# ------------------------------------------------------------------ building
@functools.lru_cache(maxsize=4096)
def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_message(
    note: Notification,
    callback_id: str | None,
    body_attrs: Sequence[Attr],
    known: Mapping[str, str],
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "callbackId": callback_id,
        "type": note.type,
        "date": iso(note.raised_at),
        "attributes": [{"key": a.key, "value": expand(a.value, known)} for a in body_attrs],
    }
    message["remoteEvent" if note.type == "Remote" else "monitorEvent"] = note.event
    message["eventId"] = note.event_id
    message["vin"] = note.vin
    if callback_id is None:
        del message["callbackId"]
    return message


@dataclass(frozen=True, slots=True)
class Prepared:
    """One event made ready for one channel: its message, the attributes that apply
    and the values of their variables."""

    note: Notification
    message: dict[str, Any]
    attributes: list[Attr]
    variables: Mapping[str, str]
    text: str | None = None  # the message as compact JSON, when made ahead of the send


_NO_VARIABLES: Mapping[str, str] = {}


def prepare(
    note: Notification,
    channel: str,
    base: tuple[Attr, ...],
    callback_id: str | None,
    label: str | None,
    *,
    encode: bool = False,
) -> Prepared:
    """``note`` as ``channel`` sends it: ``base`` the channel's own attributes, merged with
    the event's overrides; ``label`` the callback's (``$CallbackLabel``); ``encode``: with
    its JSON text made now."""
    merged = channel_attributes(base, note, channel)
    known = variables(note, callback_id, label) if merged else _NO_VARIABLES
    body = [a for a in merged if a.type == "Body"] if merged else []
    message = build_message(note, callback_id, body, known)
    return Prepared(note, message, merged, known, compact_json(message) if encode else None)


def compact_json(value: Any) -> str:
    """The JSON a target receives (no spaces): ``json.dumps(value, separators=(",", ":"))``
    with its encoder made once."""
    return _compact(value)


_compact = json.JSONEncoder(separators=(",", ":")).encode


# ------------------------------------------------------------------ push (FCM basic template)
PUSH_KEYWORDS = frozenset(
    {
        "title",
        "body",
        "image",
        "deliveryPriority",
        "mutable",
        "contentAvailable",
        "disableNotificationPayload",
    }
)


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"true", "1", "yes"}


def push_message(
    message: dict[str, Any],
    note: Notification,
    callback_label: str,
    header_attrs: Sequence[Attr],
    known: Mapping[str, str],
    device: str,
) -> dict[str, Any]:
    """The FCM-shaped push of one message to one device."""
    data: dict[str, str] = {}
    keywords: dict[str, str] = {}
    for attr in header_attrs:
        value = expand(attr.value, known)
        (keywords if attr.key in PUSH_KEYWORDS else data)[attr.key] = value
    data["mph_message"] = base64.b64encode(compact_json(message).encode()).decode("ascii")
    push: dict[str, Any] = {"name": callback_label, "data": data, "token": device}
    if not _truthy(keywords.get("disableNotificationPayload", "false")):
        notification = {
            "title": keywords.get("title", note.label or callback_label),
            "body": keywords.get("body", _summary(note)),
        }
        if "image" in keywords:
            notification["image"] = keywords["image"]
        push["notification"] = notification
    if "deliveryPriority" in keywords:
        push["android"] = {"priority": keywords["deliveryPriority"].lower()}
    aps: dict[str, int] = {}
    if _truthy(keywords.get("mutable", "false")):
        aps["mutable-content"] = 1
    if _truthy(keywords.get("contentAvailable", "false")):
        aps["content-available"] = 1
    if aps:
        push["apns"] = {"payload": {"aps": aps}}
    return push


def _summary(note: Notification) -> str:
    if note.type == "Remote":
        status = note.event.get("eventStatus", {})
        text = f"{note.event.get('remoteType', 'Remote')} {status.get('type', '')}".strip()
        detail = status.get("failureCause") or status.get("status")
        return f"{text}: {detail}" if detail else text
    return f"Monitor {note.event.get('monitorId', '')} triggered for {note.vin}"
