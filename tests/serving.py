"""``python -m simulator serve`` in a child process, for tests of what only a real process
shows (environment variables, signals, stdout): started with no ``CCSIM_*`` variable but
those given, read up to its ``ready`` line, stopped with SIGTERM (exit code 0 asserted)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
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
def started(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stderr: int | IO[str] = subprocess.PIPE,
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run ``argv`` (a ``serve``); yields the process and its URL once ``ready``, then
    stops it with SIGTERM and asserts exit code 0 (killed if the test failed first)."""
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=cwd,
        env=clean_env() if env is None else env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("ready https://") and process.stderr is not None:
            line += process.stderr.read() if process.poll() is not None else ""
        assert line.startswith("ready https://"), line
        yield process, line.split()[1]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def served(
    *options: str, env: dict[str, str] | None = None, stderr: int | IO[str] = subprocess.PIPE
) -> AbstractContextManager[tuple[subprocess.Popen[str], str]]:
    """``python -m simulator serve --port 0 *options``: see :func:`started`."""
    argv = [sys.executable, "-m", "simulator", "serve", "--port", "0", *options]
    return started(argv, env=env, stderr=stderr)
