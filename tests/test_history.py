"""The history people query: the change log as data, timelines, the version in force on a date,
search, re-extraction, the review backlog, Datasette metadata and schema upgrades."""

from __future__ import annotations

import json
import re
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database
from typer.testing import CliRunner

from lcdtrack.cli import app
from lcdtrack.errors import LayoutChanged
from lcdtrack.pipeline import ingest, reextract
from lcdtrack.snapshots import SnapshotStore, queries
from lcdtrack.snapshots.canonical import canonical_json, content_hash, record_hash
from lcdtrack.snapshots.migrations import migrations
from tests.conftest import case
from tests.mutate import edit_api_record

IMNM = "Immune-mediated Necrotizing Myositis (IMNM)"


def _version(edit=None, version: int = 8, **fields):  # type: ignore[no-untyped-def]
    raw = case("L39314_v7.coverage-api").raw()
    edits = {"indication": edit} if edit else {}
    return edit_api_record(raw, edits, lcd_version=version, **fields)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SnapshotStore]:
    with SnapshotStore(tmp_path / "h.db") as opened:
        yield opened


def test_changes_are_stored_as_rows_with_versions(store: SnapshotStore) -> None:
    ingest(store, case("L39314_v7.coverage-api").raw())
    ingest(store, _version(lambda t: t.replace("0.4 to 1.5 g/kg", "0.5 to 1.5 g/kg")))
    rows = store.db.execute(
        "select from_version, to_version, kind, subject, aspect, before, after, severity "
        "from changes where kind like 'indication%'"
    ).fetchall()
    assert rows == [
        (7, 8, "indication_changed", "Autoimmune retinopathy (AIR)", "dose_changed",
         "0.4 to 1.5 g/kg per month", "0.5 to 1.5 g/kg per month", "high"),
    ]  # fmt: skip


def test_removal_is_a_first_class_row_and_one_query_answers_when(store: SnapshotStore) -> None:
    ingest(store, case("L39314_v7.coverage-api").raw())
    ingest(
        store, _version(lambda t: t.replace(IMNM, "XX-REMOVED").replace("<li>XX-REMOVED</li>", ""))
    )
    ingest(store, _version(version=9, rev_eff_date="01/01/2026"))
    when = store.db.execute(
        "select c.kind, c.from_version, c.to_version from changes c "
        "where c.document_id = 'L39314' and c.subject like '%(IMNM)%' order by c.id"
    ).fetchall()
    assert when == [("indication_removed", 7, 8), ("indication_added", 8, 9)]


def test_cms_statement_is_kept_beside_the_change(store: SnapshotStore) -> None:
    ingest(store, case("L39314_v7.coverage-api").raw())
    ingest(
        store,
        _version(
            lambda t: t.replace("0.4 to 1.5 g/kg", "0.5 to 1.5 g/kg"),
            synopsis_changes="&lt;p&gt;Dosing for AIR was revised.&lt;&sol;p&gt;",
        ),
    )
    notes = store.db.execute("select kind, source, text from change_notes").fetchall()
    assert notes == [("cms_statement", "Synopsis of Changes", "Dosing for AIR was revised.")]


def test_a_version_stored_out_of_order_is_relinked(store: SnapshotStore) -> None:
    ingest(store, case("L39314_v7.coverage-api").raw())
    ingest(store, _version(lambda t: t.replace("0.4 to 1.5 g/kg", "0.6 to 1.5 g/kg"), version=9))
    ingest(store, _version(lambda t: t.replace("0.4 to 1.5 g/kg", "0.5 to 1.5 g/kg"), version=8))
    pairs = store.db.execute(
        "select from_version, to_version, before, after from changes where aspect = 'dose_changed' "
        "order by to_version"
    ).fetchall()
    assert pairs == [
        (7, 8, "0.4 to 1.5 g/kg per month", "0.5 to 1.5 g/kg per month"),
        (8, 9, "0.5 to 1.5 g/kg per month", "0.6 to 1.5 g/kg per month"),
    ]


