"""Identity: users, OAuth clients and tokens.  No HTTP here.

Secrets and passwords are stored as scrypt hashes and compared in constant
time; tokens are opaque random strings stored only as SHA-256 digests (they
carry 256 bits of entropy, so a fast hash is the right tool for them).
All lifetimes are measured on the simulator clock: callers pass ``now``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from simulator.errors import DomainError

__all__ = [
    "ALL_SCOPES",
    "DATA_SCOPES",
    "REALMS",
    "REMOTE_SCOPES",
    "Client",
    "Grant",
    "Identity",
    "OAuthError",
    "TokenPair",
    "User",
]

DATA_SCOPES = ("data:telemetry", "data:position", "data:trip", "data:alert", "data:collision")
REMOTE_SCOPES = (
    "remote:door:write",
    "remote:preconditioning:write",
    "remote:horn:write",
    "remote:charging:write",
    "remote:lights:write",
    "remote:wakeup:write",
    "remote:navigation:write",
)
ALL_SCOPES: tuple[str, ...] = (*DATA_SCOPES, *REMOTE_SCOPES, "openid", "profile")

_BRANDS = ("Peugeot", "Citroen", "DS", "Opel", "Vauxhall")
REALMS: frozenset[str] = frozenset(
    [f"clientsB2C{b}" for b in _BRANDS] + [f"OTP{b}" for b in _BRANDS]
)

ACCESS_TOKEN_LIFETIME = 3600.0
REFRESH_TOKEN_LIFETIME = 90 * 24 * 3600.0

# scrypt cost: strong enough to be a real password hash, cheap enough for tests.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**13, 8, 1


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        _, n, r, p, salt_hex, digest_hex = stored.split("$")
        digest = hashlib.scrypt(
            secret.encode("utf-8"),
            salt=bytes.fromhex(salt_hex),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
    except (ValueError, UnicodeEncodeError):
        return False
    return hmac.compare_digest(digest, bytes.fromhex(digest_hex))


def _token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()


class OAuthError(DomainError):
    """An RFC 6749 error: ``error`` code, description and HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(slots=True)
class User:
    id: str
    email: str
    password_hash: str
    first_name: str
    last_name: str


@dataclass(slots=True)
class Client:
    client_id: str
    secret_hash: str
    name: str
    scopes: frozenset[str]
    redirect_uris: tuple[str, ...] = ()
    allow_localhost_redirects: bool = False
    auto_consent: bool = False
    default_user: str | None = None


@dataclass(slots=True)
class Grant:
    """What one access token allows."""

    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    expires_at: float
    family: str  # the refresh-token family the token belongs to


@dataclass(slots=True)
class _Refresh:
    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    expires_at: float
    family: str


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    scopes: frozenset[str]

    @property
    def scope(self) -> str:
        return " ".join(s for s in ALL_SCOPES if s in self.scopes)


