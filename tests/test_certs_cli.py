"""``certs`` (and ``serve``'s first start): client.p12, CCSIM_CERT_HOSTS, an existing CA is
never replaced without ``--force``, and ``--help`` documents every option's variable."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from serving import clean_env, served

from simulator.cli import build_parser
from simulator.tls import P12_PASSWORD, CertStore


def _run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CCSIM_")}
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**clean, **(env or {})},
        check=False,
    )


def _refused(done: subprocess.CompletedProcess[str], command: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "ready" not in done.stdout
    assert "Traceback" not in done.stderr and "Unclosed" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    prefix = f"connectedcar-sim {command}: "
    assert lines[0].startswith(prefix), lines[0]
    return lines[0][len(prefix) :]


def _names(cert_file: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {
        *names.get_values_for_type(x509.DNSName),
        *(str(ip) for ip in names.get_values_for_type(x509.IPAddress)),
    }


@pytest.fixture
def certs(ccsim_certs: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(ccsim_certs, tmp_path / "certs"))


# ------------------------------------------------------------------ client.p12
def test_client_p12_loads_with_the_documented_password(tmp_path: Path) -> None:
    done = _run("certs", "--dir", str(tmp_path / "c"))
    assert done.returncode == 0, done.stderr
    store = CertStore(tmp_path / "c")
    assert stat.S_IMODE(store.client_p12.stat().st_mode) == 0o600
    key, cert, extra = pkcs12.load_key_and_certificates(
        store.client_p12.read_bytes(), P12_PASSWORD.encode()
    )
    assert P12_PASSWORD == "ccsim"  # the README and --help say so
    assert cert == x509.load_pem_x509_certificate(store.client_cert.read_bytes())
    assert key is not None and key.public_key() == cert.public_key()
    assert extra == [x509.load_pem_x509_certificate(store.ca.read_bytes())]
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(store.client_p12.read_bytes(), b"wrong")


def test_client_p12_is_added_to_an_older_folder(certs: Path) -> None:
    (certs / "client.p12").unlink(missing_ok=True)
    before = (certs / "ca.pem").read_bytes()
    done = _run("certs", "--dir", str(certs))
    assert done.returncode == 0, done.stderr
    assert "kept existing certificates" in done.stdout and "wrote client.p12" in done.stdout
    assert (certs / "ca.pem").read_bytes() == before
    _, cert, _ = pkcs12.load_key_and_certificates(
        (certs / "client.p12").read_bytes(), P12_PASSWORD.encode()
    )
    assert cert == x509.load_pem_x509_certificate((certs / "client.pem").read_bytes())


# ------------------------------------------------------------------ host names
def test_cert_hosts_variable_adds_names_to_certs(tmp_path: Path) -> None:
    hosts = "sim-app, host.docker.internal,10.1.2.3"
    done = _run("certs", "--dir", str(tmp_path / "c"), env={"CCSIM_CERT_HOSTS": hosts})
    assert done.returncode == 0, done.stderr
    expected = {"localhost", "127.0.0.1", "::1", "sim-app", "host.docker.internal", "10.1.2.3"}
    assert _names(tmp_path / "c" / "server.pem") == expected
    assert _names(tmp_path / "c" / "webhook.pem") == expected
    # --host replaces the defaults; the variable still adds its names
    done = _run(
        *("certs", "--dir", str(tmp_path / "d"), "--host", "sim.test"),
        env={"CCSIM_CERT_HOSTS": "sim-app"},
    )
    assert done.returncode == 0, done.stderr
    assert _names(tmp_path / "d" / "server.pem") == {"sim.test", "sim-app"}
    # CCSIM_HOST is a comma list for certs, as before
    done = _run("certs", "--dir", str(tmp_path / "e"), env={"CCSIM_HOST": "a.test,b.test"})
    assert done.returncode == 0, done.stderr
    assert _names(tmp_path / "e" / "server.pem") == {"a.test", "b.test"}


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_cert_hosts_variable_on_serve_first_start(tmp_path: Path) -> None:
    env = clean_env(CCSIM_CERT_HOSTS="api.sim.internal,host.docker.internal")
    options = ("--quiet", "--certs", str(tmp_path / "fresh"), "--manual-clock", "--no-life")
    with served(*options, env=env):
        pass
    names = _names(tmp_path / "fresh" / "server.pem")
    assert {"api.sim.internal", "host.docker.internal", "localhost", "127.0.0.1"} <= names
    assert (tmp_path / "fresh" / "client.p12").is_file()


# ------------------------------------------------------------------ never replace a CA silently
def _break(certs: Path, how: str) -> None:
    if how == "ca.pem without ca.key":
        (certs / "ca.key").unlink()
    elif how == "ca.key without ca.pem":
        (certs / "ca.pem").unlink()
    elif how == "server certificate of another CA":
        other = trustme.CA().issue_cert("localhost")
        other.cert_chain_pems[0].write_to_path(str(certs / "server.pem"))
        other.private_key_pem.write_to_path(str(certs / "server.key"))
    elif how == "key not matching":
        shutil.copy(certs / "webhook.key", certs / "server.key")


CASES = {
    "ca.pem without ca.key": "{d}/ca.pem exists without {d}/ca.key",
    "ca.key without ca.pem": "{d}/ca.key exists without {d}/ca.pem",
    "server certificate of another CA": "{d}/server.pem is not signed by {d}/ca.pem",
    "key not matching": "{d}/server.key does not match {d}/server.pem",
}


@pytest.mark.parametrize("command", ["serve", "certs"])
@pytest.mark.parametrize("how", list(CASES))
def test_existing_ca_is_never_replaced_silently(certs: Path, command: str, how: str) -> None:
    _break(certs, how)
    before = {p.name: p.read_bytes() for p in certs.iterdir()}
    option = "--certs" if command == "serve" else "--dir"
    extra = ["--port", "0", "--manual-clock"] if command == "serve" else []
    line = _refused(_run(command, option, str(certs), *extra), command)
    assert line == (
        CASES[how].format(d=certs) + f": run `connectedcar-sim certs --dir {certs} --force` "
        "to regenerate every certificate (a new CA: clients must then trust the new ca.pem)"
    )
    assert {p.name: p.read_bytes() for p in certs.iterdir()} == before  # nothing touched
    forced = _run("certs", "--dir", str(certs), "--force")
    assert forced.returncode == 0 and "wrote certificates" in forced.stdout, forced.stderr
    store = CertStore(certs)
    store.verify()  # a new, consistent set
    assert store.ca.read_bytes() != before.get("ca.pem")


def test_certs_fills_missing_leaves_from_the_existing_ca(certs: Path) -> None:
    ca = (certs / "ca.pem").read_bytes()
    server = (certs / "server.pem").read_bytes()
    (certs / "webhook.key").unlink()
    done = _run("certs", "--dir", str(certs))
    assert done.returncode == 0, done.stderr
    assert "kept existing certificates" in done.stdout
    assert "wrote webhook.pem, webhook.key" in done.stdout
    assert (certs / "ca.pem").read_bytes() == ca and (certs / "server.pem").read_bytes() == server
    CertStore(certs).verify()


def test_certs_says_which_hosts_kept_certificates_lack(certs: Path) -> None:
    done = _run("certs", "--dir", str(certs), "--host", "localhost", "--host", "sim.test")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"kept existing certificates in {certs}/ (server certificate for localhost, "
        "127.0.0.1, ::1); not valid for sim.test: certs --force regenerates them"
    )


def test_certs_bad_host_and_variables(tmp_path: Path) -> None:
    line = _refused(_run("certs", "--dir", str(tmp_path), "--host", "a b"), "certs")
    assert line.startswith("argument --host: 'a b' is not a host name or IP address")
    line = _refused(_run("certs", "--dir", str(tmp_path), env={"CCSIM_FORCE": "sure"}), "certs")
    assert line.startswith("CCSIM_FORCE=sure: must be 1, true, yes or on")
    line = _refused(_run("certs", env={"CCSIM_HOST": "ok.test,no_t"}), "certs")
    assert line.startswith("CCSIM_HOST=ok.test,no_t: 'no_t' is not a host name")
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------ --help
def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


@pytest.mark.parametrize("command", list(_subcommands()))
def test_help_shows_each_option_default_and_variable(command: str) -> None:
    done = _run(command, "--help")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    options = text.index(" options: ")
    documented = re.findall(r"\(default: [^;]+?; env (CCSIM_[A-Z_]+)\)", text[options:])
    expected = []
    for action in _subcommands()[command]._actions:
        if not action.option_strings or action.dest == "help":
            continue
        assert action.help, f"{command} {action.option_strings[-1]} has no help"
        expected.append("CCSIM_" + action.option_strings[-1].lstrip("-").replace("-", "_").upper())
    assert documented == expected
    assert len(expected) >= 3


def test_help_names_the_environment_only_variable() -> None:
    for command in ("serve", "certs"):
        text = " ".join(_run(command, "--help").stdout.split())
        assert "CCSIM_CERT_HOSTS=NAME,... (environment only)" in text
    assert f"has the password {P12_PASSWORD!r}" in " ".join(_run("certs", "--help").stdout.split())
