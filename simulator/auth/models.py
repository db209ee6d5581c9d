"""Identity: users, OAuth clients, tokens, authorization codes and id_tokens.  No HTTP here.

Secrets and passwords are stored as scrypt hashes and compared in constant
time; tokens are opaque random strings stored only as SHA-256 digests (they
carry 256 bits of entropy, so a fast hash is the right tool for them).
Authorization codes and consent-page tokens are stored the same way.
id_tokens are JWTs signed with an ES256 key made for each simulator.
All lifetimes are measured on the simulator clock: callers pass ``now``.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from simulator.config import ACCESS_TOKEN_LIFETIME
from simulator.errors import DomainError

__all__ = [
    "ALL_SCOPES",
    "API_SCOPES",
    "AUTH_CODE_LIFETIME",
    "DATA_SCOPES",
    "ID_TOKEN_ALGORITHM",
    "MAX_LOGIN_ATTEMPTS",
    "OPENID_SCOPES",
    "PKCE_METHODS",
    "PKCE_VALUE_SCHEMA",
    "REALMS",
    "REMOTE_SCOPES",
    "AuthorizationRequest",
    "Client",
    "Grant",
    "Identity",
    "OAuthError",
    "TokenPair",
    "User",
    "check_pkce_value",
    "check_redirect_uri",
    "pkce_challenge",
    "redirect_uri_allowed",
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
API_SCOPES: tuple[str, ...] = (*DATA_SCOPES, *REMOTE_SCOPES)
#: OpenID Connect's own scopes: what the id_token and userinfo say about the user.
OPENID_SCOPES: tuple[str, ...] = ("openid", "profile", "email")
ALL_SCOPES: tuple[str, ...] = (*API_SCOPES, *OPENID_SCOPES)
_API_SCOPE_SET = frozenset(API_SCOPES)
_OPENID_SCOPE_SET = frozenset(OPENID_SCOPES)
_ALL_SCOPE_SET = frozenset(ALL_SCOPES)
#: RFC 7636 code challenge methods.
PKCE_METHODS = ("S256", "plain")
_PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
PKCE_VALUE_SCHEMA = {
    "type": "string",
    "pattern": f"^{_PKCE_VALUE.pattern}$",
    "not": {"pattern": "\n"},  # "$" also matches before a final newline: no newline
}
"""How :func:`check_pkce_value`'s rule is documented."""

_BRANDS = ("Peugeot", "Citroen", "DS", "Opel", "Vauxhall")
REALMS: frozenset[str] = frozenset(
    [f"clientsB2C{b}" for b in _BRANDS] + [f"OTP{b}" for b in _BRANDS]
)

