"""The snapshot store's schema, as `sqlite_utils.Migrations`. Released migrations never change;
a schema change is a new function at the end. Opening a store applies what is pending.
"""

from __future__ import annotations

import zlib

from sqlite_utils import Database, Migrations

from lcdtrack.snapshots.canonical import content_hash

migrations = Migrations("lcdtrack")


@migrations()
def m001_initial(db: Database) -> None:
    db.table("raw_sources").create(
        {
            "hash": str,
            "content": bytes,
            "compression": str,
            "size": int,
            "media_type": str,
            "first_source": str,
            "stored_at": str,
        },
        pk="hash",
    )
    db.table("documents").create(
        {
            "id": str,
            "lcd_id": int,
            "kind": str,
            "title": str,
            "first_seen": str,
            "last_seen": str,
        },
        pk="id",
    )
    db.table("snapshots").create(
        {
            "id": int,
            "document_id": str,
            "lcd_id": int,
            "version": int,
            "title": str,
            "record_hash": str,
            "raw_hash": str,
            "extractor": str,
            "extractor_version": str,
            "source": str,
            "fetched_at": str,
            "saved_at": str,
            "original_effective": str,
            "revision_effective": str,
            "revision_ending": str,
            "retirement": str,
            "last_updated": str,
            "record": str,
        },
        pk="id",
        foreign_keys=[("document_id", "documents", "id"), ("raw_hash", "raw_sources", "hash")],
        not_null={"document_id", "record_hash", "raw_hash", "extractor", "record"},
    )
    db.table("snapshots").create_index(["document_id", "version", "record_hash"], unique=True)
    db.table("sections").create(
        {"snapshot_id": int, "position": int, "name": str, "text": str, "html": str},
        pk=("snapshot_id", "position"),
        foreign_keys=[("snapshot_id", "snapshots", "id")],
    )
    db.table("indications").create(
        {
            "snapshot_id": int,
            "position": int,
            "name": str,
            "match_key": str,
            "aliases": str,
            "stance": str,
            "criteria": str,
            "doses": str,
            "text": str,
        },
        pk=("snapshot_id", "position"),
        foreign_keys=[("snapshot_id", "snapshots", "id")],
    )
    db.table("indications").create_index(["match_key"])


@migrations()
def m002_report_state(db: Database) -> None:
    """What the CMS reports said about each document version when lcdtrack last looked, so a
    sync can skip versions whose report row has not changed without any per-document request."""
    db.table("report_state").create(
        {"document_id": str, "version": int, "updated_on": str, "checked_at": str},
        pk=("document_id", "version"),
    )


@migrations()
def m003_compact_storage(db: Database) -> None:
    """Keep records zlib-compressed (`record_zlib`, canonical JSON) and section HTML only inside
    the record: a snapshot of a typical LCD drops from ~200 KB to ~80 KB."""
    db.table("snapshots").add_column("record_zlib", bytes)
    rows = db.execute("select id, record from snapshots").fetchall()
    for snapshot_id, record in rows:
        db.execute(
            "update snapshots set record_zlib = ? where id = ?",
            [zlib.compress(record.encode("utf-8"), RECORD_COMPRESSION), snapshot_id],
        )
    db.table("snapshots").transform(drop={"record"})
    db.table("sections").transform(drop={"html"})


@migrations()
def m004_codes(db: Database) -> None:
    """One row per code of each snapshot's code groups (from its Billing and Coding articles),
    so "which LCDs cover J1459?" is one query."""
    db.table("codes").create(
        {
            "snapshot_id": int,
            "system": str,
            "code_group": str,
            "coverage": str,
            "code": str,
            "description": str,
            "is_range": int,
            "article": str,
        },
        foreign_keys=[("snapshot_id", "snapshots", "id")],
    )
    db.table("codes").create_index(["code"])
    db.table("codes").create_index(["snapshot_id"])


