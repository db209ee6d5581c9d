"""mTLS is enforced at the handshake; the generated certificates work with curl and Python."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import ssl
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import trustme

from simulator.testing import ThreadedSimulator
from simulator.tls import CertStore

REQUEST = b"GET /simulator/v1/clock HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def _exchange(server: ThreadedSimulator, ctx: ssl.SSLContext) -> bytes:
    """Handshake, send one request, read the whole answer (raises on TLS refusal)."""
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(REQUEST)
        chunks = []
        while chunk := tls.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _refused(server: ThreadedSimulator, ctx: ssl.SSLContext) -> None:
    # With TLS 1.3 the server's verdict on the client certificate arrives as an
    # alert after the client's side of the handshake: no HTTP byte ever comes back.
    try:
        answer = _exchange(server, ctx)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return
    assert answer == b"", f"server answered a refused client: {answer[:80]!r}"


def _trusting_context(certs: CertStore) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(certs.ca))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def test_certs_command_writes_files_with_private_keys_0600(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "certs",
            "--dir",
            str(tmp_path / "c"),
            "--host",
            "localhost",
            "--host",
            "sim.test",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "wrote" in out.stdout
    store = CertStore(tmp_path / "c")
    assert store.complete()
    for key in (store.ca_key, store.server_key, store.client_key, store.webhook_key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    for cert in (store.ca, store.server_cert, store.client_cert, store.webhook_cert):
        assert cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    before = store.server_cert.read_bytes()
    again = subprocess.run(
        [sys.executable, "-m", "simulator", "certs", "--dir", str(tmp_path / "c")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "kept existing" in again.stdout
    assert store.server_cert.read_bytes() == before
    subprocess.run(
        [sys.executable, "-m", "simulator", "certs", "--dir", str(tmp_path / "c"), "--force"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert store.server_cert.read_bytes() != before


def test_generated_client_certificate_works_with_python_ssl(ccsim: ThreadedSimulator) -> None:
    answer = _exchange(ccsim, ccsim.client_context())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert "now" in json.loads(body)


def test_tls_below_1_2_is_refused(ccsim: ThreadedSimulator) -> None:
    ctx = ccsim.client_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        _exchange(ccsim, ctx)


def test_connection_without_client_certificate_is_refused(ccsim: ThreadedSimulator) -> None:
    _refused(ccsim, _trusting_context(ccsim.certs))


def test_certificate_from_another_ca_is_refused(ccsim: ThreadedSimulator, tmp_path: Path) -> None:
    foreign = trustme.CA().issue_cert("client.connectedcar-simulator.local")
    ctx = _trusting_context(ccsim.certs)
    foreign.configure_cert(ctx)
    _refused(ccsim, ctx)


def test_expired_client_certificate_is_refused(ccsim: ThreadedSimulator, tmp_path: Path) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    cert, key = ccsim.certs.issue_client(tmp_path, "expired", not_after=past)
    ctx = _trusting_context(ccsim.certs)
    ctx.load_cert_chain(cert, key)
    _refused(ccsim, ctx)
    # the same CA's fresh certificate passes: the refusal is about the date
    cert, key = ccsim.certs.issue_client(tmp_path, "fresh")
    ok = _trusting_context(ccsim.certs)
    ok.load_cert_chain(cert, key)
    assert _exchange(ccsim, ok).startswith(b"HTTP/1.1 200")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_generated_client_certificate_works_with_curl(ccsim: ThreadedSimulator) -> None:
    certs = ccsim.certs
    base = ["curl", "-sS", "--cacert", str(certs.ca)]
    ok = subprocess.run(
        [
            *base,
            "--cert",
            str(certs.client_cert),
            "--key",
            str(certs.client_key),
            "-u",
            "demo-client:demo-secret",
            "-d",
            "grant_type=password",
            "-d",
            "username=demo@example.com",
            "-d",
            "password=demo",
            f"{ccsim.url}/am/oauth2/access_token",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert ok.returncode == 0, ok.stderr
    token = json.loads(ok.stdout)["access_token"]
    listed = subprocess.run(
        [
            *base,
            "--cert",
            str(certs.client_cert),
            "--key",
            str(certs.client_key),
            "-H",
            f"Authorization: Bearer {token}",
            "-H",
            "x-introspect-realm: clientsB2COpel",
            f"{ccsim.url}/connectedcar/v4/user/vehicles?client_id=demo-client",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)["_embedded"]["vehicles"]) == 3
    refused = subprocess.run(
        [*base, f"{ccsim.url}/simulator/v1/clock"], capture_output=True, text=True, timeout=30
    )
    assert refused.returncode != 0
    assert refused.stdout == ""
