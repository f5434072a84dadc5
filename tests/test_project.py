"""Project-level checks: the CLI mounts, and the code passes ruff as configured."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

import cli

ROOT = Path(__file__).resolve().parent.parent


def test_root_help_lists_commands() -> None:
    result = CliRunner().invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    assert "dialer" in result.output.lower()


def test_code_passes_ruff() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    completed = subprocess.run(
        [ruff, "check", "--no-cache", str(ROOT)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_a_test_run_leaves_no_temporary_directory_behind(tmp_path):
    """The suite's stand-in data directory and the tests' tmp_path directories are removed
    once a run passes (a run of two small tests in a fresh TMPDIR, checked afterwards)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
         "tests/campaigns/test_safe_defaults.py::test_no_caller_id_is_invented_and_a_campaign"
         "_without_one_cannot_start",
         "tests/dnc/registry/test_registry_messages.py::test_registry_names_are_stored_"
         "canonically"],
        cwd=root, env={**os.environ, "TMPDIR": str(scratch)}, check=True,
        capture_output=True, timeout=240)
    left = [str(p.relative_to(scratch)) for p in scratch.rglob("*") if p.is_file()]
    assert left == []
    assert not list(scratch.glob("dialer-test-home-*"))


def test_no_test_imports_a_helper_by_a_name_two_directories_share() -> None:
    """Every test directory is on sys.path by its own name (pytest's prepend mode), so a
    bare ``from conftest import NOW`` or ``from inbound_kit import world`` gets whichever
    directory's module was loaded first: tests/campaigns with tests/dialer/web in one run
    found the web conftest, which has no NOW. A module imported by its bare name must
    exist once under tests/ and never be a conftest."""
    import ast

    tests = Path(__file__).resolve().parent
    by_name: dict[str, list[Path]] = {}
    for path in tests.rglob("*.py"):
        by_name.setdefault(path.stem, []).append(path)
    clashes = []
    for path in tests.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module
                     and not node.level else
                     [alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [])
            for name in names:
                if "." in name or name not in by_name:
                    continue
                if name == "conftest" or len(by_name[name]) > 1:
                    clashes.append(f"{path.relative_to(tests)}:{node.lineno}: {name}")
    assert clashes == []
