"""The container image's start, without a Docker engine: the final stage of ``Dockerfile``
is read (its ``ENV``, ``ENTRYPOINT``, ``CMD``, ``HEALTHCHECK``, ``VOLUME`` and copied
folders) and its command runs on this machine the way the container would, with the same
environment variables and the image's absolute paths moved under a temporary root.  Then
it is called over mTLS, and its health check is run.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from serving import clean_env, mtls_session, started

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")


@dataclass
class Image:
    env: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    copies: dict[str, str] = field(default_factory=dict)  # image path -> source folder
    user: str = ""


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def _exec_form(value: str) -> list[str]:
    parsed = json.loads(value)
    assert isinstance(parsed, list), value
    return [str(item) for item in parsed]


def read_image(path: Path) -> Image:
    """The final stage of the Dockerfile at ``path``."""
    stages: list[Image] = []
    for word, rest in _instructions(path.read_text(encoding="utf-8")):
        if word == "FROM":
            stages.append(Image())
        image = stages[-1]
        if word == "ENV":
            image.env.update(pair.split("=", 1) for pair in shlex.split(rest))
        elif word in ("ENTRYPOINT", "CMD"):
            setattr(image, word.lower(), _exec_form(rest))
        elif word == "HEALTHCHECK":
            image.healthcheck = _exec_form(rest.split(" CMD ", 1)[1])
        elif word == "VOLUME":
            image.volumes = _exec_form(rest)
        elif word == "USER":
            image.user = rest
        elif word == "COPY" and not rest.startswith("--from"):
            *sources, target = rest.split()
            image.copies[target] = " ".join(sources)
    return stages[-1]


IMAGE = read_image(ROOT / "Dockerfile")


def test_the_image_is_built_as_the_docs_say() -> None:
    assert IMAGE.user not in ("", "0", "root")
    assert set(IMAGE.volumes) == {"/certs", "/data"}
    assert IMAGE.env["CCSIM_CERTS"] == "/certs" and IMAGE.env["CCSIM_DATA_DIR"] == "/data"
    assert IMAGE.copies.get("/scenarios") == "scenarios"
    assert IMAGE.entrypoint == ["connectedcar-sim"]
    assert IMAGE.cmd == ["serve", "--host", "0.0.0.0"]
    assert IMAGE.healthcheck == ["connectedcar-sim", "health"]
    docs = (ROOT / "docs" / "container.md").read_text(encoding="utf-8")
    for name, value in IMAGE.env.items():
        if name.startswith("CCSIM_"):
            assert f"| `{name}` | `{value}` |" in docs, f"docs/container.md: {name}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _container_env(root: Path, **changes: str) -> dict[str, str]:
    """The image's variables, its absolute paths under ``root``, plus ``changes``."""
    env = clean_env(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    for name, value in {**IMAGE.env, **changes}.items():
        env[name] = str(root / value.lstrip("/")) if value.startswith("/") else value
    for target, source in IMAGE.copies.items():
        if target.startswith("/") and (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, root / target.lstrip("/"), dirs_exist_ok=True)
    for volume in IMAGE.volumes:
        (root / volume.lstrip("/")).mkdir(parents=True, exist_ok=True)
    (root / "tmp").mkdir(exist_ok=True)
    return env


@pytest.fixture
def container(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str], str]]:
    port = _free_port()
    env = _container_env(tmp_path, CCSIM_PORT=str(port))
    with started([*IMAGE.entrypoint, *IMAGE.cmd], env=env, cwd=tmp_path):
        yield tmp_path, env, f"https://127.0.0.1:{port}"


def test_the_entrypoint_serves_over_mtls_and_is_healthy(
    container: tuple[Path, dict[str, str], str],
) -> None:
    root, env, url = container
    certs = root / "certs"
    with mtls_session(certs) as http:
        assert http.get(url + "/simulator/v1/clock", timeout=30).status_code == 200
    server = x509.load_pem_x509_certificate((certs / "server.pem").read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = set(names.get_values_for_type(x509.DNSName))
    assert set(IMAGE.env["CCSIM_CERT_HOSTS"].split(",")) | {"localhost"} <= dns
    assert oct((certs / "client.key").stat().st_mode & 0o777) == "0o600"
    assert any((root / "data").iterdir()), "--data-dir from CCSIM_DATA_DIR holds the journal"
    health = subprocess.run(IMAGE.healthcheck, capture_output=True, text=True, env=env, timeout=30)
    assert health.returncode == 0, health.stdout + health.stderr
    assert "answered 200" in health.stdout


def test_health_fails_when_nothing_listens(tmp_path: Path) -> None:
    env = _container_env(tmp_path, CCSIM_PORT=str(_free_port()))
    subprocess.run([*IMAGE.entrypoint, "certs"], env=env, check=True, capture_output=True)
    health = subprocess.run(IMAGE.healthcheck, capture_output=True, text=True, env=env, timeout=30)
    assert health.returncode == 1
    assert health.stdout.count("\n") == 1 and "Traceback" not in health.stderr


def test_a_shipped_scenario_plays_from_the_image_folder(tmp_path: Path) -> None:
    env = _container_env(tmp_path, CCSIM_PORT="0", CCSIM_SCENARIO="/scenarios/night-theft.yaml")
    with (
        started([*IMAGE.entrypoint, *IMAGE.cmd, "--quiet"], env=env) as (_, url),
        mtls_session(tmp_path / "certs") as http,
    ):
        played = http.get(url + "/simulator/v1/scenario", timeout=30).json()
    assert "night-theft" in json.dumps(played)


def test_a_certs_mount_it_cannot_write_is_one_line(tmp_path: Path) -> None:
    """As a mount the image's user cannot write (a file in the way: refused even to root)."""
    env = _container_env(tmp_path, CCSIM_PORT="0", CCSIM_CERTS="/mnt/certs")
    (tmp_path / "mnt").write_text("not a folder", encoding="utf-8")
    done = subprocess.run(
        [*IMAGE.entrypoint, *IMAGE.cmd], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "CCSIM_CERTS=" + str(tmp_path / "mnt" / "certs") in done.stderr, done.stderr
