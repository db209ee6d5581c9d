"""``connectedcar-sim health``: is a simulator answering on this machine?

Made for a container's ``HEALTHCHECK`` (the slim image has no curl): one mTLS request to
the control API's clock, trusting the simulator's CA and presenting its client
certificate from the same certificates folder the server uses.  Healthy when the server
completes the handshake and answers HTTP below 500 (a 401 from ``--control-token`` still
proves it serves).  Prints one line; exit 0 healthy, 1 not.
"""

from __future__ import annotations

import http.client
import ssl
from pathlib import Path

from simulator.paths import CONTROL_PREFIX
from simulator.tls import CertStore

_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def check(certs: Path, host: str, port: int, timeout: float = 5.0) -> tuple[bool, str]:
    """Ask ``https://host:port`` for the clock; (healthy, what happened in a few words)."""
    store = CertStore(certs)
    target = _WILDCARDS.get(host, host)
    try:
        context = ssl.create_default_context(cafile=str(store.ca))
        context.load_cert_chain(str(store.client_cert), str(store.client_key))
    except (OSError, ssl.SSLError) as error:
        return False, f"certificates in {certs}: {error}"
    connection = http.client.HTTPSConnection(target, port, context=context, timeout=timeout)
    try:
        connection.request("GET", CONTROL_PREFIX + "/clock")
        status = connection.getresponse().status
    except (OSError, ssl.SSLError, http.client.HTTPException) as error:
        return False, f"https://{_netloc(target, port)}: {error}"
    finally:
        connection.close()
    return status < 500, f"https://{_netloc(target, port)} answered {status}"


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
