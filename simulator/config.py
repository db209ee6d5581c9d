"""Settings of one simulator, as the command line (or a test) gives them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

DEFAULT_USER = "demo@example.com"
DEFAULT_PASSWORD = "demo"
DEFAULT_CLIENT_ID = "demo-client"
DEFAULT_CLIENT_SECRET = "demo-secret"
ACCESS_TOKEN_LIFETIME = 3600.0
"""Simulated seconds an access token lives (its ``expires_in``) unless ``--token-ttl``."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    per_day: int
    burst: int

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        day, sep, burst = text.partition("/")
        if not sep or not day.isdigit() or not burst.isdigit() or int(day) < 1 or int(burst) < 1:
            raise ValueError("rate limit must be DAY/BURST, two positive integers")
        return cls(int(day), int(burst))


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8443
    certs: Path = Path("certs")
    scenario: Path | None = None
    vehicles: int = 3
    seed: int = 0
    speed: float = 1.0
    manual_clock: bool = False
    webhook_cas: tuple[Path, ...] = ()
    log_format: str = "text"
    rate_limit: RateLimit | None = None
    data_dir: Path | None = None
    token_lifetime: float = ACCESS_TOKEN_LIFETIME  # --token-ttl (simulated seconds)
    max_body_bytes: int = 1024 * 1024
    journal_capacity: int = 10_000
    webhook_timeout: float = 10.0
    shutdown_grace: float = 5.0
    delivery_journal_capacity: int = 10_000
    life: bool = True  # vehicles drive, park and charge on the clock
    start: datetime | None = None  # the clock's first reading (default: now)
    extra_hosts: tuple[str, ...] = field(default=())
    # Transport (wall clock, not simulated time): connections served at once (more get a
    # 503), seconds an idle keep-alive connection stays open, seconds for a TLS handshake.
    max_connections: int = 1024
    keepalive_timeout: float = 75.0
    tls_handshake_timeout: float = 10.0
    # When set, /simulator/v1 needs "Authorization: Bearer <token>" (only its digest is kept).
    control_token_digest: bytes | None = field(default=None, repr=False)
    # The live view's plain-HTTP listener (--ui-port; None: off), on a loopback address only.
    ui_port: int | None = None
    ui_host: str = "127.0.0.1"


def control_token_digest(token: str | None) -> bytes | None:
    """What is kept of ``--control-token``: its SHA-256 (None when unset or empty)."""
    if not token:
        return None
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
