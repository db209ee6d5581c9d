"""A callback: who owns it, what it serves, where it sends, whether it is running."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from simulator.callbacks.channels import Channels


class CallbackType(StrEnum):
    MONITOR = "Monitor"
    REMOTE = "Remote"


class CallbackStatus(StrEnum):
    RUNNING = "Running"
    PAUSED = "Paused"
    FAILED = "Failed"


@dataclass(slots=True)
class Callback:
    """``subscription`` is the canonical request (served back as is); ``channels`` its
    typed channels, read from it once (see :meth:`define`)."""

    id: str
    user_id: str
    client_id: str
    label: str
    types: frozenset[CallbackType]
    subscription: dict[str, Any]
    status: CallbackStatus
    created_at: datetime
    updated_at: datetime
    channels: Channels = field(init=False)

    def __post_init__(self) -> None:
        self.channels = Channels.from_subscription(self.subscription)

    def define(
        self, label: str, types: frozenset[CallbackType], subscription: dict[str, Any]
    ) -> None:
        """A new definition (``PUT /user/callbacks/{cbid}``)."""
        self.label = label
        self.types = types
        self.subscription = subscription
        self.channels = Channels.from_subscription(subscription)


Owner = tuple[str, str]
