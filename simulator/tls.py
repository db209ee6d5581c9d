"""Certificates (made with trustme) and the SSL contexts built from them.

One public object, :class:`CertStore`: it knows the certificate folder, creates
what is missing, and configures server, client and webhook SSL contexts.
Private keys are written with mode 0600, atomically.
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import trustme

__all__ = ["DEFAULT_HOSTS", "CertStore"]

DEFAULT_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
CLIENT_IDENTITY = "client.connectedcar-simulator.local"


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

    def files(self) -> tuple[Path, ...]:
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
    def ensure(self, hosts: Sequence[str] = DEFAULT_HOSTS, *, force: bool = False) -> bool:
        """Create the certificates if any is missing (or all with ``force``).

        Returns True when files were written.  An existing CA is reused so that
        certificates already handed to clients stay valid.
        """
        if self.complete() and not force:
            return False
        self.directory.mkdir(parents=True, exist_ok=True)
        if not force and self.ca.is_file() and self.ca_key.is_file():
            ca = trustme.CA.from_pem(self.ca.read_bytes(), self.ca_key.read_bytes())
        else:
            ca = trustme.CA(organization_name="connectedcar-simulator local CA")
            _write(self.ca, ca.cert_pem.bytes(), private=False)
            _write(self.ca_key, ca.private_key_pem.bytes(), private=True)
        hosts = list(dict.fromkeys(hosts or DEFAULT_HOSTS))
        self._issue(ca, hosts, self.server_cert, self.server_key, "connectedcar-simulator")
        self._issue(ca, [CLIENT_IDENTITY], self.client_cert, self.client_key, "integrator")
        self._issue(ca, hosts, self.webhook_cert, self.webhook_key, "webhook receiver")
        return True

    @staticmethod
    def _issue(ca: trustme.CA, identities: list[str], cert: Path, key: Path, cn: str) -> None:
        leaf = ca.issue_cert(*identities, common_name=cn)
        _write(cert, b"".join(blob.bytes() for blob in leaf.cert_chain_pems), private=False)
        _write(key, leaf.private_key_pem.bytes(), private=True)

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