def test_a_layout_change_never_becomes_the_current_version(store: SnapshotStore) -> None:
    ingest(store, case("L39314_v7.coverage-api").raw())
    before = list(store.db.conn.iterdump())
    flat = _version(lambda t: re.sub(r"</?(ul|ol)>", "", t.replace("li>", "p>")))
    with pytest.raises(LayoutChanged):
        ingest(store, flat)
    assert list(store.db.conn.iterdump()) == before


def test_indication_timeline_on_the_demo_pair(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "demo.db"
    runner.invoke(app, ["demo", "--keep", str(db)])
    result = runner.invoke(app, ["--db", str(db), "history", "L39314", "--indication", "IMNM"])
    assert result.exit_code == 0, result.output
    lines = [line.split(maxsplit=2) for line in result.stdout.splitlines() if "@" in line]
    assert [(label, when, event.split(":")[0]) for label, when, event in lines] == [
        ("DL39314@19", "(proposed)", "absent in the proposed LCD"),
        ("L39314@7", "(2022-11-01)", "added"),
    ]
    proposed = runner.invoke(app, ["--db", str(db), "history", "DL39314", "--indication", "IMNM"])
    assert proposed.exit_code == 2 and "no stored version" in proposed.stderr


def test_indication_timeline_across_versions(store: SnapshotStore) -> None:
    ingest(store, case("L39314_v7.coverage-api").raw())
    ingest(store, _version(lambda t: t.replace("0.4 to 1.5 g/kg", "0.5 to 1.5 g/kg")))
    events = queries.indication_timeline(store, "L39314", "AIR")
    assert [(e.snapshot.version, e.event) for e in events] == [
        (7, "present in the first stored version"),
        (8, "dose_changed"),
    ]
    assert "0.4 to 1.5 g/kg per month → 0.5 to 1.5 g/kg per month" in events[1].detail


def test_version_timeline_has_counts_and_cms_words(store: SnapshotStore) -> None:
    ingest(store, case("L39314_v7.coverage-api").raw())
    ingest(store, _version(lambda t: t.replace("0.4 to 1.5 g/kg", "0.5 to 1.5 g/kg")))
    entries = queries.version_timeline(store, "L39314")
    assert [e.snapshot.version for e in entries] == [7, 8]
    assert entries[1].counts.get("high") == 1


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2022-12-01", 7),
        ("2025-09-07", 8),
        ("2026-02-01", 8),
        ("2022-10-01", None),
    ],
)
def test_in_force_on_a_date(store: SnapshotStore, date: str, expected: int | None) -> None:
    ingest(store, _version(version=7, rev_end_date="09/06/2025"))
    ingest(store, _version(version=8, rev_eff_date="09/07/2025"))
    answer = queries.in_force(store, "L39314", date)
    assert (answer.snapshot.version if answer.snapshot else None) == expected
    if expected is None:
        assert "no stored version of L39314 covers 2022-10-01" in answer.explanation


def test_a_proposed_lcd_is_never_in_force(store: SnapshotStore) -> None:
    ingest(store, case("DL39314_v19.coverage-api").raw())
    answer = queries.in_force(store, "DL39314", "2022-10-01")
    assert answer.snapshot is None and "never in force" in answer.explanation


