"""The package as a user installs it: ``python -m build`` makes an sdist and a wheel that
``twine check`` accepts, and the wheel, installed into a fresh virtual environment, runs
``--version``, ``certs``, ``serve`` and the pytest plugin with its package data (the
scenario schema, the live view's files, the shipped scenarios).

The fresh environment gets the wheel and nothing of this checkout: its third-party
dependencies come from this venv's site-packages through a folder of links that leaves out
this project's own editable install, so no network is needed and the code that runs is
the wheel's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import LEAN_PYTEST
from serving import clean_env, mtls_session, started

import simulator

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX paths and signals")


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=clean_env(),
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_the_package_list_is_every_package_of_the_tree() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "simulator").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found <= listed, f"add to pyproject.toml [tool.setuptools] packages: {found - listed}"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist and wheel built from a copy of the sources (the checkout stays clean)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "CHANGELOG.md"):
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("simulator", "scenarios"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, source)
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv holding the wheel; its dependencies linked from this venv."""
    home = tmp_path_factory.mktemp("venv")
    _run(sys.executable, "-m", "venv", "--without-pip", home)
    wheel = next(dist.glob("*.whl"))
    python = home / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel)
    ours = ("simulator", "connectedcar_simulator", "__editable__", "_connectedcar_simulator")
    links = tmp_path_factory.mktemp("deps")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(ours) and not entry.name.endswith(".pth"):
            (links / entry.name).symlink_to(entry)
    purelib = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    (Path(purelib.stdout.strip()) / "deps.pth").write_text(f"{links}\n", encoding="utf-8")
    yield home


def test_sdist_and_wheel_pass_twine_check(dist: Path) -> None:
    names = sorted(p.name for p in dist.iterdir())
    version = simulator.__version__
    assert names == [
        f"connectedcar_simulator-{version}-py3-none-any.whl",
        f"connectedcar_simulator-{version}.tar.gz",
    ]
    assert "PASSED" in _run(sys.executable, "-m", "twine", "check", *dist.iterdir()).stdout


def test_the_installed_wheel_is_what_runs(venv: Path) -> None:
    code = "import simulator; print(simulator.__file__)"
    where = _run(venv / "bin" / "python", "-c", code, cwd=venv)  # not this checkout's
    assert where.stdout.startswith(str(venv)), where.stdout
    version = _run(venv / "bin" / "connectedcar-sim", "--version").stdout.split()
    assert version == ["connectedcar-sim", simulator.__version__]


def test_certs_and_serve_from_the_wheel(venv: Path, tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    _run(venv / "bin" / "connectedcar-sim", "certs", "--dir", certs)
    assert (certs / "client.p12").is_file()
    argv = [str(venv / "bin" / "connectedcar-sim"), "serve", "--port", "0", "--certs",
            str(certs), "--manual-clock", "--no-life", "--quiet"]  # fmt: skip
    with started(argv, cwd=tmp_path) as (_, url), mtls_session(certs) as http:
        assert http.get(url + "/simulator/v1/clock", timeout=30).status_code == 200
        schema = http.get(url + "/simulator/v1/scenario/schema.json", timeout=30)
        assert "timeline" in schema.json()["properties"]
        page = http.get(url + "/simulator/ui/", timeout=30)
        assert page.status_code == 200 and "<html" in page.text.lower()


PLUGIN_TEST = """
from importlib.resources import files

import simulator


def test_installed(ccsim):
    assert "/site-packages/simulator/" in simulator.__file__
    shipped = {p.name for p in files("simulator.examples").iterdir()}
    assert {"night-theft.yaml", "morning-commute.yaml"} <= shipped
    assert files("simulator.scenario").joinpath("schema.json").is_file()
    assert files("simulator.ui.static").joinpath("index.html").is_file()
    vehicles = ccsim.api.get("/user/vehicles")["_embedded"]["vehicles"]
    assert len(vehicles) == 3
"""


def test_the_pytest_plugin_from_the_wheel(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "test_app.py").write_text(PLUGIN_TEST, encoding="utf-8")
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
         *LEAN_PYTEST, "test_app.py"],
        capture_output=True, text=True, cwd=tmp_path, env=clean_env(), timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
