"""The README documents every command and option the CLI has."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from lcdtrack.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
COMMAND = typer.main.get_command(app)
SUBCOMMANDS = COMMAND.commands  # type: ignore[attr-defined]
COMMANDS = sorted(SUBCOMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_documented(name: str) -> None:
    assert f"### `lcdtrack {name}" in README


@pytest.mark.parametrize(
    "option",
    sorted(
        {
            opt
            for command in [COMMAND, *SUBCOMMANDS.values()]
            for param in command.params
            if param.param_type_name == "option"
            for opt in param.opts
            if opt.startswith("--") and opt != "--help"
        }
    ),
)
def test_option_is_documented(option: str) -> None:
    assert f"`{option}" in README or f"{option} " in README


def test_the_two_commands_are_in_the_quick_start() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("## Usage", 1)[0]
    assert "pip install . && lcdtrack demo" in quick_start
    assert "pip install -e '.[test]' && pytest" in quick_start


def test_ci_runs_the_readme_test_command() -> None:
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]' && pytest" in ci


def test_readme_sqlite_utils_recipes_run_on_the_demo_database(tmp_path: Path) -> None:
    import shlex
    import subprocess
    import sys

    from typer.testing import CliRunner

    db = tmp_path / "lcdtrack.db"
    CliRunner().invoke(app, ["demo", "--keep", str(db)])
    recipes = [line for line in README.splitlines() if line.startswith("sqlite-utils lcdtrack.db")]
    assert len(recipes) >= 6
    executable = Path(sys.executable).with_name("sqlite-utils")
    for recipe in recipes:
        args = shlex.split(recipe)[1:]
        result = subprocess.run(
            [str(executable), *args], cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, (recipe, result.stderr)
    query = "select name from indication_timeline where name like '%IMNM%'"
    imnm = subprocess.run(
        [str(executable), "lcdtrack.db", query],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Immune-mediated Necrotizing Myositis (IMNM)" in imnm.stdout
