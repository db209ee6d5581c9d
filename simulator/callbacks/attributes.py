"""Routing attributes (``{type, key, value}``) of callbacks, remotes and monitors.

One set of rules for every place an attribute is accepted: no CR, LF or NUL
in a key or value (they could inject headers), header keys are HTTP tokens and
never a header the HTTP layer owns (:func:`owned_header`), push keys avoid
FCM's reserved ones, and a value starting with ``$`` names a known variable.
Which variables are known depends on where the attribute comes from:
subclasses narrow ``VARIABLES``.  Pydantic only: the domain and the API both
use these models.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
"""An HTTP token (RFC 7230 ``tchar``)."""
FORBIDDEN_CHARS = frozenset("\r\n\x00")
RESERVED_PUSH_KEYS = frozenset({"from", "message_type"})
RESERVED_PUSH_PREFIXES = ("google", "gcm")


def _lowered(*names: str) -> frozenset[str]:
    return frozenset(name.lower() for name in names)


OWNED_HEADERS = _lowered(
    # how the body's bytes are framed (RFC 9112 section 6, 7.1.2; RFC 9110 section 8.6, 6.6.2)
    "Content-Length",
    "Transfer-Encoding",
    "Trailer",
    # what the body is (RFC 9110 section 8.3, 8.4): the engine sends identity-coded JSON
    "Content-Type",
    "Content-Encoding",
    # where the request goes (RFC 9110 section 7.2): the target URL's authority
    "Host",
    # the connection, hop by hop (RFC 9110 section 7.6.1, 7.8, 10.1.1, 10.1.4)
    "Connection",
    "Keep-Alive",
    "Proxy-Connection",
    "TE",
    "Upgrade",
    "Expect",
)
"""Header names (lower case) the HTTP layer sets: a header attribute may not name them."""
OWNED_HEADER_PREFIXES = ("proxy-", ":")
"""``Proxy-*`` (for a proxy, not the target: RFC 9110 section 11.7) and HTTP/2
pseudo-headers (RFC 9113 section 8.3; not tokens either)."""


def owned_header(key: str) -> bool:
    """True when header ``key`` (any case) belongs to the HTTP layer, not to a header
    attribute: what frames the body, what the body is, the host, the connection.

    The one rule: the API refuses such attributes and the delivery engine drops them
    (a callback kept from before the rule, e.g. in a ``--data-dir`` store)."""
    lowered = key.lower()
    return lowered in OWNED_HEADERS or lowered.startswith(OWNED_HEADER_PREFIXES)


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
            known = ", ".join(f"${name}" for name in sorted(cls.VARIABLES))
            raise ValueError(f"unknown variable {value} (known: {known})")
        return value


class Attribute(AttributeBase):
    """A webhook attribute: an HTTP header, a query parameter or a member of the body."""

    type: Literal["Header", "Query", "Body"]

    @field_validator("key")
    @classmethod
    def _header_token(cls, key: str, info: ValidationInfo) -> str:
        if info.data.get("type") == "Header":
            if owned_header(key):
                raise ValueError(f"must not be {key}: the HTTP layer sets that header")
            if not TOKEN.match(key):
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


WEBHOOK_ATTRIBUTE_PATHS: tuple[tuple[str, ...], ...] = (
    ("callback", "webhook", "attributes"),  # a callback's subscription
    ("attributes",),  # a remote's or a monitor's own
    ("callbackAttributes", "webhook"),  # a remote's overrides
    ("subscribeParam", "callbackAttributes", "webhook"),  # a monitor's overrides
    ("subscribeParam", "callback", "attributes"),  # an older-form monitor's own webhook
)
"""Where a stored callback, remote or monitor request keeps webhook attributes."""


def scrub_owned_headers(document: dict[str, Any]) -> list[str]:
    """Remove in place, from a request stored before :func:`owned_header` was enforced
    (a ``--data-dir`` store), the ``Header`` attributes it refuses now; the keys removed.

    Push attributes are left alone: their ``Header`` type means the FCM data map."""
    removed: list[str] = []
    for path in WEBHOOK_ATTRIBUTE_PATHS:
        node: Any = document
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, list):
            continue
        kept = []
        for attribute in node:
            key = str(attribute.get("key", "")) if isinstance(attribute, dict) else ""
            if key and attribute.get("type") == "Header" and owned_header(key):
                removed.append(key)
            else:
                kept.append(attribute)
        node[:] = kept
    return removed


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