REFRESH_TOKEN_LIFETIME = 90 * 24 * 3600.0
AUTH_CODE_LIFETIME = 60.0
# A consent page's request token lives as long as a code would.
CONSENT_LIFETIME = AUTH_CODE_LIFETIME
# Failed sign-ins on one consent page (and its re-shows) before the request is refused.
MAX_LOGIN_ATTEMPTS = 5
# Pending consent pages and codes kept at most (the oldest go first): bounds memory.
MAX_PENDING = 10_000
ID_TOKEN_ALGORITHM = "ES256"
# Expired tokens, codes and consent pages are forgotten when a token is issued at least
# this long (simulator seconds) after the last purge: memory stays flat on long runs.
PURGE_EVERY = 3600.0

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
    try:
        raw = token.encode()  # the fast path: every token we issue is ASCII
    except UnicodeEncodeError:  # junk from a client (lone surrogates): still hashable
        raw = token.encode("utf-8", "surrogateescape")
    return hashlib.sha256(raw).digest()


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
    auth_time: float | None


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    scopes: frozenset[str]
    client_id: str = ""
    user_id: str | None = None
    auth_time: float | None = None  # when the user authenticated (None: no user sign-in)

    @property
    def scope(self) -> str:
        return " ".join(s for s in ALL_SCOPES if s in self.scopes)


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A checked ``/authorize`` request, kept server-side while its consent page is shown.

    The page's form carries only an opaque single-use token naming this record:
    whatever else the form says, the answer goes where this record says.
    """

    client_id: str
    redirect_uri: str
    scopes: frozenset[str]  # requested, already checked against the client's scopes
    scope: str = ""  # the scope parameter as the client sent it
    state: str | None = None
    locale: str | None = None
    login_hint: str | None = None
    code_challenge: str | None = None  # RFC 7636, already checked
    code_challenge_method: str = "plain"
    attempts: int = 0  # failed sign-ins so far
    expires_at: float = 0.0


@dataclass(slots=True)
class _Code:
    client_id: str
    redirect_uri: str
    user_id: str
    scopes: frozenset[str]
    auth_time: float
    expires_at: float
    challenge: str | None = None  # RFC 7636: the code_challenge of the authorization request
    challenge_method: str = "plain"
    family: str | None = None  # the token family it gave, once redeemed


def _granted(
    allowed: frozenset[str], scope: str | None, openid_allowed: frozenset[str], refusal: str
) -> frozenset[str]:
    """The scopes a token gets for the ``scope`` parameter, within ``allowed``.

    A parameter that names no API scope keeps every API scope of ``allowed``
    (``scope=openid profile`` reads all the contract allows); one that names
    some narrows the API scopes to those.  The OpenID scopes asked are granted
    when ``openid_allowed`` has them.  Unknown or disallowed scopes: invalid_scope.
    """
    if scope is None or not scope.strip():
        return allowed
    asked = frozenset(scope.split())
    unknown = asked - _ALL_SCOPE_SET
    if unknown:
        raise OAuthError("invalid_scope", f"unknown scope: {' '.join(sorted(unknown))}")
    api_asked = asked & _API_SCOPE_SET
    refused = (api_asked - allowed) | (asked - _API_SCOPE_SET - openid_allowed)
    if refused:
        raise OAuthError("invalid_scope", f"{refusal}: {' '.join(sorted(refused))}")
    return (api_asked or (allowed & _API_SCOPE_SET)) | (asked - _API_SCOPE_SET)


def user_claims(user: User, scopes: frozenset[str]) -> dict[str, Any]:
    """The OpenID claims about ``user`` that ``scopes`` allow (Core §5.4): sub always."""
    claims: dict[str, Any] = {"sub": user.id}
    if "email" in scopes:
        claims["email"] = user.email
        claims["email_verified"] = True
    if "profile" in scopes:
        full = " ".join(part for part in (user.first_name, user.last_name) if part)
        for name, value in (
            ("name", full),
            ("given_name", user.first_name),
            ("family_name", user.last_name),
        ):
            if value:
                claims[name] = value
    return claims


def pkce_challenge(verifier: str, method: str) -> str:
    """The code_challenge a ``code_verifier`` answers (RFC 7636 §4.2)."""
    if method == "plain":
        return verifier
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def check_pkce_value(name: str, value: str) -> str:
    """A code_challenge or code_verifier: 43 to 128 unreserved characters (RFC 7636 §4.1)."""
    if not _PKCE_VALUE.fullmatch(value):
        raise OAuthError(
            "invalid_request", f"{name} must be 43 to 128 characters of A-Z a-z 0-9 -._~"
        )
    return value


def _check_verifier(record: _Code, verifier: str | None) -> None:
    if record.challenge is None:
        if verifier is not None:
            raise OAuthError(
                "invalid_grant",
                "code_verifier given, but the authorization request had no code_challenge",
            )
        return
    if verifier is None:
        raise OAuthError(
            "invalid_grant", "code_verifier is required: the code was asked with a code_challenge"
        )
    check_pkce_value("code_verifier", verifier)
    expected = pkce_challenge(verifier, record.challenge_method)
    if not hmac.compare_digest(expected.encode("ascii"), record.challenge.encode("ascii")):
        raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")


def _new_signing_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _prune(records: dict[bytes, Any], now: float) -> None:
    """Drop the expired oldest records, and the oldest of all beyond :data:`MAX_PENDING`."""
    while records:
        oldest = next(iter(records))
        if records[oldest].expires_at > now and len(records) < MAX_PENDING:
            break
        del records[oldest]


@dataclass
class Identity:
    """Users, clients and live tokens of one simulator."""

    access_lifetime: float = ACCESS_TOKEN_LIFETIME
    users: dict[str, User] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    # The ES256 key that signs id_tokens: one per simulator, never written anywhere.
    signing_key: ec.EllipticCurvePrivateKey = field(default_factory=_new_signing_key, repr=False)
    _access: dict[bytes, Grant] = field(default_factory=dict)
    _refresh: dict[bytes, _Refresh] = field(default_factory=dict)
    _families: dict[str, set[bytes]] = field(default_factory=dict)
    _codes: dict[bytes, _Code] = field(default_factory=dict)
    _consents: dict[bytes, AuthorizationRequest] = field(default_factory=dict)
    _purged_at: float = float("-inf")  # simulator time of the last purge

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
            redirect_uris=tuple(check_redirect_uri(uri) for uri in redirect_uris),
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
        """What a new grant gets for the ``scope`` parameter (every grant type).

        As the real identity server: the client's contracted API scopes, narrowed
        only when the request names some; OpenID scopes (``openid``, ``profile``,
        ``email``) as asked, any client may ask them.  No ``scope`` at all: every
        scope the client has.
        """
        return _granted(client.scopes, scope, _OPENID_SCOPE_SET, "scope not allowed")

    # ------------------------------------------------------------- tokens
    def issue(
        self,
        client: Client,
        user_id: str | None,
        scopes: frozenset[str],
        now: float,
        *,
        auth_time: float | None = None,
    ) -> TokenPair:
        family = secrets.token_hex(8)
        return self._issue(client.client_id, user_id, scopes, now, family, auth_time)

    def _issue(
        self,
        client_id: str,
        user_id: str | None,
        scopes: frozenset[str],
        now: float,
        family: str,
        auth_time: float | None,
    ) -> TokenPair:
        if now - self._purged_at >= PURGE_EVERY:
            self.purge(now)  # expired tokens go, once a simulated hour at most
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        a_key, r_key = _token_digest(access), _token_digest(refresh)
        self._access[a_key] = Grant(client_id, user_id, scopes, now + self.access_lifetime, family)
        self._refresh[r_key] = _Refresh(
            client_id, user_id, scopes, now + REFRESH_TOKEN_LIFETIME, family, auth_time
        )
        self._families.setdefault(family, set()).update((a_key, r_key))
        return TokenPair(
            access,
            refresh,
            int(self.access_lifetime),
            scopes,
            client_id=client_id,
            user_id=user_id,
            auth_time=auth_time,
        )

    def refresh(
        self, client: Client, refresh_token: str, now: float, scope: str | None = None
    ) -> TokenPair:
        key = _token_digest(refresh_token)
        record = self._refresh.get(key)
        if record is None or record.client_id != client.client_id or record.expires_at <= now:
            raise OAuthError("invalid_grant", "refresh token is invalid, expired or revoked")
        del self._refresh[key]  # rotation: the old one dies now
        self._families.get(record.family, set()).discard(key)
        scopes = _granted(
            record.scopes,
            scope,
            record.scopes & _OPENID_SCOPE_SET,
            "a refresh cannot widen the granted scope",
        )
        return self._issue(
            client.client_id, record.user_id, scopes, now, record.family, record.auth_time
        )

    def introspect(self, access_token: str, now: float) -> Grant | None:
        grant = self._access.get(_token_digest(access_token))
        if grant is None:
            return None
        if grant.expires_at <= now:
            del self._access[_token_digest(access_token)]
            return None
        return grant

    def revoke(self, token: str, client_id: str | None = None) -> bool:
        """Revoke an access or refresh token; a refresh token takes its whole family along.

        With ``client_id``, a token of another client is left alone (and False returned).
        """
        key = _token_digest(token)
        grant = self._access.get(key)
        if grant is not None:
            if client_id is not None and grant.client_id != client_id:
                return False
            del self._access[key]
            self._families.get(grant.family, set()).discard(key)
            return True
        record = self._refresh.get(key)
        if record is None or (client_id is not None and record.client_id != client_id):
            return False
        del self._refresh[key]
        self.revoke_family(record.family)
        return True

    def revoke_family(self, family: str) -> None:
        """Revoke every access and refresh token descended from one grant."""
        for member in self._families.pop(family, set()):
            self._access.pop(member, None)
            self._refresh.pop(member, None)

    # ------------------------------------------------------------- authorization code flow
    def park_authorization(self, request: AuthorizationRequest, now: float) -> str:
        """Keep a checked request for its consent page; answer the page's single-use token."""
        _prune(self._consents, now)
        token = secrets.token_urlsafe(32)
        self._consents[_token_digest(token)] = dataclasses.replace(
            request, expires_at=now + CONSENT_LIFETIME
        )
        return token

    def take_authorization(self, token: str, now: float) -> AuthorizationRequest | None:
        """The request a consent page's token names, once: None if unknown, used or expired."""
        record = self._consents.pop(_token_digest(token), None)
        if record is None or record.expires_at <= now:
            return None
        return record

    def create_code(
        self,
        client_id: str,
        redirect_uri: str,
        user_id: str,
        scopes: frozenset[str],
        now: float,
        *,
        challenge: str | None = None,
        challenge_method: str = "plain",
    ) -> str:
        """A single-use authorization code, valid :data:`AUTH_CODE_LIFETIME` seconds."""
        _prune(self._codes, now)
        code = secrets.token_urlsafe(32)
        self._codes[_token_digest(code)] = _Code(
            client_id,
            redirect_uri,
            user_id,
            scopes,
            now,
            now + AUTH_CODE_LIFETIME,
            challenge,
            challenge_method,
        )
        return code

    def redeem_code(
        self,
        client: Client,
        code: str,
        redirect_uri: str,
        now: float,
        code_verifier: str | None = None,
    ) -> TokenPair:
        """Tokens for an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6).

        A second use of a code fails and revokes every token the first use gave
        (§4.1.2); the spent code is remembered as long as those tokens could live.
        A code asked with a ``code_challenge`` needs the matching ``code_verifier``;
        a verifier for a code asked without one is refused too (no downgrade).
        """
        key = _token_digest(code)
        record = self._codes.get(key)
        if record is None or record.client_id != client.client_id:
            raise OAuthError("invalid_grant", "authorization code is invalid, expired or used")
        if record.family is not None:
            self.revoke_family(record.family)
            raise OAuthError(
                "invalid_grant", "authorization code was already used; its tokens are revoked"
            )
        if record.expires_at <= now:
            del self._codes[key]
            raise OAuthError("invalid_grant", "authorization code is invalid, expired or used")
        if not hmac.compare_digest(record.redirect_uri.encode(), redirect_uri.encode()):
            raise OAuthError(
                "invalid_grant", "redirect_uri differs from the one of the authorization request"
            )
        _check_verifier(record, code_verifier)
        record.family = secrets.token_hex(8)
        record.expires_at = now + REFRESH_TOKEN_LIFETIME
        self._codes[key] = self._codes.pop(key)  # now the youngest: pruned last
        return self._issue(
            client.client_id, record.user_id, record.scopes, now, record.family, record.auth_time
        )

    # ------------------------------------------------------------- id tokens
    @functools.cached_property
    def key_id(self) -> str:
        """The signing key's RFC 7638 thumbprint."""
        public = self._public_jwk()
        canonical = json.dumps(public, sort_keys=True, separators=(",", ":"))
        return _b64url(hashlib.sha256(canonical.encode("ascii")).digest())

    def _public_jwk(self) -> dict[str, str]:
        numbers = self.signing_key.public_key().public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public half of the signing key, as a JSON Web Key Set."""
        return {
            "keys": [
                {**self._public_jwk(), "kid": self.key_id, "use": "sig", "alg": ID_TOKEN_ALGORITHM}
            ]
        }

    def id_token(self, pair: TokenPair, issuer: str, now: float) -> str | None:
        """An OpenID Connect id_token for the user of ``pair`` (None when there is no user)."""
        user = self.users.get(pair.user_id) if pair.user_id else None
        if user is None:
            return None
        issued = int(now)
        claims: dict[str, Any] = {
            "iss": issuer,
            "sub": user.id,
            "aud": pair.client_id,
            "iat": issued,
            "exp": issued + pair.expires_in,
            "auth_time": int(pair.auth_time if pair.auth_time is not None else now),
            **user_claims(user, pair.scopes),
        }
        return jwt.encode(
            claims, self.signing_key, algorithm=ID_TOKEN_ALGORITHM, headers={"kid": self.key_id}
        )

    def userinfo(self, access_token: str, now: float) -> dict[str, Any]:
        """OpenID Connect UserInfo (Core §5.3) for a live access token granted ``openid``."""
        grant = self.introspect(access_token, now)
        if grant is None:
            raise OAuthError(
                "invalid_token", "the access token is invalid, expired or revoked", 401
            )
        user = self.users.get(grant.user_id) if grant.user_id else None
        if "openid" not in grant.scopes or user is None:
            raise OAuthError(
                "insufficient_scope", "userinfo needs a user's token granted openid", 403
            )
        return user_claims(user, grant.scopes)

    def purge(self, now: float) -> None:
        """Forget expired tokens, codes and consent pages (keeps memory flat on long runs)."""
        self._purged_at = now
        for key in [k for k, g in self._access.items() if g.expires_at <= now]:
            grant = self._access.pop(key)
            self._families.get(grant.family, set()).discard(key)
        for key in [k for k, r in self._refresh.items() if r.expires_at <= now]:
            record = self._refresh.pop(key)
            self._families.get(record.family, set()).discard(key)
        for family in [f for f, members in self._families.items() if not members]:
            del self._families[family]
        for key in [k for k, c in self._codes.items() if c.expires_at <= now]:
            del self._codes[key]
        for key in [k for k, a in self._consents.items() if a.expires_at <= now]:
            del self._consents[key]


_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
#: Schemes that never receive a code: they run, read or embed something instead of
#: handing the URI to an app (RFC 8252 §8.1 and the browsers' own lists).
FORBIDDEN_REDIRECT_SCHEMES = frozenset(
    ["javascript", "data", "file", "vbscript", "about", "blob", "filesystem", "view-source"]
)


def check_redirect_uri(value: str) -> str:
    """A redirect URI a client may register (RFC 6749 §3.1.2, RFC 8252 §7).

    An absolute http(s) URI with a host, or a private-use scheme URI of a native
    app (``mymap://oauth2redirect/gb``, ``com.example.app:/cb``).  No fragment, no
    wildcard, no space or control character, and none of the schemes that run or
    read something (``javascript:``, ``data:``, ``file:``...).  Matched exactly.
    """
    if any(not 0x20 < ord(char) < 0x7F or char == "\\" for char in value):
        raise ValueError("must be printable ASCII without spaces or backslashes")
    if "#" in value:
        raise ValueError("must not contain a fragment")
    if "*" in value:
        raise ValueError("must not contain a wildcard: redirect URIs match exactly")
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise ValueError(f"not a valid URI: {exc}") from None
    scheme = parts.scheme.lower()
    if not scheme or not _SCHEME.fullmatch(scheme) or not value[len(scheme) + 1 :]:
        raise ValueError("must be an absolute URI (https://host/path or app-scheme:/path)")
    if scheme in ("http", "https"):
        if not parts.hostname:
            raise ValueError("an http or https redirect URI needs a host")
    elif scheme in FORBIDDEN_REDIRECT_SCHEMES or scheme in ("ws", "wss", "ftp", "mailto"):
        raise ValueError(f"the {scheme}: scheme cannot receive authorization codes")
    return value


_LOCAL_NETLOC = re.compile(r"(?:localhost|127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?", re.IGNORECASE)
MAX_REDIRECT_URI_LENGTH = 2048


def redirect_uri_allowed(client: Client, uri: str) -> bool:
    """Whether ``uri`` may receive this client's codes (RFC 6749 §3.1.2).

    Registered URIs match exactly.  A client allowed localhost redirects also
    takes any http(s) URI whose authority is exactly ``localhost``,
    ``127.0.0.1`` or ``[::1]`` with an optional port: no user info (so no
    ``http://localhost@evil.example``), no look-alike host, no fragment, and
    only printable ASCII, so that no parser can read another host into it.
    """
    if not uri or len(uri) > MAX_REDIRECT_URI_LENGTH:
        return False
    if any(not 0x20 < ord(char) < 0x7F or char in "\\#" for char in uri):
        return False
    if uri in client.redirect_uris:
        scheme = uri.partition(":")[0].lower()
        return scheme not in FORBIDDEN_REDIRECT_SCHEMES
    if not client.allow_localhost_redirects:
        return False
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not uri.lower().startswith(parts.scheme + "://"):
        return False
    match = _LOCAL_NETLOC.fullmatch(parts.netloc)
    if match is None:
        return False
    port = match.group(1)
    return port is None or 0 < int(port) < 65536


@functools.cache
def _dummy_hash() -> str:
    """Compared against when the client or user is unknown, so timing reveals nothing."""
    return hash_secret("not-a-real-secret", salt=b"\x00" * 16)
