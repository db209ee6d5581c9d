"""``serve`` that cannot start says why in one line on stderr and exits 2.

Every case runs ``python -m simulator serve`` as a user would: the line starts with
``connectedcar-sim serve: ``, names the option, variable or file and what to do; no
traceback, no asyncio or aiohttp warning ("Unclosed client session"), no ``ready``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from serving import mtls_session, served

from simulator import cli
from simulator.cli import build_parser
from simulator.config import ACCESS_TOKEN_LIFETIME

PREFIX = "connectedcar-sim serve: "
README = Path(__file__).resolve().parent.parent / "docs" / "local.md"


def _serve(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CCSIM_")}
    return subprocess.run(
        [sys.executable, "-m", "simulator", "serve", "--manual-clock", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **(env or {})},
        cwd=cwd,
        check=False,
    )


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The run failed as a start-up error should: exit 2 and one line, nothing else."""
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "ready" not in done.stdout
    assert "Traceback" not in done.stderr and "Unclosed" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(PREFIX), lines[0]
    return lines[0][len(PREFIX) :]


@pytest.fixture
def certs(ccsim_certs: Path, tmp_path: Path) -> Path:
    """A complete certificate folder of this test's own (cases break some of its files)."""
    return Path(shutil.copytree(ccsim_certs, tmp_path / "certs"))


# ------------------------------------------------------------------ listening
@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_port_in_use(certs: Path, taken_port: int) -> None:
    line = _one_line(_serve("--certs", str(certs), "--port", str(taken_port)))
    assert line.startswith(f"--port {taken_port}: 127.0.0.1:{taken_port} is already in use")
    assert "choose another port (0 picks a free one)" in line


def test_port_in_use_from_the_environment(certs: Path, taken_port: int) -> None:
    line = _one_line(_serve("--certs", str(certs), env={"CCSIM_PORT": str(taken_port)}))
    assert line.startswith(f"CCSIM_PORT={taken_port}: ") and "already in use" in line


def test_host_not_of_this_machine(certs: Path) -> None:
    line = _one_line(_serve("--certs", str(certs), "--port", "0", "--host", "192.0.2.1"))
    assert line.startswith("--host 192.0.2.1: not an address of this machine")


# ------------------------------------------------------------------ certificates
def test_unreadable_key(certs: Path) -> None:
    (certs / "server.key").unlink()
    (certs / "server.key").mkdir()  # unreadable whoever runs the test (root reads 0000 files)
    line = _one_line(_serve("--certs", str(certs)))
    assert line.startswith(f"cannot read {certs / 'server.key'} (Is a directory): ")
    assert f"connectedcar-sim certs --dir {certs} --force" in line


def test_malformed_certificate(certs: Path) -> None:
    (certs / "server.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n")
    line = _one_line(_serve("--certs", str(certs)))
    assert line.startswith(f"{certs / 'server.pem'} is not a PEM certificate: run ")
    assert "--force" in line


def test_malformed_key(certs: Path) -> None:
    (certs / "client.key").write_bytes(b"garbage")
    line = _one_line(_serve("--certs", str(certs)))
    assert line.startswith(f"{certs / 'client.key'} is not an unencrypted PEM private key")


def test_folder_with_some_files_only(certs: Path) -> None:
    (certs / "webhook.pem").unlink()
    (certs / "client.key").unlink()
    line = _one_line(_serve("--certs", str(certs)))
    assert line == (
        f"{certs}/ holds some certificate files but not client.key, webhook.pem: run "
        f"`connectedcar-sim certs --dir {certs}` to issue them from its CA, "
        "or `certs --force` to regenerate all"
    )


def test_certs_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "certs").write_text("")
    line = _one_line(_serve("--certs", str(tmp_path / "certs")))
    assert line.startswith(f"--certs {tmp_path / 'certs'}: cannot make the certificates there")
    assert "(a file, not a folder)" in line


def test_webhook_ca_not_pem(certs: Path, tmp_path: Path) -> None:
    bad = tmp_path / "ca.txt"
    bad.write_text("hello")
    line = _one_line(_serve("--certs", str(certs), "--webhook-ca", str(bad)))
    assert line == f"--webhook-ca {bad}: not a PEM certificate (-----BEGIN CERTIFICATE-----)"


def test_webhook_ca_that_is_not_a_ca(certs: Path, tmp_path: Path) -> None:
    leaf = tmp_path / "leaf.pem"
    trustme.CA().issue_cert("hooks.example").cert_chain_pems[0].write_to_path(str(leaf))
    line = _one_line(_serve("--certs", str(certs), "--webhook-ca", str(leaf)))
    assert line.startswith(f"--webhook-ca {leaf}: a certificate but not a CA's")


