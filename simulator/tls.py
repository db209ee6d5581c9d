"""Certificates (made with trustme), the SSL contexts built from them, and the TLS listener.

:class:`CertStore` knows the certificate folder, creates what is missing, and
configures server, client and webhook SSL contexts.  Private keys are written
with mode 0600, atomically.

:class:`TlsConnections` makes the protocol of every connection the API listener
accepts: asyncio's TLS protocol with two changes (a refused handshake sends its
alert; no 256 KiB receive buffer per connection) and the connection limit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import ssl
import sys
import time
from asyncio import sslproto
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import trustme
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    PrivateKeyTypes,
    PublicKeyTypes,
)
from cryptography.hazmat.primitives.serialization import pkcs12

__all__ = [
    "DEFAULT_HOSTS",
    "P12_PASSWORD",
    "CertStore",
    "CertificateError",
    "TlsConnections",
    "check_ca_file",
]

log = logging.getLogger("simulator.tls")

DEFAULT_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
CLIENT_IDENTITY = "client.connectedcar-simulator.local"
P12_PASSWORD = "ccsim"
"""The password of ``client.p12`` (documented: it only guards the browser import)."""
_P12_KEY_TYPES = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
    dsa.DSAPrivateKey,
)


class CertificateError(Exception):
    """A certificate folder or file that cannot be used as it is: the message names the
    file and what to do."""


def _spki(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def check_ca_file(path: Path) -> None:
    """``path`` is readable PEM holding at least one CA certificate (``--webhook-ca``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CertificateError(f"cannot read it ({exc.strerror or exc})") from None
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise CertificateError("not a PEM certificate (-----BEGIN CERTIFICATE-----)") from None
    for cert in certs:
        try:
            constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        except x509.ExtensionNotFound:
            continue
        if constraints.ca:
            return
    raise CertificateError(
        "a certificate but not a CA's (no basicConstraints CA:TRUE): "
        "give the certificate of the CA that signed your webhook receiver's certificate"
    )


def _write(path: Path, data: bytes, *, private: bool) -> None:
    tmp = path.with_name(path.name + ".tmp")
    mode = 0o600 if private else 0o644
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(tmp, mode)  # umask may have narrowed or the file pre-existed
    os.replace(tmp, path)


@dataclass(frozen=True, slots=True)
class CertStore:
    """The files of one certificate folder (see ``certs/README.md``)."""

    directory: Path

    @property
    def ca(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"

    @property
    def client_cert(self) -> Path:
        return self.directory / "client.pem"

    @property
    def client_key(self) -> Path:
        return self.directory / "client.key"

    @property
    def webhook_cert(self) -> Path:
        return self.directory / "webhook.pem"

    @property
    def webhook_key(self) -> Path:
        return self.directory / "webhook.key"

    @property
    def client_p12(self) -> Path:
        """``client.pem`` + ``client.key`` + ``ca.pem`` as PKCS#12, for a browser's import."""
        return self.directory / "client.p12"

    def files(self) -> tuple[Path, ...]:
        """The certificates and keys (``client.p12`` is derived from them: not listed)."""
        return (
            self.ca,
            self.ca_key,
            self.server_cert,
            self.server_key,
            self.client_cert,
            self.client_key,
            self.webhook_cert,
            self.webhook_key,
        )

    def complete(self) -> bool:
        return all(p.is_file() for p in self.files())

    # ---------------------------------------------------------------- creation
    def ensure(
        self, hosts: Sequence[str] = DEFAULT_HOSTS, *, force: bool = False, fill: bool = True
    ) -> tuple[Path, ...]:
        """Create the certificates when the folder has none of them (all anew with ``force``).

        An existing CA is never replaced without ``force``: ``ca.pem`` without
        ``ca.key`` (or the reverse), a certificate the CA did not sign or a key that
        does not match its certificate raise :class:`CertificateError`.  With a
        complete CA, missing leaf pairs are issued from it (``fill``) or refused.
        Returns the files written (``client.p12`` included when it was missing).
        """
        if force or not any(p.exists() for p in self.files()):
            return self._create(hosts)
        ca_cert, ca_key = self.ca.exists(), self.ca_key.exists()
        if ca_cert != ca_key:
            there, absent = (self.ca, self.ca_key) if ca_cert else (self.ca_key, self.ca)
            raise self._problem(f"{there} exists without {absent}")
        missing = [p for p in self.files() if not p.exists()]
        if not ca_cert:
            raise self._problem(f"{self.directory}/ holds certificates but no CA (ca.pem, ca.key)")
        if missing and not fill:
            names = ", ".join(p.name for p in missing)
            raise CertificateError(
                f"{self.directory}/ holds some certificate files but not {names}: "
                f"run `connectedcar-sim certs --dir {self.directory}` to issue them from its CA, "
                f"or `certs --force` to regenerate all"
            )
        written: list[Path] = []
        if missing:
            ca = self._read_ca()
            hosts = list(dict.fromkeys(hosts or DEFAULT_HOSTS))
            for cert, key, identities, cn in self._leaves(hosts):
                if cert in missing or key in missing:
                    self._issue(ca, identities, cert, key, cn)
                    written += [cert, key]
            if self.client_cert in written:
                self.client_p12.unlink(missing_ok=True)
        self.verify()
        if not self.client_p12.is_file():
            self._write_p12()
            written.append(self.client_p12)
        return tuple(written)

    def _create(self, hosts: Sequence[str]) -> tuple[Path, ...]:
        self.directory.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA(organization_name="connectedcar-simulator local CA")
        _write(self.ca, ca.cert_pem.bytes(), private=False)
        _write(self.ca_key, ca.private_key_pem.bytes(), private=True)
        for cert, key, identities, cn in self._leaves(list(dict.fromkeys(hosts or DEFAULT_HOSTS))):
            self._issue(ca, identities, cert, key, cn)
        self._write_p12()
        return (*self.files(), self.client_p12)

    def _leaves(self, hosts: list[str]) -> list[tuple[Path, Path, list[str], str]]:
        return [
            (self.server_cert, self.server_key, hosts, "connectedcar-simulator"),
            (self.client_cert, self.client_key, [CLIENT_IDENTITY], "integrator"),
            (self.webhook_cert, self.webhook_key, hosts, "webhook receiver"),
        ]

    @staticmethod
    def _issue(ca: trustme.CA, identities: list[str], cert: Path, key: Path, cn: str) -> None:
        leaf = ca.issue_cert(*identities, common_name=cn)
        _write(cert, b"".join(blob.bytes() for blob in leaf.cert_chain_pems), private=False)
        _write(key, leaf.private_key_pem.bytes(), private=True)

    def _write_p12(self) -> None:
        """``client.p12``, protected by :data:`P12_PASSWORD` with PBE-SHA1-3DES and a SHA-1
        MAC: the one PKCS#12 form every browser and key store imports (the password is
        published anyway, so the stronger forms would buy nothing)."""
        key = serialization.load_pem_private_key(self.client_key.read_bytes(), password=None)
        if not isinstance(key, _P12_KEY_TYPES):
            raise self._problem(f"{self.client_key} holds a key PKCS#12 cannot carry")
        cert = x509.load_pem_x509_certificate(self.client_cert.read_bytes())
        ca = x509.load_pem_x509_certificate(self.ca.read_bytes())
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(50_000)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())
            .build(P12_PASSWORD.encode())
        )
        data = pkcs12.serialize_key_and_certificates(
            b"connectedcar-simulator client", key, cert, [ca], encryption
        )
        _write(self.client_p12, data, private=True)

    # ---------------------------------------------------------------- checks
    def _problem(self, what: str) -> CertificateError:
        return CertificateError(
            f"{what}: run `connectedcar-sim certs --dir {self.directory} --force` to regenerate "
            "every certificate (a new CA: clients must then trust the new ca.pem)"
        )

    def _read(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise self._problem(f"cannot read {path} ({exc.strerror or exc})") from None

    def _certificate(self, path: Path) -> x509.Certificate:
        try:
            cert = x509.load_pem_x509_certificate(self._read(path))
        except ValueError:
            raise self._problem(f"{path} is not a PEM certificate") from None
        if cert.not_valid_after_utc < dt.datetime.now(dt.UTC):
            raise self._problem(f"{path} expired on {cert.not_valid_after_utc:%Y-%m-%d}")
        return cert

    def _key(self, path: Path) -> PrivateKeyTypes:
        try:
            return serialization.load_pem_private_key(self._read(path), password=None)
        except (ValueError, TypeError):
            raise self._problem(f"{path} is not an unencrypted PEM private key") from None

    def _read_ca(self) -> trustme.CA:
        self._pair(self.ca, self.ca_key)
        return self.load_ca()

    def _pair(self, cert_path: Path, key_path: Path) -> x509.Certificate:
        cert, key = self._certificate(cert_path), self._key(key_path)
        if _spki(cert.public_key()) != _spki(key.public_key()):
            raise self._problem(f"{key_path} does not match {cert_path}")
        return cert

    def verify(self) -> None:
        """Every file readable and well-formed, each key matching its certificate, each
        certificate signed by ``ca.pem``; else :class:`CertificateError`, naming the file."""
        ca = self._pair(self.ca, self.ca_key)
        for cert_path, key_path in (
            (self.server_cert, self.server_key),
            (self.client_cert, self.client_key),
            (self.webhook_cert, self.webhook_key),
        ):
            cert = self._pair(cert_path, key_path)
            try:
                cert.verify_directly_issued_by(ca)
            except (ValueError, TypeError, InvalidSignature):
                raise self._problem(f"{cert_path} is not signed by {self.ca}") from None

    def server_hosts(self) -> list[str]:
        """The names and addresses ``server.pem`` is valid for (its subject alternative names)."""
        cert = x509.load_pem_x509_certificate(self.server_cert.read_bytes())
        try:
            names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return []
        found: list[str] = [str(ip) for ip in names.get_values_for_type(x509.IPAddress)]
        return [*names.get_values_for_type(x509.DNSName), *found]

    def load_ca(self) -> trustme.CA:
        """The CA itself, to issue extra certificates (tests, expired certificates)."""
        return trustme.CA.from_pem(self.ca.read_bytes(), self.ca_key.read_bytes())

    def issue_client(
        self, directory: Path, name: str, *, not_after: dt.datetime | None = None
    ) -> tuple[Path, Path]:
        """Issue another client certificate signed by this CA into ``directory``."""
        ca = self.load_ca()
        leaf = ca.issue_cert(CLIENT_IDENTITY, common_name=name, not_after=not_after)
        directory.mkdir(parents=True, exist_ok=True)
        cert, key = directory / f"{name}.pem", directory / f"{name}.key"
        _write(cert, b"".join(blob.bytes() for blob in leaf.cert_chain_pems), private=False)
        _write(key, leaf.private_key_pem.bytes(), private=True)
        return cert, key

    # ---------------------------------------------------------------- contexts
    def server_context(self) -> ssl.SSLContext:
        """TLS 1.2+, client certificate required and verified against ``ca.pem``."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(self.ca))
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_cert_chain(self.server_cert, self.server_key)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    def client_context(self, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
        """A context trusting our CA and presenting ``client.pem`` (or the given pair)."""
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.ca))
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert or self.client_cert, key or self.client_key)
        return ctx

    def webhook_server_context(self) -> ssl.SSLContext:
        """For a local webhook receiver: serves ``webhook.pem``, no client certificate."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.webhook_cert, self.webhook_key)
        return ctx

    def outbound_context(self, extra_cas: Iterable[Path] = ()) -> ssl.SSLContext:
        """Verifies webhook targets: system store + our CA + every ``--webhook-ca``."""
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_verify_locations(cafile=str(self.ca))
        for extra in extra_cas:
            ctx.load_verify_locations(cafile=str(extra))
        return ctx


# ------------------------------------------------------------------ the listener
READ_SIZE = 64 * 1024
"""Bytes read from a socket at once (and plaintext decrypted at once)."""
REFUSAL_LINGER = 2.0
"""Seconds a connection whose handshake was refused stays half-open after the alert."""


class _ReadBuffers:
    """Receive buffers lent to TLS connections for one read at a time.

    asyncio's ``SSLProtocol`` keeps a 256 KiB ``bytearray`` per connection for
    ``recv_into``, although it copies every read into its ``ssl.MemoryBIO``
    straight away: with 1,000 idle connections that is 250 MiB doing nothing.
    Here a connection borrows a buffer when the transport asks for one
    (``get_buffer``) and gives it back when the bytes are copied
    (``buffer_updated``); a selector loop, which does both in one callback,
    needs a single buffer however many connections are open.
    """

    def __init__(self, size: int = READ_SIZE, keep: int = 8) -> None:
        self.size = size
        self._keep = keep
        self._free: list[memoryview] = []

    def take(self) -> memoryview:
        try:
            return self._free.pop()
        except IndexError:
            return memoryview(bytearray(self.size))

    def give(self, buffer: memoryview) -> None:
        if len(self._free) < self._keep:
            self._free.append(buffer)


_NO_BUFFER = memoryview(bytearray())


class _ServerTlsProtocol(sslproto.SSLProtocol):
    """The server side of one TLS connection: asyncio's ``SSLProtocol`` with two changes.

    * A refused handshake (no client certificate, unknown CA, expired...) sends
      the alert OpenSSL wrote for it.  ``SSLProtocol`` aborts the socket as soon
      as ``do_handshake`` raises, leaving the alert unsent in its outgoing
      ``MemoryBIO``, so clients saw only a reset or an unexpected EOF.  Here the
      alert goes out, then a FIN (``write_eof``); what the client still sends is
      discarded until it closes, or for :data:`REFUSAL_LINGER` seconds at most,
      so that no reset overtakes the alert.
    * Reads borrow a shared buffer (see :class:`_ReadBuffers`).
    """

    max_size = READ_SIZE
    # set by SSLProtocol.__init__, not declared by typeshed
    _outgoing: ssl.MemoryBIO
    _ssl_buffer: bytearray
    _ssl_buffer_view: memoryview

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        app_protocol: asyncio.BaseProtocol,
        context: ssl.SSLContext,
        buffers: _ReadBuffers,
        on_close: Callable[[], None],
        *,
        handshake_timeout: float,
        shutdown_timeout: float,
    ) -> None:
        super().__init__(
            loop,
            app_protocol,
            context,
            None,  # type: ignore[arg-type]  # no waiter: nobody awaits the handshake
            server_side=True,
            ssl_handshake_timeout=cast(int, handshake_timeout),  # typeshed: int; any number works
            ssl_shutdown_timeout=shutdown_timeout,
        )
        self._ssl_buffer = bytearray()
        self._ssl_buffer_view = _NO_BUFFER
        self._buffers = buffers
        self._lease: memoryview | None = None
        self._on_close: Callable[[], None] | None = on_close
        self._alert_sent = False
        self._linger: asyncio.TimerHandle | None = None

    # reads: a borrowed buffer from get_buffer to buffer_updated
    def get_buffer(self, n: int) -> memoryview:
        if self._lease is None:
            self._lease = self._buffers.take()
        return self._lease

    def buffer_updated(self, nbytes: int) -> None:
        lease, self._lease = self._lease, None
        assert lease is not None, "buffer_updated without get_buffer"
        try:
            if self._alert_sent:
                return  # refused: whatever else the client sends is not read
            self._ssl_buffer_view = lease
            super().buffer_updated(nbytes)  # copies into the incoming MemoryBIO first
        finally:
            self._ssl_buffer_view = _NO_BUFFER
            self._buffers.give(lease)

    # refused handshakes: send the alert, then close gracefully
    def _on_handshake_complete(self, handshake_exc: BaseException | None) -> None:
        if handshake_exc is not None and self._transport is not None:
            alert = self._outgoing.read()
            if alert:
                cast(asyncio.Transport, self._transport).write(alert)
                self._alert_sent = True
        # sets the state, then calls _fatal_error (below) instead of closing itself
        super()._on_handshake_complete(handshake_exc)

    def _fatal_error(self, exc: BaseException, message: str = "Fatal error on transport") -> None:
        transport = cast(asyncio.Transport | None, self._transport)
        if self._alert_sent and self._linger is None and transport is not None:
            log.debug("TLS handshake refused (%s): alert sent", exc)
            if not transport.is_closing():
                transport.write_eof()
                self._linger = self._loop.call_later(REFUSAL_LINGER, transport.abort)
                return
        super()._fatal_error(exc, message)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._lease = None  # a pending read may still hold it (proactor): not given back
        if self._linger is not None:
            self._linger.cancel()
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()
        super().connection_lost(exc)


