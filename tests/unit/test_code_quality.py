"""The code checks itself: ruff (lint, and the formatter's check) and mypy, configured in
pyproject.toml for chalicelib/, infra/, portal_cli/ and app.py (tests/ and bench/: pyflakes and import
order only), report nothing."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is not installed: `make install` (requirements-dev.txt)"
    return found


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NO_COLOR": "1"})


def test_ruff_finds_nothing():
    result = _run(_tool("ruff"), "check", "--no-cache", "--output-format", "concise")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_changes_nothing():
    result = _run(_tool("ruff"), "format", "--check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing():
    result = _run(_tool("mypy"), "--no-incremental", "--no-error-summary")
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_test_module_imports_another_or_a_conftest():
    """Shared helpers live in `*_support.py` modules and fixtures in conftest or plugins, so a
    test file can be moved, renamed or run alone without breaking another."""
    import ast

    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module or ''}.{a.name}".lstrip(".") for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            last_parts = {name.rsplit(".", 1)[-1] for name in names if name}
            if any(part == "conftest" or part.startswith("test_") for part in last_parts):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found
