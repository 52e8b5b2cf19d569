"""The command line, driven through CliRunner: output as text, exit codes, bad input."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lcdtrack.cli import app
from tests.conftest import case

API_FINAL = case("L39314_v7.coverage-api").input
API_PROPOSED = case("DL39314_v19.coverage-api").input
COMMANDS = ["fetch", "show", "history", "diff", "demo", "extractors"]


def _invoke(runner: CliRunner, db: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", str(db), *args])


def _dump(db: Path) -> list[str]:
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


def test_fetch_prints_one_line_per_source_and_dedups(runner: CliRunner, db_path: Path) -> None:
    result = _invoke(runner, db_path, "fetch", str(API_PROPOSED), str(API_FINAL))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["DL39314@19", "new", "coverage-api"]
    assert lines[1].split()[:3] == ["L39314@7", "new", "coverage-api"]
    again = _invoke(runner, db_path, "fetch", str(API_FINAL))
    assert again.stdout.split()[:2] == ["L39314@7", "unchanged"]


def test_diff_proposed_to_final(runner: CliRunner, db_path: Path) -> None:
    _invoke(runner, db_path, "fetch", str(API_PROPOSED), str(API_FINAL))
    result = _invoke(runner, db_path, "diff", "DL39314", "L39314")
    assert result.exit_code == 1  # diff(1): changes found
    assert "DL39314@19 → L39314@7" in result.stdout
    assert "+ indication added: Immune-mediated Necrotizing Myositis (IMNM)" in result.stdout
    assert "1 indication added, 0 removed, 0 changed" in result.stdout


def test_diff_json_schema(runner: CliRunner, db_path: Path) -> None:
    _invoke(runner, db_path, "fetch", str(API_PROPOSED), str(API_FINAL))
    result = _invoke(runner, db_path, "diff", "DL39314@19", "L39314@7", "--format", "json")
    data = json.loads(result.stdout)
    assert set(data) == {"old", "new", "summary", "changes", "cms_statements", "disagreements"}
    assert (data["old"]["id"], data["old"]["version"]) == ("DL39314", 19)
    assert (data["new"]["id"], data["new"]["version"]) == ("L39314", 7)
    indication_changes = [c for c in data["changes"] if c["kind"].startswith("indication_")]
    assert indication_changes == [
        {
            "kind": "indication_added",
            "indication": "Immune-mediated Necrotizing Myositis (IMNM)",
            "severity": "medium",
            "before": None,
            "after": indication_changes[0]["after"],
        }
    ]
    assert all("kind" in c for c in data["changes"])
    section = next(c for c in data["changes"] if c["kind"] == "section_changed")
    assert {op for op, _ in section["diff"]} <= {"=", "-", "+"}


def test_diff_markdown(runner: CliRunner, db_path: Path) -> None:
    _invoke(runner, db_path, "fetch", str(API_PROPOSED), str(API_FINAL))
    result = _invoke(runner, db_path, "diff", "DL39314", "L39314", "-f", "markdown")
    assert result.stdout.startswith("## DL39314@19 → L39314@7")
    assert "- **Added:** Immune-mediated Necrotizing Myositis (IMNM)" in result.stdout


def test_diff_of_identical_snapshots_exits_zero(runner: CliRunner, db_path: Path) -> None:
    _invoke(runner, db_path, "fetch", str(API_FINAL))
    result = _invoke(runner, db_path, "diff", "L39314@7", "L39314")
    assert result.exit_code == 0
    assert "No changes." in result.stdout


def test_diff_with_one_id_compares_its_two_latest(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    _invoke(runner, db_path, "fetch", str(API_FINAL))
    edited = tmp_path / "v8.json"
    edited.write_text(API_FINAL.read_text().replace('"lcd_version":7', '"lcd_version":8')
                      .replace("0.4 to 1.5 g&sol;kg", "0.5 to 1.5 g&sol;kg"))  # fmt: skip
    assert _invoke(runner, db_path, "fetch", str(edited)).exit_code == 0
    result = _invoke(runner, db_path, "diff", "L39314")
    assert result.exit_code == 1
    assert "L39314@7 → L39314@8" in result.stdout
    assert (
        "Autoimmune retinopathy (AIR): dose changed: "
        "0.4 to 1.5 g/kg per month → 0.5 to 1.5 g/kg per month" in result.stdout
    )
    history = _invoke(runner, db_path, "history", "L39314")
    assert history.exit_code == 0
    rows = [line.split() for line in history.stdout.splitlines() if "L39314@" in line]
    assert [row[1] for row in rows] == ["L39314@7", "L39314@8"]
    assert rows[1][3:5] == ["1", "(1"]  # one change from the previous version: the dose, high


def test_show_text_and_json(runner: CliRunner, db_path: Path) -> None:
    _invoke(runner, db_path, "fetch", str(API_FINAL))
    text = _invoke(runner, db_path, "show", "L39314")
    assert text.exit_code == 0
    assert "Indications (11)" in text.stdout
    assert "dose: 0.4 to 1.5 g/kg per month" in text.stdout
    as_json = json.loads(_invoke(runner, db_path, "show", "L39314@7", "-f", "json").stdout)
    assert as_json["record"]["public_id"] == "L39314"
    assert len(as_json["record"]["indications"]) == 11


def test_demo_reports_the_imnm_addition_offline(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    block = result.stdout.split("\nIndications\n", 1)[1].split("\n\n", 1)[0]
    indication_lines = [line for line in block.splitlines() if line[:3] in ("  +", "  -", "  ~")]
    assert indication_lines == ["  + indication added: Immune-mediated Necrotizing Myositis (IMNM)"]


def test_demo_keep_writes_a_database(runner: CliRunner, tmp_path: Path) -> None:
    kept = tmp_path / "demo.db"
    result = runner.invoke(app, ["demo", "--keep", str(kept)])
    assert result.exit_code == 0
    shown = runner.invoke(app, ["--db", str(kept), "show", "DL39314"])
    assert "Indications (10)" in shown.stdout


BAD_INPUTS = {
    "non-LCD HTML": ("page.html", b"<!doctype html><html><body><h1>CMS</h1></body></html>"),
    "non-LCD JSON": ("other.json", b'{"results": [1, 2, 3]}'),
    "truncated JSON": ("cut.json", API_FINAL.read_bytes()[:5000]),
    "empty data": ("empty.json", b'{"meta": {"status": {"id": 200}}, "data": []}'),
    "binary": ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x02"),
    "truncated page text": ("page.txt", case("L39314_v7.mcd-page-text").input.read_bytes()[:9000]),
}


@pytest.mark.parametrize("name", [*BAD_INPUTS, "missing path"])
def test_bad_input_is_one_error_line_exit_2_and_no_change(
    runner: CliRunner, db_path: Path, tmp_path: Path, name: str
) -> None:
    _invoke(runner, db_path, "fetch", str(API_PROPOSED))
    before = _dump(db_path)
    if name == "missing path":
        path = tmp_path / "does-not-exist.json"
    else:
        filename, content = BAD_INPUTS[name]
        path = tmp_path / filename
        path.write_bytes(content)
    result = _invoke(runner, db_path, "fetch", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and str(path) in lines[0]
    assert _dump(db_path) == before


def test_one_bad_source_does_not_stop_the_others(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.json"
    result = _invoke(runner, db_path, "fetch", str(missing), str(API_FINAL))
    assert result.exit_code == 2
    assert "L39314@7" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "L39314"], "no such database"),
        (["diff", "L39314", "L1"], "no such database"),
    ],
)
def test_reading_commands_do_not_create_a_database(
    runner: CliRunner, db_path: Path, args: list[str], message: str
) -> None:
    result = _invoke(runner, db_path, *args)
    assert result.exit_code == 2 and message in result.stderr
    assert not db_path.exists()


def test_unknown_reference_is_explained(runner: CliRunner, db_path: Path) -> None:
    _invoke(runner, db_path, "fetch", str(API_FINAL))
    result = _invoke(runner, db_path, "show", "IVIG")
    assert result.exit_code == 2
    assert "not an LCD id" in result.stderr


def test_db_from_environment(runner: CliRunner, db_path: Path) -> None:
    result = runner.invoke(app, ["fetch", str(API_FINAL)], env={"LCDTRACK_DB": str(db_path)})
    assert result.exit_code == 0 and db_path.exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(runner: CliRunner, command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.stdout and len(result.stdout.splitlines()) > 4


def test_extractors_are_listed(runner: CliRunner) -> None:
    result = runner.invoke(app, ["extractors"])
    assert [line.split()[0] for line in result.stdout.splitlines()] == [
        "mcd-download",
        "coverage-api",
        "coverage-api-article",
        "mcd-page-text",
        "mcd-page-html",
    ]


def test_diff_proposed_finds_the_source_proposed_lcd(runner: CliRunner, db_path: Path) -> None:
    _invoke(runner, db_path, "fetch", str(API_PROPOSED), str(API_FINAL))
    result = _invoke(runner, db_path, "diff", "--proposed", "L39314")
    assert result.exit_code == 1
    assert "DL39314@19 → L39314@7" in result.stdout
    assert "Immune-mediated Necrotizing Myositis (IMNM)" in result.stdout


def test_diff_proposed_without_the_proposal_says_what_to_do(
    runner: CliRunner, db_path: Path
) -> None:
    _invoke(runner, db_path, "fetch", str(API_FINAL))
    result = _invoke(runner, db_path, "diff", "--proposed", "L39314")
    assert result.exit_code == 2 and "no source proposed LCD is known" in result.stderr


def test_min_severity_filters_the_listing(runner: CliRunner, db_path: Path) -> None:
    _invoke(runner, db_path, "fetch", str(API_PROPOSED), str(API_FINAL))
    result = _invoke(
        runner, db_path, "diff", "DL39314", "L39314", "-f", "json", "--min-severity", "medium"
    )
    severities = {c["severity"] for c in json.loads(result.stdout)["changes"]}
    assert severities == {"medium"}
