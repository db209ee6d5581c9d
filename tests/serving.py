"""``python -m simulator serve`` in a child process, for tests of what only a real process
shows (environment variables, signals, stdout): started with no ``CCSIM_*`` variable but
those given, read up to its ``ready`` line, stopped with SIGTERM (exit code 0 asserted)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import requests

from simulator.tls import CertStore


def clean_env(**variables: str) -> dict[str, str]:
    """This process's environment without any ``CCSIM_*`` variable, plus ``variables``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCSIM_")}
    env.update(variables)
    return env


def mtls_session(certs: Path) -> requests.Session:
    """A session that trusts the simulator's CA and presents its client certificate."""
    store = CertStore(certs)
    session = requests.Session()
    session.trust_env = False
    session.verify = str(store.ca)
    session.cert = (str(store.client_cert), str(store.client_key))
    return session


@contextmanager
def served(
    *options: str, env: dict[str, str] | None = None, stderr: int | IO[str] = subprocess.PIPE
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``serve --port 0 *options``; yields the process and its URL once ``ready``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=clean_env() if env is None else env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("ready https://"), line
        yield process, line.split()[1]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
