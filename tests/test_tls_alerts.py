"""A refused mTLS handshake tells the client why: the TLS alert reaches it, not a reset.

With TLS 1.3 the client's handshake is over before the server has checked the
client certificate, so the alert arrives on the first read; with TLS 1.2 it
ends the handshake itself.  TLS 1.2 has no ``certificate_required`` alert:
there OpenSSL answers a missing certificate with ``handshake_failure`` (40).
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
import trustme

from simulator.testing import ThreadedSimulator
from simulator.tls import CLIENT_IDENTITY, CertStore

REQUEST = b"GET /simulator/v1/clock HTTP/1.1\r\nHost: localhost\r\n\r\n"
TLS13, TLS12 = ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2
VERSIONS = pytest.mark.parametrize("version", [TLS13, TLS12], ids=["tls1.3", "tls1.2"])


def _context(certs: CertStore, version: ssl.TLSVersion) -> ssl.SSLContext:
    """Trusts the simulator's CA, presents no certificate (yet), speaks only ``version``."""
    ctx = ssl.create_default_context(cafile=str(certs.ca))
    ctx.minimum_version = ctx.maximum_version = version
    return ctx


def _foreign(certs: CertStore, version: ssl.TLSVersion) -> ssl.SSLContext:
    ctx = _context(certs, version)
    trustme.CA().issue_cert(CLIENT_IDENTITY).configure_cert(ctx)
    return ctx


def _expired(certs: CertStore, version: ssl.TLSVersion, tmp_path: Path) -> ssl.SSLContext:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    cert, key = certs.issue_client(tmp_path, "expired", not_after=past)
    ctx = _context(certs, version)
    ctx.load_cert_chain(cert, key)
    return ctx


def _refusal(server: ThreadedSimulator, ctx: ssl.SSLContext) -> ssl.SSLError:
    """What a plain Python ssl client gets: handshake, send a request, read."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        try:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(REQUEST)
                answer = tls.recv(65536)
        except ssl.SSLError as exc:
            assert not isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError), exc
            return exc
        # a reset would have raised ConnectionResetError, an EOF returned b"" here
        raise AssertionError(f"no TLS alert, the client read {answer[:80]!r}")


def _expect_alert(exc: ssl.SSLError, reason: str) -> None:
    assert exc.reason == reason, exc
    assert "alert" in str(exc), exc


@VERSIONS
def test_no_client_certificate_gets_its_alert(
    ccsim: ThreadedSimulator, version: ssl.TLSVersion
) -> None:
    exc = _refusal(ccsim, _context(ccsim.certs, version))
    if version is TLS13:
        _expect_alert(exc, "TLSV13_ALERT_CERTIFICATE_REQUIRED")  # alert 116
    else:
        _expect_alert(exc, "SSLV3_ALERT_HANDSHAKE_FAILURE")  # alert 40


@VERSIONS
def test_certificate_from_another_ca_gets_unknown_ca(
    ccsim: ThreadedSimulator, version: ssl.TLSVersion
) -> None:
    _expect_alert(_refusal(ccsim, _foreign(ccsim.certs, version)), "TLSV1_ALERT_UNKNOWN_CA")


@VERSIONS
def test_expired_certificate_gets_certificate_expired(
    ccsim: ThreadedSimulator, version: ssl.TLSVersion, tmp_path: Path
) -> None:
    exc = _refusal(ccsim, _expired(ccsim.certs, version, tmp_path))
    _expect_alert(exc, "SSLV3_ALERT_CERTIFICATE_EXPIRED")  # alert 45


def _bio_refusal(server: ThreadedSimulator, ctx: ssl.SSLContext) -> tuple[ssl.SSLError, bytes]:
    """The same over a socket the test reads itself: the TLS error, and what the socket
    gave after the last TLS byte (``b""`` for an orderly FIN; a reset raises)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:

        def pump() -> bytes:
            if outgoing.pending:
                sock.sendall(outgoing.read())
            data = sock.recv(65536)
            incoming.write(data) if data else incoming.write_eof()
            return data

        try:
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    pump()
            tls.write(REQUEST)
            while True:
                try:
                    tls.read(65536)
                except ssl.SSLWantReadError:
                    pump()
        except ssl.SSLError as exc:
            if outgoing.pending:  # the client's own alert, if any
                sock.sendall(outgoing.read())
            return exc, sock.recv(65536)


@VERSIONS
def test_refused_connection_ends_in_an_orderly_close(
    ccsim: ThreadedSimulator, version: ssl.TLSVersion
) -> None:
    """After the alert the server half-closes: the client reads a FIN, no reset."""
    exc, after = _bio_refusal(ccsim, _foreign(ccsim.certs, version))
    _expect_alert(exc, "TLSV1_ALERT_UNKNOWN_CA")
    assert after == b""


def test_server_still_serves_after_refusals(ccsim: ThreadedSimulator) -> None:
    for version in (TLS13, TLS12):
        _refusal(ccsim, _context(ccsim.certs, version))
    ctx = ccsim.client_context()
    with (
        socket.create_connection(("127.0.0.1", ccsim.port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(REQUEST)
        assert tls.recv(65536).startswith(b"HTTP/1.1 200")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize(
    ("tls_max", "text"),
    [("1.3", "alert certificate required"), ("1.2", "alert handshake failure")],
)
def test_curl_names_the_alert(ccsim: ThreadedSimulator, tls_max: str, text: str) -> None:
    done = subprocess.run(
        ["curl", "-sS", "--cacert", str(ccsim.certs.ca), "--tls-max", tls_max,
         f"{ccsim.url}/simulator/v1/clock"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode != 0
    assert text in done.stderr, done.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
@pytest.mark.parametrize("version", ["-tls1_3", "-tls1_2"])
def test_openssl_s_client_names_the_alert(
    ccsim: ThreadedSimulator, version: str, tmp_path: Path
) -> None:
    foreign = trustme.CA().issue_cert(CLIENT_IDENTITY)
    pem = tmp_path / "foreign.pem"
    foreign.private_key_and_cert_chain_pem.write_to_path(str(pem))
    done = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{ccsim.port}", version,
         "-CAfile", str(ccsim.certs.ca), "-cert", str(pem), "-ign_eof"],
        input="", capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert "alert unknown ca" in done.stderr, done.stderr
    assert "SSL alert number 48" in done.stderr, done.stderr
