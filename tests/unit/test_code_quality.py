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