@migrations()
def m005_change_log(db: Database) -> None:
    """Every change between consecutive snapshots of a document, as rows (removals included),
    with CMS's statements and the disagreements beside them, and a review state per change."""
    db.table("changes").create(
        {
            "id": int,
            "document_id": str,
            "from_snapshot": int,
            "to_snapshot": int,
            "from_version": int,
            "to_version": int,
            "kind": str,
            "subject": str,
            "aspect": str,
            "context": str,
            "severity": str,
            "direction": str,
            "before": str,
            "after": str,
            "detected_at": str,
            "reviewed_at": str,
            "reviewed_by": str,
        },
        pk="id",
        foreign_keys=[
            ("from_snapshot", "snapshots", "id"),
            ("to_snapshot", "snapshots", "id"),
        ],
    )
    for columns in (["document_id"], ["to_snapshot"], ["subject"], ["reviewed_at"]):
        db.table("changes").create_index(columns)
    db.table("change_notes").create(
        {
            "id": int,
            "document_id": str,
            "from_snapshot": int,
            "to_snapshot": int,
            "kind": str,
            "source": str,
            "text": str,
        },
        pk="id",
        foreign_keys=[("to_snapshot", "snapshots", "id")],
    )
    db.table("change_notes").create_index(["to_snapshot"])


@migrations()
def m006_search_and_views(db: Database) -> None:
    """Full-text search over sections and indications (kept in sync by triggers) and views
    for the common questions: latest snapshot per document, indication timeline, changes by
    week."""
    db.table("sections").enable_fts(["name", "text"], create_triggers=True, tokenize="porter")
    db.table("indications").enable_fts(["name", "text"], create_triggers=True, tokenize="porter")
    for name, sql in VIEWS.items():
        db.create_view(name, sql, replace=True)


@migrations()
def m007_shared_section_texts(db: Database) -> None:
    """Section texts stored once, content-addressed: versions that share a section share its row
    (a typical revision changes one or two sections of a dozen). `sections.text_hash` points to
    `section_texts.hash`; the view `section_text` joins them back; search indexes each text once."""
    db.table("section_texts").create({"hash": str, "text": str}, pk="hash")
    db.table("sections").add_column("text_hash", str)
    rows = db.execute("select rowid, text from sections").fetchall()
    for rowid, text in rows:
        digest = content_hash((text or "").encode("utf-8"))
        db.execute("insert or ignore into section_texts (hash, text) values (?, ?)", [digest, text])
        db.execute("update sections set text_hash = ? where rowid = ?", [digest, rowid])
    db.table("sections").disable_fts()
    db.table("sections").transform(drop={"text"})
    db.table("sections").create_index(["text_hash"])
    db.table("section_texts").enable_fts(["text"], create_triggers=True, tokenize="porter")
    db.create_view("section_text", SECTION_TEXT_VIEW, replace=True)


SECTION_TEXT_VIEW = """
    select s.snapshot_id, s.position, s.name, t.text
    from sections s join section_texts t on t.hash = s.text_hash"""

VIEWS = {
    "latest_snapshots": """
        select s.* from snapshots s
        where s.id = (
            select s2.id from snapshots s2 where s2.document_id = s.document_id
            order by coalesce(s2.version, -1) desc, s2.id desc limit 1
        )""",
    "indication_timeline": """
        select s.document_id, s.version, s.id as snapshot_id, s.original_effective,
               s.revision_effective, i.position, i.name, i.match_key, i.aliases, i.stance,
               i.doses
        from indications i join snapshots s on s.id = i.snapshot_id
        order by s.document_id, coalesce(s.version, -1), i.position""",
    "changes_by_week": """
        select strftime('%Y-W%W', detected_at) as week, document_id, severity, kind,
               count(*) as changes
        from changes group by week, document_id, severity, kind
        order by week desc, document_id""",
}

RECORD_COMPRESSION = 6
