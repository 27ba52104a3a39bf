"""mypy on src/ is part of the suite, so CI refuses a change that breaks the types."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_type_errors_in_src():
    # The [tool.mypy] section of pyproject.toml says what to check (the vshop package).
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"mypy failed:\n{result.stdout}{result.stderr}"
