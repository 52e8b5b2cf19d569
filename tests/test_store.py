"""The snapshot store: dedup, raw bytes kept, versions, migrations, atomic saves."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from lcdtrack.errors import NotFound, StoreError
from lcdtrack.extractors import extract
from lcdtrack.pipeline import ingest
from lcdtrack.snapshots import SnapshotStore
from lcdtrack.snapshots.migrations import migrations
from tests.conftest import case


def test_saving_identical_content_creates_no_new_snapshot(store: SnapshotStore) -> None:
    raw = case("L39314_v7.coverage-api").raw()
    first = ingest(store, raw)
    second = ingest(store, raw)
    assert first.created and not second.created
    assert second.snapshot.id == first.snapshot.id
    assert store.counts() == {"documents": 1, "snapshots": 1, "raw_sources": 1}


def test_raw_bytes_are_kept_and_re_extract_to_the_same_record(store: SnapshotStore) -> None:
    raw = case("L39314_v7.coverage-api").raw()
    snapshot = ingest(store, raw).snapshot
    assert store.raw(snapshot.raw_hash) == raw.content
    stored_size = store.db.execute(
        "select length(content) from raw_sources where hash = ?", [snapshot.raw_hash]
    ).fetchone()[0]
    assert stored_size < len(raw.content) / 2  # compressed
    again = extract(raw.__class__(content=store.raw(snapshot.raw_hash), source="stored"))[1]
    assert again == snapshot.record


def test_snapshot_record_round_trips(store: SnapshotStore) -> None:
    raw = case("L39314_v7.mcd-page-text").raw()
    saved = ingest(store, raw).snapshot
    assert store.latest("L39314").record == case("L39314_v7.mcd-page-text").record()
    assert saved.extractor == "mcd-page-text" and saved.record_hash.startswith("sha256:")


def test_latest_and_versions(store: SnapshotStore) -> None:
    ingest(store, case("L39314_v7.coverage-api").raw())
    ingest(store, case("DL39314_v19.coverage-api").raw())
    assert store.latest("l39314").version == 7
    assert store.latest("DL39314", 19).record.kind == "proposed"
    with pytest.raises(NotFound, match="L39314@8"):
        store.latest("L39314", 8)
    with pytest.raises(NotFound, match="fetch it first"):
        store.history("L12345")


def test_query_tables_answer_real_questions(store: SnapshotStore) -> None:
    ingest(store, case("DL39314_v19.coverage-api").raw())
    ingest(store, case("L39314_v7.coverage-api").raw())
    rows = store.db.execute(
        "select s.document_id, s.version, i.name from indications i "
        "join snapshots s on s.id = i.snapshot_id where i.match_key like '%necrotizing%'"
    ).fetchall()
    assert rows == [("L39314", 7, "Immune-mediated Necrotizing Myositis (IMNM)")]
    sections = store.db.execute(
        "select count(*) from sections s join snapshots n on n.id = s.snapshot_id "
        "where n.document_id = 'L39314'"
    ).fetchone()[0]
    assert sections == len(case("L39314_v7.coverage-api").record().sections)


def test_migrations_are_applied_once(tmp_path: Path) -> None:
    every = [m.name for m in migrations.pending(Database(memory=True))]
    assert every[:3] == ["m001_initial", "m002_report_state", "m003_compact_storage"]
    path = tmp_path / "m.db"
    SnapshotStore(path).close()
    with SnapshotStore(path) as store:
        assert [m.name for m in migrations.applied(store.db)] == every
        assert not migrations.pending(store.db)


def test_a_failed_save_leaves_the_database_unchanged(store: SnapshotStore) -> None:
    ingest(store, case("DL39314_v19.coverage-api").raw())
    before = list(store.db.conn.iterdump())
    raw = case("L39314_v7.coverage-api").raw()
    record = extract(raw)[1]
    store.db.execute("create trigger fail before insert on indications "
                     "begin select raise(abort, 'disk trouble'); end")  # fmt: skip
    with pytest.raises(StoreError, match="disk trouble"):
        store.save(raw, record, "coverage-api", "1")
    store.db.execute("drop trigger fail")
    assert list(store.db.conn.iterdump()) == before


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "not.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        SnapshotStore(path)
    assert path.read_bytes() == b"this is not sqlite" * 100


def test_wal_mode_and_busy_timeout(tmp_path: Path) -> None:
    with SnapshotStore(tmp_path / "w.db") as store:
        assert store.db.execute("pragma journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("pragma busy_timeout").fetchone()[0] >= 1000
    assert sqlite3.connect(tmp_path / "w.db").execute("pragma integrity_check").fetchone() == (
        "ok",
    )
