"""The attributes that apply to one event on one channel, and their ``$variables``.

A channel's attributes (a callback's, or an older-form monitor's own webhook's) are
merged with the remote's or monitor's overrides by key; a value starting with ``$``
names a variable (any case) whose value comes from the event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from simulator.callbacks.channels import Attr
from simulator.events import Notification

_FORBIDDEN = str.maketrans("", "", "\r\n\x00")


def merge(base: Iterable[Attr], overrides: Iterable[Mapping[str, str]]) -> list[Attr]:
    """The channel's attributes with a remote's or monitor's added or replaced by key."""
    merged: dict[str, Attr] = {}
    for attr in (*base, *(Attr.of(item) for item in overrides)):
        merged.pop(attr.key, None)  # a replaced key moves to the end, like an addition
        merged[attr.key] = attr
    return list(merged.values())


def channel_attributes(base: tuple[Attr, ...], note: Notification, channel: str) -> list[Attr]:
    """The attributes that apply to one channel of one event (``base``: the channel's)."""
    overrides = note.overrides.get(channel, ())
    if not base and not overrides:
        return []
    return merge(base, overrides)


def variables(note: Notification, callback_id: str | None, label: str | None) -> dict[str, str]:
    """The values of the ``$variables`` (lower-cased names) for one event."""
    found = {"vin": note.vin, "callbackid": callback_id or "", "callbacklabel": label or ""}
    found.update(note.variables)
    return found


def expand(value: str, known: Mapping[str, str]) -> str:
    """A ``$variable`` (any case) replaced by its value for this event; literals as is."""
    if not value.startswith("$"):
        return value
    return known.get(value[1:].lower(), "").translate(_FORBIDDEN)