TRIM_AFTER = 256
"""Connections that must have closed (from the peak) before freed memory is handed back."""


def _malloc_trim() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)``, or None where there is no such thing (musl, macOS, Windows).

    Per-connection state (OpenSSL's, Python's) is many small allocations spread
    over the C heap; once freed, glibc keeps the pages for reuse and RSS stays
    at its peak.  ``malloc_trim`` gives the free pages back to the system.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


class _Drop(asyncio.Protocol):
    """Past the connection limit and its refusal allowance: closed at once."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        cast(asyncio.Transport, transport).abort()


class TlsConnections:
    """The protocol factory of the TLS listener (``loop.create_server(TlsConnections(...))``).

    Each accepted connection is wrapped in TLS with ``context``.  Up to ``limit``
    connections at once are given a protocol from ``serve``; past that, up to
    ``refusing_limit`` more get one from ``refuse`` (which should answer with a
    clear refusal and close); past both, connections are closed on accept.
    A connection counts from its accept (handshake included) to its close.
    """

    def __init__(
        self,
        context: ssl.SSLContext,
        serve: Callable[[], asyncio.BaseProtocol],
        refuse: Callable[[], asyncio.BaseProtocol],
        *,
        limit: int,
        refusing_limit: int = 64,
        handshake_timeout: float = 10.0,
        shutdown_timeout: float = 10.0,
    ) -> None:
        if limit < 1:
            raise ValueError("the connection limit must be at least 1")
        self.context = context
        self.limit = limit
        self.refusing_limit = refusing_limit
        self.open = 0
        self.refusing = 0
        self._serve = serve
        self._refuse = refuse
        self._handshake_timeout = handshake_timeout
        self._shutdown_timeout = shutdown_timeout
        self._buffers = _ReadBuffers()
        self._warned = -float("inf")
        self._peak = 0
        self._trim = _malloc_trim()
        self._trim_handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __call__(self) -> asyncio.BaseProtocol:
        loop = self._loop = asyncio.get_running_loop()
        app: asyncio.BaseProtocol
        on_close: Callable[[], None]
        if self.open < self.limit:
            self.open += 1
            app, on_close = self._serve(), self._closed
        else:
            self._warn()
            if self.refusing >= self.refusing_limit:
                return _Drop()
            self.refusing += 1
            app, on_close = self._refuse(), self._refusal_closed
        self._peak = max(self._peak, self.open + self.refusing)
        return _ServerTlsProtocol(
            loop,
            app,
            self.context,
            self._buffers,
            on_close,
            handshake_timeout=self._handshake_timeout,
            shutdown_timeout=self._shutdown_timeout,
        )

    def _closed(self) -> None:
        self.open -= 1
        self._released()

    def _refusal_closed(self) -> None:
        self.refusing -= 1
        self._released()

    def _released(self) -> None:
        """After a fall of :data:`TRIM_AFTER` connections from the peak, hand the
        memory they held back to the system (a second later, once for the lot)."""
        if (
            self._trim is not None
            and self._trim_handle is None
            and self._loop is not None
            and self._peak - (self.open + self.refusing) >= TRIM_AFTER
        ):
            self._trim_handle = self._loop.call_later(1.0, self._trim_now)

    def _trim_now(self) -> None:
        self._trim_handle = None
        self._peak = self.open + self.refusing
        if self._trim is not None:
            self._trim()

    def _warn(self) -> None:
        now = time.monotonic()
        if now - self._warned >= 60:
            self._warned = now
            log.warning(
                "%d connections open, the limit (--max-connections): refusing new ones", self.limit
            )