def test_show_as_of_through_the_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "demo.db"
    runner.invoke(app, ["demo", "--keep", str(db)])
    shown = runner.invoke(app, ["--db", str(db), "show", "L39314", "--as-of", "2022-12-01"])
    assert shown.exit_code == 0 and "L39314@7 was in force on 2022-12-01" in shown.stderr
    early = runner.invoke(app, ["--db", str(db), "show", "L39314", "--as-of", "2021-01-01"])
    assert early.exit_code == 2 and "covers 2021-01-01" in early.stderr
    bad = runner.invoke(app, ["--db", str(db), "show", "L39314", "--as-of", "yesterday"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.stderr


def test_search_finds_latest_versions_with_snippets(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "demo.db"
    runner.invoke(app, ["demo", "--keep", str(db)])
    result = runner.invoke(app, ["--db", str(db), "search", "necrotizing myositis"])
    assert result.exit_code == 0
    assert "L39314@7" in result.stdout and "indication: " + IMNM in result.stdout
    assert "DL39314@19" not in result.stdout.split("indication:")[0] or "[" in result.stdout
    hostile = runner.invoke(app, ["--db", str(db), "search", 'myositis" OR NOT "x'])
    assert hostile.exit_code == 0  # operators are quoted, never interpreted


def test_reextract_adds_only_what_differs(store: SnapshotStore) -> None:
    ingest(store, case("L39314_v7.coverage-api").raw())
    ingest(store, case("DL39314_v19.coverage-api").raw())
    assert [o.result.created for o in reextract(store) if o.result] == [False, False]
    store.db.execute("update snapshots set record_hash = 'sha256:old-extractor' where id = 1")
    outcomes = list(reextract(store))
    assert [o.result.created for o in outcomes if o.result] == [True, False]
    (shared,) = store.db.execute(
        "select count(*) from snapshots "
        "where raw_hash = (select raw_hash from snapshots where id = 1)"
    ).fetchone()
    assert shared == 2  # both records point at the same raw bytes; the old one is kept


def test_review_backlog(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "r.db"
    with SnapshotStore(db) as store:
        ingest(store, case("L39314_v7.coverage-api").raw())
        ingest(store, _version(lambda t: t.replace("0.4 to 1.5 g/kg", "0.5 to 1.5 g/kg")))
        ids = [row["id"] for row in queries.unreviewed(store)]
    listed = runner.invoke(app, ["--db", str(db), "changes", "--unreviewed"])
    assert "dose_changed" in listed.stdout
    acked = runner.invoke(app, ["--db", str(db), "ack", *map(str, ids), "--by", "analyst"])
    assert (
        acked.exit_code == 0 and f"{len(ids)} change(s) marked reviewed by analyst" in acked.stdout
    )
    assert (
        "No unreviewed changes."
        in runner.invoke(app, ["--db", str(db), "changes", "--unreviewed"]).stdout
    )


def test_datasette_metadata_names_the_database_and_its_queries(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(tmp_path / "coverage.db"), "datasette-metadata"])
    metadata = json.loads(result.stdout)
    database = metadata["databases"]["coverage"]
    assert {"changes", "indications", "snapshots"} <= set(database["tables"])
    assert "indication_history" in database["queries"]


def test_canned_queries_run_against_the_demo_database(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "demo.db"
    runner.invoke(app, ["demo", "--keep", str(db)])
    queries_ = queries.datasette_metadata("demo")["databases"]["demo"]["queries"]
    params = {"indication": "IMNM", "document": "L39314", "date": "2022-12-01", "code": "J1459"}
    with sqlite3.connect(db) as conn:
        for query in queries_.values():
            conn.execute(query["sql"], params).fetchall()  # every canned query is valid SQL
        row = conn.execute(queries_["in_force_on"]["sql"], params).fetchone()
    assert row[:2] == ("L39314", 7)


def test_a_database_from_the_first_schema_upgrades_without_loss(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m002_report_state")
    record = case("L39314_v7.coverage-api").record()
    raw = case("L39314_v7.coverage-api").raw()
    raw_hash = content_hash(raw.content)
    old.table("raw_sources").insert(
        {"hash": raw_hash, "content": zlib.compress(raw.content), "compression": "zlib"}
    )
    old.table("documents").insert(
        {"id": "L39314", "lcd_id": 39314, "kind": "final", "title": record.title}
    )
    old.table("snapshots").insert(
        {
            "id": 1,
            "document_id": "L39314",
            "version": 7,
            "record_hash": record_hash(record.to_dict()),
            "raw_hash": raw_hash,
            "extractor": "coverage-api",
            "record": canonical_json(record.to_dict()),
        }
    )
    old.table("sections").insert_all(
        {"snapshot_id": 1, "position": i, "name": s.name, "text": s.text, "html": s.html}
        for i, s in enumerate(record.sections)
    )
    old.close()
    with SnapshotStore(path) as store:
        assert store.latest("L39314").record == record
        assert store.raw(store.latest("L39314").raw_hash) == raw.content
        assert store.db.execute("select count(*) from sections").fetchone()[0] == len(
            record.sections
        )
        assert not migrations.pending(store.db)
        assert ingest(store, raw).created is False  # dedup still holds after the upgrade