@dataclass
class Identity:
    """Users, clients and live tokens of one simulator."""

    access_lifetime: float = ACCESS_TOKEN_LIFETIME
    users: dict[str, User] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    _access: dict[bytes, Grant] = field(default_factory=dict)
    _refresh: dict[bytes, _Refresh] = field(default_factory=dict)
    _families: dict[str, set[bytes]] = field(default_factory=dict)

    # ------------------------------------------------------------- declaring
    def add_user(
        self, email: str, password: str, *, first_name: str = "", last_name: str = ""
    ) -> User:
        user = User(
            id=email.lower(),
            email=email,
            password_hash=hash_secret(password),
            first_name=first_name,
            last_name=last_name,
        )
        self.users[user.id] = user
        return user

    def add_client(
        self,
        client_id: str,
        secret: str,
        *,
        name: str | None = None,
        scopes: Iterable[str] = ALL_SCOPES,
        redirect_uris: Iterable[str] = (),
        allow_localhost_redirects: bool = False,
        auto_consent: bool = False,
        default_user: str | None = None,
    ) -> Client:
        scope_set = frozenset(scopes)
        unknown = scope_set - set(ALL_SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes: {sorted(unknown)}")
        client = Client(
            client_id=client_id,
            secret_hash=hash_secret(secret),
            name=name or client_id,
            scopes=scope_set,
            redirect_uris=tuple(redirect_uris),
            allow_localhost_redirects=allow_localhost_redirects,
            auto_consent=auto_consent,
            default_user=default_user.lower() if default_user else None,
        )
        self.clients[client_id] = client
        return client

    # ------------------------------------------------------------- checking
    def authenticate_client(self, client_id: str, secret: str) -> Client:
        client = self.clients.get(client_id)
        # Hash even for unknown clients so that timing does not reveal ids.
        stored = client.secret_hash if client else _dummy_hash()
        if not verify_secret(secret, stored) or client is None:
            raise OAuthError("invalid_client", "client authentication failed", 401)
        return client

    def authenticate_user(self, username: str, password: str) -> User:
        user = self.users.get(username.lower())
        stored = user.password_hash if user else _dummy_hash()
        if not verify_secret(password, stored) or user is None:
            raise OAuthError("invalid_grant", "invalid username or password")
        return user

    @staticmethod
    def requested_scopes(client: Client, scope: str | None) -> frozenset[str]:
        if scope is None or not scope.strip():
            return client.scopes
        asked = frozenset(scope.split())
        unknown = asked - client.scopes
        if unknown:
            raise OAuthError("invalid_scope", f"scope not allowed: {' '.join(sorted(unknown))}")
        return asked

    # ------------------------------------------------------------- tokens
    def issue(
        self, client: Client, user_id: str | None, scopes: frozenset[str], now: float
    ) -> TokenPair:
        family = secrets.token_hex(8)
        return self._issue(client.client_id, user_id, scopes, now, family)

    def _issue(
        self, client_id: str, user_id: str | None, scopes: frozenset[str], now: float, family: str
    ) -> TokenPair:
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        a_key, r_key = _token_digest(access), _token_digest(refresh)
        self._access[a_key] = Grant(client_id, user_id, scopes, now + self.access_lifetime, family)
        self._refresh[r_key] = _Refresh(
            client_id, user_id, scopes, now + REFRESH_TOKEN_LIFETIME, family
        )
        self._families.setdefault(family, set()).update((a_key, r_key))
        return TokenPair(access, refresh, int(self.access_lifetime), scopes)

    def refresh(
        self, client: Client, refresh_token: str, now: float, scope: str | None = None
    ) -> TokenPair:
        key = _token_digest(refresh_token)
        record = self._refresh.pop(key, None)  # rotation: the old one dies now
        if record is None or record.client_id != client.client_id or record.expires_at <= now:
            raise OAuthError("invalid_grant", "refresh token is invalid, expired or revoked")
        self._families.get(record.family, set()).discard(key)
        scopes = record.scopes
        if scope:
            asked = frozenset(scope.split())
            if not asked <= record.scopes:
                raise OAuthError("invalid_scope", "a refresh cannot widen the granted scope")
            scopes = asked
        return self._issue(client.client_id, record.user_id, scopes, now, record.family)

    def introspect(self, access_token: str, now: float) -> Grant | None:
        grant = self._access.get(_token_digest(access_token))
        if grant is None:
            return None
        if grant.expires_at <= now:
            del self._access[_token_digest(access_token)]
            return None
        return grant

    def revoke(self, token: str) -> bool:
        """Revoke an access or refresh token; a refresh token takes its access tokens along."""
        key = _token_digest(token)
        if key in self._access:
            grant = self._access.pop(key)
            self._families.get(grant.family, set()).discard(key)
            return True
        record = self._refresh.pop(key, None)
        if record is None:
            return False
        for member in self._families.pop(record.family, set()):
            self._access.pop(member, None)
            self._refresh.pop(member, None)
        return True

    def purge(self, now: float) -> None:
        """Forget expired tokens (keeps memory flat on long runs)."""
        for key in [k for k, g in self._access.items() if g.expires_at <= now]:
            del self._access[key]
        for key in [k for k, r in self._refresh.items() if r.expires_at <= now]:
            del self._refresh[key]


@functools.cache
def _dummy_hash() -> str:
    """Compared against when the client or user is unknown, so timing reveals nothing."""
    return hash_secret("not-a-real-secret", salt=b"\x00" * 16)
