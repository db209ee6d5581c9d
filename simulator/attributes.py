"""Routing attributes (``{type, key, value}``) of callbacks, remotes and monitors.

One set of rules for every place an attribute is accepted: no CR, LF or NUL
in a key or value (they could inject headers), header keys are HTTP tokens,
push keys avoid FCM's reserved ones, and a value starting with ``$`` names a
known variable.  Which variables are known depends on where the attribute
comes from: subclasses narrow ``VARIABLES``.  Pydantic only: the domain and
the API both use these models.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
"""An HTTP token (RFC 7230 ``tchar``)."""
FORBIDDEN_CHARS = frozenset("\r\n\x00")
RESERVED_PUSH_KEYS = frozenset({"from", "message_type"})
RESERVED_PUSH_PREFIXES = ("google", "gcm")


def _lowered(*names: str) -> frozenset[str]:
    return frozenset(name.lower() for name in names)


CALLBACK_VARIABLES = _lowered("vin", "CallbackID", "CallbackLabel")
REMOTE_VARIABLES = CALLBACK_VARIABLES | _lowered("RemoteType", "RemoteStatus", "RemoteLabel")
MONITOR_VARIABLES = CALLBACK_VARIABLES | _lowered("MonitorID", "MonitorLabel")
ALL_VARIABLES = REMOTE_VARIABLES | MONITOR_VARIABLES
"""A callback serves remotes and monitors: its attributes may name any of them."""


def check_chars(text: str) -> str:
    if FORBIDDEN_CHARS.intersection(text):
        raise ValueError("must not contain CR, LF or NUL")
    return text


class AttributeBase(BaseModel):
    """Strict JSON types; members the spec does not list are dropped."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, defer_build=True)
    VARIABLES: ClassVar[frozenset[str]] = ALL_VARIABLES

    type: str
    key: str = Field(min_length=1)
    value: str

    @field_validator("key")
    @classmethod
    def _key_chars(cls, key: str) -> str:
        return check_chars(key)

    @field_validator("value")
    @classmethod
    def _value(cls, value: str) -> str:
        check_chars(value)
        if value.startswith("$") and value[1:].lower() not in cls.VARIABLES:
            raise ValueError(f"unknown variable {value}")
        return value


class Attribute(AttributeBase):
    """A webhook attribute: an HTTP header, a query parameter or a member of the body."""

    type: Literal["Header", "Query", "Body"]

    @field_validator("key")
    @classmethod
    def _header_token(cls, key: str, info: ValidationInfo) -> str:
        if info.data.get("type") == "Header" and not TOKEN.match(key):
            raise ValueError("a header key must be an HTTP token")
        return key


class WSAttribute(AttributeBase):
    """A websocket attribute: body only (the seed's ``Header`` is read as ``Body``)."""

    type: Literal["Body", "Header"] = "Body"

    @field_validator("type")
    @classmethod
    def _type(cls, kind: str) -> str:
        return "Body"


class PushNotifAttribute(AttributeBase):
    """A push attribute: ``Header`` goes to the FCM data map, ``Body`` to the message."""

    type: Literal["Header", "Body"] = "Header"

    @field_validator("key")
    @classmethod
    def _not_reserved(cls, key: str) -> str:
        lowered = key.lower()
        if lowered in RESERVED_PUSH_KEYS or lowered.startswith(RESERVED_PUSH_PREFIXES):
            raise ValueError(f"{key} is a reserved push notification key")
        return key


def absolute_url(target: str, schemes: tuple[str, ...], what: str) -> str:
    """``target`` if it is an absolute URL with one of ``schemes``, else ValueError."""
    check_chars(target)
    if any(char.isspace() for char in target):
        raise ValueError(f"must be {what}")
    try:
        parts = urlsplit(target)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError(f"must be {what}") from None
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise ValueError(f"must be {what}")
    return target


CHANNEL_TYPES = {
    "webhook": ("Header", "Query", "Body"),
    "websocket": ("Body",),
    "pushnotif": ("Header", "Body"),
}
"""The attribute types each channel carries."""


def channel_overrides(
    attributes: Iterable[Mapping[str, str]],
    callback_attributes: Mapping[str, Iterable[Mapping[str, str]]],
) -> dict[str, list[dict[str, str]]]:
    """Per channel, a remote's or monitor's own ``attributes`` that fit it, then its
    ``callbackAttributes`` for that channel (they add to or replace the callback's)."""
    found: dict[str, list[dict[str, str]]] = {}
    for channel, types in CHANNEL_TYPES.items():
        merged = [dict(a) for a in attributes if a.get("type", "Body") in types]
        merged.extend(dict(a) for a in callback_attributes.get(channel, ()))
        if merged:
            found[channel] = merged
    return found
