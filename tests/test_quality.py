"""Static checks run inside the test suite, so one `pytest` checks everything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "lcdtrack", "tests", "benchmarks"),
        ("ruff", "format", "--check", "lcdtrack", "tests", "benchmarks"),
        ("mypy",),
        ("lint-imports",),
        ("cog", "--check", "README.md"),
    ],
    ids=["ruff-check", "ruff-format", "mypy", "import-linter", "cog"],
)
def test_static_check(command: tuple[str, ...]) -> None:
    executable = Path(sys.executable).with_name(command[0])
    result = _run(str(executable), *command[1:])
    assert result.returncode == 0, result.stdout + result.stderr