def test_webhook_ca_missing_named_by_its_variable(certs: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.pem"
    trustme.CA().cert_pem.write_to_path(str(good))
    missing = tmp_path / "missing.pem"
    variable = f"{good}{os.pathsep}{missing}"
    line = _one_line(_serve("--certs", str(certs), env={"CCSIM_WEBHOOK_CA": variable}))
    assert line == f"CCSIM_WEBHOOK_CA={missing}: cannot read it (No such file or directory)"


# ------------------------------------------------------------------ data dir
def test_data_dir_that_cannot_be_written(certs: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    target = tmp_path / "file" / "data"
    line = _one_line(_serve("--certs", str(certs), "--data-dir", str(target)))
    assert line == (
        f"--data-dir {target}: cannot write there (Not a directory): "
        "give a folder this user can write"
    )
    line = _one_line(_serve("--certs", str(certs), env={"CCSIM_DATA_DIR": str(tmp_path / "file")}))
    assert line.startswith(f"CCSIM_DATA_DIR={tmp_path / 'file'}: cannot write there (a file,")


# ------------------------------------------------------------------ option values
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--port", "70000"], "argument --port: must be an integer in 0..65535"),
        (["--vehicles", "-1"], "argument --vehicles: must be an integer >= 0"),
        (["--token-ttl", "0"], "argument --token-ttl: must be an integer >= 1"),
        (["--webhook-timeout", "nan"], "argument --webhook-timeout: must be a number > 0"),
        (["--start", "monday"], "argument --start: 'monday' is not an RFC 3339 time"),
        (["--log-level", "loud"], "argument --log-level: invalid choice: 'loud'"),
        (["--host", "my_service"], "argument --host: 'my_service' is not a host name"),
    ],
)
def test_bad_option_value(certs: Path, args: list[str], expected: str) -> None:
    line = _one_line(_serve("--certs", str(certs), *args))
    assert line.startswith(expected), line
    assert line.endswith("(see connectedcar-sim serve --help)")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("CCSIM_PORT", "abc", "must be an integer in 0..65535 (the variable of --port)"),
        ("CCSIM_VEHICLES", "many", "must be an integer >= 0 (the variable of --vehicles)"),
        ("CCSIM_TOKEN_TTL", "-5", "must be an integer >= 1 (the variable of --token-ttl)"),
        ("CCSIM_WEBHOOK_TIMEOUT", "0", "must be a number > 0 (the variable of --webhook-timeout)"),
        ("CCSIM_NO_LIFE", "maybe", "must be 1, true, yes or on (or 0, false, no, off)"),
        ("CCSIM_LOG_FORMAT", "xml", "must be one of text, json (the variable of --log-format)"),
        ("CCSIM_START", "2026-01-05", "'2026-01-05' needs an offset (Z or +HH:MM)"),
        ("CCSIM_RATE_LIMIT", "lots", "'lots' is not DAY/BURST, two positive integers"),
        ("CCSIM_CERT_HOSTS", "app,my_service", "'my_service' is not a host name or IP address"),
    ],
)
def test_bad_variable_is_named(certs: Path, variable: str, value: str, expected: str) -> None:
    line = _one_line(_serve("--certs", str(certs), env={variable: value}))
    assert line.startswith(f"{variable}={value}: {expected}"), line


def test_speed_from_the_environment_against_manual_clock(certs: Path) -> None:
    line = _one_line(_serve("--certs", str(certs), env={"CCSIM_SPEED": "60"}))
    assert line == "CCSIM_SPEED=60 and --manual-clock exclude each other: keep one"


def test_secret_variables_are_not_echoed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = cli._Parser(prog="connectedcar-sim serve")
    cli._option(parser, "--api-token", type=cli._positive_int, help="a secret number")
    monkeypatch.setenv("CCSIM_API_TOKEN", "s3cret")
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args([])
    assert exit_.value.code == 2
    line = capsys.readouterr().err
    assert line.startswith("connectedcar-sim serve: CCSIM_API_TOKEN=…: must be an integer")
    assert "s3cret" not in line


# ------------------------------------------------------------------ tokens
def test_token_ttl_sets_expires_in_and_tokens_expire_on_the_clock(certs: Path) -> None:
    options = ("--token-ttl", "120", "--certs", str(certs), "--manual-clock", "--no-life")
    with served(*options, "--quiet") as (process, base):
        session = mtls_session(certs)
        answer = session.post(
            base + "/am/oauth2/access_token",
            data={"grant_type": "password", "username": "demo@example.com", "password": "demo"},
            auth=("demo-client", "demo-secret"),
            timeout=30,
        ).json()
        assert answer["expires_in"] == 120
        headers = {
            "Authorization": f"Bearer {answer['access_token']}",
            "x-introspect-realm": "clientsB2CPeugeot",
        }

        def vehicles() -> int:
            return session.get(
                base + "/connectedcar/v4/user/vehicles",
                params={"client_id": "demo-client"},
                headers=headers,
                timeout=30,
            ).status_code

        def advance(seconds: float) -> None:
            url = base + "/simulator/v1/clock/advance"
            assert session.post(url, json={"seconds": seconds}, timeout=30).status_code == 200

        assert vehicles() == 200
        advance(119)
        assert vehicles() == 200  # one simulated second left
        advance(2)
        assert vehicles() == 401
    assert process.stderr is not None
    assert "Traceback" not in process.stderr.read()


def test_default_token_lives_one_real_minute_at_speed_60() -> None:
    assert build_parser().parse_args(["serve"]).token_ttl == ACCESS_TOKEN_LIFETIME == 3600
    assert ACCESS_TOKEN_LIFETIME / 60 == 60  # simulated seconds / speed = real seconds
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert "at `--speed 60` a default token lives one real minute" in text
