"""Hostile arguments and archives: SQL is only ever built with parameters (ids, search words and
reviewer names full of quotes, semicolons and FTS operators do no harm), query parameters reach
the API encoded, and path arguments cannot escape their directory (a zip member or bundle entry
named `../../x` is never written anywhere; `demo --keep` and `import` write only what the user
named)."""

from __future__ import annotations

import ast
import json
import os
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest

from lcdtrack.models import API_BUNDLE_FORMAT
from tests import bulk_fixtures as fx
from tests.conftest import case
from tests.replay_server import synthesize_lcds
from tests.robustness_helpers import (
    ROOT,
    FaultyReplayServer,
    contents,
    problems,
    robustness_tally,  # noqa: F401 - the session's fault/crash/fuzz counter
    run_cli,
)

SQL = re.compile(
    r"\s*(pragma\s|(select|insert|update|delete|create|drop|alter)\s.*\s(from|into|set|where|table)\s)",
    re.IGNORECASE | re.DOTALL,
)
SQL_FRAGMENT_NAMES = {"where", "latest", "table", "BUSY_TIMEOUT_MS"}
"""The only names an SQL f-string may interpolate: fragments and constants the code builds
itself (a WHERE clause of `?` placeholders, a fixed table name). Values go in as parameters."""
INJECTIONS = (
    "L39314'; DROP TABLE snapshots; --",
    "L39314' OR '1'='1",
    'L39314" OR 1=1 --',
    "L39314@7; DELETE FROM changes",
)
SEARCHES = (
    "'; DROP TABLE sections; --",
    'myositis" OR 1=1 --',
    "NEAR(immune globulin) OR * ^ AND NOT",
    '"unbalanced',
    "name:IVIG text:x",
    "\x1b[2J\u202e",
)


def _sql_fstrings(tree: ast.AST) -> list[tuple[int, str, list[str]]]:
    """(line, SQL head, interpolated expressions) of every f-string that reads as SQL."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        if not SQL.match(text):
            continue
        values = [ast.unparse(v.value) for v in node.values if isinstance(v, ast.FormattedValue)]
        found.append((node.lineno, text.strip()[:40], values))
    return found


def test_sql_is_built_with_parameters_only() -> None:
    """Every SQL f-string in lcdtrack interpolates only SQL fragments the code builds itself;
    `"… where id = {document_id}"` would fail here."""
    offenders = []
    checked = 0
    for path in sorted((ROOT / "lcdtrack").rglob("*.py")):
        for line, head, values in _sql_fstrings(ast.parse(path.read_text(encoding="utf-8"))):
            checked += 1
            for value in values:
                if value not in SQL_FRAGMENT_NAMES:
                    offenders.append(f"{path.relative_to(ROOT)}:{line}: {{{value}}} in {head!r}")
    assert checked >= 3, "the scan should find the store's few SQL f-strings"
    assert offenders == []


def test_the_sql_scan_catches_a_value_spliced_in() -> None:
    tree = ast.parse("db.execute(f\"select * from snapshots where document_id = '{doc}'\")")
    assert _sql_fstrings(tree) == [(1, "select * from snapshots where document_i", ["doc"])]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DL39314 v19 and L39314 v7 stored (with the changes between two L39314 versions)."""
    folder = tmp_path_factory.mktemp("sql")
    path = folder / "sql.db"
    sources = []
    for name in ("DL39314_v19.coverage-api", "L39314_v7.coverage-api"):
        source = folder / f"{name}.json"
        source.write_bytes(case(name).input.read_bytes())
        sources.append(str(source))
    revised = json.loads(case("L39314_v7.coverage-api").input.read_text())
    revised["data"][0].update(lcd_version=8, title="Revised title")
    (folder / "v8.json").write_text(json.dumps(revised))
    result = run_cli(path, "fetch", *sources, str(folder / "v8.json"))
    assert result.returncode == 0, result.stderr
    return path


def _unharmed(db: Path, before: dict[str, object]) -> None:
    assert problems(db) == []
    assert contents(db) == before


@pytest.mark.parametrize("reference", INJECTIONS)
def test_hostile_ids_are_refused_or_match_nothing(db: Path, reference: str) -> None:
    before = contents(db)
    for command in (("show", reference), ("history", reference), ("diff", reference)):
        result = run_cli(db, *command)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith("Error: ")
    listed = run_cli(db, "changes", reference)
    assert listed.returncode == 0 and listed.stdout == "No changes.\n", listed.stdout
    _unharmed(db, before)


@pytest.mark.parametrize("words", SEARCHES)
def test_hostile_search_words_are_quoted(db: Path, words: str) -> None:
    before = contents(db)
    result = run_cli(db, "search", words, "--all-versions")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    _unharmed(db, before)


