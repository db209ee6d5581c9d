"""Transport limits: ``--max-connections`` refuses clearly, idle keep-alive connections close."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.cli import build_parser
from simulator.testing import ThreadedSimulator

CLOCK = "/simulator/v1/clock"


def _connect(server: ThreadedSimulator) -> http.client.HTTPSConnection:
    conn = http.client.HTTPSConnection(
        "localhost", server.port, context=server.client_context(), timeout=10
    )
    conn.connect()
    return conn


def _get(conn: http.client.HTTPSConnection) -> http.client.HTTPResponse:
    conn.request("GET", CLOCK)
    response = conn.getresponse()
    response.read()
    return response


def _wait_closed_by_server(tls: ssl.SSLSocket, limit: float = 10.0) -> float:
    """Seconds until the server ended the connection (close_notify or FIN)."""
    started = time.monotonic()
    tls.settimeout(limit)
    try:
        while tls.recv(65536):
            pass
    except (ssl.SSLEOFError, ConnectionResetError):
        pass
    return time.monotonic() - started


@pytest.fixture
def limited(ccsim_certs: Path) -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(ccsim_certs, max_connections=2, manual_clock=True) as server:
        yield server


def test_connection_past_the_limit_gets_503_then_one_closing_makes_room(
    limited: ThreadedSimulator,
) -> None:
    first, second = _connect(limited), _connect(limited)
    try:
        assert _get(first).status == 200
        assert _get(second).status == 200

        # the third is refused after its handshake, with the API's error body, and closed
        with (
            socket.create_connection(("127.0.0.1", limited.port), timeout=10) as raw,
            limited.client_context().wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            tls.sendall(f"GET {CLOCK} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            answer = b""
            while chunk := tls.recv(65536):  # until the server closes: nothing keeps it open
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        assert lines[0] == "HTTP/1.1 503 Service Unavailable"
        headers = dict(line.split(": ", 1) for line in lines[1:])
        assert headers["Connection"] == "close"
        assert headers["Retry-After"] == "1"
        assert headers["Content-Type"] == "application/json"
        error = json.loads(body)
        assert error["code"] == 50301
        assert "too many connections" in error["message"]
        assert "the limit is 2" in error["message"]
        assert error["uuid"] == headers["X-Request-Id"]

        # the open ones are still served
        assert _get(first).status == 200

        # once one closes, a new connection is served again
        second.close()
        deadline = time.monotonic() + 10
        while True:
            again = _connect(limited)
            try:
                status = _get(again).status
            finally:
                again.close()
            if status == 200 or time.monotonic() > deadline:
                break
        assert status == 200
    finally:
        first.close()
        second.close()


def test_past_the_limit_the_client_certificate_is_still_required(
    limited: ThreadedSimulator,
) -> None:
    first, second = _connect(limited), _connect(limited)
    try:
        assert _get(first).status == 200 and _get(second).status == 200
        ctx = ssl.create_default_context(cafile=str(limited.certs.ca))
        with (
            pytest.raises(ssl.SSLError) as refused,
            socket.create_connection(("127.0.0.1", limited.port), timeout=10) as raw,
            ctx.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            tls.sendall(f"GET {CLOCK} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            tls.recv(65536)
        assert refused.value.reason == "TLSV13_ALERT_CERTIFICATE_REQUIRED"
    finally:
        first.close()
        second.close()


def test_idle_keepalive_connection_is_closed_by_the_server(ccsim_certs: Path) -> None:
    with ThreadedSimulator(ccsim_certs, keepalive_timeout=0.5, manual_clock=True) as server:
        ctx = server.client_context()
        request = f"GET {CLOCK} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
        # after a request (keep-alive)...
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw,
            ctx.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            tls.sendall(request)
            assert tls.recv(65536).startswith(b"HTTP/1.1 200")
            waited = _wait_closed_by_server(tls)
        assert 0.3 < waited < 5
        # ... and without any request
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw,
            ctx.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            waited = _wait_closed_by_server(tls)
        assert waited < 5


def test_options_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.max_connections, args.keepalive_timeout) == (1024, 75.0)
    args = build_parser().parse_args(
        ["serve", "--max-connections", "10", "--keepalive-timeout", "2.5"]
    )
    assert (args.max_connections, args.keepalive_timeout) == (10, 2.5)
    monkeypatch.setenv("CCSIM_MAX_CONNECTIONS", "7")
    monkeypatch.setenv("CCSIM_KEEPALIVE_TIMEOUT", "3")
    args = build_parser().parse_args(["serve"])
    assert (args.max_connections, args.keepalive_timeout) == (7, 3.0)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--max-connections", "0"])
