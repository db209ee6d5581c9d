"""The code's shape (issue 20): no import cycle, no file over 800 lines, no function
over 80 lines in ``simulator/``.  ``bench/import_cycles.py`` builds the import graph."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "simulator"
MAX_FILE_LINES = 800
MAX_FUNCTION_LINES = 80


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _find_cycles(package: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "import_cycles.py"), str(package)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_no_import_cycle() -> None:
    run = _find_cycles(PACKAGE)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("no import cycle"), run.stdout


def test_the_cycle_finder_sees_a_late_import_and_skips_type_checking(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg import b\n")
    (package / "b.py").write_text("from pkg.a import f\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import d\n"
    )
    (package / "d.py").write_text("import pkg.c\n")
    run = _find_cycles(package)
    assert run.returncode == 1, run.stdout
    assert "pkg.a -> pkg.b -> pkg.a" in run.stdout
    assert "pkg.c" not in run.stdout


def test_no_file_over_800_lines() -> None:
    too_long = {
        _name(path): lines
        for path in _sources()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    }
    assert not too_long, f"files over {MAX_FILE_LINES} lines: {too_long}"


def _long_functions(path: Path, root: Path = ROOT) -> list[str]:
    """``"simulator/x.py:12 name (95 lines)"`` for each function of ``path`` over the
    limit (nested ones counted on their own), named relative to ``root``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno is not None
            lines = node.end_lineno - node.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_no_function_over_80_lines() -> None:
    too_long = [found for path in _sources() for found in _long_functions(path)]
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(too_long)


def test_the_length_check_counts_a_function_from_def_to_its_last_line(tmp_path: Path) -> None:
    path = tmp_path / "probe.py"
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES - 1))
    path.write_text(f"def fits():\n{body}\n\nasync def over():\n{body}    return x0\n")
    assert _long_functions(path, tmp_path) == [
        f"probe.py:{MAX_FUNCTION_LINES + 3} over ({MAX_FUNCTION_LINES + 1} lines)"
    ]