def test_a_hostile_indication_query_and_reviewer_are_data(db: Path) -> None:
    before = contents(db)
    history = run_cli(db, "history", "L39314", "--indication", "' OR 1=1; DROP TABLE changes --")
    assert history.returncode == 2 and "no stored version has an indication" in history.stderr
    _unharmed(db, before)
    reviewer = "x'); DROP TABLE changes; --"
    assert run_cli(db, "ack", "1", "--by", reviewer).returncode == 0
    conn = sqlite3.connect(db)
    assert conn.execute("select reviewed_by from changes where id = 1").fetchone() == (reviewer,)
    assert conn.execute("select count(*) from changes").fetchone()[0] > 0
    conn.close()


def test_report_filters_reach_the_api_encoded(tmp_path: Path) -> None:
    contractor = "269'; DROP TABLE snapshots;--&status=R"
    with FaultyReplayServer() as server:
        synthesize_lcds(server, 2)
        result = run_cli(
            tmp_path / "f.db", "fetch", "--all", "--api-url", server.url, "--contractor", contractor
        )
        assert result.returncode == 0, result.stderr
        (query,) = [q for path, q in server.log if path.startswith("/v1/reports/")]
    assert query == {"contractor_id": contractor}


# -- paths ----------------------------------------------------------------------------------


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _hostile_download(path: Path, escape: str) -> Path:
    """An outer zip whose inner csv zip and every CSV inside are named `escape + name`."""
    files = fx.default_tables().files()
    inner = path.with_name("inner.zip")
    with zipfile.ZipFile(inner, "w") as archive:
        for name, content in files.items():
            archive.writestr(escape + name, content)
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(inner, escape + "current_lcd_csv.zip")
        archive.writestr(escape + "evil.txt", b"must never be written")
    inner.unlink()
    return path


@pytest.mark.parametrize(
    ("escape", "readable"),
    [("../../", True), ("/tmp/lcdtrack-escape/", True), ("..\\..\\", False)],
    ids=["dot-dot", "absolute", "backslashes"],
)
def test_import_never_writes_archive_member_names(
    tmp_path: Path, escape: str, readable: bool
) -> None:
    """Members named `../../lcd.csv` or with an absolute path are read, never written (names
    with Windows separators are not found, a named error): either way, the only new file is the
    database the user named."""
    work = tmp_path / "a" / "b" / "c"
    work.mkdir(parents=True)
    download = _hostile_download(tmp_path / "current_lcd.zip", escape)
    before = _files(tmp_path)
    result = run_cli(work / "history.db", "import", str(download), cwd=work)
    if readable:
        assert result.returncode == 0 and "2 new" in result.stdout, result.stderr
    else:
        assert result.returncode == 2 and result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr
    assert _files(tmp_path) - before == {"a/b/c/history.db"}
    assert not Path("/tmp/lcdtrack-escape").exists()


def test_a_bundle_naming_paths_is_only_read(tmp_path: Path) -> None:
    """A saved Coverage API bundle whose response and article names are paths: extracting it
    writes nothing but the database."""
    lcd = case("L39314_v7.coverage-api").input.read_text()
    bundle = {
        "format": API_BUNDLE_FORMAT,
        "document": "lcd",
        "base_url": "https://api.coverage.cms.gov",
        "fetched_at": "2025-08-17T12:00:00+00:00",
        "responses": {"lcd": lcd, "../../x": lcd, "/tmp/lcdtrack-escape-x": "{}"},
        "articles": [{"format": API_BUNDLE_FORMAT, "document": "../../y", "responses": {}}],
    }
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    (work / "bundle.json").write_text(json.dumps(bundle))
    before = _files(tmp_path)
    result = run_cli(work / "h.db", "fetch", "bundle.json", cwd=work)
    assert "Traceback" not in result.stderr
    assert _files(tmp_path) - before <= {"a/b/h.db"}
    assert not Path("/tmp/lcdtrack-escape-x").exists()


def test_demo_keep_writes_only_the_named_file(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    before = _files(tmp_path)
    result = run_cli(tmp_path / "unused.db", "demo", "--keep", "kept/demo.db", cwd=work)
    assert result.returncode == 0, result.stderr
    assert _files(tmp_path) - before == {"work/kept/demo.db"}


def test_demo_keep_never_overwrites(tmp_path: Path) -> None:
    precious = tmp_path / "precious.db"
    precious.write_bytes(b"not a database, and not the demo's to replace")
    for target in (precious, tmp_path / "link.db"):
        if target.name == "link.db":
            os.symlink(precious, target)
        result = run_cli(tmp_path / "unused.db", "demo", "--keep", str(target), cwd=tmp_path)
        assert result.returncode == 2 and "exists" in result.stderr
    assert precious.read_bytes() == b"not a database, and not the demo's to replace"
