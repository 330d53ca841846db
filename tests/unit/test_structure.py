"""The house keeps its direction: the import contracts in pyproject.toml, ruff's rules and its
format, and mypy on app/ and workers/ (its settings in pyproject.toml too).

A new back-arrow (a feature importing a page, the ground importing a feature, two features that
were apart now leaning on each other) fails here with the import that breaks the contract; a type
error (a row that may be None used as a row, an argument of the wrong type) with mypy's report.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        [str(BIN / "lint-imports"), "--no-cache"],
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "."],
        [sys.executable, "-m", "mypy"],
    ],
    ids=["import contracts", "ruff check", "ruff format", "mypy"],
)
def test_the_code_keeps_the_house_rules(command):
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
